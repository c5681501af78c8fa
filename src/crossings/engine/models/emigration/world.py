"""State of places, links, crossings and the people at home in an emigration run (what changes day by day),
and the day's flows. Every stock here is changed only together with a flow, so the check mode can balance them."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, fields

import numpy as np

from crossings.engine.models.emigration.routes import Routes, enumerate_routes
from crossings.scenario.emigration import AIR, FOOT, MAX_COUNT, TRAVEL_MODES, EmigrationSpec
from crossings.scenario.model import CROSSING, ORIGIN, Scenario


def apportion(total: int, shares: np.ndarray) -> np.ndarray:
    """Whole numbers summing to ``total`` in proportion to ``shares`` (largest remainders; ties by position)."""
    exact = total * shares.ravel() / shares.sum()
    out = np.floor(exact).astype(np.int64)
    rest = int(total - out.sum())
    if rest > 0:
        order = np.argsort(-(exact - out), kind="stable")
        out[order[:rest]] += 1
    return out.reshape(shares.shape)


@dataclass
class EmigrationWorld:
    """Arrays the emigration rules read and change; fixed ones are derived once from the scenario."""

    # fixed
    country: np.ndarray  # int32 (L,) country code of each location (index into spec.countries)
    link_country: np.ndarray  # int32 (K,) country in whose stock an agent on the link is counted
    link_days: np.ndarray  # float64 (K,) days to travel the link
    gated: np.ndarray  # bool (K,) leaves a crossing for another country: passes the crossing's queue
    origins: np.ndarray  # int32 (O,) location of each origin (the first axis of at_home)
    gates: np.ndarray  # int64 (L, 2) gate id of each crossing and mode (-1 elsewhere)
    routes: Routes
    abroad: np.ndarray  # bool (countries,) a country without origins (entry policies apply there)
    visa_run_link: np.ndarray  # int64 (L,) link out of the place's country a visa run takes (−1: none)
    visa_salt: float  # the run's offset of the agents' visa trait (entry.holder_salt; set from the seed)
    # changed by the timeline
    air_closures: np.ndarray  # int32 (K,) active closures of each air link
    road_closures: np.ndarray  # int32 (K,) active closures of each road link (one direction: close_road)
    crossing_closures: np.ndarray  # int32 (L,) active closures of each crossing
    mode_bars: np.ndarray  # int32 (L, 2) active bars of each mode at each crossing
    cap_mult: np.ndarray  # float64 (L, 2) product of the active capacity events at each crossing, by mode
    hazard_mult: np.ndarray  # float64 (O, C, S, A) product of the active departure_hazard multipliers
    routes_dirty: bool
    link_cost: np.ndarray  # float64 (K,) USD per person today: routes.csv cost × the active fare multipliers
    path_cost: np.ndarray  # float64 (P,) USD: today's cost of each candidate path
    # changed by the entry policy timeline (policies.csv), per country; −1 / NaN = no such rule
    per_entry: np.ndarray  # int64 days allowed per entry
    window_max: np.ndarray  # int64 most days in a window
    window_len: np.ndarray  # int64 days of the window
    banned: np.ndarray  # bool tourist ban: nobody enters
    visa_p: np.ndarray  # float64 approval probability of a visa needed to enter (NaN: no visa needed)
    visa_cost: np.ndarray  # float64 USD
    visa_days: np.ndarray  # int64 days a visa allows per entry
    visa_holders: np.ndarray  # float64 share of people holding the visa (policies.csv holders; 1: no restriction)
    permit_p: np.ndarray  # float64 approval probability of a residence permit (NaN: none offered)
    permit_wait: np.ndarray  # int64 days from application to decision
    permit_cost: np.ndarray  # float64 USD
    permit_w: np.ndarray  # float64 × permit_weight of applying when a stay runs out there (policies.csv weight)
    permit_elig: np.ndarray  # float64 share of agents who may apply there (policies.csv eligible)
    visa_run_w: np.ndarray  # float64 × visa_run_weight of a visa run from there (visa_free policy's weight)
    permit_days: np.ndarray  # int64 validity of a permit
    registration_days: np.ndarray  # int64 days after which a stay is registered
    return_mult: np.ndarray  # float64 (O, C, S, A) product of the active return_hazard multipliers
    # stocks
    at_home: np.ndarray  # int64 (O, C, S, A) people at risk still at home
    present: np.ndarray  # int64 (L,) agents at each location
    on_link: np.ndarray  # int64 (K,) agents on each link
    in_country: np.ndarray  # int64 (countries,) agents counted in each country
    queue: np.ndarray  # int64 (gates,) agents queued at each crossing by mode
    seat_wait: np.ndarray  # int64 (K,) agents waiting for a seat on each air link
    permits: np.ndarray  # int64 (countries,) residence permit holders present in each country
    # stocks the observation model records, kept by its daily sync of the rows that changed (counters.py)
    emigrants: np.ndarray  # int64 (countries,) agents not back home and not on a round trip, counted as in_country
    registered: np.ndarray  # int64 (countries,) stays that have lasted the country's registration_days
    # rows of returned agents dropped from the agent table (they never act again), counted where they are
    retired: np.ndarray  # int64 (L,) returned agents no longer in the table, at their origin
    retired_travellers: int  # of those, round-trip travellers (whose people are back among those at home)

    @classmethod
    def initial(cls, sc: Scenario) -> EmigrationWorld:
        spec: EmigrationSpec = sc.emigration
        locs, links = sc.locations, sc.links
        s = spec.settings
        code = {c: i for i, c in enumerate(spec.countries)}
        country = np.array([code[c] for c in locs.country], dtype=np.int32)
        src, dst = links.src, links.dst
        gated = (locs.kind[src] == CROSSING) & (country[src] != country[dst])
        link_country = np.where(gated, country[dst], country[src]).astype(np.int32)
        speed = np.where(spec.link_mode == FOOT, s.walk_speed_km_per_day, s.car_speed_km_per_day)
        link_days = np.where(spec.link_mode == AIR, spec.link_duration, links.distance / speed)
        origins = np.flatnonzero(locs.kind == ORIGIN).astype(np.int32)
        gates = np.full((len(locs), len(TRAVEL_MODES)), -1, dtype=np.int64)
        for j, x in enumerate(spec.crossings):
            gates[x] = [2 * j, 2 * j + 1]
        cells = np.multiply.outer(np.multiply.outer(spec.category.shares, spec.sex.shares), spec.age_band.shares)
        at_home = np.stack([apportion(int(locs.population[o]), cells) for o in origins]) if origins.size else \
            np.zeros((0, *cells.shape), dtype=np.int64)
        routes = enumerate_routes(sc, link_days, gated, s.max_hops)
        n_c = len(spec.countries)
        abroad = np.ones(n_c, dtype=bool)
        abroad[spec.home_countries] = False

        def none(dtype: type = np.int64) -> np.ndarray:
            return np.full(n_c, -1 if dtype is np.int64 else np.nan, dtype=dtype)

        return cls(
            country=country, link_country=link_country, link_days=link_days, gated=gated, origins=origins,
            gates=gates, routes=routes, abroad=abroad, visa_run_link=visa_run_links(sc, country, link_days),
            visa_salt=0.0,
            per_entry=none(), window_max=none(), window_len=none(), banned=np.zeros(n_c, dtype=bool),
            visa_p=none(np.float64), visa_cost=np.zeros(n_c), visa_days=none(), visa_holders=np.ones(n_c),
            permit_p=none(np.float64),
            permit_wait=np.zeros(n_c, dtype=np.int64), permit_cost=np.zeros(n_c),
            permit_w=np.ones(n_c), permit_elig=np.ones(n_c), visa_run_w=np.ones(n_c), permit_days=none(),
            registration_days=none(), return_mult=np.ones(at_home.shape), permits=np.zeros(n_c, dtype=np.int64),
            air_closures=np.zeros(len(links), dtype=np.int32), road_closures=np.zeros(len(links), dtype=np.int32),
            crossing_closures=np.zeros(len(locs), dtype=np.int32),
            mode_bars=np.zeros((len(locs), len(TRAVEL_MODES)), dtype=np.int32),
            cap_mult=np.ones((len(locs), len(TRAVEL_MODES))),
            hazard_mult=np.ones(at_home.shape), routes_dirty=True, at_home=at_home,
            link_cost=np.array(sc.emigration.link_cost, dtype=np.float64), path_cost=routes.cost.copy(),
            present=np.zeros(len(locs), dtype=np.int64), on_link=np.zeros(len(links), dtype=np.int64),
            in_country=np.zeros(len(spec.countries), dtype=np.int64),
            emigrants=np.zeros(n_c, dtype=np.int64), registered=np.zeros(n_c, dtype=np.int64),
            retired=np.zeros(len(locs), dtype=np.int64), retired_travellers=0,
            queue=np.zeros(2 * len(spec.crossings), dtype=np.int64), seat_wait=np.zeros(len(links), dtype=np.int64),
        )

    def gate_capacity(self, spec: EmigrationSpec) -> np.ndarray:
        """Today's capacity of each gate (people/day; -1 unlimited; 0 while closed or the mode is barred)."""
        cross = spec.crossings
        return self.capacity_today(spec)[cross].ravel()

    def capacity_today(self, spec: EmigrationSpec) -> np.ndarray:
        """Today's capacity per place and mode, (L, 2): crossings.csv's × the active ``capacity`` events,
        rounded to whole people and at most MAX_COUNT (−1 unlimited, unless a multiplier of 0 is active; 0 while
        closed or the mode is barred)."""
        cap = spec.capacity.astype(np.int64)
        scaled = np.minimum(np.rint(cap * self.cap_mult), MAX_COUNT).astype(np.int64)
        scaled = np.where(cap > 0, scaled, np.where(self.cap_mult == 0, 0, cap))
        shut = (self.crossing_closures > 0)[:, None] | (self.mode_bars > 0)
        return np.where(shut, 0, scaled)


def visa_run_links(sc: Scenario, country: np.ndarray, link_days: np.ndarray) -> np.ndarray:
    """For each place, the link out of its country at the nearest foreign border point: the first link of a
    fastest trip that stays in the country until that link (Dijkstra on travel days; ties: lower link id).
    A visa run goes out on it and back on its reverse (links come in pairs 2i, 2i + 1)."""
    links = sc.links
    n = len(sc.locations)
    out: list[list[int]] = [[] for _ in range(n)]
    for k in range(len(links)):
        out[int(links.src[k])].append(k)
    best = np.full(n, -1, dtype=np.int64)
    for o in range(n):
        c = country[o]
        dist = {o: 0.0}
        heap = [(0.0, o)]
        found: tuple[float, int] | None = None
        while heap:
            d, x = heapq.heappop(heap)
            if d > dist.get(x, np.inf) or (found is not None and d > found[0]):
                continue
            for k in out[x]:
                y = int(links.dst[k])
                dk = d + float(link_days[k])
                if country[y] != c:
                    if found is None or (dk, k) < found:
                        found = (dk, k)
                elif dk < dist.get(y, np.inf):
                    dist[y] = dk
                    heapq.heappush(heap, (dk, y))
        if found is not None:
            best[o] = found[1]
    return best


@dataclass
class EmigrationFlows:
    """The day's flows of the emigration model, zeroed at the start of each day."""

    entries: np.ndarray  # (countries,) arrivals into a country from another
    exits: np.ndarray  # (countries,) departures out of a country into another
    left_home: np.ndarray  # (countries,) people who left home (become agents), by home country
    joins: np.ndarray  # (gates,) agents joining a crossing's queue
    passages: np.ndarray  # (gates,) agents let through a crossing
    wait_sum: np.ndarray  # (gates,) days waited by today's passers, summed
    gave_up: np.ndarray  # (gates,) agents leaving a queue to re-plan
    turned_back: np.ndarray  # (gates,) agents refused entry as the crossing let them through
    seat_joins: np.ndarray  # (K,) agents starting to wait for a seat
    boarded: np.ndarray  # (K,) agents who got a seat (== link entries of air links)
    missed_seat: np.ndarray  # (K,) agents waiting who got no seat today
    seat_gave_up: np.ndarray  # (K,) agents who stopped waiting for a seat to re-plan
    border: np.ndarray  # (K,) agents changing country over the link (visa runs: both of its links)
    refused: np.ndarray  # (countries,) agents refused entry
    overstays: np.ndarray  # (countries,) stays that ran out (each then makes one of the four choices)
    visa_runs: np.ndarray  # (countries,) visa runs (each also one exit and one entry of the country)
    applications: np.ndarray  # (countries,) residence permit applications
    granted: np.ndarray  # (countries,) residence permits granted
    permits_refused: np.ndarray  # (countries,) applications refused
    permits_ended: np.ndarray  # (countries,) permits ended (expired, or the holder left the country)
    registrations: np.ndarray  # (countries,) stays reaching the registration threshold
    broke: np.ndarray  # (countries,) agents whose savings ran out there
    onward: np.ndarray  # (countries,) agents starting an onward move from a transit place
    returns: np.ndarray  # (countries,) agents going home, by the country they returned from
    returned_home: np.ndarray  # (L,) agents going home, by their origin
    travellers_back: np.ndarray  # (L,) of those, round-trip travellers (again among the people at home)
    cat_left: np.ndarray  # (categories,) people who left home, by category
    cat_returned: np.ndarray  # (categories,) people who went home, by category
    first_arrivals: np.ndarray  # (countries,) emigrants entering a country abroad for the first time since home
    emigrant_returns: np.ndarray  # (L,) emigrants going home, by the place they return from

    @classmethod
    def zeros(cls, n_country: int, n_gate: int, n_link: int, n_loc: int, n_cat: int = 1) -> EmigrationFlows:
        """Every flow zero; the arrays are views of one buffer, so :meth:`clear` is a single fill."""
        sizes = {"entries": n_country, "exits": n_country, "left_home": n_country, "joins": n_gate,
                 "passages": n_gate, "wait_sum": n_gate, "gave_up": n_gate, "turned_back": n_gate,
                 "returned_home": n_loc, "travellers_back": n_loc, "cat_left": n_cat, "cat_returned": n_cat,
                 "first_arrivals": n_country, "emigrant_returns": n_loc}
        sizes.update({k: n_country for k in ("refused", "overstays", "visa_runs", "applications", "granted",
                                             "permits_refused", "permits_ended", "registrations", "broke",
                                             "onward", "returns")})
        names = [f.name for f in fields(cls)]
        ends = np.cumsum([sizes.get(name, n_link) for name in names])
        buf = np.zeros(int(ends[-1]), dtype=np.int64)
        flows = cls(**{name: buf[e - sizes.get(name, n_link): e] for name, e in zip(names, ends, strict=True)})
        flows._buf = buf
        return flows

    def clear(self) -> None:
        buf = self.__dict__.get("_buf")
        if buf is not None:
            buf.fill(0)
            return
        for f in fields(self):
            getattr(self, f.name)[:] = 0
