"""Hot loops shared by the models, as pure functions over arrays: route sampling, first steps onto links; and the
one place a run keeps the context of its compiled kernels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from crossings.scenario.graph import Paths

T = TypeVar("T")


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


def run_context(sim: Any, attr: str, make: Callable[[Any], T]) -> T:
    """The object kept on the run ``sim`` as ``attr``, made by ``make(sim)`` on first use (a compiled kernels'
    context: the library's handle and the arrays' pointers, once per run)."""
    got = getattr(sim, attr, None)
    if got is None:
        got = make(sim)
        setattr(sim, attr, got)
    return got
