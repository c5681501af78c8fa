"""Home attachment and returns (Flee #76, DFlee's "Returning home"): agents away from a home whose conflict has
ended go back with a daily chance, counted as returns by home."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.models.flee.kernels import refresh_route_cdf
from crossings.engine.rule import Rule
from crossings.engine.state import NEVER
from crossings.scenario.model import CAMP, CONFLICT, IDPCAMP

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation


class Returns(Rule):
    """Each day every agent at a place (not on a link) away from its home, whose home is no longer a conflict zone
    and not a camp (day-0 camp agents are at home in their camp), goes home with probability
    ``return_home_chance``: at once, its route dropped; it stays home (no wake-up day) until its home's move
    chance changes, e.g. when its conflict starts again. It runs after the scores (whose fresh wake-up days for a
    place whose move chance changed would otherwise send the returned agents off again the same day), and then
    updates the capacity multipliers and route weights for the room they left. Returns are counted by home
    (``new_returns``). With the chance 0 (Flee 3.1's default: nobody returns) nothing happens and nothing is drawn."""

    name = "returns"
    reads = ("agents.loc", "agents.link", "agents.home", "world.kind")
    writes = ("agents.loc", "agents.route", "agents.hop", "agents.wake", "world.present", "world.returned",
              "world.capmult")

    def init(self, sim: Simulation) -> None:
        sim.world.returned = np.zeros(len(sim.world.present), dtype=np.int64)

    def step(self, sim: Simulation, day: int) -> None:
        p = sim.settings.return_home_chance
        if p <= 0:
            return
        a, w = sim.agents, sim.world
        w.returned[:] = 0
        home = a.home
        hk = w.kind[np.maximum(home, 0)]
        can = (a.link < 0) & (home >= 0) & (a.loc != home) & (hk != CONFLICT) & (hk != CAMP) & (hk != IDPCAMP)
        idx = np.flatnonzero(can)
        if idx.size == 0:
            return
        go = idx[sim.rng["return"].random(idx.size) < p]
        if go.size == 0:
            return
        n = len(w.present)
        w.present -= np.bincount(a.loc[go], minlength=n)
        back = np.bincount(home[go], minlength=n)
        w.present += back
        w.returned += back
        a.loc[go] = home[go]
        a.route[go] = -1
        a.hop[go] = 0
        a.wake[go] = NEVER
        w.update_capmult(sim.settings.capacity_buffer)  # the places they left have room again today
        refresh_route_cdf(sim)
