"""Reader for scenarios in Flee's input format (flee-model.md §2), into a validated :class:`Scenario`.

Every problem is raised as :class:`~crossings.errors.InputError` naming the file, line and field.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from crossings.errors import InputError
from crossings.params.flee import FleeSettings, read_simsetting
from crossings.scenario import columns as cspec
from crossings.scenario.csvutil import parse_date, read_rows
from crossings.scenario.model import (
    CAMP,
    CONFLICT,
    FORWARD,
    IDPCAMP,
    MARKER,
    TOWN,
    Closure,
    Links,
    LocationChange,
    Locations,
    Observed,
    Scenario,
    Series,
)

CLOSURE_KINDS = ("country", "location", "link", "camp", "idpcamp", "remove_forced_redirection")
_MAX_POPULATION = 10**12
_MAX_DAY = 10**8  # as a native scenario's days (crossings.scenario.native.MAX_SCENARIO_DAYS)
# Every number of Flee's files (read unchanged), by the name its errors give, with its range
NUMBERS = cspec.table(
    cspec.number("Length", 1, _MAX_DAY, "days", "a positive number of days", whole=True),  # sim_period.csv
    cspec.number("latitude", -90, 90, "degrees", "a latitude"),  # locations.csv
    cspec.number("longitude", -180, 180, "degrees", "a longitude"),
    cspec.number("conflict_date", 0, _MAX_DAY, "day", "a non-negative day", whole=True),
    cspec.number("population", 0, _MAX_POPULATION, "people", "a non-negative number of people", whole=True),
    cspec.number("conflict_intensity", 0, cspec.MAX_FACTOR, "", "a non-negative intensity"),
    cspec.number("distance", 0, cspec.MAX_DISTANCE_KM, "km", "a non-negative distance"),  # routes.csv
    cspec.number("max_move_speed", 1e-9, cspec.MAX_SPEED_KM_PER_DAY, "km/day", "a positive speed"),
    cspec.number("walk_probability", 0, 1, "", cspec.PROBABILITY),
    cspec.number("closure_start", 0, _MAX_DAY, "day", "a non-negative day", whole=True),  # closures.csv
    cspec.number("closure_end", -1, _MAX_DAY, "day", "a day or -1 (never)", whole=True),
    cspec.number("intensity", 0, cspec.MAX_FACTOR, "", "a non-negative conflict intensity"),  # conflicts.csv
    cspec.number("count", 0, _MAX_POPULATION, "people", "a non-negative count", whole=True),  # observed series
    cspec.number("day", 0, _MAX_DAY, "day", "a non-negative day", whole=True),  # location_changes.csv
)
# Kinds a location may change to in location_changes.csv (markers change the candidate paths: not allowed)
CHANGE_KINDS = {"conflict_zone": CONFLICT, "town": TOWN, "camp": CAMP, "idpcamp": IDPCAMP,
                "forwarding_hub": FORWARD}


def is_flee_dir(path: Path) -> bool:
    """True if ``path`` looks like a Flee scenario directory."""
    return (path / "input_csv" / "locations.csv").is_file()


def _kind_of(type_text: str) -> int | None:
    t = type_text.lower()
    if "camp" in t:
        return IDPCAMP if "idp" in t else CAMP
    if "conflict" in t:
        return CONFLICT
    if "forward" in t:
        return FORWARD
    if "marker" in t:
        return MARKER
    if "town" in t or "default" in t:
        return TOWN
    return None


def _header(path: Path) -> list[str]:
    """Column names from the first ``#`` line of a CSV (lower-cased, without ``#`` and quotes)."""
    for _, cells in read_rows(path, skip_hash=False):
        if cells and cells[0].startswith("#"):
            cells = [cells[0].lstrip("#").strip().strip('"')] + cells[1:]
            return [c.strip().strip('"').lower() for c in cells]
        return []
    return []


def _read_period(input_dir: Path) -> tuple[dt.date, int]:
    path = input_dir / "sim_period.csv"
    if not path.is_file() and (input_dir / "conflict_period.csv").is_file():
        path = input_dir / "conflict_period.csv"
    start: dt.date | None = None
    length: int | None = None
    for line, cells in read_rows(path):
        key = cells[0].strip().lower()
        if len(cells) < 2:
            raise InputError(path, line, key or "row", "expected two cells: key,value")
        if key == "startdate":
            start = parse_date(path, line, "StartDate", cells[1])
        elif key == "length":
            length = NUMBERS["Length"].read(path, line, cells[1])
        else:
            raise InputError(path, line, cells[0] or "key", "unknown key (expected StartDate or Length)")
    if start is None:
        raise InputError(path, None, "StartDate", "missing")
    if length is None:
        raise InputError(path, None, "Length", "missing")
    return start, length


def _read_locations(path: Path, hasten: int) -> Locations:
    header = _header(path)
    extra = {name: i for i, name in enumerate(header) if i >= 8}
    rows = [(ln, c) for ln, c in read_rows(path)]
    if not rows:
        raise InputError(path, None, "locations", "no locations")
    names: list[str] = []
    seen: dict[str, int] = {}
    region, country = [], []
    lat, lon, kind, start_kind, cdate, pop, cap, intensity = [], [], [], [], [], [], [], []
    need = max(6, min(len(header), 8))  # the columns the header names, up to population
    for line, c in rows:
        if len(c) < need:
            missing = ", ".join(header[len(c):need]) if header else "name..location_type"
            raise InputError(path, line, "row", f"expected at least {need} columns, got {len(c)} (missing: {missing}; "
                             "write an empty cell for a value not given)")
        c = c + [""] * (8 - len(c))
        name = c[0]
        if not name:
            raise InputError(path, line, "name", "empty")
        if name in seen:
            raise InputError(path, line, "name", f"duplicate location {name!r} (first on line {seen[name]})")
        seen[name] = line
        k = _kind_of(c[5])
        if k is None:
            raise InputError(path, line, "location_type", f"unknown type {c[5]!r} "
                             "(expected conflict_zone, town, camp, idpcamp, forwarding_hub or marker)")
        x = NUMBERS["latitude"].read(path, line, c[3]) if c[3] else 0.0
        y = NUMBERS["longitude"].read(path, line, c[4]) if c[4] else 0.0
        date = 0
        if k == CONFLICT:
            date = NUMBERS["conflict_date"].read(path, line, c[6] or "0")
        p = NUMBERS["population"].read(path, line, c[7] or "0")
        p //= hasten
        inten = 1.0
        if "conflict_intensity" in extra and extra["conflict_intensity"] < len(c) and c[extra["conflict_intensity"]]:
            inten = NUMBERS["conflict_intensity"].read(path, line, c[extra["conflict_intensity"]])
        names.append(name)
        region.append(c[1])
        country.append(c[2] if c[2] else "unknown")
        lat.append(x)
        lon.append(y)
        kind.append(k)
        start_kind.append(TOWN if (k == CONFLICT and date > 0) else k)
        cdate.append(date)
        is_camp = k in (CAMP, IDPCAMP)
        pop.append(0 if is_camp else p)
        cap.append(p if is_camp else -1)
        intensity.append(inten if k == CONFLICT else -1.0)
    home = country[0]
    return Locations(
        name=tuple(names), region=tuple(region), country=tuple(country),
        lat=np.array(lat), lon=np.array(lon),
        kind=np.array(kind, dtype=np.int8), start_kind=np.array(start_kind, dtype=np.int8),
        conflict_date=np.array(cdate, dtype=np.int32), population=np.array(pop, dtype=np.int64),
        capacity=np.array(cap, dtype=np.int64), intensity=np.array(intensity, dtype=np.float64),
        foreign=np.array([c != home for c in country], dtype=bool),
    )


def _read_routes(path: Path, locs: Locations) -> Links:
    header = _header(path)
    col = {name: i for i, name in enumerate(header) if i >= 4}
    index = {n: i for i, n in enumerate(locs.name)}
    src, dst, dist, speed, walk, lines = [], [], [], [], [], []
    for line, c in read_rows(path):
        if len(c) < 3:
            raise InputError(path, line, "row", f"expected name1,name2,distance; got {len(c)} columns")
        for field, name in (("name1", c[0]), ("name2", c[1])):
            if name not in index:
                raise InputError(path, line, field, f"route to unknown location {name!r}")
        a, b = index[c[0]], index[c[1]]
        if a == b:
            raise InputError(path, line, "name2", f"route from {c[0]!r} to itself")
        d = NUMBERS["distance"].read(path, line, c[2])
        sp = np.nan
        if "max_move_speed" in col and col["max_move_speed"] < len(c) and c[col["max_move_speed"]]:
            sp = NUMBERS["max_move_speed"].read(path, line, c[col["max_move_speed"]])
        wp = 0.0
        if "walk_probability" in col and col["walk_probability"] < len(c) and c[col["walk_probability"]]:
            wp = NUMBERS["walk_probability"].read(path, line, c[col["walk_probability"]])
        fr = c[3] if len(c) > 3 else ""
        if fr not in ("", "0", "1", "2"):
            raise InputError(path, line, "forced_redirection", f"{fr!r} is not empty, 0, 1 or 2")
        # Flee 3.1 creates a duplicate pair of links for forced_redirection 1 (double weight for that road).
        copies = 2 if fr == "1" else 1
        for _ in range(copies):
            for s, e in ((a, b), (b, a)):
                src.append(s)
                dst.append(e)
                dist.append(d)
                speed.append(sp)
                walk.append(wp)
                lines.append(line)
    return Links(
        src=np.array(src, dtype=np.int32), dst=np.array(dst, dtype=np.int32),
        distance=np.array(dist, dtype=np.float64), speed=np.array(speed, dtype=np.float64),
        walk_probability=np.array(walk, dtype=np.float64), line=np.array(lines, dtype=np.int32),
    )


def _optional(path: Path) -> bool:
    """Whether an optional input file is there (a directory or other non-file of that name is an error, not a
    missing file: it would silently drop the file's rows)."""
    if path.is_file():
        return True
    if path.exists():
        raise InputError(path, None, "file", "is not a regular file (a directory?); expected a CSV file")
    return False


def _read_closures(path: Path, locs: Locations, length: int) -> tuple[Closure, ...]:
    if not _optional(path):
        return ()
    names = set(locs.name)
    countries = set(locs.country)
    out = []
    for line, c in read_rows(path):
        c = c + [""] * (5 - len(c))
        kind = c[0].lower()
        if kind not in CLOSURE_KINDS:
            raise InputError(path, line, "closure_type", f"unknown type {c[0]!r} (expected {', '.join(CLOSURE_KINDS)})")
        start = NUMBERS["closure_start"].read(path, line, c[3])
        end = NUMBERS["closure_end"].read(path, line, c[4])
        if kind != "remove_forced_redirection" and end != -1 and end < start:
            raise InputError(path, line, "closure_end", f"day {end} is before the closure starts (day {start})")
        if kind == "country":
            for field, v in (("name1", c[1]), ("name2", c[2])):
                if v not in countries:
                    raise InputError(path, line, field, f"unknown country {v!r}")
        else:
            needed = (("name1", c[1]),) if kind in ("location", "camp", "idpcamp") else (
                ("name1", c[1]), ("name2", c[2]))
            for field, v in needed:
                if v not in names:
                    raise InputError(path, line, field, f"unknown location {v!r}")
        if kind in ("camp", "idpcamp") and locs.kind[locs.index(c[1])] not in (CAMP, IDPCAMP):
            raise InputError(path, line, "name1", f"{c[1]!r} is not a camp")
        out.append(Closure(kind, c[1], c[2], start, end, line))
    return tuple(out)


def _read_conflicts(path: Path, locs: Locations, length: int, notices: list[str]) -> tuple[np.ndarray, np.ndarray]:
    rows = read_rows(path, skip_hash=False)
    if not rows:
        raise InputError(path, None, "conflicts", "empty file")
    _, head = rows[0]
    index = {n: i for i, n in enumerate(locs.name)}
    cols: list[int] = []
    keep: list[int] = []  # position of each kept column among the value cells
    unknown: list[int] = []  # positions of columns naming no location
    names = [n.strip().strip('"') for n in head[1:]]
    while names and names[-1] == "":
        names.pop()
    for pos, name in enumerate(names):
        if name == "":
            raise InputError(path, rows[0][0], f"column {pos + 2}", "empty location name")
        if name not in index:
            # Flee 3.1 prints an error for such a column and ignores it; burundi2015 has two, all zero. A column
            # holding a conflict is refused below (_unknown_conflict): ignoring it would drop that conflict.
            unknown.append(pos)
            continue
        cols.append(index[name])
        keep.append(pos)
    n = len(names)
    _unknown_conflict(path, rows, names, unknown, notices)
    data = np.zeros((len(rows) - 1, len(cols)), dtype=np.float64)
    for r, (line, c) in enumerate(rows[1:]):
        vals = c[1:]
        while len(vals) > n and vals[-1] == "":
            vals.pop()
        if len(vals) != n:
            raise InputError(path, line, "row", f"expected {n} values after the day, got {len(vals)}")
        for j, pos in enumerate(keep):
            v = NUMBERS["intensity"].check(path, line, _cell_float(path, line, locs.name[cols[j]], vals[pos]),
                                           locs.name[cols[j]])
            data[r, j] = v
    if data.shape[0] < length:
        raise InputError(path, rows[-1][0], "days", f"conflicts.csv covers {data.shape[0]} days but the period "
                         f"is {length} days")
    return np.array(cols, dtype=np.int32), data


def _read_location_changes(path: Path, locs: Locations, start: dt.date) -> tuple[LocationChange, ...]:
    """location_changes.csv (Flee #105): rows ``name,location_type,day`` (``day`` a day number from the start or a
    YYYY-MM-DD date; a ``#`` line is a header). Each problem is one error naming the file, line and field."""
    if not _optional(path):
        return ()
    index = {n: i for i, n in enumerate(locs.name)}
    out = []
    for k, (line, c) in enumerate(read_rows(path)):
        if k == 0 and c[0].strip().lower() == "name":  # a header without '#'
            continue
        if len(c) < 3:
            raise InputError(path, line, "row", f"expected name,location_type,day; got {len(c)} columns")
        name, kind, when = c[0].strip(), c[1].strip().lower(), c[2].strip()
        if name not in index:
            raise InputError(path, line, "name", f"unknown location {name!r}")
        if kind not in CHANGE_KINDS:
            raise InputError(path, line, "location_type", f"{c[1]!r} is not one of {', '.join(CHANGE_KINDS)}")
        if locs.kind[index[name]] == MARKER:
            raise InputError(path, line, "name", f"{name!r} is a marker; markers cannot change type")
        if len(when) == 10 and when[4:5] == "-":
            day = (parse_date(path, line, "day", when) - start).days
            if day < 0:
                raise InputError(path, line, "day", f"{when} is before the start date {start}")
        else:
            day = NUMBERS["day"].read(path, line, when)
        out.append(LocationChange(index[name], CHANGE_KINDS[kind], day, line))
    return tuple(out)


def _cell_float(path: Path, line: int, field: str, text: str) -> float:
    """A number in a cell whose field is not a column name (a conflicts.csv location), finite."""
    return float(cspec.Column(field, cspec.FLOAT).read(path, line, text))


def _unknown_conflict(path: Path, rows: list[tuple[int, list[str]]], names: list[str], unknown: list[int],
                      notices: list[str]) -> None:
    """Columns of conflicts.csv naming no location: all zero, a notice (Flee 3.1 ignores them too); any other
    value, an error naming the first row that holds it (the conflict would silently be left out)."""
    for pos in unknown:
        for line, c in rows[1:]:
            cell = c[pos + 1] if pos + 1 < len(c) else ""
            try:
                zero = cell == "" or float(cell) == 0
            except ValueError:
                zero = False
            if not zero:
                raise InputError(path, line, names[pos], f"{cell!r} for a column naming no location in "
                                 "locations.csv (a misspelt name?)")
        notices.append(f"{path}:{rows[0][0]}: {names[pos]}: conflict column names an unknown location; "
                       "ignored (all zero)")


def _read_series(path: Path, start: dt.date, hasten: int, notices: list[str]) -> tuple[list[int], list[float],
                                                                                      list[int]]:
    """(day offsets, counts / hasten, line numbers) of one observed series file, in order of date.

    Real Flee data have rows out of date order and dates given twice (Flee reads both without a word). Rows out
    of order are sorted by date (Flee does not sort: its interpolation would follow the file's order, which
    is no function of the date). Rows of one date are kept in the file's order, which is how Flee reads them:
    the days between the previous date and it head toward the first row's count, the days after it start from
    the last row's (:meth:`Series.at` interpolates like Flee's reader, a step at that date). Each case adds a
    notice naming the file and its first offending line.
    """
    days: list[int] = []
    vals: list[float] = []
    lines: list[int] = []
    for i, (line, c) in enumerate(read_rows(path)):
        if i == 0 and c[0] in ("Date", "DateTime"):
            continue
        if len(c) < 2 or c[1] == "":
            continue
        d = parse_date(path, line, "date", c[0])
        v = NUMBERS["count"].read(path, line, c[1])
        days.append((d - start).days)
        vals.append(v / hasten)
        lines.append(line)
    if not days:
        raise InputError(path, None, "data", "no data rows")
    back = next((k for k in range(1, len(days)) if days[k] < days[k - 1]), None)
    if back is not None:
        notices.append(f"{path}:{lines[back]}: date: {start + dt.timedelta(days=days[back])} is earlier than "
                       f"{start + dt.timedelta(days=days[back - 1])} on line {lines[back - 1]} (dates out of order); "
                       "the rows are sorted by date")
        order = sorted(range(len(days)), key=days.__getitem__)  # stable: rows of one date keep the file's order
        days, vals, lines = [days[k] for k in order], [vals[k] for k in order], [lines[k] for k in order]
    twice = [k for k in range(1, len(days)) if days[k] == days[k - 1]]
    if twice:
        k = min(twice, key=lines.__getitem__)
        notices.append(f"{path}:{lines[k]}: date: {start + dt.timedelta(days=days[k])} is also on line "
                       f"{lines[k - 1]}; both rows kept in file order and interpolated as Flee does (a step at that "
                       "date from the earlier row's count to the later row's)")
    return days, vals, lines


def _add_series(a: tuple[list[int], list[float]], b: tuple[list[int], list[float]]) -> tuple[list[int], list[float]]:
    """Add a second file's series to a first the way Flee 3.1 does for several files on one data_layout row.

    No interpolation: walking through the second series, each of its points is added to the first series'
    point at or after it (or, for points of the first series that come earlier, the last point of the second
    series seen so far is added to them); points of the second series after the first series ends are dropped.
    """
    d1, v1 = a
    days: list[int] = []
    vals: list[float] = []
    off = 0
    last2 = 0.0
    for d2, x2 in zip(*b, strict=True):
        while d2 > d1[off]:
            days.append(d1[off])
            vals.append(last2 + v1[off])
            if off < len(d1) - 1:
                off += 1
            else:
                break
        if d2 == d1[off]:
            days.append(d2)
            vals.append(x2 + v1[off])
            if off < len(d1) - 1:
                off += 1
            last2 = x2
        elif d2 < d1[off]:
            days.append(d2)
            vals.append(x2 + v1[off])
            last2 = x2
    return days, vals


def _inside(base: Path, name: str, path: Path, line: int, field: str) -> Path:
    if "\x00" in name:
        raise InputError(path, line, field, f"{name!r} contains a NUL character")
    try:
        target = (base / name).resolve()
    except (OSError, RuntimeError) as exc:
        raise InputError(path, line, field, f"{name!r} is not a usable file name ({exc.__class__.__name__})") from None
    if base.resolve() not in target.parents:
        raise InputError(path, line, field, f"{name!r} points outside {base}")
    return target


def _read_observed(
    src: Path, locs: Locations, start: dt.date, hasten: int, corrections_path: Path, notices: list[str]
) -> Observed:
    layout = src / "data_layout.csv"
    rows = read_rows(layout)
    if not rows or rows[0][1][0] != "total" or len(rows[0][1]) < 2:
        raise InputError(layout, rows[0][0] if rows else None, "total", "the first row must be total,<file>")
    camp_idx = [i for i in range(len(locs)) if locs.kind[i] in (CAMP, IDPCAMP)]
    camp_names = {locs.name[i] for i in camp_idx}
    series: dict[str, tuple[list[int], list[float], list[int]]] = {}
    seen: dict[str, int] = {}
    for line, c in rows:
        name = c[0]
        if name in seen:
            raise InputError(layout, line, "name", f"duplicate row for {name!r} (first on line {seen[name]})")
        seen[name] = line
        if name != "total" and name not in camp_names:
            # Flee 3.1 uses only the rows of camps; the reference inputs have rows for other places too.
            what = "not a camp" if name in locs.name else "not a location in locations.csv"
            notices.append(f"{layout}:{line}: {name}: {what}; its data are not used")
            continue
        files = [f for f in c[1:] if f]
        if not files:
            raise InputError(layout, line, "file", "no data file named")
        acc: tuple[list[int], list[float], list[int]] | None = None
        for f in files:
            target = _inside(src, f, layout, line, "file")
            if not target.is_file():
                what = "a directory" if target.is_dir() else "missing"
                raise InputError(layout, line, "file", f"{f!r} is {what} ({target})")
            s = _read_series(target, start, hasten, notices)
            if acc is None:
                acc = s
            else:
                d, v = _add_series((acc[0], acc[1]), (s[0], s[1]))
                acc = (d, v, [0] * len(d))
        assert acc is not None
        series[name] = acc
    for i in camp_idx:
        if locs.name[i] not in series:
            raise InputError(layout, None, locs.name[i], "camp in locations.csv has no row in data_layout.csv")
    # Registration corrections (flee-model.md §1.9): scale earlier points by value_i / value_{i-1}.
    if _optional(corrections_path):
        for line, c in read_rows(corrections_path):
            name = c[0]
            if name not in series or name == "total":
                raise InputError(corrections_path, line, "camp_name", f"{name!r} is not a camp with data")
            if len(c) < 2:
                raise InputError(corrections_path, line, "date", "missing")
            day = (parse_date(corrections_path, line, "date", c[1]) - start).days
            d, v, ln = series[name]
            if day not in d:
                raise InputError(corrections_path, line, "date", f"{c[1]} matches no data point of {name!r}")
            i = d.index(day)
            if i == 0:
                raise InputError(corrections_path, line, "date", f"{c[1]} is the first data point of {name!r}; "
                                 "nothing before it to correct")
            if v[i - 1] == 0:
                raise InputError(corrections_path, line, "date", f"the data point before {c[1]} is 0; "
                                 "the correction ratio is undefined")
            ratio = v[i] / v[i - 1]
            series[name] = (d, [x * ratio for x in v[:i]] + v[i:], ln)

    def mk(name: str) -> Series:
        d, v, _ = series[name]
        return Series(np.array(d, dtype=np.float64), np.array(v, dtype=np.float64))

    return Observed(total=mk("total"), camps=tuple(camp_idx), camp_series=tuple(mk(locs.name[i]) for i in camp_idx))


def read_flee(path: str | Path, settings: FleeSettings | None = None) -> Scenario:
    """Read a Flee scenario directory (input_csv/, source_data/, simsetting.yml) into a :class:`Scenario`."""
    root = Path(path)
    if not root.is_dir():
        raise InputError(root, None, "scenario", "not a directory")
    inp = root / "input_csv"
    src = root / "source_data"
    yml = root / "simsetting.yml"
    s = read_simsetting(yml) if yml.is_file() else (settings or FleeSettings())
    if settings is not None and yml.is_file():
        s = settings
    notices: list[str] = list(s.notices)
    start, length = _read_period(inp)
    locs = _read_locations(inp / "locations.csv", s.hasten)
    links = _read_routes(inp / "routes.csv", locs)
    closures = _read_closures(inp / "closures.csv", locs, length)
    cpath = inp / "conflicts.csv"
    if _optional(cpath):
        ccols, cdata = _read_conflicts(cpath, locs, length, notices)
    else:
        ccols, cdata = np.zeros(0, dtype=np.int32), np.zeros((length, 0))
    changes = _read_location_changes(inp / "location_changes.csv", locs, start)
    observed = None
    if _optional(src / "data_layout.csv"):
        observed = _read_observed(src, locs, start, s.hasten, inp / "registration_corrections.csv", notices)
    return Scenario(
        name=root.resolve().name, path=root, format="flee", start_date=start, length=length,
        locations=locs, links=links, closures=closures, conflict_locations=ccols, conflicts=cdata,
        observed=observed, settings=s, default_rules="flee31", notices=tuple(notices),
        people_per_agent=float(s.hasten), location_changes=changes,
    )
