"""Entry policy and stays abroad (policies.csv): visa-free stays that run out, visa runs counted as an exit and
an entry at both borders, the 90-in-180 window, tourist bans at crossings and on landing, residence permits.
Small synthetic scenarios whose answers are worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

import crossings as cx
from crossings.engine.models.emigration.state import PERMIT
from crossings.errors import InputError

# Town --10 km--> Post (a crossing of Home) --50 km--> City (Abroad). At 500 km/day everyone leaving on day 0
# passes Post (no capacity limit) and reaches City on day 0: it enters Abroad on day 0.
LOCS = [("Town", "origin", "Home", 100), ("Post", "crossing", "Home", 0), ("City", "destination", "Abroad", 0)]
ROUTES = [("Town", "Post", "road", 10), ("Post", "City", "road", 50)]
ONLY = {"visa_run_weight": 0, "permit_weight": 0, "move_on_weight": 0, "go_home_weight": 0}


START = dt.date(2020, 1, 1)


def scenario(root: Path, locations=LOCS, routes=ROUTES, departures=(("Town", "*", 1.0),), *, crossings=(),
             events=(), policies=(), cost_of_living=None, transit=None, route_cost=None, agents=None, emigration=None,
             days=10, return_multiplier=None):
    """Write and load a native emigration scenario. ``locations``: (name, kind, country, population[,
    attractiveness]); ``routes``: (from, to, mode, distance_km[, duration_days, seats_per_day]);
    ``departures``: (origin, category, hazard); ``crossings``: (crossing, mode, capacity); ``events``: (day,
    until day or "", event, target, other, value[, sex, age_band]); ``policies``: (day, until day or "",
    country, policy, days, window_days, probability, cost_usd, waiting_days); ``cost_of_living``,
    ``transit`` and ``return_multiplier``: {location: value}; ``route_cost``: {(from, to): USD};
    ``agents``/``emigration``: the scenario.yml mappings (default agents: cars only)."""
    root.mkdir(parents=True, exist_ok=True)

    def date(d):
        return "" if d == "" else (START + dt.timedelta(days=int(d))).isoformat()

    def table(name, head, rows):
        (root / name).write_text(head + "\n" + "".join(",".join(str(c) for c in r) + "\n" for r in rows))

    meta = {"format": "crossings-native/1", "model": "emigration", "name": root.name, "start_date": str(START),
            "days": days, "home_country": locations[0][2],
            "agents": agents if agents is not None else {"travel_mode": {"car": 1.0}}}
    if emigration:
        meta["emigration"] = emigration
    (root / "scenario.yml").write_text(yaml.safe_dump(meta, sort_keys=False))
    col, tr, cost, rm = cost_of_living or {}, transit or {}, route_cost or {}, return_multiplier or {}
    table("locations.csv", "name,kind,country,population,attractiveness,cost_of_living,transit,return_multiplier",
          [(*r[:4], r[4] if len(r) > 4 else "", col.get(r[0], ""), tr.get(r[0], ""), rm.get(r[0], ""))
           for r in locations])
    table("routes.csv", "from,to,mode,distance_km,duration_days,seats_per_day,cost",
          [(*r, *[""] * (6 - len(r)), cost.get((r[0], r[1]), "")) for r in routes])
    table("departures.csv", "origin,category,daily_hazard", departures)
    if crossings:
        table("crossings.csv", "crossing,mode,capacity_per_day", crossings)
    if events:
        table("events.csv", "date,until,event,target,other,value,sex,age_band",
              [(date(r[0]), date(r[1]), *r[2:], *[""] * (8 - len(r))) for r in events])
    if policies:
        width = max(9, *(len(r) for r in policies))  # a 10th and 11th value: the optional weight and eligible
        head = "date,until,country,policy,days,window_days,probability,cost_usd,waiting_days,weight,eligible"
        table("policies.csv", ",".join(head.split(",")[:width]),
              [(date(r[0]), date(r[1]), *r[2:], *[""] * (width - len(r))) for r in policies])
    return cx.load_scenario(root)


def test_30_day_stay_ends_in_a_visa_run_counted_at_both_borders(tmp_path):
    sc = scenario(tmp_path / "s", policies=[(0, "", "Abroad", "visa_free", 30)],
                  emigration={**ONLY, "visa_run_weight": 1}, days=70)
    res = cx.Simulation(sc, seed=1, check=True).run()
    s = res.series
    home, abroad = sc.emigration.countries.index("Home"), sc.emigration.countries.index("Abroad")
    # entry on day 0 allows days 0..29; on day 30 (and again on day 60) all 100 do a visa run
    runs = s["new_visa_runs"][:, abroad]
    assert runs.tolist() == [100 if d in (30, 60) else 0 for d in range(70)]
    assert s["new_entries"][:, abroad].tolist() == [100 if d in (0, 30, 60) else 0 for d in range(70)]
    assert s["new_exits"][:, abroad].tolist() == [100 if d in (30, 60) else 0 for d in range(70)]
    assert s["new_entries"][:, home].tolist() == [100 if d in (30, 60) else 0 for d in range(70)]
    assert (s["n_in_country"][:, abroad] == 100).all(), "a visa run leaves and re-enters the same day"
    # both crossings of each run are counted on their links: City→Post out, Post→City back in
    links, names = sc.links, sc.locations.name
    k_in = int(np.flatnonzero((links.src == names.index("Post")) & (links.dst == names.index("City")))[0])
    k_out = int(np.flatnonzero((links.src == names.index("City")) & (links.dst == names.index("Post")))[0])
    assert s["new_border_crossings"][:, k_in].sum() == 300 and s["new_border_crossings"][:, k_out].sum() == 200
    assert (s["new_overstays"][:, abroad] == runs).all()


def test_a_stay_ends_by_day_30_in_a_visa_run_or_a_departure(tmp_path):
    sc = scenario(tmp_path / "s", locations=[("Town", "origin", "Home", 1000), *LOCS[1:]],
                  policies=[(0, "", "Abroad", "visa_free", 30)],
                  emigration={**ONLY, "visa_run_weight": 1, "go_home_weight": 1}, days=32)
    res = cx.Simulation(sc, seed=2, check=True).run()
    s = res.series
    abroad = sc.emigration.countries.index("Abroad")
    runs, back = s["new_visa_runs"][:, abroad], s["new_returns"][:, abroad]
    assert runs[:30].sum() == back[:30].sum() == 0, "nobody's stay runs out before day 30"
    assert runs[30] + back[30] == 1000, "on day 30 every stay ends in a visa run or a departure"
    assert abs(runs[30] - 500) <= 4 * math.sqrt(1000 * 0.25), "equal weights: half and half within 4 sd"
    assert s["n_in_country"][30, abroad] == runs[30] and s["n_returned"][30].sum() == back[30]


def test_90_in_180_stops_the_second_visa_run(tmp_path):
    # 60 days per entry, at most 90 in any 180 (Turkey): enter day 0, visa run on day 60 (60 used), the new
    # entry allows min(60, 90 − 60) = 30 days, so on day 90 the window is used up: no second run, they go home
    sc = scenario(tmp_path / "s",
                  policies=[(0, "", "Abroad", "visa_free", 60), (0, "", "Abroad", "stay_limit", 90, 180)],
                  emigration={**ONLY, "visa_run_weight": 1}, days=120)
    res = cx.Simulation(sc, seed=1, check=True).run()
    s = res.series
    abroad = sc.emigration.countries.index("Abroad")
    assert np.flatnonzero(s["new_visa_runs"][:, abroad]).tolist() == [60]
    assert np.flatnonzero(s["new_returns"][:, abroad]).tolist() == [90] and s["new_returns"][90, abroad] == 100
    assert s["n_in_country"][89, abroad] == 100 and s["n_in_country"][90, abroad] == 0


def test_window_restarts_after_it_ends(tmp_path):
    # 30 per entry, 60 in 70: runs on day 30 (30 used, 30 left); on day 60 the window (days 0–69) is used up.
    # With a 60-day window instead, it ends on day 60: the run on day 60 starts a fresh window.
    for window, want in ((70, [30]), (60, [30, 60, 90])):
        sc = scenario(tmp_path / f"w{window}", policies=[(0, "", "Abroad", "visa_free", 30),
                                                         (0, "", "Abroad", "stay_limit", 60, window)],
                      emigration={**ONLY, "visa_run_weight": 1}, days=100)
        res = cx.Simulation(sc, seed=1, check=True).run()
        abroad = sc.emigration.countries.index("Abroad")
        assert np.flatnonzero(res.series["new_visa_runs"][:, abroad]).tolist() == want, f"window {window}"


def test_tourist_ban_refuses_everyone_from_its_date_and_they_go_elsewhere(tmp_path):
    # 200 leave on day 0; those choosing City queue at Post (20 a day). From day 5 (the ban) nobody enters
    # Abroad: those still queued are turned back as Post lets them through (20 a day), and re-plan via Far
    # into Other; new plans avoid Abroad.
    locs = [("Town", "origin", "Home", 200), ("Post", "crossing", "Home", 0), ("Far", "crossing", "Home", 0),
            ("City", "destination", "Abroad", 0, 5), ("Else", "destination", "Other", 0, 1)]
    routes = [*ROUTES, ("Town", "Far", "road", 100), ("Far", "Else", "road", 100)]
    sc = scenario(tmp_path / "s", locs, routes, crossings=[("Post", "car", 20)],
                  policies=[(5, "", "Abroad", "tourist_ban")], days=20)
    res = cx.Simulation(sc, seed=4, check=True).run()
    s = res.series
    c = sc.emigration.countries
    abroad, other = c.index("Abroad"), c.index("Other")
    queued = int(s["n_queue"][4, 0])
    assert queued > 20, "test setup: a queue at Post when the ban starts"
    assert s["new_entries"][:5, abroad].sum() == 100 and s["new_entries"][5:, abroad].sum() == 0
    back = s["new_turned_back"][:, 0]
    assert back[:5].sum() == 0 and back.sum() == queued and (back <= 20).all(), \
        "everyone Post lets through from the ban's date is turned back, at its capacity"
    assert s["new_refused"][:, abroad].sum() == queued
    assert s["n_in_country"][-1, abroad] == 100 and s["n_in_country"][-1, other] == 100


def test_a_ban_while_in_the_air_turns_the_flight_back_on_landing(tmp_path):
    # 30 board a 2-day flight on day 0; the ban starts on day 1; they land on day 2 and are flown back
    locs = [("Town", "origin", "Home", 30), ("Port", "airport", "Home", 0), ("City", "destination", "Abroad", 0),
            ("Else", "destination", "Other", 0)]
    routes = [("Town", "Port", "road", 10), ("Port", "City", "air", "", 2, ""), ("Port", "Else", "air", "", 5, "")]
    sc = scenario(tmp_path / "s", locs, routes, policies=[(1, "", "Abroad", "tourist_ban")],
                  emigration={"time_power": 10}, days=4)
    res = cx.Simulation(sc, seed=1, check=True).run()
    s = res.series
    abroad = sc.emigration.countries.index("Abroad")
    k = int(np.flatnonzero((sc.links.src == 1) & (sc.links.dst == 2))[0])
    n = int(s["new_boarded"][0, k])
    assert n > 20, "test setup: most take the short flight on day 0"
    assert s["new_entries"][:, abroad].sum() == 0 and s["new_refused"][2, abroad] == n
    assert s["new_arrivals"][2, 1] == n and s["new_link_exits"][2, k] == n, "they are back at Port on day 2"


def test_permits_granted_are_applications_times_approval_after_the_wait(tmp_path):
    # a 10-day visa-free stay; on day 10 all 2000 apply (the only option besides going home); decisions come
    # 20 days later, on day 30: Binomial(2000, 0.3) granted; the refused must leave at once (home)
    n, p = 2000, 0.3
    sc = scenario(tmp_path / "s", [("Town", "origin", "Home", n), *LOCS[1:]],
                  policies=[(0, "", "Abroad", "visa_free", 10), (0, "", "Abroad", "residence_permit", "", "", p, "",
                                                                20)],
                  emigration={**ONLY, "permit_weight": 1}, days=40)
    res = cx.Simulation(sc, seed=3, check=True).run()
    s = res.series
    abroad = sc.emigration.countries.index("Abroad")
    assert np.flatnonzero(s["new_permit_applications"][:, abroad]).tolist() == [10]
    assert s["new_permit_applications"][10, abroad] == n
    granted = s["new_permits_granted"][:, abroad]
    assert np.flatnonzero(granted).tolist() == [30], "decisions come after the waiting time"
    assert abs(granted[30] - n * p) <= 4 * math.sqrt(n * p * (1 - p))
    assert s["new_permits_refused"][30, abroad] == n - granted[30]
    assert (s["n_permits"][30:, abroad] == granted[30]).all() and (s["n_permits"][:30, abroad] == 0).all()
    assert s["new_returns"][30, abroad] == n - granted[30], "refused applicants leave on the decision day"
    assert s["n_in_country"][-1, abroad] == granted[30]


@pytest.mark.parametrize("option", ["permit", "visa_run"])
def test_a_countrys_policy_weight_scales_the_share_who_take_that_option(tmp_path, option):
    # on day 10 the 10-day stay runs out: apply for a permit (or do a visa run), weight 1 x the weight w of
    # the residence_permit (visa_free) policy, or go home (weight 1); with w = 3 Binomial(n, 3/4) take the
    # option and the rest go home, with w = 0 nobody does
    n = 2000
    for w, share in ((3, 0.75), (0, 0.0)):
        if option == "permit":
            policies = [(0, "", "Abroad", "visa_free", 10),
                        (0, "", "Abroad", "residence_permit", "", "", 1.0, "", 5, w)]
        else:
            policies = [(0, "", "Abroad", "visa_free", 10, "", "", "", "", w)]
        sc = scenario(tmp_path / f"w{w}", [("Town", "origin", "Home", n), *LOCS[1:]], policies=policies,
                      emigration={**ONLY, f"{option}_weight": 1, "go_home_weight": 1}, days=12)
        assert sc.emigration.policies[-1].weight == w
        res = cx.Simulation(sc, seed=5, check=True).run()
        abroad = sc.emigration.countries.index("Abroad")
        took = int(res.series["new_permit_applications" if option == "permit" else "new_visa_runs"][10, abroad])
        assert abs(took - n * share) <= 4 * math.sqrt(n * share * (1 - share)) + 1e-9, (w, took)
        assert res.series["new_returns"][10, abroad] == n - took


def test_only_the_eligible_share_can_apply_and_the_same_people_each_time(tmp_path):
    # 10-day stays; a permit for 10 days (granted always, decided at once) open only to a share 0.3, against
    # visa runs (weight 1, through Post back into Abroad): on day 10 exactly those whose fixed trait is below
    # 0.3 may apply (weight 1e6: they all do), the rest run; on day 20 the same people apply again
    n, share = 3000, 0.3
    locs = [("Town", "origin", "Home", n), ("Post", "crossing", "Home", 0), ("City", "destination", "Abroad", 0)]
    sc = scenario(tmp_path / "s", locs, policies=[
        (0, "", "Abroad", "visa_free", 10), (0, "", "Abroad", "residence_permit", 10, "", 1.0, "", 0, 1e6, share)],
        emigration={**ONLY, "permit_weight": 1, "visa_run_weight": 1}, days=25)
    assert sc.emigration.policies[-1].eligible == share
    sim = cx.Simulation(sc, seed=9, check=True)
    s = sim.run().series
    abroad = sc.emigration.countries.index("Abroad")
    applied = s["new_permit_applications"][:, abroad]
    assert np.flatnonzero(applied).tolist() == [10, 20]
    assert abs(applied[10] - n * share) <= 5, "an evenly spread trait: the share (a binomial sd is 25)"
    assert s["new_visa_runs"][10, abroad] == n - applied[10]
    rule = next(r for r in sim.plan if r.name == "stay_limits")
    eligible = rule.trait(np.arange(n)) < share
    assert eligible.sum() == applied[10] == applied[20], "the same agents each time, the rest never"
    held = sim.agents.permit[:n] == PERMIT
    assert (held == eligible).all()
    other = cx.Simulation(sc, seed=10, check=True)
    other.run()
    other_held = other.agents.permit[:n] == PERMIT
    assert abs(int(other_held.sum()) - int(held.sum())) <= 10 and (other_held != held).any(), \
        "who is eligible changes with the seed, how many does not"


def test_eligible_is_checked(tmp_path):
    for bad, why in ((1.5, "not a share"), (-0.1, "not a share")):
        with pytest.raises(InputError) as e:
            scenario(tmp_path / f"b{bad}", policies=[(0, "", "Abroad", "residence_permit", "", "", 1, "", 0, 1, bad)])
        assert "policies.csv" in str(e.value) and "eligible" in str(e.value) and why in str(e.value)
    with pytest.raises(InputError) as e:
        scenario(tmp_path / "v", policies=[(0, "", "Abroad", "visa_free", 10, "", "", "", "", 1, 0.5)])
    assert "takes no eligible" in str(e.value)


def test_stays_that_last_183_days_are_counted_once_on_that_day(tmp_path):
    # everyone leaves on day 0 and reaches City the same day; a 100-day visa-free stay, then a permit for good
    # (approval 1, no wait): all of them are still there on day 183, the day their stays reach 183 days
    n = 500
    sc = scenario(tmp_path / "s", [("Town", "origin", "Home", n), *LOCS[1:]],
                  policies=[(0, "", "Abroad", "visa_free", 100), (0, "", "Abroad", "residence_permit", "", "", 1.0,
                                                                     "", 0)],
                  emigration={**ONLY, "permit_weight": 1}, days=200)
    res = cx.Simulation(sc, seed=1, check=True).run()
    long = res.series["new_long_stays"][:, sc.emigration.countries.index("Abroad")]
    assert np.flatnonzero(long).tolist() == [183] and long[183] == n


def test_visa_requirement_approves_with_its_probability_and_charges_its_cost(tmp_path):
    n, p = 3000, 0.6
    sc = scenario(tmp_path / "s", [("Town", "origin", "Home", n), *LOCS[1:]],
                  policies=[(0, "", "Abroad", "visa", "", "", p, 80)],
                  agents={"travel_mode": {"car": 1.0}, "savings_usd": {"median": 100, "sigma": 0}}, days=2)
    sim = cx.Simulation(sc, seed=5, check=True)
    res = sim.run()
    s = res.series
    abroad = sc.emigration.countries.index("Abroad")
    entered = int(s["new_entries"][0, abroad])
    assert abs(entered - n * p) <= 4 * math.sqrt(n * p * (1 - p))
    assert s["new_turned_back"][0, 0] == n - entered
    assert np.allclose(sim.agents.savings, 20), "each applicant paid 80 of its 100"


def test_a_visa_run_needs_the_money_for_it_and_moving_on_avoids_the_country(tmp_path):
    # visa runs cost 50 here: with 40 in savings nobody can do one, so on day 30 the only option left with a
    # weight is closed and everyone goes home (the fallback); with 60 everyone runs and pays 50
    for savings, runs in ((40, 0), (60, 100)):
        sc = scenario(tmp_path / f"s{savings}", policies=[(0, "", "Abroad", "visa_free", 30)],
                      agents={"travel_mode": {"car": 1.0}, "savings_usd": {"median": savings, "sigma": 0}},
                      emigration={**ONLY, "visa_run_weight": 1, "visa_run_cost_usd": 50}, days=31)
        sim = cx.Simulation(sc, seed=1, check=True)
        res = sim.run()
        abroad = sc.emigration.countries.index("Abroad")
        assert res.series["new_visa_runs"][30, abroad] == runs
        assert res.series["new_returns"][30, abroad] == 100 - runs
        assert np.allclose(sim.agents.savings, savings - 50 if runs else savings)
    # moving on: from City (10-day stays) via Gate, a crossing of Abroad, to Final in Third
    locs = [*LOCS, ("Gate", "crossing", "Abroad", 0), ("Final", "destination", "Third", 0, 0.5)]
    routes = [*ROUTES, ("City", "Gate", "road", 20), ("Gate", "Final", "road", 20)]
    sc = scenario(tmp_path / "move", locs, routes, policies=[(0, "", "Abroad", "visa_free", 10)],
                  emigration={**ONLY, "move_on_weight": 1}, days=13)
    res = cx.Simulation(sc, seed=1, check=True).run()
    s = res.series
    c = sc.emigration.countries
    assert s["new_overstays"][10, c.index("Abroad")] == 100 and s["new_entries"][10, c.index("Third")] == 100
    assert s["n_in_country"][-1, c.index("Third")] == 100 and s["new_returns"].sum() == 0


def test_with_no_seat_stays_an_agent_abroad_who_finds_no_seat_stays_instead_of_taking_the_road(tmp_path):
    # Town -> Post -> City (Abroad; transit 1: everyone settled there moves on the next day, avoiding Abroad)
    # ==air, 3 seats==> Far, or City -> Gate -> Other by road (Other nearly unattractive). Those who miss the
    # flight twice give up. With no_seat_stays 0 they re-plan by road and end in Other; with 1 they settle
    # back in City (their 365-day stay runs) and try the flight again later: nobody ever takes the road.
    n = 40
    locs = [("Town", "origin", "Home", n), ("Post", "crossing", "Home", 0), ("City", "destination", "Abroad", 0),
            ("Far", "destination", "Farland", 0, 1.0), ("Gate", "crossing", "Abroad", 0),
            ("Other", "destination", "Elsewhere", 0, 1e-9)]
    routes = [*ROUTES, ("City", "Far", "air", "", 1, 3), ("City", "Gate", "road", 20), ("Gate", "Other", "road", 20)]
    for stays in (0, 1):
        sc = scenario(tmp_path / f"s{stays}", locs, routes, policies=[(0, "", "Abroad", "visa_free", 365)],
                      transit={"City": 1.0}, emigration={**ONLY, "seat_patience_days": 2, "no_seat_stays": stays},
                      days=6)
        sim = cx.Simulation(sc, seed=3, check=True)
        res = sim.run()
        air = int(np.flatnonzero(sc.emigration.link_mode == 2)[0])
        boarded = res.series["new_boarded"][:, air]
        gave_up = int(res.series["new_seat_gave_up"][:, air].sum())
        at = {p: int(res.series["n_present"][-1, sc.locations.index(p)]) for p in ("City", "Far", "Other")}
        assert gave_up > 0 and boarded.max() == 3
        assert at["Far"] + at["City"] + at["Other"] + int(res.series["n_on_link"][-1].sum()) == n
        if stays == 0:
            assert at["Other"] + int(res.series["n_on_link"][-1].sum()) - int(boarded[-1]) == gave_up, \
                "without the setting those who gave up take the road"
        else:
            road = np.flatnonzero((sc.links.src == sc.locations.index("City"))
                                  & (sc.links.dst == sc.locations.index("Gate")))
            assert at["Other"] == 0 and res.series["new_link_entries"][:, road].sum() == 0, \
                "with it nobody takes the road out of City"
            city = np.flatnonzero(sim.agents.loc == sc.locations.index("City"))
            assert not (sim.agents.state[city] == 1).any(), "nobody re-plans without flights (plan_no_air)"


def test_with_route_sees_waits_leavers_avoid_a_crossing_with_a_long_queue(tmp_path):
    # Town -> PostA (1 car a day) -> CityA, Town -> PostB (no limit) -> CityB: the same distance and weight.
    # On day 0 the leavers split evenly and ~100 queue at PostA. Without the setting later leavers keep
    # splitting evenly; with it PostA's path weighs 1/(1 + ~100 days) as much, and almost all go to PostB.
    n = 1000
    locs = [("Town", "origin", "Home", n), ("PostA", "crossing", "Home", 0), ("PostB", "crossing", "Home", 0),
            ("CityA", "destination", "Alands", 0), ("CityB", "destination", "Blands", 0)]
    routes = [("Town", "PostA", "road", 10), ("PostA", "CityA", "road", 50), ("Town", "PostB", "road", 10),
              ("PostB", "CityB", "road", 50)]
    later = {}
    for sees in (0, 1):
        sc = scenario(tmp_path / f"s{sees}", locs, routes, departures=(("Town", "*", 0.2),),
                      crossings=[("PostA", "car", 1), ("PostB", "car", 100000)],
                      emigration={"route_sees_waits": sees}, days=10)
        res = cx.Simulation(sc, seed=2, check=True).run()
        joins = res.series["new_queue_joins"]  # (days, crossings x modes): PostA car is column 0
        assert joins[0, 0] > 60, "on day 0 nobody knows of a queue: about half of ~200 leavers go to PostA"
        later[sees] = (int(joins[2:, 0].sum()), int(joins[2:, 2].sum()))
    a0, b0 = later[0]
    a1, b1 = later[1]
    assert abs(a0 - b0) < 0.2 * (a0 + b0), "without the setting the split stays even"
    assert a1 < 0.05 * (a1 + b1), "with it the long queue at PostA is avoided"


def test_route_by_destination_stops_many_roads_to_one_place_adding_up(tmp_path):
    # Town -> M1|M2|M3 -> CityA (three equal roads over three border posts) and Town -> M4 -> CityB (one), all
    # 60 km, equal weights, no capacity limits.
    # Path by path, CityA weighs 3 of 4: ~75 % of leavers go there. With the setting each city weighs as its
    # fastest road alone (1 : 1), and CityA's share is split evenly among its three roads.
    n = 4000
    locs = [("Town", "origin", "Home", n), *[(f"M{i}", "crossing", "Home", 0) for i in (1, 2, 3, 4)],
            ("CityA", "destination", "Alands", 0), ("CityB", "destination", "Blands", 0)]
    routes = [("Town", f"M{i}", "road", 10) for i in (1, 2, 3, 4)]
    routes += [(f"M{i}", "CityA", "road", 50) for i in (1, 2, 3)] + [("M4", "CityB", "road", 50)]
    share, via = {}, {}
    for by in (0, 1):
        sc = scenario(tmp_path / f"s{by}", locs, routes, departures=(("Town", "*", 0.5),),
                      emigration={"route_by_destination": by}, days=6)
        res = cx.Simulation(sc, seed=4, check=True).run()
        a, b = (int(res.series["n_in_country"][-1, sc.emigration.countries.index(c)]) for c in ("Alands", "Blands"))
        share[by] = a / (a + b)
        links = res.series["new_link_entries"].sum(axis=0)
        via[by] = [int(links[(sc.links.src == sc.locations.index(f"M{i}"))
                             & (sc.links.dst == sc.locations.index("CityA"))].sum()) for i in (1, 2, 3)]
        assert a + b > 0.9 * n, "almost everyone has left and arrived in six days"
    assert share[0] == pytest.approx(0.75, abs=0.03), "path by path: three roads of four lead to CityA"
    assert share[1] == pytest.approx(0.5, abs=0.03), "by destination: one weight per city"
    assert max(via[1]) - min(via[1]) < 0.15 * sum(via[1]), "CityA's share is split evenly among its roads"


def test_route_by_destination_prefers_a_place_by_its_fastest_path():
    # One origin, two ends: End1 by a 1-day and a 3-day path, End2 by a 1-day path; weights 1 / (1 + days).
    from crossings.engine.models.emigration.routes import Routes, origin_end_pairs, route_cdf
    from crossings.scenario.graph import Paths

    paths = Paths(origin=np.zeros(3, np.int32), end=np.array([1, 1, 2], np.int32), length_km=np.zeros(3),
                  start=np.arange(4, dtype=np.int64), links=np.zeros(3, np.int32),
                  by_origin=np.array([0, 3, 3, 3], np.int64), n_links=np.ones(3, np.int32))
    routes = Routes(paths, np.array([1.0, 3.0, 1.0]), np.zeros(3, bool), np.zeros(3), np.zeros((1, 3), bool),
                    np.zeros(3, bool))
    attr = np.array([0.0, 1.0, 1.0])
    usable = np.ones(3, bool)
    w = np.diff(np.concatenate([[0.0], route_cdf(routes, usable, attr, 1.0)]))
    assert w == pytest.approx([1 / 2, 1 / 4, 1 / 2]), "path by path: End1 weighs 3/4 against End2's 1/2"
    w = np.diff(np.concatenate([[0.0], route_cdf(routes, usable, attr, 1.0, pair=origin_end_pairs(paths))]))
    assert w[:2].sum() == pytest.approx(1 / 2) and w[2] == pytest.approx(1 / 2), "each end weighs its fastest"
    assert w[0] / w[1] == pytest.approx((1 / 2) / (1 / 4)), "its paths share it by speed"
    usable[0] = False  # the fast path to End1 closes: End1 weighs as its 3-day path alone
    w = np.diff(np.concatenate([[0.0], route_cdf(routes, usable, attr, 1.0, pair=origin_end_pairs(paths))]))
    assert w == pytest.approx([0, 1 / 4, 1 / 2])
