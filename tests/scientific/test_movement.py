"""Movement on graphs small enough to know the answer by hand: zero move chance, travel times, same-day
chaining through a town, and route choice in proportion to Flee's weights."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import crossings as cx

FIXED_AGENTS = {"spawn_rules": {"insert_day0": False}}  # day 0 spawns int T(0) agents at conflict zones


def within_binomial(count: int, n: int, p: float, sds: float = 5.0) -> bool:
    return abs(count - n * p) <= sds * math.sqrt(n * p * (1 - p)) + 1


def test_zero_move_chance_keeps_everyone_in_place(demo_dir, simulate):
    sc = cx.load_scenario(demo_dir)
    still = sc.settings.replace(conflict_movechance=0.0, default_movechance=0.0, camp_movechance=0.0,
                                idpcamp_movechance=0.0)
    res = simulate(dataclasses.replace(sc, settings=still), seed=1)
    s = res.series
    assert res.n_agents[-1] > 10000, "the demo must spawn agents for this test to mean anything"
    assert s["new_departures"].sum() == 0, f"expected no departures, got {s['new_departures'].sum()}"
    assert s["n_on_link"].sum() == 0 and s["new_arrivals"].sum() == 0, "expected nobody on a link or arriving"
    np.testing.assert_array_equal(s["n_present"], np.cumsum(s["new_spawned"], axis=0),
                                  err_msg="with move chance 0 every place must hold exactly the agents spawned there")


@pytest.mark.parametrize(("km", "speed", "arrival_day"), [
    (150, None, 0), (199, None, 0),  # shorter than a day's travel: same day
    (200, None, 1),  # arrival needs progress > length (strict): 200 km at 200 km/day arrives on day 1
    (399, None, 1), (400, None, 2), (450, None, 2),  # floor(450 / 200) + 1 = 3 travel days: days 0, 1, 2
    (450, 100, 4),  # per-link max_move_speed from routes.csv: floor(450 / 100) + 1 = 5 travel days
])
def test_travel_time_on_one_link(make_scenario, simulate, km, speed, arrival_day):
    n = 300
    row = ("A", "B", km, "0") + ((speed,) if speed else ("",))
    sc = make_scenario([("A", "X", "conflict_zone", 1000), ("B", "Y", "camp", 0)], [row],
                       route_columns=["max_move_speed"], total=[(0, n)], length=7,
                       settings={**FIXED_AGENTS, "move_rules": {"max_move_speed": 200.0, "camp_movechance": 0.0}})
    res = simulate(sc, seed=1)
    arrivals = res.series["new_arrivals"][:, 1].tolist()
    expected = [n if t == arrival_day else 0 for t in range(7)]
    assert res.series["new_departures"][0, 0] == n, "every agent leaves the conflict zone on day 0 (move chance 1)"
    assert arrivals == expected, (
        f"{km} km at {speed or 200} km/day: expected all {n} agents to arrive on day {arrival_day}, got {arrivals}")
    on_link = res.series["n_on_link"][:, 0].tolist()
    assert on_link == [n if t < arrival_day else 0 for t in range(7)], f"agents on the link by day: {on_link}"


def test_start_on_foot_uses_walking_speed_on_the_first_link(make_scenario, simulate):
    n = 100
    sc = make_scenario([("A", "X", "conflict_zone", 1000), ("B", "Y", "camp", 0)], [("A", "B", 100)],
                       total=[(0, n)], length=6,
                       settings={**FIXED_AGENTS, "move_rules": {"start_on_foot": True, "max_walk_speed": 35.0,
                                                                "camp_movechance": 0.0}})
    res = simulate(sc, seed=1)
    arrivals = res.series["new_arrivals"][:, 1].tolist()
    assert arrivals == [0, 0, n, 0, 0, 0], f"100 km at 35 km/day: floor(100/35) + 1 = 3 travel days, got {arrivals}"


CHAIN = dict(
    locations=[("A", "X", "conflict_zone", 1000), ("B", "X", "town", 0), ("C", "Y", "camp", 0)],
    routes=[("A", "B", 150), ("B", "C", 300)],
    length=4,
    # camp weight 1e9 makes A>B>C the only route anyone picks (A>B weighs 1/160 against 1e9/460)
    settings={**FIXED_AGENTS, "move_rules": {"awareness_level": 2, "camp_weight": 1e9, "camp_movechance": 0.0,
                                             "max_move_speed": 200.0}},
)


@pytest.mark.parametrize(("rules", "share"), [("flee31", 0.3), ("fixes", 1.0)])
def test_same_day_chaining_through_a_town(make_scenario, simulate, rules, share):
    """150 km then 300 km at 200 km/day: agents reach the town B with 50 km of the day left; under flee31 a
    route-holder continues with B's move chance (0.3), under fixes (and crossings) always. The second link gets a
    full day's credit (200 < 300), so those who continue are on B→C at the end of day 0 and reach C on day 1."""
    n = 10000
    sc = make_scenario(**CHAIN, total=[(0, n)])
    res = simulate(sc, seed=9, rules=rules)
    s = res.series
    assert s["new_arrivals"][0, 1] == n, "every agent reaches the town B on day 0"
    on_bc = int(s["n_on_link"][0, 2])  # link 2 = B→C
    if share == 1.0:
        assert on_bc == n, f"{rules}: expected all {n} agents on B→C after day 0, got {on_bc}"
    else:
        assert within_binomial(on_bc, n, share), (
            f"{rules}: expected about {share:.0%} of {n} route-holders on B→C after day 0, got {on_bc}")
    assert s["n_present"][0, 1] == n - on_bc, "the others wait in B"
    assert s["new_arrivals"][1, 2] == on_bc, "those on B→C after day 0 reach C on day 1"


def test_route_holders_drain_from_a_town_at_its_move_chance_under_flee31(make_scenario, simulate):
    n = 10000
    sc = make_scenario(**CHAIN, total=[(0, n)])
    res = simulate(sc, seed=4, rules="flee31")
    waiting = int(res.series["n_present"][0, 1])
    left = int(res.series["new_departures"][1, 1])
    assert within_binomial(left, waiting, 0.3), (
        f"expected about 30% of the {waiting} agents waiting in B to leave on day 1, got {left}")


def test_route_choice_follows_flee_weights(make_scenario, simulate):
    """From a conflict zone A: camps at 240 and 490 km (camp weight 2), a conflict zone at 240 km (weight
    0.25) and a town at 365 km; w = score / (10 + km) = 2/250, 2/500, 0.25/250, 1/375. Every link is longer
    than a day's travel, so day 0's link entries out of A are exactly the first choices."""
    n = 30000
    locs = [("A", "X", "conflict_zone", 1000), ("C1", "Y", "camp", 0), ("C2", "Y", "camp", 0),
            ("Z", "X", "conflict_zone", 0), ("T", "X", "town", 0)]
    routes = [("A", "C1", 240), ("A", "C2", 490), ("A", "Z", 240), ("A", "T", 365)]
    sc = make_scenario(locs, routes, total=[(0, n)], length=1, conflicts={"A": [1.0], "Z": [1.0]},
                       settings={**FIXED_AGENTS, "move_rules": {"camp_weight": 2.0, "conflict_weight": 0.25,
                                                                "max_move_speed": 200.0}})
    res = simulate(sc, seed=12)
    assert res.series["new_spawned"][0].tolist() == [n, 0, 0, 0, 0], "all agents spawn at A (Z has population 0)"
    entries = res.series["new_link_entries"][0, [0, 2, 4, 6]]  # A→C1, A→C2, A→Z, A→T
    w = np.array([2 / 250, 2 / 500, 0.25 / 250, 1 / 375])
    expected = n * w / w.sum()
    chi2 = float(((entries - expected) ** 2 / expected).sum())
    assert entries.sum() == n, "every agent at A (move chance 1) must leave it on day 0"
    # 30.66: chi-square quantile for 3 degrees of freedom at p = 1e-6
    assert chi2 < 30.66, f"route choices {entries.tolist()} do not follow Flee's weights {expected.round(1).tolist()}"


def test_camp_movechance_empties_camps_slowly(make_scenario, simulate):
    n = 20000
    sc = make_scenario([("C", "Y", "camp", 0), ("T", "Y", "town", 0)], [("C", "T", 500)],
                       total=[(0, n)], camps={"C": [(0, n)]}, length=3,
                       settings={"move_rules": {"camp_movechance": 0.05}})
    res = simulate(sc, seed=3)
    assert res.series["new_spawned"][0, 0] == n, "day 0 puts the camp's observed count in the camp"
    left = int(res.series["new_departures"][0, 0])
    assert within_binomial(left, n, 0.05), f"expected about 5% of {n} to leave the camp on day 0, got {left}"
