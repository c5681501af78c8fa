"""crossings' own scenario format: one directory of small, readable files (see docs/native-format.md).

    scenario.yml      name, dates, rule set, home country, parameters
    locations.csv     name,kind,country,region,lat,lon,population,capacity,conflict_intensity[,note]
    routes.csv        from,to,mode,distance_km[,max_speed_km_per_day,walk_probability,note]   (both directions)
    events.csv        date,until,event,target,other,value[,source]                           (the timeline)
    observed.csv      series,date,value  ("total" or a camp's name)                           (optional)

With ``model: emigration`` routes.csv takes ``mode`` road|foot|air with ``duration_days``/``seats_per_day``,
and crossings.csv (capacities) and departures.csv (hazards) join; see ``crossings.scenario.emigration``.

``write_native`` writes any :class:`Scenario` in this form (``crossings convert`` uses it for Flee scenarios);
``read_native`` reads it back into an equal Scenario, so both forms give identical runs for the same seed.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from crossings.errors import InputError
from crossings.params.flee import FleeSettings
from crossings.scenario.csvutil import parse_date, parse_float, parse_int, read_rows
from crossings.scenario.emigration import route_ends
from crossings.scenario.model import (
    CAMP,
    CONFLICT,
    EMIGRATION_KINDS,
    FLEE_KINDS,
    IDPCAMP,
    KIND_NAMES,
    MARKER,
    MODELS,
    Closure,
    Links,
    Locations,
    Observed,
    Scenario,
    Series,
)

FORMAT = "crossings-native/1"
MODES = ("road",)
CLOSE_EVENTS = {"close_border": "country", "close_location": "location", "close_link": "link",
                "close_camp": "camp", "close_idpcamp": "idpcamp"}
EVENTS = ("conflict", *CLOSE_EVENTS)
LOCATION_COLUMNS = ("name", "kind", "country", "region", "lat", "lon", "population", "capacity",
                    "conflict_intensity")
ROUTE_COLUMNS = ("from", "to", "mode", "distance_km", "max_speed_km_per_day", "walk_probability")
EVENT_COLUMNS = ("date", "until", "event", "target", "other", "value")
_SETTING_FIELDS = [f.name for f in dataclasses.fields(FleeSettings) if f.name != "notices"]


def is_native_dir(path: Path) -> bool:
    """True if ``path`` holds a native scenario (a scenario.yml)."""
    return (path / "scenario.yml").is_file()


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
    """Write ``sc`` as a native scenario directory ``root`` (created; existing files are replaced)."""
    if sc.model != "flee":
        raise ValueError(f"write_native writes Flee-model scenarios; {sc.name!r} is a {sc.model} scenario")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    locs = sc.locations
    s = sc.settings
    settings: dict[str, Any] = {}
    for name in _SETTING_FIELDS:
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
    meta = {k: v for k, v in meta.items() if v is not None}
    (root / "scenario.yml").write_text(
        "# crossings native scenario; see docs/native-format.md\n" + yaml.safe_dump(meta, sort_keys=False))
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
    (root / "locations.csv").write_text("".join(lines))
    lines = [_csv_line(list(ROUTE_COLUMNS))]
    links = sc.links
    for k in range(0, len(links), 2):  # each pair (A→B, B→A) is one road
        sp = float(links.speed[k])
        lines.append(_csv_line([
            locs.name[links.src[k]], locs.name[links.dst[k]], "road", _num(links.distance[k]),
            "" if math.isnan(sp) else _num(sp), _num(links.walk_probability[k]) if links.walk_probability[k] else "",
        ]))
    (root / "routes.csv").write_text("".join(lines))
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
    (root / "events.csv").write_text("".join(lines))
    obs = sc.observed
    if obs is not None:
        lines = [_csv_line(["series", "date", "value"])]
        for name, series in [("total", obs.total)] + [(locs.name[c], s_) for c, s_ in zip(obs.camps, obs.camp_series,
                                                                                        strict=True)]:
            for d, v in zip(series.days, series.values, strict=True):
                lines.append(_csv_line([name, sc.date_of(int(d)).isoformat(), _num(v)]))
        (root / "observed.csv").write_text("".join(lines))
    return root


# ---- reading ------------------------------------------------------------------------------------------

def _table(path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV with a header line, as dicts by column name; checks the required columns."""
    rows = read_rows(path, skip_hash=True)
    if not rows:
        raise InputError(path, None, "header", "empty file; expected a header line")
    line, head = rows[0]
    head = [h.strip().lower() for h in head]
    for col in required:
        if col not in head:
            raise InputError(path, line, col, f"missing column (the header must name {', '.join(required)})")
    for i, col in enumerate(head):
        if col not in required and col not in optional and col not in ("note", "source"):
            raise InputError(path, line, col or f"column {i + 1}",
                             f"unknown column (known: {', '.join(required + optional)}, note, source)")
    from crossings.scenario.parameters import current, resolve

    params = current()
    out = []
    for ln, cells in rows[1:]:
        if len(cells) > len(head):
            raise InputError(path, ln, "row", f"{len(cells)} cells but the header has {len(head)} columns")
        cells = cells + [""] * (len(head) - len(cells))
        row = dict(zip(head, cells, strict=True))
        if params is not None:
            for k, v in row.items():
                if "$" in v and k not in ("note", "source"):
                    row[k] = resolve(path, ln, k, v, params)
        out.append((ln, row))
    return out


def _read_meta(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(path, None, "encoding", "not valid UTF-8") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(path, mark.line + 1 if mark else None, "yaml", str(problem)) from None
    if not isinstance(node, yaml.MappingNode):
        raise InputError(path, node.start_mark.line + 1 if node else None, "yaml", "the file must be a mapping")
    from crossings.params.flee import _reject_foreign_tags

    _reject_foreign_tags(path, node)
    lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    for k, v in node.value:
        if str(k.value) in ("settings", "agents", "emigration", "parameters") and isinstance(v, yaml.MappingNode):
            lines.update({f"{k.value}.{kk.value}": kk.start_mark.line + 1 for kk, _ in v.value})
    try:
        return yaml.SafeLoader("").construct_document(node), lines
    except yaml.YAMLError as exc:  # e.g. a key that is a list or a mapping
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(path, mark.line + 1 if mark else None, "yaml", str(problem)) from None
    except (ValueError, OverflowError) as exc:  # e.g. a date like 2022-13-45, which YAML reads as a timestamp
        raise InputError(path, _bad_value_line(node), "yaml", str(exc).splitlines()[0]) from None


def _bad_value_line(node: yaml.Node) -> int | None:
    """The line of the first mapping value YAML's constructor cannot build (it reports no position itself)."""
    for k, v in getattr(node, "value", ()):
        if not isinstance(v, yaml.Node):
            continue
        try:
            yaml.SafeLoader("").construct_document(v)
        except (ValueError, OverflowError, yaml.YAMLError):
            return _bad_value_line(v) if isinstance(v, yaml.MappingNode) and _bad_value_line(v) else \
                k.start_mark.line + 1
    return None


def _settings(path: Path, raw: Any, lines: dict[str, int]) -> FleeSettings:
    if raw is None:
        return FleeSettings()
    if not isinstance(raw, dict):
        raise InputError(path, lines.get("settings"), "settings", "must be a mapping")
    from crossings.params.flee import _RANGES, _convert

    changes: dict[str, Any] = {}
    default = FleeSettings()
    for key, value in raw.items():
        line = lines.get(f"settings.{key}")
        if key not in _SETTING_FIELDS:
            import difflib

            close = difflib.get_close_matches(str(key), _SETTING_FIELDS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(path, line, f"settings.{key}", f"unknown setting{hint}")
        conv = _convert(path, line or 0, key, value, getattr(default, key))
        if key in _RANGES and conv is not None and not _RANGES[key][0] <= conv <= _RANGES[key][1]:
            raise InputError(path, line, f"settings.{key}", f"{conv!r} is outside the allowed range {_RANGES[key]}")
        changes[key] = conv
    return dataclasses.replace(default, **changes)


def read_native(path: str | Path, parameters: Mapping[str, float] | None = None) -> Scenario:
    """Read a native scenario directory into a validated :class:`Scenario`; ``parameters`` override the values
    of scenario.yml's named parameters (``$name`` in the files)."""
    from crossings.scenario.parameters import active, read_parameters, resolve_tree

    root = Path(path)
    ypath = root / "scenario.yml"
    meta, lines = _read_meta(ypath)
    known = {"format", "name", "start_date", "days", "rules", "home_country", "people_per_agent", "converted_from",
             "settings", "description", "model", "agents", "emigration", "parameters"}
    for key in meta:
        if key not in known:
            raise InputError(ypath, lines.get(str(key)), str(key), f"unknown key (known: {', '.join(sorted(known))})")
    ppa = meta.get("people_per_agent", 1)
    if isinstance(ppa, bool) or not isinstance(ppa, int | float) or not 0 < ppa < math.inf:
        raise InputError(ypath, lines.get("people_per_agent"), "people_per_agent",
                         f"{ppa!r} is not a positive number of people")
    params = read_parameters(ypath, meta.get("parameters"), lines, parameters)
    for key in ("agents", "emigration"):
        if key in meta and params:
            meta[key] = resolve_tree(ypath, meta[key], params, key, lines)
    with active(params):
        sc = _read_native(root, ypath, meta, lines)
    if params:
        sc = dataclasses.replace(sc, parameters=tuple((k, p.value) for k, p in params.items()))
    if sc.emigration is not None:
        obs = root / "observed.csv"
        sc = dataclasses.replace(sc, people_per_agent=float(ppa), observations_file=obs if obs.is_file() else None)
    return sc


def _read_native(root: Path, ypath: Path, meta: dict[str, Any], lines: dict[str, int]) -> Scenario:
    if meta.get("format") != FORMAT:
        raise InputError(ypath, lines.get("format"), "format", f"expected {FORMAT!r}, got {meta.get('format')!r}")
    for key in ("start_date", "days"):
        if key not in meta:
            raise InputError(ypath, None, key, "missing")
    start = parse_date(ypath, lines["start_date"], "start_date", str(meta["start_date"]))
    days = meta["days"]
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise InputError(ypath, lines["days"], "days", f"{days!r} is not a positive whole number of days")
    rules = meta.get("rules", "crossings")
    if rules not in ("flee31", "crossings"):
        raise InputError(ypath, lines.get("rules"), "rules", f"{rules!r} is not flee31 or crossings")
    settings = _settings(ypath, meta.get("settings"), lines)
    model = meta.get("model", "flee")
    if model not in MODELS:
        raise InputError(ypath, lines.get("model"), "model", f"{model!r} is not one of {', '.join(MODELS)}")
    emigration = model == "emigration"
    for key in ("agents", "emigration") if not emigration else ("settings",):
        if key in meta:
            why = "needs model: emigration" if not emigration else "holds Flee's parameters; model emigration " \
                                                                   "reads its own under emigration:"
            raise InputError(ypath, lines.get(key), key, why)

    lpath = root / "locations.csv"
    optional = ("region", "lat", "lon", "population", "capacity", "conflict_intensity")
    from crossings.scenario.emigration import LOCATION_COLUMNS as EM_LOCATION_COLUMNS

    rows = _table(lpath, ("name", "kind", "country"), optional + (EM_LOCATION_COLUMNS if emigration else ()))
    kinds_ok = EMIGRATION_KINDS if emigration else FLEE_KINDS
    attract: list[float] = []
    loc_lines: list[int] = []
    if not rows:
        raise InputError(lpath, None, "locations", "no locations")
    names: list[str] = []
    seen: dict[str, int] = {}
    cols: dict[str, list[Any]] = {k: [] for k in ("region", "country", "lat", "lon", "kind", "pop", "cap", "inten")}
    for ln, r in rows:
        name = r["name"]
        if not name:
            raise InputError(lpath, ln, "name", "empty")
        if name in seen:
            raise InputError(lpath, ln, "name", f"duplicate location {name!r} (first on line {seen[name]})")
        seen[name] = ln
        if r["kind"] not in kinds_ok:
            hint = " (needs model: emigration)" if r["kind"] in EMIGRATION_KINDS else ""
            raise InputError(lpath, ln, "kind", f"unknown kind {r['kind']!r}{hint} (expected {', '.join(kinds_ok)})")
        if emigration:
            at = parse_float(lpath, ln, "attractiveness", r["attractiveness"]) if r.get("attractiveness") else \
                (1.0 if r["kind"] == "destination" else 0.0)
            if at < 0:
                raise InputError(lpath, ln, "attractiveness", f"{at} is negative")
            attract.append(at)
            loc_lines.append(ln)
        kind = KIND_NAMES.index(r["kind"])
        lat = parse_float(lpath, ln, "lat", r.get("lat") or "0")
        lon = parse_float(lpath, ln, "lon", r.get("lon") or "0")
        if not -90 <= lat <= 90:
            raise InputError(lpath, ln, "lat", f"{lat} is outside -90..90")
        if not -180 <= lon <= 180:
            raise InputError(lpath, ln, "lon", f"{lon} is outside -180..180")
        pop = parse_int(lpath, ln, "population", r.get("population", ""), allow_empty=0)
        if not 0 <= pop <= 10**12:
            raise InputError(lpath, ln, "population", f"{pop} is not between 0 and 10^12")
        cap = parse_int(lpath, ln, "capacity", r.get("capacity", ""), allow_empty=-1)
        if cap < -1:
            raise InputError(lpath, ln, "capacity", f"{cap} is negative")
        inten = -1.0
        if kind == CONFLICT:
            inten = parse_float(lpath, ln, "conflict_intensity", r.get("conflict_intensity") or "1")
            if inten < 0:
                raise InputError(lpath, ln, "conflict_intensity", f"{inten} is negative")
        names.append(name)
        cols["region"].append(r.get("region", ""))
        cols["country"].append(r["country"] or "unknown")
        cols["lat"].append(lat)
        cols["lon"].append(lon)
        cols["kind"].append(kind)
        cols["pop"].append(pop)
        cols["cap"].append(cap if kind in (CAMP, IDPCAMP) else -1)
        cols["inten"].append(inten)
    home = meta.get("home_country", cols["country"][0])
    kind_arr = np.array(cols["kind"], dtype=np.int8)
    locs = Locations(
        name=tuple(names), region=tuple(cols["region"]), country=tuple(cols["country"]),
        lat=np.array(cols["lat"]), lon=np.array(cols["lon"]), kind=kind_arr, start_kind=kind_arr.copy(),
        conflict_date=np.zeros(len(names), dtype=np.int32), population=np.array(cols["pop"], dtype=np.int64),
        capacity=np.array(cols["cap"], dtype=np.int64), intensity=np.array(cols["inten"]),
        foreign=np.array([c != home for c in cols["country"]], dtype=bool),
    )
    index = {n: i for i, n in enumerate(names)}

    rpath = root / "routes.csv"
    if emigration:
        return _read_emigration(root, meta, lines, name=str(meta.get("name") or root.resolve().name), start=start,
                                days=days, locs=locs, index=index, attract=np.array(attract), loc_lines=loc_lines,
                                loc_rows=rows)
    for extra in ("crossings.csv", "departures.csv", "policies.csv", "preferences.csv"):
        if (root / extra).is_file():
            raise InputError(root / extra, None, "file", "read only by scenarios with model: emigration")
    src, dst, dist, speed, walk, rlines = [], [], [], [], [], []
    for ln, r in _table(rpath, ("from", "to", "distance_km"), ("mode", "max_speed_km_per_day", "walk_probability")):
        a, b = route_ends(rpath, ln, r, index)
        mode = r.get("mode") or "road"
        if mode not in MODES:
            hint = " (foot and air routes need model: emigration)" if mode in ("foot", "air") else ""
            raise InputError(rpath, ln, "mode", f"unknown mode {mode!r}{hint} (expected: {', '.join(MODES)})")
        d = parse_float(rpath, ln, "distance_km", r["distance_km"])
        if d < 0:
            raise InputError(rpath, ln, "distance_km", f"{d} is negative")
        sp = np.nan
        if r.get("max_speed_km_per_day"):
            sp = parse_float(rpath, ln, "max_speed_km_per_day", r["max_speed_km_per_day"])
            if sp <= 0:
                raise InputError(rpath, ln, "max_speed_km_per_day", f"{sp} is not a positive speed")
        wp = parse_float(rpath, ln, "walk_probability", r["walk_probability"]) if r.get("walk_probability") else 0.0
        if not 0 <= wp <= 1:
            raise InputError(rpath, ln, "walk_probability", f"{wp} is not a probability")
        for s_, e_ in ((a, b), (b, a)):
            src.append(s_)
            dst.append(e_)
            dist.append(d)
            speed.append(sp)
            walk.append(wp)
            rlines.append(ln)
    links = Links(src=np.array(src, dtype=np.int32), dst=np.array(dst, dtype=np.int32), distance=np.array(dist),
                  speed=np.array(speed), walk_probability=np.array(walk), line=np.array(rlines, dtype=np.int32))

    epath = root / "events.csv"
    conflict_cols: dict[int, int] = {}
    conflict_events: list[tuple[int, int, float]] = []
    closures: list[Closure] = []
    countries = set(locs.country)
    if epath.is_file():
        for ln, r in _table(epath, ("date", "event", "target"), ("until", "other", "value")):
            day = (parse_date(epath, ln, "date", r["date"]) - start).days
            if day < 0:
                raise InputError(epath, ln, "date", f"{r['date']} is before the start date {start}")
            ev = r["event"]
            if ev not in EVENTS:
                hint = " (needs model: emigration)" if ev in ("departure_hazard", "close_air_route", "bar_mode",
                                                              "close_crossing") else ""
                raise InputError(epath, ln, "event", f"unknown event {ev!r}{hint} (expected {', '.join(EVENTS)})")
            if ev == "conflict":
                if r["target"] not in index:
                    raise InputError(epath, ln, "target", f"unknown location {r['target']!r}")
                v = parse_float(epath, ln, "value", r.get("value") or "1")
                if v < 0:
                    raise InputError(epath, ln, "value", f"{v} is a negative intensity")
                x = index[r["target"]]
                conflict_cols.setdefault(x, len(conflict_cols))
                conflict_events.append((day, x, v))
                continue
            kind = CLOSE_EVENTS[ev]
            end = -1
            if r.get("until"):
                end = (parse_date(epath, ln, "until", r["until"]) - start).days
                if end < day:
                    raise InputError(epath, ln, "until", f"{r['until']} is before the closure starts ({r['date']})")
            pool = countries if kind == "country" else index
            what = "country" if kind == "country" else "location"
            needed = [("target", r["target"])]
            if kind in ("country", "link"):
                needed.append(("other", r.get("other", "")))
            for field, v in needed:
                if v not in pool:
                    raise InputError(epath, ln, field, f"unknown {what} {v!r}")
            if kind in ("camp", "idpcamp") and locs.kind[index[r["target"]]] not in (CAMP, IDPCAMP):
                raise InputError(epath, ln, "target", f"{r['target']!r} is not a camp")
            closures.append(Closure(kind, r["target"], r.get("other", "") if kind in ("country", "link") else "",
                                    day, end, ln))
    ccols = np.array(sorted(conflict_cols, key=conflict_cols.get), dtype=np.int32)
    cdata = np.zeros((days, len(ccols)))
    col_of = {x: j for j, x in enumerate(ccols.tolist())}
    for day, x, v in sorted(conflict_events):
        if day < days:
            cdata[day:, col_of[x]] = v

    observed = None
    opath = root / "observed.csv"
    if opath.is_file():
        series: dict[str, tuple[list[float], list[float]]] = {}
        for ln, r in _table(opath, ("series", "date", "value")):
            name = r["series"]
            if name != "total" and name not in index:
                raise InputError(opath, ln, "series", f"{name!r} is neither total nor a location")
            if name != "total" and locs.kind[index[name]] not in (CAMP, IDPCAMP):
                raise InputError(opath, ln, "series", f"{name!r} is not a camp")
            d = (parse_date(opath, ln, "date", r["date"]) - start).days
            v = parse_float(opath, ln, "value", r["value"])
            if v < 0:
                raise InputError(opath, ln, "value", f"{v} is negative")
            days_, vals = series.setdefault(name, ([], []))
            if days_ and d < days_[-1]:
                raise InputError(opath, ln, "date", f"dates of series {name!r} are not in increasing order")
            days_.append(float(d))
            vals.append(v)
        if "total" not in series:
            raise InputError(opath, None, "series", "no 'total' series")
        camps = [i for i in range(len(locs)) if locs.name[i] in series]
        observed = Observed(
            total=Series(np.array(series["total"][0]), np.array(series["total"][1])), camps=tuple(camps),
            camp_series=tuple(Series(np.array(series[locs.name[i]][0]), np.array(series[locs.name[i]][1]))
                              for i in camps),
        )
    if bool((locs.kind == MARKER).all()):
        raise InputError(lpath, None, "kind", "every location is a marker")
    return Scenario(
        name=str(meta.get("name") or root.resolve().name), path=root, format="native", start_date=start,
        length=days, locations=locs, links=links, closures=tuple(closures), conflict_locations=ccols,
        conflicts=cdata, observed=observed, settings=settings, default_rules=rules,
        people_per_agent=float(settings.hasten),
    )


def _read_emigration(root: Path, meta: dict[str, Any], lines: dict[str, int], *, name: str, start: Any, days: int,
                     locs: Locations, index: dict[str, int], attract: np.ndarray, loc_lines: list[int],
                     loc_rows: list[tuple[int, dict[str, str]]]) -> Scenario:
    """The rest of a ``model: emigration`` scenario: routes by mode, crossings.csv, departures.csv, the
    policy timeline and the agents' attribute distributions (docs/native-format.md, "The emigration model")."""
    from crossings.params.emigration import read_settings
    from crossings.scenario import emigration as em

    ypath = root / "scenario.yml"
    lpath = root / "locations.csv"
    em.check_locations(lpath, locs, loc_lines, attract)
    settings = read_settings(ypath, meta.get("emigration"), lines)
    agents = em.read_agents(ypath, meta.get("agents"), lines)
    rpath = root / "routes.csv"
    cost_of_living, transit, return_multiplier = em.read_location_extras(lpath, loc_rows, locs)
    links, mode, duration, seats, link_cost = em.read_routes(
        rpath, _table(rpath, ("from", "to", "mode"), em.ROUTE_COLUMNS[3:]), index, locs)
    em.check_reachable(lpath, locs, loc_lines, links)
    cpath = root / "crossings.csv"
    capacity = em.read_crossings(cpath, _table(cpath, ("crossing", "mode", "capacity_per_day")), index, locs) \
        if cpath.is_file() else np.full((len(locs), len(em.TRAVEL_MODES)), -1, dtype=np.int64)
    dpath = root / "departures.csv"
    if not dpath.is_file():
        raise InputError(dpath, None, "file", "missing (an emigration scenario gives origin,category,daily_hazard)")
    hazard = em.read_departures(dpath, _table(dpath, ("origin", "category", "daily_hazard")), index, locs,
                                agents["category"])
    epath = root / "events.csv"
    events: tuple[em.EmigrationEvent, ...] = ()
    if epath.is_file():
        rows = _table(epath, ("date", "event", "target"), ("until", "other", "value", "sex", "age_band"))
        events = em.read_events(epath, rows, start, index, locs, links, mode, agents)
    if (root / "observed.csv").is_file():  # observations to score runs against (docs/fit.md); checked here
        from crossings.observed.observations import check_scenario_observed

        check_scenario_observed(root / "observed.csv", locs, agents["category"].names)
    prefpath = root / "preferences.csv"
    preference = em.read_preferences(prefpath, _table(prefpath, ("category", "destination", "weight")), index, locs,
                                     agents["category"]) if prefpath.is_file() else None
    countries = tuple(sorted(set(locs.country)))
    home = {locs.country[i] for i in np.flatnonzero(locs.kind == em.ORIGIN)}
    ppath = root / "policies.csv"
    policies: tuple[em.EntryPolicy, ...] = ()
    if ppath.is_file():
        policies = em.read_policies(ppath, _table(ppath, em.POLICY_COLUMNS[:4], em.POLICY_COLUMNS[4:]), start,
                                    countries, home)
    spec = em.EmigrationSpec(
        settings=settings, category=agents["category"], sex=agents["sex"], age_band=agents["age_band"],
        travel_mode=agents["travel_mode"], savings=agents["savings"], remote_income=agents["remote_income"],
        link_mode=mode, link_duration=duration, link_seats=seats, attractiveness=attract, capacity=capacity,
        hazard=hazard, events=events, countries=countries,
        crossings=np.flatnonzero(locs.kind == em.CROSSING).astype(np.int32), link_cost=link_cost,
        cost_of_living=cost_of_living, transit=transit, policies=policies,
        home_countries=np.array(sorted(countries.index(c) for c in home), dtype=np.int32), preference=preference,
        round_trip=agents["round_trip"] if agents["round_trip"].any() else None,
        return_multiplier=return_multiplier,
    )
    return Scenario(
        name=name, path=root, format="native", start_date=start, length=days, locations=locs, links=links,
        closures=(), conflict_locations=np.zeros(0, dtype=np.int32), conflicts=np.zeros((days, 0)), observed=None,
        settings=FleeSettings(), default_rules=str(meta.get("rules", "crossings")), model="emigration",
        emigration=spec,
    )
