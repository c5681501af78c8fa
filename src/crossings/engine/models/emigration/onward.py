"""Onward moves: agents settled at a transit place (locations.csv ``transit`` > 0) move on with that daily
probability, re-planning on routes that leave the country (Georgia, Kazakhstan or Turkey as a first stop)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.models.emigration.state import PLAN, SETTLED
from crossings.engine.rule import Rule

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation


class Onward(Rule):
    """Each day every settled agent at a place with ``transit`` = h starts moving on with probability h (with
    the setting ``transit_days`` > 0: only in its first that many days in the country, so a share
    1 − (1 − h)^transit_days passes through and the rest stay); it re-plans avoiding the country it is in (and
    goes on trying daily if no route is open or affordable)."""

    name = "onward"
    reads = ("agents.state", "agents.loc", "agents.entry_day")
    writes = ("agents.state", "agents.route", "agents.avoid", "eflows.onward")

    def init(self, sim: Simulation) -> None:
        self.h = sim.scenario.emigration.transit
        self.on = bool(self.h.any())
        self.window = sim.scenario.emigration.settings.transit_days

    def step(self, sim: Simulation, day: int) -> None:
        if not self.on:
            return
        a, w = sim.agents, sim.world
        s = np.flatnonzero(a.state == SETTLED)
        s = s[self.h[a.loc[s]] > 0]
        if self.window > 0:
            s = s[day - a.entry_day[s].astype(np.int64) < self.window]
        if s.size == 0:
            return
        go = s[sim.rng["onward"].random(s.size) < self.h[a.loc[s]]]
        c = w.country[a.loc[go]]
        a.state[go] = PLAN
        a.route[go] = -1
        a.avoid[go] = c
        sim.eflows.onward += np.bincount(c, minlength=len(sim.eflows.onward))
