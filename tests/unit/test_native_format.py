"""The native scenario format: conversion from Flee gives identical runs; every file is validated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import crossings as cx
from crossings.api import convert


def _same_run(a: Path, b: Path, seed: int, days: int | None = None) -> None:
    ra = cx.run(cx.load_scenario(a), seed=seed, days=days)
    rb = cx.run(cx.load_scenario(b), seed=seed, days=days)
    assert ra.flee_out_csv() == rb.flee_out_csv(), f"{a.name}: Flee and native forms gave different out.csv"
    for k, v in ra.series.items():
        assert (v == rb.series[k]).all(), f"{a.name}: series {k} differs between the two forms"


@pytest.mark.parametrize(("name", "days"), [("mali2012", None), ("burundi2015", None), ("car2013", 200),
                                            ("ssudan2014", 200)])
def test_converted_flee_conflicts_run_identically(flee_data, tmp_path, name, days):
    src = flee_data(name)
    native = convert(src, tmp_path / name)
    assert cx.load_scenario(native).format == "native"
    _same_run(src, native, seed=4, days=days)


def test_converted_demo_runs_identically_under_both_rule_sets(demo_dir, tmp_path):
    native = convert(demo_dir, tmp_path / "demo")
    for rules in ("flee31", "crossings"):
        ra = cx.run(demo_dir, seed=2, rules=rules).flee_out_csv()
        rb = cx.run(native, seed=2, rules=rules).flee_out_csv()
        assert ra == rb, f"demo under {rules}: the native form must reproduce the Flee form"


def test_conversion_is_stable(demo_dir, tmp_path):
    once = convert(demo_dir, tmp_path / "a")
    twice = convert(once, tmp_path / "b")
    for f in ("scenario.yml", "locations.csv", "routes.csv", "events.csv", "observed.csv"):
        a, b = (once / f).read_text(), (twice / f).read_text()
        if f == "scenario.yml":  # records where it was converted from
            a = "\n".join(x for x in a.splitlines() if not x.startswith(("converted_from", "name")))
            b = "\n".join(x for x in b.splitlines() if not x.startswith(("converted_from", "name")))
        assert a == b, f"converting a native scenario again changed {f}"


@pytest.fixture
def native(demo_dir, tmp_path) -> Path:
    return convert(demo_dir, tmp_path / "native")




@pytest.mark.parametrize(("file", "old", "new", "field", "words"), [
    ("locations.csv", "Hilltown,town", "Hilltown,village", "kind", "unknown kind"),
    ("locations.csv", "Hilltown,town", "Capital,town", "name", "duplicate"),
    ("locations.csv", "Capital,conflict_zone,Arland,North,10", "Capital,conflict_zone,Arland,North,118",
     "lat", "outside"),
    ("routes.csv", "Capital,Hilltown,road,120", "Capital,Atlantis,road,120", "to", "unknown location"),
    ("routes.csv", "Capital,Hilltown,road,120", "Capital,Hilltown,road,-5", "distance_km", "negative"),
    ("routes.csv", "Capital,Hilltown,road,120", "Capital,Hilltown,boat,120", "mode", "unknown mode"),
    # issue 22 item 4: a road given twice (here the other way round) would double its weight
    ("routes.csv", "Capital,Hilltown,road,120", "Capital,Hilltown,road,120\nHilltown,Capital,road,120", "to",
     "second road route"),
    ("events.csv", ",close_camp,", ",close_kamp,", "event", "unknown event"),
    ("events.csv", "2020-03-01,2020-03-15,close_border", "2020-03-01,2020-02-15,close_border", "until", "before"),
    ("events.csv", "2020-03-01,2020-03-15,close_border", "2020-13-01,2020-03-15,close_border", "date", "date"),
    ("observed.csv", "Camp_North,2020-03-01", "Hilltown,2020-03-01", "series", "not a camp"),
    ("scenario.yml", "  camp_weight: 2.0", "  camp_wieght: 2.0", "settings.camp_wieght", "camp_weight"),
    ("scenario.yml", "days: 120", "days: -3", "days", "positive"),
])
def test_native_validation_names_file_line_and_field(native, file, old, new, field, words, replace_once,
                                                     scenario_error):
    replace_once(native / file, old, new)
    err = scenario_error(native)
    assert Path(err.file).name == file, f"expected an error in {file}, got {err}"
    assert err.line is not None and err.line >= 1, f"expected a line number, got {err}"
    assert err.field == field, f"expected field {field!r}, got {err}"
    assert words in err.problem, f"expected {words!r} in {err.problem!r}"


def test_convert_command_refuses_a_non_empty_target(demo_dir, tmp_path):
    target = tmp_path / "t"
    target.mkdir()
    (target / "keep.txt").write_text("x")
    proc = subprocess.run([sys.executable, "-m", "crossings", "convert", str(demo_dir), str(target)],
                          capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert (target / "keep.txt").read_text() == "x", "nothing in the target may be touched"
