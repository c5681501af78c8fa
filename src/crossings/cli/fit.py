"""``crossings fit RUN_DIR [--observed FILE.csv] [--json]``: score a finished run against observations and print
the fit table (docs/fit.md). The run is read back with ``crossings.api.read_run``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from crossings.api import read_run
from crossings.errors import InputError


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``fit`` subcommand to ``crossings``' subparsers."""
    p = sub.add_parser("fit", help="score a run against observations (the fit table)")
    p.add_argument("run_dir", help="a run directory (what `crossings run --out DIR` wrote)")
    p.add_argument("--observed", default=None, metavar="FILE.csv",
                   help="observations shaped like shared/data/russia2022/observations.csv (default: the run's "
                        "scenario's observed.csv)")
    p.add_argument("--json", action="store_true", help="print the rows as a JSON list instead of a table")
    return p


def observed_of_run(run_dir: Path) -> Path:
    """The observations a run is scored against by default: those its summary.json used, else the observed.csv
    of the scenario directory it names."""
    try:
        summary: dict[str, Any] = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        summary = {}
    fit = summary.get("fit")
    used = fit.get("summary", {}).get("observed_file") if isinstance(fit, dict) else None
    if used and Path(used).is_file():
        return Path(used)
    from crossings.observed.fit import scenario_observed  # the fit's modules load only when it runs (start-up)

    found = scenario_observed(summary.get("scenario_path"))
    if found is None:
        raise InputError(run_dir, None, "--observed", "no observations: the run's scenario has no observed.csv; "
                         "give --observed FILE.csv")
    return found


def run(args: argparse.Namespace) -> int:
    """Carry out ``crossings fit``; bad input raises :class:`InputError` (exit code 2 in ``main``)."""
    from crossings.observed.fit import fit_data, format_table, summary_text  # (start-up: only when it runs)
    from crossings.observed.measures import RunTables

    run_dir = Path(args.run_dir)
    view = RunTables.from_results(read_run(run_dir, scenario=False))
    observed = Path(args.observed) if args.observed is not None else observed_of_run(run_dir)
    rows, data = fit_data(view, observed)
    if args.json:
        print(json.dumps(data["rows"], indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(format_table(rows))
        print(summary_text(data["summary"]))
    return 0


def fit_line(run_dir: str | Path) -> str | None:
    """The line ``crossings run`` prints about the fit written into ``run_dir``/summary.json (None: no fit)."""
    from crossings.observed.fit import run_line  # the fit's modules load only when it runs (start-up)

    try:
        summary = json.loads((Path(run_dir) / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    fit = summary.get("fit")
    return run_line(fit["summary"]) if isinstance(fit, dict) and "summary" in fit else None
