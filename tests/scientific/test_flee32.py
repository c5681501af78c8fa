"""Flee 3.2's spawning and capacity settings with hand-worked answers (flee-model.md §1.3 HEAD note, §1.6 item 3):
``sum_from_camps`` makes daily new agents the day-on-day change of the sum of the camp series (refugees.csv
no longer matters), ``capacity_scaling`` multiplies camp capacities in the capacity multiplier, and under
``flee32`` the day-0 population is taken off each camp's capacity."""

from __future__ import annotations

import pytest
from test_capacity import capmult  # Flee's capacity multiplier by hand (flee-model.md §1.6 item 3)

# a 3-location toy conflict: conflict zone A, camps K and L
LOCS = [("A", "X", "conflict_zone", 1000), ("K", "Y", "camp", 0), ("L", "Y", "camp", 0)]
ROUTES = [("A", "K", 50), ("A", "L", 80)]
CAMPS = {"K": [(0, 10), (4, 50)], "L": [(0, 5), (2, 25), (3, 5), (6, 45)]}
# refugees.csv says something else entirely: with sum_from_camps it must not matter
TOTAL = [(0, 1000), (9, 9999)]
STAY = {"camp_movechance": 0.0}


def test_sum_from_camps_spawns_the_change_of_the_camp_sum(make_scenario, simulate):
    sc = make_scenario(LOCS, ROUTES, length=9, total=TOTAL, camps=CAMPS,
                       settings={"spawn_rules": {"sum_from_camps": True}, "move_rules": STAY})
    res = simulate(sc, seed=4, rules="flee32")
    # By hand. K: 10, 20, 30, 40, 50, 50, 50, 50, 50 (10 a day to day 4). L: 5, 15, 25, 5, 18, 31, 45, 45, 45
    # (line to 25 on day 2, drop to 5 on day 3, then 5 + 40/3 a day, truncated: 18.33 -> 18, 31.67 -> 31).
    # S(t) = K + L: 15, 35, 55, 45, 68, 81, 95, 95, 95.
    # Day 0 pre-populates the camps (10 + 5); then S(t) - S(t-1) less the debt: +20, +20, -10 (debt 10),
    # 23 - 10 = 13, +13, +14, 0, 0.
    spawned = [15, 20, 20, 0, 13, 13, 14, 0, 0]
    debt = [0, 0, 0, 10, 0, 0, 0, 0, 0]
    got = res.series["new_spawned"].sum(axis=1).tolist()
    assert got == spawned, f"agents spawned per day: expected {spawned}, got {got}"
    assert res.refugee_debt.tolist() == debt, f"refugee debt: expected {debt}, got {res.refugee_debt.tolist()}"
    assert res.n_agents[-1] == 95, "the agents end at the camp sum of the last day (the debt paid)"
    assert res.series["new_spawned"][1:, 1:].sum() == 0, "after day 0 agents appear only at the conflict zone"


@pytest.mark.parametrize("rules", ["flee31", "fixes"])
def test_without_flee32_or_the_key_refugees_csv_drives_spawning(make_scenario, simulate, rules):
    """flee31 ignores sum_from_camps (as Flee 3.1 does); fixes applies it only when set: both spawn from
    refugees.csv here: 15 on day 0, then int T(t) - int T(t-1), T on the line 1000 -> 9999 over 9 days."""
    key = {"sum_from_camps": True} if rules == "flee31" else {}
    sc = make_scenario(LOCS, ROUTES, length=9, total=TOTAL, camps=CAMPS,
                       settings={"spawn_rules": key, "move_rules": STAY})
    res = simulate(sc, seed=4, rules=rules)
    total = [int(1000 + t * 8999 / 9) for t in range(9)]
    spawned = [15] + [total[t] - total[t - 1] for t in range(1, 9)]
    assert res.series["new_spawned"].sum(axis=1).tolist() == spawned


# capacity_scaling: F (capacity 100, 50 km) holds 70 agents from day 0; G (unlimited, 300 km) none; 1000 agents
# appear at A on day 1 (from refugees.csv: sum_from_camps off, or the constant camp sum would spawn nobody) and all
# choose a route that day, with F's 70 (no one arrives before the move phase ends).
N = 1000
CAP_LOCS = [("A", "X", "conflict_zone", 1000), ("F", "X", "camp", 100), ("G", "X", "camp", 0)]
CAP_ROUTES = [("A", "F", 50), ("A", "G", 300)]


def share_of_f(cm: float) -> float:
    """Share of route choices to F: weight (1/60)·capmult against G's 1/310 (route weight score·capmult/(10+km))."""
    return (cm / 60) / (cm / 60 + 1 / 310) if cm >= 0.5 else 0.0  # a route to a camp below 0.5 is dropped


@pytest.mark.parametrize("rules,scaling,capacity", [
    ("fixes", 1.0, 100),    # capmult 1 - (70 - 50) / 50 = 0.6: share 0.756
    ("fixes", 1.5, 150),    # 70 <= 0.5 x 150: capmult 1, share 0.838
    ("flee31", 1.5, 100),       # Flee 3.1 ignores the key: as with 1.0
    ("flee32", 1.5, 150 - 70),  # Flee 3.2 also takes the day-0 70 off: capmult 1 - (70 - 40) / 40 = 0.25 < 0.5
    ("flee32", 2.5, 250 - 70),  # 180: 70 <= 90, capmult 1
])
def test_capacity_scaling_in_the_capacity_multiplier(make_scenario, simulate, rules, scaling, capacity):
    sc = make_scenario(CAP_LOCS, CAP_ROUTES, total=[(0, 70), (1, 70 + N)], camps={"F": [(0, 70)]}, length=3,
                       settings={"move_rules": {"camp_movechance": 0.0, "capacity_buffer": 0.5,
                                                "capacity_scaling": scaling},
                                 "spawn_rules": {"sum_from_camps": False}})
    res = simulate(sc, seed=5, rules=rules)
    expected = share_of_f(capmult(70, capacity, 0.5))
    entries = res.series["new_link_entries"][1]
    got = entries[0] / N  # link 0 is A -> F, link 2 is A -> G
    assert res.series["new_spawned"][1, 0] == N
    if expected > 0:
        assert entries[0] + entries[2] == N, "everyone at A leaves on day 1"
    else:
        assert entries[2] > 0.3 * N, "those who chose F stay at A, the others leave for G"
    # binomial sd of the share is at most 0.016 for 1000 agents: 0.05 is three of them
    assert abs(got - expected) < 0.05, f"share of agents choosing F: expected {expected:.3f}, got {got:.3f}"
