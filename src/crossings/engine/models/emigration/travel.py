"""Travel: each day an agent has one day of travel time; it goes along its route's links (road at car speed,
foot at walking speed, a flight in its duration) and on through the places it reaches, until the day is used
up, it reaches its destination, a crossing's queue, or a flight it must wait for a seat on."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.models.emigration import kernels_c
from crossings.engine.models.emigration.movement import STEP_WRITES, arrive, dispatch
from crossings.engine.models.emigration.state import MOVING
from crossings.engine.rule import Rule

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation

EPS = 1e-6  # days; absorbs float32 rounding of progress (EM_EPS in _emigration.c)
MAX_CHAIN = 1000  # places one agent may pass in a day (EM_MAX_CHAIN in _emigration.c)


class Travel(Rule):
    """Agents holding a route at a place take its next step first (see ``movement.dispatch``); then every agent
    on a link advances: arrival when the link's travel days are done (progress ≥ days), and the time left over
    is spent on the next link the same day. Joining a queue or a seat wait ends the agent's day. With the
    compiled kernel (the default) the same is done agent by agent in C (``crossings_em_travel``)."""

    name = "travel"
    reads = ("agents.id", "agents.state", "agents.route", "agents.hop", "agents.link", "agents.progress",
             "world.link_days", "world.gated")
    writes = ("agents.loc", "agents.since", "agents.tries", "agents.avoid", "agents.broke", "agents.route",
              "world.queue", "world.seat_wait", "flows.arrivals", "flows.link_exits", "eflows.joins",
              "eflows.seat_joins", "eflows.refused", *STEP_WRITES)  # arrivals, dispatch, and steps onto links

    def step(self, sim: Simulation, day: int) -> None:
        if sim.kernel == "compiled":
            kernels_c.travel(sim, day)
            return
        a, w = sim.agents, sim.world
        dispatch(sim, np.flatnonzero((a.state == MOVING) & (a.link < 0)), day)
        act = np.flatnonzero((a.state == MOVING) & (a.link >= 0))
        budget = np.ones(act.size)
        for _ in range(MAX_CHAIN):
            if act.size == 0:
                break
            need = w.link_days[a.link[act]] - a.progress[act]
            arr = need <= budget + EPS
            stay = ~arr
            a.progress[act[stay]] = a.progress[act[stay]] + budget[stay]
            if not arr.any():
                break
            ag = act[arr]
            left = budget[arr] - np.maximum(need[arr], 0.0)
            back = arrive(sim, ag)
            if back.any():  # refused entry: turned back, they re-plan tomorrow
                ag, left = ag[~back], left[~back]
            went = dispatch(sim, ag, day)
            keep = went & (left > EPS)
            act = ag[keep]
            budget = left[keep]
