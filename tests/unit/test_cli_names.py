"""The command line a new user meets (issue 21): ``--version``, default output folders that cannot collide, a
folder holding another kind of result refused, the deprecated ``--runs`` still working with a notice, which
kernel a run used, counts in people, and help texts that cite no path of this repository."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import crossings as cx
from crossings.cli import main as cli_main


def crossings(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crossings", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


def test_version_prints_the_version(tmp_path: Path) -> None:
    proc = crossings("--version", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"crossings {cx.__version__}"


def test_a_run_writes_into_out_run_scenario_and_says_its_kernel(demo_dir: Path, tmp_path: Path) -> None:
    proc = crossings("run", str(demo_dir), "--days", "5", "--no-report", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "out" / f"run-{demo_dir.name}"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["days"] == 5
    kernel_lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("kernel:")]
    assert kernel_lines == ["kernel: compiled C"] or kernel_lines[0].startswith("kernel: NumPy"), proc.stderr
    assert len(kernel_lines) == 1, "the kernel is said once"
    assert re.search(rf"5 days, {summary['people_final']:,} people set out", proc.stderr), proc.stderr
    if summary["people_per_agent"] == 1:
        assert "agents" not in proc.stderr.splitlines()[-1], "one agent is one person: no agents to mention"


def test_the_default_scenario_says_people_and_agents(tmp_path: Path) -> None:
    proc = crossings("run", "--days", "3", "--no-report", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "out" / "run-russia2022" / "summary.json").read_text())
    assert f"{summary['people_final']:,} people set out ({summary['agents_final']:,} agents x 100)" in proc.stderr


def test_an_ensemble_refuses_a_folder_holding_a_run(demo_dir: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "r"
    assert crossings("run", str(demo_dir), "--days", "3", "--quiet", "--no-report", "--out", str(run_dir),
                     cwd=tmp_path).returncode == 0
    proc = crossings("ensemble", str(demo_dir), "--members", "2", "--out", str(run_dir), cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "crossings run" in lines[0] and "--out" in lines[0], proc.stderr
    back = crossings("run", str(demo_dir), "--days", "3", "--quiet", "--no-report", "--out", str(run_dir),
                     cwd=tmp_path)
    assert back.returncode == 0, "a run may write over a run"


def test_runs_is_a_deprecated_alias_of_members(capsys: pytest.CaptureFixture[str]) -> None:
    args = cli_main._parser().parse_args(["ensemble", "somewhere", "--runs", "7"])
    assert args.runs == 7
    err = capsys.readouterr().err
    assert "--runs is deprecated" in err and "use --members" in err, err
    args = cli_main._parser().parse_args(["ensemble", "somewhere", "--members", "5"])
    assert args.runs == 5 and capsys.readouterr().err == ""


@pytest.mark.parametrize("command", ["run", "convert", "report", "ensemble", "sensitivity", "calibrate",
                                     "calibrate-flee", "fit"])
def test_help_cites_no_path_of_this_repository(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli_main._parser().parse_args([command, "--help"])
    text = capsys.readouterr().out
    assert text.startswith("usage: crossings " + command)
    for path in ("shared/", "docs/", "src/", "tests/", "bench/"):
        assert path not in text, f"`crossings {command} --help` cites {path}, which an installed user lacks"
    assert "--runs" not in text, "a deprecated name is not advertised"


def test_verbose_logs_what_is_read_and_run(demo_dir: Path, tmp_path: Path) -> None:
    proc = crossings("run", str(demo_dir), "--days", "3", "--quiet", "--no-report", "-vv", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"INFO crossings: read .*flee model", proc.stderr), proc.stderr
    assert re.search(r"INFO crossings: ran .*3 days, seed 0", proc.stderr), proc.stderr
    assert "DEBUG crossings: time by rule:" in proc.stderr
    quiet = crossings("run", str(demo_dir), "--days", "3", "--quiet", "--no-report", cwd=tmp_path)
    assert quiet.stderr == "", "without -v and with --quiet nothing is said"


def test_the_api_shows_progress_with_the_time_left_unless_quiet(demo_dir: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    cx.run(demo_dir, days=20)
    err = capsys.readouterr().err
    assert "days" in err and "20/20" in err and re.search(r"\d\d:\d\d<\d\d:\d\d", err), err
    cx.run(demo_dir, days=20, quiet=True)
    assert capsys.readouterr().err == ""
    seen: list[tuple[int, int]] = []
    cx.run(demo_dir, days=5, progress=lambda d, n: seen.append((d, n)))
    assert seen[-1] == (5, 5) and capsys.readouterr().err == "", "a given progress replaces the bar"
