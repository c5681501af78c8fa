"""The emigration model's section of the run report: who left home, who is abroad, on the way or back home; per
destination country the entries that border statistics count beside the people present and the residence
permits; queues and waits at the land crossings; leavers per category; and the observations of
``summary.json["fit"]`` drawn on the simulated line each one is compared with.

The numbers come from the fit's view of the run (:class:`crossings.observed.measures.RunTables`, passed in by
the report), the same view the fit table is computed from, so a chart and the fit table never disagree. Counts
are in people (agents × people_per_agent). How an observation is drawn follows the fit's definition of its
quantity (docs/fit.md, "Quantities"):

* a sum over the period (entries, permits granted, left home, returned) is drawn on the cumulative line, from
  where the simulated total stood the day before the period: a dot at the period's end at that total plus the
  observed value (a bar for a range), and a thin line from the period's start when it starts after day 0;
* a stock on the period's last day (people present, permit holders, away) is a dot (or a bar) on that day;
* a mean over the period (queue, wait, entries per day) is a horizontal segment over the period at its value
  (a band for a range).

Observed values are divided by the row's ``scale`` so that they sit on the simulated axis (e.g. a queue in km
becomes people, a wait in hours becomes days).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from crossings.scenario.model import ORIGIN

SUM_QUANTITIES = frozenset({"entries", "permits_granted", "left_home", "returned"})
END_QUANTITIES = frozenset({"stock", "permits", "away", "emigrants"})
MEAN_QUANTITIES = frozenset({"queue", "wait_days", "entries_per_day", "peak_entries_per_day"})
COUNTRY_LINES = {"entries": "entries", "stock": "present", "permits": "permits", "permits_granted": "granted",
                 "emigrants": "emigrants"}
CROSSING_LINES = {"queue": "queue", "entries_per_day": "passed", "peak_entries_per_day": "passed", "wait_days": "wait"}
CATEGORY_LINES = {"left_home": "left", "away": "away", "returned": "back"}
MAX_WINDOW_POINTS = 1500  # days drawn at most in a crossing's chart (its own thinning)
WINDOW_PAD = 14  # days shown before and after a crossing's busy days
BUSY_SHARE = 0.25  # a crossing is busy on days its queue holds at least this share of its longest queue
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def date_text(d: dt.date) -> str:
    """A date as the page writes it: ``7 Apr 2023``."""
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def people_text(x: float | None) -> str:
    """A number for a sentence: thousands separated, small non-integers to three significant digits."""
    if x is None or not math.isfinite(x):
        return "–"
    if abs(x) >= 100 or float(x).is_integer():
        return f"{round(x):,}"
    return f"{x:.3g}"


def _json_list(a: np.ndarray) -> list:
    """A series for the page: integers where exact, None where there is no value."""
    a = np.asarray(a, dtype=np.float64)
    finite = np.isfinite(a)
    if finite.all() and np.all(a == np.round(a)):
        return a.astype(np.int64).tolist()
    return [None if not ok else (int(v) if v == round(v) else round(v, 3)) for v, ok in
            zip(a.tolist(), finite.tolist(), strict=True)]


def _num(x: float) -> int | float:
    return int(round(x)) if abs(x) >= 100 or float(x).is_integer() else round(float(x), 4)


@dataclass
class _Obs:
    """A fit row placed on the run's time line: what it measures of which target, over which days."""

    row: dict
    quantity: str
    kind: str  # country, crossing or category
    key: Any  # a country or crossing name, or a tuple of categories
    d0: int  # first and last day of the period, clipped to the run
    d1: int
    clipped: bool


def _observations(view: Any, rows: list[dict]) -> list[_Obs]:
    """The fit rows that can be drawn on a country's, crossing's or categories' chart."""
    out: list[_Obs] = []
    for r in rows:
        if not isinstance(r, dict) or r.get("status") in ("outside run", "not in this run"):
            continue
        try:
            sim = view.parse(str(r.get("sim") or "none"))
            start = dt.date.fromisoformat(str(r["period_start"]))
            end = dt.date.fromisoformat(str(r.get("period_end") or r["period_start"]))
        except (ValueError, KeyError, TypeError):
            continue
        q, t = sim.quantity, sim.target
        if q is None or t is None or t.origins:  # a from= filter is not the line the chart draws
            continue
        d0, d1 = view.day_of(start), view.day_of(end)
        if d1 < 0 or d0 > view.days - 1 or d1 < d0:
            continue
        c0, c1 = max(d0, 0), min(d1, view.days - 1)
        clipped = (c0, c1) != (d0, d1)
        if t.kind == "country" and q in COUNTRY_LINES and len(t.names) == 1 \
                and view.expand("country", t.names) == t.names:  # one country, not *abroad
            out.append(_Obs(r, q, "country", t.names[0], c0, c1, clipped))
        elif t.kind == "crossing" and q in CROSSING_LINES and len(t.names) == 1:
            out.append(_Obs(r, q, "crossing", t.names[0], c0, c1, clipped))
        elif t.kind == "category" and q in CATEGORY_LINES and view.categories:
            names = set(view.expand("category", t.names))
            key = tuple(c for c in view.categories if c in names)
            if key and len(key) == len(names):
                out.append(_Obs(r, q, "category", key, c0, c1, clipped))
    return out


def _observed_text(r: dict) -> str:
    v, lo, hi = r.get("observed"), r.get("low"), r.get("high")
    if lo is not None and hi is not None:
        band = f"{people_text(lo)}–{people_text(hi)}"
        return f"{people_text(v)} ({band})" if v is not None else band
    if v is not None:
        return people_text(v)
    return f"≥ {people_text(lo)}" if lo is not None else f"≤ {people_text(hi)}" if hi is not None else "–"


def _mark(o: _Obs, line: str, series: np.ndarray, start: dt.date, unit: str) -> dict:
    """How the page draws the observation ``o`` on the series ``line`` (full resolution, in chart units)."""
    r = o.row
    scale = r.get("scale") if isinstance(r.get("scale"), (int, float)) and r.get("scale") else 1.0
    kind = "sum" if o.quantity in SUM_QUANTITIES else "end" if o.quantity in END_QUANTITIES else "level"
    base = float(series[o.d0 - 1]) if kind == "sum" and o.d0 > 0 else 0.0
    if not math.isfinite(base):
        base = 0.0

    def place(x: Any) -> int | float | None:
        return None if not isinstance(x, (int, float)) or not math.isfinite(x) else _num(base + x / scale)

    m: dict[str, Any] = {"line": r.get("line"), "key": line, "kind": kind, "d0": o.d0, "d1": o.d1,
                         "v": place(r.get("observed")), "lo": place(r.get("low")), "hi": place(r.get("high")),
                         "role": r.get("role", ""), "status": r.get("status", "")}
    if m["v"] is None and m["lo"] is None and m["hi"] is None:
        return {}
    if kind == "sum":
        m["base"] = _num(base)
    m["text"] = _mark_text(o, kind, scale, start, unit)
    return m


def _mark_text(o: _Obs, kind: str, scale: float, start: dt.date, unit: str) -> str:
    """The sentence a mark shows on hover: the row, its period, observed and simulated values, how it is drawn."""
    r = o.row
    d_a, d_b = start + dt.timedelta(days=o.d0), start + dt.timedelta(days=o.d1)
    period = date_text(d_a) if o.d0 == o.d1 else f"{date_text(d_a)} – {date_text(d_b)}"
    where = ", ".join(x for x in (str(r.get("country") or ""), str(r.get("place") or "")) if x)
    text = f"row {r.get('line')}: {r.get('measure', '')} ({where}), {period}: observed {_observed_text(r)}"
    if scale != 1.0:
        text += f" (÷ {scale:g} = {people_text((r.get('observed') or r.get('low') or r.get('high') or 0) / scale)}"
        text += f" {unit})"
    sim, q05, q95 = r.get("simulated"), r.get("simulated_q05"), r.get("simulated_q95")
    if all(isinstance(x, (int, float)) for x in (sim, q05, q95)):
        text += f"; simulated median {people_text(sim)} (members' 5–95 %: {people_text(q05)}–{people_text(q95)})"
    else:
        text += f"; simulated {people_text(sim) if isinstance(sim, (int, float)) else r.get('status', '–')}"
    if r.get("status") == "scored":
        text += "; inside" if r.get("inside") else "; outside"
    text += f"; {r.get('role', '')}"
    if kind == "sum" and o.d0 > 0:
        before = start + dt.timedelta(days=o.d0 - 1)
        text += f". Drawn from the simulated total on {date_text(before)}"
    if o.clipped:
        text += ". Period clipped to the run"
    return text


def _sample(a: np.ndarray, idx: np.ndarray) -> list:
    return _json_list(np.asarray(a, dtype=np.float64)[idx])


@dataclass
class _Section:
    """What every part of the section shares: the view, the kept days, the observations to draw, the stocks'
    ensemble bands, and the categories that make round trips."""

    view: Any
    ppa: float
    n: int
    kept: np.ndarray
    step: int
    start: dt.date
    obs: list[_Obs]
    spread: bool  # an ensemble's bands directory: stocks carry the members' 5-95 % band
    round_trip: set[str]

    def band(self, kind: str, name: str, j: int) -> dict[str, list]:
        """lo/hi of a stock's ensemble band (members' 5 and 95 %), in people on the kept days; {} without."""
        lo, hi = self.view.band(kind, f"{name}_q05"), self.view.band(kind, f"{name}_q95")
        if not self.spread or lo is None or hi is None:
            return {}
        return {"lo": _sample(lo[:, j] * self.ppa, self.kept), "hi": _sample(hi[:, j] * self.ppa, self.kept)}

    def col(self, table: dict, name: str, j: int) -> np.ndarray:
        a = table.get(name)
        return np.zeros(self.n) if a is None else np.asarray(a[:, j], dtype=np.float64)

    def series(self, name: str, key: str, values: np.ndarray, days: np.ndarray | None = None, **extra: Any) -> dict:
        """A chart's series: the daily ``values`` taken on the kept days, or on ``days`` (then ``values`` may
        also be given per entry of ``days`` already)."""
        idx = self.kept if days is None else days
        vals = values if days is not None and len(values) == len(days) else np.asarray(values)[idx]
        s = {"name": name, "role": "line", "key": key, "values": _json_list(vals)}
        if days is not None:
            s["days"] = days.tolist()
        s.update(extra)
        return s

    def cat_sum(self, name: str, cats: tuple[str, ...]) -> np.ndarray:
        """Daily sum of a category series over ``cats``, in people."""
        A, view = self.view.category, self.view
        if name not in A or not cats:
            return np.zeros(self.n)
        index = {c: j for j, c in enumerate(view.categories)}
        return np.asarray(A[name][:, [index[c] for c in cats]].sum(axis=1), dtype=np.float64) * self.ppa

    def emigrant_cats(self) -> tuple[str, ...]:
        return tuple(c for c in self.view.categories if c not in self.round_trip)

    def traveller_cats(self) -> tuple[str, ...]:
        return tuple(c for c in self.view.categories if c in self.round_trip)


def section(view: Any, summary: Mapping[str, Any], sc: Any, kept: Sequence[int], step: int) -> dict | None:
    """The emigration part of the page's data: totals per kept day, a chart per destination country, per land
    crossing with a queue and per category of leavers, the fit table, and per origin who left and who came back
    (see the module docstring); None for a run without countries."""
    if not view.countries or not view.country:
        return None
    fit = summary.get("fit") if isinstance(summary.get("fit"), dict) else None
    rows = [r for r in (fit or {}).get("rows", []) if isinstance(r, dict)]
    ppa = float(view.people_per_agent)
    s = _Section(view, ppa, int(view.days), np.asarray(kept, dtype=np.int64), step, view.start_date,
                 _observations(view, rows), bool(summary.get("members")), _round_trip(sc, view.categories))
    totals, total_chart = _totals(s)
    countries, empty = _country_charts(s)
    kinds = np.asarray(sc.locations.kind) if sc is not None else np.zeros(0)
    return {
        "people_per_agent": int(ppa) if ppa.is_integer() else ppa,
        "home_countries": list(view.home_countries),
        "round_trip": sorted(s.round_trip),
        "totals": totals,
        "totals_chart": total_chart,
        "countries": countries,
        "no_entries": empty,
        "crossings": _crossing_charts(s),
        "categories": _category_charts(s),
        "fit": _fit_block(fit, rows),
        "origins": _origins(s, sc),
        "no_circle": [int(i) for i in np.flatnonzero(kinds == ORIGIN)],
    }


def _totals(s: _Section) -> tuple[dict[str, Any], dict[str, Any]]:
    """Left home = abroad + on the way + back home, per kept day (split into emigrants and travellers when both
    are there), and the totals chart: abroad, on the way, and who is away."""
    view, n, C = s.view, s.n, s.view.country
    abroad_idx = [j for j, c in enumerate(view.countries) if c not in view.home_countries]
    left = np.cumsum(C["new_left_home"].sum(axis=1)) * s.ppa if "new_left_home" in C else np.zeros(n)
    back = np.cumsum(C["new_returns"].sum(axis=1)) * s.ppa if "new_returns" in C else np.zeros(n)
    abroad = C["n_in_country"][:, abroad_idx].sum(axis=1) * s.ppa if abroad_idx else np.zeros(n)
    on_way = np.maximum(left - back - abroad, 0)
    totals: dict[str, Any] = {"left": _sample(left, s.kept), "abroad": _sample(abroad, s.kept),
                              "on_way": _sample(on_way, s.kept), "back": _sample(back, s.kept)}
    emigrants, travellers = s.emigrant_cats(), s.traveller_cats()
    split = bool(travellers and emigrants)
    if split:
        for label, cats in (("emig", emigrants), ("rt", travellers)):
            totals[f"left_{label}"] = _sample(np.cumsum(s.cat_sum("cat_left_home", cats)), s.kept)
            totals[f"back_{label}"] = _sample(np.cumsum(s.cat_sum("cat_returned", cats)), s.kept)
    chart: dict[str, Any] = {"id": "totals", "group": "totals", "title": "Left home and not back", "unit": "people",
                             "series": [s.series("abroad", "abroad", abroad),
                                        s.series("on the way (roads, queues, waiting for a seat)", "on_way",
                                                 on_way)]}
    if split:
        chart["series"].append(s.series("emigrants away (abroad or on the way)", "away_emig",
                                        s.cat_sum("cat_away", emigrants)))
        chart["series"].append(s.series("travellers away (" + ", ".join(travellers) + ")", "away_rt",
                                        s.cat_sum("cat_away", travellers)))
    return totals, chart


def _country_charts(s: _Section) -> tuple[list[dict], list[str]]:
    """One chart per destination country (those with most kinds of observation first), and the countries
    nobody entered."""
    view, C, ppa = s.view, s.view.country, s.ppa
    split = bool(s.traveller_cats() and s.emigrant_cats())
    countries, empty = [], []
    for j, name in enumerate(view.countries):
        if name in view.home_countries:
            continue
        lines = {"entries": np.cumsum(s.col(C, "new_entries", j)) * ppa,
                 "present": s.col(C, "n_in_country", j) * ppa,
                 "permits": s.col(C, "n_permits", j) * ppa,
                 "granted": np.cumsum(s.col(C, "new_permits_granted", j)) * ppa,
                 "emigrants": s.col(C, "n_emigrants_in_country", j) * ppa}
        visa = np.cumsum(s.col(C, "new_visa_runs", j)) * ppa
        marks = [m for o in s.obs if o.kind == "country" and o.key == name
                 for m in [_mark(o, COUNTRY_LINES[o.quantity], lines[COUNTRY_LINES[o.quantity]], s.start, "people")]
                 if m]
        if lines["entries"][-1] <= 0 and lines["present"].max(initial=0) <= 0 and not marks:
            empty.append(name)
            continue
        chart = {"id": f"country-{name}", "group": "countries", "title": name, "unit": "people", "country": name,
                 "series": [s.series("entries so far (each visa run counts again)", "entries", lines["entries"]),
                            s.series("people present", "present", lines["present"],
                                     **s.band("country", "n_in_country", j)),
                            s.series("residence permit holders", "permits", lines["permits"],
                                     **s.band("country", "n_permits", j)),
                            s.series("permits granted so far", "granted", lines["granted"])],
                 "marks": marks}
        # the stock without the round-trip travellers in it: shown where travellers are apart or it is observed
        emig = "n_emigrants_in_country" in C and (split or any(m["key"] == "emigrants" for m in marks))
        if emig:
            chart["series"].insert(2, s.series("of them emigrants (travellers' short trips not counted)",
                                               "emigrants", lines["emigrants"],
                                               **s.band("country", "n_emigrants_in_country", j)))
        chart["note"], chart["snapshot"] = _country_sentence(name, lines, visa, marks, s.start, s.n, emig)
        score = (len({m["key"] for m in marks}), len(marks), float(lines["present"].max(initial=0)))
        countries.append((score, chart))
    countries.sort(key=lambda x: x[0], reverse=True)
    return [c for _, c in countries], empty


def _crossing_charts(s: _Section) -> list[dict]:
    """Per land crossing with a queue or an observation, in the window where something happens: the queue and
    the passages, and the mean wait of each day's passers (observed ones first, then by the longest queue)."""
    view, Q, n = s.view, s.view.crossing, s.n
    loc_country = dict(zip(view.locations, view.location_country, strict=False))
    crossings = []
    for k, name in enumerate(view.crossings):
        queue = s.col(Q, "n_queue", k) * s.ppa
        passed = s.col(Q, "new_passages", k) * s.ppa
        with np.errstate(divide="ignore", invalid="ignore"):
            wait = np.where(s.col(Q, "new_passages", k) > 0,
                            s.col(Q, "sum_wait_days", k) / s.col(Q, "new_passages", k), np.nan)
        lines = {"queue": queue, "passed": passed, "wait": wait}
        mine = [o for o in s.obs if o.kind == "crossing" and o.key == name]
        busy = np.flatnonzero((queue > 0) & (queue >= BUSY_SHARE * queue.max(initial=0)))
        if not len(busy) and not mine:
            continue
        first = min(([int(busy[0])] if len(busy) else []) + [o.d0 for o in mine])
        last = max(([int(busy[-1])] if len(busy) else []) + [o.d1 for o in mine])
        w0, w1 = max(0, first - WINDOW_PAD), min(n - 1, last + WINDOW_PAD)
        if w1 - w0 > 0.7 * n:
            w0, w1 = 0, n - 1
        every = max(1, s.step, math.ceil((w1 - w0 + 1) / MAX_WINDOW_POINTS))  # thinned with the page, if at all
        days = np.arange(w0, w1 + 1, every, dtype=np.int64)
        if days[-1] != w1:
            days = np.append(days, w1)
        marks = {key: [m for o in mine if CROSSING_LINES[o.quantity] == key
                       for m in [_mark(o, key, lines[key], s.start, "days" if key == "wait" else "people")] if m]
                 for key in ("queue", "passed", "wait")}
        where = loc_country.get(name, "")
        title = f"{name} ({where} side)" if where else name
        n_marks = sum(len(v) for v in marks.values())
        crossings.append(((n_marks, float(queue.max(initial=0))), [
            {"id": f"crossing-{name}-queue", "group": "crossings", "title": f"{title}: queue and passages",
             "unit": "people", "crossing": name, "window": [int(w0), int(w1)],
             "series": [s.series("in the queue", "queue", queue, days),
                        s.series("passed that day", "passed", passed, days)],
             "marks": marks["queue"] + marks["passed"]},
            {"id": f"crossing-{name}-wait", "group": "crossings", "title": f"{title}: mean wait of that day's "
             "passers", "unit": "days", "crossing": name, "window": [int(w0), int(w1)],
             "series": [s.series("days waited", "wait", wait, days)], "marks": marks["wait"]}]))
    crossings.sort(key=lambda x: x[0], reverse=True)
    return [c for _, pair in crossings for c in pair]


def _category_charts(s: _Section) -> list[dict]:
    """Who left: a chart per category, then per group of categories (the emigrants, and each group an
    observation names) with who left, who is away and who is back."""
    view = s.view
    if not view.category or not view.categories:
        return []
    charts = []
    weeks = np.arange(0, s.n, 7, dtype=np.int64)
    index = {c: j for j, c in enumerate(view.categories)}
    for c in view.categories:
        one = (c,)
        weekly = np.add.reduceat(s.cat_sum("cat_left_home", one), weeks) if s.n else np.zeros(0)
        charts.append({
            "id": f"category-{c}", "group": "travellers" if c in s.round_trip else "emigrants", "title": c,
            "unit": "people", "category": c,
            "series": [s.series("left home per week", "left_week", weekly, weeks, style="bars", width=7),
                       s.series("away (left, not back)", "away", s.cat_sum("cat_away", one),
                                **s.band("category", "cat_away", index[c])),
                       s.series("back home so far", "back", np.cumsum(s.cat_sum("cat_returned", one)))],
            "marks": []})
    emigrants = s.emigrant_cats()
    groups: list[tuple[str, ...]] = [emigrants] if emigrants else []
    groups += [o.key for o in s.obs if o.kind == "category"]
    for g in dict.fromkeys(groups):
        lines = {"left": np.cumsum(s.cat_sum("cat_left_home", g)), "away": s.cat_sum("cat_away", g),
                 "back": np.cumsum(s.cat_sum("cat_returned", g))}
        marks = [m for o in s.obs if o.kind == "category" and o.key == g
                 for m in [_mark(o, CATEGORY_LINES[o.quantity], lines[CATEGORY_LINES[o.quantity]], s.start,
                                 "people")] if m]
        charts.append({
            "id": "group-" + "+".join(g), "group": "travellers" if set(g) & s.round_trip else "emigrants",
            "title": _group_title(g, view.categories, emigrants, bool(s.round_trip)), "unit": "people",
            "categories": list(g), "aggregate": True,
            "series": [s.series("left home so far", "left", lines["left"]),
                       s.series("away (left, not back)", "away", lines["away"]),
                       s.series("back home so far", "back", lines["back"])],
            "marks": marks})
    charts.sort(key=lambda ch: (ch["group"] != "emigrants", not ch.get("aggregate")))
    return charts


def _round_trip(sc: Any, categories: tuple[str, ...]) -> set[str]:
    """Categories named in scenario.yml ``agents: round_trip`` (travellers), read from the scenario."""
    spec = getattr(sc, "emigration", None) if sc is not None else None
    flags = getattr(spec, "round_trip", None) if spec is not None else None
    if flags is None:
        return set()
    names = list(spec.category.names)
    return {names[i] for i, f in enumerate(np.asarray(flags).tolist()) if f and names[i] in categories}


def _group_title(g: tuple[str, ...], every: tuple[str, ...], emigrants: tuple[str, ...], has_rt: bool) -> str:
    if set(g) == set(every):
        return "Everyone who left (travellers' trips included)" if has_rt else "Everyone who left"
    if has_rt and g == emigrants:
        return "Emigrants (" + ", ".join(g) + ")"
    return " + ".join(g)


SNAPSHOT_BARS = (("entries", "entries so far (each visa run counts again)"), ("present", "people present"),
                 ("granted", "residence permits granted so far"), ("permits", "residence permit holders"))
SNAPSHOT_NEAR = 31  # days: an observation this close to the snapshot's date is shown beside its bar


def _country_sentence(name: str, lines: dict[str, np.ndarray], visa: np.ndarray, marks: list[dict],
                      start: dt.date, n: int, emigrants: bool = False) -> tuple[str, dict]:
    """The sentence under a country's chart and the snapshot beside it, from the data: entries, people present
    and permits on the date of the latest observation of entries counted from the run's start (else on the
    run's last day), each with the observation of it nearest that date (within SNAPSHOT_NEAR days), if any.
    With ``emigrants``, the sentence also says how many of the people present are emigrants, not travellers."""
    whole = [m for m in marks if m["key"] == "entries" and m["d0"] == 0]
    day = max((m["d1"] for m in whole), default=n - 1)
    bars = []
    for key, label in SNAPSHOT_BARS:
        bar: dict[str, Any] = {"key": key, "label": label, "value": _num(float(lines[key][day]))}
        near = [m for m in marks if m["key"] == key and (m["kind"] != "sum" or m["d0"] == 0)
                and abs(m["d1"] - day) <= SNAPSHOT_NEAR]
        if near:
            m = min(near, key=lambda m: (abs(m["d1"] - day), -m["d1"]))
            bar["obs"] = {k: m[k] for k in ("v", "lo", "hi", "d1", "line", "text")}
        bars.append(bar)
    snapshot = {"day": int(day), "bars": bars}
    when = date_text(start + dt.timedelta(days=day))
    e, p = float(lines["entries"][day]), float(lines["present"][day])
    g, h, v = float(lines["granted"][day]), float(lines["permits"][day]), float(visa[day])
    text = f"By {when}: {people_text(e)} entries into {name}"
    if v > 0:
        text += f" ({people_text(v)} of them visa runs, each re-entry counted again)"
    text += f"; {people_text(p)} people present"
    if emigrants:
        text += f" ({people_text(float(lines['emigrants'][day]))} of them emigrants, the rest on short trips)"
    text += f"; {people_text(g)} residence permits granted"
    text += f", {people_text(h)} people holding one." if h > 0 else "."
    seen = [m for m in whole if m["d1"] == day and m["v"] is not None]
    if seen:
        text += f" Observed entries by then: {people_text(seen[0]['v'])}."
    if p > 0 and e >= 2 * p:
        text += f" Border statistics count entries, not people: {e / p:.1f} entries per person present."
    return text, snapshot


def _fit_block(fit: dict | None, rows: list[dict]) -> dict | None:
    """The fit table as the page shows it (only the columns it shows)."""
    if fit is None:
        return None
    keep = ("line", "period_start", "period_end", "country", "place", "measure", "observed", "low", "high",
            "simulated", "ratio", "inside", "role", "status", "note", "sim", "scale")
    spread = ("simulated_q05", "simulated_q95", "share_inside", "share_inside_if_centred")  # an ensemble's fit
    out_rows = []
    for r in rows:
        rec = {k: r.get(k) for k in keep + tuple(k for k in spread if k in r)}
        for k in ("observed", "low", "high", "simulated", "ratio", "scale", *spread):
            if k not in rec:
                continue
            x = rec[k]
            if isinstance(x, float):
                rec[k] = None if not math.isfinite(x) else (int(x) if x.is_integer() else float(f"{x:.6g}"))
        out_rows.append(rec)
    summary = fit.get("summary") if isinstance(fit.get("summary"), dict) else {}
    return {"rows": out_rows, "summary": {k: summary.get(k) for k in ("rows", "scored", "inside", "share_inside",
                                                                      "by_role", "not_scored", "loss_calibration",
                                                                      "members", "expected_inside_if_centred")
                                          if k in summary}}


def _origins(s: _Section, sc: Any) -> dict[str, dict[str, list]]:
    """Per origin (keyed by its index among the scenario's places): people who left from there so far (each
    trip counted) and people back home there so far, in people per kept day: what the page shows of an origin
    instead of its ``n_present``, which counts the people who came back."""
    if sc is None:
        return {}
    view = s.view
    column = {name: j for j, name in reversed(list(enumerate(view.locations)))}
    out: dict[str, dict[str, list]] = {}
    for i in np.flatnonzero(np.asarray(sc.locations.kind) == ORIGIN).tolist():
        j = column.get(sc.locations.name[i])
        rec: dict[str, list] = {}
        for key, series, cumulative in (("left", "new_spawned", True), ("back", "n_returned", False)):
            a = view.location.get(series)
            if a is None:
                continue
            people = np.zeros(s.n) if j is None else np.asarray(a[:, j], dtype=np.float64)
            people = people * s.ppa if s.ppa != 1.0 else people
            rec[key] = _json_list((np.cumsum(people) if cumulative else people)[s.kept])
        out[str(i)] = rec
    return out
