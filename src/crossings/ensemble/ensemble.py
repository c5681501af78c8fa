"""``run_ensemble``: many members of one scenario, their seeds spawned from one seed, on Dask; the result holds
per entity (location, link, country, crossing, …) and day the 5/25/50/75/95 % quantiles and the mean of every
series the members keep, and what the scenario's data allow: the distribution of the ARD and the coverage of
observed camp counts by the 90 % band, the fit per observation row. ``EnsembleResult.write`` writes the results
(the report is drawn from them by the command line)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crossings._version import __version__
from crossings.engine.model import get_model
from crossings.engine.resources import check_members_fit
from crossings.ensemble.cluster import describe, map_batches, map_members, open_client
from crossings.ensemble.infer import (
    POSTERIOR_CSV,
    Posterior,
    check_posterior,
    posterior_params,
    posterior_record,
    read_posterior,
)
from crossings.ensemble.member import (
    MemberResult,
    ParamSpec,
    as_param,
    as_scenario,
    check_unique,
    flee_settings,
    member_seeds,
    run_seed,
    with_params,
)
from crossings.ensemble.reduce import (
    QUANTILE_NAMES,
    QUANTILES,
    FitStack,
    Stack,
    camp_points,
    coverage,
    distribution,
    predictive_coverage,
    reduce_fit,
    report_fit,
)
from crossings.ensemble.summary import BINS, PILOT, Histogram
from crossings.errors import InputError
from crossings.files import atomic_write, dumps_json, write_parquet, write_set, write_text
from crossings.observed.metrics import mean_ard
from crossings.params.flee import CALIBRATED_DIR, CALIBRATED_RULES, CALIBRATED_SOURCE
from crossings.results.schema import Labels, Schema
from crossings.scenario.model import Scenario

QUANTILE_FILE = "quantiles.parquet"
EXACT_LIMIT = 100  # up to this many members the quantiles are exact (every member's series on the client)
BATCH = 8  # members per task above it (their series reduced on the worker); the results do not depend on it
FIT_FILE = "fit.csv"
BANDS_DIR = "bands"


def client_memory() -> dict[str, Any]:
    """The client process's peak resident memory so far (``getrusage``; on Linux ru_maxrss is in KiB): what
    ensemble.json records to show that the client's memory does not grow with the number of members."""
    import resource  # deferred: Unix only, and only ensemble.json needs it

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"peak_rss_bytes": int(peak), "peak_rss_mib": round(peak / 2**20, 1),
            "what": "peak resident memory of the client process (getrusage ru_maxrss) when ensemble.json was made"}


def member_params(specs: Sequence[ParamSpec], ss: np.random.SeedSequence) -> dict[str, float | int]:
    """A member's parameters: fixed values as given, ranges drawn uniformly from the member's own stream."""
    if not specs:
        return {}
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, 0))))
    u = rng.random(len(specs))
    return {s.name: (s.value(0.0) if s.fixed else s.value(float(x))) for s, x in zip(specs, u, strict=True)}


@dataclass
class EnsembleResult:
    """An ensemble's reductions (what ``write`` saves); ``quantiles[name]`` is (5, days, n), ``mean[name]``
    (days, n), for the quantiles :data:`~crossings.ensemble.reduce.QUANTILES`."""

    scenario: Scenario
    seed: int
    runs: int
    days: int
    rules: str | None
    kernel: str
    params: list[ParamSpec]
    seeds: list[int]
    member_params: list[dict[str, float | int]]
    agents_final: np.ndarray
    ard: dict[str, np.ndarray]
    quantiles: dict[str, np.ndarray]
    mean: dict[str, np.ndarray]
    coverage: dict[str, Any]
    ard_of_median: dict[str, float] = field(default_factory=dict)
    wall_seconds: float = 0.0
    where: str = ""
    member_seconds: np.ndarray | None = None  # (runs, 2): each member's wall and CPU time on its worker
    fit: Any = None  # the fit per observation row (crossings.ensemble.reduce.EnsembleFit), with observations
    schema: Schema = field(default_factory=lambda: Schema({}))  # of the model's series (dimensions and labels)
    meta: dict[str, Any] = field(default_factory=dict)  # what the model adds to a run's summary (first member)
    method: dict[str, Any] = field(default_factory=dict)  # how the quantiles were taken (exact or histogram)
    posterior: dict[str, Any] | None = None  # the scenario's posterior: whether members drew from it, provenance
    drawn: list[str] = field(default_factory=list)  # the posterior's parameters the members drew
    particles: list[int] | None = None  # the particle each member drew (None: no draw from a posterior)

    def summary(self) -> dict[str, Any]:
        """What ensemble.json holds."""
        sc = self.scenario
        out = {
            "scenario": sc.name,
            "scenario_path": str(sc.path),
            "format": sc.format,
            "start_date": sc.start_date.isoformat(),
            "days": self.days,
            "runs": self.runs,
            "seed": self.seed,
            "seed_spawning": "numpy.random.SeedSequence(seed).spawn(runs); member seed = first 64-bit word >> 1",
            "rules": self.rules or sc.default_rules,
            "kernel": self.kernel,
            "params": {p.name: ([p.low] if p.fixed else [p.low, p.high]) for p in self.params},
            "quantiles": list(QUANTILE_NAMES),
            "quantile_method": self.method,
            "client_memory": client_memory(),
            "quantile_file": QUANTILE_FILE,
            "series": {k: self.schema.dim_of(k) for k in self.quantiles},
            "agents_final": distribution(self.agents_final),
            "ard": {k: distribution(v) for k, v in self.ard.items()},
            "ard_of_median": {k: round(v, 6) for k, v in self.ard_of_median.items()},
            "coverage": self.coverage,
            "wall_seconds": round(self.wall_seconds, 3),
            "member_seconds": ({"wall_sum": round(float(self.member_seconds[:, 0].sum()), 3),
                                "cpu_sum": round(float(self.member_seconds[:, 1].sum()), 3)}
                               if self.member_seconds is not None else {}),
            "cluster": self.where,
            "crossings_version": __version__,
            "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if not flee_settings(sc):  # a scenario of named parameters records them, its model and its what-ifs
            out.update({"model": sc.model, "parameters": dict(sc.parameters), "what_if": list(sc.what_if)})
        if self.fit is not None:
            out["fit"] = self.fit.summary
        if self.posterior is not None:
            out["posterior"] = self.posterior
        return out

    def quantile_table(self) -> Any:
        """One row per series, day and place: series, dimension, day, date, place, index, q05..q95, mean."""
        import pyarrow as pa  # deferred: pyarrow takes 0.2 s to import, and only the written tables need it

        sc = self.scenario
        dates = [sc.date_of(d).isoformat() for d in range(self.days)]
        names = list(self.quantiles)
        cols: dict[str, list[np.ndarray]] = {k: [] for k in ("series", "day", "place", "index",
                                                             *QUANTILE_NAMES, "mean")}
        label_code: dict[str, int] = {}  # every place label, numbered in order of first appearance
        dims = [self.schema.dim_of(k) for k in names]
        dim_names = sorted(set(dims))
        for si, k in enumerate(names):
            q, mean = self.quantiles[k], self.mean[k]
            d, n = mean.shape
            codes = np.array([label_code.setdefault(lb, len(label_code)) for lb in self.schema.labels(dims[si], n)],
                             dtype=np.int32)
            cols["series"].append(np.full(d * n, si, dtype=np.int32))
            cols["day"].append(np.repeat(np.arange(d, dtype=np.int32), n))
            cols["place"].append(np.tile(codes, d))
            cols["index"].append(np.tile(np.arange(n, dtype=np.int32), d))
            for j, qn in enumerate(QUANTILE_NAMES):
                cols[qn].append(q[j].reshape(-1))
            cols["mean"].append(mean.reshape(-1))
        cat = {c: np.concatenate(v) for c, v in cols.items()}
        dim_codes = np.array([dim_names.index(x) for x in dims], dtype=np.int32)
        return pa.table({
            "series": pa.DictionaryArray.from_arrays(cat["series"], pa.array(names, pa.string())),
            "dimension": pa.DictionaryArray.from_arrays(dim_codes[cat["series"]], pa.array(dim_names, pa.string())),
            "day": pa.array(cat["day"], pa.int32()),
            "date": pa.DictionaryArray.from_arrays(cat["day"], pa.array(dates, pa.string())),
            "place": pa.DictionaryArray.from_arrays(cat["place"], pa.array(list(label_code), pa.string())),
            "index": pa.array(cat["index"], pa.int32()),
            **{qn: pa.array(cat[qn], pa.float64()) for qn in (*QUANTILE_NAMES, "mean")},
        })

    def members_csv(self) -> str:
        """members.csv: per member its index, seed, drawn parameters, agents at the end, ARD and fit figures."""
        extra = self.fit.members_columns() if self.fit is not None else []
        drawn = [*self.drawn, "particle"] if self.particles is not None else []
        head = ["member", "seed", *[p.name for p in self.params], *drawn, "agents_final", *self.ard,
                *[k for k, _ in extra]]
        lines = [",".join(head)]
        for i in range(self.runs):
            post = ([*[repr(self.member_params[i][n]) for n in self.drawn], str(self.particles[i])]
                    if self.particles is not None else [])
            row = [str(i), str(self.seeds[i]), *[repr(self.member_params[i][p.name]) for p in self.params], *post,
                   str(int(self.agents_final[i])), *[repr(float(v[i])) for v in self.ard.values()],
                   *[repr(v[i].item()) for _, v in extra]]
            lines.append(",".join(row))
        return "\n".join(lines) + "\n"

    @property
    def has_bands(self) -> bool:
        """True when ``write`` writes the bands directory: the model names the series its members keep for bands
        (``Model.band_series``), and those are tables a run's report can draw."""
        return get_model(self.scenario.model).band_series is not None

    def band_tables(self) -> dict[str, dict[str, np.ndarray | Labels]]:
        """The daily bands as run-shaped tables, one per dimension of the kept series (its table's name, e.g.
        ``locations``, ``crossings``): ``day``, ``date``, the dimension's key columns, and per series the members'
        median under its own name with ``X_q05`` and ``X_q95`` beside it."""
        dates = tuple(self.scenario.date_of(d).isoformat() for d in range(self.days))
        by_dim: dict[str, list[str]] = {}
        for name in self.quantiles:
            by_dim.setdefault(self.schema.dim_of(name), []).append(name)
        out: dict[str, dict[str, np.ndarray | Labels]] = {}
        for dim, names in by_dim.items():
            d = self.schema.dims.get(dim)
            if d is None:
                continue
            days, n = self.quantiles[names[0]].shape[1:]
            day = np.repeat(np.arange(days, dtype=np.int32), n)
            entity = np.tile(np.arange(n, dtype=np.int32), days)
            cols: dict[str, np.ndarray | Labels] = {"day": day}
            if d.dated:
                cols["date"] = Labels(day, dates[:days])
            for key, values in d.keys:
                cols[key] = values.take(entity) if isinstance(values, Labels) else np.asarray(values)[entity]
            for name in names:
                q = self.quantiles[name]
                cols.update({name: q[2].reshape(-1), f"{name}_q05": q[0].reshape(-1), f"{name}_q95": q[-1].reshape(-1)})
            out[d.table] = cols
        return out

    def bands_summary(self) -> dict[str, Any]:
        """summary.json of the bands directory (what the report's header shows; no times, so it is reproducible):
        the ensemble, what its model adds to a run's summary, and its fit shaped as a run's when the scenario has
        observations."""
        sc = self.scenario
        ppa = float(sc.people_per_agent)
        out = {"scenario": sc.name, "scenario_path": str(sc.path), "format": sc.format, "model": sc.model,
               "start_date": sc.start_date.isoformat(), "days": self.days, "seed": self.seed,
               "members": self.runs, "rules": self.rules or sc.default_rules, "crossings_version": __version__,
               "people_per_agent": int(ppa) if ppa.is_integer() else ppa,
               "what": "ensemble bands: each series is the members' median, X_q05 and X_q95 their 5 and 95 % "
                       "quantiles (agents)"}
        for k, v in self.meta.items():
            out.setdefault(k, v)
        out.update(self.camp_fit())
        if self.fit is not None:
            out["fit"] = report_fit(self.fit)
        return out

    def camp_fit(self) -> dict[str, Any]:
        """The fit to observed camp counts the report's header shows beside each other (none without them): the
        members' median ARD, both kinds, and the share of the observed counts (every camp, every dated row)
        inside the members' 5-95 % band, and (members drawn from a posterior) inside the predictive band, the
        members combined with the posterior's model-error term."""
        out: dict[str, Any] = {f"{k}_members_median": round(float(np.median(v)), 6) for k, v in self.ard.items()
                               if len(v) and np.isfinite(v).all()}
        cv = self.coverage
        if cv.get("points"):
            out["coverage"] = {k: cv[k] for k in ("band", "points", "points_inside", "share")}
            pr = cv.get("predictive")
            if pr is not None:
                out["coverage_predictive"] = {k: pr[k] for k in ("band", "points", "points_inside", "share",
                                                                 "error_from", "error_layout", "in_sample", "why")
                                                 if k in pr}
        return out

    def write(self, out: str | Path) -> Path:
        """Write quantiles.parquet, members.csv, fit.csv (when the scenario has observations), the bands directory
        (when the model names its band series) and, last, marking a complete ensemble, ensemble.json; all into a
        staging folder first, then renamed in (:func:`~crossings.files.write_set`), so a full disk leaves the earlier
        ensemble's files as they were."""
        import pyarrow.parquet as pq  # deferred: pyarrow takes 0.2 s to import, and only the written tables need it

        table = self.quantile_table()

        def files(stage: Path) -> None:
            atomic_write(stage / QUANTILE_FILE, lambda tmp: pq.write_table(table, tmp, compression="zstd"))
            write_text(stage / "members.csv", self.members_csv())
            if self.fit is not None:
                write_text(stage / FIT_FILE, self.fit.csv())
            if self.has_bands:
                bands = stage / BANDS_DIR
                for name, columns in self.band_tables().items():
                    write_parquet(bands / f"{name}.parquet", columns)
                write_text(bands / "summary.json", dumps_json(self.bands_summary(), indent=2, sort_keys=True) + "\n")
            write_text(stage / "ensemble.json", dumps_json(self.summary(), indent=2, sort_keys=True) + "\n")

        return write_set(out, "ensemble.json", files)


@dataclass
class _Gathered:
    """What the members of an ensemble hand back besides their series, stored by member index (whatever the order
    of arrival): a few numbers and the fit arrays per member."""

    runs: int
    agents_final: np.ndarray = field(init=False)
    member_seconds: np.ndarray = field(init=False)
    ard: dict[str, np.ndarray] | None = None
    fits: FitStack = field(init=False)
    meta: dict[str, Any] = field(default_factory=dict)
    points: tuple[np.ndarray, np.ndarray] | None = None  # (days, camp columns) of the observed counts to keep
    at_points: np.ndarray | None = None  # (runs, points): each member's agents present at those counts

    def __post_init__(self) -> None:
        self.agents_final = np.zeros(self.runs, dtype=np.int64)
        self.member_seconds = np.zeros((self.runs, 2))
        self.fits = FitStack(self.runs)
        if self.points is not None:
            self.at_points = np.zeros((self.runs, self.points[0].size), dtype=np.int64)

    def put(self, i: int, res: MemberResult) -> None:
        """Store member ``i`` (its series are not kept here)."""
        if self.ard is None:
            self.ard = {k: np.full(self.runs, np.nan) for k in res.ard}
        if i == 0:
            self.meta = dict(res.meta)
        self.agents_final[i] = res.agents_final
        self.member_seconds[i] = res.wall_seconds, res.cpu_seconds
        for k, v in res.ard.items():
            self.ard[k][i] = v
        if res.fit is not None:
            self.fits.put(i, res.fit)
        if self.at_points is not None and self.points is not None:
            self.at_points[i] = res.camp_sim[self.points]


@dataclass
class _Reduced:
    """An ensemble's members reduced: what they hand back, per series the quantiles and mean, and how the
    quantiles were taken (``method``, as ensemble.json records it)."""

    got: _Gathered
    quantiles: dict[str, np.ndarray]
    mean: dict[str, np.ndarray]
    method: dict[str, Any]


def _gather_exact(client: Any, sc: Scenario, mparams: list[dict[str, Any]], seeds: list[int], kw: dict[str, Any],
                  progress: Callable[[int, int], None] | None, limit: int,
                  points: tuple[np.ndarray, np.ndarray] | None = None) -> _Reduced:
    """Every member's series sent to the client and kept (in memory, or a memory-mapped file when large), then
    numpy's quantiles over them: exact. ``points``: the observed counts each member's value is kept at."""
    got = _Gathered(len(seeds), points=points)
    stack: Stack | None = None
    try:
        for i, res in map_members(client, sc, mparams, seeds, progress=progress, **kw, keep_series=True):
            assert res.series is not None
            if stack is None:
                stack = Stack(len(seeds), {k: v.shape for k, v in res.series.items()})
            stack.put(i, res.series)
            got.put(i, res)
        assert stack is not None
        quantiles: dict[str, np.ndarray] = {}
        mean: dict[str, np.ndarray] = {}
        for k in stack.names:
            quantiles[k], mean[k] = stack.reduce(k)
    finally:
        if stack is not None:
            stack.close()
    return _Reduced(got, quantiles, mean, {"method": "exact", "exact_limit": limit,
                                           "what": "numpy.quantile (linear) over every member's series"})


def _gather_summary(client: Any, sc: Scenario, mparams: list[dict[str, Any]], seeds: list[int], kw: dict[str, Any],
                    progress: Callable[[int, int], None] | None, limit: int, pilot: int, bins: int,
                    batch: int, points: tuple[np.ndarray, np.ndarray] | None = None) -> _Reduced:
    """Members run in batches whose series are reduced on their workers (:mod:`crossings.ensemble.summary`); the
    client adds each batch's summary into one histogram of fixed size and reads the quantiles from it."""
    got = _Gathered(len(seeds), points=points)
    hist: Histogram | None = None
    pilot = min(pilot, len(seeds))
    for start, members, layout, part, edges in map_batches(client, sc, mparams, seeds, pilot=pilot, bins=bins,
                                                           size=batch, progress=progress, **kw):
        if hist is None:
            hist = Histogram(layout, edges, len(seeds))
        elif layout != hist.layout:
            raise RuntimeError("a batch kept other series (or other shapes) than the first one")
        hist.add(part)
        for j, res in enumerate(members):
            got.put(start + j, res)
    assert hist is not None
    est, bound = hist.quantiles(QUANTILES)
    quantiles = hist.layout.split(est)
    bounds = hist.layout.split(bound)
    mean = hist.layout.split(hist.mean())
    method = {"method": "histogram", "exact_limit": limit, "pilot": pilot, "bins": bins,
              "what": f"per cell a histogram on {bins} integer bins set by the first {pilot} members (twice their "
                      "range), merged from batches reduced on the workers; numpy's linear quantile of the "
                      "estimated order statistics; mean exact",
              "summary_bytes": hist.nbytes,
              "error_bound": {k: {"max": int(b.max()) if b.size else 0,
                                  "exact_share": round(float((b == 0).mean()), 6) if b.size else 1.0}
                              for k, b in bounds.items()}}
    return _Reduced(got, quantiles, mean, method)


def _posterior_of(sc: Scenario, posterior: bool | str | Path, rules: str | None = None) -> Posterior | None:
    """The posterior members may draw from: the scenario directory's, or the one in the directory ``posterior``
    (:class:`InputError` when that holds none); for a scenario of Flee's settings without one of its own, under
    ``--rules crossings``, the packaged posterior whose medians are that rule set's defaults."""
    if isinstance(posterior, bool):
        own = read_posterior(sc.path) if Path(sc.path).is_dir() else None
        if own is None and flee_settings(sc) and (rules or sc.default_rules) == CALIBRATED_RULES:
            return read_posterior(CALIBRATED_DIR)
        return own
    post = read_posterior(posterior)
    if post is None:
        raise InputError(posterior, None, "--posterior", f"no {POSTERIOR_CSV} there")
    return post


def _record(post: Posterior, sc: Scenario, used: bool, why: str) -> dict[str, Any]:
    """ensemble.json's ``posterior`` (:func:`posterior_record`), saying when it is the packaged one."""
    record = posterior_record(post, sc, used, why)
    if post.path == CALIBRATED_DIR:
        record["source"] = f"the defaults of --rules {CALIBRATED_RULES}: the packaged copy of {CALIBRATED_SOURCE}"
    return record


def _predictive(sc: Scenario, at_points: np.ndarray | None, error: dict[str, Any] | None, days: int
                ) -> dict[str, Any]:
    """ensemble.json's ``coverage.predictive``: the coverage of the band of the members combined with the
    posterior's model-error term, whose conflicts it names and whether this one was among them (then the figure
    is in-sample); without a term (a posterior made before it existed), why there is none."""
    if not error or at_points is None:
        return {"share": None, "why": "the posterior has no model-error term (posterior.json model_error)"}
    out = predictive_coverage(sc, at_points, error, days)
    name = Path(sc.path).name
    out.update({"error_from": list(error["conflicts"]), "in_sample": name in error["conflicts"]})
    return out


def run_ensemble(scenario: Scenario | str | Path, runs: int, seed: int = 0, *, params: Sequence[ParamSpec] = (),
                 workers: int | None = None, scheduler: str | None = None, client: Any = None,
                 days: int | None = None, rules: str | None = None, kernel: str = "compiled",
                 progress: Callable[[int, int], None] | None = None, exact_limit: int = EXACT_LIMIT,
                 pilot: int = PILOT, bins: int = BINS, batch: int = BATCH, posterior: bool | str | Path = True
                 ) -> EnsembleResult:
    """Run ``runs`` members of a scenario on Dask (``client``, else ``scheduler``, else a new LocalCluster of
    ``workers`` processes) and reduce them. The same ``seed`` gives the same reductions on any cluster.

    Up to ``exact_limit`` members the client keeps every member's series and the quantiles are exact; above it,
    batches of ``batch`` members are reduced on the workers to histograms on ``bins`` bins per cell set by the
    first ``pilot`` members (:mod:`crossings.ensemble.summary`), and the client's memory does not grow with the
    number of members. The reductions depend on ``exact_limit``, ``pilot`` and ``bins``, not on ``batch``.

    When the scenario's directory keeps a posterior (posterior.csv, :mod:`crossings.ensemble.infer`) and
    ``posterior`` is true, each member draws a particle from it (from the member's own stream, so the same seed
    gives the same draws on any cluster) for the parameters ``params`` does not set. ``posterior`` a directory:
    the posterior kept there (e.g. one made by ``crossings calibrate-flee`` for several conflicts). Under ``crossings``
    a scenario of Flee's settings without one draws from the packaged posterior (that rule set's defaults)."""
    if runs < 1:
        raise InputError("--runs", None, "runs", f"{runs} is not a positive number of members")
    if days is not None and days < 1:
        raise InputError("--days", None, "days", f"{days} is not a positive number of days")
    if exact_limit < 0:
        raise InputError("--exact-limit", None, "exact-limit", f"{exact_limit} is negative")
    sc = as_scenario(scenario)
    params = [as_param(p, sc) for p in params]
    check_unique(params)
    n_days = days or sc.length
    check_members_fit(sc, n_days, runs, "--members")  # closed form, before any member's seed is drawn
    sequences = member_seeds(seed, runs)
    seeds = [run_seed(ss) for ss in sequences]
    mparams = [member_params(params, ss) for ss in sequences]
    post = _posterior_of(sc, posterior, rules)
    record, drawn, particles = None, [], None
    if post is not None:
        drawn = posterior_params(post, {p.name: p for p in params})
        use = posterior is not False and bool(drawn)
        why = "" if use else ("--no-posterior" if not posterior else "every parameter of the posterior is set by "
                              "--param")
        record = _record(post, sc, use, why)
        if use:
            check_posterior(post, sc, drawn)
            particles = []
            for ss, mp in zip(sequences, mparams, strict=True):
                i, values = post.draw(ss)
                particles.append(i)
                mp.update({n: values[n] for n in drawn})
        else:
            drawn = []
    with_params(sc, mparams[0])  # check the names before anything starts
    has_camps = sc.observed is not None and bool(sc.observed.camps)
    error = record["provenance"].get("model_error") if record is not None and record["used"] else None
    points = camp_points(sc, n_days)[:2] if error and has_camps else None
    t0 = time.perf_counter()
    kw = {"days": days, "rules": rules, "kernel": kernel, "keep_camps": points is not None}
    with open_client(workers, scheduler, client) as c:
        where = describe(c, scheduler, client)
        if runs <= exact_limit:
            red = _gather_exact(c, sc, mparams, seeds, kw, progress, exact_limit, points)
        else:
            red = _gather_summary(c, sc, mparams, seeds, kw, progress, exact_limit, pilot, bins, batch, points)
    got, quantiles, mean = red.got, red.quantiles, red.mean
    cov: dict[str, Any] = {}
    aom: dict[str, float] = {}
    if has_camps:  # observed camp counts: the band's coverage, the median's ARD
        cov = coverage(sc, quantiles["n_present"], n_days)
        if record is not None and record["used"]:
            cov["predictive"] = _predictive(sc, got.at_points, error, n_days)
        med = quantiles["n_present"][2][:, list(sc.observed.camps)]
        data = sc.observed.camps_by_day(n_days)
        aom = {"ard_normal": mean_ard(med, data, rescaled=False), "ard_rescaled": mean_ard(med, data, rescaled=True)}
    efit = None
    if sc.observations_file is not None and got.fits.first is not None:
        efit = reduce_fit(got.fits, sc.observations_file, sc.observations)
    return EnsembleResult(sc, seed, runs, n_days, rules, kernel, params, seeds, mparams, got.agents_final,
                          got.ard or {}, quantiles, mean, cov, aom, time.perf_counter() - t0, where,
                          got.member_seconds, efit, get_model(sc.model).schema(sc), got.meta, red.method, record,
                          drawn, particles)
