"""Money: savings fall each day by the cost of living minus remote income, an agent at zero leaves, and an
agent who cannot pay a fare does not take that route. Answers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
from test_emigration_stays import LOCS, ROUTES, scenario

import crossings as cx

DAYS_PER_MONTH = 365.25 / 12


def rich(savings: float, income_per_day: float = 0.0) -> dict:
    agents = {"travel_mode": {"car": 1.0}, "savings_usd": {"median": savings, "sigma": 0}}
    if income_per_day:
        agents["remote_income_usd_per_month"] = {"share": 1, "median": income_per_day * DAYS_PER_MONTH, "sigma": 0}
    return agents


@pytest.mark.parametrize("days", [1, 5, 16])
def test_savings_fall_by_cost_minus_income_each_day(tmp_path, days):
    # everyone passes Post on day 0 and spends that night on the road from it (the cost of living of Post, 0:
    # savings rise by the income, 4); from day 1 in City they fall by 10 − 4 = 6 a day: 104 − 6 × (days − 1)
    sc = scenario(tmp_path / "s", cost_of_living={"City": 10}, agents=rich(100, 4), days=days,
                  emigration={"broke_cheaper_share": 0})
    sim = cx.Simulation(sc, seed=1, check=True)
    sim.run()
    assert np.allclose(sim.agents.savings, 104 - 6 * (days - 1), atol=1e-3)


def test_an_agent_at_zero_goes_home(tmp_path):
    # 104 − 6 × 18 < 0 ≤ 104 − 6 × 17: savings reach 0 at the end of day 18 and all go home that day
    sc = scenario(tmp_path / "s", cost_of_living={"City": 10}, agents=rich(100, 4), days=25,
                  emigration={"broke_cheaper_share": 0})
    sim = cx.Simulation(sc, seed=1, check=True)
    res = sim.run()
    s = res.series
    abroad = sc.emigration.countries.index("Abroad")
    assert np.flatnonzero(s["new_broke"][:, abroad]).tolist() == [18] and s["new_broke"][18, abroad] == 100
    assert np.flatnonzero(s["new_returns"][:, abroad]).tolist() == [18]
    assert (s["n_returned"][18:, 0] == 100).all() and s["n_in_country"][-1, abroad] == 0
    assert (sim.agents.savings == 0).all(), "savings never go below zero; at home they no longer fall"


def test_income_above_cost_never_runs_out(tmp_path):
    sc = scenario(tmp_path / "s", cost_of_living={"City": 10}, agents=rich(0, 12), days=10)
    sim = cx.Simulation(sc, seed=1, check=True)
    res = sim.run()
    assert res.series["new_broke"].sum() == 0 and np.allclose(sim.agents.savings, 12 + 2 * 9, atol=1e-3)


def test_a_broke_agent_moves_to_a_cheaper_place_it_can_reach_for_free(tmp_path):
    # City costs 10 a day, Cheap (in Abroad too, a free 50 km road away) 2: with broke_cheaper_share 1 those who
    # run out in City move to Cheap, where they live on nothing (savings stay 0, cost > 0: broke again → home)
    locs = [*LOCS, ("Cheap", "destination", "Abroad", 0, 0.0001)]
    routes = [*ROUTES, ("City", "Cheap", "road", 50)]
    sc = scenario(tmp_path / "s", locs, routes, cost_of_living={"City": 10, "Cheap": 2}, agents=rich(30),
                  emigration={"broke_cheaper_share": 1}, days=8)
    res = cx.Simulation(sc, seed=1, check=True).run()
    s = res.series
    cheap = sc.locations.name.index("Cheap")
    # night 0 on the road (free), then 30 − 10 × 3 = 0 at the end of day 3 in City; they move on day 4 and are
    # broke again at the end of day 4 in Cheap, with no cheaper place: home
    assert s["new_arrivals"][4, cheap] == 100
    assert s["new_returns"][:, 0].sum() == 100 and s["n_returned"][-1, 0] == 100


def test_an_agent_who_cannot_pay_a_fare_does_not_take_that_route(tmp_path):
    # a flight to Fly (fast, attractive) costs 1000; the road to City is free. With 500 nobody flies; with 5000
    # most do; what they paid is the fare.
    locs = [*LOCS, ("Port", "airport", "Home", 0), ("Fly", "destination", "Sky", 0, 10)]
    routes = [*ROUTES, ("Town", "Port", "road", 10), ("Port", "Fly", "air", "", 1, "")]
    cost = {("Port", "Fly"): 1000}
    for savings, flies in ((500, False), (5000, True)):
        sc = scenario(tmp_path / f"s{savings}", locs, routes, route_cost=cost, agents=rich(savings), days=8)
        sim = cx.Simulation(sc, seed=2, check=True)
        res = sim.run()
        k = int(np.flatnonzero((sc.links.src == sc.locations.name.index("Port")) & (sc.links.dst ==
                                                                                  sc.locations.name.index("Fly")))[0])
        boarded = int(res.series["new_boarded"][:, k].sum())
        if flies:
            assert boarded > 50 and np.isclose(np.sort(sim.agents.savings)[:boarded], savings - 1000).all()
        else:
            assert boarded == 0 and res.series["new_seat_joins"][:, k].sum() == 0
            assert res.series["n_in_country"][-1, sc.emigration.countries.index("Abroad")] == 100


def test_a_fare_event_scales_the_fare_while_it_lasts(tmp_path):
    # the flight costs 1000, ×10 on days 0-2 (a fare event until day 3): with 5000 of savings nobody who leaves
    # then can fly; from day 3 the fare is 1000 again and those who fly pay exactly that
    locs = [*LOCS, ("Port", "airport", "Home", 0), ("Fly", "destination", "Sky", 0, 10)]
    routes = [*ROUTES, ("Town", "Port", "road", 10), ("Port", "Fly", "air", "", 1, "")]
    sc = scenario(tmp_path / "s", locs, routes, departures=(("Town", "*", 0.3),), route_cost={("Port", "Fly"): 1000},
                  agents=rich(5000), events=[(0, 3, "fare", "Port", "Fly", 10)], days=8)
    assert [ev.kind for ev in sc.emigration.events] == ["fare"] and sc.emigration.events[0].value == 10
    sim = cx.Simulation(sc, seed=2, check=True)
    res = sim.run()
    port, fly = sc.locations.name.index("Port"), sc.locations.name.index("Fly")
    k = int(np.flatnonzero((sc.links.src == port) & (sc.links.dst == fly))[0])
    boarded = res.series["new_boarded"][:, k]
    assert boarded[:3].sum() == 0 and res.series["new_seat_joins"][:3, k].sum() == 0
    assert boarded[3:].sum() > 10
    assert np.isclose(sim.world.link_cost[k], 1000) and sim.world.path_cost.max() <= 1000
    flew = sim.agents.loc == fly
    assert np.isclose(sim.agents.savings[flew], 4000).all()


def test_a_fare_event_needs_an_air_route_and_a_multiplier(tmp_path):
    locs = [*LOCS, ("Port", "airport", "Home", 0), ("Fly", "destination", "Sky", 0, 10)]
    routes = [*ROUTES, ("Town", "Port", "road", 10), ("Port", "Fly", "air", "", 1, "")]
    for i, (event, field) in enumerate((((0, "", "fare", "Port", "Fly", ""), "value"),
                                        ((0, "", "fare", "Town", "Port", 2), "other"),
                                        ((0, "", "fare", "Port", "Fly", -1), "value"))):
        with pytest.raises(cx.InputError) as e:
            scenario(tmp_path / f"s{i}", locs, routes, events=[event])
        assert e.value.field == field and e.value.line == 2, str(e.value)
