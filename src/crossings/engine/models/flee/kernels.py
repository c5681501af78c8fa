"""The Flee model's route weights as a pure function over arrays (flee-model.md §1.6)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.params.flee import FleeSettings
from crossings.scenario.graph import Paths

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation


def path_cdf(paths: Paths, path_open: np.ndarray, score: np.ndarray, capmult: np.ndarray,
             s: FleeSettings, n_locations: int) -> np.ndarray:
    """Cumulative route weights, grouped by origin (flee-model.md §1.6).

    w = [(weight_softening + score_end) / (softening + km)^distance_power × capmult_end]^weight_power;
    paths with a closed link weigh 0; where every open candidate of an origin weighs 0, they are uniform.
    """
    e = paths.end
    w = (s.weight_softening + score[e]) / (s.softening + paths.length_km) ** s.distance_power * capmult[e]
    if s.weight_power != 1.0:
        w = w ** s.weight_power
    w = np.where(path_open, w, 0.0)
    tot = np.bincount(paths.origin, weights=w, minlength=n_locations)
    w = np.where(path_open & (tot[paths.origin] <= 0.0), 1.0, w)
    return np.cumsum(w)


def refresh_route_cdf(sim: Simulation) -> None:
    """Recompute the run's route weights from today's scores, capacity multipliers and open links."""
    w = sim.world
    sim.route_cdf = path_cdf(w.paths, w.path_open, w.score, w.capmult, sim.settings, len(w.kind))
