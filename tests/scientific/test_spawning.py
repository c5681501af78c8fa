"""Data-driven spawning (flee-model.md §1.3): day-0 camp pre-population, daily inflow int T(t) − int T(t−1)
less the refugee debt, agents never removed, spawn places only conflict zones, ∝ population × intensity ×
decay; plus the ARD of runs is finite and the rescaled one at most 2."""

from __future__ import annotations

import math

import numpy as np
import pytest

import crossings as cx

# 1e-6 upper quantiles of chi-square by degrees of freedom (fixed seeds make the tests deterministic; the
# wide quantiles keep them valid when the engine's random streams change)
CHI2_1E6 = {1: 23.93, 2: 27.63, 3: 30.66, 4: 33.38}


def chi2(observed: np.ndarray, weights: np.ndarray) -> float:
    expected = observed.sum() * weights / weights.sum()
    return float(((observed - expected) ** 2 / expected).sum())


def interpolate(points: list[tuple[int, float]], t: int) -> int:
    """Flee's interpolation of an observed series, by hand."""
    if t <= points[0][0]:
        return int(points[0][1])
    for (d0, v0), (d1, v1) in zip(points, points[1:], strict=False):
        if t < d1:
            return int(v0 + (t - d0) / (d1 - d0) * (v1 - v0))
    return int(points[-1][1])


LOCS = [("A", "X", "conflict_zone", 1000), ("B", "X", "conflict_zone", 3000), ("C", "X", "conflict_zone", 6000),
        ("T", "X", "town", 50000), ("K", "Y", "camp", 0), ("L", "Y", "camp", 0)]
ROUTES = [("A", "K", 50), ("B", "K", 50), ("C", "K", 50), ("T", "K", 50), ("T", "L", 30)]


def test_inflow_follows_the_total_with_refugee_debt(make_scenario, simulate):
    total = [(0, 100), (5, 600), (10, 300), (14, 420), (20, 1000)]
    camps = {"K": [(0, 30), (20, 200)], "L": [(0, 12)]}
    sc = make_scenario(LOCS, ROUTES, length=22, total=total, camps=camps)
    res = simulate(sc, seed=1)
    # expected by hand: day 0 pre-populates camps; then diff of truncated totals, debt first
    spawned, debt_by_day, debt = [30 + 12], [0], 0
    for t in range(1, 22):
        new = interpolate(total, t) - interpolate(total, t - 1) - debt
        debt = -new if new < 0 else 0
        spawned.append(max(new, 0))
        debt_by_day.append(debt)
    got = res.series["new_spawned"].sum(axis=1).tolist()
    assert got == spawned, f"agents spawned per day: expected {spawned}, got {got}"
    assert res.refugee_debt.tolist() == debt_by_day, f"refugee debt: expected {debt_by_day}, got {res.refugee_debt}"
    assert res.n_agents.tolist() == np.cumsum(spawned).tolist(), "agents = cumulative spawns (nobody removed)"
    assert np.all(np.diff(res.n_agents) >= 0), "the number of agents may never decrease"
    assert max(debt_by_day) > 0, "the scenario must exercise the debt rule"
    assert res.n_agents[-1] == 42 + interpolate(total, 21) - interpolate(total, 0), (
        "3.1's total: Σ D_c(0) + T(t) − T(0) once the debt is paid")


def test_day0_prepopulates_camps_and_spawns_nowhere_else(make_scenario, simulate):
    sc = make_scenario(LOCS, ROUTES, length=3, total=[(0, 5000), (2, 5000)],
                       camps={"K": [(0, 70), (2, 90)], "L": [(1, 33)]})
    res = simulate(sc, seed=1)
    assert res.series["new_spawned"][0].tolist() == [0, 0, 0, 0, 70, 33], (
        "day 0 must put int D_c(0) agents in each camp (L back-filled with its first report) and no one else")


def test_without_insert_day0_day0_spawns_the_total_at_conflict_zones(make_scenario, simulate):
    sc = make_scenario(LOCS, ROUTES, length=3, total=[(0, 5000)], camps={"K": [(0, 70)]},
                       settings={"spawn_rules": {"insert_day0": False}})
    res = simulate(sc, seed=1)
    day0 = res.series["new_spawned"][0]
    assert day0.sum() == 5000 and day0[3:].sum() == 0, f"expected int T(0) = 5000 at conflict zones, got {day0}"


def test_spawn_places_are_conflict_zones_in_proportion_to_population(make_scenario, simulate):
    n = 40000
    sc = make_scenario(LOCS, ROUTES, length=3, total=[(0, 0), (1, n)])
    res = simulate(sc, seed=2)
    day1 = res.series["new_spawned"][1]
    assert day1[3:].sum() == 0, f"no spawns at the town or the camps, got {day1.tolist()}"
    stat = chi2(day1[:3], np.array([1000.0, 3000.0, 6000.0]))
    assert stat < CHI2_1E6[2], f"spawns {day1[:3].tolist()} are not ∝ populations 1000:3000:6000 (chi2 {stat:.1f})"


@pytest.mark.parametrize("source", ["conflicts.csv", "locations.csv"])
def test_spawn_weight_uses_conflict_intensity(scenario_dir, simulate, source):
    """A: population 1000 at intensity 3 against B: 3000 at intensity 1 gives equal spawns. The intensity
    comes from conflicts.csv on the onset day, or from locations.csv's conflict_intensity column for a
    conflict zone that conflicts.csv does not list."""
    locs = [("A", "X", "conflict_zone", 1000), ("B", "X", "conflict_zone", 3000), ("K", "Y", "camp", 0)]
    conflicts = {"A": [3.0] * 3, "B": [1.0] * 3} if source == "conflicts.csv" else {"B": [1.0] * 3}
    root = scenario_dir(locs, [("A", "K", 50), ("B", "K", 50)], length=3, total=[(0, 0), (1, 20000)],
                        conflicts=conflicts)
    if source == "locations.csv":
        loc_file = root / "input_csv" / "locations.csv"
        lines = loc_file.read_text().splitlines()
        lines[0] += ",conflict_intensity"
        lines[1] += ",3"
        loc_file.write_text("\n".join(lines) + "\n")
    res = simulate(cx.load_scenario(root), seed=3)
    day1 = res.series["new_spawned"][1]
    stat = chi2(day1[:2], np.array([3000.0, 3000.0]))
    assert stat < CHI2_1E6[1], f"expected equal spawns at A (1000 × 3) and B (3000 × 1), got {day1[:2].tolist()}"


def test_no_spawns_before_a_conflict_starts(make_scenario, simulate):
    # C becomes a conflict zone on day 4 (conflict_date and conflicts.csv); a spike of the total on day 2 and 6
    locs = [("A", "X", "conflict_zone", 1000), ("C", "X", "conflict_zone", 9000, 4), ("K", "Y", "camp", 0)]
    sc = make_scenario(locs, [("A", "K", 50), ("C", "K", 50)], length=8,
                       total=[(0, 0), (1, 0), (2, 2000), (5, 2000), (6, 12000)])
    res = simulate(sc, seed=4)
    spawned = res.series["new_spawned"]
    assert spawned[:4, 1].sum() == 0, f"C is a town until day 4: expected no spawns there, got {spawned[:4, 1]}"
    assert spawned[2, 0] == 2000, "before C's onset every new agent appears at A"
    assert chi2(spawned[6, :2], np.array([1000.0, 9000.0])) < CHI2_1E6[1], (
        f"after C's onset spawns must be ∝ 1000:9000, got {spawned[6, :2].tolist()}")


def test_spawn_weight_decays_with_time_since_onset(make_scenario, simulate):
    """Decay list [1, 1, 1, 0.5, 0.1] in 30-day bins: on day 125, A (onset day 0, 124 days at the time of
    Flee's weights) weighs 0.1 × 1000 and B (onset day 100) 1.0 × 1000."""
    locs = [("A", "X", "conflict_zone", 1000), ("B", "X", "conflict_zone", 1000, 100), ("K", "Y", "camp", 0)]
    sc = make_scenario(locs, [("A", "K", 50), ("B", "K", 50)], length=127,
                       total=[(0, 0), (124, 0), (125, 22000)],
                       settings={"spawn_rules": {"conflict_spawn_decay": [1.0, 1.0, 1.0, 0.5, 0.1]}})
    res = simulate(sc, seed=5)
    day = res.series["new_spawned"][125, :2]
    assert day.sum() == 22000
    assert chi2(day, np.array([0.1, 1.0])) < CHI2_1E6[1], f"expected spawns ∝ 0.1 : 1, got {day.tolist()}"


@pytest.mark.parametrize(("day", "weight_a"), [(90, 1.0), (91, 0.5)])
def test_spawn_weights_date_from_the_previous_day(make_scenario, simulate, day, weight_a):
    """Flee spawns before it refreshes the weights, so day t's spawns use the decay at t − 1 (unless a
    conflict starts on day t): A (onset day 0) still has full weight on day 90 (89 days) and half on day 91."""
    locs = [("A", "X", "conflict_zone", 1000), ("B", "X", "conflict_zone", 1000, 80), ("K", "Y", "camp", 0)]
    sc = make_scenario(locs, [("A", "K", 50), ("B", "K", 50)], length=day + 2,
                       total=[(0, 0), (day - 1, 0), (day, 30000)],
                       settings={"spawn_rules": {"conflict_spawn_decay": [1.0, 1.0, 1.0, 0.5, 0.1]}})
    res = simulate(sc, seed=7)
    got = res.series["new_spawned"][day, :2]
    assert chi2(got, np.array([weight_a, 1.0])) < CHI2_1E6[1], (
        f"day {day}: expected spawns at A and B ∝ {weight_a} : 1, got {got.tolist()}")


@pytest.mark.parametrize(("intensity", "rules", "a_spawns"), [
    ([1, 1, 1, 0, 0, 0, 0, 0], "flee31", False),  # 1 → 0: reverts to a town in both rule sets
    ([1, 1, 1, 0, 0, 0, 0, 0], "fixes", False),
    ([0.5, 0.5, 0.5, 0, 0, 0, 0, 0], "flee31", True),  # 3.1 reverts only after exactly 1
    ([0.5, 0.5, 0.5, 0, 0, 0, 0, 0], "fixes", False),
])
def test_conflict_end(make_scenario, simulate, intensity, rules, a_spawns):
    locs = [("A", "X", "conflict_zone", 1000), ("B", "X", "conflict_zone", 1000), ("K", "Y", "camp", 0)]
    sc = make_scenario(locs, [("A", "K", 50), ("B", "K", 50)], length=8, total=[(0, 0), (5, 0), (6, 3000)],
                       conflicts={"A": intensity, "B": [1] * 8})
    res = simulate(sc, seed=6, rules=rules)
    at_a = int(res.series["new_spawned"][6, 0])
    if a_spawns:
        # A keeps its first intensity 0.5: weight 500 against B's 1000
        assert abs(at_a - 1000) <= 5 * math.sqrt(3000 * (1 / 3) * (2 / 3)), (
            f"{rules}: A is still a conflict zone of intensity 0.5, expected about 1000 of 3000 spawns, got {at_a}")
    else:
        assert at_a == 0, f"{rules}: A's conflict has ended, expected no spawns there, got {at_a}"


def test_ard_of_runs_is_finite_and_rescaled_at_most_two(demo_dir, reference_run):
    runs = {"demo": cx.run(demo_dir, seed=0)}
    try:
        runs["mali2012"] = reference_run("mali2012")
    except pytest.skip.Exception:
        pass
    from crossings.observed.metrics import ard_series

    for name, res in runs.items():
        ard = res.ard()
        assert set(ard) == {"ard_normal", "ard_rescaled"}
        assert all(math.isfinite(v) and v >= 0 for v in ard.values()), f"{name}: ARD must be finite, got {ard}"
        daily = ard_series(res.camp_sim(), res.camp_data(), rescaled=True)
        assert np.all(daily <= 2.0 + 1e-12), f"{name}: the rescaled ARD is at most 2 on every day"
        assert ard["ard_rescaled"] <= 2.0, f"{name}: rescaled ARD {ard['ard_rescaled']} exceeds 2"
