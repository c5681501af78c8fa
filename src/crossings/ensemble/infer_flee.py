"""One calibration of Flee's settings for several Flee-format conflicts: ABC-SMC (the core of
:mod:`crossings.ensemble.infer`) whose discrepancy is the mean over the conflicts of the rescaled ARD against each
conflict's observed camp counts, so that one posterior serves every conflict (issue 23, item 3).

Each parameter set runs ``replicates`` times on every conflict (the same seeds on every conflict); a conflict's
value is the mean of its replicates' rescaled ARD, the discrepancy the mean of those over the conflicts (each
conflict counts once, whatever its length). The run-to-run noise of each conflict's ARD is the pooled variance of
the replicates of the population; an ARD has no band to scale it by, so the noise does not enter the distance: it
gives the standard error of the distance, recorded per generation, and a warning when the last tolerance is within
two standard errors of the best distance (the last generation then chose among sets the noise cannot tell apart).

``holdout`` conflicts are not fitted: after the fit, ``check_runs`` members drawn from the posterior run on every
conflict, fitted and held out, and their ARD is reported apart (leave-one-conflict-out, bench/flee_loco.py).
The same seed gives the same posterior.csv and calibration_trials.csv, byte for byte, on any number of workers.
"""

from __future__ import annotations

import datetime as dt
import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crossings._version import __version__
from crossings.ensemble.calibrate import _simsetting, data_provenance
from crossings.ensemble.cluster import map_members, open_client
from crossings.ensemble.infer import (
    KERNEL_TEXT,
    POSTERIOR_CSV,
    POSTERIOR_JSON,
    Posterior,
    _Smc,
    check_smc_options,
    read_posterior,
    scenario_digest,
    trials_csv,
)
from crossings.ensemble.member import ParamSpec, as_scenario, check_unique, flee_settings, parse_param, run_seed
from crossings.ensemble.reduce import (
    ERROR_LEVELS,
    ERROR_SCALE,
    camp_points,
    distribution,
    elapsed,
    error_bin,
    size_of,
    weighted_quantiles,
)
from crossings.errors import InputError
from crossings.files import dumps_json, write_set, write_text
from crossings.scenario.model import FrozenMap, Scenario

METHOD = "abc-smc, mean rescaled ARD over conflicts"
LOSS = "ard_rescaled"
# The default parameters: (low, high, source). Ranges from flee-model.md §1.10 (Flee 3.1's reader, the canonical
# conflicts' simsetting.yml, FabFlee's validation suite and the Flee 3 paper's rule sets); "assumption" where the
# range goes beyond what those use.
PRIORS: Mapping[str, tuple[float, float, str]] = FrozenMap({
    "max_move_speed": (200.0, 500.0, "flee-model.md §1.10: 200 in the four canonical conflicts, 360 Flee 3.1's "
                                     "default, 400 FabFlee's validation suite, 200-500 the Flee 3 paper's rule sets"),
    "default_movechance": (0.1, 1.0, "flee-model.md §1.10: 0.3 canonical and Flee 3.1's default, 0.5 FabFlee's "
                                     "validation suite; a daily probability, so at most 1; 0.1-0.3 and 0.5-1 an "
                                     "assumption"),
    "camp_weight": (1.0, 5.0, "flee-model.md §1.10: 1 canonical and default, 2 Flee's v1 rules, 5 mali2012"),
    "conflict_weight": (0.1, 1.0, "flee-model.md §1.10: 0.25 canonical and FabFlee's validation suite, 0.316 "
                                  "Flee 3.1's default; 0.1-0.25 and 0.32-1 (no penalty) an assumption"),
    "distance_power": (0.5, 1.0, "flee-model.md §1.10: 1 canonical and default, 0.75-1 the Flee 3 paper's rule "
                                 "sets and FabFlee's validation suite; 0.5-0.75 an assumption"),
    "softening": (10.0, 50.0, "flee-model.md §1.10: 10 km default, 50 FabFlee's validation suite, 10-50 the Flee "
                              "3 paper's rule sets"),
})


def default_params() -> list[ParamSpec]:
    """The parameters :data:`PRIORS` names, each with its range (uniform priors)."""
    return [ParamSpec(n, lo, hi) for n, (lo, hi, _) in PRIORS.items()]


def parse_params(texts: Sequence[str]) -> list[ParamSpec]:
    """``--param NAME=LOW:HIGH`` (a FleeSettings field, as for ``crossings calibrate``) or ``NAME`` alone (its range
    in :data:`PRIORS`); none given: :func:`default_params`."""
    if not texts:
        return default_params()
    out = []
    for t in texts:
        name = t.strip()
        if "=" not in name:
            if name not in PRIORS:
                raise InputError("--param", None, name, f"no default range (those with one: {', '.join(PRIORS)}); "
                                 "write NAME=LOW:HIGH")
            lo, hi, _ = PRIORS[name]
            out.append(ParamSpec(name, lo, hi))
        else:
            out.append(parse_param(t, need_range=True))
    check_unique(out)
    return out


# ---- the discrepancy ----------------------------------------------------------------------------------------------

class ArdDiscrepancy:
    """The mean over conflicts of the replicates' mean rescaled ARD (module docstring); ``noise`` the run-to-run
    variance of each conflict's ARD."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        self.lines = self.names  # what posterior.json lists as fitted (a conflict per entry)
        self.noise = np.zeros(len(self.names))

    def values(self, members: Sequence[np.ndarray]) -> np.ndarray:
        """(replicates, conflicts): each replicate's rescaled ARD on each fitted conflict (NaN: not scored)."""
        return np.stack([np.asarray(m, dtype=np.float64) for m in members])

    def set_noise(self, values: Sequence[np.ndarray]) -> None:
        """The noise variance per conflict: the mean over parameter sets of the variance of their replicates."""
        if not values:
            return
        stack = np.stack(values)
        if stack.shape[1] < 2:
            return
        with np.errstate(invalid="ignore"), warnings.catch_warnings():  # a conflict no set scored twice
            warnings.simplefilter("ignore", RuntimeWarning)
            self.noise = np.nanmean(np.nanvar(stack, axis=1, ddof=1), axis=0)

    def distance(self, values: np.ndarray) -> float:
        """The mean over conflicts of the replicates' mean ARD; inf when a replicate of a conflict has none."""
        if not np.isfinite(values).all():
            return math.inf
        return float(values.mean(axis=0).mean())

    def standard_error(self, replicates: int) -> float:
        """The standard error of a distance from the noise: sqrt(Σ variance / replicates) / conflicts."""
        var = np.nan_to_num(self.noise)
        return float(math.sqrt(float(var.sum()) / replicates) / len(self.names))


# ---- the runs --------------------------------------------------------------------------------------------------

@dataclass
class ConflictRuns:
    """Every (parameters, seed) run on each of ``scenarios`` (one client), its rescaled ARD kept in ``cache`` (keyed
    by the conflict's path, the parameters and the seed): inferences that share a cache (bench/flee_loco.py: the
    same generation 0 for every left-out conflict) run a set once."""

    client: Any
    scenarios: list[Scenario]
    kw: dict[str, Any]
    progress: Callable[[int, int], None] | None = None
    cache: dict[tuple[str, tuple[tuple[str, float], ...], int], float] = field(default_factory=dict)
    done: int = 0
    ran: int = 0
    cpu: float = 0.0

    def run(self, points: Sequence[Mapping[str, Any]], seeds: Sequence[int]) -> list[np.ndarray]:
        """Run i = (points[i], seeds[i]) on every conflict; per run, its ARD on each conflict in order."""
        out = np.full((len(seeds), len(self.scenarios)), np.nan)
        for c, sc in enumerate(self.scenarios):
            keys = [(str(sc.path), tuple(sorted((k, float(v)) for k, v in p.items())), int(s))
                    for p, s in zip(points, seeds, strict=True)]
            todo = [i for i, k in enumerate(keys) if k not in self.cache]
            base = self.done

            def bar(done: int, total: int, base: int = base) -> None:
                if self.progress is not None:
                    self.progress(base + done, base + total)

            for j, res in map_members(self.client, sc, [points[i] for i in todo], [seeds[i] for i in todo],
                                      progress=bar, **self.kw):
                self.cache[keys[todo[j]]] = float(res.ard.get(LOSS, math.nan))
                self.cpu += res.cpu_seconds
            self.done += len(todo)
            self.ran += len(todo)
            out[:, c] = [self.cache[k] for k in keys]
        return list(out)


# ---- the inference ----------------------------------------------------------------------------------------------

@dataclass
class FleeAbcResult:
    """The posterior of one parameter set for several conflicts, every set tried and its provenance."""

    params: list[ParamSpec]
    fitted: list[str]
    posterior: Posterior
    trials: list[dict[str, Any]]
    generations: list[dict[str, Any]]
    check: dict[str, Any]
    provenance: dict[str, Any]

    def write(self, out: str | Path) -> Path:
        """posterior.csv, calibration_trials.csv (every set tried: each fitted conflict's mean ARD, the distance)
        and, last, posterior.json, staged and renamed in (:func:`~crossings.files.write_set`)."""
        def files(stage: Path) -> None:
            write_text(stage / POSTERIOR_CSV, self.posterior.csv())
            write_text(stage / "calibration_trials.csv", trials_csv(self.params, self.trials))
            write_text(stage / POSTERIOR_JSON, dumps_json(self.provenance, indent=2, sort_keys=True) + "\n")

        return write_set(out, POSTERIOR_JSON, files)

    def lines(self, out: str | Path) -> list[str]:
        """What the command prints: the posterior per parameter, the tolerances, the ARD of draws per conflict."""
        done = sum(1 for g in self.generations if g.get("complete"))
        lines = [f"ABC-SMC over {len(self.fitted)} conflict(s) ({', '.join(self.fitted)}): {len(self.trials)} "
                 f"parameter sets, {done} complete generation(s) of {len(self.posterior.values)} particles "
                 f"(ESS {self.posterior.ess():.1f})"]
        for n, s in self.posterior.stats().items():
            lines.append(f"  {n}: mean {s['mean']:.6g}, 5-95 % {s['q05']:.6g}-{s['q95']:.6g}")
        lines.append("  tolerance by generation: " + ", ".join(f"{g['epsilon']:.4g}" for g in self.generations))
        for name, rec in self.check.items():
            a = rec[LOSS]
            lines.append(f"  {name} ({rec['role']}): ARD rescaled of {a['n']} runs drawn from the posterior: median "
                         f"{a['q50']:.4f} (5-95 % {a['q05']:.4f}-{a['q95']:.4f})")
        err = self.provenance.get("model_error")
        if err:
            lines.append(f"  model error ({err['scale'].split(',')[0]}, {err['draws']} draws on "
                         f"{', '.join(err['conflicts'])}): " + "; ".join(
                             f"{b['bin'][0]:g}-{b['bin'][1]:g} of the duration{_size_text(b)} 5-95 % "
                             f"{b['q05']:.3f} to {b['q95']:.3f}" for b in err["summary"]))
        for w in self.provenance.get("warnings", []):
            lines.append("  warning: " + w)
        return [*lines, f"posterior in {Path(out)}/{POSTERIOR_CSV}, provenance in {Path(out)}/{POSTERIOR_JSON}"]


def _size_text(cell: Mapping[str, Any]) -> str:
    """A model-error cell's size range as the command prints it ("" for the older layout, by elapsed share only)."""
    lo, hi = cell.get("size", (None, None))
    if lo is None and hi is None:
        return ""
    if lo is None:
        return f", size below {hi:.2g}"
    return f", size {lo:.2g} and above" if hi is None else f", size {lo:.2g} to {hi:.2g}"


def conflict_name(sc: Scenario) -> str:
    """A conflict's name: its directory's."""
    return Path(sc.path).name


def load_conflicts(dirs: Sequence[Scenario | str | Path], holdout: Sequence[str]) -> tuple[list[Scenario],
                                                                                       list[Scenario]]:
    """The fitted and the held-out conflicts: Flee-format scenarios with observed camp counts, named once each;
    :class:`InputError` for anything else."""
    scs = [as_scenario(d) for d in dirs]
    names = [conflict_name(s) for s in scs]
    for sc, name in zip(scs, names, strict=True):
        if not flee_settings(sc) or sc.observed is None or not sc.observed.camps:
            raise InputError(sc.path, None, "scenario", "not a Flee-format conflict with observed camp counts")
        if names.count(name) > 1:
            raise InputError(sc.path, None, "scenario", f"the conflict {name!r} is given twice")
    for h in holdout:
        if h not in names:
            raise InputError("--holdout", None, h, f"not one of the conflicts given ({', '.join(names)})")
    fit = [s for s, n in zip(scs, names, strict=True) if n not in holdout]
    if not fit:
        raise InputError("--holdout", None, "holdout", "every conflict is held out: nothing is left to fit")
    return fit, [s for s, n in zip(scs, names, strict=True) if n in holdout]


def _check(params: Sequence[ParamSpec], particles: int, generations: int, replicates: int, quantile: float,
           budget: int, check_runs: int, proposal: str) -> None:
    """The counts and names an inference needs, before anything runs."""
    if not params:
        raise InputError("--param", None, "param", "no parameter to fit")
    if check_runs < 0:
        raise InputError("--check-runs", None, "check-runs", f"{check_runs}: at least 0")
    check_smc_options(params, particles, generations, replicates, quantile, budget, proposal)


def run_flee_abc(conflicts: Sequence[Scenario | str | Path], params: Sequence[ParamSpec] | None = None,
                 budget: int = 64, *, holdout: Sequence[str] = (), particles: int = 16, generations: int = 3,
                 replicates: int = 2, quantile: float = 0.5, seed: int = 0, check_runs: int = 10,
                 workers: int | None = None, scheduler: str | None = None, client: Any = None,
                 rules: str | None = "crossings", kernel: str = "compiled", proposal: str = "global",
                 progress: Callable[[int, int], None] | None = None, command: str = "",
                 cache: dict[Any, float] | None = None, error_runs: int = 0) -> FleeAbcResult:
    """The posterior of ``params`` (default :func:`default_params`) given the observed camp counts of the
    conflicts not in ``holdout``, by ABC-SMC with at most ``budget`` parameter sets of ``replicates`` runs on each,
    under the rule set ``rules``; then ``check_runs`` draws from it run on every conflict (module docstring), and
    ``error_runs`` on each fitted conflict give the model-error term (:func:`model_error`; 0: none). ``cache``
    (a dict) shares runs between inferences."""
    params = list(params) if params is not None else default_params()
    _check(params, particles, generations, replicates, quantile, budget, check_runs, proposal)
    if error_runs < 0 or error_runs == 1:
        raise InputError("--error-runs", None, "error-runs", f"{error_runs}: 0 (no model-error term) or at least 2")
    fit, held = load_conflicts(conflicts, holdout)
    names = [conflict_name(s) for s in fit]
    t0 = time.perf_counter()
    kw = {"rules": rules, "kernel": kernel, "keep_series": False, "keep_camps": False}
    with open_client(workers, scheduler, client) as c:
        runs = ConflictRuns(c, fit, kw, progress, cache if cache is not None else {})
        disc = ArdDiscrepancy(names)
        smc = _Smc(params, runs, disc, seed, particles, replicates, budget, particles, proposal, fit[0].path)
        post = smc.run(generations, quantile)
        check = _check_draws(c, post, fit, held, seed, check_runs, kw, runs)
        err = model_error(c, post, fit, seed, error_runs, kw, runs) if error_runs else None
    settings = {"particles": particles, "generations": generations, "replicates": replicates, "quantile": quantile,
                "batch": particles, "budget": budget, "check_runs": check_runs, "rules": rules or "the conflicts'",
                "proposal": proposal, "kernel": KERNEL_TEXT[proposal], "error_runs": error_runs}
    prov = _provenance(fit, held, params, smc, post, check, settings, seed, command, time.perf_counter() - t0,
                       runs)
    if err is not None:
        prov["model_error"] = err
    post.provenance = prov
    return FleeAbcResult(params, names, post, smc.trials, smc.gens, check, prov)


def _check_draws(client: Any, post: Posterior, fit: Sequence[Scenario], held: Sequence[Scenario], seed: int,
                 n: int, kw: dict[str, Any], runs: ConflictRuns) -> dict[str, Any]:
    """``n`` runs per conflict drawn from the posterior with fresh seeds: their rescaled ARD per conflict."""
    if n == 0:
        return {}
    seeds = [run_seed(s) for s in np.random.SeedSequence(seed, spawn_key=(4,)).spawn(n)]
    draws = [post.draw(s)[1] for s in np.random.SeedSequence(seed, spawn_key=(5,)).spawn(n)]
    out: dict[str, Any] = {}
    for role, scs in (("fitted", fit), ("held out", held)):
        for sc in scs:
            ards = np.full(n, np.nan)
            for i, res in map_members(client, sc, draws, seeds, **kw):
                ards[i] = res.ard.get(LOSS, math.nan)
                runs.cpu += res.cpu_seconds
            runs.ran += n
            out[conflict_name(sc)] = {"role": role, LOSS: distribution(ards)}
    return out


# ---- the model error ---------------------------------------------------------------------------------------------

ERROR_BINS = 1  # the error term's bins by share of the conflict's duration elapsed (one: see SIZE_BINS) ...
SIZE_BINS = 6  # ... crossed with bins of the simulated size (equal-weight quantiles of the fitted conflicts') ...
MIN_BIN_POINTS = 30  # ... when every cell holds at least this many observed counts; else fewer (fit_model_error)
SIZE_SCALE = ("log(median over the members of the simulated count at the point + 1) less its largest value over "
              "the points of the same camp (0 at the camp's simulated peak)")


def residuals(sc: Scenario, sims: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The residual of each observed camp count of ``sc`` (:data:`ERROR_SCALE`) against the median of the
    draws' simulated counts there (``sims``: (draws, days, observed camps)), the share of the duration elapsed
    at each count and the simulated size there (:data:`SIZE_SCALE`, known before the count is observed)."""
    days = sims.shape[1]
    t, j, v = camp_points(sc, days)
    at = np.asarray(sims, dtype=np.float64)[:, t, j]
    med = np.median(at, axis=0)
    return np.log((v + 1.0) / (med + 1.0)), elapsed(t, days), size_of(at, j)


def _cells(frac: np.ndarray, size: np.ndarray, who: np.ndarray, conflicts: int, bins: int, size_bins: int,
           min_points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The elapsed bins' edges, the size edges and each point's cell of the first layout that leaves every cell
    ``min_points`` counts: ``bins`` x ``size_bins``, then 1 x ``size_bins``, ``bins`` x 1, 1 x 1. The size edges
    are the quantiles at 1/size_bins, 2/size_bins, ... of the sizes, each conflict weighing the same."""
    w = 1.0 / np.bincount(who, minlength=conflicts).astype(np.float64)[who] if who.size else who
    for nb, ns in dict.fromkeys(((bins, size_bins), (1, size_bins), (bins, 1), (1, 1))):
        edges = np.linspace(0.0, 1.0, nb + 1)
        sedges = (weighted_quantiles(size, w, [k / ns for k in range(1, ns)]) if ns > 1 and size.size
                  else np.zeros(0))
        cell = error_bin({"bins": [[0.0, float(e)] for e in edges[1:]], "size_edges": sedges}, frac, size)
        if (nb, ns) == (1, 1) or np.bincount(cell, minlength=nb * ns).min() >= min_points:
            return edges, sedges, cell
    raise AssertionError("unreachable: one cell always fits")


def fit_model_error(by_conflict: Mapping[str, tuple[np.ndarray, ...]], draws: int, bins: int = ERROR_BINS,
                    min_points: int = MIN_BIN_POINTS, size_bins: int = SIZE_BINS) -> dict[str, Any]:
    """The model-error term of posterior.json from each fitted conflict's residuals, elapsed shares and simulated
    sizes (:func:`residuals`): per cell (the share elapsed x the simulated size, :func:`_cells`), the quantiles
    at :data:`ERROR_LEVELS` of the residuals pooled over the conflicts, each conflict weighing the same in a cell
    whatever its number of counts. The width then follows what is known at forecast time (a small simulated camp
    errs more in ratio than a large one), so it transfers to a conflict it never saw."""
    names = list(by_conflict)
    r = np.concatenate([by_conflict[n][0] for n in names])
    f = np.concatenate([by_conflict[n][1] for n in names])
    size = np.concatenate([by_conflict[n][2] for n in names])
    who = np.concatenate([np.full(by_conflict[n][0].size, i) for i, n in enumerate(names)])
    edges, sedges, cell = _cells(f, size, who, len(names), bins, size_bins, min_points)
    levels = list(ERROR_LEVELS)
    s_lo, s_hi = [-math.inf, *sedges.tolist()], [*sedges.tolist(), math.inf]
    quantiles, summary = [], []
    for k in range(len(edges) - 1):
        for m in range(sedges.size + 1):
            at = cell == k * (sedges.size + 1) + m
            counts = np.bincount(who[at], minlength=len(names)).astype(np.float64)
            q = weighted_quantiles(r[at], 1.0 / counts[who[at]], levels)
            quantiles.append([round(float(x), 6) for x in q])
            summary.append({"bin": [round(float(edges[k]), 6), round(float(edges[k + 1]), 6)],
                            "size": [None if math.isinf(s_lo[m]) else round(s_lo[m], 6),
                                     None if math.isinf(s_hi[m]) else round(s_hi[m], 6)],
                            "points": int(at.sum()), "q05": round(float(q[levels.index(0.05)]), 4),
                            "q50": round(float(q[levels.index(0.5)]), 4),
                            "q95": round(float(q[levels.index(0.95)]), 4)})
    per = {}
    for n in names:
        x, fr = by_conflict[n][:2]
        quarter = np.minimum((np.asarray(fr) * 4).astype(np.int64), 3)
        per[n] = {"points": int(x.size), "median": round(float(np.median(x)), 4) if x.size else None,
                  "sd": round(float(np.std(x)), 4) if x.size else None,
                  "sd_by_quarter": [round(float(np.std(x[quarter == k])), 4) if (quarter == k).any() else None
                                    for k in range(4)]}
    return {
        "what": "the model's error on the observed camp counts of the fitted conflicts at the posterior, for "
                "predictive bands (docs/ensembles.md, 'Forecast bands with a model-error term')",
        "layout": "elapsed x size: quantiles per cell, elapsed bin x (size bins) + size bin (an older term without "
                  "size_edges is by the elapsed bin alone)",
        "scale": ERROR_SCALE + ", simulated: the median over the draws at the observed count's camp and day",
        "size_scale": SIZE_SCALE,
        "conflicts": names,
        "draws": draws,
        "weighting": "each fitted conflict weighs the same in a cell, whatever its number of observed counts",
        "bins": [[round(float(edges[k]), 6), round(float(edges[k + 1]), 6)] for k in range(len(edges) - 1)],
        "size_edges": [round(float(e), 6) for e in sedges],
        "bins_rule": f"{bins} equal bins of the share of the conflict's duration elapsed crossed with {size_bins} "
                     f"bins of the simulated size (edges: its quantiles over the fitted conflicts, each weighing the "
                     f"same) when every cell holds at least {min_points} observed counts; else 1 x {size_bins}, "
                     f"{bins} x 1, 1 x 1, the first that does",
        "levels": levels,
        "quantiles": quantiles,
        "summary": summary,
        "by_conflict": per,
    }


def error_draws(client: Any, post: Posterior, fit: Sequence[Scenario], seed: int, n: int,
                kw: Mapping[str, Any], runs: ConflictRuns | None = None) -> dict[str, np.ndarray]:
    """The simulated camp counts, (draws, days, observed camps), of ``n`` runs drawn from the posterior on each
    conflict of ``fit`` (fresh seeds and draws, the same on every conflict): what :func:`model_error` rests on."""
    seeds = [run_seed(s) for s in np.random.SeedSequence(seed, spawn_key=(6,)).spawn(n)]
    draws = [post.draw(s)[1] for s in np.random.SeedSequence(seed, spawn_key=(7,)).spawn(n)]
    out: dict[str, np.ndarray] = {}
    for sc in fit:
        sims: list[np.ndarray | None] = [None] * n
        for i, res in map_members(client, sc, draws, seeds, **{**kw, "keep_series": False, "keep_camps": True}):
            sims[i] = res.camp_sim
            if runs is not None:
                runs.cpu += res.cpu_seconds
        if runs is not None:
            runs.ran += n
        out[conflict_name(sc)] = np.stack([s for s in sims if s is not None])
    return out


def model_error(client: Any, post: Posterior, fit: Sequence[Scenario], seed: int, n: int,
                kw: Mapping[str, Any], runs: ConflictRuns | None = None) -> dict[str, Any]:
    """The model-error term (:func:`fit_model_error`) of the residuals of :func:`error_draws` on each fitted
    conflict; only the conflicts in ``fit`` inform it (in leave-one-conflict-out, never the held-out one)."""
    sims = error_draws(client, post, fit, seed, n, kw, runs)
    return fit_model_error({conflict_name(sc): residuals(sc, sims[conflict_name(sc)]) for sc in fit}, n)


def add_model_error(directory: str | Path, conflicts: Sequence[Scenario | str | Path], n: int, seed: int, *,
                    client: Any = None, workers: int | None = None, rules: str | None = "crossings",
                    kernel: str = "compiled") -> dict[str, Any]:
    """Give the posterior in ``directory`` the model-error term of ``n`` draws on the conflicts it was fitted on
    (those of ``conflicts`` its posterior.json marks fitted), written into its posterior.json (a posterior made
    before the term existed, or with ``error_runs=0``); returns the term."""
    post = read_posterior(directory)
    if post is None:
        raise InputError(directory, None, "posterior", f"no {POSTERIOR_CSV} there")
    roles = post.provenance.get("conflicts", {})
    fit = [s for s in (as_scenario(c) for c in conflicts) if roles.get(conflict_name(s), {}).get("role") == "fitted"]
    if not fit:
        raise InputError(directory, None, "conflicts", "none of the conflicts given was fitted by this posterior")
    with open_client(workers, None, client) as c:
        err = model_error(c, post, fit, seed, n, {"rules": rules, "kernel": kernel})
    prov = {**post.provenance, "model_error": err}
    write_text(Path(directory) / POSTERIOR_JSON, dumps_json(prov, indent=2, sort_keys=True) + "\n")
    return err


def _provenance(fit: Sequence[Scenario], held: Sequence[Scenario], params: Sequence[ParamSpec], smc: _Smc,
                post: Posterior, check: dict[str, Any], settings: dict[str, Any], seed: int, command: str,
                wall: float, runs: ConflictRuns) -> dict[str, Any]:
    """posterior.json: what the posterior is, the conflicts it was made against (and those held out), how, and
    what came out."""
    disc: ArdDiscrepancy = smc.disc
    se = disc.standard_error(smc.replicates)
    warns = [post.degenerate()] if post.degenerate() else []
    eps = [g["epsilon"] for g in smc.gens if g.get("complete") and math.isfinite(g["epsilon"])]
    if eps and eps[-1] - float(np.min(post.distances)) < 2 * se:
        warns.append(f"the last tolerance {eps[-1]:.4g} is within two standard errors ({se:.2g}) of the best "
                     "distance: the last generation chose among sets the run-to-run noise cannot tell apart")
    stats = post.stats()
    return {
        "method": METHOD,
        "what": "weighted particles of the posterior of Flee settings given the observed camp counts of several "
                "conflicts (one parameter set for all)",
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "crossings_version": __version__,
        "command": command,
        "scenario": "+".join(conflict_name(s) for s in fit),
        "conflicts": {conflict_name(s): {"role": role, "path": str(s.path), "scenario_digest": scenario_digest(s),
                                         "data": data_provenance(s)}
                      for role, scs in (("fitted", fit), ("held out", held)) for s in scs},
        "scenario_digests": [scenario_digest(s) for s in fit],
        "seed": seed,
        "settings": settings,
        "simulations": runs.ran,
        "parameter_sets": len(smc.trials),
        "priors": {p.name: {"distribution": "log-uniform" if p.log else "uniform", "low": p.low, "high": p.high,
                            "source": PRIORS[p.name][2] if p.name in PRIORS else "assumption (given by --param)"}
                   for p in params},
        "discrepancy": "the mean over the fitted conflicts of the mean over the replicates of the rescaled ARD "
                       "against the conflict's observed camp counts (flee-model.md §3.2); the run-to-run noise "
                       "does not enter it (noise_sd, distance_standard_error)",
        "calibration_rows": disc.names,
        "generations": smc.gens,
        "noise_sd": {n: round(math.sqrt(float(v)), 6) for n, v in zip(disc.names, disc.noise, strict=True)
                     if math.isfinite(v)},
        "distance_standard_error": round(se, 6),
        "posterior": stats,
        "simsetting_of_medians": _simsetting({n: round(s["q50"], 6) for n, s in stats.items()}),
        "ess": round(post.ess(), 3),
        "fit_of_posterior_draws": check,
        "warnings": warns,
        "wall_seconds": round(wall, 3),
        "cpu_seconds": {"members": round(runs.cpu, 3)},
    }
