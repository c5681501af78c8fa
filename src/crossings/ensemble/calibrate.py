"""Calibration: fit settings to the scenario's observed camp counts with Optuna, members on Dask.

The loss of a parameter set is Flee's ARD (rescaled by default) on the training part of the data, averaged
over ``replicates`` runs whose seeds are the same for every parameter set (common random numbers). Optuna's
TPE sampler (seeded) proposes ``batch`` sets at a time; they run in parallel and are told back in order, so
the same seed gives the same fit on any number of workers. The best set is then run ``check_runs`` more
times with fresh seeds, and its fit is reported on the training part and, separately, on the held-out part.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from crossings.ensemble.cluster import map_members, open_client
from crossings.ensemble.member import ParamSpec, as_scenario, member_seeds, ranged_params, run_seed
from crossings.ensemble.reduce import distribution, masked_ard
from crossings.errors import InputError
from crossings.scenario.model import Scenario

if TYPE_CHECKING:
    from crossings.ensemble.emigration_calibrate import EmigrationCalibration

LOSSES = ("ard_rescaled", "ard_normal")


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


def _simsetting(params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The fitted values as simsetting.yml sections (to paste into a Flee scenario)."""
    try:
        from crossings.params.flee import _IMPLEMENTED
    except ImportError:  # pragma: no cover
        _IMPLEMENTED = {}
    where = {attr: (section, key) for (section, key), attr in _IMPLEMENTED.items()}
    out: dict[str, dict[str, Any]] = {}
    for k, v in params.items():
        section, key = where.get(k, ("move_rules", k))
        out.setdefault(section, {})[key] = v
    return out


@dataclass
class CalibrationResult:
    """The fitted settings, every trial, and the fit of the best set on the training and held-out data."""

    scenario: Scenario
    params: list[ParamSpec]
    budget: int
    loss: str
    seed: int
    replicates: int
    batch: int
    holdouts: list[Holdout]
    trials: list[tuple[dict[str, Any], float]]
    best: dict[str, Any]
    best_loss: float
    fit: dict[str, Any]
    baseline: dict[str, Any]
    wall_seconds: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    def fitted(self) -> dict[str, Any]:
        """What fitted.yml holds: the values, the same as simsetting.yml sections, provenance and fit."""
        import optuna

        from crossings._version import __version__

        return {
            "parameters": dict(self.best),
            "simsetting": _simsetting(self.best),
            "provenance": {
                "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "crossings_version": __version__,
                "optimiser": f"optuna {optuna.__version__}, TPESampler (seeded), batches of {self.batch}",
                "scenario": self.scenario.name,
                "scenario_path": str(self.scenario.path),
                "data": data_provenance(self.scenario),
                "budget": self.budget,
                "replicates": self.replicates,
                "seed": self.seed,
                "loss": f"{self.loss} on the training part (mean over replicates)",
                "ranges": {p.name: [p.low, p.high] for p in self.params},
                "holdout": [h.rule for h in self.holdouts],
                "best_loss": round(self.best_loss, 6),
            },
            "fit": self.fit,
            "scenario_settings_fit": self.baseline,
        }

    def write(self, out: str | Path) -> Path:
        """Write fitted.yml and calibration_trials.csv into ``out``."""
        return write_trials(out, [p.name for p in self.params], self.trials, self.fitted(), "settings")


def _fit_report(sims: list[np.ndarray], data: np.ndarray, train: np.ndarray) -> dict[str, Any]:
    """ARD (both kinds) of each check run on the training and held-out parts, as distributions."""
    out: dict[str, Any] = {}
    for part, mask in (("training", train), ("holdout", ~train)):
        if not mask.any():
            continue
        out[part] = {k: distribution(np.array([masked_ard(s, data, mask, rescaled=(k == "ard_rescaled"))
                                               for s in sims])) for k in LOSSES}
    return out


def run_calibration(scenario: Scenario | str | Path, params: Sequence[ParamSpec], budget: int, *,
                    holdout: Sequence[str] = (), loss: str = "ard_rescaled", seed: int = 0, replicates: int = 1,
                    batch: int = 8, check_runs: int = 10, workers: int | None = None, scheduler: str | None = None,
                    client: Any = None, days: int | None = None, rules: str | None = None,
                    kernel: str = "compiled", progress: Callable[[int, int], None] | None = None,
                    sampler: str = "tpe") -> CalibrationResult | EmigrationCalibration:
    """Fit the settings ``params`` (ranges) to the scenario's observed data with ``budget`` parameter sets. An
    emigration scenario's named parameters are fitted to its observed.csv instead
    (:func:`crossings.ensemble.emigration_calibrate.run_emigration_calibration`; ``holdout`` and ``loss`` do not
    apply: its validation rows are the held-out part, the loss is the fit loss). ``sampler``: ``tpe``, or
    ``cmaes`` for emigration scenarios (a local search from their parameters' values)."""
    import optuna

    first = as_scenario(scenario)
    if first.model == "emigration":
        from crossings.ensemble.emigration_calibrate import run_emigration_calibration

        if holdout:
            raise InputError("--holdout", None, holdout[0], "an emigration scenario holds out the rows of its "
                             "observed.csv whose role is validation")
        return run_emigration_calibration(first, params, budget, seed=seed, replicates=replicates,
                                          batch=batch, check_runs=check_runs, workers=workers, scheduler=scheduler,
                                          client=client, days=days, rules=rules, kernel=kernel, progress=progress,
                                          sampler=sampler)
    if sampler != "tpe":
        raise InputError("--sampler", None, "sampler", f"{sampler} applies to emigration scenarios (it starts at "
                         "their named parameters' values); Flee scenarios use tpe")
    scenario = first
    params = ranged_params(params)
    for name, v in (("--budget", budget), ("--replicates", replicates), ("--batch", batch),
                    ("--check-runs", check_runs)):
        if v < 1:
            raise InputError(name, None, name.lstrip("-"), f"{v} is not positive")
    if loss not in LOSSES:
        raise InputError("--loss", None, loss, f"choose one of {', '.join(LOSSES)}")
    sc = as_scenario(scenario)
    if sc.observed is None or not sc.observed.camps:
        raise InputError(sc.path, None, "observed data", "the scenario has no observed camp counts to fit")
    n_days = days or sc.length
    holdouts = [parse_holdout(h, sc) for h in holdout]
    train = training_mask(sc, n_days, holdouts)
    data = sc.observed.camps_by_day(n_days)
    rescaled = loss == "ard_rescaled"
    rep_seeds = [run_seed(ss) for ss in member_seeds(seed, replicates)]
    check_seeds = [run_seed(ss) for ss in np.random.SeedSequence(seed, spawn_key=(1,)).spawn(check_runs)]

    dists: dict[str, Any] = {}
    for p in params:
        if p.kind == "int":
            dists[p.name] = optuna.distributions.IntDistribution(int(round(p.low)), int(round(p.high)))
        else:
            dists[p.name] = optuna.distributions.FloatDistribution(p.low, p.high)
    study = new_study(seed, budget)
    trials: list[tuple[dict[str, Any], float]] = []
    total_runs = budget * replicates + 2 * check_runs
    done_runs = 0

    def bar(done: int, total: int) -> None:
        if progress is not None:
            progress(done_runs + done, total_runs)

    t0 = time.perf_counter()
    kw = {"days": days, "rules": rules, "kernel": kernel, "keep_series": False}
    with open_client(workers, scheduler, client) as c:
        while len(trials) < budget:
            k = min(batch, budget - len(trials))
            asked = ask(study, dists, k)
            points = [dict(t.params) for t in asked]
            sims: dict[int, np.ndarray] = {}
            for i, res in map_members(c, sc, [pt for pt in points for _ in rep_seeds],
                                      [s for _ in points for s in rep_seeds], progress=bar, **kw):
                sims[i] = res.camp_sim
            for j, (t, pt) in enumerate(zip(asked, points, strict=True)):
                vals = [masked_ard(sims[j * replicates + r], data, train, rescaled) for r in range(replicates)]
                value = float(np.mean(vals))
                study.tell(t, value)
                trials.append((pt, value))
            done_runs += k * replicates
        best_i = int(np.argmin([v for _, v in trials]))
        best, best_loss = trials[best_i]
        check: dict[str, list[np.ndarray]] = {"best": [np.empty(0)] * check_runs, "base": [np.empty(0)] * check_runs}
        for i, res in map_members(c, sc, [best] * check_runs + [{}] * check_runs, check_seeds * 2, progress=bar,
                                  **kw):
            check["best" if i < check_runs else "base"][i % check_runs] = res.camp_sim
        done_runs += 2 * check_runs
    fit = _fit_report(check["best"], data, train)
    base = _fit_report(check["base"], data, train)
    return CalibrationResult(sc, params, budget, loss, seed, replicates, batch, holdouts, trials, dict(best),
                             best_loss, fit, {"parameters": {p.name: getattr(sc.settings, p.name) for p in params},
                                              **base}, time.perf_counter() - t0)


def write_trials(out: str | Path, names: Sequence[str], trials: Sequence[tuple[dict[str, Any], float]],
                 fitted: dict[str, Any], what: str) -> Path:
    """Write ``out``/calibration_trials.csv (one row per parameter set tried) and ``out``/fitted.yml (the best
    ``what`` and how they were fitted), atomically; shared by the Flee and emigration calibrations."""
    import yaml

    from crossings.files import write_text

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(out, None, "--out", "exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    lines = [",".join(["trial", *names, "loss"])]
    for i, (pt, loss) in enumerate(trials):
        lines.append(",".join([str(i), *[repr(pt[n]) for n in names], repr(loss)]))
    write_text(out / "calibration_trials.csv", "\n".join(lines) + "\n")
    text = yaml.safe_dump(json.loads(json.dumps(fitted)), sort_keys=False)
    write_text(out / "fitted.yml", f"# crossings calibrate: fitted {what} and how they were fitted\n" + text)
    return out


SAMPLERS = ("tpe", "cmaes")
CMAES_SIGMA0 = 0.15  # CMA-ES's initial step, as a share of each [0, 1]-scaled range


def new_study(seed: int, budget: int, sampler: str = "tpe", x0: dict[str, float] | None = None,
              sigma0: float = CMAES_SIGMA0) -> Any:
    """A seeded Optuna study that minimises; the same seed proposes the same parameter sets. ``tpe``:
    multivariate TPE with a constant liar, so batches can run in parallel (a global search). ``cmaes``: CMA-ES
    started at ``x0`` with step ``sigma0`` in the [0, 1]-scaled ranges (log ranges in log space): a local
    refinement of values that are already close, which TPE does poorly with many parameters."""
    import warnings

    import optuna

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
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [study.ask(dists) for _ in range(k)]
