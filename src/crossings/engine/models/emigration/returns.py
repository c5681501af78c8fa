"""Going home: the daily return hazard of agents settled abroad (a base rate, raised while money runs low,
changed by ``return_hazard`` events). The move home itself (``movement.go_home``) is shared by every rule that
sends agents home (a stay that ran out, savings at zero, no route to move on)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.models.emigration.movement import go_home
from crossings.engine.models.emigration.state import SETTLED
from crossings.engine.rule import Rule

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation

DAYS_PER_MONTH = 365.25 / 12  # remote income is per month


def net_daily_cost(sim: Simulation, idx: np.ndarray) -> np.ndarray:
    """USD per day agents ``idx`` spend where they are, less their remote income (negative: they save)."""
    a = sim.agents
    col = sim.scenario.emigration.cost_of_living[a.loc[idx]]
    return col - a.remote_income[idx].astype(np.float64) / DAYS_PER_MONTH


class Returns(Rule):
    """Each settled agent abroad goes home on a day with probability min(1, h × m × r × l): h the setting
    ``return_hazard``, m the product of the active ``return_hazard`` events naming its subgroup (origin ×
    category × sex × age band), r the ``return_multiplier`` of the place it is at (locations.csv, default 1),
    l = ``low_money_return_multiplier`` while its savings last fewer than ``low_money_days`` days at its net
    daily cost (cost of living − remote income), else 1."""

    name = "returns"
    reads = ("agents.state", "agents.home", "agents.category", "agents.sex", "agents.age_band", "agents.savings",
             "agents.remote_income", "agents.loc", "world.return_mult")
    writes = ("agents.loc", "agents.state", "agents.route", "agents.avoid", "agents.broke", "agents.stay_country",
              "agents.allowed_until", "agents.window_used", "agents.permit", "world.present", "world.in_country",
              "world.permits", "flows.departures", "flows.arrivals", "eflows.entries", "eflows.exits",
              "eflows.returns", "eflows.returned_home", "eflows.permits_ended",
              "eflows.travellers_back", "eflows.cat_returned", "world.at_home")

    def init(self, sim: Simulation) -> None:
        spec = sim.scenario.emigration
        self.h = spec.settings.return_hazard
        self.on = self.h > 0
        self.pos = np.zeros(len(sim.world.present), dtype=np.int64)
        self.pos[sim.world.origins] = np.arange(len(sim.world.origins))
        self.place = spec.return_multiplier  # (L,) or None (1 everywhere)
        self.place_top = 1.0 if self.place is None else float(self.place.max(initial=0.0))

    def step(self, sim: Simulation, day: int) -> None:
        if not self.on:
            return
        a, w = sim.agents, sim.world
        s = np.flatnonzero(a.state == SETTLED)
        if s.size == 0:
            return
        st = sim.scenario.emigration.settings
        # draw first, then work out the hazard only where the draw is below its largest possible value
        top = self.h * float(w.return_mult.max(initial=0.0)) * max(st.low_money_return_multiplier, 1.0) \
            * self.place_top
        u = sim.rng["returns"].random(s.size)
        c = np.flatnonzero(u < top)
        s, u = s[c], u[c]
        p = self.h * w.return_mult[self.pos[a.home[s]], a.category[s], a.sex[s], a.age_band[s]]
        if self.place is not None:
            p = p * self.place[a.loc[s]]
        if st.low_money_return_multiplier != 1.0:
            net = net_daily_cost(sim, s)
            low = (net > 0) & (a.savings[s] < st.low_money_days * net)
            p = np.where(low, p * st.low_money_return_multiplier, p)
        go_home(sim, s[u < p])
