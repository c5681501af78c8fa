"""Data-driven spawning (flee-model.md §1.3, checklist items 1–4): day-0 camp pre-population, daily
inflow from the observed total with the refugee-debt rule, spawn locations ∝ pop × intensity × decay. With Flee
3.2's ``sum_from_camps`` the inflow follows the sum of the camp series instead of refugees.csv."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.rng import geometric_wait
from crossings.engine.rule import Rule
from crossings.errors import InputError

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation


def conflict_decay(s_decay: tuple[float, ...] | None, interval: int, elapsed: np.ndarray) -> np.ndarray:
    """Flee's decay factor for days since onset: list element min(floor(Δt / interval), len − 1)."""
    if not s_decay:
        return np.ones(elapsed.shape)
    table = np.asarray(s_decay, dtype=np.float64)
    idx = np.minimum(np.maximum(elapsed, 0) // interval, len(table) - 1)
    return table[idx]


def driving_series(sim: Simulation) -> np.ndarray:
    """T(t), the series daily inflow follows (int64 per day): refugees.csv's total, or with ``sum_from_camps``
    (Flee 3.2) the sum over camps of their int-truncated interpolated series, Σ_c int D_c(t)."""
    obs = sim.scenario.observed
    n = sim.days
    if obs is None:
        return np.zeros(n, dtype=np.int64)
    if sim.settings.sum_from_camps:
        return obs.camps_by_day(n).sum(axis=1, dtype=np.int64)
    return obs.total_by_day(n)


def place_agents(sim: Simulation, day: int, where: np.ndarray) -> None:
    """Add agents at locations ``where`` (one entry per agent), at home there, with their first wake-up day."""
    if where.size == 0:
        return
    a = sim.agents
    rows = a.add(len(where))
    a.loc[rows] = where
    a.home[rows] = where
    a.wake[rows] = day - 1 + geometric_wait(sim.rng["spawn"], sim.world.movechance[where])
    counts = np.bincount(where, minlength=len(sim.world.present))
    sim.world.present += counts
    sim.flows.spawned += counts


class DataDrivenSpawning(Rule):
    """New agents appear at conflict zones so that the agent count follows the observed total: on day t,
    int T(t) − int T(t−1) agents minus any refugee debt (falls are remembered, agents are never removed).
    Under ``flee32`` (Flee 3.2) the day-0 population of each camp is also taken off its capacity."""

    name = "spawn"
    reads = ("world.intensity", "world.time_of_conflict", "world.movechance")
    writes = ("agents.loc", "agents.home", "agents.wake", "world.present", "flows.spawned")

    def init(self, sim: Simulation) -> None:
        self.debt = 0
        self.total = driving_series(sim)

    def checkpoint_state(self) -> dict[str, int]:
        return {"debt": int(self.debt)}

    def weights(self, sim: Simulation, time: int) -> np.ndarray:
        """Spawn weight of each location at Flee's ``e.time`` = ``time``."""
        w = sim.world
        s = sim.settings
        pop = sim.scenario.locations.population.astype(np.float64)
        active = w.intensity > 0
        decay = conflict_decay(s.conflict_spawn_decay, s.conflict_spawn_decay_interval,
                               time - w.time_of_conflict)
        return np.where(active, pop * w.intensity * decay, 0.0)

    def place(self, sim: Simulation, day: int, where: np.ndarray) -> None:
        """Add agents at locations ``where`` (one entry per agent)."""
        place_agents(sim, day, where)

    def step(self, sim: Simulation, day: int) -> None:
        s = sim.settings
        obs = sim.scenario.observed
        if day == 0 and s.conflict_driven_spawning and not s.insert_day0:
            return
        if day == 0:
            if s.insert_day0 and obs is not None:
                d0 = obs.camps_by_day(1)[0]
                camps = np.asarray(obs.camps, dtype=np.int64)
                self.place(sim, 0, np.repeat(camps, d0))
                if sim.rules == "flee32":  # Flee 3.2: the day-0 agents stay and the capacity shrinks too
                    sim.world.capacity[camps] -= d0
                return
            new = int(self.total[0])
        elif s.conflict_driven_spawning:  # the conflict-driven rule spawns instead (conflict_spawn.py)
            return
        else:
            new = int(self.total[day] - self.total[day - 1]) - self.debt
            if new < 0:
                self.debt = -new
                new = 0
            else:
                self.debt = 0
        sim.debt = self.debt
        if new <= 0:
            return
        # Flee refreshes spawn weights at time t only when a conflict started today; else they date from t−1.
        w = self.weights(sim, day if sim.onset_today else day - 1)
        total = w.sum()
        if total <= 0:
            raise InputError(sim.scenario.path, None, f"day {day}",
                             f"{new} agents to spawn but no location is a conflict zone")
        cdf = np.cumsum(w / total)
        u = sim.rng["spawn"].random(new)
        where = np.minimum(np.searchsorted(cdf, u, side="right"), len(w) - 1)
        # never a zero-weight location (guards the rounding at the top of the cdf)
        self.place(sim, day, where.astype(np.int64))
