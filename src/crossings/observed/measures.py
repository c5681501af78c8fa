"""The simulated quantities an observation is compared with (docs/fit.md, "Quantities"), computed from a small
view of a finished emigration run: :class:`RunTables`, built from a :class:`~crossings.results.Results` in memory
or from the Parquet tables of a run directory (read with pyarrow, never pandas).

A quantity is named by a ``sim`` expression such as ``entries(country=Georgia)``, ``wait_days(crossing=Upper_Lars)``
or ``entries(country=Georgia;crossing=Upper_Lars)``; :func:`parse_sim` reads one, :func:`simulate` evaluates it
over a period of dates (both included, clipped to the run). Counts are in people: agents × people_per_agent.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crossings.errors import InputError
from crossings.params.emigration import LONG_STAY_DAYS

# the ``sim`` syntax (quantities and targets) lives with the scenario's observations; re-exported here
from crossings.scenario.observations import ABROAD as ABROAD
from crossings.scenario.observations import EVERY as EVERY
from crossings.scenario.observations import FLOW_KINDS as FLOW_KINDS
from crossings.scenario.observations import FROM as FROM
from crossings.scenario.observations import FROM_QUANTITIES as FROM_QUANTITIES
from crossings.scenario.observations import QUANTITIES as QUANTITIES
from crossings.scenario.observations import TARGET_KINDS as TARGET_KINDS
from crossings.scenario.observations import Sim as Sim
from crossings.scenario.observations import Target as Target
from crossings.scenario.observations import parse_sim as parse_sim

# ---- the run's tables ---------------------------------------------------------------------------------------

COUNTRY_SERIES = ("n_in_country", "n_emigrants_in_country", "new_entries", "new_exits", "new_left_home",
                  "new_visa_runs", "new_registrations", "n_registered", "new_permit_applications",
                  "new_permits_granted", "n_permits", "new_returns", "new_long_stays")
LOCATION_SERIES = ("n_present", "n_at_home")
CROSSING_SERIES = ("n_queue", "new_passages", "sum_wait_days")  # summed over travel modes
LINK_SERIES = ("new_border_crossings",)
CATEGORY_SERIES = ("cat_left_home", "cat_returned", "cat_away")


@dataclass
class RunTables:
    """What the quantities need of a run, as (days, entities) arrays of agents, whatever the run was read from."""

    start_date: dt.date
    days: int
    people_per_agent: float
    countries: tuple[str, ...]
    home_countries: tuple[str, ...]
    country: dict[str, np.ndarray]
    locations: tuple[str, ...]
    location_country: tuple[str, ...]
    location: dict[str, np.ndarray]
    crossings: tuple[str, ...]  # names of the crossing locations
    crossing: dict[str, np.ndarray]
    link_src: np.ndarray  # location index of each directed link's start
    link_dst: np.ndarray
    link: dict[str, np.ndarray]
    categories: tuple[str, ...] = ()
    category: dict[str, np.ndarray] = field(default_factory=dict)
    source: str = "results"  # "results" (in memory) or the run directory

    @classmethod
    def from_results(cls, res: Any) -> RunTables:
        """The view of an emigration run's :class:`~crossings.results.Results` in memory."""
        sc = res.scenario
        em = sc.emigration
        if em is None:
            raise ValueError("fit tables score emigration runs only")
        s = res.series
        cross = [int(x) for x in em.crossings]
        crossing = {k: s[k][:, 0::2] + s[k][:, 1::2] for k in CROSSING_SERIES if k in s}
        categories = tuple(em.category.names) if "cat_left_home" in s else ()
        return cls(
            start_date=sc.start_date, days=res.days, people_per_agent=people_per_agent(sc),
            countries=tuple(em.countries), home_countries=tuple(em.countries[int(c)] for c in em.home_countries),
            country={k: s[k] for k in COUNTRY_SERIES if k in s},
            locations=tuple(sc.locations.name), location_country=tuple(sc.locations.country),
            location={k: s[k] for k in LOCATION_SERIES if k in s},
            crossings=tuple(sc.locations.name[x] for x in cross), crossing=crossing,
            link_src=np.asarray(sc.links.src, dtype=np.int64), link_dst=np.asarray(sc.links.dst, dtype=np.int64),
            link={k: s[k] for k in LINK_SERIES if k in s},
            categories=categories, category={k: s[k] for k in CATEGORY_SERIES if k in s and categories},
        )

    @classmethod
    def from_run_dir(cls, run_dir: str | Path) -> RunTables:
        """The view of an emigration run written by ``crossings run --out DIR`` (its summary.json and Parquet
        tables); raises InputError for a directory that is not such a run."""
        run = Path(run_dir)
        if not run.is_dir():
            raise InputError(run, None, "run", "no such run directory")
        spath = run / "summary.json"
        if not spath.is_file():
            raise InputError(run, None, "run", "not a run directory (no summary.json)")
        try:
            summary = json.loads(spath.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(spath, None, "json", f"not readable ({exc})") from None
        if summary.get("model") != "emigration" or not (run / "countries.parquet").is_file():
            raise InputError(run, None, "run", "not an emigration run (fit tables score runs of model: emigration;"
                             " Flee runs report their ARD in summary.json)")
        days = int(summary["days"])
        start = dt.date.fromisoformat(summary["start_date"])
        countries, country, _ = read_long(run / "countries.parquet", "country", COUNTRY_SERIES, days)
        locations, location, extra = read_long(run / "locations.parquet", "location", LOCATION_SERIES, days,
                                                ("country",))
        loc_country = extra["country"]
        crossings, crossing, _ = read_long(run / "crossings.parquet", "crossing", CROSSING_SERIES, days)
        index = {n: i for i, n in enumerate(locations)}
        link: dict[str, np.ndarray] = {}
        src = dst = np.zeros(0, dtype=np.int64)
        if (run / "links.parquet").is_file() or not summary.get("members"):  # an ensemble's bands keep no links
            _, link, ends = read_long(run / "links.parquet", "link", LINK_SERIES, days, ("from", "to"))
            src = np.array([index[n] for n in ends["from"]], dtype=np.int64)
            dst = np.array([index[n] for n in ends["to"]], dtype=np.int64)
        categories: tuple[str, ...] = ()
        category: dict[str, np.ndarray] = {}
        if (run / "categories.parquet").is_file():
            categories, category, _ = read_long(run / "categories.parquet", "category", CATEGORY_SERIES, days)
        home = summary.get("home_countries")
        if not isinstance(home, list):  # runs written before summary.json named them: countries people left
            left = country.get("new_left_home")
            at_home = location.get("n_at_home")
            found = {countries[c] for c in np.flatnonzero(left.sum(axis=0) > 0)} if left is not None else set()
            if at_home is not None:
                found |= {loc_country[x] for x in np.flatnonzero(at_home.max(axis=0, initial=0) > 0)}
            home = sorted(found)
        ppa = summary.get("people_per_agent")
        if not isinstance(ppa, int | float) or isinstance(ppa, bool) or ppa <= 0:
            ppa = _people_per_agent_of(Path(summary.get("scenario_path") or run / "no-scenario"))
        return cls(start_date=start, days=days, people_per_agent=float(ppa), countries=countries,
                   home_countries=tuple(str(h) for h in home), country=country, locations=locations,
                   location_country=loc_country, location=location, crossings=crossings, crossing=crossing,
                   link_src=src, link_dst=dst, link=link, categories=categories, category=category,
                   source=str(run))

    # ---- names -----------------------------------------------------------------------------------------
    def names_of(self, kind: str) -> tuple[str, ...]:
        """The run's countries, crossings, locations or categories."""
        return {"country": self.countries, "crossing": self.crossings, "location": self.locations,
                "category": self.categories}[kind]

    def abroad(self) -> tuple[str, ...]:
        """Countries that hold no origin."""
        return tuple(c for c in self.countries if c not in self.home_countries)

    def day_of(self, date: dt.date) -> int:
        """Day number of a date (0 = the start date; may lie outside the run)."""
        return (date - self.start_date).days


def read_long(path: Path, key: str, series: tuple[str, ...], days: int,
              text: tuple[str, ...] = ()) -> tuple[tuple[str, ...], dict[str, np.ndarray], dict[str, tuple[str, ...]]]:
    """A long Parquet table (one row per day and ``key``) as (keys in first-seen order, {series: (days, keys)}
    summed over rows that share a day and key, {text column: its value per key}); absent series are left out."""
    import pyarrow.parquet as pq

    try:
        t = pq.ParquetFile(path).read()  # (pq.read_table would import pandas)
    except FileNotFoundError:
        raise InputError(path, None, "file", "missing") from None
    except Exception as exc:  # a truncated or foreign file
        raise InputError(path, None, "parquet", f"not readable ({type(exc).__name__}: {exc})") from None
    for col in ("day", key):
        if col not in t.column_names:
            raise InputError(path, None, col, "missing column")
    day = _ints(t.column("day"))
    codes, labels = _codes(t.column(key))
    first_codes, first = np.unique(codes, return_index=True)
    order = np.argsort(first, kind="stable")
    entity = np.full(len(labels) if labels else int(codes.max(initial=-1)) + 1, -1, dtype=np.int64)
    entity[first_codes[order]] = np.arange(len(order))
    names = tuple(str(labels[c]) if labels else str(c) for c in first_codes[order])
    rows = entity[codes]
    ok = (day >= 0) & (day < days)
    out: dict[str, np.ndarray] = {}
    for name in series:
        if name in t.column_names:
            values = _numbers(t.column(name))
            m = np.zeros((days, len(names)), dtype=values.dtype)
            np.add.at(m, (day[ok], rows[ok]), values[ok])
            out[name] = m
    extra: dict[str, tuple[str, ...]] = {}
    for col in text:
        if col not in t.column_names:
            raise InputError(path, None, col, "missing column")
        c_codes, c_labels = _codes(t.column(col))
        at = first[order]
        extra[col] = tuple(str(c_labels[c]) if c_labels else str(c) for c in c_codes[at])
    return names, out, extra


def _ints(col: Any) -> np.ndarray:
    return np.asarray(col.combine_chunks().to_numpy(zero_copy_only=False), dtype=np.int64)


def _numbers(col: Any) -> np.ndarray:
    import pyarrow as pa

    arr = col.combine_chunks()
    values = arr.to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=np.int64 if pa.types.is_integer(arr.type) else np.float64)


def _codes(col: Any) -> tuple[np.ndarray, list[Any]]:
    """Integer codes and their labels of a text column (dictionary-encoded or not); a numeric column gives its
    values as codes and no labels."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = col.combine_chunks()
    if pa.types.is_integer(arr.type):
        return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.int64), []
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    return np.asarray(arr.indices.to_numpy(zero_copy_only=False), dtype=np.int64), arr.dictionary.to_pylist()


def people_per_agent(sc: Any) -> float:
    """People one agent stands for: scenario.yml's ``people_per_agent`` for an emigration scenario (default 1),
    Flee's ``hasten`` otherwise."""
    if getattr(sc, "model", "flee") != "emigration":
        return float(sc.settings.hasten)
    given = getattr(sc, "people_per_agent", None)
    if isinstance(given, int | float) and not isinstance(given, bool) and given > 0:
        return float(given)
    return _people_per_agent_of(Path(sc.path))


def _people_per_agent_of(root: Path) -> float:
    """``people_per_agent`` of the native scenario at ``root`` (1 when it does not say or is not there)."""
    path = root / "scenario.yml"
    if not path.is_file():
        return 1.0
    import yaml

    try:
        meta = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return 1.0
    value = meta.get("people_per_agent", 1) if isinstance(meta, dict) else 1
    if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
        raise InputError(path, None, "people_per_agent", f"{value!r} is not a positive number of people")
    return float(value)


# ---- evaluation ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Simulated:
    """The value of a quantity over a period (None when there is none), why there is none, and notes."""

    value: float | None
    status: str = "ok"  # ok, outside run, not in this run, unavailable
    note: str = ""


def simulate(view: RunTables, sim: Sim, start: dt.date, end: dt.date) -> Simulated:
    """The quantity ``sim`` names over the dates start..end (both included, clipped to the run), in people
    (agents × people_per_agent) for counts; ``input:`` rows give their number, ``none`` rows nothing."""
    if sim.input_value is not None:
        return Simulated(sim.input_value)
    if sim.quantity is None or sim.target is None:
        return Simulated(None, "not modelled")
    d0, d1 = view.day_of(start), view.day_of(end)
    if d1 < 0 or d0 > view.days - 1:
        return Simulated(None, "outside run", f"the run covers {view.start_date}..{_date(view, view.days - 1)}")
    c0, c1 = max(d0, 0), min(d1, view.days - 1)
    note = "" if (c0, c1) == (d0, d1) else f"period clipped to the run ({_date(view, c0)}..{_date(view, c1)})"
    try:
        value = _evaluate(view, sim.quantity, sim.target, c0, c1)
    except _Missing as exc:
        return Simulated(None, exc.status, "; ".join(x for x in (str(exc), note) if x))
    return Simulated(value, "ok", note)


def _date(view: RunTables, day: int) -> str:
    return (view.start_date + dt.timedelta(days=day)).isoformat()


class _Missing(Exception):
    """A quantity that cannot be computed for this run (status and reason)."""

    def __init__(self, status: str, reason: str) -> None:
        self.status = status
        super().__init__(reason)


def _evaluate(view: RunTables, quantity: str, target: Target, c0: int, c1: int) -> float | None:
    span = slice(c0, c1 + 1)
    people = view.people_per_agent if QUANTITIES[quantity][1] else 1.0
    if quantity in ("entries", "exits", "net", "entries_per_day", "exits_per_day", "peak_entries_per_day"):
        if quantity == "net":
            daily = _flow(view, "entries", target) - _flow(view, "exits", target)
        else:
            daily = _flow(view, "exits" if quantity.startswith("exits") else "entries", target)
        part = daily[span]
        agents = {"entries": part.sum, "exits": part.sum, "net": part.sum, "entries_per_day": part.mean,
                  "exits_per_day": part.mean, "peak_entries_per_day": part.max}[quantity]()
        return float(agents) * people
    if quantity in ("stock", "stock_change"):
        stock = _stock(view, target)
        before = stock[c0 - 1] if c0 > 0 else 0
        return float(stock[c1] - (before if quantity == "stock_change" else 0)) * people
    if quantity == "immigrants":  # counted on the day the stay reaches 183 days, so 183 days later
        if c1 + LONG_STAY_DAYS > view.days - 1:
            raise _Missing("outside run", f"stays that began by {_date(view, c1)} are 183 days long only after "
                           "the run's end")
        late = slice(c0 + LONG_STAY_DAYS, c1 + LONG_STAY_DAYS + 1)
        return float(_series(view, "country", "new_long_stays", target)[late].sum()) * people
    if quantity in COUNTRY_FLOWS:
        return float(_series(view, "country", COUNTRY_FLOWS[quantity], target)[span].sum()) * people
    if quantity in COUNTRY_STOCKS:
        return float(_series(view, "country", COUNTRY_STOCKS[quantity], target)[c1]) * people
    if quantity == "queue":
        return float(_series(view, "crossing", "n_queue", target)[span].mean()) * people
    if quantity == "wait_days":
        passed = _series(view, "crossing", "new_passages", target)[span].sum()
        if passed == 0:
            raise _Missing("unavailable", "nobody passed in the period")
        return float(_series(view, "crossing", "sum_wait_days", target)[span].sum() / passed)
    if quantity in ("left_home", "returned"):
        name = "cat_left_home" if quantity == "left_home" else "cat_returned"
        return float(_series(view, "category", name, target)[span].sum()) * people
    if quantity == "away":
        return float(_series(view, "category", "cat_away", target)[c1]) * people
    if quantity == "returned_share":
        left = _series(view, "category", "cat_left_home", target)[: c1 + 1].sum()
        if left == 0:
            raise _Missing("unavailable", "nobody had left home by the period's end")
        return float(_series(view, "category", "cat_returned", target)[: c1 + 1].sum() / left)
    if quantity == "returned_of_away":
        away = _series(view, "category", "cat_away", target)[c0 - 1] if c0 > 0 else 0
        if away == 0:
            raise _Missing("unavailable", "nobody was away on the day before the period")
        return float(_series(view, "category", "cat_returned", target)[span].sum() / away)
    raise AssertionError(f"quantity {quantity!r} has no rule")  # pragma: no cover (QUANTITIES lists them all)


COUNTRY_FLOWS = {"visa_runs": "new_visa_runs", "registrations": "new_registrations",
                 "permit_applications": "new_permit_applications", "permits_granted": "new_permits_granted",
                 "returns": "new_returns"}
COUNTRY_STOCKS = {"registered": "n_registered", "permits": "n_permits", "emigrants": "n_emigrants_in_country"}
TABLE_FILES = {"country": "countries.parquet", "location": "locations.parquet", "crossing": "crossings.parquet",
               "category": "categories.parquet", "link": "links.parquet"}


def _indices(view: RunTables, kind: str, names: tuple[str, ...]) -> list[int]:
    """Positions of ``names`` among the run's ``kind``s (``*abroad`` and ``*`` expanded)."""
    pool = view.names_of(kind)
    if kind == "category" and not pool:
        raise _Missing("unavailable", "needs categories.parquet (categories of leavers are not recorded)")
    out: list[int] = []
    for n in names:
        if kind == "country" and n == ABROAD:
            out += [pool.index(c) for c in view.abroad()]
        elif kind == "category" and n == EVERY:
            out += list(range(len(pool)))
        elif n in pool:
            out.append(pool.index(n))
        else:
            raise _Missing("not in this run", f"no {kind} {n!r} in this run")
    return out


def _table(view: RunTables, kind: str, series: str) -> np.ndarray:
    tables = {"country": view.country, "location": view.location, "crossing": view.crossing,
              "category": view.category, "link": view.link}[kind]
    if series not in tables:
        what = TABLE_FILES[kind] if view.source != "results" else "the run's results"
        raise _Missing("unavailable", f"needs {series} in {what}")
    return tables[series]


def _series(view: RunTables, kind: str, series: str, target: Target) -> np.ndarray:
    """Daily sum of ``series`` over the target's names, (days,)."""
    cols = _indices(view, kind, target.names)
    return _table(view, kind, series)[:, cols].sum(axis=1)


def _stock(view: RunTables, target: Target) -> np.ndarray:
    """Daily stock of a country (n_in_country) or a place (n_present), (days,)."""
    if target.kind == "country":
        return _series(view, "country", "n_in_country", target)
    cols = _indices(view, target.kind, target.names)
    if target.kind == "crossing":
        cols = [view.locations.index(view.crossings[c]) for c in cols]
    return _table(view, "location", "n_present")[:, cols].sum(axis=1)


def _flow(view: RunTables, way: str, target: Target) -> np.ndarray:
    """Daily entries or exits (``way``) of the target's countries, or over its border points, (days,); with
    ``from=``, only the border crossings over links that leave one of those countries."""
    for c in set(target.origins) - set(view.countries):
        raise _Missing("not in this run", f"no country {c!r} in this run")
    if target.kind == "country":
        if not target.origins:
            return _series(view, "country", "new_entries" if way == "entries" else "new_exits", target)
        into = {view.countries[i] for i in _indices(view, "country", target.names)}
        links = [k for k, (s, d) in enumerate(zip(view.link_src.tolist(), view.link_dst.tolist(), strict=True))
                 if view.location_country[d] in into and view.location_country[s] != view.location_country[d]]
    else:
        cols = _indices(view, target.kind, target.names)
        places = [view.locations.index(view.crossings[c]) if target.kind == "crossing" else c for c in cols]
        countries = set(view.abroad()) if ABROAD in target.countries else set()
        countries |= {c for c in target.countries if c != ABROAD}
        for c in countries - set(view.countries):
            raise _Missing("not in this run", f"no country {c!r} in this run")
        links = border_links(view, way, places, countries)
    if target.origins:
        links = [k for k in links if view.location_country[int(view.link_src[k])] in target.origins]
    border = _table(view, "link", "new_border_crossings")
    return border[:, links].sum(axis=1) if links else np.zeros(view.days, dtype=np.int64)


def border_links(view: RunTables, way: str, places: list[int], countries: set[str]) -> list[int]:
    """Links whose border crossings are ``way`` (entries or exits) at the locations ``places``: a link that
    changes country is counted at the crossing it touches, else (a flight) at its end for entries and its start
    for exits, as in observations.csv. With ``countries``, only entries into (exits out of) those; without, at a
    crossing the direction out of the crossing's own country, at another place entries into / exits out of its
    country."""
    loc_country = view.location_country
    is_crossing = np.zeros(len(view.locations), dtype=bool)
    is_crossing[[view.locations.index(n) for n in view.crossings]] = True
    wanted = set(places)
    out = []
    for k, (s, d) in enumerate(zip(view.link_src.tolist(), view.link_dst.tolist(), strict=True)):
        if loc_country[s] == loc_country[d]:
            continue
        cross = s if is_crossing[s] else d if is_crossing[d] else -1
        point = cross if cross >= 0 else (d if way == "entries" else s)
        if point not in wanted:
            continue
        into, out_of = loc_country[d], loc_country[s]
        if countries:
            ok = (into if way == "entries" else out_of) in countries
        else:
            ok = out_of == loc_country[point] if is_crossing[point] else True
        if ok:
            out.append(k)
    return out
