"""Results as the API hands them to a person (``crossings.run``, ``crossings.read_run``): :class:`Run` adds the
report's static figures (``plot``) to :class:`~crossings.results.Results`, and an ``ard()`` that says why a run
has none instead of returning an empty dict. It lives here, beside the figures, because the results layer
cannot import the report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from crossings.observed.fit import fit_outputs
from crossings.results import Results

KINDS = ("totals", "camps")  # the report's static figures (crossings.report.figures)


class Run(Results):
    """A run's :class:`~crossings.results.Results` with ``plot(kind=...)`` (matplotlib Figures, the ``report``
    extra) and a strict ``ard()``."""

    @classmethod
    def of(cls, results: Results) -> Run:
        """The same results (their arrays are shared, not copied) as a :class:`Run`."""
        return results if isinstance(results, cls) else cls(**{f.name: getattr(results, f.name)
                                                                for f in fields(results)})

    def plot(self, kind: str = "totals", **options: Any) -> Any:
        """One of the report's charts as a :class:`matplotlib.figure.Figure` (no pyplot, no window; a notebook
        shows it, ``fig.savefig(path)`` saves it): ``kind`` "totals" (people displaced or abroad over time, with
        the timeline of events) or "camps" (one panel per observed camp, simulated against observed; options as
        :func:`crossings.report.figures.camps_figure`)."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind of figure {kind!r}; choose {', '.join(KINDS)}")
        if kind == "camps" and not self.camps and self.written_camps is None:
            raise ValueError("this run has no observed camps to plot (kind='camps' is for Flee conflicts); "
                             "use kind='totals'")
        try:
            from crossings.report import figures  # matplotlib (the report extra) is slow to import: only plots
        except ImportError as exc:
            raise ImportError(f"plot needs matplotlib ({exc}): pip install 'crossings[report]'") from None
        draw = figures.totals_figure if kind == "totals" else figures.camps_figure
        return draw(self, **options)

    def write(self, out: str | Path, files: Mapping[str, str | None] | None = None,
              extra: Mapping[str, Any] | None = None) -> Path:
        """Write the run into the directory ``out`` as ``crossings run --no-report`` does: its tables, its
        model's own files, the fit against the scenario's observations when it has some (fit.csv and summary.json's
        ``"fit"``), and summary.json last; ``crossings.read_run(out)`` reads it back, ``crossings report out``
        draws its page. ``files`` and ``extra`` replace the fit's (:meth:`Results.write`)."""
        if files is None and extra is None:
            files, extra = fit_outputs(self)
        return super().write(out, files, extra)

    def ard(self) -> dict[str, float]:
        """Flee's validation error against observed camp counts: mean normal and rescaled ARD. ValueError for a
        run without observed camps (an emigration run is scored by its fit table: ``crossings fit``)."""
        if not self.camps:
            raise ValueError(f"{self.name or 'this run'} has no observed camps, so no ARD; an emigration run is "
                             "scored by its fit table (fit.csv, `crossings fit DIR`)")
        return super().ard()
