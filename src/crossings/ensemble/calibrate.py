"""Calibration: fit a scenario's parameters to its observed data with Optuna, members on Dask (one loop for every
model and every kind of data).

Optuna's seeded sampler proposes ``batch`` parameter sets at a time (TPE; or CMA-ES started at the scenario's own
values, for named parameters); each set runs ``replicates`` times with seeds that are the same for every set
(common random numbers), in parallel, and the sets are told back in order, so the same seed gives the same fit on
any number of workers. The number minimised is chosen by the data: for a scenario with observed camp counts,
Flee's ARD (rescaled by default) on the training part of them (``holdout`` keeps the rest out); otherwise the
model's loss (:meth:`crossings.engine.model.Model.loss`: the fit loss of the rows of the scenario's observations
whose role is calibration; the validation rows are the held-out part). The best set and the scenario's own values
are then run ``check_runs`` more times with fresh seeds, and their fit is reported on the training and the
held-out part. :func:`write_parameters` writes the best values back into a scenario.yml.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import shutil
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crossings._version import __version__
from crossings.engine.model import get_model
from crossings.engine.resources import check_members_fit
from crossings.ensemble.cluster import map_members, open_client
from crossings.ensemble.member import (
    MemberResult,
    ParamSpec,
    as_param,
    as_scenario,
    flee_settings,
    member_seeds,
    own_value,
    ranged_params,
    run_seed,
)
from crossings.ensemble.reduce import distribution, fit_of_members, masked_ard
from crossings.errors import InputError
from crossings.files import dumps_json, load_yaml, write_set, write_text
from crossings.params.flee import _IMPLEMENTED
from crossings.scenario.model import Scenario
from crossings.scenarios import resolve_bundled

LOSSES = ("ard_rescaled", "ard_normal")
LOSS = "fit_loss"  # the name the model's loss of the calibration rows goes by in files and messages
REPORT_ROLES = ("calibration", "validation")
SAMPLERS = ("tpe", "cmaes")
CMAES_SIGMA0 = 0.15  # CMA-ES's initial step, as a share of each [0, 1]-scaled range


# ---- the held-out part of observed camp counts ----------------------------------------------------------------

@dataclass(frozen=True)
class Holdout:
    """A held-out part of the observed data: whole camps, and/or every day from a date on."""

    rule: str
    camps: tuple[str, ...] = ()
    from_day: int | None = None


def parse_holdout(text: str, scenario: Scenario) -> Holdout:
    """``camps=NAME[,NAME...]`` or ``after=YYYY-MM-DD`` (or ``after=DAY``, a day number: that day and later)."""
    key, eq, value = text.partition("=")
    key, value = key.strip(), value.strip()
    obs = scenario.observed
    if obs is None or not obs.camps:
        raise InputError("--holdout", None, text, "the scenario has no observed camp data")
    if not eq or not value:
        raise InputError("--holdout", None, text, "expected camps=NAME,NAME or after=YYYY-MM-DD")
    if key == "camps":
        names = tuple(v.strip() for v in value.split(",") if v.strip())
        observed = [scenario.locations.name[c] for c in obs.camps]
        for n in names:
            if n not in observed:
                raise InputError("--holdout", None, text, f"{n!r} is not a camp with observed data "
                                 f"({', '.join(observed)})")
        if set(names) >= set(observed):
            raise InputError("--holdout", None, text, "holds out every camp: nothing is left to fit")
        return Holdout(text, camps=names)
    if key == "after":
        try:
            day = int(value)
        except ValueError:
            try:
                day = (dt.date.fromisoformat(value) - scenario.start_date).days
            except ValueError:
                raise InputError("--holdout", None, text, f"{value!r} is neither a date nor a day number") from None
        if day <= 0:
            raise InputError("--holdout", None, text, "holds out every day: nothing is left to fit")
        return Holdout(text, from_day=day)
    raise InputError("--holdout", None, text, f"unknown rule {key!r}: expected camps=... or after=...")


def training_mask(scenario: Scenario, days: int, holdouts: Sequence[Holdout]) -> np.ndarray:
    """(days, observed camps): true where a cell is used for the fit, false where some rule holds it out."""
    obs = scenario.observed
    names = [scenario.locations.name[c] for c in obs.camps]
    mask = np.ones((days, len(names)), dtype=bool)
    for h in holdouts:
        for n in h.camps:
            mask[:, names.index(n)] = False
        if h.from_day is not None:
            mask[h.from_day:, :] = False
    if not mask.any():
        raise InputError("--holdout", None, "; ".join(h.rule for h in holdouts), "leaves no data to fit")
    return mask


def data_provenance(scenario: Scenario) -> list[dict[str, str]]:
    """Every file of the scenario directory with its SHA-256 (what the fit was made against)."""
    root = Path(scenario.path)
    out = []
    if root.is_dir():
        for p in sorted(root.rglob("*")):
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts):
                out.append({"file": p.relative_to(root).as_posix(),
                            "sha256": hashlib.sha256(p.read_bytes()).hexdigest()})
    return out


def _simsetting(params: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The fitted values as simsetting.yml sections (to paste into a Flee scenario)."""
    where = {attr: (section, key) for (section, key), attr in _IMPLEMENTED.items()}
    out: dict[str, dict[str, Any]] = {}
    for k, v in params.items():
        section, key = where.get(k, ("move_rules", k))
        out.setdefault(section, {})[key] = v
    return out


def _r(x: float) -> float | None:
    return None if not math.isfinite(x) else round(float(x), 6)


# ---- what is minimised ------------------------------------------------------------------------------------------

class CampArd:
    """Flee's ARD (``loss``: rescaled or normal) against the observed camp counts, on the cells of the training
    part of the data; the fit is reported on the training and the held-out part. Its files: fitted.yml (with the
    values as simsetting.yml sections) and calibration_trials.csv."""

    def __init__(self, scenario: Scenario, days: int, holdouts: list[Holdout], loss: str) -> None:
        assert scenario.observed is not None
        self.holdouts = holdouts
        self.loss = loss
        self.train = training_mask(scenario, days, holdouts)
        self.data = scenario.observed.camps_by_day(days)

    def value(self, member: MemberResult) -> float:
        """The loss of one run."""
        return masked_ard(member.camp_sim, self.data, self.train, self.loss == "ard_rescaled")

    def report(self, members: Sequence[MemberResult]) -> dict[str, Any]:
        """ARD (both kinds) of each run on the training and held-out parts, as distributions."""
        out: dict[str, Any] = {}
        for part, mask in (("training", self.train), ("holdout", ~self.train)):
            if not mask.any():
                continue
            out[part] = {k: distribution(np.array([masked_ard(m.camp_sim, self.data, mask, rescaled=(k == LOSSES[0]))
                                                   for m in members])) for k in LOSSES}
        return out

    def baseline(self, res: CalibrationResult, members: Sequence[MemberResult]) -> dict[str, Any]:
        """The fit of the scenario's own values, with those values."""
        return {"parameters": {p.name: own_value(res.scenario, p.name) for p in res.params}, **self.report(members)}

    def no_loss(self, first_batch: bool) -> None:
        """Nothing to raise: the training part always holds a day of data (:func:`training_mask`)."""

    def provenance(self, res: CalibrationResult) -> dict[str, Any]:
        """How the fit was made (fitted.yml's ``provenance``)."""
        return self.fitted(res)["provenance"]

    def fitted(self, res: CalibrationResult) -> dict[str, Any]:
        """What fitted.yml holds: the values, the same as simsetting.yml sections, provenance and fit."""
        import optuna  # deferred: Optuna takes a second to import, and only calibration needs it

        return {
            "parameters": dict(res.best),
            "simsetting": _simsetting(res.best),
            "provenance": {
                "created": res.created,
                "crossings_version": __version__,
                "optimiser": f"optuna {optuna.__version__}, TPESampler (seeded), batches of {res.batch}",
                "scenario": res.scenario.name,
                "scenario_path": str(res.scenario.path),
                "data": data_provenance(res.scenario),
                "budget": res.budget,
                "replicates": res.replicates,
                "seed": res.seed,
                "loss": f"{res.loss} on the training part (mean over replicates)",
                "ranges": {p.name: [p.low, p.high] for p in res.params},
                "holdout": [h.rule for h in self.holdouts],
                "best_loss": round(res.best_loss, 6),
            },
            "fit": res.fit,
            "scenario_settings_fit": res.baseline,
        }

    def write(self, res: CalibrationResult, out: str | Path) -> Path:
        """Write fitted.yml and calibration_trials.csv into ``out``."""
        return write_trials(out, [p.name for p in res.params], res.trials, self.fitted(res), "settings")

    def lines(self, res: CalibrationResult, out: str | Path) -> list[str]:
        """What the command prints: the best set, its fit on the training and held-out parts, where it is."""
        best = ", ".join(f"{k}={v:.6g}" for k, v in res.best.items())
        lines = [f"best of {len(res.trials)} sets: {best} ({res.loss} {res.best_loss:.4f} on the training data)"]
        for part in ("training", "holdout"):
            if part in res.fit:
                fit, base = res.fit[part][res.loss], res.baseline[part][res.loss]
                lines.append(f"  {part:8s} {res.loss}: fitted {fit['mean']:.4f} (5-95 %: {fit['q05']:.4f}-"
                             f"{fit['q95']:.4f}), scenario's settings {base['mean']:.4f}, over {fit['n']} fresh runs")
        return [*lines, f"fitted settings in {out}/fitted.yml"]


class FitLoss:
    """The model's loss of a run (:meth:`~crossings.engine.model.Model.loss`): the fit loss of the rows of the
    scenario's observations whose role is calibration; the fit is reported apart for the calibration and the
    validation rows. Its files: fitted.yml, calibration.json, calibration_trials.csv and calibration_fit.csv."""

    loss = LOSS
    holdouts: tuple[Holdout, ...] = ()  # the validation rows are the held-out part

    def __init__(self, scenario: Scenario, days: int) -> None:
        self.model = get_model(scenario.model)
        self.observed = scenario.observations_file
        self.days = days

    def value(self, member: MemberResult) -> float:
        """The loss of one run (NaN when none of its calibration rows is scored)."""
        return self.model.loss(member)

    def report(self, members: Sequence[MemberResult]) -> dict[str, Any]:
        """Per role, over runs: the fit loss, the rows scored and the rows inside their band (distributions)."""
        fits = [m.fit for m in members if m.fit is not None]
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

    def baseline(self, res: CalibrationResult, members: Sequence[MemberResult]) -> dict[str, Any]:
        """The fit of the scenario's own values."""
        return self.report(members)

    def no_loss(self, first_batch: bool) -> None:
        """The error when no run gave a loss: none in the first batch, or none at all."""
        if first_batch:
            raise InputError(self.observed, None, "role", f"no calibration row is scored in a run of {self.days} "
                             "days (their periods lie outside the run, or the run has nothing to compare)")
        raise InputError(self.observed, None, "role", "no parameter set gave a loss: no calibration row was scored")

    def provenance(self, res: CalibrationResult) -> dict[str, Any]:
        """What calibration.json holds: when, with what, how, and what came out."""
        import optuna  # deferred: Optuna takes a second to import, and only calibration needs it

        sc = res.scenario
        return {
            "created": res.created,
            "crossings_version": __version__,
            "optimiser": f"optuna {optuna.__version__}, " + (
                "TPESampler (seeded, multivariate, constant liar)" if res.sampler == "tpe" else
                f"CmaEsSampler (seeded, started at the scenario's values, sigma0 {CMAES_SIGMA0} of each scaled "
                "range)")
                + f", batches of {res.batch}",
            "command": res.command,
            "scenario": sc.name,
            "scenario_path": str(sc.path),
            "what_if": list(sc.what_if),
            "data": data_provenance(sc),
            "observed_file": str(self.observed),
            "days": res.days,
            "seed": res.seed,
            "trials": len(res.trials),
            "trial_list": [{"values": dict(pt), "loss": _r(v)} for pt, v in res.trials],
            "budget": res.budget,
            "replicates": res.replicates,
            "check_runs": res.check_runs,
            "loss": "fit_loss (crossings.observed.fit) over the rows of observed.csv whose role is calibration: the "
                    "mean over scored rows of 0 inside the accepted band, else 1 + |ln(simulated / the nearest "
                    "edge)|; mean over the replicates, which share their seeds across parameter sets",
            "ranges": {p.name: {"low": p.low, "high": p.high, "scale": "log" if p.log else "linear"}
                       for p in res.params},
            "scenario_values": {p.name: own_value(sc, p.name) for p in res.params},
            "best": dict(res.best),
            "best_loss": _r(res.best_loss),
            "fit": res.fit,
            "scenario_values_fit": res.baseline,
            "wall_seconds": round(res.wall_seconds, 3),
            "cpu_seconds": {k: round(v, 3) for k, v in res.cpu_seconds.items()},
        }

    def fitted(self, res: CalibrationResult) -> dict[str, Any]:
        """What fitted.yml holds: ``parameters`` (the best values; ``crossings ensemble --params-file`` reads
        them), ``provenance``, ``fit`` and ``scenario_values_fit``."""
        prov = self.provenance(res)
        fit, base = prov.pop("fit"), prov.pop("scenario_values_fit")
        return {"parameters": dict(res.best), "provenance": prov, "fit": fit, "scenario_values_fit": base}

    def write(self, res: CalibrationResult, out: str | Path) -> Path:
        """Write fitted.yml, calibration.json, calibration_trials.csv and calibration_fit.csv into ``out``."""
        out = write_trials(out, [p.name for p in res.params], res.trials, self.fitted(res), "parameters")
        write_text(out / "calibration.json", dumps_json(self.provenance(res), indent=2) + "\n")
        if res.best_rows is not None:
            write_text(out / "calibration_fit.csv", res.best_rows.csv())
        return out

    def lines(self, res: CalibrationResult, out: str | Path) -> list[str]:
        """What the command prints: the best set, its fit on calibration and validation rows, where it is."""
        best = ", ".join(f"{k}={v:.6g}" for k, v in res.best.items())
        lines = [f"best of {len(res.trials)} sets: {best} ({LOSS} {res.best_loss:.4f} on the calibration rows)"]
        for role in REPORT_ROLES:
            fit, base = res.fit.get(role), res.baseline.get(role)
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
            lines.append(line)
        return [*lines, f"fitted parameters in {Path(out)}/fitted.yml, provenance in {Path(out)}/calibration.json"]


# ---- the result ---------------------------------------------------------------------------------------------------

@dataclass
class CalibrationResult:
    """The fitted parameters, every trial, and the fit of the best set and of the scenario's own values on fresh
    seeds (on the training and held-out part of the data); ``objective`` says what was minimised and which files
    describe it."""

    scenario: Scenario
    params: list[ParamSpec]
    budget: int
    loss: str
    seed: int
    replicates: int
    batch: int
    check_runs: int
    days: int
    trials: list[tuple[dict[str, Any], float]]
    best: dict[str, Any]
    best_loss: float
    fit: dict[str, Any]
    baseline: dict[str, Any]
    objective: CampArd | FitLoss
    best_rows: Any = None  # the fit table of the best set's check runs (EnsembleFit), with observations
    wall_seconds: float = 0.0
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    command: str = ""
    sampler: str = "tpe"
    created: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    @property
    def holdouts(self) -> list[Holdout]:
        """The held-out parts of observed camp counts (none for a fit to observation rows)."""
        return list(self.objective.holdouts)

    def fitted(self) -> dict[str, Any]:
        """What fitted.yml holds."""
        return self.objective.fitted(self)

    def provenance(self) -> dict[str, Any]:
        """How the fit was made (calibration.json for a fit to observation rows; fitted.yml's ``provenance``)."""
        return self.objective.provenance(self)

    def write(self, out: str | Path) -> Path:
        """Write the calibration's files into ``out`` (fitted.yml and calibration_trials.csv; for a fit to
        observation rows calibration.json and calibration_fit.csv too), staged and renamed in with fitted.yml last
        (:func:`~crossings.files.write_set`)."""
        return write_set(out, "fitted.yml", lambda stage: self.objective.write(self, stage))

    def lines(self, out: str | Path) -> list[str]:
        """What ``crossings calibrate`` prints once the files are in ``out``."""
        return self.objective.lines(self, out)


# ---- the loop -------------------------------------------------------------------------------------------------------

def _positive(**counts: int) -> None:
    for name, v in counts.items():
        if v < 1:
            raise InputError(f"--{name.replace('_', '-')}", None, name.replace("_", "-"), f"{v} is not positive")


def _check_camp_fit(sc: Scenario, params: Sequence[ParamSpec], loss: str | None, sampler: str,
                    write_target: str | Path | None, counts: dict[str, int]) -> list[ParamSpec]:
    """The checks of a fit to observed camp counts (a Flee scenario's), in the order they are made."""
    settings = flee_settings(sc)
    if write_target is not None and settings:
        raise InputError("--write-parameters", None, "write-parameters", "applies to emigration scenarios (Flee "
                         "scenarios: fitted.yml holds the settings as simsetting.yml sections)")
    if sampler != "tpe" and settings:
        raise InputError("--sampler", None, "sampler", f"{sampler} applies to emigration scenarios (it starts at "
                         "their named parameters' values); Flee scenarios use tpe")
    if write_target is not None:
        check_parameters_target(write_target, [p.name for p in params])
    params = [as_param(p, sc) for p in ranged_params(params)]
    _positive(**counts)
    if (loss or LOSSES[0]) not in LOSSES:
        raise InputError("--loss", None, str(loss), f"choose one of {', '.join(LOSSES)}")
    if sc.observed is None or not sc.observed.camps:
        raise InputError(sc.path, None, "observed data", "the scenario has no observed camp counts to fit")
    return params


def _check_row_fit(sc: Scenario, params: Sequence[ParamSpec], holdout: Sequence[str], loss: str | None,
                   write_target: str | Path | None, counts: dict[str, int]) -> list[ParamSpec]:
    """The checks of a fit to the scenario's observation rows (the model's loss), in the order they are made."""
    if holdout:
        raise InputError("--holdout", None, holdout[0], "an emigration scenario holds out the rows of its "
                         "observed.csv whose role is validation")
    if loss is not None:
        raise InputError("--loss", None, loss, "an emigration scenario is fitted on the fit loss of its "
                         "calibration rows")
    if write_target is not None:
        check_parameters_target(write_target, [p.name for p in params])
    params = [as_param(p, sc) for p in ranged_params(params)]
    _positive(**counts)
    if sc.observations_file is None:
        raise InputError(Path(sc.path) / "observed.csv", None, "file", "missing: calibration fits the rows of the "
                         "scenario's observed.csv whose role is calibration")
    if not any(o.role == "calibration" for o in sc.observations):
        raise InputError(sc.observations_file, None, "role", "no row has role calibration (mark the rows to fit "
                         "with role=calibration, the held-out ones with validation)")
    return params


@dataclass
class _Runs:
    """Members run on one client in batches, with one progress count over every batch."""

    client: Any
    scenario: Scenario
    kw: dict[str, Any]
    total: int
    progress: Callable[[int, int], None] | None = None
    done: int = 0
    cpu: float = 0.0

    def run(self, points: Sequence[Mapping[str, Any]], seeds: Sequence[int]) -> list[MemberResult]:
        """Member i = (points[i], seeds[i]), in that order."""
        def bar(done: int, total: int) -> None:
            if self.progress is not None:
                self.progress(self.done + done, self.total)

        out: list[Any] = [None] * len(seeds)
        for i, res in map_members(self.client, self.scenario, points, seeds, progress=bar, **self.kw):
            out[i] = res
            self.cpu += res.cpu_seconds
        self.done += len(seeds)
        return out


def _search(runs: _Runs, study: Any, params: list[ParamSpec], objective: CampArd | FitLoss, rep_seeds: list[int],
            budget: int, batch: int, cmaes: bool) -> list[tuple[dict[str, Any], float]]:
    """Ask a batch, run each set once per replicate seed, tell the mean loss (a failed trial when a run has none),
    until ``budget`` sets are tried."""
    from optuna.trial import TrialState  # deferred: Optuna takes a second to import, and only calibration needs it

    dists = _distributions(params)
    replicates = len(rep_seeds)
    trials: list[tuple[dict[str, Any], float]] = []
    while len(trials) < budget:
        k = 1 if cmaes and not trials else min(batch, budget - len(trials))
        asked = ask(study, dists, k)
        points = [{p.name: (int(t.params[p.name]) if p.kind == "int" else float(t.params[p.name])) for p in params}
                  for t in asked]
        members = runs.run([pt for pt in points for _ in rep_seeds], [s for _ in points for s in rep_seeds])
        for j, (t, pt) in enumerate(zip(asked, points, strict=True)):
            vals = np.array([objective.value(m) for m in members[j * replicates:(j + 1) * replicates]])
            value = float(np.mean(vals)) if np.isfinite(vals).all() else math.nan
            if math.isfinite(value):
                study.tell(t, value)
            else:
                study.tell(t, state=TrialState.FAIL)
            trials.append((pt, value))
        if len(trials) == k and not any(math.isfinite(v) for _, v in trials):
            objective.no_loss(first_batch=True)
    return trials


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def _distributions(params: Sequence[ParamSpec]) -> dict[str, Any]:
    """Optuna's search space: whole numbers for whole-number settings, else real numbers (in log for log ranges)."""
    import optuna  # deferred: Optuna takes a second to import, and only calibration needs it

    return {p.name: optuna.distributions.IntDistribution(int(round(p.low)), int(round(p.high))) if p.kind == "int"
            else optuna.distributions.FloatDistribution(p.low, p.high, log=p.log) for p in params}


def run_calibration(scenario: Scenario | str | Path, params: Sequence[ParamSpec], budget: int, *,
                    holdout: Sequence[str] = (), loss: str | None = None, seed: int = 0, replicates: int = 1,
                    batch: int = 8, check_runs: int = 10, workers: int | None = None, scheduler: str | None = None,
                    client: Any = None, days: int | None = None, rules: str | None = None,
                    kernel: str = "compiled", progress: Callable[[int, int], None] | None = None,
                    sampler: str = "tpe", command: str = "", write_target: str | Path | None = None
                    ) -> CalibrationResult:
    """Fit the parameters ``params`` (ranges) to the scenario's observed data with ``budget`` parameter sets and
    check the best set and the scenario's own values on ``check_runs`` fresh seeds. With observed camp counts the
    loss is Flee's ARD (``loss``: ard_rescaled, the default, or ard_normal) on the data ``holdout`` leaves;
    otherwise the model's loss of the calibration rows of the scenario's observations (``holdout`` and ``loss``
    do not apply). ``sampler``: ``tpe`` (a global search) or ``cmaes`` (a local one, started at the scenario's
    values of its named parameters). ``command`` is recorded; ``write_target``, the scenario directory the best
    values will be written into (:func:`write_parameters`), is checked before the first run."""
    sc = as_scenario(scenario)
    counts = {"budget": budget, "replicates": replicates, "batch": batch, "check_runs": check_runs}
    if flee_settings(sc) or (sc.observed is not None and sc.observed.camps):
        params = _check_camp_fit(sc, params, loss, sampler, write_target, counts)
    else:
        params = _check_row_fit(sc, params, holdout, loss, write_target, counts)
    n_days = days or sc.length
    check_members_fit(sc, n_days, budget * replicates + 2 * check_runs, "--budget")
    objective: CampArd | FitLoss
    if sc.observed is not None and sc.observed.camps:
        objective = CampArd(sc, n_days, [parse_holdout(h, sc) for h in holdout], loss or LOSSES[0])
    else:
        objective = FitLoss(sc, n_days)
    rep_seeds = [run_seed(ss) for ss in member_seeds(seed, replicates)]
    check_seeds = [run_seed(ss) for ss in np.random.SeedSequence(seed, spawn_key=(1,)).spawn(check_runs)]
    x0 = {p.name: min(max(float(_or(own_value(sc, p.name), p.low)), p.low), p.high) for p in params}
    study = new_study(seed, budget, sampler=sampler, x0=x0)
    t0, c0 = time.perf_counter(), time.process_time()
    # members keep no series: only their fit and, for Flee's ARD, the agents in observed camps it is taken on
    kw = {"days": days, "rules": rules, "kernel": kernel, "keep_series": False,
          "keep_camps": isinstance(objective, CampArd)}
    with open_client(workers, scheduler, client) as c:
        runs = _Runs(c, sc, kw, budget * replicates + 2 * check_runs, progress)
        if sampler == "cmaes":  # CMA-ES learns the search space from a finished trial: run the start alone
            study.enqueue_trial(x0)
        trials = _search(runs, study, params, objective, rep_seeds, budget, batch, sampler == "cmaes")
        finite = [i for i, (_, v) in enumerate(trials) if math.isfinite(v)]
        if not finite:
            objective.no_loss(first_batch=False)
        best, best_loss = trials[min(finite, key=lambda i: (trials[i][1], i))]
        checked = runs.run([best] * check_runs + [{}] * check_runs, check_seeds * 2)
    client_cpu = time.process_time() - c0
    res = CalibrationResult(
        sc, params, budget, objective.loss, seed, replicates, batch, check_runs, n_days, trials, dict(best),
        best_loss, objective.report(checked[:check_runs]), {}, objective,
        fit_of_members([m.fit for m in checked[:check_runs]], sc), time.perf_counter() - t0,
        {"client": client_cpu, "members": runs.cpu, "total": client_cpu + runs.cpu}, command, sampler)
    res.baseline = objective.baseline(res, checked[check_runs:])
    return res


def write_trials(out: str | Path, names: Sequence[str], trials: Sequence[tuple[dict[str, Any], float]],
                 fitted: dict[str, Any], what: str) -> Path:
    """Write ``out``/calibration_trials.csv (one row per parameter set tried) and ``out``/fitted.yml (the best
    ``what`` and how they were fitted) into ``out``, the staging folder of :meth:`CalibrationResult.write`."""
    import yaml  # deferred: only the calibration's files are written as YAML here

    out = Path(out)
    lines = [",".join(["trial", *names, "loss"])]
    for i, (pt, loss) in enumerate(trials):
        lines.append(",".join([str(i), *[repr(pt[n]) for n in names], repr(loss)]))
    write_text(out / "calibration_trials.csv", "\n".join(lines) + "\n")
    text = yaml.safe_dump(json.loads(dumps_json(fitted)), sort_keys=False)
    write_text(out / "fitted.yml", f"# crossings calibrate: fitted {what} and how they were fitted\n" + text)
    return out


def new_study(seed: int, budget: int, sampler: str = "tpe", x0: dict[str, float] | None = None,
              sigma0: float = CMAES_SIGMA0) -> Any:
    """A seeded Optuna study that minimises; the same seed proposes the same parameter sets. ``tpe``:
    multivariate TPE with a constant liar, so batches can run in parallel (a global search). ``cmaes``: CMA-ES
    started at ``x0`` with step ``sigma0`` in the [0, 1]-scaled ranges (log ranges in log space): a local
    refinement of values that are already close, which TPE does poorly with many parameters."""
    import optuna  # deferred: Optuna takes a second to import, and only calibration needs it

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant_liar and multivariate are marked experimental; x0 deprecated
        if sampler == "cmaes":
            smp = optuna.samplers.CmaEsSampler(x0=x0, sigma0=sigma0, seed=seed, n_startup_trials=0,
                                               warn_independent_sampling=False)
        elif sampler == "tpe":
            smp = optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, max(2, budget // 3)),
                                             multivariate=True, constant_liar=True)
        else:
            raise ValueError(f"unknown sampler {sampler!r}; choose one of {', '.join(SAMPLERS)}")
        return optuna.create_study(direction="minimize", sampler=smp)


def ask(study: Any, dists: dict[str, Any], k: int) -> list[Any]:
    """The next ``k`` parameter sets of ``study`` (Optuna's experimental-feature warnings silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [study.ask(dists) for _ in range(k)]


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
    ypath = resolve_bundled(scenario_dir) / "scenario.yml"
    if not ypath.is_file():
        raise InputError(ypath, None, "--write-parameters", "no scenario.yml there")
    doc = load_yaml(ypath) or {}  # the one guarded YAML reader (size, depth, no anchors or aliases)
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
    ypath = check_parameters_target(scenario_dir, list(values))
    original = ypath.read_text(encoding="utf-8")
    lines = original.split("\n")  # line ends stay as they are; "\n".join gives the file back
    start, end = _block(lines)
    texts = {name: yaml_number(v) for name, v in values.items()}
    for name, text in texts.items():
        _replace_value(lines, start, end, name, text, ypath)
    new = "\n".join(lines)
    doc = load_yaml(ypath, new)
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

