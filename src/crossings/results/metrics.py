"""Flee's validation metric, the averaged relative difference (ARD), as pure functions.

Definitions follow flee-model.md §3.2 (Flee's ``extract-validation-results.py``):

* normal:   E_t = Σ_c |sim_ct − data_ct| / max(U_t, 1)
* rescaled: E_t = Σ_c |sim_ct · U_t / S_t − data_ct| / max(U_t, 1), the term being |data_ct| when S_t = 0

with U_t = Σ_c data_ct (observed camp total) and S_t = Σ_c sim_ct (simulated camp total); the reported
error is the mean of E_t over all days. They live with the results, whose :meth:`~crossings.results.Results.ard`
uses them; :mod:`crossings.observed.metrics` adds the readers of Flee's out.csv.
"""

from __future__ import annotations

import numpy as np


def ard_series(sim: np.ndarray, data: np.ndarray, rescaled: bool = True) -> np.ndarray:
    """Daily ARD E_t for simulated and observed camp counts, both shaped (days, camps)."""
    sim = np.asarray(sim, dtype=np.float64)
    data = np.asarray(data, dtype=np.float64)
    if sim.shape != data.shape or sim.ndim != 2:
        raise ValueError(f"sim and data must both be (days, camps); got {sim.shape} and {data.shape}")
    u = data.sum(axis=1)
    if rescaled:
        s = sim.sum(axis=1)
        scale = np.divide(u, s, out=np.zeros_like(u), where=s > 0)
        diff = np.abs(sim * scale[:, None] - data)
    else:
        diff = np.abs(sim - data)
    return diff.sum(axis=1) / np.maximum(u, 1.0)


def mean_ard(sim: np.ndarray, data: np.ndarray, rescaled: bool = True) -> float:
    """The reported ARD: the mean over days of :func:`ard_series`."""
    series = ard_series(sim, data, rescaled=rescaled)
    return float(series.mean()) if series.size else float("nan")
