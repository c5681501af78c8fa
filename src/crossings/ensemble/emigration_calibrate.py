"""Calibration of an emigration scenario's named parameters against its observed.csv, members on Dask.

The loss of a parameter set is the fit loss (:func:`crossings.observed.fit.fit_loss`) over the rows whose role is
``calibration``, averaged over ``replicates`` runs whose seeds are the same for every set (common random
numbers). Optuna's seeded TPE sampler proposes ``batch`` sets at a time; they run in parallel and are told back
in order, so the same seed gives the same fit on any number of workers (as for Flee scenarios,
:mod:`crossings.ensemble.calibrate`). The best set and the scenario's own values are then run ``check_runs``
times with fresh seeds, and the fit is reported apart for the calibration rows and for the validation rows
(the held-out part). :func:`write_parameters` writes the best values back into a scenario.yml.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import shlex
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crossings.ensemble.cluster import map_members, open_client
from crossings.ensemble.emigration import MemberFit, ScenarioParam, as_scenario_param, observed_file
from crossings.ensemble.member import ParamSpec, member_seeds, ranged_params, run_seed
from crossings.ensemble.reduce import distribution
from crossings.errors import InputError
from crossings.scenario.model import Scenario

REPORT_ROLES = ("calibration", "validation")
LOSS = "fit_loss"  # the name the loss goes by in files and messages


def _fit_report(fits: Sequence[MemberFit]) -> dict[str, Any]:
    """Per role, over runs: the fit loss, the rows scored and the rows inside their band (distributions)."""
    out: dict[str, Any] = {}
    for role in REPORT_ROLES:
        counts = [f.counts(role) for f in fits]
        if not any(n for n, _ in counts):
            continue
        out[role] = {"loss": distribution(np.array([f.loss_of(role) for f in fits])),
                     "scored": distribution(np.array([n for n, _ in counts], dtype=np.float64)),
                     "inside": distribution(np.array([k for _, k in counts], dtype=np.float64)),
                     "share_inside": distribution(np.array([k / n if n else np.nan for n, k in counts]))}
    return out


@dataclass
class EmigrationCalibration:
    """The fitted parameters of an emigration scenario, every trial, and the fit of the best set and of the
    scenario's own values on fresh seeds, apart for the calibration and the validation rows."""

    scenario: Scenario
    params: list[ScenarioParam]
    budget: int
    seed: int
    replicates: int
    batch: int
    check_runs: int
    days: int
    trials: list[tuple[dict[str, Any], float]]
    best: dict[str, float]
    best_loss: float
    fit: dict[str, Any]
    baseline: dict[str, Any]
    best_rows: Any = None  # EnsembleFit of the best set's check runs (calibration_fit.csv)
    wall_seconds: float = 0.0
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    command: str = ""
    loss: str = LOSS
    sampler: str = "tpe"
    created: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    def provenance(self) -> dict[str, Any]:
        """What calibration.json holds: when, with what, how, and what came out."""
        import optuna

        from crossings._version import __version__
        from crossings.ensemble.calibrate import CMAES_SIGMA0, data_provenance

        own = dict(self.scenario.parameters)
        return {
            "created": self.created,
            "crossings_version": __version__,
            "optimiser": f"optuna {optuna.__version__}, " + (
                "TPESampler (seeded, multivariate, constant liar)" if self.sampler == "tpe" else
                f"CmaEsSampler (seeded, started at the scenario's values, sigma0 {CMAES_SIGMA0} of each scaled "
                "range)")
                + f", batches of {self.batch}",
            "command": self.command,
            "scenario": self.scenario.name,
            "scenario_path": str(self.scenario.path),
            "what_if": list(self.scenario.what_if),
            "data": data_provenance(self.scenario),
            "observed_file": str(observed_file(self.scenario)),
            "days": self.days,
            "seed": self.seed,
            "trials": len(self.trials),
            "trial_list": [{"values": dict(pt), "loss": _r(v)} for pt, v in self.trials],
            "budget": self.budget,
            "replicates": self.replicates,
            "check_runs": self.check_runs,
            "loss": "fit_loss (crossings.observed.fit) over the rows of observed.csv whose role is calibration: the "
                    "mean over scored rows of 0 inside the accepted band, else 1 + |ln(simulated / the nearest "
                    "edge)|; mean over the replicates, which share their seeds across parameter sets",
            "ranges": {p.name: {"low": p.low, "high": p.high, "scale": "log" if p.log else "linear"}
                       for p in self.params},
            "scenario_values": {p.name: own.get(p.name) for p in self.params},
            "best": dict(self.best),
            "best_loss": _r(self.best_loss),
            "fit": self.fit,
            "scenario_values_fit": self.baseline,
            "wall_seconds": round(self.wall_seconds, 3),
            "cpu_seconds": {k: round(v, 3) for k, v in self.cpu_seconds.items()},
        }

    def fitted(self) -> dict[str, Any]:
        """What fitted.yml holds (as for Flee scenarios, without the simsetting sections): ``parameters`` (the
        best values; ``crossings ensemble --params-file`` reads them), ``provenance``, ``fit`` and
        ``scenario_values_fit``."""
        prov = self.provenance()
        fit, base = prov.pop("fit"), prov.pop("scenario_values_fit")
        return {"parameters": dict(self.best), "provenance": prov, "fit": fit, "scenario_values_fit": base}

    def write(self, out: str | Path) -> Path:
        """Write fitted.yml, calibration.json, calibration_trials.csv and calibration_fit.csv into ``out``."""
        from crossings.ensemble.calibrate import write_trials
        from crossings.files import write_text

        out = write_trials(out, [p.name for p in self.params], self.trials, self.fitted(), "parameters")
        write_text(out / "calibration.json", json.dumps(self.provenance(), indent=2) + "\n")
        if self.best_rows is not None:
            write_text(out / "calibration_fit.csv", self.best_rows.csv())
        return out

    def lines(self) -> list[str]:
        """What the command prints: the best set and its fit on calibration and validation rows."""
        best = ", ".join(f"{k}={v:.6g}" for k, v in self.best.items())
        out = [f"best of {len(self.trials)} sets: {best} ({LOSS} {self.best_loss:.4f} on the calibration rows)"]
        for role in REPORT_ROLES:
            fit, base = self.fit.get(role), self.baseline.get(role)
            if not fit:
                continue
            f, b = fit["loss"], (base or {}).get("loss", {})
            inside = fit["inside"].get("q50", 0)
            scored = fit["scored"].get("q50", 0)
            line = (f"  {role:11s} {LOSS}: fitted {f.get('mean', math.nan):.4f} (5-95 %: {f.get('q05', math.nan):.4f}"
                    f"-{f.get('q95', math.nan):.4f})")
            if b:
                line += f", scenario's values {b.get('mean', math.nan):.4f}"
            line += f"; median {inside:.0f} of {scored:.0f} rows inside, over {f.get('n', 0)} fresh runs"
            out.append(line)
        return out


def _r(x: float) -> float | None:
    return None if not math.isfinite(x) else round(float(x), 6)


def run_emigration_calibration(scenario: Scenario, params: Sequence[ParamSpec], budget: int, *, seed: int = 0,
                               replicates: int = 1, batch: int = 8, check_runs: int = 10, workers: int | None = None,
                               scheduler: str | None = None, client: Any = None, days: int | None = None,
                               rules: str | None = None, kernel: str = "compiled",
                               progress: Callable[[int, int], None] | None = None,
                               command: str = "", sampler: str = "tpe") -> EmigrationCalibration:
    """Fit the named parameters ``params`` (ranges) of an emigration scenario to the calibration rows of its
    observed.csv with ``budget`` parameter sets; check the best set and the scenario's values on fresh seeds.
    ``sampler``: ``tpe`` (a global search) or ``cmaes`` (a local one, started at the scenario's values)."""

    import optuna
    from optuna.trial import TrialState

    from crossings.ensemble.emigration import _observations
    from crossings.ensemble.emigration_reduce import fit_of_members

    params = [as_scenario_param(p, scenario) for p in ranged_params(params)]
    for name, v in (("--budget", budget), ("--replicates", replicates), ("--batch", batch),
                    ("--check-runs", check_runs)):
        if v < 1:
            raise InputError(name, None, name.lstrip("-"), f"{v} is not positive")
    obs_path = observed_file(scenario)
    if obs_path is None:
        raise InputError(Path(scenario.path) / "observed.csv", None, "file", "missing: calibration fits the "
                         "rows of the scenario's observed.csv whose role is calibration")
    if not any(o.role == "calibration" for o in _observations(obs_path)):
        raise InputError(obs_path, None, "role", "no row has role calibration (mark the rows to fit with "
                         "role=calibration, the held-out ones with validation)")
    n_days = days or scenario.length
    rep_seeds = [run_seed(ss) for ss in member_seeds(seed, replicates)]
    check_seeds = [run_seed(ss) for ss in np.random.SeedSequence(seed, spawn_key=(1,)).spawn(check_runs)]
    dists = {p.name: optuna.distributions.FloatDistribution(p.low, p.high, log=p.log) for p in params}
    from crossings.ensemble.calibrate import ask, new_study

    own = dict(scenario.parameters)
    x0 = {p.name: min(max(float(own.get(p.name, p.low)), p.low), p.high) for p in params}
    study = new_study(seed, budget, sampler=sampler, x0=x0)
    trials: list[tuple[dict[str, Any], float]] = []
    total_runs = budget * replicates + 2 * check_runs
    done_runs = 0
    member_cpu = 0.0

    def bar(done: int, total: int) -> None:
        if progress is not None:
            progress(done_runs + done, total_runs)

    t0, c0 = time.perf_counter(), time.process_time()
    kw = {"days": days, "rules": rules, "kernel": kernel, "keep_series": False}
    with open_client(workers, scheduler, client) as c:
        if sampler == "cmaes":  # CMA-ES learns the search space from a finished trial: run the start alone
            study.enqueue_trial(x0)
        while len(trials) < budget:
            k = 1 if sampler == "cmaes" and not trials else min(batch, budget - len(trials))
            asked = ask(study, dists, k)
            points = [{p.name: float(t.params[p.name]) for p in params} for t in asked]
            losses = np.full(k * replicates, np.nan)
            for i, res in map_members(c, scenario, [pt for pt in points for _ in rep_seeds],
                                      [s for _ in points for s in rep_seeds], progress=bar, **kw):
                losses[i] = res.fit.loss_of("calibration") if res.fit is not None else np.nan
                member_cpu += res.cpu_seconds
            for j, (t, pt) in enumerate(zip(asked, points, strict=True)):
                vals = losses[j * replicates:(j + 1) * replicates]
                value = float(np.mean(vals)) if np.isfinite(vals).all() else math.nan
                if math.isfinite(value):
                    study.tell(t, value)
                else:
                    study.tell(t, state=TrialState.FAIL)
                trials.append((pt, value))
            done_runs += k * replicates
            if len(trials) == k and not any(math.isfinite(v) for _, v in trials):
                raise InputError(obs_path, None, "role", f"no calibration row is scored in a run of {n_days} days "
                                 "(their periods lie outside the run, or the run has nothing to compare)")
        finite = [i for i, (_, v) in enumerate(trials) if math.isfinite(v)]
        if not finite:
            raise InputError(obs_path, None, "role", "no parameter set gave a loss: no calibration row was scored")
        best_i = min(finite, key=lambda i: (trials[i][1], i))
        best, best_loss = trials[best_i]
        check: dict[str, list[Any]] = {"best": [None] * check_runs, "base": [None] * check_runs}
        for i, res in map_members(c, scenario, [best] * check_runs + [{}] * check_runs, check_seeds * 2,
                                  progress=bar, **kw):
            check["best" if i < check_runs else "base"][i % check_runs] = res.fit
            member_cpu += res.cpu_seconds
        done_runs += 2 * check_runs
    client_cpu = time.process_time() - c0
    fit = _fit_report(check["best"])
    base = _fit_report(check["base"])
    return EmigrationCalibration(
        scenario, params, budget, seed, replicates, batch, check_runs, n_days, trials, dict(best), best_loss, fit,
        base, fit_of_members(check["best"], scenario), time.perf_counter() - t0,
        {"client": client_cpu, "members": member_cpu, "total": client_cpu + member_cpu}, command, sampler=sampler)


# ---- writing the values back into a scenario.yml ------------------------------------------------------------

_TOP_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*:")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def yaml_number(value: float) -> str:
    """``value`` with 6 significant digits in a form YAML 1.1 (PyYAML) reads as a float: a mantissa with a
    point and a signed exponent (``2.5e-05``, not ``2.5e-5`` or ``2e-05``, which it reads as text)."""
    text = f"{float(value):.6g}"
    if "e" in text:
        mant, exp = text.split("e")
        if "." not in mant:
            mant += ".0"
        sign = exp[0] if exp[0] in "+-" else "+"
        text = f"{mant}e{sign}{exp.lstrip('+-')}"
    return text


def _block(lines: list[str]) -> tuple[int, int]:
    """The line range [start, end) of the top-level ``parameters:`` block (start: the key's own line)."""
    start = next((i for i, ln in enumerate(lines) if re.match(r"^parameters\s*:", ln)), -1)
    if start < 0:
        return -1, -1
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith((" ", "\t", "#"))
                                or not _TOP_KEY.match(lines[end])):
        end += 1
    return start, end


def _replace_value(lines: list[str], start: int, end: int, name: str, text: str, path: Path) -> None:
    """Replace the value of parameter ``name`` in lines[start:end] (flow mapping, scalar or block mapping)."""
    head = re.compile(rf"^(\s+){re.escape(name)}\s*:(.*)$")
    for i in range(start + 1, end):
        m = head.match(lines[i])
        if not m:
            continue
        indent, rest = m.group(1), m.group(2)
        flow = re.compile(rf"(\bvalue\s*:\s*)({_NUMBER})")
        if rest.strip().startswith("{"):
            new, n = flow.subn(lambda mm: mm.group(1) + text, lines[i], count=1)
            if n != 1:
                break
            lines[i] = new
            return
        scalar = re.match(rf"^(\s*)({_NUMBER})(\s*(#.*)?)$", rest)
        if scalar:
            lines[i] = f"{indent}{name}:{scalar.group(1)}{text}{scalar.group(3)}"
            return
        if rest.strip() and not rest.strip().startswith("#"):
            break
        for k in range(i + 1, end):  # a block mapping: the first more-indented "value:" line
            ln = lines[k]
            if ln.strip() and not ln.lstrip().startswith("#") and len(ln) - len(ln.lstrip()) <= len(indent):
                break
            vm = re.match(rf"^(\s+value\s*:\s*)({_NUMBER})(.*)$", ln)
            if vm:
                lines[k] = f"{vm.group(1)}{text}{vm.group(3)}"
                return
        break
    raise InputError(path, None, f"parameters.{name}", "cannot find its value to replace (write it as "
                     "`name: {value: NUMBER, ...}`, `name: NUMBER` or a block with a `value:` line)")


def check_parameters_target(scenario_dir: str | Path, names: Sequence[str]) -> Path:
    """The scenario.yml of ``scenario_dir`` if it declares every parameter in ``names``; InputError otherwise
    (checked before a calibration starts, so a long run does not end in a file it cannot write)."""
    import yaml

    from crossings.api import resolve_bundled

    ypath = resolve_bundled(scenario_dir) / "scenario.yml"
    if not ypath.is_file():
        raise InputError(ypath, None, "--write-parameters", "no scenario.yml there")
    try:
        doc = yaml.safe_load(ypath.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError(ypath, None, "yaml", str(exc).splitlines()[0]) from None
    declared = doc.get("parameters") if isinstance(doc, dict) else None
    missing = [n for n in names if not isinstance(declared, dict) or n not in declared]
    if missing:
        raise InputError(ypath, None, "--write-parameters", f"declares no parameter {missing[0]!r}")
    lines = ypath.read_text(encoding="utf-8").split("\n")
    start, end = _block(lines)
    for n in names:  # every value can be found (on a copy)
        _replace_value(list(lines), start, end, n, "0.0", ypath)
    return ypath


def write_parameters(scenario_dir: str | Path, values: Mapping[str, float],
                     calibration_json: str | Path | None = None) -> Path:
    """Write ``values`` into the ``value:`` of each named parameter of ``scenario_dir``/scenario.yml, editing
    only those numbers (comments, order, sources and everything else are kept), check that the file reads back
    with exactly these values, and copy ``calibration_json`` next to it. Returns the scenario.yml path."""
    import yaml

    ypath = check_parameters_target(scenario_dir, list(values))
    original = ypath.read_text(encoding="utf-8")
    lines = original.split("\n")  # line ends stay as they are; "\n".join gives the file back
    start, end = _block(lines)
    texts = {name: yaml_number(v) for name, v in values.items()}
    for name, text in texts.items():
        _replace_value(lines, start, end, name, text, ypath)
    new = "\n".join(lines)
    doc = yaml.safe_load(new)
    for name, text in texts.items():
        got = doc["parameters"][name]
        got = got.get("value") if isinstance(got, dict) else got
        if isinstance(got, bool) or not isinstance(got, int | float) or float(got) != float(text):
            raise InputError(ypath, None, f"parameters.{name}", f"writing {text} gave {got!r}; file not changed")
    tmp = ypath.with_name(f".{ypath.name}.part")
    tmp.write_text(new, encoding="utf-8")
    tmp.replace(ypath)
    if calibration_json is not None:
        src = Path(calibration_json)
        if src.resolve() != (ypath.parent / "calibration.json").resolve():
            shutil.copyfile(src, ypath.parent / "calibration.json")
    return ypath


def command_line(args: Any) -> str:
    """The ``crossings calibrate`` command as parsed (every option given, in a fixed order), for provenance."""
    parts = ["crossings", "calibrate", str(args.scenario)]
    for p in args.param:
        parts += ["--param", p]
    for opt in ("budget", "replicates", "batch", "check_runs", "seed", "days", "workers", "scheduler", "rules",
                "out", "write_parameters"):
        v = getattr(args, opt, None)
        if v is not None:
            parts += [f"--{opt.replace('_', '-')}", str(v)]
    for s in getattr(args, "sets", None) or []:
        parts += ["--set", s]
    return shlex.join(parts)

