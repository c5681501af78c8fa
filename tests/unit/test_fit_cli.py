"""Fit tables, part two: reading and checking observations files (file, line, field; exit 2 without a
traceback), the classifier on real rows of shared/data/russia2022/observations.csv, ``crossings fit`` (text and
``--json``), and a run of the emigration demo with an observed.csv whose summary.json "fit", fit.csv and
``crossings fit --json`` agree."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from _cli import assert_one_line_error as one_line_error
from _cli import crossings

import crossings as cx
from crossings.observed import RunTables, classify, read_observed
from crossings.observed.observations import Observation
from crossings.scenarios.emigration_demo import write_emigration_demo

HEAD = ("date_or_period_start,period_end,destination_country,crossing_or_city,measure,value,low,high,source_title,"
        "source_url,note,sim,scale,role\n")
GOOD = "2022-09-17,2022-09-26,Georgia,all crossings,entries,78742,,,MIA,http://x,,entries(country=Georgia),,\n"


def shared_observations() -> Path:
    """shared/data/russia2022/observations.csv, found like tests/conftest.py's shared_dir() (``$CROSSINGS_SHARED``
    or the shared directory beside the repository; importing that helper is ambiguous with several conftest.py
    files); skips the test when it is absent."""
    env = os.environ.get("CROSSINGS_SHARED")
    root = Path(env) if env else (Path(__file__).resolve().parents[2] / ".." / "shared").resolve()
    path = root / "data" / "russia2022" / "observations.csv"
    if not path.is_file():
        pytest.skip(f"shared observations not found at {path} (set CROSSINGS_SHARED)")
    return path


# ---- reading observations --------------------------------------------------------------------------------------

def test_the_shared_observations_file_reads():
    rows = read_observed(shared_observations())
    assert len(rows) > 100 and all(r.sim is None and r.role is None for r in rows)
    policy = next(r for r in rows if r.measure == "visa-free stay (days)" and r.country == "Georgia")
    assert policy.end == policy.start, "an empty period_end is a one-day period"


@pytest.mark.parametrize("row,field,words", [
    ("2022-13-01,,Georgia,all,entries,1,,,,,,,,", "date_or_period_start", "not a valid"),
    ("17.09.2022,,Georgia,all,entries,1,,,,,,,,", "date_or_period_start", "YYYY-MM-DD"),
    (",,Georgia,all,entries,1,,,,,,,,", "date_or_period_start", "empty"),
    ("2022-09-17,2022-09-01,Georgia,all,entries,1,,,,,,,,", "period_end", "before the period's start"),
    ("2022-09-17,,Georgia,all,,1,,,,,,,,", "measure", "empty"),
    ('2022-09-17,,Georgia,all,entries,"78,742",,,,,,,,', "value", "not a number"),
    ("2022-09-17,,Georgia,all,entries,,,,,,,,,", "value", "no value, low or high"),
    ("2022-09-17,,Georgia,all,entries,,6000,5000,,,,,,", "low", "above high"),
    ("2022-09-17,,Georgia,all,entries,4000,5000,,,,,,,", "value", "below low"),
    ("2022-09-17,,Georgia,all,entries,7000,,5000,,,,,,", "value", "above high"),
    ("2022-09-17,,Georgia,all,entries,1,,,,,,entries(Georgia),,", "sim", "KIND=NAME"),
    ("2022-09-17,,Georgia,all,entries,1,,,,,,arrivals(country=Georgia),,", "sim", "unknown quantity"),
    ("2022-09-17,,Georgia,all,entries,1,,,,,,queue(country=Georgia),,", "sim", "takes crossing=NAME"),
    ("2022-09-17,,Georgia,all,entries,1,,,,,,entries(country=Georgia),-2,", "scale", "not a positive"),
    ("2022-09-17,,Georgia,all,entries,1,,,,,,entries(country=Georgia),,calibrate", "role", "did you mean"),
    ("2022-09-17,,Georgia,all,entries,1,,,,,,none,,calibration", "role", "needs a simulated quantity"),
    ("2022-09-17,,Georgia,all,entries,1,,,,,,entries(country=Georgia),,,extra", "row", "cells"),
])
def test_bad_rows_name_file_line_and_field(tmp_path, row, field, words):
    path = tmp_path / "obs.csv"
    path.write_text(HEAD + GOOD + row + "\n")
    with pytest.raises(cx.InputError) as info:
        read_observed(path)
    err = info.value
    assert (Path(err.file).name, err.line, err.field) == ("obs.csv", 3, field), str(err)
    assert words in err.problem, str(err)


def test_bad_headers(tmp_path):
    path = tmp_path / "obs.csv"
    for head, field, words in (("date_or_period_start,measure,value,simm\n", "simm", "did you mean 'sim'"),
                               ("date_or_period_start,value\n", "measure", "missing column"),
                               ("date_or_period_start,measure,note\n", "value", "missing column"),
                               ("series,date,value\n", "series", "Flee model's observed.csv")):
        path.write_text(head)
        with pytest.raises(cx.InputError) as info:
            read_observed(path)
        assert (info.value.line, info.value.field) == (1, field) and words in info.value.problem, str(info.value)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return write_emigration_demo(tmp_path / "exodus-mini")


def test_a_scenario_observed_csv_is_checked_at_load(demo, scenario_error):
    (demo / "observed.csv").write_text(HEAD + GOOD + GOOD.replace("country=Georgia", "crossing=Upper Lars"))
    err = scenario_error(demo)
    assert (Path(err.file).name, err.line, err.field) == ("observed.csv", 3, "sim")
    assert "unknown crossing 'Upper Lars'" in err.problem and "did you mean 'Upper_Lars'" in err.problem
    (demo / "observed.csv").write_text(HEAD + GOOD.replace("country=Georgia", "country=Georgia;from=Rusia"))
    err = scenario_error(demo)
    assert (err.line, err.field) == (2, "sim") and "unknown country 'Rusia'" in err.problem, str(err)
    (demo / "observed.csv").write_text(HEAD + GOOD.replace("78742", "lots"))
    assert (scenario_error(demo).line, scenario_error(demo).field) == (2, "value")
    (demo / "observed.csv").write_text(HEAD + GOOD)
    assert cx.load_scenario(demo).name == "exodus-mini", "a good observed.csv is accepted"


def test_cli_bad_observations_exit_2_with_one_line(demo, tmp_path):
    out = tmp_path / "out"
    assert crossings("run", str(demo), "--out", str(out), "--days", "10", "--quiet", "--no-report",
                     cwd=tmp_path).returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(HEAD + GOOD + "2022-09-17,,Georgia,all,entries,1,,,,,,entries(country=Georgia),,calibrate\n")
    line = one_line_error(crossings("fit", str(out), "--observed", str(bad), cwd=tmp_path))
    assert line.startswith(f"{bad}:3: role: "), line
    line = one_line_error(crossings("fit", str(tmp_path / "nowhere"), "--observed", str(bad), cwd=tmp_path))
    assert "no such run directory" in line
    line = one_line_error(crossings("fit", str(out), cwd=tmp_path))
    assert "--observed" in line, "the demo has no observed.csv, so it must be given"
    line = one_line_error(crossings("fit", str(out), "--observed", str(tmp_path / "none.csv"), cwd=tmp_path))
    assert "none.csv: file: missing" in line


def test_cli_scores_a_flee_run_on_its_places(demo_dir, tmp_path):
    """Any model's run is scored through the same view: a Flee run has places, so a place's stock is scored (in
    people: agents × hasten); it records no countries, so a country's entries are unavailable."""
    out = tmp_path / "flee-out"
    assert crossings("run", str(demo_dir), "--out", str(out), "--days", "30", "--quiet", "--no-report",
                     cwd=tmp_path).returncode == 0
    stock = "2020-03-30,,Arland,Camp_North,people in the camp,100,,,UNHCR,http://x,,stock(location=Camp_North),,\n"
    (tmp_path / "obs.csv").write_text(HEAD + GOOD.replace("2022-09-", "2020-03-") + stock)
    proc = crossings("fit", str(out), "--observed", str(tmp_path / "obs.csv"), "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    entries, camp = json.loads(proc.stdout)
    assert entries["status"] == "unavailable" and "countries.parquet" in entries["note"], entries
    present = pq.read_table(out / "locations.parquet").to_pandas()
    agents = present[(present.location == "Camp_North") & (present.day == 29)]["n_present"].item()
    hasten = cx.load_scenario(demo_dir).people_per_agent
    assert camp["status"] == "scored" and camp["simulated"] == agents * hasten, camp


# ---- the classifier --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_view(tmp_path_factory: pytest.TempPathFactory) -> RunTables:
    root = write_emigration_demo(tmp_path_factory.mktemp("fit") / "exodus-mini")
    return RunTables.from_results(cx.run(cx.load_scenario(root), seed=0, days=30))


def _obs(measure: str, country: str = "Georgia", place: str = "country") -> Observation:
    d = dt.date(2022, 9, 20)
    return Observation(line=2, start=d, end=d, country=country, place=place, measure=measure, value=1.0, low=None,
                       high=None)


@pytest.mark.parametrize("measure,country,place,sim,scale,role,status", [
    ("entries per day (peak)", "Kazakhstan", "all Russia-Kazakhstan crossings",
     "peak_entries_per_day(country=Kazakhstan)", 1, "validation", None),
    ("waiting time (hours)", "Georgia", "Upper Lars", "wait_days(crossing=Upper_Lars)", 24, "validation", None),
    ("exits (persons, 2 days)", "Russia (exit to Georgia)", "Verkhny Lars (North Ossetia side)",
     "exits(country=Russia;crossing=Upper_Lars)", 1, "validation", None),
    ("entries (Russian citizens)", "Georgia", "Upper Lars / Kazbegi", "entries(country=Georgia;crossing=Upper_Lars)",
     1, "validation", None),
    ("arrivals (estimate)", "Armenia", "Yerevan", "entries(country=Armenia;location=Yerevan)", 1, "validation", None),
    ("stock estimate", "Serbia", "Belgrade", "stock(location=Belgrade)", 1, "validation", None),
    ("total emigrants estimate", "All", "all destinations", "left_home(category=*)", 1, "validation", None),
    ("entries (Russian citizens)", "All", "all", "entries(country=*abroad)", 1, "validation", None),
    ("arrivals (Russian citizens)", "Kyrgyzstan", "country", "entries(country=Kyrgyzstan)", 1, "validation", None),
    ("temporary residence permits issued", "Turkey", "Istanbul", "permits_granted(country=Turkey)", 1,
     "validation", "not in this run"),
    ("share returned (survey)", "Georgia", "all", "returned_share(category=*)", 1, "validation", "not in this run"),
    ("monthly rent (USD)", "Georgia", "Tbilisi", "none", 1, "not_modelled", "not modelled"),
    ("visa-free stay (days)", "Georgia", "country", "none", 1, "input", "not compared"),
    ("something else entirely", "Georgia", "country", "none", 1, "not_modelled", "not modelled"),
])
def test_classifier_rules(demo_view, measure, country, place, sim, scale, role, status):
    c = classify(_obs(measure, country, place), demo_view)
    assert (str(c.sim), c.scale, c.role, c.status) == (sim, scale, role, status), c


SHARED_CASES = [
    # (measure, destination_country, crossing_or_city) of a row of the shared file -> sim, scale, status
    ("entries per day (peak)", "Kazakhstan", None, "peak_entries_per_day(country=Kazakhstan)", 1, "scored"),
    ("entries per day", "Kazakhstan", None, "entries_per_day(country=Kazakhstan)", 1, "scored"),
    ("entries per day (Russian citizens)", "Georgia", "Upper Lars / Kazbegi",
     "entries_per_day(country=Georgia;crossing=Upper_Lars)", 1, "scored"),
    ("waiting time (hours)", "Georgia", "Upper Lars", "wait_days(crossing=Upper_Lars)", 24, None),
    ("exits (persons, 2 days)", "Russia (exit to Georgia)", None, "exits(country=Russia;crossing=Upper_Lars)", 1,
     "scored"),
    ("net border balance (Russian citizens, entries minus exits)", "Georgia", None, "net(country=Georgia)", 1,
     "outside run"),
    ("stock: Russians who arrived Jan-Sep and still present on 3 Oct", "Georgia", None, "stock(country=Georgia)",
     1, "scored"),
    ("residence permit applications (Russian citizens)", "Georgia", None, "permit_applications(country=Georgia)", 1,
     "scored"),
    ("approved temporary residence permits (Russians, cumulative)", "Serbia", None,
     "permits_granted(country=Serbia)", 1, "scored"),
    ("temporary residence permit applications (Russians)", "Serbia", None, "permit_applications(country=Serbia)", 1,
     "scored"),
    ("registered stays (prijava boravka, Russians)", "Serbia", None, "registrations(country=Serbia)", 1, "scored"),
    ("temporary residence (1-year) holders, Russians+Ukrainians", "Serbia", None, "permits(country=Serbia)", 1,
     "scored"),
    ("share returned (RANEPA survey)", "All", None, "returned_share(category=*)", 1, "scored"),
    ("total emigrants estimate (Re:Russia)", "All", None, "left_home(category=*)", 1, "scored"),
    ("total emigrants who did not return (The Bell)", "All", None, "away(category=*)", 1, "scored"),
    ("arrivals (estimate, March 2022)", "Armenia", None, "entries(country=Armenia;location=Yerevan)", 1,
     "outside run"),
    ("arrivals (Russian citizens)", "Kyrgyzstan", None, "entries(country=Kyrgyzstan)", 1, "not in this run"),
    ("companies registered by Russian citizens", "Georgia", None, "none", 1, "not modelled"),
    ("departures from Russia to Georgia (FSB trips, Q1)", "Georgia", None, "none", 1, "not modelled"),
    ("monthly rent (USD, typical flat)", "Georgia", None, "none", 1, "not modelled"),
    ("one-way fare (RUB)", "Turkey", None, "none", 1, "not modelled"),
    ("queue length (km)", "Georgia", None, "none", 1, "not modelled"),
    ("return migration contribution to GDP growth (share of 3.6%)", "Russia", None, "none", 1, "not modelled"),
    ("visa-free stay (days)", "Georgia", None, "none", 1, "not compared"),
]


def test_classifier_on_the_shared_observations(demo_view):
    from crossings.observed import fit_rows

    observations = read_observed(shared_observations())
    rows = {r.line: r for r in fit_rows(demo_view, observations)}
    for measure, country, place, sim, scale, status in SHARED_CASES:
        found = [o for o in observations if o.measure == measure and o.country == country
                 and (place is None or o.place == place)]
        assert found, f"no row {measure!r} / {country!r} in the shared file"
        row = rows[found[0].line]
        assert (row.sim, row.scale) == (sim, scale), f"line {row.line} {measure!r}: {row.sim} × {row.scale}"
        if status is not None:
            assert row.status == status, f"line {row.line} {measure!r}: {row.status} ({row.note})"
        assert row.auto


# ---- the command and a whole run -------------------------------------------------------------------------------

OBSERVED = HEAD + """\
2022-09-17,2022-09-26,Georgia,all crossings,entries,78742,,,MIA,,,entries(country=Georgia),,calibration
2022-09-24,2022-09-28,Georgia,Upper Lars,waiting time (hours),72,40,96,Meduza,,,wait_days(crossing=Upper_Lars),24,
2022-09-15,2022-10-10,All,all,share returned,0.15,,,survey,,,returned_share(category=*),,
2022-09-15,,Serbia,country,visa-free stay (days),30,,,law,,,input:30,,
2021-01-01,2021-12-31,Georgia,country,entries,1000,,,old,,,entries(country=Georgia),,
2022-09-15,2022-10-10,Serbia,country,companies,100,,,APR,,,none,,
2022-09-17,2022-09-26,Georgia,all crossings,exits (Russian citizens),62120,,,MIA,,,,,
2022-09-15,2022-10-10,Kazakhstan,country,stock,100000,,,Interfax,,,stock(country=Kazakhstan),,validation
"""


def test_run_with_observed_csv_writes_the_fit_and_fit_agrees(demo, tmp_path):
    (demo / "observed.csv").write_text(OBSERVED)
    out = tmp_path / "out"
    proc = crossings("run", str(demo), "--out", str(out), "--days", "26", "--no-report", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    fit = summary["fit"]
    s = fit["summary"]
    assert summary["people_per_agent"] == 100 and summary["home_countries"] == ["Russia"]
    assert (s["rows"], s["scored"]) == (8, 5) and s["not_scored"] == {"outside run": 1, "not modelled": 1}, s
    cal, val, inp = (s["by_role"][r] for r in ("calibration", "validation", "input"))
    assert (cal["scored"], val["scored"], inp["scored"]) == (1, 4, 1) and inp["inside"] == 1
    assert s["inside"] == cal["inside"] + val["inside"], "the input row is counted apart"
    assert s["within_1_5"] == cal["within_1_5"] + val["within_1_5"] >= s["inside"]
    assert f"fit: {s['inside']} of 5 rows inside (calibration {cal['inside']}/1, validation {val['inside']}/4; " \
           f"inputs apart 1/1)" in proc.stderr.splitlines()
    # the command recomputes the same rows from the Parquet tables
    got = crossings("fit", str(out), "--json", cwd=tmp_path)
    assert got.returncode == 0, got.stderr
    rows = json.loads(got.stdout)
    assert rows == fit["rows"]
    # fit.csv holds the same rows
    with open(out / "fit.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert [int(r["line"]) for r in table] == [r["line"] for r in rows] == list(range(2, 10))
    for t, r in zip(table, rows, strict=True):
        assert t["sim"] == r["sim"] and t["status"] == r["status"] and t["role"] == r["role"]
        assert (t["simulated"] == "") == (r["simulated"] is None)
        if r["simulated"] is not None:
            assert float(t["simulated"]) == pytest.approx(r["simulated"])
        assert t["inside"] == {None: "", True: "yes", False: "no"}[r["inside"]]
    by = {r["line"]: r for r in rows}
    # line 2 by hand from countries.parquet: Georgia's entries over 17..26 September, × 100 people per agent
    t = pq.read_table(out / "countries.parquet").to_pydict()
    entries = sum(n for c, d, n in zip(t["country"], t["date"], t["new_entries"], strict=True)
                  if c == "Georgia" and "2022-09-17" <= d <= "2022-09-26")
    assert entries > 0 and by[2]["simulated"] == entries * 100
    assert by[2]["role"] == "calibration" and by[2]["observed"] == 78742 and by[2]["sim"] == "entries(country=Georgia)"
    assert by[3]["scale"] == 24 and (by[3]["low"], by[3]["high"]) == (40, 96)
    assert by[5]["simulated"] == 30 and by[5]["inside"] is True and by[5]["role"] == "input"
    assert by[6]["status"] == "outside run" and by[7]["status"] == "not modelled"
    assert by[8]["auto"] and by[8]["sim"] == "exits(country=Georgia)" and by[8]["status"] == "scored"
    assert by[9]["note"] == "" and by[9]["status"] == "scored"


def test_fit_json_schema_and_text_table(demo, tmp_path):
    (demo / "observed.csv").write_text(OBSERVED)
    out = tmp_path / "out"
    assert crossings("run", str(demo), "--out", str(out), "--days", "26", "--quiet", "--no-report",
                     cwd=tmp_path).returncode == 0
    other = tmp_path / "other.csv"
    other.write_text(HEAD + GOOD)
    rows = json.loads(crossings("fit", str(out), "--json", "--observed", str(other), cwd=tmp_path).stdout)
    assert len(rows) == 1
    keys = {"line", "period_start", "period_end", "country", "place", "measure", "observed", "low", "high", "sim",
            "scale", "role", "auto", "status", "simulated", "ratio", "inside", "loss", "note", "inside_source",
            "within_1_5"}
    assert set(rows[0]) == keys
    r = rows[0]
    assert isinstance(r["line"], int) and isinstance(r["simulated"], float) and isinstance(r["inside"], bool)
    assert r["ratio"] == pytest.approx(r["simulated"] / 78742)
    text = crossings("fit", str(out), cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].split() == ["line", "period", "country", "place", "measure", "observed", "simulated", "ratio",
                                "inside", "role"]
    assert len(lines) == 1 + 8 + 1 and lines[-1].startswith("matched ")
    assert "scored rows (calibration " in lines[-1]
    assert any("outside run" in ln and "—" in ln for ln in lines[1:-1])
    assert any("78,742" in ln and "calibration" in ln for ln in lines[1:-1])
    at = lines[0].index("role")
    assert all(ln[at:].split()[0] in ("calibration", "validation", "input", "not_modelled") for ln in lines[1:-1])


def test_a_run_without_observed_csv_has_no_fit(demo, tmp_path):
    out = tmp_path / "out"
    (out).mkdir()
    (out / "fit.csv").write_text("stale\n")
    proc = crossings("run", str(demo), "--out", str(out), "--days", "5", "--no-report", cwd=tmp_path)
    assert proc.returncode == 0 and "fit:" not in proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert "fit" not in summary and summary["people_per_agent"] == 100
    assert not (out / "fit.csv").exists(), "a fit.csv of an earlier run is removed"
    assert np.isfinite(summary["wall_seconds"])
