"""Closures from closures.csv, enacted on their start day and reversed on their end day (§1.8)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.rule import Rule
from crossings.scenario.model import CAMP, IDPCAMP, TOWN

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation


class Closures(Rule):
    """Country closures close every link between the two countries both ways; location closures every
    link into and out of the place; camp closures turn a camp into a town. ``link`` closures do nothing in
    Flee 3.1 and 3.2 (``flee31``, ``flee32``: a known bug kept for compatibility) and close the road both ways in
    ``crossings``.
    Agents already on a closed link are sent back to its start when they arrive (see the travel rule)."""

    name = "closures"
    reads = ()
    writes = ("world.link_open", "world.kind", "world.movechance")

    def init(self, sim: Simulation) -> None:
        sc = sim.scenario
        locs = sc.locations
        src, dst = sc.links.src, sc.links.dst
        country = np.array(locs.country, dtype=object)
        self._events: dict[int, list[tuple[str, np.ndarray | int, int]]] = {}
        for c in sc.closures:
            target: np.ndarray | int
            if c.kind == "country":
                a = country[src] == c.name1
                b = country[dst] == c.name2
                a2 = country[src] == c.name2
                b2 = country[dst] == c.name1
                target = np.flatnonzero((a & b) | (a2 & b2))
                what = "links"
            elif c.kind == "location":
                x = locs.index(c.name1)
                target = np.flatnonzero((src == x) | (dst == x))
                what = "links"
            elif c.kind == "link":
                if sim.rules in ("flee31", "flee32"):
                    continue
                x, y = locs.index(c.name1), locs.index(c.name2)
                target = np.flatnonzero(((src == x) & (dst == y)) | ((src == y) & (dst == x)))
                what = "links"
            elif c.kind in ("camp", "idpcamp"):
                target = locs.index(c.name1)
                what = c.kind
            else:  # remove_forced_redirection: the flag has no behavioural effect in Flee
                continue
            self._events.setdefault(c.start, []).append((what, target, +1))
            if c.end >= 0:
                self._events.setdefault(c.end, []).append((what, target, -1))

    def step(self, sim: Simulation, day: int) -> None:
        events = self._events.get(day)
        if not events:
            return
        w = sim.world
        for what, target, sign in events:
            if what == "links":
                w.closure_depth[target] = np.maximum(w.closure_depth[target] + sign, 0)
                w.paths_dirty = True
            elif sign > 0:
                w.kind[target] = TOWN
                w.intensity[target] = -1.0
            else:
                w.kind[target] = IDPCAMP if what == "idpcamp" else CAMP
                w.intensity[target] = -1.0
        w.link_open = w.closure_depth == 0
        w.refresh_movechance(sim.settings)
