"""``crossings report DIR``: the command-line side of the report. The run is read back with
``crossings.api.read_run``; the page is drawn from those results (:func:`crossings.report.render_report`) and
written here."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crossings.api import read_run
from crossings.errors import InputError
from crossings.files import write_text


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``report`` subcommand to ``crossings``' subparsers."""
    p = sub.add_parser("report", help="write DIR/report.html, an offline page of a run's results")
    p.add_argument("dir", help="a run directory (what `crossings run --out DIR` wrote)")
    p.add_argument("--out", default=None, help="where to write the page (default: DIR/report.html)")
    p.add_argument("--figures", action="store_true",
                   help="also write the charts as PNG and SVG into DIR/figures (needs matplotlib)")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    return p


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the report page of the run in ``run_dir`` (or of an ensemble's bands directory) into ``out``
    (default ``run_dir/report.html``) and return its path."""
    from crossings.report import render_report  # the report's modules load only when a page is drawn (start-up)

    target = Path(out) if out is not None else Path(run_dir) / "report.html"
    write_text(target, render_report(read_run(run_dir)))
    return target


def run(args: argparse.Namespace) -> int:
    """Carry out ``crossings report``; bad input raises :class:`InputError` (exit code 2 in ``main``)."""
    from crossings.report import render_report  # the report's modules load only when a page is drawn (start-up)

    run_dir = Path(args.dir)
    if not (run_dir / "summary.json").is_file():
        raise InputError(run_dir, None, "report", "not a run directory (no summary.json)")
    results = read_run(run_dir)
    path = Path(args.out) if args.out is not None else run_dir / "report.html"
    write_text(path, render_report(results))
    written = [path]
    if args.figures:
        try:
            from crossings.report.figures import save_figures  # matplotlib, the report extra: only with --figures

            written += save_figures(results, run_dir / "figures")
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
        path = write_report(out_dir)
    except Exception as exc:  # the results are written already; the page is a convenience
        print(f"notice: no report.html ({type(exc).__name__}: {exc})", file=sys.stderr)
        return
    if not quiet:
        print(f"report: {path}", file=sys.stderr)


def after_ensemble(out_dir: str | Path) -> None:
    """Write the report of an ensemble (``out_dir/report.html``, drawn from its daily bands in ``out_dir/bands``)
    at the end of ``crossings ensemble``, when it has bands; a failure is a notice, never a failed ensemble."""
    bands = Path(out_dir) / "bands"
    if not (bands / "summary.json").is_file():
        return
    try:
        write_report(bands, Path(out_dir) / "report.html")
    except Exception as exc:  # the results are written already; the page is a convenience
        print(f"notice: no report.html ({type(exc).__name__}: {exc})", file=sys.stderr)
