"""Location types that change over time (location_changes.csv, Flee #105): on its day a location becomes a
conflict zone, a town, a camp, an IDP camp or a forwarding hub, as conflicts.csv and closures.csv change kinds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crossings.engine.rule import Rule
from crossings.scenario.model import CONFLICT

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation


class LocationChanges(Rule):
    """On day d every row of day d is applied in file order: the kind changes; a new conflict zone takes its
    locations.csv intensity (conflict_intensity, else 1) and d as its onset day (spawn weights and scores decay
    from it); any other kind has no conflict. Move chances follow the new kind (agents there draw a fresh wake-up
    day). A town made a camp has no capacity limit unless locations.csv gave it one. No file: nothing happens."""

    name = "location_changes"
    reads = ("world.kind",)
    writes = ("world.kind", "world.intensity", "world.time_of_conflict", "world.movechance")

    def init(self, sim: Simulation) -> None:
        self._by_day: dict[int, list[tuple[int, int]]] = {}
        for c in sim.scenario.location_changes:
            self._by_day.setdefault(c.day, []).append((c.index, c.kind))

    def step(self, sim: Simulation, day: int) -> None:
        todo = self._by_day.get(day)
        if not todo:
            return
        w = sim.world
        intensity = sim.scenario.locations.intensity
        for i, kind in todo:
            if kind == CONFLICT and w.kind[i] != CONFLICT:
                w.intensity[i] = intensity[i] if intensity[i] > 0 else 1.0
                w.time_of_conflict[i] = day
            elif kind != CONFLICT:
                w.intensity[i] = -1.0
            w.kind[i] = kind
        sim.onset_today = True  # spawn weights are refreshed today, as after a conflict onset
        w.refresh_movechance(sim.settings)
