"""The ``crossings`` command: exit code 2 and exactly one stderr line (no traceback) on bad input; a good
run writes out.csv, summary.json and two Parquet tables, byte-for-byte reproducible for a seed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from _cli import assert_one_line_error, crossings

LOCS = [("A", "X", "conflict_zone", 1000), ("T", "X", "town", 500), ("B", "Y", "camp", 0)]
ROUTES = [("A", "T", 50), ("T", "B", 100)]
CAMPS = {"B": [(0, 10), (5, 20), (9, 40)]}


@pytest.mark.parametrize("quiet", [True, False], ids=["quiet", "verbose"])
def test_bad_route_exits_2_with_one_line(scenario_dir, tmp_path, quiet):
    root = scenario_dir(LOCS, ROUTES, camps=CAMPS)
    (root / "input_csv" / "routes.csv").write_text("#name1,name2,distance\nA,T,50\nT,B,-100\n")
    args = ["run", str(root), "--out", str(tmp_path / "out")] + (["--quiet"] if quiet else [])
    line = assert_one_line_error(crossings(*args, cwd=tmp_path), "routes.csv:3: distance:")
    assert line.split(": ")[0].endswith("routes.csv:3"), f"expected 'file:line: field: problem', got {line!r}"
    assert not (tmp_path / "out" / "summary.json").exists(), "no summary may be written for a failed run"


def test_simsetting_typo_exits_2_with_one_line(scenario_dir, tmp_path):
    root = scenario_dir(LOCS, ROUTES, camps=CAMPS, simsetting_text="move_rules:\n  camp_wieght: 2.0\n")
    proc = crossings("run", str(root), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert_one_line_error(proc, "simsetting.yml:2:", "camp_wieght")


def test_missing_scenario_exits_2_with_one_line(tmp_path):
    proc = crossings("run", str(tmp_path / "no-such-scenario"), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert_one_line_error(proc, "no-such-scenario")


def test_non_positive_days_exits_2_with_one_line(scenario_dir, tmp_path):
    root = scenario_dir(LOCS, ROUTES, camps=CAMPS)
    proc = crossings("run", str(root), "--days", "0", "--quiet", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert_one_line_error(proc, "days")


def test_days_beyond_the_conflicts_table_exits_2_with_one_line(scenario_dir, tmp_path):
    root = scenario_dir(LOCS, ROUTES, camps=CAMPS, length=10)
    proc = crossings("run", str(root), "--days", "50", "--quiet", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert_one_line_error(proc, "conflicts.csv")


def test_run_writes_outputs_and_is_reproducible(scenario_dir, tmp_path):
    root = scenario_dir(LOCS, ROUTES, camps=CAMPS, total=[(0, 10), (9, 400)], length=10)
    outs = []
    for k in range(2):
        out = tmp_path / f"out{k}"
        proc = crossings("run", str(root), "--out", str(out), "--seed", "7", "--quiet", "--check", cwd=tmp_path)
        assert proc.returncode == 0, f"expected success, got {proc.returncode}:\n{proc.stderr}"
        assert proc.stderr == "", f"--quiet must print nothing, got:\n{proc.stderr}"
        for f in ("out.csv", "summary.json", "locations.parquet", "links.parquet"):
            assert (out / f).is_file(), f"expected {f} in the output directory"
        outs.append(out)
    a, b = outs
    assert (a / "out.csv").read_bytes() == (b / "out.csv").read_bytes(), "same seed must give identical out.csv"
    for f in ("locations.parquet", "links.parquet"):
        assert pq.read_table(a / f).equals(pq.read_table(b / f)), f"same seed must give identical {f} content"
    summary = json.loads((a / "summary.json").read_text())
    assert summary["seed"] == 7 and summary["days"] == 10, f"summary does not describe the run: {summary}"
    assert summary["agents_final"] == 10 + 400 - 10, (
        "expected day-0 camp agents (10) plus the rise of the total (400 - 10)")
    locs = pq.read_table(a / "locations.parquet").to_pandas()
    assert len(locs) == 10 * 3, f"expected one row per day and location, got {len(locs)}"


def test_default_scenario_is_russia2022(tmp_path):
    proc = crossings("run", "--out", str(tmp_path / "out"), "--days", "3", "--quiet", "--no-report", cwd=tmp_path)
    assert proc.returncode == 0, f"expected the default scenario to run, got {proc.returncode}:\n{proc.stderr}"
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["scenario"] == "russia2022", f"expected the default scenario, got {summary['scenario']}"
    assert (tmp_path / "out" / "countries.parquet").is_file(), "expected the emigration model's country table"
    assert "fit" in summary, "expected the fit table of the scenario's observations in summary.json"


def test_out_path_that_is_a_file_exits_2_with_one_line(scenario_dir, tmp_path):
    root = scenario_dir(LOCS, ROUTES, camps=CAMPS)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    proc = crossings("run", str(root), "--out", str(blocker), "--quiet", cwd=tmp_path)
    assert_one_line_error(proc, "not-a-directory")


def test_a_run_too_big_for_memory_exits_2_with_the_estimate(scenario_dir, tmp_path):
    root = scenario_dir(LOCS, ROUTES, camps=CAMPS, total=[(0, 10), (9, 10**11)])
    line = assert_one_line_error(crossings("run", str(root), "--out", str(tmp_path / "o"), cwd=tmp_path),
                                 "memory", "GiB")
    assert "available" in line
    assert not (tmp_path / "o" / "summary.json").exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_leaves_nothing_that_looks_complete(flee_data, tmp_path, sig):
    out = tmp_path / "out"
    # a suite started in the background (cmd &) inherits SIGINT ignored, and so would the run: undo that
    proc = subprocess.Popen([sys.executable, "-m", "crossings", "run", str(flee_data("ssudan2014")), "--out",
                             str(out), "--quiet", "--kernel", "numpy"], stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(2.5)  # well inside the run (several seconds with the NumPy kernel)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, f"expected exit 130 after {sig.name}, got {proc.returncode}: {err}"
    assert "Traceback" not in err
    left = sorted(p.name for p in out.glob("*")) if out.exists() else []
    assert not any(n in left for n in ("summary.json", "out.csv", "locations.parquet", "links.parquet")), left
    assert not [n for n in left if n.endswith(".part")], f"temporary files left behind: {left}"


def test_atomic_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    """Files are written under a temporary name and renamed into place."""
    from crossings.files import write_text

    target = tmp_path / "x.txt"
    write_text(target, "done\n")
    assert target.read_text() == "done\n"
    assert not list(tmp_path.glob(".*.part")), "the temporary file must be renamed away"
