"""Issue 22 item 4: duplicate roads (also written the other way round), events dated outside the period, a required
table holding only its header, an optional CSV that is a directory, a NUL byte in a CSV, a destination no origin
can reach and an origin with no path anywhere are errors naming the file and the line; a policy dated after the
period and an optional table holding only its header are legitimate (a notice; the same as no file).

Each case is a variant of the bundled russia2022 written by the test and run through the command line: exit 2,
one line naming the file (and the line), no traceback, nothing written into --out."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from _cli import assert_run_refused, crossings

from crossings.scenarios.emigration_demo import write_emigration_demo

RUSSIA = Path(__file__).resolve().parents[2] / "src" / "crossings" / "scenarios" / "russia2022"


@pytest.fixture
def russia(tmp_path: Path) -> Path:
    return Path(shutil.copytree(RUSSIA, tmp_path / "russia2022"))


def append(path: Path, row: str) -> int:
    """Append one row to a CSV; the line it gets."""
    text = path.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    path.write_text(text + row + "\n", encoding="utf-8")
    return text.count("\n") + 1


@pytest.mark.parametrize("row", ["Tbilisi,Batumi,road,370,,,,the same road again",
                                 "Batumi,Tbilisi,road,370,,,,the same road the other way round"],
                         ids=["same-way", "reversed"])
def test_a_duplicate_road_is_refused(tmp_path, russia, row):
    line = append(russia / "routes.csv", row)
    err = assert_run_refused(russia, tmp_path, "second road route", "'Tbilisi'", "'Batumi'")
    assert err.startswith(f"{russia / 'routes.csv'}:{line}: to: "), err


def test_an_event_dated_after_the_period_is_refused(tmp_path, russia):
    line = append(russia / "events.csv", "2030-01-01,,close_crossing,Upper_Lars,,,,,years after the period")
    err = assert_run_refused(russia, tmp_path, "after the scenario's period", "2025-02-20")
    assert err.startswith(f"{russia / 'events.csv'}:{line}: date: "), err


def test_a_policy_dated_after_the_period_is_a_notice_and_changes_nothing(tmp_path):
    """The demo's policies.csv records a 2023 stay limit after its 120 days: kept, with a notice naming the line."""
    demo = write_emigration_demo(tmp_path / "exodus-mini")
    proc = crossings("run", str(demo), "--days", "5", "--out", str(tmp_path / "o"), "--no-report", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"notice: {demo / 'policies.csv'}:7: date: 2023-01-27 is after the scenario's period" in proc.stderr


def test_a_required_table_with_only_its_header_is_refused(tmp_path, russia):
    path = russia / "departures.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    err = assert_run_refused(russia, tmp_path, "only a header", "daily hazard")
    assert err.startswith(f"{path}:1: rows: "), err


def test_an_optional_table_with_only_its_header_is_the_same_as_no_file(tmp_path, russia):
    """Documented rule (docs/native-format.md): legitimately empty, so the run equals one without the file."""
    events = russia / "events.csv"
    header = events.read_text(encoding="utf-8").splitlines()[0]
    outs = []
    for variant in ("header-only", "absent"):
        if variant == "absent":
            events.unlink()
        else:
            events.write_text(header + "\n", encoding="utf-8")
        out = tmp_path / variant
        proc = crossings("run", str(russia), "--days", "30", "--out", str(out), "--quiet", "--no-report",
                         cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        outs.append(out)
    for name in ("countries.parquet", "crossings.parquet", "observations.csv"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


def test_an_optional_csv_that_is_a_directory_is_refused(tmp_path, russia):
    (russia / "events.csv").unlink()
    (russia / "events.csv").mkdir()
    err = assert_run_refused(russia, tmp_path, "is a directory")
    assert err.startswith(f"{russia / 'events.csv'}: file: "), err


def test_a_nul_byte_in_a_csv_is_refused(tmp_path, russia):
    path = russia / "routes.csv"
    lines = path.read_bytes().split(b"\n")
    lines[44] = lines[44].replace(b"370", b"3\x0070")
    path.write_bytes(b"\n".join(lines))
    err = assert_run_refused(russia, tmp_path, "NUL byte")
    assert err.startswith(f"{path}:45: encoding: "), err


def test_a_destination_no_origin_can_reach_is_refused(tmp_path, russia):
    line = append(russia / "locations.csv", "Nowhere,destination,Georgia,Nowhere,41.0,44.0,0,1,,,no road leads here")
    err = assert_run_refused(russia, tmp_path, "'Nowhere'", "cannot be reached from any origin")
    assert err.startswith(f"{russia / 'locations.csv'}:{line}: name: "), err


def test_an_origin_with_no_path_anywhere_is_refused(tmp_path, russia):
    line = append(russia / "locations.csv", "Lonely,origin,Russia,Nowhere,60.0,100.0,1000,,,,no road leads away")
    err = assert_run_refused(russia, tmp_path, "'Lonely'", "no route to any destination")
    assert err.startswith(f"{russia / 'locations.csv'}:{line}: name: "), err
