"""``run_ensemble``: many members of one scenario, their seeds spawned from one seed, on Dask; the result
holds per location (link, country, crossing) and day the 5/25/50/75/95 % quantiles and the mean of every
stock and flow, the distribution of the ARD, and the coverage of observed data by the 90 % band."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crossings.engine.model import get_model
from crossings.ensemble.cluster import describe, map_members, open_client
from crossings.ensemble.member import ParamSpec, as_scenario, check_unique, member_seeds, run_seed, with_params
from crossings.ensemble.reduce import QUANTILE_NAMES, Stack, coverage, distribution
from crossings.errors import InputError
from crossings.results.schema import Schema
from crossings.scenario.model import Scenario

QUANTILE_FILE = "quantiles.parquet"


def member_params(specs: Sequence[ParamSpec], ss: np.random.SeedSequence) -> dict[str, float | int]:
    """A member's settings: fixed values as given, ranges drawn uniformly from the member's own stream."""
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
    fit: Any = None  # emigration: the fit per observed row (crossings.ensemble.emigration_reduce.EnsembleFit)
    schema: Schema = field(default_factory=lambda: Schema({}))  # of the model's series (dimensions and labels)

    def summary(self) -> dict[str, Any]:
        """What ensemble.json holds."""
        from crossings._version import __version__

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
        if sc.model == "emigration":
            out.update({"model": sc.model, "parameters": dict(sc.parameters), "what_if": list(sc.what_if)})
            if self.fit is not None:
                out["fit"] = self.fit.summary
        return out

    def quantile_table(self) -> Any:
        """One row per series, day and place: series, dimension, day, date, place, index, q05..q95, mean."""
        import pyarrow as pa

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
        from crossings.ensemble.emigration_reduce import members_columns

        extra = members_columns(self.fit)
        head = ["member", "seed", *[p.name for p in self.params], "agents_final", *self.ard, *[k for k, _ in extra]]
        lines = [",".join(head)]
        for i in range(self.runs):
            row = [str(i), str(self.seeds[i]), *[repr(self.member_params[i][p.name]) for p in self.params],
                   str(int(self.agents_final[i])), *[repr(float(v[i])) for v in self.ard.values()],
                   *[repr(v[i].item()) for _, v in extra]]
            lines.append(",".join(row))
        return "\n".join(lines) + "\n"

    def write(self, out: str | Path) -> Path:
        """Write quantiles.parquet, members.csv, for an emigration scenario fit.csv, bands/ and report.html, and
        (last, marking a complete ensemble) ensemble.json."""
        import pyarrow.parquet as pq

        out = Path(out)
        if out.exists() and not out.is_dir():
            raise InputError(out, None, "--out", "exists and is not a directory")
        out.mkdir(parents=True, exist_ok=True)
        table = self.quantile_table()
        _atomic(out / QUANTILE_FILE, lambda tmp: pq.write_table(table, tmp, compression="zstd"))
        text = self.members_csv()
        _atomic(out / "members.csv", lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
        if self.scenario.model == "emigration":  # fit.csv, daily bands for the report, report.html
            from crossings.ensemble.emigration_reduce import write_emigration_outputs

            write_emigration_outputs(self, out, _atomic)
        js = json.dumps(self.summary(), indent=2, sort_keys=True) + "\n"
        _atomic(out / "ensemble.json", lambda tmp: Path(tmp).write_text(js, encoding="utf-8"))
        return out


def _atomic(path: Path, write: Callable[[str], None]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def run_ensemble(scenario: Scenario | str | Path, runs: int, seed: int = 0, *, params: Sequence[ParamSpec] = (),
                 workers: int | None = None, scheduler: str | None = None, client: Any = None,
                 days: int | None = None, rules: str | None = None, kernel: str = "compiled",
                 progress: Callable[[int, int], None] | None = None) -> EnsembleResult:
    """Run ``runs`` members of a scenario on Dask (``client``, else ``scheduler``, else a new LocalCluster of
    ``workers`` processes) and reduce them. The same ``seed`` gives the same reductions on any cluster."""
    if runs < 1:
        raise InputError("--runs", None, "runs", f"{runs} is not a positive number of members")
    if days is not None and days < 1:
        raise InputError("--days", None, "days", f"{days} is not a positive number of days")
    params = list(params)
    check_unique(params)
    sc = as_scenario(scenario)
    n_days = days or sc.length
    sequences = member_seeds(seed, runs)
    seeds = [run_seed(ss) for ss in sequences]
    mparams = [member_params(params, ss) for ss in sequences]
    with_params(sc, mparams[0])  # check the names before anything starts
    t0 = time.perf_counter()
    stack: Stack | None = None
    agents_final = np.zeros(runs, dtype=np.int64)
    member_seconds = np.zeros((runs, 2))
    ard: dict[str, np.ndarray] = {}
    fits = None
    if sc.model == "emigration":
        from crossings.ensemble.emigration_reduce import FitStack

        fits = FitStack(runs)
    kw = {"days": days, "rules": rules, "kernel": kernel, "keep_series": True}
    try:
        with open_client(workers, scheduler, client) as c:
            where = describe(c, scheduler, client)
            for i, res in map_members(c, sc, mparams, seeds, progress=progress, **kw):
                if stack is None:
                    stack = Stack(runs, {k: v.shape for k, v in res.series.items()})
                    ard = {k: np.full(runs, np.nan) for k in res.ard}
                stack.put(i, res.series)
                agents_final[i] = res.agents_final
                member_seconds[i] = res.wall_seconds, res.cpu_seconds
                for k, v in res.ard.items():
                    ard[k][i] = v
                if fits is not None and res.fit is not None:
                    fits.put(i, res.fit)
        assert stack is not None
        quantiles: dict[str, np.ndarray] = {}
        mean: dict[str, np.ndarray] = {}
        for k in stack.names:
            quantiles[k], mean[k] = stack.reduce(k)
    finally:
        if stack is not None:
            stack.close()
    cov = coverage(sc, quantiles["n_present"], n_days)
    aom: dict[str, float] = {}
    if sc.observed is not None and sc.observed.camps:
        from crossings.observed.metrics import mean_ard

        med = quantiles["n_present"][2][:, list(sc.observed.camps)]
        data = sc.observed.camps_by_day(n_days)
        aom = {"ard_normal": mean_ard(med, data, rescaled=False), "ard_rescaled": mean_ard(med, data, rescaled=True)}
    efit = None
    if fits is not None and fits.first is not None:
        from crossings.ensemble.emigration import observed_file
        from crossings.ensemble.emigration_reduce import reduce_fit

        efit = reduce_fit(fits, observed_file(sc))
    return EnsembleResult(sc, seed, runs, n_days, rules, kernel, params, seeds, mparams, agents_final, ard,
                          quantiles, mean, cov, aom, time.perf_counter() - t0, where, member_seconds, efit,
                          get_model(sc.model).schema(sc))
