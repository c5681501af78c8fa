"""The run report: one self-contained, offline HTML page per run directory (``write_report``), and static
figures of the same charts for papers (:mod:`crossings.report.figures`, needs the ``report`` extra)."""

from __future__ import annotations

from pathlib import Path


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write ``run_dir/report.html`` (or ``out``) from the run's files and return its path."""
    from crossings.files import write_text
    from crossings.report.data import collect
    from crossings.report.page import render

    run = Path(run_dir)
    target = Path(out) if out is not None else run / "report.html"
    write_text(target, render(collect(run)))
    return target


__all__ = ["write_report"]
