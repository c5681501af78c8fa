"""The observation model: what a run of the emigration model records each day (entries, exits and people
present per country; queues, passages and waits per crossing and mode; seats per flight; people still at
home; refusals, visa runs, permits, registered stays, onward moves and returns), the check mode's
double-entry tests of those stocks and flows, and their aggregation over a period into rows shaped like
shared/data/russia2022/observations.csv."""

from __future__ import annotations

import operator
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from crossings.engine.models.emigration import kernels_c
from crossings.engine.models.emigration.counters import counted_in, emigrant_categories, tally
from crossings.engine.models.emigration.movement import next_link
from crossings.engine.models.emigration.state import PERMIT, QUEUED, RETURNED, SEAT_WAIT
from crossings.params.emigration import LONG_STAY_DAYS
from crossings.results.schema import (
    GRAPH_DIMS,
    LINK_SERIES,
    PLACE_SERIES,
    DimSpec,
    Labels,
    Schema,
    SeriesSpec,
    graph_dims,
)
from crossings.scenario.emigration import AIR
from crossings.scenario.model import CROSSING, DESTINATION

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation
    from crossings.results import Results


# Recorded only by the emigration model, beside the place and link series. Dimensions: "country"
# (Scenario.emigration.countries), "gate" (each crossing by travel mode: 2 × crossing + 0 for car, + 1 for foot),
# "category" (of leavers), and location or link.
EMIGRATION_SERIES: dict[str, tuple[str, str, str]] = {
    "n_at_home": ("people", "stock", "location"),  # people at risk still at home (origins)
    "n_in_country": ("agents", "stock", "country"),  # at a place there, or on a link counted there
    "n_emigrants_in_country": ("agents", "stock", "country"),  # of those, the emigrants: not round-trip, not back
    "new_entries": ("agents/day", "flow", "country"),  # every arrival into the country from another
    "new_exits": ("agents/day", "flow", "country"),  # every departure out of the country into another
    "new_left_home": ("agents/day", "flow", "country"),  # people who left home, by home country
    "n_queue": ("agents", "stock", "gate"),  # queued at a crossing by mode
    "new_queue_joins": ("agents/day", "flow", "gate"),
    "new_passages": ("agents/day", "flow", "gate"),  # let through the crossing
    "new_queue_gave_up": ("agents/day", "flow", "gate"),  # left the queue to re-plan
    "sum_wait_days": ("agent-days/day", "flow", "gate"),  # days waited by the day's passers, summed
    "n_seat_wait": ("agents", "stock", "link"),  # waiting for a seat on a flight
    "new_seat_joins": ("agents/day", "flow", "link"),
    "new_boarded": ("agents/day", "flow", "link"),  # got a seat (== new_link_entries of a flight)
    "new_missed_seat": ("agents/day", "flow", "link"),  # waited today and got no seat
    "new_seat_gave_up": ("agents/day", "flow", "link"),  # stopped waiting to re-plan
    # entry policy, stays, permits, money, onward moves and returns (the observation model, second part)
    "new_border_crossings": ("agents/day", "flow", "link"),  # changed country over the link (visa runs too)
    "new_turned_back": ("agents/day", "flow", "gate"),  # refused entry as the crossing let them through
    "new_refused": ("agents/day", "flow", "country"),  # refused entry (at crossings and on landing)
    "new_overstays": ("agents/day", "flow", "country"),  # allowed stays that ran out
    "new_visa_runs": ("agents/day", "flow", "country"),  # each is also an exit and an entry of the country
    "new_permit_applications": ("agents/day", "flow", "country"),
    "new_permits_granted": ("agents/day", "flow", "country"),
    "new_permits_refused": ("agents/day", "flow", "country"),
    "new_permits_ended": ("agents/day", "flow", "country"),  # expired, or the holder left the country
    "n_permits": ("agents", "stock", "country"),  # residence permit holders present
    "new_registrations": ("agents/day", "flow", "country"),  # stays reaching the registration threshold
    "n_registered": ("agents", "stock", "country"),  # present in a stay at least that long
    "new_long_stays": ("agents/day", "flow", "country"),  # stays reaching LONG_STAY_DAYS: immigrants
    "new_broke": ("agents/day", "flow", "country"),  # savings ran out there
    "new_onward": ("agents/day", "flow", "country"),  # started an onward move from a transit place
    "new_returns": ("agents/day", "flow", "country"),  # went home, by the country they returned from
    "new_returned_home": ("agents/day", "flow", "location"),  # went home, by origin
    "n_returned": ("agents", "stock", "location"),  # returned agents at each origin
    # emigrants only (categories that are not round trips): first arrivals per country, returns by place
    "new_first_arrivals": ("agents/day", "flow", "country"),  # entered it for the first time since leaving home
    "new_emigrant_returns": ("agents/day", "flow", "location"),  # went home, by the place they returned from
    # by category of leaver (Scenario.emigration.category): who left, who came back, who is away
    "cat_left_home": ("agents/day", "flow", "category"),
    "cat_returned": ("agents/day", "flow", "category"),  # went home that day
    "cat_away": ("agents", "stock", "category"),  # left and not returned (abroad or on the way)
}
TRAVEL_MODE_NAMES = ("car", "foot")  # the gate dimension's modes, in gate order (2 × crossing + mode)
SERIES: Mapping[str, SeriesSpec] = MappingProxyType(
    {**PLACE_SERIES, **LINK_SERIES, **{k: SeriesSpec(*v) for k, v in EMIGRATION_SERIES.items()}})
COUNTRY_DIM = DimSpec("country", "countries", ("country",), "{country}")
# Each crossing by travel mode, the one place that names a gate: labelled ``crossing/mode``; in tables, its
# crossing, the crossing's country and the mode.
GATE_DIM = DimSpec("gate", "crossings", ("crossing", "country", "mode"), "{crossing}/{mode}",
                   ratios=(("mean_wait_days", "sum_wait_days", "new_passages"),))
CATEGORY_DIM = DimSpec("category", "categories", ("category",), "{category}")
DIMENSIONS: Mapping[str, DimSpec] = MappingProxyType(
    {**GRAPH_DIMS, "country": COUNTRY_DIM, "gate": GATE_DIM, "category": CATEGORY_DIM})


def schema(sc: Any) -> Schema:
    """The series an emigration run records and its dimensions: places and links, countries, crossings by
    travel mode (gate ``2 × crossing + mode``), categories."""
    em = sc.emigration
    names = sc.locations.name
    cross = [int(x) for x in em.crossings]
    modes = len(TRAVEL_MODE_NAMES)
    gate = np.arange(modes * len(cross), dtype=np.int32)
    dims = graph_dims(sc.locations, sc.links)
    dims["country"] = COUNTRY_DIM.of({"country": _numbered(em.countries)})
    dims["gate"] = GATE_DIM.of({"crossing": Labels(gate // modes, tuple(names[x] for x in cross)),
                                "country": Labels(gate // modes, tuple(sc.locations.country[x] for x in cross)),
                                "mode": Labels(gate % modes, TRAVEL_MODE_NAMES)})
    dims["category"] = CATEGORY_DIM.of({"category": _numbered(em.category.names)})
    return Schema(dict(SERIES), dims)


def _numbered(names: Any) -> Labels:
    """One entity per name, in order."""
    return Labels(np.arange(len(names), dtype=np.int32), tuple(names))


# The series recorded as copies of the day's stocks and flows: (series, world or eflows attribute); then the place
# series (crossings.engine.places.record_places) from the world's and the day flows' arrays.
_WORLD_COPIES = (("n_in_country", "in_country"), ("n_emigrants_in_country", "emigrants"), ("n_queue", "queue"),
                 ("n_seat_wait", "seat_wait"), ("n_registered", "registered"), ("n_permits", "permits"))
_FLOW_COPIES = (
    ("new_entries", "entries"), ("new_exits", "exits"), ("new_left_home", "left_home"), ("new_queue_joins", "joins"),
    ("new_passages", "passages"), ("new_queue_gave_up", "gave_up"), ("sum_wait_days", "wait_sum"),
    ("new_seat_joins", "seat_joins"), ("new_boarded", "boarded"), ("new_missed_seat", "missed_seat"),
    ("new_seat_gave_up", "seat_gave_up"), ("new_border_crossings", "border"), ("new_turned_back", "turned_back"),
    ("new_refused", "refused"), ("new_overstays", "overstays"), ("new_visa_runs", "visa_runs"),
    ("new_permit_applications", "applications"), ("new_permits_granted", "granted"),
    ("new_permits_refused", "permits_refused"), ("new_permits_ended", "permits_ended"),
    ("new_registrations", "registrations"), ("new_broke", "broke"), ("new_onward", "onward"),
    ("new_returns", "returns"), ("new_returned_home", "returned_home"), ("cat_left_home", "cat_left"),
    ("cat_returned", "cat_returned"), ("new_first_arrivals", "first_arrivals"),
    ("new_emigrant_returns", "emigrant_returns"))
_PLACE_COPIES = (("n_present", "present"), ("n_on_link", "on_link"))
_PLACE_FLOW_COPIES = (("new_spawned", "spawned"), ("new_arrivals", "arrivals"), ("new_departures", "departures"),
                      ("new_link_entries", "link_entries"), ("new_link_exits", "link_exits"))
_COPIED_WORLD = operator.attrgetter(*(a for _, a in _WORLD_COPIES))
_COPIED_FLOWS = operator.attrgetter(*(a for _, a in _FLOW_COPIES))
_COPIED_PLACES = operator.attrgetter(*(a for _, a in _PLACE_COPIES))
_COPIED_PLACE_FLOWS = operator.attrgetter(*(a for _, a in _PLACE_FLOW_COPIES))
_COPIED = tuple(name for name, _ in _WORLD_COPIES + _FLOW_COPIES + _PLACE_COPIES + _PLACE_FLOW_COPIES)


def _targets(sim: Simulation, res: Results) -> tuple[np.ndarray, ...]:
    """The series arrays of ``res`` the copies go to, in the order of ``_COPIED`` (looked up once per run)."""
    got = getattr(sim, "_record_targets", None)
    if got is None or got[0] is not res:
        got = sim._record_targets = (res, tuple(res.series[name] for name in _COPIED))
    return got[1]


def record(res: Results, sim: Simulation, day: int) -> None:
    """Store the day's emigration stocks and flows in ``res`` (series named as in :data:`EMIGRATION_SERIES`).
    Stocks the rules do not keep (emigrants per country, stays by length) come from the run's
    :class:`~crossings.engine.models.emigration.counters.Tally`, brought up to date from the rows that changed."""
    w, f, s = sim.world, sim.eflows, res.series
    t = tally(sim)
    t.sync(sim)
    long, new_reg = t.stays_on(sim, day)
    f.registrations += new_reg
    home = s["n_at_home"][day]
    home[w.origins] = w.at_home.reshape(len(w.origins), -1).sum(axis=1)
    s["new_long_stays"][day] = long
    copies = _COPIED_WORLD(w) + _COPIED_FLOWS(f) + _COPIED_PLACES(sim.world) + _COPIED_PLACE_FLOWS(sim.flows)
    if sim.kernel == "compiled":  # one call copies every row (kernels_c.copy_rows)
        kernels_c.copy_rows(sim, "record", day, copies, _targets(sim, res))
    else:
        for value, target in zip(copies, _targets(sim, res), strict=True):
            target[day] = value
    if day > 0:
        np.add(s["n_returned"][day - 1], f.returned_home, out=s["n_returned"][day])
        np.add(s["cat_away"][day - 1], f.cat_left - f.cat_returned, out=s["cat_away"][day])
    else:
        s["n_returned"][day] = f.returned_home
        s["cat_away"][day] = f.cat_left - f.cat_returned
    if sim.check:
        check_counters(res, sim, day)
        balance(res, sim, day)


def stay_counts(sim: Simulation, day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A fresh count over the agent table, per country, of the stays reaching LONG_STAY_DAYS today, those
    reaching the country's registration_days today, and those that have lasted at least that long."""
    a, w = sim.agents, sim.world
    reg = w.registration_days
    abroad = np.flatnonzero(a.stay_country >= 0)
    c = a.stay_country[abroad].astype(np.int64)
    lasted = day - a.entry_day[abroad].astype(np.int64)
    n_c = len(w.in_country)
    on = reg[c] >= 0
    return (np.bincount(c[lasted == LONG_STAY_DAYS], minlength=n_c),
            np.bincount(c[on & (lasted == reg[c])], minlength=n_c),
            np.bincount(c[on & (lasted >= reg[c])], minlength=n_c))


def check_counters(res: Results, sim: Simulation, day: int) -> None:
    """The check mode's proof that the counts kept incrementally (counters.py) equal a fresh count of the
    agent table today: emigrants per country, stays reaching 183 days, registrations and registered stays."""
    s = res.series
    _same(day, "emigrants per country (kept) against a count of the agents", s["n_emigrants_in_country"][day],
          emigrants_by_country(sim))
    long, new_reg, registered = stay_counts(sim, day)
    _same(day, "stays reaching LONG_STAY_DAYS (kept) against a count", s["new_long_stays"][day], long)
    _same(day, "stays registered today (kept) against a count", s["new_registrations"][day], new_reg)
    _same(day, "registered stays (kept) against a count", s["n_registered"][day], registered)


def emigrants_by_country(sim: Simulation) -> np.ndarray:
    """Agents away from home whose category is not a round trip, by the country they are in (counted as
    ``n_in_country`` counts them): the emigrants that a country's stock of people present mixes with travellers.
    A fresh count over the agent table (the run keeps it as ``world.emigrants``; the check mode compares)."""
    a, w = sim.agents, sim.world
    keep = (a.state != RETURNED) & emigrant_categories(sim)[a.category]
    return np.bincount(counted_in(sim, np.flatnonzero(keep)), minlength=len(w.in_country))


def census(sim: Simulation, day: int) -> None:
    """Stocks kept by the rules equal a count of the agents (nobody created or lost, nobody double counted)."""
    a, w = sim.agents, sim.world
    counted = np.bincount(counted_in(sim), minlength=len(w.in_country))
    counted += np.bincount(w.country, weights=w.retired, minlength=len(counted)).astype(np.int64)  # dropped rows
    _same(day, "agents per country", counted, w.in_country)
    q = np.flatnonzero(a.state == QUEUED)
    gid = w.gates[a.loc[q], a.travel_mode[q]]
    if (gid < 0).any():
        raise AssertionError(f"day {day}: {int((gid < 0).sum())} agents queue at a place that is not a crossing")
    _same(day, "agents queued per crossing and mode", np.bincount(gid, minlength=len(w.queue)), w.queue)
    s = np.flatnonzero(a.state == SEAT_WAIT)
    lk = next_link(sim, s)
    if (sim.scenario.emigration.link_mode[lk] != AIR).any():
        raise AssertionError(f"day {day}: agents wait for a seat on a route that is not a flight")
    _same(day, "agents waiting for seats per flight", np.bincount(lk, minlength=len(w.seat_wait)), w.seat_wait)
    held = a.permit == PERMIT
    if (a.stay_country[held] < 0).any():
        raise AssertionError(f"day {day}: permit holders outside any stay")
    _same(day, "permit holders per country", np.bincount(a.stay_country[held], minlength=len(w.permits)), w.permits)
    here = np.flatnonzero((a.stay_country >= 0) & (a.link < 0))
    if (w.country[a.loc[here]] != a.stay_country[here]).any():
        raise AssertionError(f"day {day}: agents at a place outside the country of their stay")
    back = a.state == RETURNED
    if (a.loc[back] != a.home[back]).any():
        raise AssertionError(f"day {day}: returned agents away from home")
    population = int(sim.scenario.locations.population[w.origins].sum())
    rt = sim.scenario.emigration.round_trip
    if rt is not None:  # returned travellers are at home again and still have their (returned or dropped) row
        population += int((back & rt[a.category]).sum()) + w.retired_travellers
    rows = len(a) + int(w.retired.sum())
    if int(w.at_home.sum()) + rows != population or (w.at_home < 0).any():
        raise AssertionError(f"day {day}: {int(w.at_home.sum())} at home + {rows} agents != population "
                             f"at risk {population}")


def balance(res: Results, sim: Simulation, day: int) -> None:
    """Each stock changed by exactly its flows since yesterday (day 0: since the empty start)."""
    s = res.series

    def delta(name: str) -> np.ndarray:
        return s[name][day] - (s[name][day - 1] if day > 0 else 0)

    home0 = np.zeros(len(sim.world.present), dtype=np.int64)
    home0[sim.world.origins] = sim.scenario.locations.population[sim.world.origins]
    d_home = s["n_at_home"][day] - (s["n_at_home"][day - 1] if day > 0 else home0)
    checks = [
        ("people at home", d_home, -s["new_spawned"][day] + sim.eflows.travellers_back),
        ("agents per location", delta("n_present"),
         s["new_spawned"][day] + s["new_arrivals"][day] - s["new_departures"][day]),
        ("agents per link", delta("n_on_link"), s["new_link_entries"][day] - s["new_link_exits"][day]),
        ("agents per country", delta("n_in_country"),
         s["new_left_home"][day] + s["new_entries"][day] - s["new_exits"][day]),
        ("queue per crossing and mode", delta("n_queue"),
         s["new_queue_joins"][day] - s["new_passages"][day] - s["new_queue_gave_up"][day]
         - s["new_turned_back"][day]),
        ("permit holders per country", delta("n_permits"), s["new_permits_granted"][day] - s["new_permits_ended"][day]),
        ("returned agents per origin", delta("n_returned"), s["new_returned_home"][day]),
        ("seat waits per flight", delta("n_seat_wait"),
         s["new_seat_joins"][day] - s["new_boarded"][day] - s["new_seat_gave_up"][day]),
    ]
    rt = sim.scenario.emigration.round_trip
    emigrant = np.ones(s["cat_away"].shape[1], dtype=bool) if rt is None else ~rt
    checks.append(("emigrants away = emigrants counted per country", np.array([s["cat_away"][day][emigrant].sum()]),
                   np.array([s["n_emigrants_in_country"][day].sum()])))
    air = sim.scenario.emigration.link_mode == AIR
    checks.append(("boardings", s["new_boarded"][day], np.where(air, s["new_link_entries"][day], 0)))
    checks.append(("entries and exits overall", np.array([s["new_entries"][day].sum()]),
                   np.array([s["new_exits"][day].sum()])))
    sc = sim.scenario
    n_c = len(sc.emigration.countries)
    w = sim.world
    border = s["new_border_crossings"][day]
    home_in = np.bincount(w.country, weights=s["new_returned_home"][day], minlength=n_c).astype(np.int64)
    checks.append(("entries per country = border crossings into it + returns home",
                   s["new_entries"][day],
                   np.bincount(w.country[sc.links.dst], weights=border, minlength=n_c).astype(np.int64) + home_in))
    checks.append(("exits per country = border crossings out of it + returns from it", s["new_exits"][day],
                   np.bincount(w.country[sc.links.src], weights=border, minlength=n_c).astype(np.int64)
                   + s["new_returns"][day]))
    for what, got, want in checks:
        _same(day, f"change of {what}", got, want)


def _same(day: int, what: str, got: np.ndarray, want: np.ndarray) -> None:
    if not np.array_equal(got, want):
        bad = np.flatnonzero(np.asarray(got) != np.asarray(want))[:3]
        raise AssertionError(f"day {day}: {what}: got {np.asarray(got)[bad]}, expected {np.asarray(want)[bad]} "
                             f"at positions {bad}")


# ---- aggregation over a period, in the shape of shared/data/russia2022/observations.csv ---------------------

OBSERVATION_COLUMNS = ("date_or_period_start", "period_end", "destination_country", "crossing_or_city", "measure",
                       "value")
# country-level measures: (measure, series, how) with how "sum" over the period's days or "end" (its last day)
COUNTRY_MEASURES = (
    ("entries", "new_entries", "sum"), ("exits", "new_exits", "sum"), ("net", None, "net"),
    ("stock", "n_in_country", "end"), ("visa_runs", "new_visa_runs", "sum"), ("refused", "new_refused", "sum"),
    ("registrations", "new_registrations", "sum"), ("registered", "n_registered", "end"),
    ("permit_applications", "new_permit_applications", "sum"), ("permits_granted", "new_permits_granted", "sum"),
    ("permits", "n_permits", "end"), ("returns", "new_returns", "sum"), ("onward_moves", "new_onward", "sum"),
)


def border_points(sc: Any) -> list[tuple[int, int, str, str]]:
    """(link, country code, point name, "entries" or "exits") for each way a link changes country: entries of
    the country at its end and exits of the country at its start, at the crossing the link touches, or for a
    flight at the airport on that country's side."""
    locs, links, em = sc.locations, sc.links, sc.emigration
    code = {c: i for i, c in enumerate(em.countries)}
    country = [code[c] for c in locs.country]
    out = []
    for k in range(len(links)):
        s, d = int(links.src[k]), int(links.dst[k])
        if country[s] == country[d]:
            continue
        cross = s if locs.kind[s] == CROSSING else d if locs.kind[d] == CROSSING else -1
        out.append((k, country[d], locs.name[cross if cross >= 0 else d], "entries"))
        out.append((k, country[s], locs.name[cross if cross >= 0 else s], "exits"))
    return out


def observations(res: Results, start: Any = None, end: Any = None) -> list[tuple[str, str, str, str, str, int]]:
    """Rows (period start, period end, country, crossing or city, measure, value) for the days start..end
    (both included; dates or day numbers; default the whole run). Per country ("country"): the sums of the
    period's flows (entries — visa runs included —, exits, net = entries − exits, visa runs, refusals,
    registrations, permit applications and grants, returns from it, onward moves) and the stocks on its last
    day (stock present, registered stays, permit holders). Per crossing or airport: entries and exits over it.
    Per destination city: the stock on the last day."""
    sc = res.scenario

    def day_of(x: Any, default: int) -> int:
        if x is None:
            return default
        return int(x) if isinstance(x, int | np.integer) else (x - sc.start_date).days

    d0, d1 = day_of(start, 0), day_of(end, res.days - 1)
    if not 0 <= d0 <= d1 < res.days:
        raise ValueError(f"period days {d0}..{d1} are not within the run's 0..{res.days - 1}")
    p0, p1 = sc.date_of(d0).isoformat(), sc.date_of(d1).isoformat()
    s = res.series
    em = sc.emigration
    rows: list[tuple[str, str, str, str, str, int]] = []
    span = slice(d0, d1 + 1)
    for c, name in enumerate(em.countries):
        vals: dict[str, int] = {}
        for measure, series, how in COUNTRY_MEASURES:
            if how == "sum":
                vals[measure] = int(s[series][span, c].sum())
            elif how == "end":
                vals[measure] = int(s[series][d1, c])
            else:
                vals[measure] = vals["entries"] - vals["exits"]
            rows.append((p0, p1, name, "country", measure, vals[measure]))
    totals: dict[tuple[int, str, str], int] = {}
    border = s["new_border_crossings"][span].sum(axis=0)
    for k, c, point, measure in border_points(sc):
        key = (c, point, measure)
        totals[key] = totals.get(key, 0) + int(border[k])
    for (c, point, measure), v in sorted(totals.items()):
        rows.append((p0, p1, em.countries[c], point, measure, v))
    for x in np.flatnonzero(sc.locations.kind == DESTINATION):
        rows.append((p0, p1, sc.locations.country[x], sc.locations.name[x], "stock", int(s["n_present"][d1, x])))
    return rows


def observations_csv(res: Results) -> str:
    """observations.csv of a run: :func:`observations` over the whole run, one line per row."""
    import csv  # deferred: only this writer needs it
    import io  # deferred: only this writer needs it

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")  # quotes cells holding a comma, a quote or a line break
    w.writerow(OBSERVATION_COLUMNS)
    w.writerows(observations(res))
    return buf.getvalue()
