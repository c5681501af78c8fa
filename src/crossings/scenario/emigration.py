"""The emigration part of a native scenario (``model: emigration``): agent attribute distributions, routes by
mode (road, foot, air), crossing capacities, departure hazards and the policy timeline, parsed once into
typed arrays (see docs/native-format.md, "The emigration model"). The emigration section
(:mod:`crossings.scenario.emigration_section`) calls these readers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from crossings.errors import InputError
from crossings.params.emigration import EmigrationSettings
from crossings.scenario import columns as col
from crossings.scenario.csvutil import parse_date
from crossings.scenario.model import CROSSING, DESTINATION, ORIGIN, Links, Locations, frozen_array
from crossings.scenario.native import both_ways, no_duplicate_route, route_ends

ROAD, FOOT, AIR = 0, 1, 2
ROUTE_MODES = ("road", "foot", "air")  # modes of routes.csv rows
CAR, ON_FOOT = 0, 1
TRAVEL_MODES = ("car", "foot")  # how an agent passes a land crossing
EMIGRATION_EVENTS = ("departure_hazard", "close_air_route", "bar_mode", "close_crossing", "return_hazard", "fare",
                     "capacity", "close_road")
HAZARD_EVENTS = ("departure_hazard", "return_hazard")  # multipliers of a subgroup's daily hazard
MAX_COUNT = 10**12  # largest daily seats or capacity accepted (people per day); more would overflow counts
# The tables, each column with its kind and (numbers) its range (crossings.scenario.columns)
ROUTES = col.table(
    col.text("from"), col.text("to"), col.text("mode"),
    col.number("distance_km", 0, col.MAX_DISTANCE_KM, "km", "a non-negative distance"),
    col.number("duration_days", 1e-6, 365, "days", "a positive number of days"),
    col.number("seats_per_day", 0, MAX_COUNT, "seats", "a non-negative number of seats (empty: unlimited)",
               whole=True),
    col.number("cost", 0, col.MAX_MONEY, "USD", col.AMOUNT))
CROSSINGS = col.table(col.text("crossing"), col.text("mode"),
                      col.number("capacity_per_day", 0, MAX_COUNT, "people", "a non-negative capacity (leave the "
                                 "crossing out for no limit)", whole=True))
DEPARTURES = col.table(col.text("origin"), col.text("category"),
                       col.number("daily_hazard", 0, 1, "", col.PROBABILITY))
PREFERENCES = col.table(col.text("category"), col.text("destination"),
                        col.number("weight", 0, col.MAX_FACTOR, "", col.WEIGHT))
EVENTS = col.table(col.date("date"), col.date("until"), col.text("event"), col.text("target"), col.text("other"),
                   col.number("value", 0, col.MAX_FACTOR, "", col.MULTIPLIER), col.text("sex"),
                   col.text("age_band"))
# locations.csv beyond the common columns
LOCATION_EXTRAS = col.table(
    col.number("attractiveness", 0, col.MAX_FACTOR, "", "a non-negative attractiveness"),
    col.number("cost_of_living", 0, 1e6, "USD/day", col.AMOUNT),
    col.number("transit", 0, 1, "", "a daily probability"),
    col.number("return_multiplier", 0, col.MAX_FACTOR, "", col.MULTIPLIER))
POLICY_TABLE = col.table(
    col.date("date"), col.date("until"), col.text("country"), col.text("policy"),
    col.number("days", 1, col.MAX_DAYS, "days", "a number of days ≥ 1", whole=True),
    col.number("window_days", 1, col.MAX_DAYS, "days", "a number of days ≥ 1", whole=True),
    col.number("probability", 0, 1, "", col.PROBABILITY),
    col.number("cost_usd", 0, col.MAX_MONEY, "USD", col.AMOUNT),
    col.number("waiting_days", 0, col.MAX_DAYS, "days", "a number of days ≥ 0", whole=True),
    col.number("weight", 0, col.MAX_FACTOR, "", col.WEIGHT),
    col.number("eligible", 0, 1, "", col.SHARE),
    col.number("holders", 0, 1, "", col.SHARE))
ROUTE_COLUMNS = tuple(ROUTES)
CROSSING_COLUMNS = tuple(CROSSINGS)
DEPARTURE_COLUMNS = tuple(DEPARTURES)
PREFERENCE_COLUMNS = tuple(PREFERENCES)
EVENT_COLUMNS = tuple(EVENTS)
LOCATION_COLUMNS = tuple(LOCATION_EXTRAS)
POLICIES = ("visa_free", "stay_limit", "tourist_ban", "visa", "residence_permit", "registration")
POLICY_COLUMNS = tuple(POLICY_TABLE)
# which columns each policy takes (required ones first; the rest optional)
POLICY_FIELDS = {
    "visa_free": (("days",), ("weight",)),
    "stay_limit": (("days", "window_days"), ()),
    "tourist_ban": ((), ()),
    "visa": (("probability",), ("cost_usd", "days", "holders")),
    "residence_permit": (("probability", "waiting_days"), ("cost_usd", "days", "weight", "eligible")),
    "registration": (("days",), ()),
}
ANY = "*"


@dataclass(frozen=True)
class Distribution:
    """A categorical attribute: its values (names) and the share of each (summing to 1)."""

    names: tuple[str, ...]
    shares: np.ndarray  # float64

    def index(self, name: str) -> int:
        return self.names.index(name)


@dataclass(frozen=True)
class Amount:
    """A money amount per agent: zero with probability 1 − share, else lognormal(median, sigma)."""

    median: float
    sigma: float
    share: float = 1.0


def in_force(row: EmigrationEvent | EntryPolicy, day: int) -> bool:
    """Whether an event or policy row holds on ``day``: from its start up to the day before its end (−1: never
    ends)."""
    return row.start <= day and (row.end < 0 or day < row.end)


@dataclass(frozen=True)
class EmigrationEvent:
    """One row of the policy timeline, with names resolved to indices (−1 = every one)."""

    kind: str  # one of EMIGRATION_EVENTS
    start: int  # day it takes effect
    end: int  # day it stops (−1: never)
    target: int  # location index (origin, crossing, air route end or a closed road's start), −1 = every origin
    other: int  # category, mode, the other air route end or a closed road's end; −1 = every one
    value: float  # multiplier (departure_hazard, return_hazard, fare, capacity)
    sex: int  # departure_hazard filter, −1 = both
    age_band: int  # departure_hazard filter, −1 = every band
    line: int


@dataclass(frozen=True)
class EntryPolicy:
    """One row of policies.csv: a destination country's entry rule from ``start`` up to ``end`` (−1: never
    ends). Unused numbers are −1 (days) or 0 (probability, cost)."""

    kind: str  # one of POLICIES
    start: int
    end: int
    country: int  # index into EmigrationSpec.countries
    days: int  # visa_free: days per entry; stay_limit: most days in the window; visa: days per entry (−1: no
    #            limit); residence_permit: validity (−1: unlimited); registration: days before a stay is registered
    window_days: int  # stay_limit: length of the window
    probability: float  # visa, residence_permit: approval probability
    cost: float  # visa, residence_permit: USD per application
    waiting_days: int  # residence_permit: days from application to decision
    line: int
    # residence_permit: × the settings' permit_weight, visa_free: × its visa_run_weight, when a stay runs out here
    weight: float = 1.0
    # residence_permit: the share of agents who may apply at all (a job, a company, property: a fixed trait)
    eligible: float = 1.0
    # visa: the share of people at risk who hold this visa (a fixed trait); 1 (empty): everyone may try at the border
    holders: float = 1.0


@dataclass(frozen=True)
class EmigrationSpec:
    """Everything the emigration rules need beyond the locations and links, validated and read-only."""

    settings: EmigrationSettings
    category: Distribution
    sex: Distribution
    age_band: Distribution
    travel_mode: Distribution  # names are always TRAVEL_MODES
    savings: Amount  # USD
    remote_income: Amount  # USD per month
    link_mode: np.ndarray  # int8 (K,) ROAD, FOOT or AIR
    link_duration: np.ndarray  # float64 (K,) days of an air route; NaN on land
    link_seats: np.ndarray  # int64 (K,) seats per day on an air route (−1 unlimited); 0 on land
    attractiveness: np.ndarray  # float64 (L,) weight of each destination (0 elsewhere)
    capacity: np.ndarray  # int64 (L, 2) people per day through a crossing by car / on foot (−1 unlimited)
    hazard: np.ndarray  # float64 (L, categories) base daily departure probability at each origin
    events: tuple[EmigrationEvent, ...]
    countries: tuple[str, ...]  # sorted country names (the "country" dimension of results)
    crossings: np.ndarray  # int32 location indices of crossings, file order (the "gate" dimension / 2)
    link_cost: np.ndarray  # float64 (K,) USD per person to travel the link (fare, smugglers' fee); 0 = free
    cost_of_living: np.ndarray  # float64 (L,) USD per person and day at the place
    transit: np.ndarray  # float64 (L,) daily probability that an agent settled at a transit place moves on
    policies: tuple[EntryPolicy, ...]  # policies.csv (empty: no entry rules)
    home_countries: np.ndarray  # int32 country codes holding origins (entry there is never refused)
    preference: np.ndarray | None = None  # float64 (categories, L) weight multiplying attractiveness; None = 1
    round_trip: np.ndarray | None = None  # bool (categories,) those back home rejoin the people at risk (travellers)
    return_multiplier: np.ndarray | None = None  # float64 (L,) multiplier of the return hazard there; None = 1

    def __post_init__(self) -> None:
        for f in ("link_mode", "link_duration", "link_seats", "attractiveness", "capacity", "hazard", "crossings",
                  "link_cost", "cost_of_living", "transit", "home_countries"):
            object.__setattr__(self, f, frozen_array(getattr(self, f)))
        for f in ("preference", "return_multiplier"):
            if getattr(self, f) is not None:
                object.__setattr__(self, f, frozen_array(getattr(self, f)))

    def attractiveness_of(self, category: int) -> np.ndarray:
        """Weights of destinations for leavers of one category (attractiveness × that category's preference)."""
        if self.preference is None:
            return self.attractiveness
        return self.attractiveness * self.preference[category]


# ---- scenario.yml: attribute distributions ---------------------------------------------------------------

AGENT_KEYS = ("category", "sex", "age_band", "travel_mode", "savings_usd", "remote_income_usd_per_month",
              "round_trip")
SHARE = col.number("share", 0, 1, "", "a number in 0..1")  # of each value of category, sex, age_band, travel_mode
_SIGMA = col.number("sigma", 0, 10, "", "a lognormal sigma")  # exp(10) ≈ 22,000 times the median at one sigma
# the money amounts of agents: (median, sigma[, share]) with their ranges
AMOUNTS = MappingProxyType({
    "savings_usd": col.table(col.number("median", 0, col.MAX_MONEY, "USD", col.AMOUNT), _SIGMA),
    "remote_income_usd_per_month": col.table(col.number("median", 0, 1e7, "USD/month", col.AMOUNT), _SIGMA,
                                             col.number("share", 0, 1, "", col.PROBABILITY)),
})
_DEFAULT_SHARES = {"category": {"all": 1.0}, "sex": {"female": 0.5, "male": 0.5}, "age_band": {"all": 1.0},
                   "travel_mode": {"car": 1.0}}


def _shares(path: Path, line: int | None, key: str, raw: Any, allowed: tuple[str, ...] | None) -> Distribution:
    if not isinstance(raw, dict) or not raw:
        raise InputError(path, line, f"agents.{key}", "must be a mapping of value: share")
    names, shares = [], []
    for name, share in raw.items():
        name = str(name)
        if allowed is not None and name not in allowed:
            raise InputError(path, line, f"agents.{key}", f"unknown value {name!r} (expected {', '.join(allowed)})")
        if name == ANY or not name:
            raise InputError(path, line, f"agents.{key}", f"{name!r} cannot name a value")
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
            raise InputError(path, line, f"agents.{key}", f"share of {name!r} is {share!r}, not a number in 0..1")
        SHARE.check(path, line, float(share), f"agents.{key}")
        names.append(name)
        shares.append(float(share))
    if abs(sum(shares) - 1.0) > 1e-6:
        raise InputError(path, line, f"agents.{key}", f"shares add up to {sum(shares):g}, not 1")
    if allowed is not None:  # fixed value sets keep their order, so codes are stable
        full = {n: 0.0 for n in allowed}
        full.update(zip(names, shares, strict=True))
        names, shares = list(full), list(full.values())
    return Distribution(tuple(names), np.array(shares) / sum(shares))


def _amount(path: Path, line: int | None, key: str, raw: Any) -> Amount:
    known = AMOUNTS[key]
    if not isinstance(raw, dict):
        raise InputError(path, line, f"agents.{key}", f"must be a mapping with {', '.join(known)}")
    vals: dict[str, float] = {}
    for k, v in raw.items():
        if k not in known:
            raise InputError(path, line, f"agents.{key}.{k}", f"unknown key (known: {', '.join(known)})")
        vals[k] = known[k].value(path, line, v, f"agents.{key}.{k}")
    return Amount(vals.get("median", 0.0), vals.get("sigma", 0.0), vals.get("share", 1.0))


def read_agents(path: Path, raw: Any, lines: dict[str, int]) -> dict[str, Any]:
    """The ``agents:`` mapping of scenario.yml: shares of category, sex, age band and travel mode, and the
    savings and remote income amounts. Missing entries take neutral defaults (one category ``all``, …)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError(path, lines.get("agents"), "agents", "must be a mapping")
    for key in raw:
        if key not in AGENT_KEYS:
            raise InputError(path, lines.get(f"agents.{key}"), f"agents.{key}",
                             f"unknown attribute (known: {', '.join(AGENT_KEYS)})")
    out: dict[str, Any] = {}
    for key in ("category", "sex", "age_band", "travel_mode"):
        allowed = TRAVEL_MODES if key == "travel_mode" else None
        out[key] = _shares(path, lines.get(f"agents.{key}"), key, raw.get(key, _DEFAULT_SHARES[key]), allowed)
    out["savings"] = _amount(path, lines.get("agents.savings_usd"), "savings_usd", raw.get("savings_usd", {}))
    out["remote_income"] = _amount(path, lines.get("agents.remote_income_usd_per_month"),
                                   "remote_income_usd_per_month",
                                   raw.get("remote_income_usd_per_month", {"share": 0.0}))
    rt = raw.get("round_trip", [])
    if not isinstance(rt, list) or any(c not in out["category"].names for c in rt):
        raise InputError(path, lines.get("agents.round_trip"), "agents.round_trip",
                         f"must be a list of categories (of {', '.join(out['category'].names)})")
    out["round_trip"] = np.array([c in rt for c in out["category"].names], dtype=bool)
    return out


# ---- routes.csv -----------------------------------------------------------------------------------------

def read_routes(rpath: Path, rows: list[tuple[int, dict[str, str]]], index: Mapping[str, int],
                locs: Locations) -> tuple[Links, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Links (both directions of every row) and, per link, its mode, flight duration, daily seats and cost."""
    out: list[dict[str, Any]] = []
    seen: dict[tuple[int, int, str], int] = {}
    for ln, r in rows:
        a, b = route_ends(rpath, ln, r, index)
        m = r.get("mode") or ""
        if m not in ROUTE_MODES:
            raise InputError(rpath, ln, "mode", f"unknown mode {m!r} (expected {', '.join(ROUTE_MODES)})")
        no_duplicate_route(rpath, ln, (a, b), m, seen, locs.name)
        code = ROUTE_MODES.index(m)
        d = 0.0
        if r.get("distance_km"):
            d = ROUTES["distance_km"].read(rpath, ln, r["distance_km"])
        elif code != AIR:
            raise InputError(rpath, ln, "distance_km", f"a {m} route needs a distance")
        days, n_seats = np.nan, 0
        if code == AIR:
            days = ROUTES["duration_days"].read(rpath, ln, r["duration_days"]) if r.get("duration_days") else 1.0
            n_seats = ROUTES["seats_per_day"].read(rpath, ln, r["seats_per_day"]) if r.get("seats_per_day") else -1
            for field, x in (("from", a), ("to", b)):
                if locs.kind[x] == CROSSING:
                    raise InputError(rpath, ln, field, f"{locs.name[x]!r} is a land crossing; flights cannot end there")
        else:
            for field in ("duration_days", "seats_per_day"):
                if r.get(field):
                    raise InputError(rpath, ln, field, f"only air routes have {field} (this route is {m})")
            if locs.country[a] != locs.country[b] and CROSSING not in (locs.kind[a], locs.kind[b]):
                raise InputError(rpath, ln, "to", f"a {m} route between {locs.country[a]} and {locs.country[b]} "
                                 "must start or end at a crossing")
        usd = ROUTES["cost"].read(rpath, ln, r["cost"]) if r.get("cost") else 0.0
        out.append({"from": a, "to": b, "line": ln, "distance": d, "mode": code, "duration": days, "seats": n_seats,
                    "cost": usd})
    k = both_ways(out)
    n = len(k["src"])

    def col(name: str, dtype: type) -> np.ndarray:
        return k[name].astype(dtype) if name in k else np.zeros(n, dtype=dtype)

    links = Links(src=k["src"], dst=k["dst"], distance=col("distance", np.float64), speed=np.full(n, np.nan),
                  walk_probability=np.zeros(n), line=k["line"])
    return links, col("mode", np.int8), col("duration", np.float64), col("seats", np.int64), col("cost", np.float64)


# ---- crossings.csv and departures.csv -------------------------------------------------------------------

def _place_of_kind(path: Path, line: int, field: str, name: str, index: Mapping[str, int], locs: Locations,
                   kind: int, what: str) -> int:
    """The index of the location ``name`` a row names in ``field``, which must exist and be of ``kind``."""
    if name not in index:
        raise InputError(path, line, field, f"unknown {field} {name!r} (not in locations.csv)")
    x = index[name]
    if locs.kind[x] != kind:
        raise InputError(path, line, field, f"{name!r} is not {what}")
    return x


def read_crossings(cpath: Path, rows: list[tuple[int, dict[str, str]]], index: Mapping[str, int],
                   locs: Locations) -> np.ndarray:
    """Daily capacity per crossing and travel mode, (L, 2); −1 (unlimited) where no row gives one."""
    cap = np.full((len(locs), len(TRAVEL_MODES)), -1, dtype=np.int64)
    seen: dict[tuple[int, int], int] = {}
    for ln, r in rows:
        name = r["crossing"]
        x = _place_of_kind(cpath, ln, "crossing", name, index, locs, CROSSING,
                           "a crossing (its kind is not 'crossing')")
        if r["mode"] not in TRAVEL_MODES:
            raise InputError(cpath, ln, "mode", f"unknown mode {r['mode']!r} (expected {', '.join(TRAVEL_MODES)})")
        m = TRAVEL_MODES.index(r["mode"])
        if (x, m) in seen:
            raise InputError(cpath, ln, "mode", f"{name!r} by {r['mode']} already given on line {seen[(x, m)]}")
        seen[(x, m)] = ln
        cap[x, m] = CROSSINGS["capacity_per_day"].read(cpath, ln, r["capacity_per_day"])
    return cap


def read_departures(dpath: Path, rows: list[tuple[int, dict[str, str]]], index: Mapping[str, int], locs: Locations,
                    category: Distribution) -> np.ndarray:
    """Base daily departure probability per origin and category, (L, categories)."""
    hazard = np.zeros((len(locs), len(category.names)))
    seen: dict[tuple[int, int], int] = {}
    for ln, r in rows:
        name = r["origin"]
        x = _place_of_kind(dpath, ln, "origin", name, index, locs, ORIGIN, "an origin")
        cat = r.get("category") or ANY
        if cat != ANY and cat not in category.names:
            raise InputError(dpath, ln, "category", f"unknown category {cat!r} (expected {', '.join(category.names)} "
                             "or *)")
        h = DEPARTURES["daily_hazard"].read(dpath, ln, r["daily_hazard"])
        cats = range(len(category.names)) if cat == ANY else [category.index(cat)]
        for c in cats:
            if (x, c) in seen:
                raise InputError(dpath, ln, "category", f"{name!r}, {category.names[c]!r} already given on line "
                                 f"{seen[(x, c)]}")
            seen[(x, c)] = ln
            hazard[x, c] = h
    return hazard


# ---- events.csv -----------------------------------------------------------------------------------------

def in_period(path: Path, line: int, text: str, start: Any, days: int, what: str,
              notices: list[str] | None = None) -> int:
    """The day number of the date ``text`` of an event or policy row, which must fall inside the scenario's period
    (from its start date for ``days`` days): an event dated outside it would never take effect, which is a
    mistake in the file. A policy dated after the period (``notices`` given) is allowed with a notice: it records
    a rule that came later (the demo's 2023 stay limit) and never takes effect in the run."""
    day = (parse_date(path, line, "date", text) - start).days
    if day < 0:
        raise InputError(path, line, "date", f"{text} is before the start date {start}")
    if day >= days:  # (a period of more days than the calendar holds has no such row: day < days)
        problem = (f"{text} is after the scenario's period ({start} for {days} days, to "
                   f"{start + dt.timedelta(days=days - 1)}); the {what} never takes effect")
        if notices is None:
            raise InputError(path, line, "date", problem)
        notices.append(f"{path}:{line}: date: {problem}")
    return day


def read_events(epath: Path, rows: list[tuple[int, dict[str, str]]], start: Any, index: Mapping[str, int],
                locs: Locations, links: Links, link_mode: np.ndarray, agents: dict[str, Any], days: int
                ) -> tuple[EmigrationEvent, ...]:
    """The policy timeline: departure and return hazard multipliers, air route closures and fares, road closures
    (one way), mode bars, crossing closures and capacity multipliers (each dated inside the period)."""
    pairs = {m: {(int(links.src[k]), int(links.dst[k])) for k in range(len(links)) if link_mode[k] == m}
             for m in (AIR, ROAD)}
    reader = _EventReader(epath, index, locs, agents, pairs[AIR], pairs[ROAD])
    out = []
    for ln, r in rows:
        day = in_period(epath, ln, r["date"], start, days, "event")
        ev = r["event"]
        if ev not in EMIGRATION_EVENTS:
            raise InputError(epath, ln, "event", f"unknown event {ev!r} for model emigration (expected "
                             f"{', '.join(EMIGRATION_EVENTS)})")
        end = -1
        if r.get("until"):
            end = (parse_date(epath, ln, "until", r["until"]) - start).days
            if end <= day:
                raise InputError(epath, ln, "until", f"{r['until']} is not after the event's date ({r['date']})")
        if ev not in HAZARD_EVENTS:
            for field in ("sex", "age_band"):
                if r.get(field):
                    raise InputError(epath, ln, field, f"only {' and '.join(HAZARD_EVENTS)} events take a {field} "
                                     "filter")
            if r.get("value") and ev not in ("fare", "capacity"):
                raise InputError(epath, ln, "value", f"{ev} takes no value")
        target, other, value, s_, a_ = reader.read(ln, ev, r)
        out.append(EmigrationEvent(ev, day, end, target, other, value, s_, a_, ln))
    return tuple(out)


class _EventReader:
    """The names and values of one events.csv row of each kind, resolved to indices (−1 = every one)."""

    def __init__(self, epath: Path, index: Mapping[str, int], locs: Locations, agents: Mapping[str, Any],
                 air_pairs: set[tuple[int, int]], road_pairs: set[tuple[int, int]]) -> None:
        self.epath, self.index, self.locs, self.agents, self.air_pairs = epath, index, locs, agents, air_pairs
        self.road_pairs = road_pairs  # (from, to) of every directed road link

    def read(self, ln: int, ev: str, r: Mapping[str, str]) -> tuple[int, int, float, int, int]:
        """(target, other, value, sex, age band) of a row whose event is ``ev``."""
        if ev in HAZARD_EVENTS:
            return self.hazard(ln, ev, r)
        if ev in ("close_air_route", "fare"):
            return self.air(ln, ev, r)
        if ev == "close_road":
            return self.road(ln, r)
        target = self.place(ln, "target", r["target"], CROSSING, "crossing")
        other, value = -1, 1.0
        if ev == "bar_mode":
            if r.get("other") not in TRAVEL_MODES:
                raise InputError(self.epath, ln, "other", f"unknown mode {r.get('other')!r} (expected "
                                 f"{', '.join(TRAVEL_MODES)})")
            other = TRAVEL_MODES.index(r["other"])
        elif ev == "capacity":
            mode = r.get("other", "")
            if mode not in (*TRAVEL_MODES, "", ANY):
                raise InputError(self.epath, ln, "other", f"unknown mode {mode!r} (expected "
                                 f"{', '.join(TRAVEL_MODES)} or *)")
            other = TRAVEL_MODES.index(mode) if mode in TRAVEL_MODES else -1
            value = self.multiplier(ln, r, "a capacity event needs a multiplier of the crossing's capacity")
        elif r.get("other"):  # close_crossing
            raise InputError(self.epath, ln, "other", "close_crossing names only its target")
        return target, other, value, -1, -1

    def hazard(self, ln: int, ev: str, r: Mapping[str, str]) -> tuple[int, int, float, int, int]:
        target = -1
        if r["target"] != ANY:
            target = self.place(ln, "target", r["target"], ORIGIN, "origin")
        other = self.pick(ln, "other", r.get("other", ""), self.agents["category"], "category")
        if not r.get("value"):
            raise InputError(self.epath, ln, "value", f"a {ev} needs a multiplier")
        value = EVENTS["value"].read(self.epath, ln, r["value"])
        return (target, other, value, self.pick(ln, "sex", r.get("sex", ""), self.agents["sex"], "sex"),
                self.pick(ln, "age_band", r.get("age_band", ""), self.agents["age_band"], "age band"))

    def ends(self, ln: int, r: Mapping[str, str]) -> tuple[int, int]:
        """The places ``target`` and ``other`` of a route event, as location indices."""
        for field in ("target", "other"):
            if r.get(field, "") not in self.index:
                raise InputError(self.epath, ln, field, f"unknown location {r.get(field, '')!r} (not in "
                                 "locations.csv)")
        return self.index[r["target"]], self.index[r["other"]]

    def road(self, ln: int, r: Mapping[str, str]) -> tuple[int, int, float, int, int]:
        """A ``close_road`` row: its two places must be the start and end of a road link (routes.csv, mode road)."""
        target, other = self.ends(ln, r)
        if (target, other) not in self.road_pairs:
            hint = " (that is an air route: close_air_route closes it)" if (target, other) in self.air_pairs else ""
            raise InputError(self.epath, ln, "other", f"no road from {r['target']!r} to {r['other']!r} in "
                             f"routes.csv{hint}")
        return target, other, 1.0, -1, -1

    def air(self, ln: int, ev: str, r: Mapping[str, str]) -> tuple[int, int, float, int, int]:
        target, other = self.ends(ln, r)
        if (target, other) not in self.air_pairs:
            raise InputError(self.epath, ln, "other", f"no air route between {r['target']!r} and {r['other']!r}")
        value = 1.0
        if ev == "fare":
            value = self.multiplier(ln, r, "a fare event needs a multiplier of the route's cost")
        return target, other, value, -1, -1

    def multiplier(self, ln: int, r: Mapping[str, str], missing: str) -> float:
        if not r.get("value"):
            raise InputError(self.epath, ln, "value", missing)
        return float(EVENTS["value"].read(self.epath, ln, r["value"]))

    def pick(self, ln: int, field: str, value: str, dist: Distribution, what: str) -> int:
        if value in ("", ANY):
            return -1
        if value not in dist.names:
            raise InputError(self.epath, ln, field, f"unknown {what} {value!r} (expected {', '.join(dist.names)} "
                             "or *)")
        return dist.index(value)

    def place(self, ln: int, field: str, value: str, kind: int, what: str) -> int:
        if value not in self.index:
            raise InputError(self.epath, ln, field, f"unknown {what} {value!r} (not in locations.csv)")
        if self.locs.kind[self.index[value]] != kind:
            raise InputError(self.epath, ln, field, f"{value!r} is not a {what}" if what[0] not in "aeiou" else
                             f"{value!r} is not an {what}")
        return self.index[value]


def check_locations(lpath: Path, locs: Locations, lines: list[int], attractiveness: np.ndarray) -> None:
    """Cross-row checks of an emigration scenario's places (at least one origin and one destination)."""
    for kind, what in ((ORIGIN, "origin"), (DESTINATION, "destination")):
        if not (locs.kind == kind).any():
            raise InputError(lpath, None, "kind", f"an emigration scenario needs at least one {what}")
    for i in range(len(locs)):
        if attractiveness[i] and locs.kind[i] != DESTINATION:
            raise InputError(lpath, lines[i], "attractiveness", "only destinations have an attractiveness")


def check_reachable(lpath: Path, locs: Locations, lines: list[int], links: Links) -> None:
    """Every origin must reach some destination, and every destination be reached from some origin, over
    routes.csv (ignoring closures; every route runs both ways): people at an origin with no way out would silently
    never leave, and a destination nobody can reach would silently stay empty; both are mistakes in the files, not
    findings. The error names the place's line of locations.csv."""
    group = np.arange(len(locs))  # connected groups of places (union-find over the routes)

    def root(x: int) -> int:
        while group[x] != x:
            group[x] = group[group[x]]
            x = int(group[x])
        return x

    for a, b in zip(links.src.tolist(), links.dst.tolist(), strict=True):
        group[root(a)] = root(b)
    roots = np.array([root(i) for i in range(len(locs))])
    for kind, other, problem in ((ORIGIN, DESTINATION, "has no route to any destination"),
                                 (DESTINATION, ORIGIN, "cannot be reached from any origin")):
        reached = set(roots[locs.kind == other].tolist())
        for i in np.flatnonzero(locs.kind == kind).tolist():
            if roots[i] not in reached:
                what = "origin" if kind == ORIGIN else "destination"
                raise InputError(lpath, lines[i], "name", f"{what} {locs.name[i]!r} {problem} (routes.csv)")


def read_preferences(path: Path, rows: list[tuple[int, dict[str, str]]], index: Mapping[str, int], locs: Locations,
                     category: Distribution) -> np.ndarray:
    """preferences.csv ``category,destination,weight``: a category's weight for a destination (or for every
    destination of a country), multiplying its attractiveness; pairs not given weigh 1."""
    pref = np.ones((len(category.names), len(locs)))
    seen: dict[tuple[int, int], int] = {}
    countries = set(locs.country)
    for ln, r in rows:
        cat = r["category"]
        if cat != ANY and cat not in category.names:
            raise InputError(path, ln, "category", f"unknown category {cat!r} (expected {', '.join(category.names)} "
                             "or *)")
        cats = range(len(category.names)) if cat == ANY else [category.index(cat)]
        target = r["destination"]
        if target in index:
            places = [index[target]]
            if locs.kind[places[0]] != DESTINATION:
                raise InputError(path, ln, "destination", f"{target!r} is not a destination")
        elif target in countries:
            places = [i for i in range(len(locs)) if locs.country[i] == target and locs.kind[i] == DESTINATION]
        else:
            raise InputError(path, ln, "destination", f"{target!r} is neither a destination nor a country")
        weight = PREFERENCES["weight"].read(path, ln, r["weight"])
        for c in cats:
            for i in places:
                if (c, i) in seen:
                    raise InputError(path, ln, "destination", f"{category.names[c]!r}, {locs.name[i]!r} already "
                                     f"weighed on line {seen[c, i]}")
                seen[c, i] = ln
                pref[c, i] = weight
    return pref


def read_location_extras(lpath: Path, rows: list[tuple[int, dict[str, str]]], locs: Locations
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``cost_of_living`` (USD per person and day, any place, default 0), ``transit`` (daily probability of
    moving on, destinations only, default 0: not a transit place) and ``return_multiplier`` (multiplier of the
    return hazard of agents settled there, destinations only, default 1; None when no row sets one) of
    locations.csv."""
    living = np.zeros(len(locs))
    transit = np.zeros(len(locs))
    ret = np.ones(len(locs))
    for i, (ln, r) in enumerate(rows):
        if r.get("cost_of_living"):
            living[i] = LOCATION_EXTRAS["cost_of_living"].read(lpath, ln, r["cost_of_living"])
        if r.get("transit"):
            transit[i] = LOCATION_EXTRAS["transit"].read(lpath, ln, r["transit"])
            if transit[i] and locs.kind[i] != DESTINATION:
                raise InputError(lpath, ln, "transit", "only destinations can be transit places")
        if r.get("return_multiplier"):
            ret[i] = LOCATION_EXTRAS["return_multiplier"].read(lpath, ln, r["return_multiplier"])
            if ret[i] != 1 and locs.kind[i] != DESTINATION:
                raise InputError(lpath, ln, "return_multiplier", "only destinations have a return multiplier")
    return living, transit, (None if (ret == 1).all() else ret)


def read_policies(ppath: Path, rows: list[tuple[int, dict[str, str]]], start: Any, countries: tuple[str, ...],
                  home: set[str], days: int, notices: list[str]) -> tuple[EntryPolicy, ...]:
    """policies.csv: per destination country, entry rules on a timeline (docs/native-format.md), none dated before
    the period (one dated after it adds a notice to ``notices``)."""
    out = []
    for ln, r in rows:
        day = in_period(ppath, ln, r["date"], start, days, "policy", notices)
        end = -1
        if r.get("until"):
            end = (parse_date(ppath, ln, "until", r["until"]) - start).days
            if end <= day:
                raise InputError(ppath, ln, "until", f"{r['until']} is not after the policy's date ({r['date']})")
        c = r["country"]
        if c not in countries:
            raise InputError(ppath, ln, "country", f"unknown country {c!r} (no location in locations.csv has it)")
        if c in home:
            raise InputError(ppath, ln, "country", f"{c!r} holds origins; entry policies apply to destinations "
                             "abroad")
        kind = r["policy"]
        if kind not in POLICIES:
            raise InputError(ppath, ln, "policy", f"unknown policy {kind!r} (expected {', '.join(POLICIES)})")
        required, optional = POLICY_FIELDS[kind]
        for field in POLICY_COLUMNS[4:]:
            if field in required and not r.get(field):
                raise InputError(ppath, ln, field, f"a {kind} policy needs {field}")
            if r.get(field) and field not in required and field not in optional:
                raise InputError(ppath, ln, field, f"a {kind} policy takes no {field}")
        vals: dict[str, Any] = {"days": -1, "window_days": -1, "waiting_days": 0, "probability": 0.0, "cost_usd": 0.0}
        vals.update({"weight": 1.0, "eligible": 1.0, "holders": 1.0})
        for field in ("days", "window_days", "waiting_days", "probability", "cost_usd", "weight", "eligible",
                      "holders"):
            if r.get(field):
                vals[field] = POLICY_TABLE[field].read(ppath, ln, r[field])
        weight, eligible = vals["weight"], vals["eligible"]
        if kind == "stay_limit" and vals["days"] > vals["window_days"]:
            raise InputError(ppath, ln, "days", f"{vals['days']} days do not fit in a window of "
                             f"{vals['window_days']}")
        out.append(EntryPolicy(kind, day, end, countries.index(c), vals["days"], vals["window_days"],
                               vals["probability"], vals["cost_usd"], vals["waiting_days"], ln, weight, eligible,
                               vals["holders"]))
    return tuple(out)
