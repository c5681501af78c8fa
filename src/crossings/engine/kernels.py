"""Hot loops as pure functions over arrays: route weights, route sampling, first steps onto links."""

from __future__ import annotations

import numpy as np

from crossings.params.flee import FleeSettings
from crossings.scenario.graph import Paths


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


def sample_paths(cdf: np.ndarray, by_origin: np.ndarray, origins: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One path per agent at ``origins``, drawn with probability ∝ weight using uniforms ``u``; -1 if none."""
    lo = by_origin[origins]
    hi = by_origin[origins + 1]
    base = np.where(lo > 0, cdf[np.maximum(lo - 1, 0)], 0.0) if cdf.size else np.zeros(len(origins))
    top = np.where(hi > 0, cdf[np.maximum(hi - 1, 0)], 0.0) if cdf.size else np.zeros(len(origins))
    tot = top - base
    has = (hi > lo) & (tot > 0)
    idx = np.searchsorted(cdf, base + u * tot, side="right")
    idx = np.clip(idx, lo, np.maximum(hi - 1, lo))
    return np.where(has, idx, -1).astype(np.int32)


def next_links(paths: Paths, route: np.ndarray, hop: np.ndarray) -> np.ndarray:
    """The link each agent takes next on its planned path."""
    return paths.links[paths.start[route] + hop]
