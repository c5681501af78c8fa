"""Calibration as inference: ABC-SMC over a scenario's declared parameters, against the bands of its calibration
rows, with the run-to-run noise estimated from replicate runs; the posterior (weighted particles) is kept with its
provenance and drawn from by ensembles. One loop for every model: nothing here knows a model.

The discrepancy of a parameter set (:class:`BandDiscrepancy`): each calibration row's simulated value is put on
its own scale (log for a positive band, else linear in units of the observed value); the distance outside the
band widened ×1.25 (0 inside) of the mean over ``replicates`` runs is divided by
sqrt(band width² + noise variance ÷ replicates), the noise variance being the pooled within-particle variance of
the replicates of the previous population; the discrepancy is the root mean square over the rows. Validation
rows never enter it: they are reported after, on fresh runs drawn from the posterior.

ABC-SMC (Beaumont et al. 2009; Del Moral et al. 2012's adaptive tolerances) in the unit cube of the parameters'
ranges (a log-scale range is uniform in log(value)), so the prior is uniform there: generation 0 draws from the
prior and keeps every particle with a finite discrepancy; generation t keeps proposals whose discrepancy is at most
the ``quantile`` of the previous population's, until ``particles`` are kept, and weighs them by prior ÷ the
proposal's density. Proposals are drawn from a stream seeded by (seed, generation) and judged in order, so the
posterior is the same on any number of workers (it depends on ``batch``).

The proposal kernel (``proposal``):
- ``olcm``: the "optimal local covariance matrix" kernel of Filippi, Barnes, Cornebise & Stumpf 2013
  (Stat. Appl. Genet. Mol. Biol. 12:87-107). A particle j of generation t-1 is drawn by weight and moved by
  N(0, Σ_j), Σ_j = Σ_i w̃_i (θ_i − θ_j)(θ_i − θ_j)ᵀ + 1e-6 I over the particles i of generation t-1 already within
  the new tolerance (w̃ their weights renormalised): each particle moves towards, and as far as, the region the
  tolerance keeps, rather than by one covariance of the whole population that is too wide in 15 dimensions (most
  proposals rejected, or their weights concentrated on a few). With fewer than dimension + 1 such particles, all
  share twice the population's covariance. The move is drawn again, the particle kept, until it lands in the cube:
  a Gaussian truncated to the cube, whose density N(θ; θ_j, Σ_j) / Z_j divides by its mass inside,
  Z_j = P(N(θ_j, Σ_j) ∈ [0, 1]^d), so the weight is prior / Σ_j w_j N(θ; θ_j, Σ_j) / Z_j. Z_j is estimated from a
  fixed set of 8,192 standard-normal draws per generation (seeded by (seed, generation), shared by every j:
  deterministic; standard error ≤ 0.0055), again from 131,072 when fewer than 64 land inside.
- ``global``: the kernel of the posteriors made before (their posterior.json has no ``settings.proposal`` and says
  "Gaussian, twice the weighted covariance ..."): a particle drawn by weight moved by a Gaussian of twice the
  population's weighted covariance, both drawn again until inside the cube. That is the whole mixture truncated
  to the cube, whose mass inside is one constant that cancels in the normalised weights 1 / Σ_j w_j N(θ; θ_j, Σ).
  With the same seed it gives the same posterior as before, byte for byte.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import shutil
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crossings._version import __version__
from crossings.engine.resources import check_members_fit
from crossings.ensemble.calibrate import FitLoss, _Runs, data_provenance
from crossings.ensemble.cluster import open_client
from crossings.ensemble.member import MemberResult, ParamSpec, as_param, as_scenario, check_unique, run_seed
from crossings.ensemble.member import flee_settings as reads_flee_settings
from crossings.ensemble.reduce import fit_of_members
from crossings.errors import InputError
from crossings.files import dumps_json, write_set, write_text
from crossings.observed.fit import LOG_FLOOR, WIDEN, band
from crossings.scenario.model import Scenario
from crossings.scenarios import resolve_bundled

POSTERIOR_CSV = "posterior.csv"
POSTERIOR_JSON = "posterior.json"
POSTERIOR_FILES = (POSTERIOR_CSV, POSTERIOR_JSON)
METHOD = "abc-smc"
MIN_LOG_WIDTH = 2 * math.log(WIDEN)  # the width of a widened point value: the least a band counts as
MIN_LIN_WIDTH = 0.5  # the same for a band on a linear scale (in units of the observed value)


# ---- the discrepancy --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _RowScale:
    """A calibration row on its own scale: ``log`` (a positive band) or linear in units of ``ref``; its accepted
    band [lo, hi] and its width on that scale."""

    line: int
    log: bool
    ref: float
    lo: float
    hi: float
    width: float

    def t(self, x: np.ndarray) -> np.ndarray:
        """Values on the row's scale (log: values below LOG_FLOOR × ref count as that)."""
        if self.log:
            return np.log(np.maximum(x, LOG_FLOOR * self.ref))
        return x / self.ref


def _row_scale(line: int, value: float | None, low: float | None, high: float | None) -> _RowScale:
    lo, hi = band(value, low, high)
    edges = [e for e in (lo, hi) if math.isfinite(e)]
    if any(e > 0 for e in edges) and not any(e < 0 for e in edges):
        ref = min(e for e in edges if e > 0)
        tlo = math.log(lo) if lo > 0 and math.isfinite(lo) else -math.inf
        thi = math.log(hi) if math.isfinite(hi) else math.inf
        width = thi - tlo if math.isfinite(thi - tlo) else MIN_LOG_WIDTH
        return _RowScale(line, True, ref, tlo, thi, max(width, MIN_LOG_WIDTH))
    bounds = [abs(x) for x in (value, lo, hi) if x is not None and math.isfinite(x) and x != 0]
    ref = abs(value) if value else max(bounds, default=1.0)
    width = (hi - lo) / ref if math.isfinite(hi - lo) else MIN_LIN_WIDTH
    return _RowScale(line, False, ref, lo / ref, hi / ref, max(width, MIN_LIN_WIDTH))


class BandDiscrepancy:
    """The distance of a parameter set's replicate runs from the calibration rows' bands (module docstring). Only
    rows whose role is calibration enter it."""

    def __init__(self, scenario: Scenario) -> None:
        self.rows = [_row_scale(o.line, o.value, o.low, o.high) for o in scenario.observations
                     if o.default_role() == "calibration"]
        self.lines = [r.line for r in self.rows]
        self.noise = np.zeros(len(self.rows))  # the run-to-run variance per row, on its scale

    def values(self, members: Sequence[MemberResult]) -> np.ndarray:
        """(replicates, rows): each run's simulated value of each calibration row on the row's scale (NaN: not
        scored)."""
        out = np.full((len(members), len(self.rows)), np.nan)
        for i, m in enumerate(members):
            if m.fit is None:
                continue
            where = {line: j for j, line in enumerate(m.fit.lines)}
            for k, r in enumerate(self.rows):
                j = where.get(r.line)
                if j is not None and m.fit.status[j] == 0 and m.fit.roles[j] == "calibration":
                    out[i, k] = float(r.t(np.array([m.fit.simulated[j]]))[0])
        return out

    def set_noise(self, values: Sequence[np.ndarray]) -> None:
        """The noise variance per row: the mean over particles of the variance of their replicates."""
        if not values:
            return
        stack = np.stack(values)  # (particles, replicates, rows)
        if stack.shape[1] < 2:
            return
        with np.errstate(invalid="ignore"), warnings.catch_warnings():  # rows a particle did not score
            warnings.simplefilter("ignore", RuntimeWarning)
            var = np.nanmean(np.nanvar(stack, axis=1, ddof=1), axis=0)
        self.noise = var  # NaN for a row no particle scored twice (it then adds no noise)

    def distance(self, values: np.ndarray) -> float:
        """The discrepancy of one parameter set from its replicates' values: the root mean square over the rows
        every replicate scored of the distance outside the band over sqrt(width² + noise ÷ replicates); inf when
        no row is scored."""
        ok = np.isfinite(values).all(axis=0)
        if not ok.any():
            return math.inf
        mean = values[:, ok].mean(axis=0)
        rows = [r for r, k in zip(self.rows, ok, strict=True) if k]
        lo, hi = np.array([r.lo for r in rows]), np.array([r.hi for r in rows])
        width = np.array([r.width for r in rows])
        out = np.maximum(0.0, np.maximum(lo - mean, mean - hi))
        z = out / np.sqrt(width ** 2 + np.nan_to_num(self.noise[ok]) / values.shape[0])
        return float(math.sqrt(float(np.mean(z ** 2))))


# ---- the posterior ------------------------------------------------------------------------------------------------

@dataclass
class Posterior:
    """Weighted particles (``values[i]`` the parameters of particle i, ``weights`` summing to 1) and the
    provenance of the inference that made them (posterior.json)."""

    names: list[str]
    values: list[dict[str, float]]
    weights: np.ndarray
    distances: np.ndarray
    provenance: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def draw(self, ss: np.random.SeedSequence) -> tuple[int, dict[str, float]]:
        """The particle drawn for a member from its own stream (slot 1 of its SeedSequence; slot 0 draws its
        ranges): the same member gets the same particle whatever the cluster."""
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(ss.entropy,
                                                                         spawn_key=(*ss.spawn_key, 1))))
        cum = np.cumsum(self.weights)
        i = int(min(np.searchsorted(cum, rng.random() * cum[-1], side="right"), len(cum) - 1))
        return i, dict(self.values[i])

    def csv(self) -> str:
        """posterior.csv: particle, weight, each parameter, distance (exact decimal forms)."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["particle", "weight", *self.names, "distance"])
        for i, v in enumerate(self.values):
            w.writerow([i, repr(float(self.weights[i])), *[repr(float(v[n])) for n in self.names],
                        repr(float(self.distances[i]))])
        return buf.getvalue()

    def stats(self) -> dict[str, dict[str, float]]:
        """Per parameter: weighted mean, standard deviation and 5/50/95 % quantiles."""
        out = {}
        w = self.weights / self.weights.sum()
        for n in self.names:
            x = np.array([v[n] for v in self.values])
            order = np.argsort(x, kind="stable")
            cum = np.cumsum(w[order])
            q = {f"q{int(p * 100):02d}": float(x[order][min(np.searchsorted(cum, p), len(x) - 1)])
                 for p in (0.05, 0.5, 0.95)}
            mean = float(np.sum(w * x))
            out[n] = {"mean": mean, "sd": float(math.sqrt(max(float(np.sum(w * (x - mean) ** 2)), 0.0))), **q}
        return out

    def ess(self) -> float:
        """The effective sample size of the weights (1 / Σ w²)."""
        w = self.weights / self.weights.sum()
        return float(1.0 / np.sum(w ** 2))

    def degenerate(self) -> str:
        """A warning when the weights rest on fewer than LOW_ESS effective particles (importance weights that
        collapsed, common with many parameters): draws then repeat a few points and carry little parameter
        uncertainty. Empty when the weights are spread."""
        ess = self.ess()
        if ess >= LOW_ESS:
            return ""
        return (f"the posterior's weights rest on {ess:.1f} effective particles of {len(self.values)} (ESS under "
                f"{LOW_ESS}): members repeat a few parameter sets, so their bands carry little parameter "
                "uncertainty; infer again with more particles or fewer parameters")


LOW_ESS = 5  # fewer effective particles than this: the posterior is flagged as degenerate


def digest(path: str | Path) -> str:
    """The SHA-256 of a file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def scenario_digest(scenario: Scenario) -> str:
    """One SHA-256 over the scenario directory's files (names and contents, in name order), leaving out the
    posterior's own files and hidden ones: what a posterior was made against."""
    root = Path(scenario.path)
    h = hashlib.sha256()
    if root.is_dir():
        for p in sorted(root.rglob("*")):
            rel = p.relative_to(root)
            if not p.is_file() or any(part.startswith(".") for part in rel.parts) or rel.as_posix() in POSTERIOR_FILES:
                continue
            h.update(rel.as_posix().encode() + b"\0" + hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def read_posterior(directory: str | Path) -> Posterior | None:
    """The posterior kept in ``directory`` (posterior.csv and posterior.json), or None when it has none; a bad
    file is an :class:`InputError` naming it."""
    root = resolve_bundled(directory) if not Path(directory).is_dir() else Path(directory)
    pcsv, pjson = root / POSTERIOR_CSV, root / POSTERIOR_JSON
    if not pcsv.is_file():
        return None
    if not pjson.is_file():
        raise InputError(pjson, None, "file", f"missing: {POSTERIOR_CSV} needs its provenance beside it")
    try:
        prov = json.loads(pjson.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(pjson, exc.lineno, "json", exc.msg) from None
    with pcsv.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0][:2] != ["particle", "weight"] or rows[0][-1] != "distance":
        raise InputError(pcsv, 1, "header", "expected particle,weight,NAME...,distance")
    names = rows[0][2:-1]
    values, weights, dists = [], [], []
    for ln, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]):
            raise InputError(pcsv, ln, "row", f"{len(row)} fields, the header has {len(rows[0])}")
        try:
            nums = [float(x) for x in row[1:]]
        except ValueError:
            raise InputError(pcsv, ln, "row", "a field is not a number") from None
        if not math.isfinite(nums[0]) or nums[0] < 0:
            raise InputError(pcsv, ln, "weight", f"{row[1]!r} is not a weight >= 0")
        weights.append(nums[0])
        values.append(dict(zip(names, nums[1:-1], strict=True)))
        dists.append(nums[-1])
    if not values or sum(weights) <= 0:
        raise InputError(pcsv, None, "weight", "no particle with a positive weight")
    return Posterior(names, values, np.array(weights), np.array(dists), prov, root)


def posterior_record(post: Posterior, scenario: Scenario, used: bool, why: str = "") -> dict[str, Any]:
    """What ensemble.json records of a posterior: whether members drew from it, where it is, whether the
    scenario is still the one it was made against (or one of them: a posterior of several conflicts), and its
    provenance."""
    now = scenario_digest(scenario)
    rec = {"used": used, "file": str(post.path / POSTERIOR_CSV) if post.path else None,
           "particles": len(post.values), "parameters": list(post.names),
           "scenario_digest_now": now,
           "matches_scenario": (post.provenance.get("scenario_digest") == now
                                or now in post.provenance.get("scenario_digests", [])),
           "ess": post.ess(), "degenerate": post.degenerate() or None,
           "provenance": {k: v for k, v in post.provenance.items() if k not in ("generations_detail",)}}
    if why:
        rec["why"] = why
    return rec


# ---- the inference --------------------------------------------------------------------------------------------------

def trials_csv(params: Sequence[ParamSpec], trials: Sequence[Mapping[str, Any]]) -> str:
    """calibration_trials.csv: every parameter set tried, its generation, values, distance and whether it was kept."""
    names = [p.name for p in params]
    lines = [",".join(["trial", "generation", *names, "distance", "kept"])]
    for i, t in enumerate(trials):
        lines.append(",".join([str(i), str(t["generation"]), *[repr(t["values"][n]) for n in names],
                               repr(t["distance"]), "yes" if t["kept"] else "no"]))
    return "\n".join(lines) + "\n"


@dataclass
class AbcResult:
    """A posterior and how it was reached: every parameter set tried (generation, values, distance, kept), the
    tolerance and acceptance of each generation, and the fit of fresh runs drawn from the posterior per role."""

    scenario: Scenario
    params: list[ParamSpec]
    posterior: Posterior
    trials: list[dict[str, Any]]
    generations: list[dict[str, Any]]
    fit: dict[str, Any]
    best_rows: Any
    provenance: dict[str, Any]

    def write(self, out: str | Path) -> Path:
        """Write posterior.csv, posterior.json, calibration_trials.csv (every set tried) and calibration_fit.csv
        (per row, the runs drawn from the posterior) into ``out``, staged and renamed in with posterior.json last
        (:func:`~crossings.files.write_set`)."""
        def files(stage: Path) -> None:
            write_text(stage / POSTERIOR_CSV, self.posterior.csv())
            write_text(stage / "calibration_trials.csv", trials_csv(self.params, self.trials))
            if self.best_rows is not None:
                write_text(stage / "calibration_fit.csv", self.best_rows.csv())
            write_text(stage / POSTERIOR_JSON, dumps_json(self.provenance, indent=2, sort_keys=True) + "\n")

        return write_set(out, POSTERIOR_JSON, files)

    def lines(self, out: str | Path) -> list[str]:
        """What the command prints: the posterior per parameter, the tolerances, the fit per role."""
        done = sum(1 for g in self.generations if g.get("complete"))
        lines = [f"ABC-SMC: {len(self.trials)} parameter sets, {done} complete generation(s) of "
                 f"{len(self.posterior.values)} particles (ESS {self.posterior.ess():.1f})"]
        for n, s in self.posterior.stats().items():
            lines.append(f"  {n}: mean {s['mean']:.6g}, 5-95 % {s['q05']:.6g}-{s['q95']:.6g}")
        lines.append("  tolerance by generation: " + ", ".join(f"{g['epsilon']:.4g}" for g in self.generations))
        for role in ("calibration", "validation"):
            f = self.fit.get(role)
            if f:
                lines.append(f"  {role:11s} over {f['loss']['n']} runs drawn from the posterior: median "
                             f"{f['inside']['q50']:.0f} of {f['scored']['q50']:.0f} rows inside")
        if self.posterior.degenerate():
            lines.append("  warning: " + self.posterior.degenerate())
        return [*lines, f"posterior in {Path(out)}/{POSTERIOR_CSV}, provenance in {Path(out)}/{POSTERIOR_JSON}"]


def _unit_to_values(params: Sequence[ParamSpec], u: np.ndarray) -> dict[str, float]:
    return {p.name: min(max(float(p.value(float(x))), p.low), p.high) for p, x in zip(params, u, strict=True)}


PROPOSALS = ("olcm", "global")  # the proposal kernels (module docstring); "global" is the kernel before 2026-12
RIDGE = 1e-6  # added to each OLCM covariance (a standard deviation of 0.001 of a range): keeps it invertible
Z_DRAWS = 8192  # standard-normal draws per generation that estimate each proposal's mass inside the cube
Z_MIN_INSIDE = 64  # fewer of them inside: the mass is estimated again from Z_MORE draws
Z_MORE = 2 ** 17
KERNEL_TEXT = {
    "olcm": "Gaussian truncated to the unit cube, per particle the optimal local covariance (OLCM, Filippi et al. "
            "2013) of the previous population's particles within the new tolerance, plus 1e-6 I (twice the "
            "population's covariance when fewer than dimension + 1 qualify); weights prior / sum_j w_j N_j / Z_j",
    "global": "Gaussian, twice the weighted covariance of the population in the unit cube",
}


def _kernel_weights(new: np.ndarray, old: np.ndarray, old_w: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Importance weights under a uniform prior: 1 / Σ_j w_j N(new; old_j, cov), normalised (the global kernel:
    its proposal redraws the particle with the move, so the cube's share is one constant that cancels)."""
    inv = np.linalg.inv(cov)
    diff = new[:, None, :] - old[None, :, :]
    q = np.einsum("ijk,kl,ijl->ij", diff, inv, diff)
    dens = (np.exp(-0.5 * q) * old_w[None, :]).sum(axis=1)
    w = 1.0 / np.maximum(dens, 1e-300)
    return w / w.sum()


def _propose(rng: np.random.Generator, pop: np.ndarray, w: np.ndarray, cov: np.ndarray, k: int) -> np.ndarray:
    """``k`` proposals of the global kernel: a particle drawn by weight, moved by N(0, cov), both drawn again until
    inside the unit cube."""
    chol = np.linalg.cholesky(cov)
    out = np.empty((k, pop.shape[1]))
    for i in range(k):
        for _ in range(1000):
            j = int(rng.choice(len(w), p=w))
            x = pop[j] + chol @ rng.standard_normal(pop.shape[1])
            if ((x >= 0) & (x <= 1)).all():
                break
        else:
            x = np.clip(x, 0.0, 1.0)
        out[i] = x
    return out


def _global_cov(pop: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Twice the population's weighted covariance (plus 1e-10 I)."""
    mean = w @ pop
    return 2.0 * ((pop - mean).T * w) @ (pop - mean) + 1e-10 * np.eye(pop.shape[1])


def olcm_covariances(pop: np.ndarray, w: np.ndarray, accepted: np.ndarray) -> np.ndarray | None:
    """(particles, d, d): per particle j, Σ_i w̃_i (θ_i − θ_j)(θ_i − θ_j)ᵀ + RIDGE·I over the particles i that are
    ``accepted`` (w̃ their weights renormalised), i.e. their covariance plus (mean − θ_j)(mean − θ_j)ᵀ; None when
    fewer than d + 1 are accepted (too few to span the space)."""
    d = pop.shape[1]
    if int(np.count_nonzero(accepted)) < d + 1:
        return None
    a, wa = pop[accepted], w[accepted] / w[accepted].sum()
    mean = wa @ a
    cov = ((a - mean).T * wa) @ (a - mean)
    off = mean[None, :] - pop
    return cov[None, :, :] + off[:, :, None] * off[:, None, :] + RIDGE * np.eye(d)[None, :, :]


def inside_mass(rng: np.random.Generator, centres: np.ndarray, chols: np.ndarray) -> np.ndarray:
    """Z_j = P(N(centre_j, L_j L_jᵀ) ∈ [0, 1]^d), estimated from Z_DRAWS standard-normal draws shared by every j
    (the same draws for the same seed: deterministic). Its standard error is sqrt(Z(1 − Z)/8192) ≤ 0.0055; a j with
    fewer than Z_MIN_INSIDE draws inside (Z ≲ 0.008, relative error over 12 %) is estimated again from Z_MORE
    draws (relative error ≤ 12 % down to Z ≈ 5e-4); 0 when none of those is inside."""
    d = centres.shape[1]
    z = rng.standard_normal((Z_DRAWS, d))
    more: np.ndarray | None = None
    out = np.empty(len(centres))
    for j, (c, chol) in enumerate(zip(centres, chols, strict=True)):
        n = _inside_count(c, chol, z)
        if n >= Z_MIN_INSIDE:
            out[j] = n / Z_DRAWS
            continue
        if more is None:
            more = rng.standard_normal((Z_MORE, d))
        out[j] = _inside_count(c, chol, more) / Z_MORE
    return out


def _inside_count(centre: np.ndarray, chol: np.ndarray, z: np.ndarray) -> int:
    x = centre + z @ chol.T
    return int(np.count_nonzero(((x >= 0.0) & (x <= 1.0)).all(axis=1)))


def truncated_kernel_weights(new: np.ndarray, old: np.ndarray, old_w: np.ndarray, chols: np.ndarray,
                             mass: np.ndarray) -> np.ndarray:
    """Importance weights under a uniform prior on the unit cube: 1 / Σ_j w_j N(new; old_j, Σ_j) / Z_j, normalised
    (Σ_j = L_j L_jᵀ; Z_j = ``mass[j]``, the kernel's share inside the cube). Computed in logs: in 15 dimensions the
    densities under- and overflow."""
    d = old.shape[1]
    logw = np.full(len(old), -np.inf)
    live = (old_w > 0) & (mass > 0)
    logw[live] = np.log(old_w[live]) - np.log(mass[live])
    terms = np.full((len(new), len(old)), -np.inf)
    for j in np.flatnonzero(live):
        y = np.linalg.solve(chols[j], (new - old[j]).T)
        terms[:, j] = (logw[j] - 0.5 * np.sum(y * y, axis=0) - float(np.sum(np.log(np.diag(chols[j]))))
                       - 0.5 * d * math.log(2 * math.pi))
    top = terms.max(axis=1)
    logq = top + np.log(np.exp(terms - top[:, None]).sum(axis=1))
    logw_new = -(logq - logq.min())
    w = np.exp(logw_new)
    return w / w.sum()


def _propose_truncated(rng: np.random.Generator, pop: np.ndarray, w: np.ndarray, chols: np.ndarray, k: int
                       ) -> np.ndarray:
    """``k`` proposals of a truncated kernel: a particle j drawn by weight, then moves N(0, Σ_j) drawn (64 at a time)
    until one lands inside the unit cube, j kept: the density is Σ_j w_j N(θ; θ_j, Σ_j) / Z_j."""
    d = pop.shape[1]
    out = np.empty((k, d))
    for i in range(k):
        j = int(rng.choice(len(w), p=w))
        for _ in range(8 * Z_MORE // 64):
            x = pop[j] + rng.standard_normal((64, d)) @ chols[j].T
            inside = np.flatnonzero(((x >= 0.0) & (x <= 1.0)).all(axis=1))
            if len(inside):
                out[i] = x[inside[0]]
                break
        else:  # all but unreachable: a particle drawn has a mass inside of at least about 1 / Z_MORE (one with none
            # of the Z_MORE draws inside is never drawn), so all 8 × Z_MORE draws miss with a chance of about e^-8
            out[i] = np.clip(x[0], 0.0, 1.0)
    return out


@dataclass
class Kernel:
    """The proposal of one generation, built from the previous population: draws and the importance weights of what
    was kept. ``name`` as in posterior.json (``olcm``, ``olcm: global covariance`` when too few particles were
    within the tolerance, or ``global``)."""

    proposal: str
    pop: np.ndarray
    w: np.ndarray
    cov: np.ndarray | None = None  # the global kernel's
    chols: np.ndarray | None = None  # the truncated kernels' Cholesky factors
    mass: np.ndarray | None = None  # their shares inside the cube, Z_j
    name: str = ""

    @classmethod
    def make(cls, proposal: str, pop: np.ndarray, w: np.ndarray, accepted: np.ndarray,
             zrng: np.random.Generator) -> Kernel:
        """The kernel ``proposal`` from the population (``pop``, weights ``w``) whose ``accepted`` particles lie
        within the new tolerance; ``zrng`` draws the normals that estimate Z_j."""
        if proposal == "global":
            return cls(proposal, pop, w, cov=_global_cov(pop, w), name="global")
        covs = olcm_covariances(pop, w, accepted)
        name = "olcm"
        if covs is None:
            covs = np.repeat(_global_cov(pop, w)[None, :, :], len(pop), axis=0)
            name = "olcm: global covariance"
        chols = np.linalg.cholesky(covs)
        return cls(proposal, pop, w, chols=chols, mass=inside_mass(zrng, pop, chols), name=name)

    def propose(self, rng: np.random.Generator, k: int) -> np.ndarray:
        """``k`` proposals in the unit cube."""
        if self.cov is not None:
            return _propose(rng, self.pop, self.w, self.cov, k)
        assert self.chols is not None and self.mass is not None
        w = np.where(self.mass > 0, self.w, 0.0)  # a particle whose kernel misses the cube is not moved from
        return _propose_truncated(rng, self.pop, w / w.sum(), self.chols, k)

    def weights(self, new: np.ndarray) -> np.ndarray:
        """The normalised importance weights of the kept proposals ``new`` (a uniform prior)."""
        if self.cov is not None:
            return _kernel_weights(new, self.pop, self.w, self.cov)
        assert self.chols is not None and self.mass is not None
        w = np.where(self.mass > 0, self.w, 0.0)
        return truncated_kernel_weights(new, self.pop, w / w.sum(), self.chols, self.mass)


def check_smc_options(params: Sequence[ParamSpec], particles: int, generations: int, replicates: int,
                      quantile: float, budget: int, proposal: str) -> None:
    """The checks every ABC-SMC inference makes before anything runs, whatever it fits: parameters with ranges,
    replicates for the noise, sensible counts, a known proposal kernel."""
    check_unique(params)
    if proposal not in PROPOSALS:
        raise InputError("--proposal", None, "proposal", f"{proposal!r} is not one of {', '.join(PROPOSALS)}")
    for p in params:
        if p.fixed:
            raise InputError("--param", None, p.name, "needs a range LOW:HIGH (its prior)")
    if replicates < 2:
        raise InputError("--replicates", None, "replicates", f"{replicates}: the inference needs at least 2 runs per "
                         "parameter set (the run-to-run noise is estimated from them)")
    if particles < 4:
        raise InputError("--particles", None, "particles", f"{particles}: at least 4")
    if generations < 1:
        raise InputError("--generations", None, "generations", f"{generations} is not positive")
    if not 0 < quantile < 1:
        raise InputError("--quantile", None, "quantile", f"{quantile} is not between 0 and 1")
    if budget < particles:
        raise InputError("--budget", None, "budget", f"{budget} is below the {particles} particles of generation 0")


def check_abc(sc: Scenario, params: Sequence[ParamSpec], particles: int, generations: int, replicates: int,
              quantile: float, budget: int, proposal: str = "global") -> None:
    """The checks of an inference of a scenario's calibration rows, before anything runs: those of
    :func:`check_smc_options`, at most 15 parameters, and calibration rows to fit."""
    if len(params) > 15:
        raise InputError("--param", None, "param", f"{len(params)} parameters: an inference takes at most 15")
    if sc.observations_file is None or not any(o.default_role() == "calibration" for o in sc.observations):
        raise InputError(Path(sc.path) / "observed.csv", None, "role", "no row has role calibration: the inference "
                         "fits the rows of observed.csv whose role is calibration")
    check_smc_options(params, particles, generations, replicates, quantile, budget, proposal)


@dataclass
class _Smc:
    """The state of one ABC-SMC: the runs, the discrepancy, every set tried, the population and its generations.
    Nothing here knows a scenario: ``runs.run(points, seeds)`` returns what ``disc.values`` turns into one parameter
    set's (replicates, rows) values, and ``disc`` also has ``set_noise`` and ``distance`` (:class:`BandDiscrepancy`;
    the tests drive it with a toy simulator). ``where``: the file an inference with no scored row is blamed on."""

    params: list[ParamSpec]
    runs: Any
    disc: Any
    seed: int
    particles: int
    replicates: int
    budget: int
    batch: int
    proposal: str = "global"
    where: Any = None
    trials: list[dict[str, Any]] = field(default_factory=list)
    gens: list[dict[str, Any]] = field(default_factory=list)
    used: int = 0
    pop: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    pop_vals: list[np.ndarray] = field(default_factory=list)
    pop_w: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def rng(self, gen: int) -> np.random.Generator:
        """The proposals' stream of generation ``gen``."""
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=(3, gen))))

    def zrng(self, gen: int) -> np.random.Generator:
        """The stream of the normals that estimate the truncated kernels' masses in generation ``gen`` (apart from
        the proposals', so that the global kernel draws what it drew before the OLCM kernel existed)."""
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=(6, gen))))

    def evaluate(self, gen: int, start: int, us: np.ndarray) -> list[np.ndarray]:
        """Run each proposal ``replicates`` times (seeds from (seed, generation, proposal index)); their values."""
        r = self.replicates
        pts = [_unit_to_values(self.params, u) for u in us]
        seeds = [[run_seed(s) for s in np.random.SeedSequence(self.seed, spawn_key=(2, gen, start + i)).spawn(r)]
                 for i in range(len(us))]
        members = self.runs.run([p for p in pts for _ in range(r)], [s for ss in seeds for s in ss])
        self.used += len(us)
        return [self.disc.values(members[i * r:(i + 1) * r]) for i in range(len(us))]

    def run(self, generations: int, quantile: float) -> Posterior:
        """Generation 0, then up to ``generations`` - 1 more while the budget lasts; the posterior."""
        self.first()
        for gen in range(1, generations):
            if self.used >= self.budget or not self.step(gen, quantile):
                break
        return self.posterior()

    def first(self) -> None:
        """Generation 0: the prior, every particle with a finite discrepancy kept, equal weights."""
        u0 = self.rng(0).random((self.particles, len(self.params)))
        vals = self.evaluate(0, 0, u0)
        self.disc.set_noise(vals)
        dist = np.array([self.disc.distance(v) for v in vals])
        keep = np.isfinite(dist)
        if not keep.any():
            raise InputError(self.where, None, "role", "no calibration row was scored in any run")
        for u, dd, k in zip(u0, dist, keep, strict=True):
            self.trials.append({"generation": 0, "values": _unit_to_values(self.params, u), "distance": float(dd),
                                "kept": bool(k)})
        self.pop, self.pop_vals = u0[keep], [v for v, k in zip(vals, keep, strict=True) if k]
        self.pop_w = np.full(len(self.pop), 1.0 / len(self.pop))
        self.gens.append({"generation": 0, "epsilon": math.inf, "proposed": self.particles, "kept": int(keep.sum()),
                          "complete": True, "ess": round(float(len(self.pop)), 3)})

    def step(self, gen: int, quantile: float) -> bool:
        """Generation ``gen``: the tolerance from the previous population, proposals until ``particles`` are kept
        or the budget is spent; False (and the population unchanged) when it ran out first."""
        self.disc.set_noise(self.pop_vals)
        prev = np.array([self.disc.distance(v) for v in self.pop_vals])
        eps = float(np.quantile(prev, quantile))
        kernel = Kernel.make(self.proposal, self.pop, self.pop_w, prev <= eps, self.zrng(gen))
        grng = self.rng(gen)
        new_u: list[np.ndarray] = []
        new_vals: list[np.ndarray] = []
        proposed = 0
        first_trial = len(self.trials)
        while len(new_u) < self.particles and self.used < self.budget:
            us = kernel.propose(grng, min(self.batch, self.budget - self.used))
            vals = self.evaluate(gen, proposed, us)
            proposed += len(us)
            for u, v in zip(us, vals, strict=True):
                dd = self.disc.distance(v)
                ok = dd <= eps and len(new_u) < self.particles
                self.trials.append({"generation": gen, "values": _unit_to_values(self.params, u), "distance": dd,
                                    "kept": bool(ok)})
                if ok:
                    new_u.append(u)
                    new_vals.append(v)
        complete = len(new_u) == self.particles
        rec = {"generation": gen, "epsilon": eps, "proposed": proposed, "kept": len(new_u), "complete": complete,
               "kernel": kernel.name}
        self.gens.append(rec)
        if not complete:  # the budget ran out: the posterior is the last complete population
            for t in self.trials[first_trial:]:
                t["kept"] = False
            return False
        arr = np.array(new_u)
        self.pop_w = kernel.weights(arr)
        self.pop, self.pop_vals = arr, new_vals
        rec["ess"] = round(float(1.0 / np.sum(self.pop_w ** 2)), 3)
        return True

    def posterior(self) -> Posterior:
        """The last complete population as weighted particles."""
        dist = np.array([self.disc.distance(v) for v in self.pop_vals])
        return Posterior([p.name for p in self.params], [_unit_to_values(self.params, u) for u in self.pop],
                         self.pop_w, dist)


def run_abc(scenario: Scenario | str | Path, params: Sequence[ParamSpec], budget: int, *, particles: int = 32,
            generations: int = 4, replicates: int = 2, quantile: float = 0.5, batch: int | None = None,
            seed: int = 0, check_runs: int = 10, workers: int | None = None, scheduler: str | None = None,
            client: Any = None, days: int | None = None, rules: str | None = None, kernel: str = "compiled",
            progress: Callable[[int, int], None] | None = None, command: str = "", proposal: str = "global"
            ) -> AbcResult:
    """Infer the posterior of ``params`` (ranges: uniform priors, in log(value) for log ranges) from the
    scenario's calibration rows by ABC-SMC with at most ``budget`` parameter sets of ``replicates`` runs each
    and the ``proposal`` kernel (``olcm`` or ``global``, module docstring; ``kernel`` is the simulation's); then
    run ``check_runs`` members drawn from the posterior with fresh seeds and report their
    fit on the calibration and, apart, the validation rows."""
    sc = as_scenario(scenario)
    params = [as_param(p, sc) for p in params]
    check_abc(sc, params, particles, generations, replicates, quantile, budget, proposal)
    check_members_fit(sc, days or sc.length, budget * replicates + check_runs, "--budget")
    batch = batch or particles
    if batch < 1:
        raise InputError("--batch", None, "batch", f"{batch} is not positive")
    t0, c0 = time.perf_counter(), time.process_time()
    kw = {"days": days, "rules": rules, "kernel": kernel, "keep_series": False, "keep_camps": False}
    with open_client(workers, scheduler, client) as c:
        runs = _Runs(c, sc, kw, budget * replicates + check_runs, progress)
        smc = _Smc(params, runs, BandDiscrepancy(sc), seed, particles, replicates, budget, batch, proposal,
                   sc.observations_file)
        post = smc.run(generations, quantile)
        check_seeds = [run_seed(s) for s in np.random.SeedSequence(seed, spawn_key=(4,)).spawn(check_runs)]
        draws = [post.draw(s)[1] for s in np.random.SeedSequence(seed, spawn_key=(5,)).spawn(check_runs)]
        checked = runs.run(draws, check_seeds)
    fit = FitLoss(sc, days or sc.length).report(checked)
    settings = {"particles": particles, "generations": generations, "replicates": replicates, "quantile": quantile,
                "batch": batch, "budget": budget, "check_runs": check_runs, "days": days or sc.length,
                "proposal": proposal, "kernel": KERNEL_TEXT[proposal]}
    cpu = {"client": round(time.process_time() - c0, 3), "members": round(runs.cpu, 3)}
    prov = _provenance(sc, params, smc, post, fit, settings, seed, command, time.perf_counter() - t0, cpu)
    post.provenance = prov
    return AbcResult(sc, params, post, smc.trials, smc.gens, fit, fit_of_members([m.fit for m in checked], sc), prov)


def _provenance(sc: Scenario, params: Sequence[ParamSpec], smc: _Smc, post: Posterior, fit: dict[str, Any],
                settings: dict[str, Any], seed: int, command: str, wall: float, cpu: dict[str, float]
                ) -> dict[str, Any]:
    """posterior.json: what the posterior is, what it was made against, how, and what came out."""
    declared = sc.declared
    return {
        "method": METHOD,
        "what": "weighted particles of the posterior of the parameters given the scenario's calibration rows",
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "crossings_version": __version__,
        "command": command,
        "scenario": sc.name,
        "scenario_digest": scenario_digest(sc),
        "data": data_provenance(sc),
        "observed_file": Path(sc.observations_file).name if sc.observations_file else None,
        "observed_digest": digest(sc.observations_file) if sc.observations_file else None,
        "what_if": list(sc.what_if),
        "seed": seed,
        "settings": settings,
        "simulations": smc.used * smc.replicates + settings["check_runs"],
        "parameter_sets": len(smc.trials),
        "priors": {p.name: {"distribution": "log-uniform" if p.log else "uniform", "low": p.low, "high": p.high,
                            "source": declared[p.name].source if p.name in declared else ""} for p in params},
        "discrepancy": "root mean square over the calibration rows of the distance of the replicates' mean outside "
                       "the source band widened x1.25 (0 inside; log scale for positive bands, else in units of the "
                       "observed value) divided by sqrt(band width^2 + run-to-run variance / replicates), the "
                       "variance pooled over the previous population's replicates",
        "calibration_rows": smc.disc.lines,
        "generations": smc.gens,
        "noise_variance": {str(ln): round(float(v), 6) for ln, v in zip(smc.disc.lines, smc.disc.noise, strict=True)
                           if math.isfinite(v)},
        "posterior": post.stats(),
        "ess": round(post.ess(), 3),
        "fit_of_posterior_draws": fit,
        "wall_seconds": round(wall, 3),
        "cpu_seconds": cpu,
    }


def write_posterior(scenario_dir: str | Path, out: str | Path) -> Path:
    """Copy posterior.csv and posterior.json from ``out`` into ``scenario_dir`` (the documented step that ships a
    posterior with a scenario); returns the scenario directory."""
    root = resolve_bundled(scenario_dir)
    if not (root / "scenario.yml").is_file():
        raise InputError(root, None, "--write-posterior", "no scenario.yml there")
    for name in POSTERIOR_FILES:
        src = Path(out) / name
        if not src.is_file():
            raise InputError(src, None, "file", "missing")
        if src.resolve() != (root / name).resolve():
            shutil.copyfile(src, root / name)
    return root


def check_posterior(post: Posterior, scenario: Scenario, names: Sequence[str]) -> None:
    """:class:`InputError` naming posterior.csv when the scenario no longer declares a parameter it draws, or a
    particle's value lies outside the parameter's declared range (the posterior was made for another version)."""
    if reads_flee_settings(scenario):
        return
    where = (post.path / POSTERIOR_CSV) if post.path else POSTERIOR_CSV
    declared = scenario.declared
    for n in names:
        if n not in declared:
            raise InputError(where, 1, n, "the scenario declares no such parameter any more (infer again, or run "
                             "with --no-posterior)")
        p = declared[n]
        lo = -math.inf if p.low is None else p.low
        hi = math.inf if p.high is None else p.high
        for i, v in enumerate(post.values):
            if not lo <= v[n] <= hi:
                raise InputError(where, i + 2, n, f"{v[n]:g} is outside [{lo:g}, {hi:g}], the parameter's range in "
                                 "scenario.yml (infer again, or run with --no-posterior)")


def posterior_params(post: Posterior, given: Mapping[str, Any]) -> list[str]:
    """The posterior's parameters that members draw (those not set by ``--param``)."""
    return [n for n in post.names if n not in given]
