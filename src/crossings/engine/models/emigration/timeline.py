"""The policy timeline (events.csv of an emigration scenario), enacted on each event's date and undone on its
``until`` date: departure and return hazard multipliers, air route closures and fares, one-way road closures,
mode bars, crossing closures and capacity multipliers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.models.emigration.routes import path_costs
from crossings.engine.rule import Rule
from crossings.scenario.emigration import AIR, HAZARD_EVENTS, ROAD, EmigrationEvent, in_force

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation


class Timeline(Rule):
    """On an event's first day (and again, undone, on its ``until`` day): ``close_air_route`` closes the flights
    between two places both ways; ``fare`` multiplies their cost (both ways; overlapping fares multiply);
    ``close_road`` closes one road link, from its target to its other place only (new plans avoid it; whoever
    already holds a plan through it goes on, as do those on it; the way back stays open);
    ``bar_mode`` stops one travel mode at a crossing; ``close_crossing`` stops every mode; ``capacity``
    multiplies a crossing's daily capacity for one mode or both (overlapping ones multiply);
    ``departure_hazard`` multiplies the daily departure probability of the subgroup it names
    (origin × category × sex × age band, ``*`` = all), ``return_hazard`` likewise the daily return probability
    of the agents abroad from that subgroup; overlapping multipliers multiply. Closures and bars
    are counted, so a place reopens when the last one covering it ends."""

    name = "timeline"
    reads = ()
    writes = ("world.air_closures", "world.road_closures", "world.crossing_closures", "world.mode_bars",
              "world.cap_mult", "world.hazard_mult", "world.return_mult", "world.routes_dirty", "world.link_cost",
              "world.path_cost")

    def init(self, sim: Simulation) -> None:
        sc = sim.scenario
        spec = sc.emigration
        self._changes: dict[int, list[tuple[EmigrationEvent, int]]] = {}
        for ev in spec.events:
            self._changes.setdefault(ev.start, []).append((ev, +1))
            if ev.end >= 0:
                self._changes.setdefault(ev.end, []).append((ev, -1))
        self._hazard_events = [ev for ev in spec.events if ev.kind in HAZARD_EVENTS]
        self._origin_pos = {int(x): i for i, x in enumerate(sim.world.origins)}
        src, dst = sc.links.src, sc.links.dst
        self._air = {}
        for ev in spec.events:
            if ev.kind in ("close_air_route", "fare"):
                pair = ((src == ev.target) & (dst == ev.other)) | ((src == ev.other) & (dst == ev.target))
                self._air[ev.line] = np.flatnonzero(pair & (spec.link_mode == AIR))
        self._road = {ev.line: np.flatnonzero((src == ev.target) & (dst == ev.other) & (spec.link_mode == ROAD))
                      for ev in spec.events if ev.kind == "close_road"}

    def step(self, sim: Simulation, day: int) -> None:
        changes = self._changes.get(day)
        if not changes:
            return
        w = sim.world
        hazard = False
        for ev, sign in changes:
            if ev.kind == "close_air_route":
                w.air_closures[self._air[ev.line]] += sign
            elif ev.kind == "close_road":
                w.road_closures[self._road[ev.line]] += sign
            elif ev.kind == "fare":
                self.price(sim, day)
            elif ev.kind == "bar_mode":
                w.mode_bars[ev.target, ev.other] += sign
            elif ev.kind == "close_crossing":
                w.crossing_closures[ev.target] += sign
            elif ev.kind == "capacity":
                w.cap_mult[:] = capacity_multipliers(sim.scenario.emigration.events, w.cap_mult.shape, day)
            else:
                hazard = True
                continue
            w.routes_dirty = True
        if hazard:
            w.hazard_mult = hazard_multipliers(self._hazard_events, self._origin_pos, w.hazard_mult.shape, day)
            w.return_mult = hazard_multipliers(self._hazard_events, self._origin_pos, w.return_mult.shape, day,
                                               kind="return_hazard")

    def price(self, sim: Simulation, day: int) -> None:
        """Today's link and path costs: routes.csv's costs × the product of the fare multipliers active on
        ``day`` (recomputed from the events, so an ended fare restores the cost exactly, and a resumed run
        needs no state of this rule)."""
        spec, w = sim.scenario.emigration, sim.world
        mult = np.ones(len(spec.link_cost))
        for ev in spec.events:
            if ev.kind == "fare" and in_force(ev, day):
                mult[self._air[ev.line]] *= ev.value
        w.link_cost[:] = spec.link_cost * mult
        w.path_cost[:] = path_costs(w.routes.paths, w.link_cost)


def capacity_multipliers(events: tuple[EmigrationEvent, ...] | list[EmigrationEvent], shape: tuple[int, ...],
                         day: int) -> np.ndarray:
    """Product of the ``capacity`` multipliers active on ``day`` per place and travel mode (recomputed from the
    events, so an ended one restores the capacity exactly and a resumed run needs no state of this rule)."""
    mult = np.ones(shape)
    for ev in events:
        if ev.kind == "capacity" and in_force(ev, day):
            mult[ev.target, slice(None) if ev.other < 0 else ev.other] *= ev.value
    return mult


def hazard_multipliers(events: list[EmigrationEvent], origin_pos: dict[int, int], shape: tuple[int, ...],
                       day: int, kind: str = "departure_hazard") -> np.ndarray:
    """Product of the ``kind`` multipliers (departure_hazard or return_hazard) active on ``day``, per origin ×
    category × sex × age band (``origin_pos`` maps an origin's location index to its position on the first
    axis; for returns, the agent's home)."""
    mult = np.ones(shape)
    for ev in events:
        if ev.kind == kind and in_force(ev, day):
            sel = tuple(slice(None) if i < 0 else i
                        for i in (origin_pos[ev.target] if ev.target >= 0 else -1, ev.other, ev.sex, ev.age_band))
            mult[sel] *= ev.value
    return mult
