"""Reading Flee's out.csv and scoring it with the ARD (:mod:`crossings.results.metrics` holds the metric itself,
beside the results it is computed from; :mod:`crossings.results.read` reads out.csv)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from crossings.results.metrics import ard_series, mean_ard
from crossings.results.read import read_out_csv

__all__ = ["ard_from_out_csv", "ard_series", "mean_ard", "read_out_csv_camps"]


def read_out_csv_camps(path: str | Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Camp names and (days, camps) simulated and observed counts from a Flee-style out.csv."""
    camps = read_out_csv(Path(path))
    if camps is None:
        raise FileNotFoundError(f"no such file: {path}")
    return list(camps.names), camps.sim, camps.data


def ard_from_out_csv(path: str | Path) -> dict[str, float]:
    """Normal and rescaled mean ARD of a Flee-style out.csv (works on Flee's own files too)."""
    _, sim, data = read_out_csv_camps(path)
    return {"ard_normal": mean_ard(sim, data, rescaled=False), "ard_rescaled": mean_ard(sim, data, rescaled=True)}
