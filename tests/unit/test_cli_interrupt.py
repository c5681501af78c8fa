"""A run that would not fit in memory says so before it starts; a run stopped by SIGINT or SIGTERM leaves no
output that looks complete."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

LOCS = [("A", "X", "conflict_zone", 1000), ("T", "X", "town", 500), ("B", "Y", "camp", 0)]
ROUTES = [("A", "T", 50), ("T", "B", 100)]
CAMPS = {"B": [(0, 10), (5, 20), (9, 40)]}


def crossings(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crossings", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *words: str) -> str:
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for w in words:
        assert w in lines[0], f"expected {w!r} in the error line, got {lines[0]!r}"
    return lines[0]


def test_a_run_too_big_for_memory_exits_2_with_the_estimate(scenario_dir, tmp_path):
    root = scenario_dir(LOCS, ROUTES, camps=CAMPS, total=[(0, 10), (9, 10**11)])
    line = assert_one_line_error(crossings("run", str(root), "--out", str(tmp_path / "o"), cwd=tmp_path),
                                 "memory", "GiB")
    assert "available" in line
    assert not (tmp_path / "o" / "summary.json").exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_leaves_nothing_that_looks_complete(flee_data, tmp_path, sig):
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "crossings", "run", str(flee_data("ssudan2014")), "--out",
                             str(out), "--quiet", "--kernel", "numpy"], stderr=subprocess.PIPE, text=True)
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
    from crossings.io.write import write_text

    target = tmp_path / "x.txt"
    write_text(target, "done\n")
    assert target.read_text() == "done\n"
    assert not list(tmp_path.glob(".*.part")), "the temporary file must be renamed away"
