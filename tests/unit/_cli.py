"""The command line as the tests start it: a fresh ``python -m crossings`` process, and the check that a bad input
ends in one line on stderr, exit code 2 and no traceback (the project's rule for every command)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def crossings(*args: str, cwd: Path, env: dict[str, str] | None = None,
              timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run ``crossings ARGS`` in ``cwd`` as its own process; stdout and stderr captured as text."""
    return subprocess.run([sys.executable, "-m", "crossings", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, env=env)


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *words: str) -> str:
    """The process failed on bad input as the project requires (exit 2, one stderr line holding each of ``words``,
    no traceback); returns that line."""
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2, f"expected exit code 2, got {proc.returncode}; stderr:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, f"expected no traceback, got:\n{proc.stderr}"
    assert len(lines) == 1, f"expected exactly one stderr line, got {len(lines)}:\n{proc.stderr}"
    for w in words:
        assert w in lines[0], f"expected {w!r} in {lines[0]!r}"
    return lines[0]


def assert_run_refused(scenario: Path, cwd: Path, *words: str, extra: tuple[str, ...] = ()) -> str:
    """``crossings run SCENARIO`` (into ``cwd/out``, quiet, no report, with ``extra`` options) is refused as
    :func:`assert_one_line_error` requires, leaving nothing in --out; returns the error line."""
    out = cwd / "out"
    err = assert_one_line_error(crossings("run", str(scenario), "--out", str(out), "--quiet", "--no-report", *extra,
                                          cwd=cwd), *words)
    assert not out.exists(), "nothing may be written for a refused scenario"
    return err
