"""Onward moves: agents settled at a transit place (locations.csv ``transit`` > 0) move on with that daily
probability, re-planning on routes that leave the country (Georgia, Kazakhstan or Turkey as a first stop)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.models.emigration import kernels_c
from crossings.engine.models.emigration.clocks import gap_scale, next_days
from crossings.engine.models.emigration.state import NEVER, PLAN, SETTLED
from crossings.engine.rule import Rule

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation


class Onward(Rule):
    """Each day every settled agent at a place with ``transit`` = h starts moving on with probability h (with
    the setting ``transit_days`` > 0: only in its first that many days in the country, so a share
    1 − (1 − h)^transit_days passes through and the rest stay); it re-plans avoiding the country it is in (and
    goes on trying daily if no route is open or affordable).

    Event-driven: an agent at a transit place carries the next day it would move on if settled then
    (``onward_day``, a geometric gap at h, drawn when it comes to the place and again after each such day); the
    rule finds the agents that came to another place since yesterday (``onward_loc`` differs from ``loc``) and
    those whose day is today, and nobody else. The same law as a daily draw for every settled agent there."""

    name = "onward"
    reads = ("agents.state", "agents.loc", "agents.entry_day")
    writes = ("agents.state", "agents.route", "agents.avoid", "eflows.onward")
    # the rule's own columns: the next day to move on (if settled then), and the place it was drawn for
    clock = {"onward_day": (np.int32, NEVER), "onward_loc": (np.int32, -1)}

    def init(self, sim: Simulation) -> None:
        self.h = sim.scenario.emigration.transit
        self.on = bool(self.h.any())
        self.scale = gap_scale(self.h)  # per place
        self.window = sim.scenario.emigration.settings.transit_days
        if self.on:
            sim.agents.add_columns(self.clock)

    def step(self, sim: Simulation, day: int) -> None:
        if not self.on:
            return
        if sim.kernel == "compiled":  # the same in C, the clocks' draws taken here in the same order
            kernels_c.onward(sim, day, self.h, self.scale, int(self.window))
            return
        a, w = sim.agents, sim.world
        came = np.flatnonzero(a.loc != a.onward_loc)
        if came.size:
            a.onward_loc[came] = a.loc[came]
            self.draw(sim, came, day - 1)  # at the new place from today
        due = np.flatnonzero(a.onward_day == day)
        if due.size == 0:
            return
        self.draw(sim, due, day)
        go = due[a.state[due] == SETTLED]
        if self.window > 0:
            go = go[day - a.entry_day[go].astype(np.int64) < self.window]
        if go.size == 0:
            return
        c = w.country[a.loc[go]]
        a.state[go] = PLAN
        a.route[go] = -1
        a.avoid[go] = c
        sim.eflows.onward += np.bincount(c, minlength=len(sim.eflows.onward))

    def draw(self, sim: Simulation, idx: np.ndarray, day: int) -> None:
        """The next day agents ``idx`` move on from where they are (if settled then), after ``day``."""
        a = sim.agents
        loc = a.loc[idx]
        at = np.flatnonzero(self.h[loc] > 0)
        a.onward_day[idx] = NEVER
        if at.size:
            a.onward_day[idx[at]] = next_days(sim.rng["onward"], self.scale[loc[at]], day)
