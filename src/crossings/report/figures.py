"""Static figures of the report's charts, for papers: PNG and SVG through matplotlib (the ``report`` extra).

Each function returns a :class:`matplotlib.figure.Figure` built without pyplot (no global state, no window);
save it with ``fig.savefig(path)``, or use :func:`save_figures` for all of them at once::

    from crossings.api import read_run
    from crossings.report.figures import camps_figure
    fig = camps_figure(read_run("out/burundi"))
    fig.savefig("burundi-camps.pdf")
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

from crossings.report.data import collect
from crossings.results import Results

_COLORS = {"sim": "#1f5fbf", "sim2": "#0f8a80", "obs": "#222222", "obs2": "#8a8f96"}
_LINES = ["#1f5fbf", "#e07b00", "#0f8a80", "#c62828", "#7b3fa0", "#6b7280", "#b45309", "#15803d"]
_EVENTS = {"conflict": "#c62828", "peace": "#6b7280", "closure": "#b45309", "opening": "#15803d"}


def _data(run: Results | dict) -> dict:
    return run if isinstance(run, dict) else collect(run)


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure  # matplotlib (the report extra) is slow to import: only figures need it

    return Figure(figsize=(width, height), layout="constrained")


def _draw(ax: Any, data: dict, chart: dict, events: bool = True, legend: bool = True) -> None:
    """One chart of the page on a matplotlib Axes: series, bands, observation points and event marks."""
    import matplotlib.dates as mdates  # matplotlib (the report extra) is slow to import: only figures need it

    dates = [dt.date.fromisoformat(d) for d in data["dates"]]
    x = [dates[d] for d in data["kept"]]
    for k, s in enumerate(chart["series"]):
        color = _COLORS.get(s["role"], _LINES[k % len(_LINES)])
        dashed = s["role"].startswith("obs")
        if "lo" in s and "hi" in s:
            lo = [math.nan if v is None else v for v in s["lo"]]
            hi = [math.nan if v is None else v for v in s["hi"]]
            ax.fill_between(x, lo, hi, color=color, alpha=0.18, linewidth=0)
        y = [math.nan if v is None else v for v in s["values"]]
        ax.plot(x, y, color=color, linewidth=1.0 if dashed else 1.5, linestyle="--" if dashed else "-",
                label=s["name"])
        pts = s.get("points")
        if pts:
            ax.plot([dates[min(max(int(d), 0), len(dates) - 1)] for d, _ in pts], [v for _, v in pts], "o",
                    color=color, markersize=2.5)
    if events:
        for e in data["events"]:
            ax.axvline(dates[e["day"]], color=_EVENTS.get(e["kind"], "#999"), linewidth=0.7, linestyle=":",
                       alpha=0.8)
    ax.set_ylim(bottom=0)
    if dates:
        ax.set_xlim(dates[0], dates[-1])
    loc = mdates.AutoDateLocator(maxticks=6)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    ax.xaxis.get_offset_text().set_fontsize(7)
    ax.yaxis.set_major_formatter(_short)
    ax.grid(axis="y", color="#e6e9ee", linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    if legend:
        ax.legend(fontsize=7, frameon=False, loc="upper left")


def _short(v: float, _pos: Any = None) -> str:
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.1f}".rstrip("0").rstrip(".") + "M"
    if a >= 1e3:
        return f"{v / 1e3:.1f}".rstrip("0").rstrip(".") + "k"
    return f"{v:g}"


def totals_figure(run: Results | dict, width: float = 7.0, height: float = 3.2) -> Any:
    """People displaced over time: simulated (all, in camps) and observed totals, with the timeline of events (an
    emigration run: people abroad, on the way, and emigrants and travellers away).

    ``run`` is a run's results or the data from :func:`crossings.report.data.collect`."""
    data = _data(run)
    fig = _figure(width, height)
    ax = fig.add_subplot()
    chart = next((c for c in data["charts"] if c["group"] == "totals"), None)
    if chart is not None:
        _draw(ax, data, chart)
    what = chart["title"].lower() if chart is not None and data.get("emigration") else "people displaced"
    ax.set_title(f"{data['meta'].get('scenario', '')}: {what}", fontsize=10, loc="left")
    ax.set_ylabel("people", fontsize=8)
    ax.tick_params(labelsize=7)
    return fig


def camps_figure(run: Results | dict, camps: list[str] | None = None, ncols: int = 3,
                 panel: tuple[float, float] = (2.6, 1.9)) -> Any:
    """Small multiples, one panel per camp: simulated against observed (the observation dates as dots).

    ``camps`` picks and orders camps by name (default: every camp, observed ones first)."""
    data = _data(run)
    charts = [c for c in data["charts"] if c["group"] == "camps"]
    if camps is not None:
        by_name = {c["title"]: c for c in charts}
        missing = [n for n in camps if n not in by_name]
        if missing:
            raise ValueError(f"no camp chart for {missing}; camps are {sorted(by_name)}")
        charts = [by_name[n] for n in camps]
    n = max(len(charts), 1)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig = _figure(panel[0] * ncols, panel[1] * nrows + 0.4)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k >= len(charts):
            ax.set_visible(False)
            continue
        _draw(ax, data, charts[k], legend=(k == 0))
        ax.set_title(charts[k]["title"], fontsize=8, loc="left")
        ax.tick_params(labelsize=6.5)
    fig.suptitle(f"{data['meta'].get('scenario', '')}: camps, simulated (solid) and observed (dashed)",
                 fontsize=9, x=0.01, ha="left")
    return fig


def save_figures(run: Results | dict, out_dir: str | Path, formats: tuple[str, ...] = ("png", "svg"),
                 dpi: int = 200) -> list[Path]:
    """Write totals and camps figures of ``run`` (results, or the data from :func:`collect`) into ``out_dir`` in
    each format."""
    data = _data(run)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    figures = {"totals": totals_figure(data)}
    if any(c["group"] == "camps" for c in data["charts"]):
        figures["camps"] = camps_figure(data)
    for name, fig in figures.items():
        for fmt in formats:
            path = out / f"{name}.{fmt}"
            fig.savefig(path, dpi=dpi, format=fmt)
            written.append(path)
    return written
