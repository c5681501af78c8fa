"""Reductions of an ensemble on the client, in member order: per-cell quantiles of every stock and flow,
the distribution of a fit, the coverage of observed data by a band, and the ARD on part of the data."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from crossings.observed.metrics import ard_series

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
QUANTILE_NAMES = ("q05", "q25", "q50", "q75", "q95")
# Above this many bytes the members' series are kept in a memory-mapped file instead of in memory.
IN_MEMORY_LIMIT = 256 * 2**20
_BLOCK_BYTES = 32 * 2**20  # quantiles are taken over blocks of days of about this size


class Stack:
    """Every member's daily series, by member index: ``put(i, series)`` as members arrive, then quantiles."""

    def __init__(self, members: int, shapes: Mapping[str, tuple[int, int]], tmpdir: str | Path | None = None,
                 in_memory_limit: int = IN_MEMORY_LIMIT) -> None:
        self.members = members
        self.names = list(shapes)
        size = sum(members * d * n * 8 for d, n in shapes.values())
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self.arrays: dict[str, np.ndarray] = {}
        if size > in_memory_limit:
            self._dir = tempfile.TemporaryDirectory(prefix="crossings-ensemble-", dir=tmpdir)
            for k, (d, n) in shapes.items():
                self.arrays[k] = np.lib.format.open_memmap(os.path.join(self._dir.name, f"{k}.npy"), mode="w+",
                                                           dtype=np.int64, shape=(members, d, n))
        else:
            self.arrays = {k: np.zeros((members, d, n), dtype=np.int64) for k, (d, n) in shapes.items()}
        self.filled = np.zeros(members, dtype=bool)

    def put(self, i: int, series: Mapping[str, np.ndarray]) -> None:
        for k in self.names:
            self.arrays[k][i] = series[k]
        self.filled[i] = True

    def reduce(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Quantiles (5, days, n) and mean (days, n) over members of one series (linear interpolation)."""
        if not self.filled.all():
            raise RuntimeError(f"members missing: {np.flatnonzero(~self.filled)[:10].tolist()}")
        a = self.arrays[name]
        m, d, n = a.shape
        q = np.empty((len(QUANTILES), d, n), dtype=np.float64)
        mean = np.empty((d, n), dtype=np.float64)
        step = max(1, _BLOCK_BYTES // max(1, m * n * 8))
        for d0 in range(0, d, step):
            block = np.asarray(a[:, d0:d0 + step, :], dtype=np.float64)
            q[:, d0:d0 + step, :] = np.quantile(block, QUANTILES, axis=0)
            mean[d0:d0 + step, :] = block.mean(axis=0)
        return q, mean

    def close(self) -> None:
        self.arrays.clear()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


def distribution(values: np.ndarray) -> dict[str, Any]:
    """Quantiles, mean, min and max of a sample of numbers (NaN-free), rounded for JSON."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if not v.size:
        return {"n": 0}
    out: dict[str, Any] = {"n": int(v.size), "mean": float(v.mean()), "min": float(v.min()), "max": float(v.max())}
    out.update({k: float(x) for k, x in zip(QUANTILE_NAMES, np.quantile(v, QUANTILES), strict=True)})
    return {k: round(x, 6) if isinstance(x, float) else x for k, x in out.items()}


def masked_ard(sim: np.ndarray, data: np.ndarray, mask: np.ndarray, rescaled: bool = True) -> float:
    """Flee's ARD (crossings.observed.metrics) over the (day, camp) cells where ``mask`` is true: each day's
    error is taken over that day's cells (totals too), and averaged over the days with at least one cell."""
    mask = np.asarray(mask, dtype=bool)
    days = mask.any(axis=1)
    if not days.any():
        return float("nan")
    s_m = np.where(mask, np.asarray(sim, dtype=np.float64), 0.0)
    d_m = np.where(mask, np.asarray(data, dtype=np.float64), 0.0)
    return float(ard_series(s_m, d_m, rescaled=rescaled)[days].mean())


def coverage(scenario: Any, q_present: np.ndarray, days: int) -> dict[str, Any]:
    """Share of the observed camp counts inside the band [q05, q95] of agents present there.

    ``points``: the observations as given (each dated row of each camp's file within the run); ``daily``: the
    interpolated daily series Flee's ARD compares with. Per camp and overall."""
    obs = scenario.observed
    if obs is None or not obs.camps:
        return {}
    lo, hi = q_present[0], q_present[-1]
    names = scenario.locations.name
    per_camp: dict[str, Any] = {}
    inside_pts = total_pts = 0
    daily_data = obs.camps_by_day(days)
    for j, (c, s) in enumerate(zip(obs.camps, obs.camp_series, strict=True)):
        t = np.rint(s.days).astype(np.int64)
        keep = (t >= 0) & (t < days)
        t, v = t[keep], s.values[keep]
        ok = (lo[t, c] <= v) & (v <= hi[t, c])
        d_ok = (lo[:, c] <= daily_data[:, j]) & (daily_data[:, j] <= hi[:, c])
        per_camp[names[c]] = {"points": int(t.size), "points_inside": int(ok.sum()),
                              "share": round(float(ok.mean()), 6) if t.size else None,
                              "daily_share": round(float(d_ok.mean()), 6) if days else None}
        inside_pts += int(ok.sum())
        total_pts += int(t.size)
    band = (lo[:, list(obs.camps)] <= daily_data) & (daily_data <= hi[:, list(obs.camps)])
    return {"band": "q05-q95", "points": total_pts, "points_inside": inside_pts,
            "share": round(inside_pts / total_pts, 6) if total_pts else None,
            "daily_share": round(float(band.mean()), 6) if band.size else None, "camps": per_camp}
