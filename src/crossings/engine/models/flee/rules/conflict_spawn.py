"""Conflict-driven spawning (Flee's ``spawn_rules.conflict_driven_spawning``, Flee issues #69 and #88;
flee-model.md §1.3): each day every conflict zone spawns agents in proportion to its conflict intensity, decaying
with the days since its conflict began, instead of following the observed total."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.models.flee.rules.spawn import conflict_decay, place_agents
from crossings.engine.rule import Rule
from crossings.params.flee import DISPLACED_DEFAULT

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation


def displaced_today(sim: Simulation, day: int) -> np.ndarray:
    """Expected new agents per location on ``day`` (float): k × intensity × decay(day − onset), × population for
    ``pop_ratio``; 0 where the location is not a conflict zone today (a conflict that ended spawns nobody, #88)."""
    w, s = sim.world, sim.settings
    mode = s.conflict_spawn_mode
    k = DISPLACED_DEFAULT[mode] if s.displaced_per_conflict_day is None else s.displaced_per_conflict_day
    active = w.intensity > 0
    decay = conflict_decay(s.conflict_spawn_decay, s.conflict_spawn_decay_interval, day - w.time_of_conflict)
    rate = k * np.maximum(w.intensity, 0.0)
    if mode == "pop_ratio":
        rate = k * sim.scenario.locations.population.astype(np.float64) * np.maximum(w.intensity, 0.0)
    return np.where(active, rate * decay, 0.0)


class ConflictDrivenSpawning(Rule):
    """With ``conflict_driven_spawning`` on: each conflict zone i spawns int(k × intensity_i × decay) agents a day
    (``constant``), Poisson(k × intensity_i × decay) (``poisson``) or int(k × pop_i × intensity_i × decay)
    (``pop_ratio``), decay = ``conflict_spawn_decay``[min(floor(days since onset / interval), len − 1)] (1 without
    a list). Day 0's camp pre-population (insert_day0) stays; the daily data-driven inflow is off. Off (Flee 3.1's
    default): nothing happens and nothing is drawn."""

    name = "conflict_spawn"
    reads = ("world.intensity", "world.time_of_conflict", "world.movechance")
    writes = ("agents.loc", "agents.home", "agents.wake", "world.present", "flows.spawned")

    def step(self, sim: Simulation, day: int) -> None:
        s = sim.settings
        if not s.conflict_driven_spawning:
            return
        mean = displaced_today(sim, day)
        if s.conflict_spawn_mode == "poisson":
            zones = np.flatnonzero(mean > 0)
            counts = np.zeros(len(mean), dtype=np.int64)
            counts[zones] = sim.rng["spawn"].poisson(mean[zones])
        else:
            counts = np.trunc(mean).astype(np.int64)
        place_agents(sim, day, np.repeat(np.arange(len(counts), dtype=np.int64), counts))
