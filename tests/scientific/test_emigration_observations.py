"""The observation model aggregated over periods, in the shape of shared/data/russia2022/observations.csv:
entries count every crossing (visa runs included), registered stays and permits are their own measures, and the
sums can be worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from test_emigration_stays import ONLY, scenario

import crossings as cx
from crossings.engine.models.emigration.observe import OBSERVATION_COLUMNS


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    # 100 enter Abroad at Post on day 0 and do visa runs on days 30 and 60 (30-day visa-free stays); a stay is
    # registered after 20 days: on day 20 (entry 0) and day 50 (entry 30); the entry of day 60 reaches 20 days
    # on day 80, after the run.
    sc = scenario(tmp_path_factory.mktemp("obs") / "s",
                  policies=[(0, "", "Abroad", "visa_free", 30), (0, "", "Abroad", "registration", 20)],
                  emigration={**ONLY, "visa_run_weight": 1}, days=70)
    return cx.Simulation(sc, seed=1, check=True).run()


def table(rows):
    return {(r[2], r[3], r[4]): r[5] for r in rows}


def test_whole_run(run):
    rows = run.observations()
    assert {r[:2] for r in rows} == {("2020-01-01", "2020-03-10")}, "one period: the run's first to last day"
    t = table(rows)
    want = {
        ("Abroad", "country", "entries"): 300, ("Abroad", "country", "exits"): 200, ("Abroad", "country", "net"): 100,
        ("Abroad", "country", "stock"): 100, ("Abroad", "country", "visa_runs"): 200,
        ("Abroad", "country", "registrations"): 200, ("Abroad", "country", "registered"): 0,
        ("Abroad", "country", "permits"): 0, ("Abroad", "country", "returns"): 0,
        ("Home", "country", "entries"): 200, ("Home", "country", "exits"): 300, ("Home", "country", "net"): -100,
        ("Home", "country", "stock"): 0,
        ("Abroad", "Post", "entries"): 300, ("Abroad", "Post", "exits"): 200,
        ("Home", "Post", "entries"): 200, ("Home", "Post", "exits"): 300,
        ("Abroad", "City", "stock"): 100,
    }
    for key, value in want.items():
        assert t[key] == value, f"{key}: expected {value}, got {t[key]}"


@pytest.mark.parametrize(("start", "end", "want"), [
    (0, 29, {"entries": 100, "exits": 0, "net": 100, "registrations": 100, "registered": 100, "visa_runs": 0}),
    (dt.date(2020, 1, 31), dt.date(2020, 2, 29),  # days 30–59
     {"entries": 100, "exits": 100, "net": 0, "registrations": 100, "registered": 100, "visa_runs": 100}),
    (60, 60, {"entries": 100, "exits": 100, "net": 0, "registrations": 0, "registered": 0, "stock": 100}),
])
def test_periods(run, start, end, want):
    t = table(run.observations(start, end))
    for measure, value in want.items():
        assert t[("Abroad", "country", measure)] == value, f"{measure}: expected {value}"


def test_rows_have_the_observations_csv_shape(run):
    rows = run.observations(0, 9)
    assert OBSERVATION_COLUMNS == ("date_or_period_start", "period_end", "destination_country", "crossing_or_city",
                                   "measure", "value")
    assert all(len(r) == 6 and isinstance(r[5], int) for r in rows)
    with pytest.raises(ValueError, match="period"):
        run.observations(10, 100)
