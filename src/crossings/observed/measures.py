"""The simulated quantities an observation is compared with (docs/fit.md, "Quantities"), computed from a small
view of a finished run: :class:`RunTables`, built from a :class:`~crossings.results.Results` in memory or read
back from a run directory (:meth:`~crossings.results.Results.read`).

A quantity is named by a ``sim`` expression such as ``entries(country=Georgia)``, ``wait_days(crossing=Upper_Lars)``
or ``entries(country=Georgia;crossing=Upper_Lars)``; :func:`parse_sim` reads one, :func:`simulate` evaluates it
over a period of dates (both included, clipped to the run). Counts are in people: agents × people_per_agent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crossings.params.emigration import LONG_STAY_DAYS
from crossings.results import Dimension, Results

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

KINDS = ("country", "location", "category", "link")  # read from the run's dimension of that name
GROUPED = ("crossing",)  # read from the dimension with a key column of that name, summed over its other keys
TABLE_FILES = {"country": "countries.parquet", "location": "locations.parquet", "crossing": "crossings.parquet",
               "category": "categories.parquet", "link": "links.parquet"}
NOT_RECORDED = {"country": "countries are not recorded", "location": "places are not recorded",
                "crossing": "crossings are not recorded", "category": "categories of leavers are not recorded"}


@dataclass
class RunTables:
    """What the quantities need of a run, as (days, entities) arrays of agents per kind of target, whatever the run
    was read from: a view of :class:`~crossings.results.Results` for any model (a kind whose dimension the run
    lacks has no names, and the quantities that need it are unavailable). ``bands`` holds an ensemble's band
    columns per kind (``{"country": {"n_in_country_q05": …}}``)."""

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
    bands: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def from_results(cls, res: Results) -> RunTables:
        """The view of a run's results, in memory or read back from its directory (:meth:`Results.read`)."""
        names: dict[str, tuple[str, ...]] = {}
        tables: dict[str, dict[str, np.ndarray]] = {}
        bands: dict[str, dict[str, np.ndarray]] = {}
        for kind in KINDS:
            names[kind], tables[kind], bands[kind] = _dimension(res, res.schema.dims.get(kind))
        for kind in GROUPED:
            names[kind], tables[kind] = _grouped(res, kind)
        loc = res.schema.dims.get("location")
        location_country = (loc.texts("country") if loc is not None else None) or ("",) * len(names["location"])
        src, dst = _link_ends(res.schema.dims.get("link"), names["location"])
        home = res.said("home_countries")
        if not isinstance(home, list):  # runs written before summary.json named them: countries people left
            home = _home_countries(names["country"], tables["country"], location_country, tables["location"])
        return cls(start_date=res.start_date, days=res.days, people_per_agent=res.people_per_agent,
                   countries=names["country"], home_countries=tuple(str(h) for h in home), country=tables["country"],
                   locations=names["location"], location_country=location_country, location=tables["location"],
                   crossings=names["crossing"], crossing=tables["crossing"], link_src=src, link_dst=dst,
                   link=tables["link"], categories=names["category"], category=tables["category"],
                   source=str(res.source) if res.source is not None else "results",
                   bands={k: v for k, v in bands.items() if v})

    @classmethod
    def from_run_dir(cls, run_dir: str | Path, model: Any) -> RunTables:
        """The view of the run that ``crossings run --out DIR`` wrote, read as a run of ``model`` (its summary.json
        and Parquet tables; InputError for a directory that is not such a run). ``crossings.api.read_run`` finds
        the model itself."""
        return cls.from_results(Results.read(run_dir, model))

    # ---- names -----------------------------------------------------------------------------------------
    def names_of(self, kind: str) -> tuple[str, ...]:
        """The run's countries, crossings, locations or categories."""
        return {"country": self.countries, "crossing": self.crossings, "location": self.locations,
                "category": self.categories}[kind]

    def abroad(self) -> tuple[str, ...]:
        """Countries that hold no origin."""
        return tuple(c for c in self.countries if c not in self.home_countries)

    def expand(self, kind: str, names: tuple[str, ...]) -> tuple[str, ...]:
        """``names`` of a target with ``*abroad`` (countries) and ``*`` (categories) replaced by what they stand
        for."""
        out: list[str] = []
        for n in names:
            if kind == "country" and n == ABROAD:
                out += self.abroad()
            elif kind == "category" and n == EVERY:
                out += self.categories
            else:
                out.append(n)
        return tuple(out)

    def parse(self, text: str) -> Sim:
        """A ``sim`` expression of this vocabulary parsed (:func:`parse_sim`), for code that reads the fit's rows
        through the view (a model's report section)."""
        return parse_sim(text)

    def band(self, kind: str, column: str) -> np.ndarray | None:
        """An ensemble's band column of a kind (e.g. ``band("country", "n_in_country_q05")``), or None."""
        return self.bands.get(kind, {}).get(column)

    def day_of(self, date: dt.date) -> int:
        """Day number of a date (0 = the start date; may lie outside the run)."""
        return (date - self.start_date).days


def _dimension(res: Results, dim: Dimension | None) -> tuple[tuple[str, ...], dict[str, np.ndarray],
                                                             dict[str, np.ndarray]]:
    """A dimension's labels, its series and its band columns (none when the run lacks the dimension)."""
    if dim is None:
        return (), {}, {}
    own = res.schema.names(dim.name)
    bands = {k + suffix: b for k in own for suffix, b in res.bands.get(k, {}).items()}
    return tuple(dim.labels), {k: res.series[k] for k in own}, bands


def _grouped(res: Results, key: str) -> tuple[tuple[str, ...], dict[str, np.ndarray]]:
    """The values of the key column ``key`` in the run's dimension that has one (e.g. the crossings of crossings
    by travel mode) and that dimension's series summed over the entities that share a value."""
    dim = next((d for d in res.schema.dims.values() if d.key(key) is not None), None)
    if dim is None:
        return (), {}
    names, group = dim.groups(key)
    members = [np.flatnonzero(group == j) for j in range(len(names))]
    out = {}
    for k in res.schema.names(dim.name):
        a = res.series[k]
        out[k] = np.stack([a[:, m].sum(axis=1) for m in members], axis=1) if members \
            else np.zeros((a.shape[0], 0), dtype=a.dtype)
    return names, out


def _link_ends(dim: Dimension | None, locations: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Location index of each link's start and end (none when the run lacks links or their ends)."""
    ends = [dim.texts(k) for k in ("from", "to")] if dim is not None else []
    index = {n: i for i, n in reversed(list(enumerate(locations)))}
    if len(ends) != 2 or any(e is None or not set(e) <= set(index) for e in ends):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    src, dst = (np.array([index[n] for n in e], dtype=np.int64) for e in ends if e is not None)
    return src, dst


def _home_countries(countries: tuple[str, ...], country: dict[str, np.ndarray], location_country: tuple[str, ...],
                    location: dict[str, np.ndarray]) -> list[str]:
    """Countries people left (new_left_home) or whose places hold people at home (n_at_home)."""
    left = country.get("new_left_home")
    at_home = location.get("n_at_home")
    found = {countries[c] for c in np.flatnonzero(left.sum(axis=0) > 0)} if left is not None else set()
    if at_home is not None:
        found |= {location_country[x] for x in np.flatnonzero(at_home.max(axis=0, initial=0) > 0)}
    return sorted(found)


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
    if quantity == "emigrant_returns":  # recorded per place: a country's are its places' summed
        if target.kind == "location":
            return float(_series(view, "location", "new_emigrant_returns", target)[span].sum()) * people
        into = {view.countries[i] for i in _indices(view, "country", target.names)}
        cols = [x for x, c in enumerate(view.location_country) if c in into]
        return float(_table(view, "location", "new_emigrant_returns")[span][:, cols].sum()) * people
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
                 "returns": "new_returns", "first_arrivals": "new_first_arrivals"}
COUNTRY_STOCKS = {"registered": "n_registered", "permits": "n_permits", "emigrants": "n_emigrants_in_country"}


def _indices(view: RunTables, kind: str, names: tuple[str, ...]) -> list[int]:
    """Positions of ``names`` among the run's ``kind``s (``*abroad`` and ``*`` expanded)."""
    pool = view.names_of(kind)
    if not pool:
        raise _Missing("unavailable", f"needs {TABLE_FILES[kind]} ({NOT_RECORDED[kind]})")
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
