"""``crossings report DIR``: the command-line side of the report. The run is read back and its page
written through :mod:`crossings.api` (``read_run``, ``write_report``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crossings import api
from crossings.errors import InputError


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``report`` subcommand to ``crossings``' subparsers."""
    p = sub.add_parser("report", help="write DIR/report.html, an offline page of a run's results")
    p.add_argument("dir", help="a run directory (what `crossings run --out DIR` wrote)")
    p.add_argument("--out", default=None, help="where to write the page (default: DIR/report.html)")
    p.add_argument("--figures", action="store_true",
                   help="also write the charts as PNG and SVG into DIR/figures (needs matplotlib)")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    return p


def run(args: argparse.Namespace) -> int:
    """Carry out ``crossings report``; bad input raises :class:`InputError` (exit code 2 in ``main``)."""
    run_dir = Path(args.dir)
    if not (run_dir / "summary.json").is_file():
        raise InputError(run_dir, None, "report", "not a run directory (no summary.json)")
    results = api.read_run(run_dir)
    written = [api.write_report(run_dir, args.out, results)]
    if args.figures:
        try:
            written += api.save_figures(results, run_dir / "figures")
        except ImportError as exc:
            raise InputError(run_dir, None, "--figures", f"needs matplotlib ({exc}); pip install "
                             "'crossings[report]'") from None
    if not args.quiet:
        for p in written:
            print(f"wrote {p}", file=sys.stderr)
    return 0


def after_run(out_dir: str | Path, quiet: bool = False) -> None:
    """Write the report at the end of ``crossings run``; a failure is a notice, never a failed run."""
    try:
        path = api.write_report(out_dir)
    except Exception as exc:  # the results are written already; the page is a convenience
        print(f"notice: no report.html ({type(exc).__name__}: {exc})", file=sys.stderr)
        return
    if not quiet:
        print(f"report: {path}", file=sys.stderr)
