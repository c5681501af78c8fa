"""The Flee model's part of a native scenario (``model: flee``, docs/native-format.md): Flee's kinds of places,
scenario.yml's ``settings:`` (the fields of :class:`~crossings.params.flee.FleeSettings`), and the tables

    routes.csv        from,to,mode,distance_km[,max_speed_km_per_day,walk_probability,note]   (both directions)
    events.csv        date,until,event,target,other,value[,source]                           (the timeline)
    observed.csv      series,date,value  ("total" or a camp's name)                           (optional)

``write_native`` writes any Flee-model :class:`Scenario` in this form (``crossings convert`` uses it for Flee
scenarios); reading it back gives an equal Scenario, so both forms give identical runs for the same seed.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import yaml

from crossings.errors import InputError
from crossings.params.flee import META_FIELDS, RANGES, FleeSettings, _convert
from crossings.scenario import columns as col
from crossings.scenario.csvutil import parse_date
from crossings.scenario.model import (
    CAMP,
    CONFLICT,
    EMIGRATION_KINDS,
    FLEE_KINDS,
    IDPCAMP,
    KIND_NAMES,
    MARKER,
    Closure,
    Links,
    Observed,
    Scenario,
    Series,
)
from crossings.scenario.native import (
    FORMAT,
    LOCATION_COLUMNS,
    NativeContext,
    Section,
    both_ways,
    no_duplicate_route,
    route_ends,
)

MODES = ("road",)
CLOSE_EVENTS = MappingProxyType({"close_border": "country", "close_location": "location", "close_link": "link",
                                 "close_camp": "camp", "close_idpcamp": "idpcamp"})
EVENTS = ("conflict", *CLOSE_EVENTS)
ROUTES = col.table(col.text("from"), col.text("to"), col.text("mode"),
                   col.number("distance_km", 0, col.MAX_DISTANCE_KM, "km", "a non-negative distance"),
                   col.number("max_speed_km_per_day", 1e-9, col.MAX_SPEED_KM_PER_DAY, "km/day", "a positive speed"),
                   col.number("walk_probability", 0, 1, "", col.PROBABILITY))
ROUTE_COLUMNS = tuple(ROUTES)
EVENTS_TABLE = col.table(col.date("date"), col.date("until"), col.text("event"), col.text("target"),
                         col.text("other"), col.number("value", 0, col.MAX_FACTOR, "", "a non-negative intensity"))
EVENT_COLUMNS = tuple(EVENTS_TABLE)
OBSERVED = col.table(col.text("series"), col.date("date"),
                     col.number("value", 0, col.MAX_PEOPLE, "people", "a non-negative count"))
SETTING_FIELDS = tuple(f.name for f in dataclasses.fields(FleeSettings) if f.name not in META_FIELDS)
EMIGRATION_FILES = ("crossings.csv", "departures.csv", "policies.csv", "preferences.csv")
_NEEDS_EMIGRATION = " (needs model: emigration)"


class FleeSection(Section):
    """Flee's rules on a native scenario: roads, conflicts and closures on a timeline, observed camp counts."""

    keys = ("settings",)
    refused = MappingProxyType({"agents": "needs model: emigration", "emigration": "needs model: emigration",
                                "pull": "needs model: emigration"})
    kinds = FLEE_KINDS
    kind_hints = MappingProxyType({k: _NEEDS_EMIGRATION for k in EMIGRATION_KINDS})

    def read_meta(self, path: Path, meta: Mapping[str, Any], lines: Mapping[str, int]) -> FleeSettings:
        return read_settings(path, meta.get("settings"), lines)

    def write(self, sc: Scenario, root: Path) -> Path:
        return write_native(sc, root)

    def build(self, ctx: NativeContext) -> Scenario:
        for extra in EMIGRATION_FILES:
            if ctx.exists(extra):
                raise InputError(ctx.path(extra), None, "file", "read only by scenarios with model: emigration")
        links = read_roads(ctx)
        closures, ccols, cdata = read_events(ctx)
        observed = read_observed_counts(ctx) if ctx.exists("observed.csv") else None
        locs = ctx.locations
        if bool((locs.kind == MARKER).all()):
            raise InputError(ctx.path("locations.csv"), None, "kind", "every location is a marker")
        return Scenario(
            name=ctx.name, path=ctx.source.root, format="native", start_date=ctx.start, length=ctx.days,
            locations=locs, links=links, closures=closures, conflict_locations=ccols, conflicts=cdata,
            observed=observed, settings=ctx.settings, default_rules=ctx.rules, model=ctx.model,
            people_per_agent=float(ctx.settings.hasten),
        )


def read_settings(path: Path, raw: Any, lines: Mapping[str, int]) -> FleeSettings:
    """The ``settings:`` mapping of scenario.yml: FleeSettings fields by name, typed and range-checked."""
    if raw is None:
        return FleeSettings()
    if not isinstance(raw, dict):
        raise InputError(path, lines.get("settings"), "settings", "must be a mapping")
    changes: dict[str, Any] = {}
    default = FleeSettings()
    for key, value in raw.items():
        line = lines.get(f"settings.{key}")
        if key not in SETTING_FIELDS:
            close = difflib.get_close_matches(str(key), SETTING_FIELDS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(path, line, f"settings.{key}", f"unknown setting{hint}")
        conv = _convert(path, line or 0, key, value, getattr(default, key))
        if key in RANGES and conv is not None and not isinstance(conv, tuple) and \
                not RANGES[key][0] <= conv <= RANGES[key][1]:
            raise InputError(path, line, f"settings.{key}", f"{conv!r} is outside the allowed range {RANGES[key]}")
        changes[key] = conv
    return dataclasses.replace(default, **changes)


def read_roads(ctx: NativeContext) -> Links:
    """routes.csv of the Flee model: roads, each row giving a link in both directions."""
    rpath = ctx.path("routes.csv")
    index = ctx.index
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[int, int, str], int] = {}
    for ln, r in ctx.table("routes.csv", ("from", "to", "distance_km"),
                           ("mode", "max_speed_km_per_day", "walk_probability")):
        a, b = route_ends(rpath, ln, r, index)
        mode = r.get("mode") or "road"
        if mode not in MODES:
            hint = " (foot and air routes need model: emigration)" if mode in ("foot", "air") else ""
            raise InputError(rpath, ln, "mode", f"unknown mode {mode!r}{hint} (expected: {', '.join(MODES)})")
        no_duplicate_route(rpath, ln, (a, b), mode, seen, ctx.locations.name)
        d = ROUTES["distance_km"].read(rpath, ln, r["distance_km"])
        sp = ROUTES["max_speed_km_per_day"].read(rpath, ln, r["max_speed_km_per_day"]) \
            if r.get("max_speed_km_per_day") else np.nan
        wp = ROUTES["walk_probability"].read(rpath, ln, r["walk_probability"]) if r.get("walk_probability") else 0.0
        rows.append({"from": a, "to": b, "line": ln, "distance": d, "speed": sp, "walk": wp})
    k = both_ways(rows)
    n = len(k["src"])
    return Links(src=k["src"], dst=k["dst"], distance=k.get("distance", np.zeros(n)).astype(np.float64),
                 speed=k.get("speed", np.zeros(n)).astype(np.float64),
                 walk_probability=k.get("walk", np.zeros(n)).astype(np.float64), line=k["line"])


def read_events(ctx: NativeContext) -> tuple[tuple[Closure, ...], np.ndarray, np.ndarray]:
    """events.csv of the Flee model (optional): closures, and the conflict intensity per day of each place with a
    conflict event (columns in order of first mention)."""
    conflict_cols: dict[int, int] = {}
    conflict_events: list[tuple[int, int, float]] = []
    closures: list[Closure] = []
    if ctx.exists("events.csv"):
        for ln, r in ctx.table("events.csv", ("date", "event", "target"), ("until", "other", "value")):
            got = _event(ctx, ln, r)
            if isinstance(got, Closure):
                closures.append(got)
            else:
                conflict_cols.setdefault(got[1], len(conflict_cols))
                conflict_events.append(got)
    days = ctx.days
    ccols = np.array(sorted(conflict_cols, key=conflict_cols.get), dtype=np.int32)
    cdata = np.zeros((days, len(ccols)))
    col_of = {x: j for j, x in enumerate(ccols.tolist())}
    for day, x, v in sorted(conflict_events):
        if day < days:
            cdata[day:, col_of[x]] = v
    return tuple(closures), ccols, cdata


def _event(ctx: NativeContext, ln: int, r: Mapping[str, str]) -> Closure | tuple[int, int, float]:
    """One events.csv row: a closure, or a conflict as (day, location, intensity)."""
    epath, start, index, locs = ctx.path("events.csv"), ctx.start, ctx.index, ctx.locations
    day = (parse_date(epath, ln, "date", r["date"]) - start).days
    if day < 0:
        raise InputError(epath, ln, "date", f"{r['date']} is before the start date {start}")
    ev = r["event"]
    if ev not in EVENTS:
        emigration_only = ("departure_hazard", "close_air_route", "bar_mode", "close_crossing", "close_road")
        hint = _NEEDS_EMIGRATION if ev in emigration_only else ""
        raise InputError(epath, ln, "event", f"unknown event {ev!r}{hint} (expected {', '.join(EVENTS)})")
    if ev == "conflict":
        if r["target"] not in index:
            raise InputError(epath, ln, "target", f"unknown location {r['target']!r}")
        v = EVENTS_TABLE["value"].read(epath, ln, r.get("value") or "1")
        return day, index[r["target"]], v
    kind = CLOSE_EVENTS[ev]
    end = -1
    if r.get("until"):
        end = (parse_date(epath, ln, "until", r["until"]) - start).days
        if end < day:
            raise InputError(epath, ln, "until", f"{r['until']} is before the closure starts ({r['date']})")
    pool = set(locs.country) if kind == "country" else index
    what = "country" if kind == "country" else "location"
    needed = [("target", r["target"])]
    if kind in ("country", "link"):
        needed.append(("other", r.get("other", "")))
    for field, v in needed:
        if v not in pool:
            raise InputError(epath, ln, field, f"unknown {what} {v!r}")
    if kind in ("camp", "idpcamp") and locs.kind[index[r["target"]]] not in (CAMP, IDPCAMP):
        raise InputError(epath, ln, "target", f"{r['target']!r} is not a camp")
    return Closure(kind, r["target"], r.get("other", "") if kind in ("country", "link") else "", day, end, ln)


def read_observed_counts(ctx: NativeContext) -> Observed:
    """observed.csv of the Flee model: the ``total`` series and one per camp (``series,date,value``)."""
    opath, locs, index = ctx.path("observed.csv"), ctx.locations, ctx.index
    series: dict[str, tuple[list[float], list[float]]] = {}
    for ln, r in ctx.table("observed.csv", ("series", "date", "value")):
        name = r["series"]
        if name != "total" and name not in index:
            raise InputError(opath, ln, "series", f"{name!r} is neither total nor a location")
        if name != "total" and locs.kind[index[name]] not in (CAMP, IDPCAMP):
            raise InputError(opath, ln, "series", f"{name!r} is not a camp")
        d = (parse_date(opath, ln, "date", r["date"]) - ctx.start).days
        v = OBSERVED["value"].read(opath, ln, r["value"])
        days_, vals = series.setdefault(name, ([], []))
        if days_ and d < days_[-1]:
            raise InputError(opath, ln, "date", f"dates of series {name!r} are not in increasing order")
        days_.append(float(d))
        vals.append(v)
    if "total" not in series:
        raise InputError(opath, None, "series", "no 'total' series")
    camps = [i for i in range(len(locs)) if locs.name[i] in series]
    return Observed(
        total=Series(np.array(series["total"][0]), np.array(series["total"][1])), camps=tuple(camps),
        camp_series=tuple(Series(np.array(series[locs.name[i]][0]), np.array(series[locs.name[i]][1]))
                          for i in camps),
    )


# ---- writing ------------------------------------------------------------------------------------------

def _num(x: float) -> str:
    """A number written so that reading it back gives the same float (integers without a decimal point)."""
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 2**53 else repr(x)


def _csv_line(cells: list[str]) -> str:
    out = []
    for c in cells:
        c = str(c)
        out.append('"' + c.replace('"', '""') + '"' if any(ch in c for ch in ',"\n') else c)
    return ",".join(out) + "\n"


def write_native(sc: Scenario, root: str | Path) -> Path:
    """Write the Flee-model scenario ``sc`` as a native scenario directory ``root`` (created; existing files are
    replaced)."""
    root = Path(root)
    if sc.location_changes:  # the native format has no such table yet: refuse rather than drop the changes
        raise InputError(sc.path / "input_csv" / "location_changes.csv", sc.location_changes[0].line, "file",
                         "crossings convert cannot write location changes into the native format yet")
    root.mkdir(parents=True, exist_ok=True)
    (root / "scenario.yml").write_text(
        "# crossings native scenario; see docs/native-format.md\n" + yaml.safe_dump(_meta(sc), sort_keys=False))
    (root / "locations.csv").write_text("".join(_location_lines(sc)))
    lines = [_csv_line(list(ROUTE_COLUMNS))]
    locs, links = sc.locations, sc.links
    for k in range(0, len(links), 2):  # each pair (A→B, B→A) is one road
        sp = float(links.speed[k])
        lines.append(_csv_line([
            locs.name[links.src[k]], locs.name[links.dst[k]], "road", _num(links.distance[k]),
            "" if math.isnan(sp) else _num(sp), _num(links.walk_probability[k]) if links.walk_probability[k] else "",
        ]))
    (root / "routes.csv").write_text("".join(lines))
    (root / "events.csv").write_text("".join(_event_lines(sc)))
    obs = sc.observed
    if obs is not None:
        lines = [_csv_line(["series", "date", "value"])]
        for name, series in [("total", obs.total)] + [(locs.name[c], s_) for c, s_ in zip(obs.camps, obs.camp_series,
                                                                                        strict=True)]:
            for d, v in zip(series.days, series.values, strict=True):
                lines.append(_csv_line([name, sc.date_of(int(d)).isoformat(), _num(v)]))
        (root / "observed.csv").write_text("".join(lines))
    return root


def _meta(sc: Scenario) -> dict[str, Any]:
    """scenario.yml of a written scenario."""
    locs, s = sc.locations, sc.settings
    settings: dict[str, Any] = {}
    for name in SETTING_FIELDS:
        v = getattr(s, name)
        settings[name] = list(v) if isinstance(v, tuple) else v
    settings["hasten"] = 1  # populations, capacities and observed counts below are already scaled
    home = next((locs.country[i] for i in range(len(locs)) if not locs.foreign[i]), locs.country[0])
    meta = {
        "format": FORMAT,
        "name": sc.name,
        "start_date": sc.start_date.isoformat(),
        "days": sc.length,
        "rules": sc.default_rules,
        "home_country": home,
        "people_per_agent": s.hasten,
        "converted_from": f"{sc.format} scenario {sc.path}" if sc.format != "native" else None,
        "settings": settings,
    }
    return {k: v for k, v in meta.items() if v is not None}


def _location_lines(sc: Scenario) -> list[str]:
    locs = sc.locations
    lines = [_csv_line(list(LOCATION_COLUMNS))]
    for i in range(len(locs)):
        kind = KIND_NAMES[int(locs.start_kind[i])]
        cap = int(locs.capacity[i])
        inten = float(locs.intensity[i])
        lines.append(_csv_line([
            locs.name[i], kind, locs.country[i], locs.region[i], _num(locs.lat[i]), _num(locs.lon[i]),
            str(int(locs.population[i])), str(cap) if cap >= 0 else "",
            _num(inten) if locs.start_kind[i] == CONFLICT else "",
        ]))
    return lines


def _event_lines(sc: Scenario) -> list[str]:
    """events.csv: a conflict row wherever a place's intensity changes, then the closures."""
    locs = sc.locations
    lines = [_csv_line(list(EVENT_COLUMNS))]
    prev = np.zeros(sc.conflicts.shape[1])
    for t in range(min(sc.conflicts.shape[0], sc.length)):
        row = sc.conflicts[t]
        for j in np.flatnonzero(row != prev):
            lines.append(_csv_line([sc.date_of(t).isoformat(), "", "conflict",
                                    locs.name[sc.conflict_locations[j]], "", _num(row[j])]))
        prev = row
    names = {v: k for k, v in CLOSE_EVENTS.items()}
    for c in sc.closures:
        if c.kind not in names:
            continue  # remove_forced_redirection: no behavioural effect
        until = sc.date_of(c.end).isoformat() if c.end >= 0 else ""
        lines.append(_csv_line([sc.date_of(c.start).isoformat(), until, names[c.kind], c.name1,
                                c.name2 if c.kind in ("country", "link") else "", ""]))
    return lines
