#!/usr/bin/env python
"""Regenerate the regression baseline ``tests/regression/baseline.json`` from the current engine.

Run it after a change that is *meant* to move results (a rule fix, a new random stream, a new kernel):

    python scripts/update_baseline.py            # all cases; needs ../shared/data/flee (or $CROSSINGS_SHARED)
    python scripts/update_baseline.py --only demo

Each case is one run (scenario, seed, rule set) summarised by the final number of agents, the normal and
rescaled ARD (Flee-format runs), and the SHA-256 of every file the run writes: out.csv, fit.csv and
observations.csv byte for byte, each Parquet table by its content (schema, metadata and column values, so that
a new pyarrow writing the same table differently does not count as a change). ``summary.json`` is left out (it
holds the run's wall time). ``tests/regression/test_baseline.py`` compares a fresh run with these values exactly
and imports this file for the case list and the summary, so the two cannot drift.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "tests" / "regression" / "baseline.json"

# name -> how to run it; "shared" scenarios live in <shared>/data/flee/<name>, "bundled" ones in the package
CASES: dict[str, dict[str, Any]] = {
    "mali2012": {"source": "shared", "seed": 1, "rules": "flee31"},
    "burundi2015": {"source": "shared", "seed": 1, "rules": "flee31"},
    "car2013": {"source": "shared", "seed": 1, "rules": "flee31"},
    "ssudan2014": {"source": "shared", "seed": 1, "rules": "flee31"},
    "demo": {"source": "demo", "seed": 0, "rules": "flee31"},
    # the bug-fixed rules with the scenario's own settings (--rules crossings before its calibrated defaults)
    "demo-fixes": {"source": "demo", "seed": 0, "rules": "fixes"},
    "russia2022-0": {"source": "bundled", "scenario": "russia2022", "seed": 0, "rules": "crossings"},
    "russia2022-1": {"source": "bundled", "scenario": "russia2022", "seed": 1, "rules": "crossings"},
    "russia2022-2": {"source": "bundled", "scenario": "russia2022", "seed": 2, "rules": "crossings"},
}


def shared_dir() -> Path:
    """The shared directory beside the repository (``$CROSSINGS_SHARED`` overrides it)."""
    env = os.environ.get("CROSSINGS_SHARED")
    return Path(env) if env else (REPO / ".." / "shared").resolve()


def scenario_path(name: str, workdir: Path) -> Path | str:
    """Where case ``name``'s scenario is (the demo is written into ``workdir``; a bundled one is named)."""
    case = CASES[name]
    if case["source"] == "demo":
        from crossings.scenarios.demo import write_demo

        return write_demo(workdir / "demo")
    if case["source"] == "bundled":
        return case["scenario"]
    return shared_dir() / "data" / "flee" / name


def available(name: str) -> bool:
    """True if the case's scenario can be run here."""
    return CASES[name]["source"] != "shared" or (shared_dir() / "data" / "flee" / name / "input_csv").is_dir()


def run_case(name: str) -> dict[str, Any]:
    """Run case ``name`` with the engine's defaults, write its outputs as ``crossings run --no-report`` does and
    return the baseline's entry for it."""
    import crossings as cx

    case = CASES[name]
    with tempfile.TemporaryDirectory() as tmp:
        sc = cx.load_scenario(scenario_path(name, Path(tmp)))
        res = cx.run(sc, seed=case["seed"], rules=case["rules"])
        out = Path(tmp) / "out"
        write_outputs(res, out)
        return entry(res, out)


def write_outputs(res: Any, out: Path) -> None:
    """Write a run's files into ``out`` the way the command line does."""
    from crossings.api import write_run

    write_run(res, out)


def parquet_digest(path: Path) -> str:
    """SHA-256 of a Parquet table's content: its schema (names, types, metadata) and every column's values."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.ParquetFile(path).read()
    h = hashlib.sha256()
    meta = table.schema.metadata or {}
    h.update(repr(sorted(meta.items())).encode())
    for name, col in zip(table.column_names, table.columns, strict=True):
        arr = col.combine_chunks()
        h.update(f"{name}:{arr.type}".encode())
        if pa.types.is_dictionary(arr.type):
            h.update(repr(arr.dictionary.to_pylist()).encode())
            arr = arr.indices
        if pa.types.is_string(arr.type):
            h.update(repr(arr.to_pylist()).encode())
        else:
            h.update(arr.to_numpy(zero_copy_only=False).tobytes())
    return h.hexdigest()


def entry(res: Any, out: Path) -> dict[str, Any]:
    """The values the baseline keeps for one run whose files are in ``out``."""
    ard = res.ard() if res.camps else {}
    files = {}
    for f in sorted(out.iterdir()):
        if f.suffix == ".parquet":
            files[f.name] = parquet_digest(f)
        elif f.suffix == ".csv":
            files[f.name] = hashlib.sha256(f.read_bytes()).hexdigest()
    return {
        "kernel": str(res.meta.get("kernel", "default")),
        "agents_final": int(res.n_agents[-1]),
        **({"ard_normal": float(ard["ard_normal"]), "ard_rescaled": float(ard["ard_rescaled"])} if ard else {}),
        "files_sha256": files,
    }


def environment() -> dict[str, str]:
    """Versions that can legitimately change the random streams (recorded, not compared)."""
    import numpy as np

    import crossings as cx

    return {"crossings": cx.__version__, "numpy": np.__version__, "python": platform.python_version()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", action="append", choices=sorted(CASES), help="update only this case (repeatable)")
    args = p.parse_args(argv)
    names = args.only or list(CASES)
    missing = [n for n in names if not available(n)]
    if missing:
        print(f"cannot run {', '.join(missing)}: no scenario at {shared_dir() / 'data' / 'flee'} "
              "(set CROSSINGS_SHARED to the shared/ directory)", file=sys.stderr)
        return 2
    old: dict[str, Any] = json.loads(BASELINE.read_text()) if BASELINE.is_file() else {}
    cases = dict(old.get("cases", {}))
    for name in names:
        new = {**CASES[name], **run_case(name)}
        if cases.get(name) != new:
            print(f"{name}: {cases.get(name)} -> {new}", file=sys.stderr)
        cases[name] = new
    doc = {
        "about": "Regression baseline of crossings; compared exactly by tests/regression/test_baseline.py. "
                 "Regenerate with: python scripts/update_baseline.py",
        "environment": environment(),
        "cases": {k: cases[k] for k in CASES if k in cases},
    }
    BASELINE.parent.mkdir(parents=True, exist_ok=True)
    BASELINE.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {BASELINE.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
