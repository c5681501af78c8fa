"""Determinism across threads: the same seed run with 1 and with 2 threads allowed to the numerical libraries
(OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, MKL_NUM_THREADS, NUMEXPR_NUM_THREADS, VECLIB_MAXIMUM_THREADS) writes
the same bytes: out.csv, the Parquet tables, observations.csv, and summary.json except wall_seconds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS")
FILES = ("out.csv", "locations.parquet", "links.parquet", "countries.parquet", "crossings.parquet",
         "observations.csv", "summary.json")


def run_with_threads(scenario: Path, out: Path, threads: int, *extra: str) -> None:
    env = dict(os.environ)
    env.update({v: str(threads) for v in THREAD_VARS})
    proc = subprocess.run([sys.executable, "-m", "crossings", "run", str(scenario), "--out", str(out), "--seed", "11",
                           "--quiet", "--no-report", *extra], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr


def assert_same_bytes(a: Path, b: Path) -> None:
    seen = 0
    for name in FILES:
        if not (a / name).exists():
            assert not (b / name).exists(), name
            continue
        seen += 1
        if name == "summary.json":
            sa, sb = json.loads((a / name).read_text()), json.loads((b / name).read_text())
            sa.pop("wall_seconds"), sb.pop("wall_seconds")
            assert sa == sb
        else:
            assert (a / name).read_bytes() == (b / name).read_bytes(), f"{name} differs between 1 and 2 threads"
    assert seen >= 4


@pytest.fixture
def scenarios(tmp_path: Path, flee_data) -> dict[str, Path]:
    from crossings.scenarios.emigration_demo import write_emigration_demo

    return {"mali2012": flee_data("mali2012"), "emigration": write_emigration_demo(tmp_path / "exodus")}


@pytest.mark.parametrize("case", [("mali2012", "compiled"), ("mali2012", "numpy"), ("emigration", "compiled")],
                         ids=lambda c: f"{c[0]}-{c[1]}")
def test_one_and_two_threads_give_identical_bytes(scenarios, tmp_path, case):
    name, kernel = case
    outs = []
    for threads in (1, 2):
        out = tmp_path / f"{name}-{threads}"
        days = ("--days", "150") if name == "mali2012" else ()
        run_with_threads(scenarios[name], out, threads, "--kernel", kernel, *days)
        outs.append(out)
    assert_same_bytes(*outs)
