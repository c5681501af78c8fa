"""What the report shows, gathered from a run directory into one JSON-able dict (the page's data).

Reads ``summary.json``, every ``*.parquet`` table, ``out.csv`` when present, and the scenario named in the
summary (for coordinates, kinds, routes, observed series and the timeline of events). Everything is optional
except ``summary.json``: a missing scenario gives a page without a map, a missing out.csv a page without a
fit table.

Ensembles: a numeric column ``X`` of a table may come with ``X_lo`` and ``X_hi`` (or ``X_q05`` and ``X_q95``)
columns; the charts then draw them as a band around ``X``.

Emigration runs (``model: emigration`` with ``countries.parquet``) get more: counts in people (agents ×
``people_per_agent``) and the part built by :mod:`crossings.report.emigration` (totals of who left, charts per
destination country, crossing and category of leavers, and the fit to observations) under ``"emigration"``.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crossings.report import geo

# Values per day in the page's animated data (location stocks + two per route) above which days are thinned.
MAX_ANIMATED_VALUES = 600_000
# The page's data as JSON at most (the page's own code and styles add about 40 kB).
MAX_DATA_BYTES = 4_200_000
BAND_SUFFIXES = (("_lo", "_hi"), ("_q05", "_q95"), ("_q10", "_q90"), ("_q25", "_q75"))
CAMP_KINDS = ("camp", "idpcamp", "destination", "crossing")  # places with a chart of their own


@dataclass
class Table:
    """A Parquet table as NumPy columns (text columns decoded to object arrays)."""

    name: str
    columns: dict[str, np.ndarray]
    codes: dict[str, tuple[np.ndarray, list[str]]] = field(default_factory=dict)  # dictionary-encoded text

    def numeric(self) -> list[str]:
        return [k for k, v in self.columns.items() if v.dtype.kind in "iuf"]

    def text(self) -> list[str]:
        return [k for k, v in self.columns.items() if v.dtype.kind in "OUS"]


def read_table(path: Path) -> Table:
    """Read a Parquet file into NumPy columns; dictionary-encoded text is decoded without pandas."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pq.ParquetFile(path).read()  # (pq.read_table would import pyarrow.dataset and pandas: +0.4 s)
    cols: dict[str, np.ndarray] = {}
    codes: dict[str, tuple[np.ndarray, list[str]]] = {}
    for name in t.column_names:
        col = t.column(name).combine_chunks()
        if pa.types.is_dictionary(col.type):
            labels = col.dictionary.to_pylist()
            idx = col.indices.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
            codes[name] = (idx, [str(x) for x in labels])
            cols[name] = np.asarray(labels, dtype=object)[idx]
        elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            cols[name] = np.asarray(col.to_pylist(), dtype=object)
        elif pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
            cols[name] = col.to_numpy(zero_copy_only=False)
        elif pa.types.is_boolean(col.type):
            cols[name] = col.to_numpy(zero_copy_only=False).astype(np.int64)
    return Table(path.stem, cols, codes)


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


def _load_scenario(summary: dict) -> Any:
    path = summary.get("scenario_path")
    if not path or not Path(path).exists():
        return None
    from crossings.api import load_scenario

    try:
        return load_scenario(path)
    except Exception:  # a scenario edited since the run: the page still shows the results
        return None


def _kind_names() -> tuple[str, ...]:
    from crossings.scenario.model import KIND_NAMES

    return KIND_NAMES


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


def fit_table(out_csv: Path, summary: dict) -> dict | None:
    """Per observed camp: last observed and simulated counts and its share of Flee's ARD (normal and
    rescaled; the shares add up to the run's ARD)."""
    if not out_csv.is_file():
        return None
    from crossings.observed.metrics import read_out_csv_camps

    camps, sim, data = read_out_csv_camps(out_csv)
    if not camps or not len(sim):
        return None
    u = data.sum(axis=1)
    s = sim.sum(axis=1)
    denom = np.maximum(u, 1.0)[:, None]
    normal = (np.abs(sim - data) / denom).mean(axis=0)
    scale = np.divide(u, s, out=np.zeros_like(u), where=s > 0)[:, None]
    rescaled = (np.abs(sim * scale - data) / denom).mean(axis=0)
    rows = [{"camp": c, "observed": int(data[-1, i]), "simulated": int(sim[-1, i]),
             "ard_normal": round(float(normal[i]), 4), "ard_rescaled": round(float(rescaled[i]), 4)}
            for i, c in enumerate(camps)]
    total = {"observed": int(data[-1].sum()), "simulated": int(sim[-1].sum()),
             "ard_normal": round(float(normal.sum()), 4), "ard_rescaled": round(float(rescaled.sum()), 4)}
    return {"rows": rows, "total": total, "days": int(len(sim)),
            "reported": {k: summary[k] for k in ("ard_normal", "ard_rescaled")
                         if isinstance(summary.get(k), (int, float)) and math.isfinite(summary[k])}}


def _out_csv_series(out_csv: Path) -> tuple[list[str], dict[str, np.ndarray]]:
    if not out_csv.is_file():
        return [], {}
    with open(out_csv, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    head, body = rows[0], [r for r in rows[1:] if r]
    cols = {}
    for i, h in enumerate(head):
        if h in ("Day", "Date"):
            continue
        try:
            cols[h] = np.array([float(r[i]) for r in body])
        except ValueError:
            continue
    return head, cols


def collect(run_dir: str | Path) -> dict:
    """Everything the page shows, as plain data (lists, numbers and strings).

    Long runs are thinned to every ``step``-th day (the last day always kept) so that the data stay within
    ``MAX_DATA_BYTES`` as JSON."""
    from crossings.report.page import json_for_html

    cache: dict[str, Any] = {}  # what does not depend on the thinning: read once
    payload = _collect(Path(run_dir), None, cache)
    for _ in range(6):
        size = len(json_for_html(payload).encode("utf-8"))
        if size <= MAX_DATA_BYTES or payload["step"] >= len(payload["dates"]):
            break
        payload = _collect(Path(run_dir), math.ceil(payload["step"] * size / MAX_DATA_BYTES * 1.05), cache)
    return payload


def _is_count(column: str) -> bool:
    """Columns that count agents (stocks ``n_*``, flows ``new_*``, categories ``cat_*``, and their bands)."""
    return column.startswith(("n_", "new_", "cat_"))


def _collect(run_dir: Path, step: int | None, cache: dict[str, Any] | None = None) -> dict:
    from crossings.report import emigration

    run = Path(run_dir)
    cache = {} if cache is None else cache
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    n_days = int(summary.get("days", 0))
    if "scenario" not in cache:
        cache["scenario"] = _load_scenario(summary)
        cache["view"] = emigration.load_view(run, summary)
    sc, view = cache["scenario"], cache["view"]
    ppa = float(view.people_per_agent) if view is not None else 1.0  # emigration runs: counts in people
    tables = {p.stem: read_table(p) for p in sorted(run.glob("*.parquet"))}
    if n_days <= 0:
        n_days = max((int(t.columns["day"].max()) + 1 for t in tables.values() if "day" in t.columns
                      and len(t.columns["day"])), default=0)
    start = summary.get("start_date")
    if sc is not None:
        dates = [sc.date_of(d).isoformat() for d in range(n_days)]
    elif "locations" in tables and "date" in tables["locations"].columns:
        t = tables["locations"]
        by_day = dict(zip(t.columns["day"].tolist(), t.columns["date"].tolist(), strict=True))
        dates = [str(by_day.get(d, "")) for d in range(n_days)]
    else:
        import datetime as dt

        d0 = dt.date.fromisoformat(start) if start else dt.date(2000, 1, 1)
        dates = [(d0 + dt.timedelta(days=d)).isoformat() for d in range(n_days)]

    kinds = _kind_names()
    # ---- places ---------------------------------------------------------------------------------------
    loc_table = tables.get("locations")
    if sc is not None:
        names = list(sc.locations.name)
        loc_kind = [kinds[int(k)] if 0 <= int(k) < len(kinds) else "other" for k in sc.locations.kind]
        countries = list(sc.locations.country)
    elif loc_table is not None:
        names = sorted({str(x) for x in loc_table.columns["location"]})
        loc_kind = ["other"] * len(names)
        countries = [""] * len(names)
        if "country" in loc_table.columns:
            by = dict(zip(loc_table.columns["location"].tolist(), loc_table.columns["country"].tolist(), strict=True))
            countries = [str(by.get(n, "")) for n in names]
    else:
        names, loc_kind, countries = [], [], []
    n_loc = len(names)
    stocks = np.zeros((n_days, n_loc))
    loc_series: dict[str, np.ndarray] = {}
    if loc_table is not None and "location" in loc_table.columns:
        for col in loc_table.numeric():
            if col == "day":
                continue
            loc_series[col] = pivot(loc_table, "location", col, n_days, names)[1]
            if ppa != 1.0 and _is_count(col):
                loc_series[col] = loc_series[col] * ppa
        if "n_present" in loc_series:
            stocks = np.nan_to_num(loc_series["n_present"])

    # ---- routes (undirected), people on them per direction --------------------------------------------
    routes: list[dict] = []
    route_ab = np.zeros((n_days, 0))  # people setting out on each route per day, a→b and b→a
    route_ba = np.zeros((n_days, 0))
    on_roads = np.zeros(n_days)  # people on any road at the end of each day
    flow_measure = ""
    link_table = tables.get("links")
    if sc is not None:
        src = np.asarray(sc.links.src).tolist()
        dst = np.asarray(sc.links.dst).tolist()
        modes = getattr(sc.links, "mode", None)
        spec = getattr(sc, "emigration", None)
        if modes is None and spec is not None and getattr(spec, "link_mode", None) is not None:
            try:
                from crossings.scenario.emigration import ROUTE_MODES

                modes = [ROUTE_MODES[int(m)] for m in spec.link_mode]
            except (ImportError, IndexError, TypeError):
                modes = None
        pair_index: dict[tuple[int, int], int] = {}
        link_route: list[tuple[int, int]] = []  # (route, +1 a→b / -1 b→a)
        for i, (a, b) in enumerate(zip(src, dst, strict=True)):
            key = (min(a, b), max(a, b))
            if key not in pair_index:
                pair_index[key] = len(routes)
                mode = str(modes[i]) if modes is not None else "road"
                routes.append({"a": a, "b": b, "mode": mode})
            r = pair_index[key]
            link_route.append((r, 1 if routes[r]["a"] == a else -1))
        route_ab = np.zeros((n_days, len(routes)))
        route_ba = np.zeros((n_days, len(routes)))
        link_keys = [str(i) for i in range(len(src))]
        if link_table is not None and "link" in link_table.columns:
            if "n_on_link" in link_table.columns:
                on_roads = np.nan_to_num(pivot(link_table, "link", "n_on_link", n_days, link_keys)[1]).sum(axis=1)
                on_roads = on_roads * ppa
            flow_measure = next((c for c in ("new_link_entries", "n_on_link") if c in link_table.columns), "")
        if flow_measure:
            per_link = np.nan_to_num(pivot(link_table, "link", flow_measure, n_days, link_keys)[1]) * ppa
            for i, (r, sign) in enumerate(link_route):
                (route_ab if sign > 0 else route_ba)[:, r] += per_link[:, i]

    # ---- thinning: keep every step-th day (and the last) if the animation would be too big -------------
    per_day = n_loc + 2 * len(routes)
    if step is None:
        step = max(1, math.ceil(n_days * per_day / MAX_ANIMATED_VALUES)) if per_day else 1
    kept = list(range(0, n_days, step))
    if n_days and kept[-1] != n_days - 1:
        kept.append(n_days - 1)
    kept_a = np.asarray(kept, dtype=np.int64)

    # ---- map ------------------------------------------------------------------------------------------
    map_data: dict[str, Any] | None = None
    if sc is not None and n_loc:
        proj = geo.fit(sc.locations.lon, sc.locations.lat)
        x, y = proj(sc.locations.lon, sc.locations.lat)
        x, y = np.nan_to_num(x, nan=-50.0), np.nan_to_num(y, nan=-50.0)  # a place without coordinates: off the map
        paths = geo.country_paths(proj)
        if not set(countries) & {c["name"] for c in paths}:
            for c in paths:  # places in made-up countries: real names would mislead, keep only the shapes
                c.pop("label", None)
        map_data = {"width": proj.width, "height": proj.height,
                    "outlines": paths,
                    "x": np.round(x, 1).tolist(), "y": np.round(y, 1).tolist()}
    spans = _conflict_spans(sc, n_days) if sc is not None else {}
    loc_notes, ev_sources = _notes(sc)
    locations = []
    for i, name in enumerate(names):
        rec: dict[str, Any] = {"name": name, "kind": loc_kind[i], "country": countries[i]}
        if i in spans:
            rec["conflict"] = spans[i]
        if name in loc_notes:
            rec["note"] = loc_notes[name]
        locations.append(rec)

    # ---- charts ---------------------------------------------------------------------------------------
    out_csv = run / "out.csv"
    _, out_cols = _out_csv_series(out_csv)
    charts: list[dict] = []
    camp_idx = [i for i, k in enumerate(loc_kind) if k in CAMP_KINDS]
    observed: dict[int, dict] = {}
    if sc is not None and sc.observed is not None:
        for ci, ser in zip(sc.observed.camps, sc.observed.camp_series, strict=True):
            pts = [[int(round(d)), _num(v)] for d, v in zip(ser.days.tolist(), ser.values.tolist(), strict=True)]
            observed[int(ci)] = {"points": pts, "daily": sc.observed.camps_by_day(n_days)[:, list(
                sc.observed.camps).index(ci)]}
    elif out_cols:
        for i, n in enumerate(names):
            if f"{n} data" in out_cols:
                observed[i] = {"points": None, "daily": out_cols[f"{n} data"]}
                if i not in camp_idx:
                    camp_idx.append(i)

    def series(name: str, role: str, values: np.ndarray, band: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
        s: dict[str, Any] = {"name": name, "role": role, "values": _ints(np.asarray(values)[kept_a])}
        if band is not None:
            s["lo"] = _ints(band[0][kept_a])
            s["hi"] = _ints(band[1][kept_a])
        return s

    def loc_band(col: str, idx: list[int] | int, total: bool = False) -> tuple[np.ndarray, np.ndarray] | None:
        if loc_table is None:
            return None
        b = _band(loc_table, col)
        if b is None:
            return None
        lo, hi = np.nan_to_num(loc_series[b[0]]), np.nan_to_num(loc_series[b[1]])
        if total:  # summing quantiles is an approximation; ensembles should write their own totals table
            return lo[:, idx].sum(axis=1), hi[:, idx].sum(axis=1)
        return lo[:, idx], hi[:, idx]

    em = emigration.build(view, summary, sc, kept, step) if view is not None else None
    # totals
    if em is not None:
        charts.append(em.pop("totals_chart"))
        em["origins"] = emigration.origins(loc_kind, loc_series, kept)
    elif n_loc:
        tot: list[dict] = []
        tot.append(series("displaced (simulated, all places and roads)", "sim", stocks.sum(axis=1) + on_roads))
        if camp_idx:
            tot.append(series("in camps (simulated)", "sim2", stocks[:, camp_idx].sum(axis=1),
                              loc_band("n_present", camp_idx, total=True)))
        if "raw UNHCR refugee count" in out_cols:
            tot.append(series("displaced (observed)", "obs", out_cols["raw UNHCR refugee count"]))
        if observed:
            obs_sum = np.sum([np.asarray(o["daily"], dtype=np.float64) for o in observed.values()], axis=0)
            tot.append(series("in camps (observed)", "obs2", obs_sum))
        charts.append({"id": "totals", "group": "totals", "title": "People displaced", "unit": "people",
                       "series": tot})
    # one chart per camp (observed ones first)
    order = [i for i in camp_idx if i in observed] + [i for i in camp_idx if i not in observed]
    for i in order:
        ss = [series("simulated", "sim", stocks[:, i], loc_band("n_present", i))]
        if i in observed:
            o = observed[i]
            obs_s = series("observed", "obs", o["daily"])
            if o["points"] is not None:
                obs_s["points"] = o["points"]
            ss.append(obs_s)
        charts.append({"id": f"camp-{i}", "group": "camps", "title": names[i], "location": i, "unit": "people",
                       "series": ss})
    # any other table with a day column and a text key: one chart per numeric column, top keys as lines
    for tname, t in tables.items():
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
                ss.append(series(labels[j], "line", mat[:, j], b))
            if ss:
                charts.append({"id": f"{tname}-{col}", "group": "tables", "title": f"{tname}: {col}",
                               "unit": "", "series": ss})

    ev = events(sc, n_days)
    for e in ev:
        src_txt = ev_sources.get((e["date"], e["target"]))
        if src_txt:
            e["source"] = src_txt

    meta = {k: summary.get(k) for k in ("scenario", "format", "rules", "seed", "days", "start_date",
                                          "agents_final", "wall_seconds", "crossings_version", "kernel",
                                          "ard_rescaled", "ard_normal", "members", "model") if k in summary}
    meta = {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in meta.items()}
    shown_stocks = stocks
    if em is not None:  # an origin's n_present counts the people who came back: it gets no circle on the map
        shown_stocks = stocks.copy()
        shown_stocks[:, [i for i, k in enumerate(loc_kind) if k == "origin"]] = 0
    legend_kinds = sorted({k for k in loc_kind}, key=lambda k: kinds.index(k) if k in kinds else 99)
    return {
        "meta": meta,
        "dates": dates,
        "kept": kept,
        "step": step,
        "locations": locations,
        "kinds": legend_kinds,
        "routes": routes,
        "map": map_data,
        "stocks": np.round(np.nan_to_num(shown_stocks[kept_a])).astype(np.int64).tolist() if n_loc
        else [[] for _ in kept],
        "flow_ab": np.round(route_ab[kept_a]).astype(np.int64).tolist(),
        "flow_ba": np.round(route_ba[kept_a]).astype(np.int64).tolist(),
        "flow_measure": flow_measure,
        "on_road": np.round(on_roads[kept_a]).astype(np.int64).tolist(),
        "charts": charts,
        "fit": fit_table(out_csv, summary),
        "events": ev,
        "outline_source": geo.outlines()["source"] if map_data else "",
        "what_if": [str(x) for x in summary.get("what_if") or [] if x is not None]
        if isinstance(summary.get("what_if"), list) else [],
        "parameters": _parameters(summary.get("parameters")),
        "emigration": em,
    }


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
