"""The run report: one self-contained, offline HTML page of a run's :class:`~crossings.results.Results`
(:func:`render_report`; the command line reads the run with ``crossings.api.read_run`` and writes the page), and
static figures of the same charts for papers (:mod:`crossings.report.figures`, needs the ``report`` extra)."""

from __future__ import annotations

from crossings.report.data import collect
from crossings.report.page import render
from crossings.results import Results


def render_report(results: Results) -> str:
    """The report page of ``results`` (a run read back from its directory, or in memory) as HTML text."""
    return render(collect(results))


__all__ = ["collect", "render", "render_report"]
