"""What the report shows, gathered from a run's :class:`~crossings.results.Results` into one JSON-able dict (the
page's data). The results come read from a run directory (``crossings.api.read_run``) or from a run in memory;
the report never reads the run's files itself.

Everything but the series is optional: results without their scenario give a page without a map or events (the
dates, places and counts come from the results alone), results without observed camps a page without a fit
table.

Ensembles: a series ``X`` may come with band columns ``X_lo`` and ``X_hi`` (or ``X_q05`` and ``X_q95``; an
ensemble's bands directory); the charts then draw them as a band around ``X``.

The model that ran may add its own section (:meth:`crossings.engine.model.Model.report_section`, given the fit's
view of the run): the emigration model's totals of who left, charts per destination country, crossing and
category of leavers, and the fit to observations, under ``"emigration"``, with counts in people (agents ×
``people_per_agent``).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crossings.observed.measures import RunTables
from crossings.report.geo import country_paths, outlines
from crossings.report.geo import fit as fit_projection
from crossings.report.page import json_for_html
from crossings.results import BAND_SUFFIXES, Camps, Dimension, Labels, Results
from crossings.scenario.emigration import ROUTE_MODES
from crossings.scenario.model import KIND_NAMES

# Values per day in the page's animated data (location stocks + two per route) above which days are thinned.
MAX_ANIMATED_VALUES = 600_000
# The page's data as JSON at most (the page's own code and styles add about 40 kB).
MAX_DATA_BYTES = 4_200_000
CAMP_KINDS = ("camp", "idpcamp", "destination", "crossing")  # places with a chart of their own
__all__ = ["BAND_SUFFIXES", "Table", "collect", "events", "fit_table", "pivot", "table_of"]


@dataclass
class Table:
    """A long table of the run as NumPy columns (text columns decoded to object arrays, their codes kept)."""

    name: str
    columns: dict[str, np.ndarray]
    codes: dict[str, tuple[np.ndarray, list[str]]] = field(default_factory=dict)  # dictionary-encoded text

    def numeric(self) -> list[str]:
        return [k for k, v in self.columns.items() if v.dtype.kind in "iuf"]

    def text(self) -> list[str]:
        return [k for k, v in self.columns.items() if v.dtype.kind in "OUS"]


def table_of(res: Results, dim: Dimension) -> Table:
    """The long table of ``dim`` (:meth:`Results.table`: what the run's Parquet file of it holds)."""
    cols: dict[str, np.ndarray] = {}
    codes: dict[str, tuple[np.ndarray, list[str]]] = {}
    for name, col in res.table(dim.name).items():
        if isinstance(col, Labels):
            idx = np.asarray(col.codes, dtype=np.int64)
            codes[name] = (idx, [str(x) for x in col.labels])
            cols[name] = np.asarray(col.labels, dtype=object)[idx]
        else:
            cols[name] = np.asarray(col)
    return Table(dim.table, cols, codes)


def pivot(table: Table, key: str, value: str, n_days: int,
          keys: list[str] | None = None) -> tuple[list[str], np.ndarray]:
    """(days × keys) matrix of ``value`` from a long table with a ``day`` column (missing cells are NaN)."""
    day = table.columns["day"].astype(np.int64)
    k = table.columns[key]
    if keys is None:
        keys = sorted({str(x) for x in np.unique(k)})
    index = {name: i for i, name in enumerate(keys)}
    if key in table.codes:  # map the few labels, then the codes
        idx, labels = table.codes[key]
        col = np.array([index.get(x, -1) for x in labels], dtype=np.int64)[idx] if labels else idx
    else:
        col = np.fromiter((index.get(str(x), -1) for x in k), dtype=np.int64, count=len(k))
    ok = (col >= 0) & (day >= 0) & (day < n_days)
    out = np.full((n_days, len(keys)), np.nan)
    out[day[ok], col[ok]] = table.columns[value][ok]
    return keys, out


def _band(table: Table, value: str) -> tuple[str, str] | None:
    for lo, hi in BAND_SUFFIXES:
        if value + lo in table.columns and value + hi in table.columns:
            return value + lo, value + hi
    return None


def _ints(a: np.ndarray) -> list:
    """A series for JSON: integers where exact, None for missing."""
    a = np.asarray(a, dtype=np.float64)
    if np.all(np.isfinite(a)) and np.all(a == np.round(a)):
        return a.astype(np.int64).tolist()
    return [None if not math.isfinite(v) else (int(v) if v == round(v) else round(v, 3)) for v in a.tolist()]


def events(sc: Any, n_days: int) -> list[dict]:
    """The scenario's timeline within the run: conflict onsets and ends, closures and reopenings."""
    out: list[dict] = []
    if sc is None:
        return out
    names = sc.locations.name
    conf = np.asarray(sc.conflicts)
    for j, loc in enumerate(np.asarray(sc.conflict_locations).tolist()):
        col = conf[:n_days, j] if conf.ndim == 2 and conf.shape[0] else np.zeros(0)
        prev = 0.0
        for d, v in enumerate(col.tolist()):
            if v > 0 and prev <= 0:
                out.append({"day": d, "kind": "conflict", "target": names[loc],
                            "text": f"conflict starts in {names[loc]}"})
            elif v <= 0 < prev:
                out.append({"day": d, "kind": "peace", "target": names[loc],
                            "text": f"conflict ends in {names[loc]}"})
            prev = v
    what = {"country": "border {a} – {b} closed", "location": "{a} closed", "link": "road {a} – {b} closed",
            "camp": "camp {a} closed", "idpcamp": "IDP camp {a} closed",
            "remove_forced_redirection": "forced redirection {a} – {b} removed"}
    again = {"country": "border {a} – {b} reopens", "location": "{a} reopens", "link": "road {a} – {b} reopens",
             "camp": "camp {a} opens", "idpcamp": "IDP camp {a} opens",
             "remove_forced_redirection": "forced redirection {a} – {b} restored"}
    for c in sc.closures:
        fmt = what.get(c.kind, c.kind + " {a} {b}")
        if 0 <= c.start < n_days:
            out.append({"day": int(c.start), "kind": "closure", "target": c.name1,
                        "text": fmt.format(a=c.name1, b=c.name2).strip()})
        if 0 <= c.end < n_days and c.end >= c.start:
            fmt = again.get(c.kind, c.kind + " {a} {b} ends")
            out.append({"day": int(c.end), "kind": "opening", "target": c.name1,
                        "text": fmt.format(a=c.name1, b=c.name2).strip()})
    try:
        out += _emigration_events(sc, n_days)
    except Exception:  # noqa: BLE001 - a timeline the report cannot read is left out, the page still works
        pass
    out.sort(key=lambda e: (e["day"], e["kind"], e["text"]))
    for e in out:
        e["date"] = sc.date_of(e["day"]).isoformat()
    return out


def _emigration_events(sc: Any, n_days: int) -> list[dict]:
    """The policy timeline of an emigration scenario (departure hazards, closed routes and crossings)."""
    spec = getattr(sc, "emigration", None)
    if spec is None:
        return []
    names = sc.locations.name

    def pick(dist: Any, i: int, every: str) -> str:
        return every if i < 0 else str(dist.names[i])

    out = []
    for e in spec.events:
        where = names[e.target] if 0 <= e.target < len(names) else ""
        if e.kind == "departure_hazard":
            who = " ".join(x for x in (pick(spec.sex, e.sex, ""), pick(spec.age_band, e.age_band, ""),
                                       pick(spec.category, e.other, "people")) if x)
            start = f"departure hazard ×{e.value:g} for {who} in {where or 'every origin'}"
            stop = f"departure hazard for {who} in {where or 'every origin'} back to normal"
            kinds = ("closure", "opening")
        elif e.kind == "close_air_route":
            other = names[e.other] if 0 <= e.other < len(names) else ""
            start, stop, kinds = f"air route {where} – {other} closed", f"air route {where} – {other} reopens", \
                ("closure", "opening")
        elif e.kind == "close_road":
            other = names[e.other] if 0 <= e.other < len(names) else ""
            start, stop, kinds = f"road {where} → {other} closed", f"road {where} → {other} reopens", \
                ("closure", "opening")
        elif e.kind == "fare":
            other = names[e.other] if 0 <= e.other < len(names) else ""
            start, stop, kinds = f"fares {where} – {other} ×{e.value:g}", f"fares {where} – {other} back to normal", \
                ("closure", "opening")
        elif e.kind == "bar_mode":
            mode = pick(spec.travel_mode, e.other, "travel")
            start, stop, kinds = f"{mode} barred at {where}", f"{mode} allowed again at {where}", \
                ("closure", "opening")
        elif e.kind == "close_crossing":
            start, stop, kinds = f"crossing {where} closed", f"crossing {where} reopens", ("closure", "opening")
        else:
            label = e.kind.replace("_", " ")
            start, stop, kinds = f"{label}: {where}".rstrip(": "), f"{label} ends: {where}".rstrip(": "), \
                ("closure", "opening")
        if 0 <= e.start < n_days:
            out.append({"day": int(e.start), "kind": kinds[0], "target": where, "text": start})
        if 0 <= e.end < n_days:
            out.append({"day": int(e.end), "kind": kinds[1], "target": where, "text": stop})
    return out


def _conflict_spans(sc: Any, n_days: int) -> dict[int, list[list[int]]]:
    """Per location index, the [start, end) day spans in which it is a conflict zone."""
    spans: dict[int, list[list[int]]] = {}
    conf = np.asarray(sc.conflicts)
    if conf.ndim != 2:
        return spans
    for j, loc in enumerate(np.asarray(sc.conflict_locations).tolist()):
        on = conf[:n_days, j] > 0
        d = 0
        while d < len(on):
            if on[d]:
                e = d
                while e < len(on) and on[e]:
                    e += 1
                spans.setdefault(int(loc), []).append([d, e])
                d = e
            else:
                d += 1
    return spans


def _notes(sc: Any) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Free-text ``note`` of native locations and ``source`` of native events, for people to read."""
    loc_notes: dict[str, str] = {}
    ev_sources: dict[tuple[str, str], str] = {}
    if sc is None or getattr(sc, "format", "") != "native":
        return loc_notes, ev_sources
    root = Path(sc.path)

    def rows(name: str) -> list[dict[str, str]]:
        p = root / name
        if not p.is_file():
            return []
        with open(p, newline="", encoding="utf-8") as fh:
            lines = [ln for ln in fh if not ln.lstrip().startswith("#")]
        return list(csv.DictReader(lines))

    for r in rows("locations.csv"):
        if r.get("note"):
            loc_notes[r.get("name", "")] = r["note"]
    for r in rows("events.csv"):
        if r.get("source"):
            for when in (r.get("date", ""), r.get("until", "")):  # the event and its end
                if when:
                    ev_sources.setdefault((when, r.get("target", "")), r["source"])
    return loc_notes, ev_sources


def fit_table(camps: Camps | None, summary: dict) -> dict | None:
    """Per observed camp: last observed and simulated counts and its share of Flee's ARD (normal and
    rescaled; the shares add up to the run's ARD)."""
    if camps is None or not camps.names or not len(camps.sim):
        return None
    sim, data = np.asarray(camps.sim, dtype=np.float64), np.asarray(camps.data, dtype=np.float64)
    u = data.sum(axis=1)
    s = sim.sum(axis=1)
    denom = np.maximum(u, 1.0)[:, None]
    normal = (np.abs(sim - data) / denom).mean(axis=0)
    scale = np.divide(u, s, out=np.zeros_like(u), where=s > 0)[:, None]
    rescaled = (np.abs(sim * scale - data) / denom).mean(axis=0)
    rows = [{"camp": c, "observed": int(data[-1, i]), "simulated": int(sim[-1, i]),
             "ard_normal": round(float(normal[i]), 4), "ard_rescaled": round(float(rescaled[i]), 4)}
            for i, c in enumerate(camps.names)]
    total = {"observed": int(data[-1].sum()), "simulated": int(sim[-1].sum()),
             "ard_normal": round(float(normal.sum()), 4), "ard_rescaled": round(float(rescaled.sum()), 4)}
    return {"rows": rows, "total": total, "days": int(len(sim)),
            "reported": {k: summary[k] for k in ("ard_normal", "ard_rescaled")
                         if isinstance(summary.get(k), (int, float)) and math.isfinite(summary[k])}}


def _is_count(column: str) -> bool:
    """Columns that count agents (stocks ``n_*``, flows ``new_*``, categories ``cat_*``, and their bands)."""
    return column.startswith(("n_", "new_", "cat_"))


# ---- what does not depend on the days kept --------------------------------------------------------------------

@dataclass
class _Page:
    """The run as the page sees it, whatever days it keeps: tables, places, routes (with the flows per link in
    agents), map, events and observed camps."""

    res: Results
    summary: dict
    sc: Any
    view: RunTables
    n_days: int
    dates: list[str]
    tables: dict[str, Table]
    names: list[str]
    loc_kind: list[str]
    countries: list[str]
    loc_raw: dict[str, np.ndarray]  # every numeric column of the locations table, (days, places) in agents
    routes: list[dict]
    link_route: list[tuple[int, int]]  # per link: (route, +1 a→b / -1 b→a)
    on_link: np.ndarray | None  # agents on any road at the end of each day
    per_link: np.ndarray | None  # agents setting out on each link per day (or on it, see flow_measure)
    flow_measure: str
    map: dict[str, Any] | None
    outline_source: str
    locations: list[dict]
    camps: Camps | None
    camp_idx: list[int]
    observed: dict[int, dict]
    events: list[dict]


def _page(res: Results) -> _Page:
    """Read once what the page shows of ``res`` before any thinning."""
    summary = res.summary()
    sc, n_days = res.scenario, res.days
    tables = {d.table: table_of(res, d) for d in sorted(res.schema.dims.values(), key=lambda d: d.table)}
    dates = [sc.date_of(d).isoformat() for d in range(n_days)] if sc is not None else \
        [d.isoformat() for d in res.dates]
    names, loc_kind, countries = _places(sc, tables.get("locations"))
    loc_table = tables.get("locations")
    loc_raw = {col: pivot(loc_table, "location", col, n_days, names)[1] for col in loc_table.numeric()
               if col != "day"} if loc_table is not None and "location" in loc_table.columns else {}
    routes, link_route = _routes(sc)
    on_link, per_link, flow_measure = _link_flows(sc, tables.get("links"), n_days)
    map_data, source = _map(sc, countries)
    camps = res.camp_table()
    camp_idx, observed = _observed(sc, names, loc_kind, camps, n_days)
    ev = events(sc, n_days)
    loc_notes, ev_sources = _notes(sc)
    for e in ev:
        src_txt = ev_sources.get((e["date"], e["target"]))
        if src_txt:
            e["source"] = src_txt
    return _Page(res, summary, sc, RunTables.from_results(res), n_days, dates, tables, names, loc_kind, countries,
                 loc_raw, routes, link_route, on_link, per_link, flow_measure, map_data, source,
                 _locations(sc, names, loc_kind, countries, n_days, loc_notes), camps, camp_idx, observed, ev)


def _places(sc: Any, loc_table: Table | None) -> tuple[list[str], list[str], list[str]]:
    """Names, kinds and countries of the places: the scenario's, else those of the locations table (sorted)."""
    if sc is not None:
        kinds = [KIND_NAMES[int(k)] if 0 <= int(k) < len(KIND_NAMES) else "other" for k in sc.locations.kind]
        return list(sc.locations.name), kinds, list(sc.locations.country)
    if loc_table is None:
        return [], [], []
    names = sorted({str(x) for x in loc_table.columns["location"]})
    countries = [""] * len(names)
    if "country" in loc_table.columns:
        by = dict(zip(loc_table.columns["location"].tolist(), loc_table.columns["country"].tolist(), strict=True))
        countries = [str(by.get(n, "")) for n in names]
    return names, ["other"] * len(names), countries


def _routes(sc: Any) -> tuple[list[dict], list[tuple[int, int]]]:
    """The scenario's routes (undirected, with their mode) and, per directed link, its route and direction."""
    routes: list[dict] = []
    link_route: list[tuple[int, int]] = []
    if sc is None:
        return routes, link_route
    src = np.asarray(sc.links.src).tolist()
    dst = np.asarray(sc.links.dst).tolist()
    modes = getattr(sc.links, "mode", None)
    spec = getattr(sc, "emigration", None)
    if modes is None and spec is not None and getattr(spec, "link_mode", None) is not None:
        try:
            modes = [ROUTE_MODES[int(m)] for m in spec.link_mode]
        except (IndexError, TypeError):
            modes = None
    pair_index: dict[tuple[int, int], int] = {}
    for i, (a, b) in enumerate(zip(src, dst, strict=True)):
        key = (min(a, b), max(a, b))
        if key not in pair_index:
            pair_index[key] = len(routes)
            mode = str(modes[i]) if modes is not None else "road"
            routes.append({"a": a, "b": b, "mode": mode})
        r = pair_index[key]
        link_route.append((r, 1 if routes[r]["a"] == a else -1))
    return routes, link_route


def _link_flows(sc: Any, link_table: Table | None, n_days: int) -> tuple[np.ndarray | None, np.ndarray | None, str]:
    """Agents on any road at the end of each day, and per link and day the flow the map draws (``flow_measure``:
    new_link_entries, else n_on_link), from the links table of a run whose scenario gives the routes."""
    if sc is None or link_table is None or "link" not in link_table.columns:
        return None, None, ""
    keys = [str(i) for i in range(len(sc.links.src))]
    on_link = None
    if "n_on_link" in link_table.columns:
        on_link = np.nan_to_num(pivot(link_table, "link", "n_on_link", n_days, keys)[1]).sum(axis=1)
    measure = next((c for c in ("new_link_entries", "n_on_link") if c in link_table.columns), "")
    per_link = np.nan_to_num(pivot(link_table, "link", measure, n_days, keys)[1]) if measure else None
    return on_link, per_link, measure


def _map(sc: Any, countries: list[str]) -> tuple[dict[str, Any] | None, str]:
    """The map's projection of the places and the country outlines around them (None without a scenario)."""
    if sc is None or not len(sc.locations.name):
        return None, ""
    world = outlines()
    proj = fit_projection(sc.locations.lon, sc.locations.lat)
    x, y = proj(sc.locations.lon, sc.locations.lat)
    x, y = np.nan_to_num(x, nan=-50.0), np.nan_to_num(y, nan=-50.0)  # a place without coordinates: off the map
    paths = country_paths(proj, world)
    if not set(countries) & {c["name"] for c in paths}:
        for c in paths:  # places in made-up countries: real names would mislead, keep only the shapes
            c.pop("label", None)
    return {"width": proj.width, "height": proj.height, "outlines": paths,
            "x": np.round(x, 1).tolist(), "y": np.round(y, 1).tolist()}, world["source"]


def _locations(sc: Any, names: list[str], loc_kind: list[str], countries: list[str], n_days: int,
               notes: dict[str, str]) -> list[dict]:
    """Each place for the page: name, kind, country, its conflict spans and its note."""
    spans = _conflict_spans(sc, n_days) if sc is not None else {}
    locations = []
    for i, name in enumerate(names):
        rec: dict[str, Any] = {"name": name, "kind": loc_kind[i], "country": countries[i]}
        if i in spans:
            rec["conflict"] = spans[i]
        if name in notes:
            rec["note"] = notes[name]
        locations.append(rec)
    return locations


def _observed(sc: Any, names: list[str], loc_kind: list[str], camps: Camps | None,
              n_days: int) -> tuple[list[int], dict[int, dict]]:
    """The places with a chart of their own, and per observed camp its observed series: the scenario's (with
    the observation dates as points), else the run's out.csv."""
    camp_idx = [i for i, k in enumerate(loc_kind) if k in CAMP_KINDS]
    observed: dict[int, dict] = {}
    if sc is not None and sc.observed is not None:
        for ci, ser in zip(sc.observed.camps, sc.observed.camp_series, strict=True):
            pts = [[int(round(d)), _num(v)] for d, v in zip(ser.days.tolist(), ser.values.tolist(), strict=True)]
            observed[int(ci)] = {"points": pts, "daily": sc.observed.camps_by_day(n_days)[:, list(
                sc.observed.camps).index(ci)]}
    elif camps is not None:
        column = {n: j for j, n in enumerate(camps.names)}
        for i, n in enumerate(names):
            if n in column:
                observed[i] = {"points": None, "daily": camps.data[:, column[n]]}
                if i not in camp_idx:
                    camp_idx.append(i)
    return camp_idx, observed


# ---- the page's data for the days kept ------------------------------------------------------------------------

def collect(res: Results) -> dict:
    """Everything the page shows of the run ``res``, as plain data (lists, numbers and strings).

    Long runs are thinned to every ``step``-th day (the last day always kept) so that the data stay within
    ``MAX_DATA_BYTES`` as JSON."""
    page = _page(res)
    payload = _payload(page, None)
    for _ in range(6):
        size = len(json_for_html(payload).encode("utf-8"))
        if size <= MAX_DATA_BYTES or payload["step"] >= len(payload["dates"]):
            break
        payload = _payload(page, math.ceil(payload["step"] * size / MAX_DATA_BYTES * 1.05))
    return payload


def _payload(page: _Page, step: int | None) -> dict:
    """The page's data keeping every ``step``-th day (None: as many as the animation allows)."""
    n_days, n_loc = page.n_days, len(page.names)
    per_day = n_loc + 2 * len(page.routes)
    if step is None:
        step = max(1, math.ceil(n_days * per_day / MAX_ANIMATED_VALUES)) if per_day else 1
    kept = list(range(0, n_days, step))
    if n_days and kept[-1] != n_days - 1:
        kept.append(n_days - 1)
    kept_a = np.asarray(kept, dtype=np.int64)
    model = page.res.model
    em = model.report_section(page.view, page.summary, page.sc, kept, step) if model is not None else None
    ppa = float(em.get("people_per_agent", 1.0)) if em is not None else 1.0  # the model's section counts people
    loc_series = {col: a * ppa if ppa != 1.0 and _is_count(col) else a for col, a in page.loc_raw.items()}
    stocks = np.nan_to_num(loc_series["n_present"]) if "n_present" in loc_series else np.zeros((n_days, n_loc))
    on_roads = page.on_link * ppa if page.on_link is not None else np.zeros(n_days)
    route_ab = np.zeros((n_days, len(page.routes)))  # people setting out on each route per day, a→b and b→a
    route_ba = np.zeros((n_days, len(page.routes)))
    if page.per_link is not None:
        per_link = page.per_link * ppa
        for i, (r, sign) in enumerate(page.link_route):
            (route_ab if sign > 0 else route_ba)[:, r] += per_link[:, i]
    hidden = em.pop("no_circle", []) if em is not None else []
    section = _generic_section(em, kept_a)
    if em is not None and set(em) <= {"people_per_agent"}:  # nothing left for the page's own drawing of it
        em = None
    total = em.pop("totals_chart", None) if em is not None else None
    charts = [total] if total is not None else _flee_totals(page, loc_series, stocks, on_roads, kept_a)
    charts += _camp_charts(page, loc_series, stocks, kept_a) + _table_charts(page, ppa, kept_a)
    shown_stocks = stocks
    if hidden:  # e.g. an origin's n_present counts the people who came back: it gets no circle on the map
        shown_stocks = stocks.copy()
        shown_stocks[:, hidden] = 0
    return {**_assemble(page, kept, step, shown_stocks, route_ab, route_ba, on_roads, charts, em), "section": section}


def _generic_section(em: dict | None, kept_a: np.ndarray) -> dict | None:
    """What any model's section may give the page in a form it draws as is: a ``title``, a ``note`` and
    ``charts`` ({"id", "title", "unit", "series": [{"name", "role", "values": one per day of the run}]}),
    taken out of the section (the rest stays for the drawing the page has for that data)."""
    if em is None or "charts" not in em:
        return None
    charts = []
    for c in em.pop("charts"):
        series = [{**s, "values": _ints(np.asarray(s["values"], dtype=np.float64)[kept_a])} for s in c["series"]]
        charts.append({**c, "group": "section", "series": series})
    return {"title": str(em.pop("title", "")), "note": str(em.pop("note", "")), "charts": charts}


def _assemble(page: _Page, kept: list[int], step: int, stocks: np.ndarray, route_ab: np.ndarray,
              route_ba: np.ndarray, on_roads: np.ndarray, charts: list[dict], em: dict | None) -> dict:
    """The page's data in the order the page's script reads it."""
    kept_a = np.asarray(kept, dtype=np.int64)
    summary = page.summary
    meta = {k: summary.get(k) for k in ("scenario", "format", "rules", "seed", "days", "start_date",
                                          "agents_final", "wall_seconds", "crossings_version", "kernel",
                                          "ard_rescaled", "ard_normal", "members", "model",
                                          "ard_rescaled_members_median", "coverage", "coverage_predictive")
            if k in summary}
    meta = {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in meta.items()}
    legend_kinds = sorted(set(page.loc_kind), key=lambda k: KIND_NAMES.index(k) if k in KIND_NAMES else 99)
    return {
        "meta": meta,
        "dates": page.dates,
        "kept": kept,
        "step": step,
        "locations": page.locations,
        "kinds": legend_kinds,
        "routes": page.routes,
        "map": page.map,
        "stocks": np.round(np.nan_to_num(stocks[kept_a])).astype(np.int64).tolist() if page.names
        else [[] for _ in kept],
        "flow_ab": np.round(route_ab[kept_a]).astype(np.int64).tolist(),
        "flow_ba": np.round(route_ba[kept_a]).astype(np.int64).tolist(),
        "flow_measure": page.flow_measure,
        "on_road": np.round(on_roads[kept_a]).astype(np.int64).tolist(),
        "charts": charts,
        "fit": fit_table(page.camps, summary),
        "events": page.events,
        "outline_source": page.outline_source if page.map else "",
        "what_if": [str(x) for x in summary.get("what_if") or [] if x is not None]
        if isinstance(summary.get("what_if"), list) else [],
        "parameters": _parameters(summary.get("parameters")),
        "emigration": em,
    }


def _series(name: str, role: str, values: np.ndarray, kept_a: np.ndarray,
            band: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    """A chart's series on the kept days, with its band."""
    s: dict[str, Any] = {"name": name, "role": role, "values": _ints(np.asarray(values)[kept_a])}
    if band is not None:
        s["lo"] = _ints(band[0][kept_a])
        s["hi"] = _ints(band[1][kept_a])
    return s


def _loc_band(page: _Page, loc_series: dict[str, np.ndarray], col: str, idx: list[int] | int,
              total: bool = False) -> tuple[np.ndarray, np.ndarray] | None:
    """The band around a location series at places ``idx`` (summed over them with ``total``), or None."""
    loc_table = page.tables.get("locations")
    b = _band(loc_table, col) if loc_table is not None else None
    if b is None:
        return None
    lo, hi = np.nan_to_num(loc_series[b[0]]), np.nan_to_num(loc_series[b[1]])
    if total:  # summing quantiles is an approximation; ensembles should write their own totals table
        return lo[:, idx].sum(axis=1), hi[:, idx].sum(axis=1)
    return lo[:, idx], hi[:, idx]


def _flee_totals(page: _Page, loc_series: dict[str, np.ndarray], stocks: np.ndarray, on_roads: np.ndarray,
                 kept_a: np.ndarray) -> list[dict]:
    """The totals chart: people displaced (all, in camps), simulated and observed."""
    if not page.names:
        return []
    tot = [_series("displaced (simulated, all places and roads)", "sim", stocks.sum(axis=1) + on_roads, kept_a)]
    if page.camp_idx:
        tot.append(_series("in camps (simulated)", "sim2", stocks[:, page.camp_idx].sum(axis=1), kept_a,
                           _loc_band(page, loc_series, "n_present", page.camp_idx, total=True)))
    if page.camps is not None:
        tot.append(_series("displaced (observed)", "obs", page.camps.total, kept_a))
    if page.observed:
        obs_sum = np.sum([np.asarray(o["daily"], dtype=np.float64) for o in page.observed.values()], axis=0)
        tot.append(_series("in camps (observed)", "obs2", obs_sum, kept_a))
    return [{"id": "totals", "group": "totals", "title": "People displaced", "unit": "people", "series": tot}]


def _camp_charts(page: _Page, loc_series: dict[str, np.ndarray], stocks: np.ndarray,
                 kept_a: np.ndarray) -> list[dict]:
    """One chart per camp, destination and crossing (observed ones first): simulated, and observed."""
    charts = []
    order = [i for i in page.camp_idx if i in page.observed] + [i for i in page.camp_idx if i not in page.observed]
    for i in order:
        ss = [_series("simulated", "sim", stocks[:, i], kept_a, _loc_band(page, loc_series, "n_present", i))]
        if i in page.observed:
            o = page.observed[i]
            obs_s = _series("observed", "obs", o["daily"], kept_a)
            if o["points"] is not None:
                obs_s["points"] = o["points"]
            ss.append(obs_s)
        charts.append({"id": f"camp-{i}", "group": "camps", "title": page.names[i], "location": i, "unit": "people",
                       "series": ss})
    return charts


def _table_charts(page: _Page, ppa: float, kept_a: np.ndarray) -> list[dict]:
    """Every table but locations and links with a day column and a text key: one chart per series, its top
    eight keys as lines (with their bands)."""
    charts = []
    n_days = page.n_days
    for tname, t in page.tables.items():
        if tname in ("locations", "links") or "day" not in t.columns:
            continue
        keys = [k for k in t.text() if k != "date"]
        if not keys:
            continue
        key = keys[0]
        for col in t.numeric():
            if col == "day" or any(col.endswith(a) or col.endswith(b) for a, b in BAND_SUFFIXES):
                continue
            labels, mat = pivot(t, key, col, n_days)
            scale = ppa if _is_count(col) else 1.0
            mat = np.nan_to_num(mat) * scale
            top = np.argsort(-np.abs(mat).sum(axis=0))[:8]
            band = _band(t, col)
            ss = []
            for j in sorted(top.tolist()):
                b = None
                if band is not None:
                    b = (np.nan_to_num(pivot(t, key, band[0], n_days, labels)[1][:, j]) * scale,
                         np.nan_to_num(pivot(t, key, band[1], n_days, labels)[1][:, j]) * scale)
                ss.append(_series(labels[j], "line", mat[:, j], kept_a, b))
            if ss:
                charts.append({"id": f"{tname}-{col}", "group": "tables", "title": f"{tname}: {col}",
                               "unit": "", "series": ss})
    return charts


def _parameters(raw: Any) -> list[list]:
    """summary.json's named parameters as [name, value] pairs sorted by name (values as given, else as text)."""
    if not isinstance(raw, dict):
        return []
    out = []
    for k, v in sorted(raw.items(), key=lambda kv: str(kv[0])):
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        out.append([str(k), v if ok else str(v)])
    return out


def _num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else round(float(v), 3)
