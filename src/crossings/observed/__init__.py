"""Observed data and how a run is compared with it: Flee's ARD against camp counts (:mod:`.metrics`), and fit
tables that score a run against observations shaped like shared/data/russia2022/observations.csv (docs/fit.md).

    from crossings.observed import RunTables, fit_data, fit_loss
    rows, data = fit_data(RunTables.from_results(res), "observed.csv")   # res: cx.run(...) or api.read_run("out")
    fit_loss(rows)                                                        # mean loss of the calibration rows
"""

from __future__ import annotations

from crossings.observed.classify import classify
from crossings.observed.fit import (
           FACTOR,
           OUTPUT_ROLES,
           WIDEN,
           FitRow,
           band,
           fit_data,
           fit_loss,
           fit_rows,
           fit_summary,
           loss,
           ratio,
           source_band,
           widen,
           within,
)
from crossings.observed.measures import QUANTITIES, RunTables, Sim, Target, parse_sim, simulate
from crossings.observed.metrics import ard_series, mean_ard
from crossings.observed.observations import Observation, RunNames, read_observed

__all__ = ["FACTOR", "OUTPUT_ROLES", "QUANTITIES", "WIDEN", "FitRow", "Observation", "RunNames", "RunTables", "Sim",
           "Target", "ard_series", "band", "classify", "fit_data", "fit_loss", "fit_rows", "fit_summary", "loss",
           "mean_ard", "parse_sim", "ratio", "read_observed", "simulate", "source_band", "widen", "within"]
