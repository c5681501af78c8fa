"""Observed data and the measures that compare a run with it."""

from crossings.observed.metrics import ard_series, mean_ard

__all__ = ["ard_series", "mean_ard"]
