"""Fit tables, part one: every quantity on a small hand-made run whose answers are worked out by hand, the
Parquet view of a run equals the in-memory one, and the scoring rules (band, ratio, loss) on ranges, one-sided
ranges, single values and negative values."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

import crossings as cx
from crossings.api import read_run, write_run
from crossings.engine.model import get_model
from crossings.observed import (
    FACTOR,
    RunTables,
    band,
    fit_loss,
    fit_rows,
    fit_summary,
    loss,
    parse_sim,
    ratio,
    simulate,
    source_band,
    within,
)
from crossings.observed.observations import Observation
from crossings.scenarios.emigration_demo import write_emigration_demo

START = dt.date(2022, 1, 1)
DAYS = 4


def col(values_by_column: dict[int, list[int]], width: int) -> np.ndarray:
    """A (DAYS, width) int array, zero except the given columns."""
    a = np.zeros((DAYS, width), dtype=np.int64)
    for j, v in values_by_column.items():
        a[:, j] = v
    return a


def hand_run(with_categories: bool = True) -> RunTables:
    """Four days, 10 people per agent. Countries A (home), B, C. Locations O, X (crossing), Port (A), CityB (B),
    CityC (C). Links: 0 O→X, 1 X→CityB, 2 CityB→X, 3 Port→CityC (flight), 4 CityC→Port, 5 CityB→CityC."""
    country = {
        "new_entries": np.array([[0, 2, 1], [1, 3, 0], [0, 5, 2], [2, 0, 1]]),
        "new_exits": np.array([[0, 0, 0], [0, 1, 0], [3, 0, 0], [0, 2, 1]]),
        "n_in_country": np.array([[5, 2, 1], [4, 4, 1], [1, 9, 3], [2, 7, 3]]),
        "new_visa_runs": col({1: [0, 1, 0, 2]}, 3),
        "new_registrations": col({1: [0, 0, 1, 1]}, 3),
        "n_registered": col({1: [0, 0, 1, 2]}, 3),
        "new_permit_applications": col({2: [0, 1, 1, 0]}, 3),
        "new_permits_granted": col({2: [0, 0, 0, 1]}, 3),
        "n_permits": col({2: [0, 0, 0, 1]}, 3),
        "new_returns": col({1: [0, 0, 1, 0]}, 3),
    }
    category = {
        "cat_left_home": np.array([[3, 1], [2, 0], [0, 1], [1, 1]]),
        "cat_returned": np.array([[0, 0], [1, 0], [0, 1], [1, 0]]),
        "cat_away": np.array([[3, 1], [4, 1], [4, 1], [4, 2]]),
    }
    return RunTables(
        start_date=START, days=DAYS, people_per_agent=10.0, countries=("A", "B", "C"), home_countries=("A",),
        country=country, locations=("O", "X", "Port", "CityB", "CityC"),
        location_country=("A", "A", "A", "B", "C"),
        location={"n_present": col({1: [2, 0, 1, 0], 3: [1, 3, 8, 6]}, 5)},
        crossings=("X",),
        crossing={"n_queue": col({0: [4, 6, 2, 0]}, 1), "new_passages": col({0: [1, 2, 0, 3]}, 1),
                  "sum_wait_days": col({0: [0, 3, 0, 6]}, 1)},
        link_src=np.array([0, 1, 3, 2, 4, 3]), link_dst=np.array([1, 3, 1, 4, 2, 4]),
        link={"new_border_crossings": col({1: [1, 2, 0, 3], 2: [0, 1, 0, 2], 3: [0, 1, 2, 0], 4: [0, 0, 1, 1],
                                           5: [1, 0, 0, 1]}, 6)},
        categories=("x", "y") if with_categories else (), category=category if with_categories else {},
    )


def day(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


def value(expr: str, d0: int = 1, d1: int = 2, run: RunTables | None = None) -> float | None:
    got = simulate(run or hand_run(), parse_sim(expr), day(d0), day(d1))
    assert got.status == "ok", f"{expr}: {got.status} ({got.note})"
    return got.value


# Days 1..2 unless given; every count × 10 people per agent.
@pytest.mark.parametrize("expr,d0,d1,expected", [
    ("entries(country=B)", 1, 2, (3 + 5) * 10),
    ("entries(country=*abroad)", 1, 2, (3 + 0 + 5 + 2) * 10),  # B and C; A holds the origins
    ("entries(country=B+C)", 1, 2, 100),
    ("exits(country=B)", 1, 2, (1 + 0) * 10),
    ("net(country=B)", 1, 2, 80 - 10),
    ("net(country=A)", 0, 3, (3 - 3) * 10),
    ("entries_per_day(country=B)", 1, 2, 40),
    ("exits_per_day(country=B)", 1, 2, 5),
    ("peak_entries_per_day(country=B)", 0, 3, 50),
    ("stock(country=B)", 1, 2, 90),  # n_in_country on day 2
    ("stock_change(country=B)", 1, 2, (9 - 2) * 10),  # minus day 0
    ("stock_change(country=B)", 0, 2, 90),  # before the run nobody is anywhere
    ("visa_runs(country=B)", 1, 3, (1 + 0 + 2) * 10),
    ("registrations(country=B)", 1, 3, 20),
    ("registered(country=B)", 1, 3, 20),
    ("permit_applications(country=C)", 0, 3, 20),
    ("permits_granted(country=C)", 0, 3, 10),
    ("permits(country=C)", 0, 2, 0),
    ("permits(country=C)", 0, 3, 10),
    ("returns(country=B)", 0, 3, 10),
    # border points: link 1 X→CityB leaves A at the crossing X, link 2 CityB→X comes back into A there
    ("entries(crossing=X)", 1, 2, (2 + 0) * 10),  # without country=: out of the crossing's own country
    ("exits(crossing=X)", 1, 2, 20),
    ("entries(country=B;crossing=X)", 1, 2, 20),
    ("entries(country=A;crossing=X)", 1, 2, (1 + 0) * 10),
    ("exits(country=B;crossing=X)", 1, 2, 10),
    ("entries(location=CityC)", 1, 2, ((1 + 2) + (0 + 0)) * 10),  # the flight from Port and from CityB land here
    ("entries(country=C;location=CityC)", 1, 3, (1 + 2 + 0) * 10 + (0 + 0 + 1) * 10),
    ("exits(location=Port)", 1, 2, 30),  # a flight's exit is counted at the airport it leaves
    ("entries(location=Port)", 1, 3, (0 + 1 + 1) * 10),
    ("entries_per_day(crossing=X)", 0, 3, (1 + 2 + 0 + 3) / 4 * 10),
    ("peak_entries_per_day(crossing=X)", 0, 3, 30),
    ("stock(location=CityB)", 1, 2, 80),
    ("stock(crossing=X)", 1, 2, 10),  # its n_present
    ("stock_change(location=CityB)", 1, 3, (6 - 1) * 10),
    ("queue(crossing=X)", 1, 2, (6 + 2) / 2 * 10),
    ("wait_days(crossing=X)", 1, 3, (3 + 0 + 6) / (2 + 0 + 3)),  # not in people
    ("left_home(category=x)", 1, 2, 20),
    ("left_home(category=*)", 1, 2, (2 + 0 + 0 + 1) * 10),
    ("returned(category=x+y)", 1, 2, (1 + 0 + 0 + 1) * 10),
    ("away(category=x)", 1, 2, 40),
    ("returned_share(category=*)", 1, 2, (1 + 1) / (5 + 2)),  # cumulative from the run's start
    ("returned_share(category=x)", 3, 3, 2 / 6),
    ("returned_of_away(category=*)", 1, 3, (1 + 1 + 1) / (3 + 1)),  # returns in the period ÷ away on day 0
    ("returned_of_away(category=x)", 2, 3, (0 + 1) / 4),
    ("input:42", 1, 2, 42),
    # from=: only the border crossings over links that leave the named countries (FSB-style "departures to")
    ("entries(country=C;from=A)", 1, 2, (1 + 2) * 10),  # the flight Port→CityC, not the road CityB→CityC
    ("entries(country=C;from=B)", 0, 3, (1 + 0 + 0 + 1) * 10),
    ("entries(country=C;from=A+B)", 0, 3, (3 + 2) * 10),
    ("entries(country=*abroad;from=A)", 1, 2, ((2 + 0) + (1 + 2)) * 10),  # into B over X, into C by air
    ("entries_per_day(country=B;from=A)", 0, 3, (1 + 2 + 0 + 3) / 4 * 10),
    ("peak_entries_per_day(country=C;from=A)", 0, 3, 20),
    ("entries(location=CityC;from=B)", 0, 3, 20),
    ("entries(crossing=X;from=A)", 1, 2, 20),
    ("entries(country=A;crossing=X;from=B)", 1, 2, 10),
    ("entries(country=A;crossing=X;from=C)", 0, 3, 0),
])
def test_each_quantity_by_hand(expr, d0, d1, expected):
    assert value(expr, d0, d1) == pytest.approx(expected), expr


def test_a_return_rate_needs_someone_away_before_the_period():
    got = simulate(hand_run(), parse_sim("returned_of_away(category=*)"), day(0), day(2))
    assert got.value is None and got.status == "unavailable" and "day before" in got.note


def test_immigrants_are_the_stays_of_the_period_that_reached_183_days():
    import dataclasses

    days = 400
    long = np.zeros((days, 3), dtype=np.int64)
    long[183 + 1, 1], long[183 + 2, 1], long[183 + 5, 1], long[183 + 1, 2] = 2, 3, 7, 4
    run = dataclasses.replace(hand_run(), days=days, country={"new_long_stays": long})
    assert value("immigrants(country=B)", 1, 2, run) == (2 + 3) * 10, "counted 183 days after the stay began"
    assert value("immigrants(country=B+C)", 0, 5, run) == (2 + 3 + 7 + 4) * 10
    late = simulate(run, parse_sim("immigrants(country=B)"), day(100), day(300))
    assert late.value is None and late.status == "outside run" and "183 days" in late.note


def test_periods_are_clipped_or_outside_the_run():
    run = hand_run()
    got = simulate(run, parse_sim("entries(country=B)"), dt.date(2021, 12, 1), day(1))
    assert got.value == (2 + 3) * 10 and "clipped" in got.note
    got = simulate(run, parse_sim("stock(country=B)"), day(2), dt.date(2023, 1, 1))
    assert got.value == 70 and "clipped" in got.note, "a stock at a period end after the run is the last day's"
    assert simulate(run, parse_sim("entries(country=B)"), day(4), day(9)).status == "outside run"
    assert simulate(run, parse_sim("input:5"), day(40), day(41)).value == 5, "inputs do not depend on the period"


def test_what_cannot_be_computed_says_why():
    run = hand_run(with_categories=False)
    got = simulate(run, parse_sim("left_home(category=*)"), day(0), day(3))
    assert got.value is None and got.status == "unavailable" and "needs categories.parquet" in got.note
    got = simulate(hand_run(), parse_sim("wait_days(crossing=X)"), day(2), day(2))
    assert got.status == "unavailable" and "nobody passed" in got.note
    for expr in ("entries(country=Z)", "stock(location=Nowhere)", "queue(crossing=Y)", "away(category=z)",
                 "entries(country=B;from=Z)"):
        got = simulate(hand_run(), parse_sim(expr), day(0), day(3))
        assert got.status == "not in this run", expr


@pytest.mark.parametrize("text,words", [
    ("entries", "not none, input:NUMBER or quantity(target)"),
    ("entires(country=A)", "did you mean 'entries'"),
    ("queue(country=A)", "takes crossing=NAME"),
    ("permits(crossing=X)", "takes country=NAME"),
    ("left_home(country=A)", "takes category=NAME"),
    ("entries()", "needs a target"),
    ("entries(city=A)", "KIND=NAME"),
    ("entries(country=A;country=B)", "given twice"),
    ("entries(crossing=X;location=Y)", "give one of"),
    ("entries(country=A+)", "empty name"),
    ("stock(country=A;location=Y)", "takes no country"),
    ("entries(country=*)", "only country=*abroad"),
    ("input:lots", "not a number"),
    ("exits(country=A;from=B)", "filters entries only"),
    ("stock(country=A;from=B)", "filters entries only"),
    ("entries(from=B)", "needs a target"),
    ("entries(country=A;from=*abroad)", "takes country names"),
    ("entries(country=A;from=B;from=C)", "given twice"),
])
def test_bad_sim_expressions(text, words):
    with pytest.raises(ValueError, match=None) as info:
        parse_sim(text)
    assert words in str(info.value), f"{text!r}: {info.value}"


def test_sim_expressions_round_trip():
    for text in ("entries(country=Georgia)", "entries(country=Georgia;crossing=Upper_Lars)", "input:30", "none",
                 "returned_share(category=*)", "stock(country=*abroad+Russia)",
                 "entries(country=Armenia;from=Russia)", "entries(country=Georgia;crossing=Upper_Lars;from=Russia)"):
        assert str(parse_sim(text)) == text
    assert str(parse_sim(" Entries ( country = A , crossing = X ) ")) == "entries(country=A;crossing=X)"


# ---- scoring -------------------------------------------------------------------------------------------------

def test_a_single_value_is_widened_by_a_quarter_on_each_side():
    assert band(100, None, None) == (80, 125), "[value ÷ 1.25, value × 1.25]"
    assert source_band(100, None, None) == (100, 100)
    assert ratio(120, 100, None, None) == pytest.approx(1.2)
    assert loss(125, 100, None, None) == 0 and loss(80, 100, None, None) == 0
    assert loss(150, 100, None, None) == pytest.approx(math.log(150 / 125) ** 2)
    assert loss(50, 100, None, None) == pytest.approx(math.log(50 / 80) ** 2)
    assert not within(79, 100, None, None) and within(79, 100, None, None, FACTOR), "inside ×1.5, not ×1.25"
    assert band(100, None, None, FACTOR) == pytest.approx((100 / 1.5, 150))


def test_a_range_is_widened_by_a_quarter_on_each_side():
    assert source_band(None, 5000, 6000) == (5000, 6000)
    assert band(None, 5000, 6000) == (4000, 7500)
    assert band(None, 5000, 6000, FACTOR) == pytest.approx((5000 / 1.5, 9000))
    assert ratio(5500, None, 5000, 6000) == pytest.approx(1.0)
    assert ratio(11000, 7, 5000, 6000) == pytest.approx(2.0), "the midpoint, not the value, with both bounds"
    assert loss(7500, None, 5000, 6000) == 0 and loss(4000, None, 5000, 6000) == 0
    assert loss(15000, None, 5000, 6000) == pytest.approx(math.log(2) ** 2)
    assert loss(2000, None, 5000, 6000) == pytest.approx(math.log(0.5) ** 2)


def test_one_bound_is_a_one_sided_row_open_on_the_other_side():
    # "at least 53,136" (obs row 5): the value repeats the bound; the band is open above, widened below
    assert source_band(53136, 53136, None) == (53136, math.inf)
    assert band(53136, 53136, None) == (53136 / 1.25, math.inf)
    assert within(10**7, 53136, 53136, None) and not within(53136 / 1.3, 53136, 53136, None)
    assert within(53136 / 1.3, 53136, 53136, None, FACTOR)
    assert loss(10**9, 53136, 53136, None) == 0
    # a value above a lone low bound does not close the band (it used to stand for the missing bound)
    assert band(6000, 5000, None) == (4000, math.inf)
    assert ratio(10000, None, 5000, None) == pytest.approx(2.0)
    assert loss(2000, None, 5000, None) == pytest.approx(math.log(0.5) ** 2)
    # "at most 17,600" (obs row 61, Russians and Ukrainians together): open below, down to nothing
    assert band(17600, None, 17600) == (-math.inf, 17600 * 1.25)
    assert within(0, 17600, None, 17600) and within(22000, 17600, None, 17600)
    assert not within(22001, 17600, None, 17600) and within(26400, 17600, None, 17600, FACTOR)
    assert loss(0.9, None, None, 0.45) == pytest.approx(math.log(0.9 / (0.45 * 1.25)) ** 2)


def test_zero_and_negative_values():
    # nothing simulated against a positive band: scored as 1/1000 of the edge, a large but finite loss
    assert loss(0, 100, None, None) == pytest.approx(math.log(1e-3) ** 2)
    assert loss(-5, 100, None, None) == loss(0, 100, None, None)
    # a negative observation (a net outflow) is widened away from 0 on each side and compared on a linear scale
    # in units of |value|
    v = -30986.0
    lo, hi = band(v, None, None)
    assert (lo, hi) == pytest.approx((1.25 * v, v / 1.25))
    assert ratio(-25000, v, None, None) == pytest.approx(25000 / 30986)
    assert loss(-25000, v, None, None) == 0
    assert loss(1000, v, None, None) == pytest.approx(((1000 - v / 1.25) / 30986) ** 2)
    assert loss(-50000, v, None, None) == pytest.approx(((-50000 - 1.25 * v) / 30986) ** 2)
    # a band reaching down to 0 or below: 0 stays, negative edges move outwards; linear, in units of its largest
    # bound
    assert band(None, 0, 10) == (0, 12.5) and band(None, -4, 10) == (-5, 12.5)
    assert loss(-2, None, 0, 10) == pytest.approx((2 / 12.5) ** 2)
    assert ratio(5, 0, None, None) is None and loss(0, 0, None, None) == 0 and loss(1, 0, None, None) == 1


def obs(line: int, sim: str, value: float | None = None, low: float | None = None, high: float | None = None,
        role: str | None = None, d0: int = 1, d1: int = 2, scale: float | None = None) -> Observation:
    return Observation(line=line, start=day(d0), end=day(d1), country="", place="", measure="m", value=value,
                       low=low, high=high, sim=parse_sim(sim), scale=scale, role=role)


def test_rows_roles_and_the_calibration_loss():
    rows = fit_rows(hand_run(), [
        obs(2, "entries(country=B)", 80, role="calibration"),  # inside
        obs(3, "entries(country=B)", 40, role="calibration"),  # 80 vs [30, 50]
        obs(4, "wait_days(crossing=X)", 40, 40, 50, d1=3, scale=24),  # 1.8 days = 43.2 hours
        obs(5, "input:30", 30),
        obs(6, "none", 7),
        obs(7, "entries(country=B)", 1, d0=10, d1=12),
        obs(8, "entries(country=B)", 80, role="not_modelled"),
    ])
    by = {r.line: r for r in rows}
    assert by[2].inside and by[2].loss == 0 and by[2].status == "scored"
    assert not by[3].inside and by[3].loss == pytest.approx(math.log(80 / 50) ** 2)
    assert by[4].simulated == pytest.approx(43.2) and by[4].inside and by[4].role == "validation"
    assert by[5].role == "input" and by[5].inside and by[5].status == "scored"
    assert by[6].status == "not modelled" and by[6].role == "not_modelled" and by[6].inside is None
    assert by[7].status == "outside run" and by[7].simulated is None
    assert by[8].status == "not modelled" and by[8].simulated == 80, "shown, not scored"
    assert fit_loss(rows) == pytest.approx((1 + math.log(80 / 50)) / 2), "one row outside by ln(80/50), one inside"
    assert fit_loss(rows, roles=("validation",)) == 0
    assert math.isnan(fit_loss(rows[4:]))
    assert fit_loss([r.to_dict() for r in rows]) == fit_loss(rows), "the rows of summary.json work too"


def test_input_rows_are_counted_apart_and_each_row_carries_three_measures():
    # entries(country=B) over days 1..2 is 80 people
    rows = fit_rows(hand_run(), [
        obs(2, "entries(country=B)", 80, role="calibration"),  # inside every band
        obs(3, "entries(country=B)", 70, role="validation"),  # 80 in [56, 87.5], not the source point
        obs(4, "entries(country=B)", 60, role="validation"),  # 80 in [40, 90] only
        obs(5, "entries(country=B)", None, 100, None, role="validation"),  # at least 100: 80 in [80, ∞)
        obs(6, "entries(country=B)", None, None, 50, role="validation"),  # at most 50: 80 above 62.5 and 75
        obs(7, "input:30", 30),
        obs(8, "input:30", 60),  # an input off its observation: counted apart, not as an output row
        obs(9, "none", 7, role="input"),  # a scenario input with no number: not compared
    ])
    by = {r.line: r for r in rows}
    assert [(by[n].inside_source, by[n].inside, by[n].within_1_5) for n in (2, 3, 4, 5, 6)] == [
        (True, True, True), (False, True, True), (False, False, True), (False, True, True), (False, False, False)]
    assert by[9].status == "not compared" and by[9].role == "input" and by[9].inside is None
    s = fit_summary(rows)
    assert (s["scored"], s["inside"], s["within_1_5"]) == (5, 3, 4), "the input rows are not output rows"
    assert s["share_inside"] == pytest.approx(3 / 5) and s["share_within_1_5"] == pytest.approx(4 / 5)
    assert s["by_role"]["input"] == {"scored": 2, "inside": 1, "within_1_5": 1}
    assert s["by_role"]["validation"] == {"scored": 4, "inside": 2, "within_1_5": 3}
    assert s["not_scored"] == {"not compared": 1}
    d = by[5].to_dict()
    assert (d["inside"], d["inside_source"], d["within_1_5"]) == (True, False, True)


# ---- the run's tables ----------------------------------------------------------------------------------------

def test_the_parquet_view_equals_the_results_view(tmp_path):
    sc = cx.load_scenario(write_emigration_demo(tmp_path / "demo"))
    res = cx.run(sc, seed=3, days=30)
    write_run(res, tmp_path / "out")
    mem, disk = RunTables.from_results(res), RunTables.from_results(read_run(tmp_path / "out"))
    assert mem.people_per_agent == disk.people_per_agent == 100
    assert mem.home_countries == disk.home_countries == ("Russia",)
    for name in ("countries", "locations", "location_country", "crossings", "categories", "days", "start_date"):
        assert getattr(mem, name) == getattr(disk, name), name
    assert np.array_equal(mem.link_src, disk.link_src) and np.array_equal(mem.link_dst, disk.link_dst)
    for table in ("country", "location", "crossing", "link", "category"):
        a, b = getattr(mem, table), getattr(disk, table)
        assert set(a) == set(b), table
        for k in a:
            assert np.array_equal(a[k], b[k]), f"{table}.{k}"
    assert mem.category["cat_left_home"].sum() > 0, "the demo's agents leave"
    # from= splits a country's entries by the country each border crossing came from, and loses none
    end = sc.start_date + dt.timedelta(days=29)
    for c in mem.abroad():
        whole = simulate(mem, parse_sim(f"entries(country={c})"), sc.start_date, end).value
        parts = [simulate(mem, parse_sim(f"entries(country={c};from={o})"), sc.start_date, end).value
                 for o in mem.countries if o != c]
        assert sum(parts) == whole, c
    assert simulate(mem, parse_sim("entries(country=*abroad;from=Russia)"), sc.start_date, end).value > 0
    # categories.parquet absent (e.g. a run written before it existed): category measures say so
    (tmp_path / "out" / "categories.parquet").unlink()
    got = simulate(RunTables.from_run_dir(tmp_path / "out", get_model("emigration")),
                   parse_sim("away(category=*)"), sc.start_date, sc.start_date)
    assert got.status == "unavailable" and "needs categories.parquet" in got.note
