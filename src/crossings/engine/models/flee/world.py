"""Dynamic state of places and links (what changes over a run), separate from the frozen scenario."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from crossings.params.flee import FleeSettings
from crossings.scenario.graph import Paths, enumerate_paths
from crossings.scenario.model import CAMP, CONFLICT, FORWARD, IDPCAMP, MARKER, TOWN, Scenario


@dataclass
class World:
    """Per-location and per-link arrays that rules read and change day by day."""

    kind: np.ndarray  # int8 current kind
    intensity: np.ndarray  # float64 current conflict intensity (-1 when not a conflict zone)
    time_of_conflict: np.ndarray  # int64 day of the last onset (-1 initially)
    movechance: np.ndarray  # float64 daily move probability at each location
    score: np.ndarray  # float64 attractiveness
    capmult: np.ndarray  # float64 capacity multiplier
    present: np.ndarray  # int64 agents at each location (not on links)
    on_link: np.ndarray  # int64 agents on each link
    link_open: np.ndarray  # bool
    closure_depth: np.ndarray  # int32 number of active closures covering each link
    paths: Paths
    path_open: np.ndarray  # bool (P,)
    capacity: np.ndarray  # float64 capacity × capacity_scaling (below 1: unlimited)
    pop_factor: np.ndarray  # float64 Flee's movechance population factor
    speed: np.ndarray  # float64 km/day per link
    path_base: np.ndarray  # float64 1 / (softening + km)^distance_power per path
    returned: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # agents home today, by home
    paths_dirty: bool = True
    changed_movechance: np.ndarray | None = None  # locations whose move chance changed today

    @classmethod
    def initial(cls, sc: Scenario, s: FleeSettings) -> World:
        locs = sc.locations
        n = len(locs)
        kind = locs.start_kind.copy()
        intensity = np.where(kind == CONFLICT, locs.intensity, -1.0)
        paths = enumerate_paths(sc.links, locs.kind, s.awareness_level)
        pop_factor = np.ones(n)
        if s.movechance_pop_scale_factor != 0:
            base = np.maximum(locs.population, locs.capacity).astype(np.float64) / s.movechance_pop_base
            pop_factor = base ** s.movechance_pop_scale_factor
        speed = np.where(np.isnan(sc.links.speed), s.max_move_speed, sc.links.speed)
        w = cls(
            kind=kind, intensity=intensity, time_of_conflict=np.full(n, -1, dtype=np.int64),
            movechance=np.zeros(n), score=np.ones(n), capmult=np.ones(n),
            present=np.zeros(n, dtype=np.int64), on_link=np.zeros(len(sc.links), dtype=np.int64),
            link_open=np.ones(len(sc.links), dtype=bool), closure_depth=np.zeros(len(sc.links), dtype=np.int32),
            paths=paths, path_open=np.ones(len(paths.origin), dtype=bool),
            capacity=locs.capacity * s.capacity_scaling,
            pop_factor=pop_factor, speed=speed,
            path_base=1.0 / (s.softening + paths.length_km) ** s.distance_power,
        )
        w.refresh_movechance(s)
        w.changed_movechance = None
        return w

    def refresh_movechance(self, s: FleeSettings) -> None:
        """Set each location's move chance from its current kind; remember which ones changed."""
        base = np.ones(len(self.kind))
        base[self.kind == TOWN] = s.default_movechance
        base[self.kind == CONFLICT] = s.conflict_movechance
        base[self.kind == CAMP] = s.camp_movechance
        base[self.kind == IDPCAMP] = s.idpcamp_movechance
        base[(self.kind == FORWARD) | (self.kind == MARKER)] = 1.0
        new = np.minimum(base * self.pop_factor, 1.0)
        changed = np.flatnonzero(new != self.movechance)
        self.movechance = new
        if changed.size:
            prev = self.changed_movechance
            self.changed_movechance = changed if prev is None else np.union1d(prev, changed)

    def is_camp(self) -> np.ndarray:
        """Locations that are camps today (camp closures turn camps into towns)."""
        return (self.kind == CAMP) | (self.kind == IDPCAMP)

    def update_capmult(self, buffer: float) -> None:
        """Flee's capacity multiplier from agents present (flee-model.md §1.6 item 3; the capacity already
        scaled by Flee 3.2's capacity_scaling)."""
        c = self.capacity
        n = self.present.astype(np.float64)
        m = np.ones(len(c))
        limited = c >= 1
        # Flee's order of tests: "not nearly full" first, so with buffer 1 a camp at exactly C is still open.
        below = ~limited | (n <= buffer * c)
        full = ~below & (n >= c)
        mid = ~below & ~full
        m[full] = 0.0
        m[mid] = 1.0 - (n[mid] - buffer * c[mid]) / (c[mid] * (1.0 - buffer))
        self.capmult = m

    def refresh_paths(self) -> None:
        """Recompute which candidate paths are usable (all their links open)."""
        if not self.paths_dirty:
            return
        p = self.paths
        if len(p.origin):
            closed_on_path = (~self.link_open[p.links]).astype(np.int32)
            self.path_open = np.add.reduceat(closed_on_path, p.start[:-1]) == 0
        self.paths_dirty = False
