"""Camp capacity that grows: each day every camp with a capacity limit gains a fixed share of its initial
capacity (``capacity_growth_rate``), as camps are extended while people keep arriving."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.rule import Rule

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation


class CapacityGrowth(Rule):
    """On day t ≥ 1 each limited camp's capacity (locations.csv's, × capacity_scaling; at least 1) grows by
    ``capacity_growth_rate`` × that initial capacity: C(t) = C(0) × (1 + rate × t), less Flee 3.2's day-0
    deduction under ``flee32``. Unlimited camps (capacity below 1) stay unlimited. Rate 0 (Flee 3.1): nothing."""

    name = "capacity_growth"
    reads = ("world.capacity",)
    writes = ("world.capacity",)

    def init(self, sim: Simulation) -> None:
        s = sim.settings
        base = sim.scenario.locations.capacity * s.capacity_scaling
        self._limited = np.flatnonzero(base >= 1)
        self._step = base[self._limited] * s.capacity_growth_rate

    def step(self, sim: Simulation, day: int) -> None:
        if day == 0 or sim.settings.capacity_growth_rate <= 0 or self._limited.size == 0:
            return
        sim.world.capacity[self._limited] += self._step  # in place: the compiled kernels hold the array
