"""Route choice: an agent needing a route picks one of the candidate paths from where it is to a destination,
with probability ∝ attractiveness(destination) / (1 + travel days)^time_power over the paths usable today."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.emigration.routes import blocked_paths, route_cdf
from crossings.engine.emigration.state import MOVING, PLAN_NO_AIR
from crossings.engine.kernels import sample_paths
from crossings.engine.rule import Rule
from crossings.scenario.emigration import AIR, TRAVEL_MODES

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation


class RouteChoice(Rule):
    """A path is usable by an agent if none of its flights is closed and none of its crossings is closed, bars
    the agent's travel mode or has no capacity for it; agents that gave up waiting for seats do not take a path
    starting with a flight. An agent with no usable path stays and tries again the next day. Weights are
    recomputed only on days the timeline changed something."""

    name = "route_choice"
    reads = ("agents.state", "agents.loc", "agents.travel_mode", "world.air_closures", "world.crossing_closures",
             "world.mode_bars", "world.routes_dirty")
    writes = ("agents.route", "agents.hop", "agents.state", "world.routes_dirty")

    def init(self, sim: Simulation) -> None:
        self.cdf: dict[tuple[int, bool], np.ndarray] = {}

    def refresh(self, sim: Simulation) -> None:
        """Route weights for each travel mode, with and without paths that start with a flight."""
        w = sim.world
        spec = sim.scenario.emigration
        src = sim.scenario.links.src
        air_closed = (spec.link_mode == AIR) & (w.air_closures > 0)
        for m in range(len(TRAVEL_MODES)):
            shut = w.gated & ((w.crossing_closures[src] > 0) | (w.mode_bars[src, m] > 0) | (spec.capacity[src, m] == 0))
            usable = ~blocked_paths(w.routes, air_closed | shut)
            for no_air in (False, True):
                ok = usable & ~w.routes.first_air if no_air else usable
                self.cdf[(m, no_air)] = route_cdf(w.routes, ok, spec.attractiveness, spec.settings.time_power)
        w.routes_dirty = False

    def step(self, sim: Simulation, day: int) -> None:
        a = sim.agents
        idx = np.flatnonzero(a.state <= PLAN_NO_AIR)
        if idx.size == 0:
            return
        w = sim.world
        if w.routes_dirty or not self.cdf:
            self.refresh(sim)
        u = sim.rng["route"].random(idx.size)
        pid = np.full(idx.size, -1, dtype=np.int32)
        mode = a.travel_mode[idx]
        no_air = a.state[idx] == PLAN_NO_AIR
        for (m, na), cdf in self.cdf.items():
            sel = (mode == m) & (no_air == na)
            if sel.any():
                pid[sel] = sample_paths(cdf, w.routes.paths.by_origin, a.loc[idx[sel]], u[sel])
        ok = pid >= 0
        g = idx[ok]
        a.route[g] = pid[ok]
        a.hop[g] = 0
        a.state[g] = MOVING
