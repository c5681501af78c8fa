"""Sobol' sensitivity of one output (the ARD by default) to chosen settings, with SALib; members on Dask.

The design is Saltelli's extension of a scrambled Sobol' sequence (``SALib.sample.sobol``): ``N (D + 2)``
parameter points for D settings. Every point is run with the same ``replicates`` seeds (common random
numbers), and its output is the mean over them, so the indices describe the settings, not the dice.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from crossings.ensemble.cluster import map_members, open_client
from crossings.ensemble.member import ParamSpec, as_scenario, check_output, member_seeds, ranged_params, run_seed
from crossings.errors import InputError
from crossings.scenario.model import Scenario


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
        from importlib.metadata import version

        from crossings._version import __version__

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
        """Write sensitivity.json and sensitivity_samples.csv (each point's settings and output)."""
        out = Path(out)
        if out.exists() and not out.is_dir():
            raise InputError(out, None, "--out", "exists and is not a directory")
        out.mkdir(parents=True, exist_ok=True)
        lines = [",".join([p.name for p in self.params] + [self.output])]
        lines += [",".join([repr(float(x)) for x in row] + [repr(float(y))]) for row, y in zip(self.X, self.Y,
                                                                                               strict=True)]
        (out / "sensitivity_samples.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (out / "sensitivity.json").write_text(json.dumps(self.summary(), indent=2, sort_keys=True) + "\n",
                                              encoding="utf-8")
        return out


def run_sensitivity(scenario: Scenario | str | Path, params: Sequence[ParamSpec], samples: int, *,
                    output: str | None = None, seed: int = 0, replicates: int = 1, workers: int | None = None,
                    scheduler: str | None = None, client: Any = None, days: int | None = None,
                    rules: str | None = None, kernel: str = "compiled",
                    progress: Callable[[int, int], None] | None = None) -> SensitivityResult:
    """Sobol' indices of ``output`` for the settings ``params`` (ranges), from ``samples`` (a power of two)
    base points, each run with the same ``replicates`` seeds spawned from ``seed``. ``output`` defaults to
    ``ard_rescaled``, for an emigration scenario to ``loss_calibration`` (the fit loss of its calibration
    rows)."""
    import warnings

    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    params = ranged_params(params)
    if samples < 2 or samples & (samples - 1):
        raise InputError("--samples", None, "samples", f"{samples} is not a power of two (Sobol' sequences need "
                         "one, e.g. 64)")
    if replicates < 1:
        raise InputError("--replicates", None, "replicates", f"{replicates} is not positive")
    sc = as_scenario(scenario)
    if output is None:
        output = "loss_calibration" if sc.model == "emigration" else "ard_rescaled"
    output = check_output(sc, output)
    problem = {"num_vars": len(params), "names": [p.name for p in params],
               "bounds": [[p.low, p.high] for p in params]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        U = sobol_sample.sample({**problem, "bounds": [[0.0, 1.0]] * len(params)}, samples,
                                calc_second_order=False, seed=seed)
    points = [{p.name: p.value(float(u)) for p, u in zip(params, row, strict=True)} for row in U]
    X = np.array([[pt[p.name] for p in params] for pt in points], dtype=np.float64)
    rep_seeds = [run_seed(ss) for ss in member_seeds(seed, replicates)]
    all_params = [pt for pt in points for _ in range(replicates)]
    all_seeds = [s for _ in points for s in rep_seeds]
    values = np.full(len(all_seeds), np.nan)
    t0 = time.perf_counter()
    with open_client(workers, scheduler, client) as c:
        for i, res in map_members(c, sc, all_params, all_seeds, progress=progress, days=days, rules=rules,
                                  kernel=kernel, keep_series=False, outputs=(output,)):
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
