"""Ensembles, uncertainty, sensitivity and calibration, with members on Dask.

* :func:`run_member` — one member, a pure function of (scenario, parameters, seed);
* :func:`run_ensemble` — many members, seeds spawned from one seed; quantiles, ARD distribution, coverage;
* :func:`run_sensitivity` — Sobol' first-order and total indices (SALib);
* :func:`run_calibration` — fit settings to observed data (Optuna), with a held-out part.

Dask, SALib and Optuna are the ``ensemble`` extra: ``pip install 'crossings[ensemble]'``.
"""

from __future__ import annotations

from crossings.ensemble.member import MemberResult, ParamSpec, parse_param, run_member

__all__ = ["MemberResult", "ParamSpec", "parse_param", "run_calibration", "run_ensemble", "run_member",
           "run_sensitivity"]


def __getattr__(name: str) -> object:  # lazy: ``import crossings.ensemble`` stays light (no Dask)
    if name == "run_ensemble":
        from crossings.ensemble.ensemble import run_ensemble

        return run_ensemble
    if name == "run_sensitivity":
        from crossings.ensemble.sensitivity import run_sensitivity

        return run_sensitivity
    if name == "run_calibration":
        from crossings.ensemble.calibrate import run_calibration

        return run_calibration
    raise AttributeError(name)
