"""Money: every day an agent who has left home and not returned pays the cost of living of the place where it
spends the night and earns its remote income; fares are paid link by link (``movement.step_onto``). An agent
settled abroad whose savings reach zero while it spends more than it earns goes home or looks for a cheaper
place."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.models.emigration import kernels_c
from crossings.engine.models.emigration.movement import GO_HOME_WRITES, go_home
from crossings.engine.models.emigration.returns import DAYS_PER_MONTH
from crossings.engine.models.emigration.state import PLAN, RETURNED, SETTLED
from crossings.engine.rule import Rule

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation

PER_DAY = np.float32(1 / DAYS_PER_MONTH)  # remote income per month → per day, in the column's precision


class Money(Rule):
    """At the end of each day savings fall by cost_of_living(place) − remote_income / (365.25 / 12), and never
    below 0 (no debts). A settled agent abroad at 0 with a positive net cost is broke (counted once per
    place): with probability ``broke_cheaper_share`` it re-plans towards a destination with a lower cost of
    living on a route it can pay (``broke`` = 1; if it finds none it goes home), else it goes home.

    Each agent's net daily cost (float32, as the daily formula gives it) is kept in the rule's own column
    ``net_cost``, worked out again only for agents that came to another place since yesterday (``cost_loc``
    differs from ``loc``; a returned agent's is 0): a day costs a subtraction and a comparison over the table."""

    name = "money"
    reads = ("agents.state", "agents.loc", "agents.savings", "agents.remote_income")
    writes = ("agents.savings", "eflows.broke", *GO_HOME_WRITES)  # the broke go home or re-plan
    # the rule's own columns: net cost per day, and the place it was worked out for
    costs = {"net_cost": (np.float32, 0.0), "cost_loc": (np.int32, -1)}

    def init(self, sim: Simulation) -> None:
        spec = sim.scenario.emigration
        self.on = bool(spec.cost_of_living.any()) or spec.remote_income.share > 0 and spec.remote_income.median > 0
        self.col = spec.cost_of_living.astype(np.float32)
        if self.on:
            sim.agents.add_columns(self.costs)

    def step(self, sim: Simulation, day: int) -> None:
        if not self.on:
            return
        a, w = sim.agents, sim.world
        if len(a) == 0:
            return
        if sim.kernel == "compiled":  # the same in C (kernels_c.money), the draws taken here in the same order
            kernels_c.money(sim, day, self.col, PER_DAY, sim.scenario.emigration.settings.broke_cheaper_share)
            return
        came = np.flatnonzero(a.loc != a.cost_loc)
        if came.size:
            loc = a.loc[came]
            a.cost_loc[came] = loc
            net = self.col[loc] - a.remote_income[came] * PER_DAY
            net[a.state[came] == RETURNED] = 0
            a.net_cost[came] = net
        np.subtract(a.savings, a.net_cost, out=a.savings)
        np.maximum(a.savings, 0, out=a.savings)
        broke = np.flatnonzero((a.savings <= 0) & (a.net_cost > 0))
        broke = broke[a.state[broke] == SETTLED]
        if broke.size == 0:
            return
        g = broke[w.abroad[w.country[a.loc[broke]]]]
        sim.eflows.broke += np.bincount(w.country[a.loc[g]], minlength=len(sim.eflows.broke))
        cheaper = sim.rng["money"].random(g.size) < sim.scenario.emigration.settings.broke_cheaper_share
        c = g[cheaper]
        a.state[c] = PLAN
        a.route[c] = -1
        a.broke[c] = 1
        go_home(sim, g[~cheaper])
