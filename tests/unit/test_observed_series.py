"""Observed series: Flee's interpolation (flat before the first point, linear truncated to int between
points, flat after the last) and registration corrections (earlier points scaled by v_i / v_{i-1})."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from crossings.scenario.model import Series

LOCS = [("A", "X", "conflict_zone", 1000), ("B", "Y", "camp", 0), ("C", "Y", "camp", 0)]
ROUTES = [("A", "B", 50), ("A", "C", 80)]


def interpolate_by_hand(days: list[float], values: list[float], t: int) -> int:
    """Flee 3.1's DataTable.get_interpolated_data, written out independently."""
    if t <= days[0]:
        return int(values[0])
    for i in range(1, len(days)):
        if t < days[i]:
            frac = (t - days[i - 1]) / (days[i] - days[i - 1])
            return int(values[i - 1] + frac * (values[i] - values[i - 1]))
    return int(values[-1])


def test_interpolation_hand_example():
    s = Series(np.array([2.0, 5.0, 9.0]), np.array([10.0, 20.0, 4.0]))
    expected = [10, 10, 10,  # flat before (and at) the first point
                13, 16,  # 10 + 10/3 = 13.33, 10 + 20/3 = 16.67, truncated
                20, 16, 12, 8,  # 20 - 16/4 * k
                4, 4, 4]  # flat after the last point
    got = s.interpolate(12).tolist()
    assert got == expected, f"expected {expected}, got {got}"


def test_interpolation_truncates_towards_zero_not_rounds():
    s = Series(np.array([0.0, 3.0]), np.array([0.0, 2.0]))
    assert s.interpolate(4).tolist() == [0, 0, 1, 2], "0.67 and 1.33 must truncate to 0 and 1"


def test_interpolation_single_point_is_flat():
    s = Series(np.array([4.0]), np.array([7.9]))
    assert s.interpolate(8).tolist() == [7] * 8, "one data point must give its int value on every day"


def test_interpolation_point_before_the_start_date():
    s = Series(np.array([-10.0, 10.0]), np.array([0.0, 100.0]))
    assert s.interpolate(3).tolist() == [50, 55, 60], "a first point before day 0 must be interpolated from"


@settings(max_examples=60, deadline=None, database=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(-20, 60), st.integers(0, 10**6)), min_size=1, max_size=8,
                unique_by=lambda p: p[0]))
def test_interpolation_matches_flee_rule(points):
    points.sort()
    days = [float(d) for d, _ in points]
    values = [float(v) for _, v in points]
    got = Series(np.array(days), np.array(values)).interpolate(70).tolist()
    expected = [interpolate_by_hand(days, values, t) for t in range(70)]
    assert got == expected, f"interpolation of {points} differs from Flee's rule"


def test_registration_correction_scales_earlier_points(make_scenario):
    # B: 100 on day 0, 200 on day 10, 50 on day 20; correction on day 20 scales days 0 and 10 by 50/200.
    sc = make_scenario(LOCS, ROUTES, length=30, total=[(0, 300), (20, 900)],
                       camps={"B": [(0, 100), (10, 200), (20, 50), (25, 60)], "C": [(0, 7), (5, 8)]},
                       corrections=[("B", 20)])
    b = sc.observed.camp_series[0]
    assert b.values.tolist() == [25.0, 50.0, 50.0, 60.0], f"expected [100, 200] × 0.25 then unchanged, got {b.values}"
    c = sc.observed.camp_series[1]
    assert c.values.tolist() == [7.0, 8.0], "camps without a correction must not change"
    assert sc.observed.total.values.tolist() == [300.0, 900.0], "corrections apply to camp series, not the total"


def test_two_registration_corrections_apply_in_order(make_scenario):
    sc = make_scenario(LOCS, ROUTES, length=30,
                       camps={"B": [(0, 100), (10, 200), (20, 50), (25, 100)]},
                       corrections=[("B", 20), ("B", 25)])
    # first: days 0, 10 × 50/200 -> 25, 50; second: days 0..20 × 100/50 -> 50, 100, 100
    assert sc.observed.camp_series[0].values.tolist() == [50.0, 100.0, 100.0, 100.0], (
        f"expected corrections applied one after the other, got {sc.observed.camp_series[0].values}")


def test_correction_changes_day0_population(make_scenario, simulate):
    sc = make_scenario(LOCS, ROUTES, length=12, total=[(0, 0)],
                       camps={"B": [(0, 100), (10, 200), (11, 50)]}, corrections=[("B", 11)])
    res = simulate(sc, days=1)
    assert res.series["new_spawned"][0, 1] == 25, (
        "day-0 camp agents must come from the corrected series: 100 × 50/200 = 25")


def test_observed_camp_order_follows_locations_csv(make_scenario):
    sc = make_scenario([("C1", "Y", "camp", 0), ("A", "X", "conflict_zone", 5), ("C0", "Y", "camp", 0)],
                       [("A", "C1", 5), ("A", "C0", 5)], camps={"C0": [(0, 3)], "C1": [(0, 4)]})
    assert [sc.locations.name[c] for c in sc.observed.camps] == ["C1", "C0"]
    assert sc.observed.camps_by_day(2).tolist() == [[4, 3], [4, 3]]


def test_two_files_on_one_layout_row_are_added_like_flee(scenario_dir):
    """car2013 has such rows (Inke, Betou, Mboti); Flee's AddCSVTables back-fills the first file."""
    import crossings as cx

    root = scenario_dir(LOCS, ROUTES, length=12, camps={"B": [(3, 100), (10, 200)]})
    (root / "source_data" / "extra.csv").write_text("Date,Count\n2020-01-01,0\n2020-01-06,50\n")
    layout = (root / "source_data" / "data_layout.csv").read_text()
    layout = layout.replace("B,camp0.csv", "B,camp0.csv,extra.csv")
    (root / "source_data" / "data_layout.csv").write_text(layout)
    sc = cx.load_scenario(root)
    # Flee 3.1 (datamanager/DataTable.AddCSVTables with table1 = camp0.csv, table2 = extra.csv) gives the
    # points (0, 0 + 100), (3, 0 + 100), (5, 50 + 200): day 0 is back-filled with camp0.csv's first value.
    got = sc.observed.camps_by_day(6)[:, 0].tolist()
    assert got[0] == 100, f"expected Flee's day-0 value 100 (camp0.csv back-filled), got {got}"
    assert got == [100, 100, 100, 100, 175, 250], f"expected Flee 3.1's summed series, got {got}"


def test_interpolated_total_matches_hand_values(make_scenario):
    sc = make_scenario(LOCS, ROUTES, length=8, total=[(0, 10), (4, 30), (6, 25)])
    got = sc.observed.total_by_day(8).tolist()
    expected = [10, 15, 20, 25, 30, 27, 25, 25]
    assert got == expected, f"expected {expected}, got {got}"
    assert all(isinstance(v, int) for v in got) and not any(math.isnan(v) for v in got)
