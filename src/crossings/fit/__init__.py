"""Fit tables: score a finished emigration run against observations shaped like
shared/data/russia2022/observations.csv (docs/fit.md).

    from crossings.fit import RunTables, fit_data, fit_loss
    rows, data = fit_data(RunTables.from_run_dir("out"), "observed.csv")   # or RunTables.from_results(res)
    fit_loss(rows)                                                        # mean loss of the calibration rows
"""

from __future__ import annotations

from crossings.fit.classify import classify
from crossings.fit.measures import QUANTITIES, RunTables, Sim, Target, parse_sim, simulate
from crossings.fit.observed import Observation, RunNames, read_observed
from crossings.fit.table import FitRow, band, fit_data, fit_loss, fit_rows, fit_summary, loss, ratio

__all__ = ["QUANTITIES", "FitRow", "Observation", "RunNames", "RunTables", "Sim", "Target", "band", "classify",
           "fit_data", "fit_loss", "fit_rows", "fit_summary", "loss", "parse_sim", "ratio", "read_observed",
           "simulate"]
