"""crossings' own scenario format: one directory of small, readable files (see docs/native-format.md).

    scenario.yml      name, dates, rule set, home country, parameters, the model and its own mappings
    locations.csv     name,kind,country,region,lat,lon,population,capacity,conflict_intensity[,note]
    routes.csv, ...   the model's own tables (its :class:`Section`)

This module reads what every native scenario has (scenario.yml's common keys, named parameters, locations.csv)
from a parsed :class:`~crossings.scenario.source.Source`; the rest belongs to the model the scenario names: its
:class:`Section` (the Flee model's in :mod:`crossings.scenario.flee_section`, the emigration model's in
:mod:`crossings.scenario.emigration_section`) reads its tables and mappings and builds the Scenario.
:func:`build_native` never reads a file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from crossings.errors import InputError
from crossings.params.flee import RULE_SETS
from crossings.scenario import columns as col
from crossings.scenario.csvutil import parse_date
from crossings.scenario.model import (
    CAMP,
    CONFLICT,
    FLEE_KINDS,
    IDPCAMP,
    KIND_NAMES,
    FrozenMap,
    Locations,
    Scenario,
)
from crossings.scenario.parameters import Parameter, resolve, resolve_tree, with_overrides
from crossings.scenario.source import META, Source
from crossings.scenario.source import is_native_dir as is_native_dir
from crossings.scenario.whatif import Edits, set_error

FORMAT = "crossings-native/1"
RULES = RULE_SETS
COMMON_KEYS = ("format", "name", "start_date", "days", "rules", "home_country", "people_per_agent",
               "converted_from", "description", "model", "parameters")
# locations.csv's common columns; the model's section adds its own (Section.location_table)
LOCATIONS = col.table(
    col.text("name"), col.text("kind"), col.text("country"), col.text("region"),
    col.number("lat", -90, 90, "degrees", "a latitude"), col.number("lon", -180, 180, "degrees", "a longitude"),
    col.number("population", 0, 10**12, "people", "a number of people", whole=True),
    col.number("capacity", -1, 10**12, "people", "a capacity (-1 or empty: none)", whole=True),
    col.number("conflict_intensity", 0, col.MAX_FACTOR, "", "a non-negative intensity"),
)
LOCATION_COLUMNS = tuple(LOCATIONS)
# scenario.yml's common numbers (the model's own are declared with its settings)
MAX_SCENARIO_DAYS = 10**8  # beyond the calendar's end for any start; the memory guard refuses far shorter runs
META_NUMBERS = col.table(
    col.number("days", 1, MAX_SCENARIO_DAYS, "days", "a positive whole number of days", whole=True),
    col.number("people_per_agent", 1e-6, 1e9, "people", "a positive number of people"),
)
_LOCATION_OPTIONAL = LOCATION_COLUMNS[3:]
Rows = list[tuple[int, dict[str, str]]]


@dataclass(frozen=True)
class NativeContext:
    """What every native scenario has, read and checked, handed to its model's :class:`Section`: scenario.yml
    (``meta``, with ``$name`` resolved in the section's ``resolved_keys``), the named parameters of this build,
    the period, and the locations (with the rows they came from and what the section read of each)."""

    source: Source
    meta: Mapping[str, Any]
    params: Mapping[str, Parameter]
    name: str
    start: dt.date
    days: int
    rules: str
    people_per_agent: float
    settings: Any  # what the section's read_meta returned
    locations: Locations
    index: Mapping[str, int]  # location index by name
    location_rows: tuple[tuple[int, dict[str, str]], ...]
    location_extras: tuple[Any, ...]  # what the section's location_extra returned for each row

    @property
    def ypath(self) -> Path:
        return self.source.path(META)

    @property
    def lines(self) -> Mapping[str, int]:
        return self.source.lines

    @property
    def model(self) -> str:
        return self.source.model

    def path(self, name: str) -> Path:
        return self.source.path(name)

    def exists(self, name: str) -> bool:
        return self.source.exists(name)

    def table(self, name: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> Rows:
        """The rows of one of the scenario's CSVs, with ``$name`` cells resolved (see :func:`table_rows`)."""
        return table_rows(self.source, name, required, optional, self.params)

    def required_table(self, name: str, required: tuple[str, ...], optional: tuple[str, ...] = (),
                       why: str = "") -> Rows:
        """:meth:`table` of a table the model needs rows of: a file holding only its header is an error naming
        the header's line (an optional table with only its header is the same as no file)."""
        rows = self.table(name, required, optional)
        if not rows:
            raise InputError(self.path(name), self.source.table(name).read()[0][0], "rows",
                             f"only a header; {why or 'the scenario needs at least one row'}")
        return rows


class Section:
    """The model-specific part of a native scenario: which scenario.yml mappings the model reads (``keys``) and
    which belong to other models (``refused``, with the reason), the location kinds and extra location columns it
    takes, and :meth:`build`, which reads its tables and makes the Scenario. A model declares its section as the
    class attribute ``section`` (:class:`crossings.engine.model.Model`). Sections hold no state."""

    keys: ClassVar[tuple[str, ...]] = ()  # scenario.yml mappings the model reads
    refused: ClassVar[Mapping[str, str]] = FrozenMap({})  # mappings of other models -> why not here
    resolved_keys: ClassVar[tuple[str, ...]] = ()  # mappings whose ``$name`` strings are replaced by numbers
    kinds: ClassVar[tuple[str, ...]] = FLEE_KINDS  # location kinds it takes
    kind_hints: ClassVar[Mapping[str, str]] = FrozenMap({})  # a kind it does not take -> a hint
    location_columns: ClassVar[tuple[str, ...]] = ()  # locations.csv columns beyond LOCATION_COLUMNS

    def read_meta(self, path: Path, meta: Mapping[str, Any], lines: Mapping[str, int]) -> Any:
        """Read the model's own mappings of scenario.yml that come before the tables (given to :meth:`build`
        as ``ctx.settings``)."""
        return None

    def location_extra(self, path: Path, line: int, row: Mapping[str, str]) -> Any:
        """What the model reads of one locations.csv row beyond the common columns."""
        return None

    def build(self, ctx: NativeContext) -> Scenario:
        """The Scenario: the common part in ``ctx``, the model's tables read from ``ctx.source``."""
        raise NotImplementedError

    def write(self, sc: Scenario, root: Path) -> Path:
        """Write ``sc`` as a native scenario directory ``root`` (``crossings convert``); a model whose scenarios
        carry more than the native files hold refuses with an InputError."""
        raise InputError(sc.path, None, "convert", f"{sc.name!r} is a {sc.model} scenario: only scenarios of Flee's "
                         "model can be written in the native format (the emigration format is already native)")

    def edits(self, base: Scenario, sets: Sequence[str]) -> Edits:
        """The changes the what-if texts ``sets`` make to the scenario ``base`` (docs/whatif.md); a model
        without what-ifs refuses them."""
        raise set_error(sets[0], "scenario", f"what-if --set applies to emigration scenarios; {base.path} is a "
                        "Flee-model scenario")


def table_rows(source: Source, name: str, required: tuple[str, ...], optional: tuple[str, ...],
               params: Mapping[str, Parameter]) -> Rows:
    """Rows of one CSV (with a header line) of ``source`` as dicts by column name: checks the required and known
    columns, and replaces ``$name`` cells (except note and source) by the parameter's value."""
    path = source.path(name)
    rows = source.table(name).read()
    if not rows:
        raise InputError(path, None, "header", "empty file; expected a header line")
    line, head = rows[0]
    head = [h.strip().lower() for h in head]
    for need in required:
        if need not in head:
            raise InputError(path, line, need, f"missing column (the header must name {', '.join(required)})")
    for i, cname in enumerate(head):
        if cname not in required and cname not in optional and cname not in ("note", "source"):
            raise InputError(path, line, cname or f"column {i + 1}",
                             f"unknown column (known: {', '.join(required + optional)}, note, source)")
    out = []
    for ln, cells in rows[1:]:
        if len(cells) > len(head):
            raise InputError(path, ln, "row", f"{len(cells)} cells but the header has {len(head)} columns")
        cells = cells + [""] * (len(head) - len(cells))
        row = dict(zip(head, cells, strict=True))
        for k, v in row.items():
            if "$" in v and k not in ("note", "source"):
                row[k] = resolve(path, ln, k, v, params)
        out.append((ln, row))
    return out


def route_ends(path: Path, line: int, row: Mapping[str, str], index: Mapping[str, int]) -> tuple[int, int]:
    """The location indices of a routes.csv row's ``from`` and ``to`` (known, and not the same place)."""
    for field in ("from", "to"):
        if row[field] not in index:
            raise InputError(path, line, field, f"route to unknown location {row[field]!r}")
    a, b = index[row["from"]], index[row["to"]]
    if a == b:
        raise InputError(path, line, "to", "a route from a location to itself")
    return a, b


def no_duplicate_route(path: Path, line: int, ends: tuple[int, int], mode: str, seen: dict[tuple[int, int, str], int],
                       names: Sequence[str]) -> None:
    """Refuse a second routes.csv row between the same two places by the same mode, written either way round (a
    row is a route both ways, so a duplicate would double the route's weight and silently change the results);
    ``seen`` collects the rows read so far."""
    a, b = ends
    key = (min(a, b), max(a, b), mode)
    if key in seen:
        raise InputError(path, line, "to", f"a second {mode} route between {names[a]!r} and {names[b]!r} (first "
                         f"on line {seen[key]}; each row is a route both ways)")
    seen[key] = line


def both_ways(rows: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Route rows as directed links: row k (``from``, ``to``, ``line`` and its other values) gives link 2k
    (from → to) and 2k + 1 (to → from), each carrying the row's values; ``src``, ``dst`` and ``line`` are int32."""
    names = [k for k in (rows[0] if rows else {}) if k not in ("from", "to", "line")]
    a = np.array([r["from"] for r in rows], dtype=np.int32).reshape(-1, 1)
    b = np.array([r["to"] for r in rows], dtype=np.int32).reshape(-1, 1)
    out = {"src": np.hstack([a, b]).ravel(), "dst": np.hstack([b, a]).ravel(),
           "line": np.repeat(np.array([r["line"] for r in rows], dtype=np.int32), 2)}
    out.update({k: np.repeat(np.array([r[k] for r in rows]), 2) for k in names})
    return out


# ---- the build ------------------------------------------------------------------------------------------------

def build_native(source: Source, section: Section, parameters: Mapping[str, float] | None = None) -> Scenario:
    """The Scenario of a native ``source`` read by its model's ``section``; ``parameters`` override the values of
    scenario.yml's named parameters (``$name`` in the files). Reads no file."""
    ypath = source.path(META)
    lines = source.lines
    meta = dict(source.meta)
    known = {*COMMON_KEYS, *section.keys, *section.refused}
    for key in meta:
        if key not in known:
            raise InputError(ypath, lines.get(str(key)), str(key), f"unknown key (known: {', '.join(sorted(known))})")
    ppa = META_NUMBERS["people_per_agent"].value(ypath, lines.get("people_per_agent"),
                                                 meta.get("people_per_agent", 1))
    params = with_overrides(source.declared(), parameters)
    for key in section.resolved_keys:
        if key in meta and params:
            meta[key] = resolve_tree(ypath, meta[key], params, key, lines)
    start, days, rules = _period(ypath, meta, lines)
    settings = section.read_meta(ypath, meta, lines)
    for key, why in section.refused.items():
        if key in meta:
            raise InputError(ypath, lines.get(key), key, why)
    locs, rows, extras = _read_locations(source, section, params, meta)
    ctx = NativeContext(source=source, meta=FrozenMap(meta), params=FrozenMap(params),
                        name=str(meta.get("name") or source.dir_name), start=start, days=days, rules=rules,
                        people_per_agent=float(ppa), settings=settings, locations=locs,
                        index=FrozenMap({n: i for i, n in enumerate(locs.name)}), location_rows=tuple(rows),
                        location_extras=tuple(extras))
    sc = section.build(ctx)
    if params:
        sc = dataclasses.replace(sc, parameters=tuple((k, p.value) for k, p in params.items()))
    return dataclasses.replace(sc, declared=FrozenMap(params), source=source)


def _period(ypath: Path, meta: Mapping[str, Any], lines: Mapping[str, int]) -> tuple[dt.date, int, str]:
    """The format, start date, length and rule set of scenario.yml, checked."""
    if meta.get("format") != FORMAT:
        raise InputError(ypath, lines.get("format"), "format", f"expected {FORMAT!r}, got {meta.get('format')!r}")
    for key in ("start_date", "days"):
        if key not in meta:
            raise InputError(ypath, None, key, "missing")
    start = parse_date(ypath, lines["start_date"], "start_date", str(meta["start_date"]))
    days = META_NUMBERS["days"].value(ypath, lines.get("days"), meta["days"])
    rules = meta.get("rules", "crossings")
    if rules not in RULES:
        raise InputError(ypath, lines.get("rules"), "rules",
                         f"{rules!r} is not {', '.join(RULES[:-1])} or {RULES[-1]}")
    return start, days, rules


def _read_locations(source: Source, section: Section, params: Mapping[str, Parameter], meta: Mapping[str, Any]
                    ) -> tuple[Locations, Rows, list[Any]]:
    """locations.csv: the Locations, the rows they came from and what the section read of each row."""
    lpath = source.path("locations.csv")
    rows = table_rows(source, "locations.csv", LOCATION_COLUMNS[:3], _LOCATION_OPTIONAL + section.location_columns,
                      params)
    if not rows:
        raise InputError(lpath, source.table("locations.csv").read()[0][0], "locations", "no locations (only a header)")
    seen: dict[str, int] = {}
    parsed = [_location(lpath, ln, r, section, seen) for ln, r in rows]
    names, kinds, countries = [p[0] for p in parsed], [p[1] for p in parsed], [p[2] for p in parsed]
    home = meta.get("home_country", countries[0])
    kind_arr = np.array(kinds, dtype=np.int8)
    locs = Locations(
        name=tuple(names), region=tuple(p[3] for p in parsed), country=tuple(countries),
        lat=np.array([p[4] for p in parsed]), lon=np.array([p[5] for p in parsed]), kind=kind_arr,
        start_kind=kind_arr.copy(), conflict_date=np.zeros(len(names), dtype=np.int32),
        population=np.array([p[6] for p in parsed], dtype=np.int64),
        capacity=np.array([p[7] for p in parsed], dtype=np.int64), intensity=np.array([p[8] for p in parsed]),
        foreign=np.array([c != home for c in countries], dtype=bool),
    )
    return locs, rows, [p[9] for p in parsed]


def _location(lpath: Path, ln: int, r: Mapping[str, str], section: Section, seen: dict[str, int]) -> tuple[Any, ...]:
    """One locations.csv row: (name, kind, country, region, lat, lon, population, capacity, intensity, extra)."""
    name = r["name"]
    if not name:
        raise InputError(lpath, ln, "name", "empty")
    if name in seen:
        raise InputError(lpath, ln, "name", f"duplicate location {name!r} (first on line {seen[name]})")
    seen[name] = ln
    if r["kind"] not in section.kinds:
        hint = section.kind_hints.get(r["kind"], "")
        raise InputError(lpath, ln, "kind", f"unknown kind {r['kind']!r}{hint} (expected {', '.join(section.kinds)})")
    extra = section.location_extra(lpath, ln, r)
    kind = KIND_NAMES.index(r["kind"])
    lat = LOCATIONS["lat"].read(lpath, ln, r.get("lat") or "0")
    lon = LOCATIONS["lon"].read(lpath, ln, r.get("lon") or "0")
    pop = LOCATIONS["population"].read(lpath, ln, r.get("population") or "0")
    cap = LOCATIONS["capacity"].read(lpath, ln, r.get("capacity") or "-1")
    inten = -1.0
    if kind == CONFLICT:
        inten = LOCATIONS["conflict_intensity"].read(lpath, ln, r.get("conflict_intensity") or "1")
    return (name, kind, r["country"] or "unknown", r.get("region", ""), lat, lon, pop,
            cap if kind in (CAMP, IDPCAMP) else -1, inten, extra)
