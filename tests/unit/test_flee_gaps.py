"""Issue 22, the three gaps of the Flee format: a conflicts.csv column naming no location (refused when it holds a
conflict; a column of zeros, as burundi2015 has two, stays a notice), locations.csv rows missing their trailing
columns (refused at the row, instead of "no location is a conflict zone" at day 1 naming no file), and a
data_layout.csv entry naming a missing file (the error names data_layout.csv's line). Each through the command
line: exit 2, one line naming the file, the line and the field, no traceback, nothing in --out."""

from __future__ import annotations

from pathlib import Path

import pytest
from _cli import assert_run_refused, crossings

from crossings.scenarios.demo import write_demo


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return write_demo(tmp_path / "demo")


def test_a_conflict_column_naming_no_location_is_refused(tmp_path, demo):
    path = demo / "input_csv" / "conflicts.csv"
    path.write_text(path.read_text().replace("#Day,Capital,Riverside", "#Day,Capital,Riversyde", 1))
    err = assert_run_refused(demo, tmp_path, "no location in locations.csv")
    assert err.startswith(f"{path}:22: Riversyde: "), err  # the first row (day 20) where it holds a conflict


def test_a_conflict_column_of_zeros_naming_no_location_is_a_notice(tmp_path, demo):
    path = demo / "input_csv" / "conflicts.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0] + ",Nowhere"] + [ln + ",0" for ln in lines[1:]]) + "\n")
    proc = crossings("run", str(demo), "--out", str(tmp_path / "o"), "--no-report", "--days", "5", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"notice: {path}:1: Nowhere: conflict column names an unknown location; ignored (all zero)" in proc.stderr


def test_locations_rows_missing_trailing_columns_are_refused_at_the_row(tmp_path, demo):
    path = demo / "input_csv" / "locations.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0]] + [",".join(ln.split(",")[:6]) for ln in lines[1:]]) + "\n")
    err = assert_run_refused(demo, tmp_path, "missing: conflict_date, population")
    assert err.startswith(f"{path}:2: row: "), err


def test_a_data_layout_entry_naming_a_missing_file_names_the_layout_line(tmp_path, demo):
    layout = demo / "source_data" / "data_layout.csv"
    layout.write_text(layout.read_text().replace("camp_south.csv", "camp_sooth.csv", 1))
    err = assert_run_refused(demo, tmp_path, "'camp_sooth.csv' is missing")
    assert err.startswith(f"{layout}:3: file: "), err


def test_the_shared_flee_conflicts_still_load(flee_data):
    import crossings as cx

    for name in ("burundi2015", "car2013", "mali2012", "ssudan2014"):
        sc = cx.load_scenario(flee_data(name))
        assert len(sc.locations) > 0
