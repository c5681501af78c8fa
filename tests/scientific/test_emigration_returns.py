"""Returns and onward moves follow their daily hazards within binomial error; a ``return_hazard`` event changes
the hazard of the subgroup it names only; returned agents are marked, counted per origin and per country they
returned from, and leave the stock abroad."""

from __future__ import annotations

import math

import pytest
from test_emigration_stays import LOCS, scenario

import crossings as cx
from crossings.engine.models.emigration.state import RETURNED
from crossings.errors import InputError


def within(got: int, n: int, p: float, sd: float = 4.0) -> bool:
    return abs(got - n * p) <= sd * math.sqrt(n * p * (1 - p)) + 1


def test_returns_follow_their_hazard_and_an_event_changes_only_its_subgroup(tmp_path):
    # 4000 leave on day 0 and settle in City on day 1 (the night of day 0 is on the road), so they face the
    # return hazard h on days 2..D−1. From day 10 men's hazard is ×4 (say, a policy at home that reassures).
    n, h, days = 4000, 0.01, 30
    sc = scenario(tmp_path / "s", [("Town", "origin", "Home", n), *LOCS[1:]],
                  events=[(10, "", "return_hazard", "*", "*", 4, "male")],
                  emigration={"return_hazard": h, "low_money_return_multiplier": 1}, days=days)
    sim = cx.Simulation(sc, seed=7, check=True)
    res = sim.run()
    a = sim.agents
    s = res.series
    abroad = sc.emigration.countries.index("Abroad")
    male = sc.emigration.sex.index("male")
    back = a.state == RETURNED
    for sex, later in ((0, h), (male, 4 * h)):
        group = a.sex == sex
        m = int(group.sum())
        p = 1 - (1 - h) ** 8 * (1 - later) ** (days - 10)  # days 2–9 at h, days 10–29 at the group's hazard
        assert within(int((back & group).sum()), m, p), f"sex {sex}: {int((back & group).sum())} of {m}, p={p:.3f}"
    assert s["new_returns"][:2].sum() == 0
    assert s["new_returns"][:, abroad].sum() == back.sum() == s["n_returned"][-1, 0]
    assert s["n_in_country"][-1, abroad] == n - back.sum(), "returned agents leave the stock abroad"
    assert (a.loc[back] == 0).all() and len(a) == n, "they are marked, at home, not deleted"


def test_low_savings_raise_the_return_hazard(tmp_path):
    # savings 50 at 10 a day last fewer than 30 days: the hazard is tripled from the first day in City
    n, h, days = 4000, 0.01, 12
    sc = scenario(tmp_path / "s", [("Town", "origin", "Home", n), *LOCS[1:]], cost_of_living={"City": 1},
                  agents={"travel_mode": {"car": 1.0}, "savings_usd": {"median": 20, "sigma": 0}},
                  emigration={"return_hazard": h, "low_money_return_multiplier": 3, "low_money_days": 30}, days=days)
    res = cx.Simulation(sc, seed=3, check=True).run()
    got = int(res.series["new_returns"].sum())
    assert within(got, n, 1 - (1 - 3 * h) ** (days - 2)), got


def test_a_place_return_multiplier_scales_the_hazard_of_those_settled_there(tmp_path):
    # Town leads by one road to two countries, A (North, ×5) and B (South, ×0: nobody goes home from there);
    # half of the 6000 settle in each on day 1 and face the return hazard on days 2..D−1.
    n, h, days = 6000, 0.004, 30
    locs = [("Town", "origin", "Home", n), ("Post", "crossing", "Home", 0), ("North", "destination", "A", 0, 1),
            ("South", "destination", "B", 0, 1)]
    routes = [("Town", "Post", "road", 10), ("Post", "North", "road", 50), ("Post", "South", "road", 50)]
    sc = scenario(tmp_path / "s", locs, routes, return_multiplier={"North": 5, "South": 0},
                  emigration={"return_hazard": h, "low_money_return_multiplier": 1}, days=days)
    assert list(sc.emigration.return_multiplier) == [1, 1, 5, 0]
    sim = cx.Simulation(sc, seed=5, check=True)
    s = sim.run().series
    c = sc.emigration.countries
    went = {k: int(s["n_in_country"][1, c.index(k)]) for k in ("A", "B")}
    assert went["A"] + went["B"] == n and min(went.values()) > n / 3
    back_a = int(s["new_returns"][:, c.index("A")].sum())
    assert within(back_a, went["A"], 1 - (1 - 5 * h) ** (days - 2)), back_a
    assert s["new_returns"][:, c.index("B")].sum() == 0, "a multiplier of 0 keeps everyone there"


def test_return_multiplier_is_checked_and_left_out_when_all_ones(tmp_path):
    sc = scenario(tmp_path / "ones", return_multiplier={"City": 1})
    assert sc.emigration.return_multiplier is None, "all ones: the rule skips the multiplication"
    for bad, where, why in ((-1, "City", "not a non-negative multiplier"), (2, "Town", "only destinations")):
        with pytest.raises(InputError) as e:
            scenario(tmp_path / f"bad{bad}", return_multiplier={where: bad})
        assert "locations.csv" in str(e.value) and "return_multiplier" in str(e.value) and why in str(e.value)


def hub(root, n, h, days, emigration=None):
    """Hub (Abroad) is a transit place (``h`` a day); from it a road leads via Gate (a crossing of Abroad) to
    Final in Third. ``n`` leave Town on day 0."""
    locs = [("Town", "origin", "Home", n), ("Post", "crossing", "Home", 0), ("Hub", "destination", "Abroad", 0),
            ("Gate", "crossing", "Abroad", 0), ("Final", "destination", "Third", 0)]
    routes = [("Town", "Post", "road", 10), ("Post", "Hub", "road", 50), ("Hub", "Gate", "road", 20),
              ("Gate", "Final", "road", 20)]
    return scenario(root, locs, routes, transit={"Hub": h}, days=days, emigration=emigration)


def test_onward_moves_from_a_transit_place_follow_its_hazard(tmp_path):
    # Everyone settles in Hub on day 1 and moves on with probability 0.05 on days 2..D−1.
    n, h, days = 3000, 0.05, 20
    sc = hub(tmp_path / "s", n, h, days)
    res = cx.Simulation(sc, seed=11, check=True).run()
    s = res.series
    c = sc.emigration.countries
    moved = int(s["new_onward"][:, c.index("Abroad")].sum())
    assert within(moved, n, 1 - (1 - h) ** (days - 2)), moved
    assert s["new_onward"][:2].sum() == 0
    assert s["n_in_country"][-1, c.index("Third")] == moved, "they cross into Third the day they move on"
    final = sc.locations.name.index("Final")
    # through Gate's queue the same day, the night on the road beyond it, in Final the next day
    assert (s["new_onward"][:-1, c.index("Abroad")] == s["new_arrivals"][1:, final]).all()


def test_transit_days_limit_onward_moves_to_the_first_days_in_the_country(tmp_path):
    # as above, with transit_days 5: they entered Abroad on day 0, so only on days 2, 3 and 4 (settled, and
    # fewer than 5 days since entry) do they move on; from day 5 on the rest stay
    n, h, days = 3000, 0.05, 20
    sc = hub(tmp_path / "s", n, h, days, emigration={"transit_days": 5})
    res = cx.Simulation(sc, seed=11, check=True).run()
    onward = res.series["new_onward"][:, sc.emigration.countries.index("Abroad")]
    assert onward[5:].sum() == 0 and onward[:2].sum() == 0
    assert within(int(onward.sum()), n, 1 - (1 - h) ** 3), onward[:6]
