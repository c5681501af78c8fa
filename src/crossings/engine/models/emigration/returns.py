"""Going home: the daily return hazard of agents settled abroad (a base rate, raised while money runs low,
changed by ``return_hazard`` events). The move home itself (``movement.go_home``) is shared by every rule that
sends agents home (a stay that ran out, savings at zero, no route to move on)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from crossings.engine.models.emigration import kernels_c
from crossings.engine.models.emigration.clocks import gap_scale, next_days
from crossings.engine.models.emigration.movement import GO_HOME_WRITES, go_home
from crossings.engine.models.emigration.state import NEVER, RETURNED, SETTLED
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
    daily cost (cost of living − remote income), else 1.

    Event-driven: every agent carries the next day its hazard is tested (``return_day``), drawn as a geometric
    gap at its bound b = min(1, h × m × max(r) × max(l, 1)); on that day, if settled, it goes home with
    probability (its hazard that day) / b. That is the daily draw thinned (the same law: each day a test with
    probability b, passed with the hazard's share of it), touching only the agents tested today. When the
    events change m, every clock restarts at the new bounds (no memory is lost: gaps are geometric)."""

    name = "returns"
    reads = ("agents.state", "agents.home", "agents.category", "agents.sex", "agents.age_band", "agents.savings",
             "agents.remote_income", "agents.loc", "world.return_mult")
    writes = GO_HOME_WRITES
    # the rule's own columns: the next test day (−1: not drawn yet), and the subgroup (cell of world.return_mult)
    clock = {"return_day": (np.int32, -1), "return_group": (np.int32, -1)}

    def init(self, sim: Simulation) -> None:
        spec = sim.scenario.emigration
        st = spec.settings
        self.h = st.return_hazard
        self.on = self.h > 0
        self.pos = np.zeros(len(sim.world.present), dtype=np.int64)
        self.pos[sim.world.origins] = np.arange(len(sim.world.origins))
        self.shape = sim.world.return_mult.shape
        self.shape_arr = np.array(self.shape, dtype=np.int64)  # (the compiled draws' copy)
        self.days_per_month = DAYS_PER_MONTH
        self.place = spec.return_multiplier  # (L,) or None (1 everywhere)
        self.place_top = 1.0 if self.place is None else float(self.place.max(initial=0.0))
        self.low = st.low_money_return_multiplier
        self.days_low = st.low_money_days
        self.src: np.ndarray | None = None  # the world.return_mult array last looked at
        self.rates: np.ndarray | None = None  # the multipliers the clocks were drawn with
        if self.on:
            sim.agents.add_columns(self.clock)

    def checkpoint_state(self) -> dict[str, Any]:
        return {} if self.rates is None else {"rates": self.rates}

    def restore_state(self, state: dict[str, Any]) -> None:
        if "rates" in state:
            self.tables(np.asarray(state["rates"], dtype=np.float64))

    def tables(self, rates: np.ndarray) -> None:
        """Per subgroup: h × m, the bound b = min(1, h × m × max(r) × max(l, 1)) and its gap factor."""
        self.rates = rates.copy()
        self.hm = self.h * self.rates.ravel()
        self.top = np.minimum(self.hm * self.place_top * max(self.low, 1.0), 1.0)
        self.scale = gap_scale(self.top)

    def step(self, sim: Simulation, day: int) -> None:
        if not self.on:
            return
        a, w = sim.agents, sim.world
        if w.return_mult is not self.src:  # the timeline replaces the array when some multiplier changes
            self.src = w.return_mult
            if self.rates is None or not np.array_equal(self.rates, self.src):
                self.tables(self.src)  # every clock restarts at the new bounds
                live = a.state != RETURNED
                a.return_day[~live] = NEVER
                self.draw(sim, np.flatnonzero(live), day - 1)
        if sim.kernel == "compiled":  # the same in C, the draws taken here in the same order
            kernels_c.returns(sim, day, self)
            return
        due = np.flatnonzero(a.return_day <= day)
        if due.size == 0:
            return
        when = a.return_day[due]
        tested = due[when == day]  # the rest are new rows: their clocks start today
        state = a.state[tested]
        a.return_day[tested[state == RETURNED]] = NEVER
        s = tested[state == SETTLED]
        home = s[self.passed(sim, s)]
        go_home(sim, home)
        a.return_day[home] = NEVER
        self.draw(sim, due[a.return_day[due] <= day], day)

    def draw(self, sim: Simulation, idx: np.ndarray, day: int) -> None:
        """The next test day of agents ``idx``, after ``day``: a geometric gap at their bound."""
        if idx.size == 0:
            return
        a = sim.agents
        g = a.return_group[idx]
        new = g < 0
        if new.any():  # a subgroup is fixed for life: worked out once
            j = idx[new]
            cell = (self.pos[a.home[j]], a.category[j], a.sex[j], a.age_band[j])
            g[new] = a.return_group[j] = np.ravel_multi_index(cell, self.shape)
        a.return_day[idx] = next_days(sim.rng["returns"], self.scale[g], day)

    def passed(self, sim: Simulation, s: np.ndarray) -> np.ndarray:
        """For settled agents ``s`` tested today: True for those who go home (their hazard ÷ their bound)."""
        if s.size == 0:
            return np.zeros(0, dtype=bool)
        a = sim.agents
        u = sim.rng["returns"].random(s.size)
        g = a.return_group[s]
        p = self.hm[g]
        if self.place is not None:
            p = p * self.place[a.loc[s]]
        if self.low != 1.0:
            net = net_daily_cost(sim, s)
            low = (net > 0) & (a.savings[s] < self.days_low * net)
            p = np.where(low, p * self.low, p)
        return u * self.top[g] < p
