"""Ensembles, uncertainty, sensitivity and calibration, with members on Dask, for a scenario of any model.

* :func:`run_member` — one member, a pure function of (scenario, parameters, seed);
* :func:`run_ensemble` — many members, seeds spawned from one seed; quantiles, and what the scenario's data allow
  (the ARD and the coverage of observed camp counts, the fit per observation row);
* :func:`run_sensitivity` — Sobol' first-order and total indices (SALib);
* :func:`run_calibration` — fit parameters to observed data (Optuna), with a held-out part.

Dask, SALib and Optuna are the ``ensemble`` extra: ``pip install 'crossings[ensemble]'``; they are imported only
when members run, indices are computed or a calibration starts.
"""

from __future__ import annotations

from crossings.ensemble.calibrate import run_calibration
from crossings.ensemble.ensemble import run_ensemble
from crossings.ensemble.member import MemberResult, ParamSpec, parse_param, run_member
from crossings.ensemble.sensitivity import run_sensitivity

__all__ = ["MemberResult", "ParamSpec", "parse_param", "run_calibration", "run_ensemble", "run_member",
           "run_sensitivity"]
