"""Conflict onsets from conflicts.csv (flee-model.md §1.4 step 1, checklist items 10 and 12)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.rule import Rule
from crossings.scenario.model import CONFLICT, TOWN

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation

EPS = 1e-6


class ConflictOnsets(Rule):
    """A location becomes a conflict zone on a 0→>0 transition (intensity = that day's value, onset day
    recorded); it reverts to a town on a >0→0 transition (``crossings``, and ``flee32`` as Flee 3.2 does). Flee 3.1
    (``flee31``) reverts only when the previous value was exactly 1 and ignores intensity changes while a conflict
    lasts."""

    name = "conflicts"
    reads = ("world.kind",)
    writes = ("world.kind", "world.intensity", "world.time_of_conflict", "world.movechance")

    def step(self, sim: Simulation, day: int) -> None:
        sc = sim.scenario
        sim.onset_today = False
        if sc.conflicts.shape[1] == 0 or day >= sc.conflicts.shape[0]:
            return
        w = sim.world
        now = sc.conflicts[day]
        prev = sc.conflicts[day - 1] if day > 0 else np.zeros_like(now)
        onset = (now > EPS) & ((prev < EPS) | (day == 0))
        if sim.rules == "flee31":
            revert = (now < EPS) & (prev == 1.0) & (day > 0)
        else:
            revert = (now < EPS) & (prev > EPS) & (day > 0)
        if not (onset.any() or revert.any()):
            return
        on = sc.conflict_locations[onset]
        w.kind[on] = CONFLICT
        w.intensity[on] = now[onset]
        w.time_of_conflict[on] = day
        off = sc.conflict_locations[revert]
        w.kind[off] = TOWN
        w.intensity[off] = -1.0
        sim.onset_today = bool(onset.any()) or bool(revert.any())
        w.refresh_movechance(sim.settings)
