"""Departures driven by events: each day, in every subgroup of the people still at home (origin × category ×
sex × age band), Binomial(at home, base hazard × active multipliers) leave and become agents."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.models.emigration import kernels_c
from crossings.engine.models.emigration.state import PLAN
from crossings.engine.rule import Rule
from crossings.scenario.emigration import Amount

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation


def draw_amounts(rng: np.random.Generator, amount: Amount, n: int) -> np.ndarray:
    """``n`` amounts: 0 with probability 1 − share, else median × exp(sigma × N(0, 1)) (lognormal)."""
    out = amount.median * np.exp(amount.sigma * rng.standard_normal(n))
    if amount.share < 1.0:
        out = np.where(rng.random(n) < amount.share, out, 0.0)
    return out.astype(np.float32)


class Departures(Rule):
    """The number leaving each subgroup on day t is Binomial(n at home, min(1, h × m(t))), h from
    departures.csv (origin, category), m(t) the product of that subgroup's active ``departure_hazard``
    multipliers. Leavers appear at their origin needing a route, in random order (so queues and seats do not
    favour one subgroup), with travel mode, savings and remote income drawn from the scenario's distributions."""

    name = "departures"
    reads = ("world.at_home", "world.hazard_mult")
    writes = ("world.at_home", "world.present", "world.in_country", "flows.spawned", "agents.loc", "agents.home",
              "agents.state", "agents.left_day", "agents.category", "agents.sex", "agents.age_band",
              "agents.travel_mode", "agents.savings", "agents.remote_income", "eflows.left_home",
              "eflows.cat_left")

    def init(self, sim: Simulation) -> None:
        spec = sim.scenario.emigration
        self.base = spec.hazard[sim.world.origins][:, :, None, None]  # (O, C, 1, 1)
        self.shape = np.array(sim.world.at_home.shape, dtype=np.int64)  # (the compiled rows' copy)
        self.mult: np.ndarray | None = None  # the world.hazard_mult that self.p was worked out for
        self.p = np.zeros(0)
        shares = np.asarray(spec.travel_mode.shares, dtype=np.float64)  # as Generator.choice(p=shares) draws
        self.mode_cdf = shares.cumsum()
        self.mode_cdf /= self.mode_cdf[-1]

    def step(self, sim: Simulation, day: int) -> None:
        w = sim.world
        if w.at_home.size == 0:
            return
        if w.hazard_mult is not self.mult:  # the timeline replaces the array when a multiplier changes
            self.mult = w.hazard_mult
            self.p = np.clip(self.base * w.hazard_mult, 0.0, 1.0)
        rng = sim.rng["departures"]
        n = rng.binomial(w.at_home, self.p)
        total = int(n.sum())
        if total == 0:
            return
        w.at_home -= n
        cells = np.repeat(np.arange(n.size), n.ravel())[rng.permutation(total)]
        if sim.kernel == "compiled":  # the rows filled and counted in C; the same draws, in the same order
            rows = sim.agents.add(total)
            spec = sim.scenario.emigration
            ra = sim.rng["attributes"]
            mode = self.mode_cdf.searchsorted(ra.random(total), side="right")
            savings = draw_amounts(ra, spec.savings, total)
            income = draw_amounts(ra, spec.remote_income, total)
            kernels_c.departures_add(sim, day, rows.start, cells, self.shape, mode, savings, income)
            return
        o, c, s, g = np.unravel_index(cells, n.shape)
        self.add(sim, day, o, c, s, g)

    def add(self, sim: Simulation, day: int, o: np.ndarray, c: np.ndarray, s: np.ndarray, g: np.ndarray) -> None:
        """New rows for the leavers (origin position, category, sex and age band each), counted where they are."""
        w, spec = sim.world, sim.scenario.emigration
        total = o.size
        a = sim.agents
        rows = a.add(total)
        where = w.origins[o]
        a.loc[rows] = where
        a.home[rows] = where
        a.left_day[rows] = day
        a.state[rows] = PLAN
        a.category[rows] = c
        a.sex[rows] = s
        a.age_band[rows] = g
        ra = sim.rng["attributes"]
        a.travel_mode[rows] = self.mode_cdf.searchsorted(ra.random(total), side="right")
        a.savings[rows] = draw_amounts(ra, spec.savings, total)
        a.remote_income[rows] = draw_amounts(ra, spec.remote_income, total)
        here = np.bincount(where, minlength=len(w.present))
        w.present += here
        sim.flows.spawned += here
        by_country = np.bincount(w.country[where], minlength=len(w.in_country))
        w.in_country += by_country
        sim.eflows.left_home += by_country
        sim.eflows.cat_left += np.bincount(c, minlength=len(sim.eflows.cat_left))
