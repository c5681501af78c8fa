"""Sobol' sensitivity of one output to chosen parameters, with SALib; members on Dask.

The design is Saltelli's extension of a scrambled Sobol' sequence (``SALib.sample.sobol``): ``N (D + 2)``
parameter points for D parameters. Every point is run with the same ``replicates`` seeds (common random
numbers), and its output is the mean over them, so the indices describe the parameters, not the dice. The output
defaults to the scenario's fit: the ARD against observed camp counts for a Flee scenario, the fit loss of the
calibration rows of its observations for one of named parameters.
"""

from __future__ import annotations

import datetime as dt
import difflib
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from crossings._version import __version__
from crossings.engine.model import get_model
from crossings.engine.resources import check_members_fit
from crossings.ensemble.cluster import map_members, open_client
from crossings.ensemble.member import (
    ParamSpec,
    as_param,
    as_scenario,
    flee_settings,
    member_seeds,
    ranged_params,
    run_seed,
    with_params,
)
from crossings.errors import InputError
from crossings.files import dumps_json, write_set, write_text
from crossings.results.schema import PLACE_SERIES
from crossings.scenario.model import Scenario

ARD_OUTPUTS = ("ard_rescaled", "ard_normal")
FIT_OUTPUTS = ("loss_calibration", "loss_validation", "share_inside", "agents_final")
NAMED_DIMS = ("location", "country", "category")  # dimensions whose series SERIES@NAME may name (fit outputs)


def default_output(scenario: Scenario) -> str:
    """The output a sensitivity analysis computes unless told otherwise: the scenario's fit."""
    return ARD_OUTPUTS[0] if flee_settings(scenario) else FIT_OUTPUTS[0]


def check_output(scenario: Scenario, spec: str) -> str:
    """``spec`` if :func:`crossings.ensemble.member.output_value` can compute it for this scenario, else
    :class:`InputError`. A Flee scenario: ``ard_rescaled``, ``ard_normal``, ``agents_final`` or
    ``SERIES@LOCATION``. A scenario of named parameters: ``loss_calibration``, ``loss_validation``,
    ``share_inside`` (of the scored rows), ``agents_final``, ``row@LINE`` (the simulated value of the observation
    on line LINE) or ``SERIES@NAME`` (a location, country or category series). A stock is taken on the last day,
    a flow summed over the run."""
    if flee_settings(scenario):
        return _check_camp_output(scenario, spec)
    return _check_row_output(scenario, spec)


def _check_camp_output(scenario: Scenario, spec: str) -> str:
    if spec in ARD_OUTPUTS:
        if scenario.observed is None or not scenario.observed.camps:
            raise InputError("--output", None, spec, "the scenario has no observed camp data to compute it from")
        return spec
    if spec == "agents_final":
        return spec
    name, at, where = spec.partition("@")
    if not at or name not in PLACE_SERIES:
        raise InputError("--output", None, spec, "expected ard_rescaled, ard_normal, agents_final or "
                         f"SERIES@LOCATION with SERIES one of {', '.join(PLACE_SERIES)}")
    if where not in scenario.locations.name:
        raise InputError("--output", None, spec, f"no location named {where!r}")
    return spec


def _check_row_output(scenario: Scenario, spec: str) -> str:
    path = scenario.observations_file
    if spec in FIT_OUTPUTS:
        if spec != "agents_final" and path is None:
            raise InputError("--output", None, spec, "the scenario has no observed.csv to compute it from")
        return spec
    name, at, where = spec.partition("@")
    if at and name == "row":
        if path is None:
            raise InputError("--output", None, spec, "the scenario has no observed.csv")
        lines = [o.line for o in scenario.observations]
        if not where.isdigit() or int(where) not in lines:
            raise InputError("--output", None, spec, f"{where!r} is not a line of a row of {path}")
        return spec
    schema = get_model(scenario.model).schema(scenario)
    dims = {k: s.dim for k, s in schema.series.items() if s.dim != "link"}
    if not at or dims.get(name) not in NAMED_DIMS:
        known = ", ".join(k for k, d in dims.items() if d in NAMED_DIMS)
        raise InputError("--output", None, spec, f"expected one of {', '.join(FIT_OUTPUTS)}, row@LINE or "
                         f"SERIES@NAME with SERIES one of {known}")
    pool = list(schema.dims[dims[name]].labels)
    if where not in pool:
        close = difflib.get_close_matches(where, pool, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputError("--output", None, spec, f"no {dims[name]} named {where!r}{hint}")
    return spec


@dataclass
class SensitivityResult:
    """Sobol' indices per setting (``indices[name]`` has S1, S1_conf, ST, ST_conf) and the design behind them."""

    scenario: Scenario
    params: list[ParamSpec]
    output: str
    samples: int
    replicates: int
    seed: int
    X: np.ndarray  # (points, settings), the values run
    Y: np.ndarray  # (points,), the output (mean over replicates)
    indices: dict[str, dict[str, float]]
    wall_seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        """What sensitivity.json holds."""
        return {
            "scenario": self.scenario.name,
            "scenario_path": str(self.scenario.path),
            "output": self.output,
            "params": {p.name: [p.low, p.high] for p in self.params},
            "samples": self.samples,
            "points": int(len(self.Y)),
            "replicates": self.replicates,
            "runs": int(len(self.Y)) * self.replicates,
            "seed": self.seed,
            "method": "Sobol' first-order (S1) and total (ST) indices, Saltelli design, SALib "
                      f"{version('SALib')}; 95 % bootstrap confidence half-widths",
            "indices": self.indices,
            "output_distribution": {"mean": round(float(self.Y.mean()), 6), "std": round(float(self.Y.std()), 6)},
            "wall_seconds": round(self.wall_seconds, 3),
            "crossings_version": __version__,
            "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    def write(self, out: str | Path) -> Path:
        """Write sensitivity.json and sensitivity_samples.csv (each point's settings and output), staged and renamed
        in with sensitivity.json last (:func:`~crossings.files.write_set`)."""
        lines = [",".join([p.name for p in self.params] + [self.output])]
        lines += [",".join([repr(float(x)) for x in row] + [repr(float(y))]) for row, y in zip(self.X, self.Y,
                                                                                               strict=True)]

        def files(stage: Path) -> None:
            write_text(stage / "sensitivity_samples.csv", "\n".join(lines) + "\n")
            write_text(stage / "sensitivity.json", dumps_json(self.summary(), indent=2, sort_keys=True) + "\n")

        return write_set(out, "sensitivity.json", files)


def run_sensitivity(scenario: Scenario | str | Path, params: Sequence[ParamSpec], samples: int, *,
                    output: str | None = None, seed: int = 0, replicates: int = 1, workers: int | None = None,
                    scheduler: str | None = None, client: Any = None, days: int | None = None,
                    rules: str | None = None, kernel: str = "compiled",
                    progress: Callable[[int, int], None] | None = None) -> SensitivityResult:
    """Sobol' indices of ``output`` for the parameters ``params`` (ranges), from ``samples`` (a power of two)
    base points, each run with the same ``replicates`` seeds spawned from ``seed``. ``output`` defaults to the
    scenario's fit (:func:`default_output`): ``ard_rescaled`` for a Flee scenario, else ``loss_calibration`` (the
    fit loss of the calibration rows of its observations)."""
    # deferred: SALib takes a second to import, and only a sensitivity analysis needs it
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    params = ranged_params(params)
    if samples < 2 or samples & (samples - 1):
        raise InputError("--samples", None, "samples", f"{samples} is not a power of two (Sobol' sequences need "
                         "one, e.g. 64)")
    if replicates < 1:
        raise InputError("--replicates", None, "replicates", f"{replicates} is not positive")
    sc = as_scenario(scenario)
    params = [as_param(p, sc) for p in params]
    output = check_output(sc, default_output(sc) if output is None else output)
    # Saltelli's scheme without second order: samples × (parameters + 2) points, each run replicates times
    check_members_fit(sc, days or sc.length, samples * (len(params) + 2) * replicates, "--samples")
    problem = {"num_vars": len(params), "names": [p.name for p in params],
               "bounds": [[p.low, p.high] for p in params]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        U = sobol_sample.sample({**problem, "bounds": [[0.0, 1.0]] * len(params)}, samples,
                                calc_second_order=False, seed=seed)
    points = [{p.name: p.value(float(u)) for p, u in zip(params, row, strict=True)} for row in U]
    with_params(sc, points[0])  # check the names and values before anything starts
    X = np.array([[pt[p.name] for p in params] for pt in points], dtype=np.float64)
    rep_seeds = [run_seed(ss) for ss in member_seeds(seed, replicates)]
    all_params = [pt for pt in points for _ in range(replicates)]
    all_seeds = [s for _ in points for s in rep_seeds]
    values = np.full(len(all_seeds), np.nan)
    t0 = time.perf_counter()
    with open_client(workers, scheduler, client) as c:
        for i, res in map_members(c, sc, all_params, all_seeds, progress=progress, days=days, rules=rules,
                                  kernel=kernel, keep_series=False, keep_camps=False, outputs=(output,)):
            values[i] = res.outputs[output]
    Y = values.reshape(len(points), replicates).mean(axis=1)
    if not np.isfinite(Y).all():
        raise InputError("--output", None, output, "is undefined for some runs (e.g. no observed data in the run)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Si = sobol_analyze.analyze(problem, Y, calc_second_order=False, print_to_console=False, seed=seed)
    indices = {p.name: {k: round(float(np.nan_to_num(Si[k][j])), 6) for k in ("S1", "S1_conf", "ST", "ST_conf")}
               for j, p in enumerate(params)}
    return SensitivityResult(sc, params, output, samples, replicates, seed, X, Y, indices,
                             time.perf_counter() - t0)
