"""``crossings fit RUN_DIR [--observed FILE.csv] [--json]``: score a finished run against observations and print
the fit table (docs/fit.md). The run is read back with ``crossings.api.fit_run``; an ensemble directory's fit is
read back with ``crossings.api.fit_ensemble``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crossings import api
from crossings.errors import InputError
from crossings.files import dumps_json


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``fit`` subcommand to ``crossings``' subparsers."""
    p = sub.add_parser("fit", help="score a run against observations (the fit table)")
    p.add_argument("run_dir", help="a run directory (what `crossings run --out DIR` wrote) or an ensemble directory "
                   "(`crossings ensemble --out DIR`: the members' median and 5-95 %% per row)")
    p.add_argument("--observed", default=None, metavar="FILE.csv",
                   help="observations shaped like a scenario's observed.csv (default: the run's "
                        "scenario's observed.csv)")
    p.add_argument("--json", action="store_true", help="print the rows as a JSON list instead of a table")
    return p


def run(args: argparse.Namespace) -> int:
    """Carry out ``crossings fit``; bad input raises :class:`InputError` (exit code 2 in ``main``)."""
    if api.is_ensemble_dir(args.run_dir):
        if args.observed:
            raise InputError("--observed", None, "observed", "an ensemble directory is scored by the fit its "
                             "members made (fit.csv); run the ensemble again to score other observations")
        data, text = api.fit_ensemble(args.run_dir)
        sys.stdout.write(dumps_json(data, indent=2, ensure_ascii=False) + "\n" if args.json else text)
        return 0
    rows, data = api.fit_run(Path(args.run_dir), args.observed)
    if args.json:
        print(dumps_json(data["rows"], indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(api.fit_text(rows, data))
    return 0
