"""Location scores and capacity multipliers, recomputed every day (§1.5, checklist items 6 and 10)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.models.flee.kernels import refresh_route_cdf
from crossings.engine.models.flee.rules.spawn import conflict_decay
from crossings.engine.rng import geometric_wait
from crossings.engine.rule import Rule

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation


class LocationScores(Rule):
    """score = foreign_weight (if foreign) × camp_weight (if camp) × conflict_weight^(decay × intensity)
    (if a conflict zone); capmult from agents present. Also gives agents at places whose move chance
    changed today a fresh wake-up day (daily draws are memoryless, so this is exact)."""

    name = "scores"
    reads = ("world.kind", "world.intensity", "world.present", "world.link_open")
    writes = ("world.score", "world.capmult", "world.path_open", "agents.wake")

    def step(self, sim: Simulation, day: int) -> None:
        w = sim.world
        s = sim.settings
        locs = sim.scenario.locations
        score = np.ones(len(w.kind))
        score = np.where(locs.foreign, score * s.foreign_weight, score)
        score = np.where(w.is_camp(), score * s.camp_weight, score)
        conflict = w.intensity > 0
        if conflict.any():
            decay = conflict_decay(s.conflict_spawn_decay, s.conflict_spawn_decay_interval, day - w.time_of_conflict)
            score = np.where(conflict, score * s.conflict_weight ** (decay * np.maximum(w.intensity, 0)), score)
        w.score = score
        w.update_capmult(s.capacity_buffer)
        w.refresh_paths()
        if w.changed_movechance is not None:
            a = sim.agents
            changed = np.zeros(len(w.kind), dtype=bool)
            changed[w.changed_movechance] = True
            idx = np.flatnonzero((a.link < 0) & changed[np.maximum(a.loc, 0)])
            if idx.size:
                wait = geometric_wait(sim.rng["wake"], w.movechance[a.loc[idx]])
                a.wake[idx] = np.minimum(day - 1 + wait, np.iinfo(np.int32).max)
            w.changed_movechance = None
        refresh_route_cdf(sim)
