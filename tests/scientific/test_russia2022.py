"""The default scenario russia2022, run once for the whole period: its timeline does what its sources say
(the two waves, Upper Lars' pedestrian rule, Finland's tourist ban, no Russia-Georgia flights until May 2023),
and every observation row is scored or explained."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import crossings as cx
from crossings.api import load_scenario


@pytest.fixture(scope="module")
def run():
    sc = load_scenario("russia2022")
    return sc, cx.run(sc, seed=0)


def day(sc, iso: str) -> int:
    return (dt.date.fromisoformat(iso) - sc.start_date).days


def emigrants_leaving(sc, res) -> np.ndarray:
    cats = sc.emigration.category.names
    keep = [i for i, c in enumerate(cats) if c != "traveller"]
    return res.series["cat_left_home"][:, keep].sum(axis=1)


def test_both_waves_peak_within_a_week_of_their_dates(run):
    sc, res = run
    left = emigrants_leaving(sc, res)
    for start, window_end in (("2022-02-24", "2022-06-30"), ("2022-09-21", "2022-12-31")):
        a, b = day(sc, start), day(sc, window_end)
        peak = a + int(np.argmax(left[a:b + 1]))
        assert peak - a <= 7, f"the wave from {start} peaks {peak - a} days later"
        assert left[peak] > 5 * np.median(left[day(sc, "2022-06-01"):day(sc, "2022-09-01")]), (
            "a wave should stand far above the summer between the waves")


def test_upper_lars_lets_pedestrians_through_only_from_26_to_29_september(run):
    sc, res = run
    gate = 2 * list(sc.emigration.crossings).index(sc.locations.name.index("Upper_Lars")) + 1  # foot
    foot = res.series["new_passages"][:, gate]
    open_days = {day(sc, d) for d in ("2022-09-26", "2022-09-27", "2022-09-28", "2022-09-29")}
    closed = [d for d in np.flatnonzero(foot) if d not in open_days]
    assert not closed, f"pedestrians passed Upper Lars on barred days {closed[:5]}"
    assert foot[sorted(open_days)].sum() > 0, "some pedestrians should pass while it was allowed"


def test_no_tourist_enters_finland_from_30_september_2022(run):
    sc, res = run
    fi = sc.emigration.countries.index("Finland")
    entries = res.series["new_entries"][:, fi]
    assert entries[day(sc, "2022-09-30"):].sum() == 0, "Finland closed to Russian tourists on 30 Sep 2022"
    assert entries[:day(sc, "2022-09-30")].sum() > 0, "before the ban some entered Finland"


def test_no_flight_between_moscow_and_tbilisi_before_19_may_2023(run):
    sc, res = run
    names = sc.locations.name
    links = sc.links
    ks = [k for k in range(len(links)) if {names[links.src[k]], names[links.dst[k]]} == {"Moscow", "Tbilisi"}]
    assert ks, "the scenario has a Moscow-Tbilisi air route"
    boarded = res.series["new_link_entries"][:, ks].sum(axis=1)
    assert boarded[:day(sc, "2023-05-19")].sum() == 0, "flew before the ban was lifted"


def test_every_observation_row_is_scored_or_explained(run, tmp_path):
    from crossings.api import write_run

    sc, res = run
    write_run(res, tmp_path)
    import json

    fit = json.loads((tmp_path / "summary.json").read_text())["fit"]
    assert fit["summary"]["rows"] == 125, "all 125 shared observations are in the scenario's observed.csv"
    for row in fit["rows"]:
        assert row["status"] in ("scored", "not modelled", "not compared"), row
        if row["status"] == "scored":
            assert row["simulated"] is not None and row["inside"] in (True, False), row
    roles = {r["role"] for r in fit["rows"] if r["status"] == "scored"}
    assert {"calibration", "validation"} <= roles, "the fit is shown for calibration and held-out rows"
