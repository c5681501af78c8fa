#!/usr/bin/env python
"""Regenerate the regression baseline ``tests/regression/baseline.json`` from the current engine.

Run it after a change that is *meant* to move results (a rule fix, a new random stream, a new kernel):

    python scripts/update_baseline.py            # all cases; needs ../shared/data/flee (or $CROSSINGS_SHARED)
    python scripts/update_baseline.py --only demo

Each case is one run (scenario, seed, rule set) summarised by the final number of agents, the normal and
rescaled ARD and the SHA-256 of its out.csv. ``tests/regression/test_baseline.py`` compares a fresh run with
these values exactly and imports this file for the case list and the summary, so the two cannot drift.
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

# name -> how to run it; "shared" scenarios live in <shared>/data/flee/<name>
CASES: dict[str, dict[str, Any]] = {
    "mali2012": {"source": "shared", "seed": 1, "rules": "flee31"},
    "burundi2015": {"source": "shared", "seed": 1, "rules": "flee31"},
    "demo": {"source": "demo", "seed": 0, "rules": "flee31"},
}


def shared_dir() -> Path:
    """The shared directory beside the repository (``$CROSSINGS_SHARED`` overrides it)."""
    env = os.environ.get("CROSSINGS_SHARED")
    return Path(env) if env else (REPO / ".." / "shared").resolve()


def scenario_path(name: str, workdir: Path) -> Path:
    """Where case ``name``'s scenario is (the demo is written into ``workdir``)."""
    case = CASES[name]
    if case["source"] == "demo":
        from crossings.scenarios.demo import write_demo

        return write_demo(workdir / "demo")
    return shared_dir() / "data" / "flee" / name


def available(name: str) -> bool:
    """True if the case's scenario can be run here."""
    return CASES[name]["source"] == "demo" or (shared_dir() / "data" / "flee" / name / "input_csv").is_dir()


def run_case(name: str) -> Any:
    """Run case ``name`` with the engine's defaults and return its Results."""
    import crossings as cx

    case = CASES[name]
    with tempfile.TemporaryDirectory() as tmp:
        sc = cx.load_scenario(scenario_path(name, Path(tmp)))
        return cx.run(sc, seed=case["seed"], rules=case["rules"])


def entry_from_results(res: Any) -> dict[str, Any]:
    """The values the baseline keeps for one run."""
    ard = res.ard()
    return {
        "kernel": str(res.meta.get("kernel", "default")),
        "agents_final": int(res.n_agents[-1]),
        "ard_normal": float(ard["ard_normal"]),
        "ard_rescaled": float(ard["ard_rescaled"]),
        "out_csv_sha256": hashlib.sha256(res.flee_out_csv().encode("utf-8")).hexdigest(),
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
        entry = {**CASES[name], **entry_from_results(run_case(name))}
        if cases.get(name) != entry:
            print(f"{name}: {cases.get(name)} -> {entry}", file=sys.stderr)
        cases[name] = entry
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
