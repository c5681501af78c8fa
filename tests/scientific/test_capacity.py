"""Camp capacity (flee-model.md §1.6 item 3 and checklist item 7): a full camp has capmult 0, so it gets
no new route choices, and a route to a camp whose capmult < 0.5 is dropped when the next step is taken."""

from __future__ import annotations

import pytest

N = 1000
LOCS = [("A", "X", "conflict_zone", 1000), ("F", "X", "camp", 100), ("G", "X", "camp", 0)]
# F is close (50 km, weight 1/60) and G far (300 km, weight 1/310): without a limit most agents pick F.
ROUTES = [("A", "F", 50), ("A", "G", 300)]
STAY = {"move_rules": {"camp_movechance": 0.0}}


def capmult(n: int, capacity: int, buffer: float) -> float:
    """Flee's capacity multiplier, by hand (flee-model.md §1.6 item 3)."""
    if capacity < 1 or n <= buffer * capacity:
        return 1.0
    if n >= capacity:
        return 0.0
    return 1.0 - (n - buffer * capacity) / (capacity * (1.0 - buffer))


@pytest.mark.parametrize("rules", ["flee31", "fixes"])
def test_full_camp_gets_no_new_agents(make_scenario, simulate, rules):
    # F has capacity 100 and holds 100 agents from day 0; 1000 agents appear at A on day 1
    sc = make_scenario(LOCS, ROUTES, total=[(0, 100), (1, 100 + N)], camps={"F": [(0, 100)]}, length=8,
                       settings=STAY)
    res = simulate(sc, seed=3, rules=rules)
    s = res.series
    assert s["new_spawned"][0, 1] == 100, "day 0 fills F to its capacity from its observed count"
    assert s["new_link_entries"][:, 0].sum() == 0, "nobody may choose a route to a full camp"
    assert s["new_arrivals"][:, 1].sum() == 0 and s["n_present"][:, 1].tolist() == [100] * 8, (
        "the full camp must keep exactly its 100 agents")
    assert s["n_present"][-1, 2] == N, "everyone else must go to the other camp"


def test_same_camp_without_a_limit_attracts_most_agents(make_scenario, simulate):
    """Control for the test above: with capacity 0 (unlimited) F gets (1/60) / (1/60 + 1/310) = 84% of them."""
    locs = [LOCS[0], ("F", "X", "camp", 0), LOCS[2]]
    sc = make_scenario(locs, ROUTES, total=[(0, 100), (1, 100 + N)], camps={"F": [(0, 100)]}, length=8,
                       settings=STAY)
    res = simulate(sc, seed=3)
    share = res.series["new_link_entries"][1, 0] / N
    expected = (1 / 60) / (1 / 60 + 1 / 310)
    assert abs(share - expected) < 0.06, f"expected about {expected:.0%} of agents to pick F, got {share:.0%}"


def test_camp_that_fills_gets_no_new_route_choices(make_scenario, simulate):
    # 1000 agents a day appear at A; F (capacity 100, 50 km away) fills and stays (nearly) full
    sc = make_scenario(LOCS, ROUTES, total=[(0, 0), (10, 10 * N)], length=10, settings=STAY)
    res = simulate(sc, seed=4)
    s = res.series
    filled = [t for t in range(10) if capmult(int(s["n_present"][t, 1]), 100, 0.9) < 0.5]
    assert filled, f"F must fill up (present by day: {s['n_present'][:, 1].tolist()})"
    first = filled[0]
    assert s["new_link_entries"][first + 1:, 0].sum() == 0, (
        f"F's capmult is below 0.5 from day {first}: expected no entries towards it afterwards, got "
        f"{s['new_link_entries'][first + 1:, 0].tolist()}")
    assert s["new_link_entries"][first + 1:, 2].sum() > 0, "new agents must go to G instead"


@pytest.mark.parametrize("rules", ["flee31", "fixes"])
def test_route_to_a_camp_that_fills_is_dropped(make_scenario, simulate, rules):
    """Awareness 2: on day 1 everyone at A picks A>T>F (F a camp of capacity 100, camp weight 1e6); they
    reach town T with 50 km of the day left. Once F's capmult is below 0.5 nobody may step from T towards
    F, even though many agents still hold that route (under flee31 they wait in T at its move chance)."""
    locs = [("A", "X", "conflict_zone", 1000), ("T", "X", "town", 0), ("F", "X", "camp", 100),
            ("G", "X", "camp", 0)]
    routes = [("A", "T", 150), ("T", "F", 100), ("A", "G", 450)]
    buffer = 0.5
    sc = make_scenario(locs, routes, total=[(0, 0), (1, N)], length=12,
                       settings={"move_rules": {"awareness_level": 2, "camp_weight": 1e6, "camp_movechance": 0.0,
                                                "capacity_buffer": buffer}})
    res = simulate(sc, seed=6, rules=rules)
    s = res.series
    present_f = s["n_present"][:, 2]
    low = [t for t in range(12) if capmult(int(present_f[t]), 100, buffer) < 0.5]
    assert low, f"F must fill up (present by day: {present_f.tolist()})"
    t0 = low[0]
    later = s["new_link_entries"][t0 + 1:, 2]  # link 2 = T→F
    assert later.sum() == 0, (
        f"F's capmult is below 0.5 from the end of day {t0}: expected no steps from T towards it, got {later.tolist()}")
    assert present_f[-1] == present_f[t0], "F must not grow once it is (nearly) full"
    assert s["n_present"][-1, 1] < s["n_present"][t0, 1] or rules == "fixes", (
        "flee31: route-holders waiting in T must eventually re-plan and leave")
