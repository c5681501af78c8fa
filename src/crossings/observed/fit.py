"""Fit tables: each observation against the run's simulated value (inside the accepted band or not, the ratio,
a calibration loss), their summary counts, and the forms they are written in (summary.json "fit", fit.csv,
the text table of ``crossings fit``). The rules are in docs/fit.md, "Scoring"."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crossings.observed.classify import classify
from crossings.observed.measures import RunTables, simulate
from crossings.observed.observations import SCORED_ROLES, Observation, read_observed
from crossings.results import Results

WIDEN = 1.25  # the accepted band: the source band widened ×1.25 on each side (issue 20)
FACTOR = 1.5  # the looser measure kept beside it: within a factor of 1.5 of the source band
LOG_FLOOR = 1e-3  # below an edge > 0, simulated values under this fraction of the edge (0 too) count as it
STATUSES = ("scored", "outside run", "not in this run", "unavailable", "not modelled", "not compared")
OUTPUT_ROLES = ("calibration", "validation")  # the rows a model is judged on; input rows are counted apart


def source_band(value: float | None, low: float | None, high: float | None) -> tuple[float, float]:
    """The band the source gives: [low, high]; one bound alone (with or without a value) is one-sided, open on
    the other side ("at least", "at most"); a value alone is the point [value, value]."""
    if low is not None and high is not None:
        return low, high
    if low is not None:
        return low, math.inf
    if high is not None:
        return -math.inf, high
    assert value is not None
    return value, value


def widen(lo: float, hi: float, factor: float) -> tuple[float, float]:
    """[lo, hi] widened by ``factor`` on each side, multiplicatively: an edge moves away from the band (a positive
    low is divided by it, a negative one multiplied; the mirror for high); 0 and open edges stay."""
    return (lo / factor if lo > 0 else lo * factor), (hi * factor if hi > 0 else hi / factor)


def band(value: float | None, low: float | None, high: float | None, factor: float = WIDEN) -> tuple[float, float]:
    """The accepted band of an observation: its source band (:func:`source_band`) widened ×``factor`` on each
    side (×1.25 by default: a value alone accepts [value ÷ 1.25, value × 1.25])."""
    return widen(*source_band(value, low, high), factor)


def within(simulated: float, value: float | None, low: float | None, high: float | None,
           factor: float = WIDEN) -> bool:
    """Whether ``simulated`` lies in the source band widened ×``factor`` (edges included)."""
    lo, hi = band(value, low, high, factor)
    return lo <= simulated <= hi


def ratio(simulated: float, value: float | None, low: float | None, high: float | None) -> float | None:
    """Simulated ÷ the source band's midpoint (a range), ÷ the value (a value alone) or ÷ the one bound (a
    one-sided row); None when that is 0."""
    lo, hi = source_band(value, low, high)
    if math.isinf(lo) or math.isinf(hi):
        ref = hi if math.isinf(lo) else lo
    elif low is None and high is None:
        ref = value if value is not None else 0.0
    else:
        ref = (lo + hi) / 2
    return simulated / ref if ref else None


def loss(simulated: float, value: float | None, low: float | None, high: float | None) -> float:
    """0 inside the accepted band. Outside, with the nearest edge > 0: the squared natural log of simulated ÷ edge
    (a simulated value below LOG_FLOOR × edge, 0 or negative included, counts as that); with the nearest edge ≤ 0
    (negative observations such as a net outflow): the squared distance to the edge in units of |value| (else
    of the band's largest finite bound, else 1)."""
    lo, hi = band(value, low, high)
    if lo <= simulated <= hi:
        return 0.0
    edge = lo if simulated < lo else hi
    if edge > 0:
        return math.log(max(simulated, LOG_FLOOR * edge) / edge) ** 2
    bounds = [abs(x) for x in (value, lo, hi) if x is not None and math.isfinite(x) and x != 0]
    ref = abs(value) if value else max(bounds, default=1.0)
    return ((simulated - edge) / ref) ** 2


@dataclass(frozen=True)
class FitRow:
    """One observation (``obs``: its line, period, place, measure and value or range) with what the run says
    about it."""

    obs: Observation
    sim: str  # the sim expression used (from the file, or found by the classifier)
    scale: float
    role: str
    auto: bool  # sim found by the classifier (the row had none)
    status: str  # one of STATUSES
    simulated: float | None
    ratio: float | None
    inside: bool | None  # within the accepted band: the source band widened ×1.25 on each side
    loss: float | None
    note: str
    inside_source: bool | None = None  # within the source band itself
    within_1_5: bool | None = None  # within the source band widened ×1.5 on each side

    line = property(lambda self: self.obs.line)
    country = property(lambda self: self.obs.country)
    place = property(lambda self: self.obs.place)
    measure = property(lambda self: self.obs.measure)
    value = property(lambda self: self.obs.value)
    low = property(lambda self: self.obs.low)
    high = property(lambda self: self.obs.high)

    @property
    def period_start(self) -> str:
        return self.obs.start.isoformat()

    @property
    def period_end(self) -> str:
        """The period's last day (its first for an observation on one day)."""
        return self.obs.end.isoformat()

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON-ready data (summary.json "fit" rows, ``crossings fit --json``)."""
        return {"line": self.line, "period_start": self.period_start, "period_end": self.period_end,
                "country": self.country, "place": self.place, "measure": self.measure, "observed": self.value,
                "low": self.low, "high": self.high, "sim": self.sim, "scale": self.scale, "role": self.role,
                "auto": self.auto, "status": self.status, "simulated": self.simulated,
                "ratio": self.ratio, "inside": self.inside, "loss": self.loss, "note": self.note,
                "inside_source": self.inside_source, "within_1_5": self.within_1_5}


def fit_rows(view: RunTables, observations: Iterable[Observation]) -> list[FitRow]:
    """Score each observation against the run in ``view`` (rows without ``sim`` are classified first)."""
    return [_fit_row(view, obs) for obs in observations]


def _fit_row(view: RunTables, obs: Observation) -> FitRow:
    status: str | None = None
    note = ""
    if obs.sim is None:
        c = classify(obs, view)
        sim, scale, role, auto = c.sim, obs.scale or c.scale, obs.role or c.role, True
        status, note = c.status, c.note
    else:
        sim, scale, role, auto = obs.sim, obs.scale or 1.0, obs.default_role(), False
    simulated = None
    if status is None:
        if sim.kind == "none":
            status = "not compared" if role == "input" else "not modelled"
        else:
            got = simulate(view, sim, obs.start, obs.end)
            note = got.note
            if got.value is None:
                status = got.status
            else:
                simulated = got.value * scale
                status = "not modelled" if role == "not_modelled" else "scored"
    inside = r = lo = strict = loose = None
    if status == "scored" and simulated is not None:
        v, low, high = obs.value, obs.low, obs.high
        inside, strict, loose = (within(simulated, v, low, high, f) for f in (WIDEN, 1.0, FACTOR))
        r = ratio(simulated, v, low, high)
        lo = loss(simulated, v, low, high)
    return FitRow(obs=obs, sim=str(sim), scale=scale, role=role, auto=auto, status=status, simulated=simulated,
                  ratio=r, inside=inside, loss=lo, note=note, inside_source=strict, within_1_5=loose)


def fit_loss(rows: Sequence[FitRow | dict[str, Any]], roles: Sequence[str] = ("calibration",)) -> float:
    """What a calibration minimises over the scored rows with one of ``roles`` (NaN when there are none): the
    mean of 0 for a row inside its band, else 1 + √loss (one for being outside, plus its distance: |ln| of the
    ratio to the nearest edge). Counting rows outside keeps a few far-off rows from outweighing many near ones;
    the distance term tells the optimiser which way is better."""
    terms = [0.0 if _get(r, "inside") else 1.0 + math.sqrt(_get(r, "loss")) for r in rows
             if _get(r, "status") == "scored" and _get(r, "role") in roles]
    return math.fsum(terms) / len(terms) if terms else math.nan


def _get(row: FitRow | dict[str, Any], key: str) -> Any:
    return row[key] if isinstance(row, dict) else getattr(row, key)


def fit_summary(rows: Sequence[FitRow]) -> dict[str, Any]:
    """Counts of a fit table: the output rows (calibration and validation; input rows are counted apart, in
    ``by_role``) scored, inside the accepted band, its share, and within a factor of 1.5; per role (scored,
    inside, within_1_5); rows not scored by reason; and the mean calibration loss (None without calibration
    rows)."""
    scored = [r for r in rows if r.status == "scored"]
    outputs = [r for r in scored if r.role in OUTPUT_ROLES]
    inside = sum(1 for r in outputs if r.inside)
    loose = sum(1 for r in outputs if r.within_1_5)
    by_role = {role: {"scored": sum(1 for r in scored if r.role == role),
                      "inside": sum(1 for r in scored if r.role == role and r.inside),
                      "within_1_5": sum(1 for r in scored if r.role == role and r.within_1_5)}
               for role in SCORED_ROLES}
    not_scored = {s: sum(1 for r in rows if r.status == s) for s in STATUSES[1:]}
    cal = fit_loss(rows)
    return {"rows": len(rows), "scored": len(outputs), "inside": inside,
            "share_inside": round(inside / len(outputs), 6) if outputs else None, "within_1_5": loose,
            "share_within_1_5": round(loose / len(outputs), 6) if outputs else None, "by_role": by_role,
            "not_scored": {k: v for k, v in not_scored.items() if v}, "loss_calibration": None if math.isnan(cal)
            else round(cal, 6)}


def fit_data(view: RunTables, observed: str | Path) -> tuple[list[FitRow], dict[str, Any]]:
    """The fit table of the run in ``view`` against the observations file ``observed``, and what summary.json
    keeps of it: ``{"rows": [row dicts], "summary": {counts, observed_file, people_per_agent}}``."""
    path = Path(observed)
    rows = fit_rows(view, read_observed(path))
    summary = fit_summary(rows)
    ppa = view.people_per_agent
    summary.update({"observed_file": str(path.resolve()), "people_per_agent": int(ppa) if ppa.is_integer() else ppa})
    return rows, {"rows": [r.to_dict() for r in rows], "summary": summary}


def scenario_observed(scenario_dir: str | Path | None) -> Path | None:
    """The scenario's observed.csv, if it has one."""
    if not scenario_dir:
        return None
    path = Path(scenario_dir) / "observed.csv"
    return path if path.is_file() else None


def fit_outputs(results: Results) -> tuple[dict[str, str | None], dict[str, Any]]:
    """What a run's fit adds to its files: fit.csv (None when the scenario has no observations, so that an earlier
    run's file is removed) and summary.json's ``"fit"`` (the rows and their counts; docs/fit.md)."""
    observed = results.scenario.observations_file if results.scenario is not None else None
    if observed is None:
        return {"fit.csv": None}, {}
    rows, fit = fit_data(RunTables.from_results(results), observed)
    return {"fit.csv": rows_csv(rows)}, {"fit": fit}


# ---- written forms ------------------------------------------------------------------------------------------

CSV_COLUMNS = ("line", "period_start", "period_end", "destination_country", "crossing_or_city", "measure", "value",
               "low", "high", "sim", "scale", "role", "status", "simulated", "ratio", "inside", "loss", "note",
               "inside_source", "within_1_5")


def rows_csv(rows: Sequence[FitRow]) -> str:
    """fit.csv: one line per observation (the columns of CSV_COLUMNS)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in rows:
        w.writerow([r.line, r.period_start, r.period_end, r.country, r.place, r.measure, _cell(r.value),
                    _cell(r.low), _cell(r.high), r.sim, _cell(r.scale), r.role, r.status, _cell(r.simulated),
                    _cell(r.ratio), _yes(r.inside), _cell(r.loss), r.note, _yes(r.inside_source), _yes(r.within_1_5)])
    return buf.getvalue()


def _yes(x: bool | None) -> str:
    return "" if x is None else "yes" if x else "no"


def _cell(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() and abs(x) < 2**53 else f"{x:.10g}"


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _fmt(x: float | None) -> str:
    """A number for the text table: thousands separated, 3 significant digits below 1000."""
    if x is None:
        return ""
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.3g}"


def observed_text(r: FitRow | dict[str, Any]) -> str:
    """The observation as shown in the table: low–high for a range, ≥low / ≤high for a bound, else the value."""
    value = r["observed"] if isinstance(r, dict) else r.value
    low, high = _get(r, "low"), _get(r, "high")
    if low is not None and high is not None:
        return f"{_fmt(low)}–{_fmt(high)}"
    if low is not None:
        return f"{_fmt(low)}–{_fmt(value)}" if value is not None else f"≥{_fmt(low)}"
    if high is not None:
        return f"{_fmt(value)}–{_fmt(high)}" if value is not None else f"≤{_fmt(high)}"
    return _fmt(value)


def format_table(rows: Sequence[FitRow]) -> str:
    """The aligned text table of ``crossings fit``: line, period, country, place, measure, observed, simulated
    (or why there is none), ratio, inside (yes/no/—) and role."""
    head = ("line", "period", "country", "place", "measure", "observed", "simulated", "ratio", "inside", "role")
    body = []
    for r in rows:
        period = r.period_start if r.period_end == r.period_start else f"{r.period_start}..{r.period_end}"
        sim = _fmt(r.simulated) if r.status == "scored" else r.status
        body.append((str(r.line), period, _short(r.country, 16), _short(r.place, 22), _short(r.measure, 40),
                     observed_text(r), sim, "" if r.ratio is None else f"{r.ratio:.2f}",
                     "—" if r.inside is None else "yes" if r.inside else "no", r.role))
    right = {0, 5, 6, 7}
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    lines = []
    for row in [head, *body]:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def summary_text(summary: dict[str, Any]) -> str:
    """One line: matched X of Y scored output rows, by role (input rows apart), within ×1.5, and the rows not
    scored by reason."""
    roles = _by_role(summary)
    text = f"matched {summary['inside']} of {summary['scored']} scored rows ({roles})"
    if summary.get("within_1_5") is not None:
        text += f"; within ×1.5 {summary['within_1_5']} of {summary['scored']}"
    skipped = summary.get("not_scored") or {}
    if skipped:
        text += f"; {sum(skipped.values())} not scored (" + ", ".join(f"{k} {v}" for k, v in skipped.items()) + ")"
    if summary.get("loss_calibration") is not None:
        text += f"; calibration loss {summary['loss_calibration']:.4g}"
    return text


def _by_role(summary: dict[str, Any]) -> str:
    """calibration a/b, validation c/d (and "inputs apart e/f" when there are input rows)."""
    by = summary["by_role"]
    text = ", ".join(f"{role} {by[role]['inside']}/{by[role]['scored']}" for role in OUTPUT_ROLES if role in by)
    if by.get("input", {}).get("scored"):
        text += f"; inputs apart {by['input']['inside']}/{by['input']['scored']}"
    return text


def run_line(summary: dict[str, Any]) -> str:
    """The line ``crossings run`` prints: fit: X of Y rows inside (calibration a/b, validation c/d)."""
    roles = _by_role(summary)
    return f"fit: {summary['inside']} of {summary['scored']} rows inside ({roles})"
