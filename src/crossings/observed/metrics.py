"""Reading Flee's out.csv and scoring it with the ARD (:mod:`crossings.results.metrics` holds the metric itself,
beside the results it is computed from)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from crossings.results.metrics import ard_series, mean_ard

__all__ = ["ard_from_out_csv", "ard_series", "mean_ard", "read_out_csv_camps"]


def read_out_csv_camps(path: str | Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Camp names and (days, camps) simulated and observed counts from a Flee-style out.csv."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    camps = [h[: -len(" sim")] for h in header if h.endswith(" sim") and h != "total refugees (simulation)"]
    sim_idx = [header.index(f"{c} sim") for c in camps]
    data_idx = [header.index(f"{c} data") for c in camps]
    body = [r for r in rows[1:] if r]
    sim = np.array([[float(r[i]) for i in sim_idx] for r in body], dtype=np.float64).reshape(len(body), -1)
    data = np.array([[float(r[i]) for i in data_idx] for r in body], dtype=np.float64).reshape(len(body), -1)
    return camps, sim, data


def ard_from_out_csv(path: str | Path) -> dict[str, float]:
    """Normal and rescaled mean ARD of a Flee-style out.csv (works on Flee's own files too)."""
    _, sim, data = read_out_csv_camps(path)
    return {"ard_normal": mean_ard(sim, data, rescaled=False), "ard_rescaled": mean_ard(sim, data, rescaled=True)}
