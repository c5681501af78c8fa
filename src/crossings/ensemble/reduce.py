"""Reductions of an ensemble on the client, in member order: per-cell quantiles of every series the members keep,
the distribution of a number, the coverage of observed camp counts by a band (the members' alone, or combined
with a model-error term), the ARD on part of the data, and the
fit per observation row (median and 5–95 % band of the simulated value, share of members inside the accepted
band, and the share a model centred on the band with the same spread would reach) with the fit losses per
member."""

from __future__ import annotations

import csv
import io
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crossings.ensemble.member import MemberFit
from crossings.observed.fit import OUTPUT_ROLES, STATUSES, band, fit_loss, loss, ratio
from crossings.observed.metrics import ard_series
from crossings.scenario.observations import Observation, read_observed

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
QUANTILE_NAMES = ("q05", "q25", "q50", "q75", "q95")
# Above this many bytes the members' series are kept in a memory-mapped file instead of in memory.
IN_MEMORY_LIMIT = 256 * 2**20
_BLOCK_BYTES = 32 * 2**20  # quantiles are taken over blocks of days of about this size


class Stack:
    """Every member's daily series, by member index: ``put(i, series)`` as members arrive, then quantiles."""

    def __init__(self, members: int, shapes: Mapping[str, tuple[int, int]], tmpdir: str | Path | None = None,
                 in_memory_limit: int = IN_MEMORY_LIMIT) -> None:
        self.members = members
        self.names = list(shapes)
        size = sum(members * d * n * 8 for d, n in shapes.values())
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self.arrays: dict[str, np.ndarray] = {}
        if size > in_memory_limit:
            self._dir = tempfile.TemporaryDirectory(prefix="crossings-ensemble-", dir=tmpdir)
            for k, (d, n) in shapes.items():
                self.arrays[k] = np.lib.format.open_memmap(os.path.join(self._dir.name, f"{k}.npy"), mode="w+",
                                                           dtype=np.int64, shape=(members, d, n))
        else:
            self.arrays = {k: np.zeros((members, d, n), dtype=np.int64) for k, (d, n) in shapes.items()}
        self.filled = np.zeros(members, dtype=bool)

    def put(self, i: int, series: Mapping[str, np.ndarray]) -> None:
        for k in self.names:
            self.arrays[k][i] = series[k]
        self.filled[i] = True

    def reduce(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Quantiles (5, days, n) and mean (days, n) over members of one series (linear interpolation)."""
        if not self.filled.all():
            raise RuntimeError(f"members missing: {np.flatnonzero(~self.filled)[:10].tolist()}")
        a = self.arrays[name]
        m, d, n = a.shape
        q = np.empty((len(QUANTILES), d, n), dtype=np.float64)
        mean = np.empty((d, n), dtype=np.float64)
        step = max(1, _BLOCK_BYTES // max(1, m * n * 8))
        for d0 in range(0, d, step):
            block = np.asarray(a[:, d0:d0 + step, :], dtype=np.float64)
            q[:, d0:d0 + step, :] = np.quantile(block, QUANTILES, axis=0)
            mean[d0:d0 + step, :] = block.mean(axis=0)
        return q, mean

    def close(self) -> None:
        self.arrays.clear()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


def distribution(values: np.ndarray) -> dict[str, Any]:
    """Quantiles, mean, min and max of a sample of numbers (NaN-free), rounded for JSON."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if not v.size:
        return {"n": 0}
    out: dict[str, Any] = {"n": int(v.size), "mean": float(v.mean()), "min": float(v.min()), "max": float(v.max())}
    out.update({k: float(x) for k, x in zip(QUANTILE_NAMES, np.quantile(v, QUANTILES), strict=True)})
    return {k: round(x, 6) if isinstance(x, float) else x for k, x in out.items()}


def masked_ard(sim: np.ndarray, data: np.ndarray, mask: np.ndarray, rescaled: bool = True) -> float:
    """Flee's ARD (crossings.observed.metrics) over the (day, camp) cells where ``mask`` is true: each day's
    error is taken over that day's cells (totals too), and averaged over the days with at least one cell."""
    mask = np.asarray(mask, dtype=bool)
    days = mask.any(axis=1)
    if not days.any():
        return float("nan")
    s_m = np.where(mask, np.asarray(sim, dtype=np.float64), 0.0)
    d_m = np.where(mask, np.asarray(data, dtype=np.float64), 0.0)
    return float(ard_series(s_m, d_m, rescaled=rescaled)[days].mean())


def coverage(scenario: Any, q_present: np.ndarray, days: int) -> dict[str, Any]:
    """Share of the observed camp counts inside the band [q05, q95] of agents present there.

    ``points``: the observations as given (each dated row of each camp's file within the run); ``daily``: the
    interpolated daily series Flee's ARD compares with. Per camp and overall."""
    obs = scenario.observed
    if obs is None or not obs.camps:
        return {}
    lo, hi = q_present[0], q_present[-1]
    names = scenario.locations.name
    per_camp: dict[str, Any] = {}
    daily_data = obs.camps_by_day(days)
    t, jj, v = camp_points(scenario, days)  # the same points as the predictive band's
    col = np.asarray(obs.camps, dtype=np.int64)[jj]
    inside = (lo[t, col] <= v) & (v <= hi[t, col])
    for j, c in enumerate(obs.camps):
        ok = inside[jj == j]
        d_ok = (lo[:, c] <= daily_data[:, j]) & (daily_data[:, j] <= hi[:, c])
        per_camp[names[c]] = {"points": int(ok.size), "points_inside": int(ok.sum()),
                              "share": round(float(ok.mean()), 6) if ok.size else None,
                              "daily_share": round(float(d_ok.mean()), 6) if days else None}
    inside_pts, total_pts = int(inside.sum()), int(inside.size)
    band = (lo[:, list(obs.camps)] <= daily_data) & (daily_data <= hi[:, list(obs.camps)])
    return {"band": "q05-q95", "points": total_pts, "points_inside": inside_pts,
            "share": round(inside_pts / total_pts, 6) if total_pts else None,
            "daily_share": round(float(band.mean()), 6) if band.size else None, "camps": per_camp}


# ---- the model error and the predictive band -------------------------------------------------------------------

ERROR_SCALE = "log((observed + 1) / (simulated + 1))"
ERROR_LEVELS = tuple(round(0.005 * k, 3) for k in range(1, 200))  # the levels at which an error term is kept
PREDICTIVE = (0.05, 0.95)  # the predictive band's probabilities (a 90 % band, as the members' q05-q95)


def camp_points(scenario: Any, days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The observed camp counts as given (each dated row of each camp's file within the run, camps in
    ``observed.camps`` order, as :func:`coverage` counts them): day, camp column and value of each point."""
    obs = scenario.observed
    ts, js, vs = [], [], []
    for j, s in enumerate(obs.camp_series if obs is not None else ()):
        t = np.rint(s.days).astype(np.int64)
        keep = (t >= 0) & (t < days)
        ts.append(t[keep])
        js.append(np.full(int(keep.sum()), j, dtype=np.int64))
        vs.append(np.asarray(s.values, dtype=np.float64)[keep])
    if not ts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(ts), np.concatenate(js), np.concatenate(vs)


def elapsed(t: np.ndarray, days: int) -> np.ndarray:
    """The share of the run's duration elapsed on day ``t`` (0 on the first day, 1 on the last)."""
    return np.asarray(t, dtype=np.float64) / max(days - 1, 1)


def weighted_quantiles(x: np.ndarray, w: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """Quantiles of a weighted sample (each point's cumulative weight at its middle, linear between points)."""
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    o = np.argsort(x, kind="stable")
    x, w = x[o], w[o]
    cum = (np.cumsum(w) - w / 2) / w.sum()
    return np.interp(np.asarray(levels, dtype=np.float64), cum, x)


def error_cdf(x: np.ndarray, levels: Sequence[float], quantiles: Sequence[float]) -> np.ndarray:
    """P(error <= x) of an error term kept as ``quantiles`` at ``levels`` (linear between them; 0 below the
    lowest quantile, 1 above the highest)."""
    q = np.maximum.accumulate(np.asarray(quantiles, dtype=np.float64))  # non-decreasing, as np.interp needs
    return np.interp(np.asarray(x, dtype=np.float64), q, np.asarray(levels, dtype=np.float64), left=0.0, right=1.0)


def size_of(member_points: np.ndarray, camp: np.ndarray) -> np.ndarray:
    """The simulated size of each point, known before any observation: log(median over the members + 1) less its
    largest value over the points of the same camp (``camp``: each point's camp column), so 0 at the camp's
    simulated peak and negative while it fills or empties. Relative to the camp's own peak so that it transfers
    across conflicts whose camps differ in scale (an absolute size put all of a conflict of small camps in the
    widest bin)."""
    m = np.log(np.median(np.asarray(member_points, dtype=np.float64), axis=0) + 1.0)
    camp = np.asarray(camp, dtype=np.int64)
    if not m.size:
        return m
    peak = np.full(int(camp.max()) + 1, -np.inf)
    np.maximum.at(peak, camp, m)
    return m - peak[camp]


def error_layout(error: Mapping[str, Any]) -> str:
    """Which layout an error term is kept in: ``elapsed`` (the first: bins by the share of the duration elapsed
    only) or ``elapsed x size`` (those bins crossed with bins of the simulated size, ``size_edges``)."""
    return "elapsed x size" if "size_edges" in error else "elapsed"


def error_bin(error: Mapping[str, Any], frac: np.ndarray, size: np.ndarray | None = None) -> np.ndarray:
    """The cell of each point in an error term: its bin by the share of the duration elapsed (``bins``) and, in
    the layout conditioned on size, its bin of ``size`` (:func:`size_of`) between ``size_edges``; cell = elapsed
    bin x (size bins) + size bin, the order of ``quantiles``. A term without ``size_edges`` has one size bin."""
    upper = np.array([b[1] for b in error["bins"]][:-1], dtype=np.float64)
    b = np.searchsorted(upper, np.asarray(frac, dtype=np.float64), side="left")
    edges = error.get("size_edges")
    if edges is None:
        return b
    if size is None:
        raise ValueError("this error term is conditioned on the simulated size: give each point's size")
    s = np.searchsorted(np.asarray(edges, dtype=np.float64), np.asarray(size, dtype=np.float64), side="left")
    return b * (len(edges) + 1) + s


def predictive_coverage(scenario: Any, member_points: np.ndarray, error: Mapping[str, Any], days: int
                        ) -> dict[str, Any]:
    """Share of the observed camp counts inside the 90 % predictive band: the members' values at each point
    (``member_points``, (members, points) in :func:`camp_points` order) combined with the model error
    (``error``, as posterior.json's ``model_error`` keeps it): log(count + 1) = log(member + 1) + error, the
    member and the error independent. The predictive probability of the observed count or less is
    F(v) = mean over members of P(error <= log((v + 1) / (member + 1))), computed exactly (no random draws, so
    the same members give the same figure on any cluster); the count is inside when 0.05 <= F(v) <= 0.95. The
    error's distribution is that of the point's cell (:func:`error_bin`): its share of the duration elapsed and,
    in the layout conditioned on size, the members' median there against the camp's peak (:func:`size_of`)."""
    t, j, v = camp_points(scenario, days)
    m = np.asarray(member_points, dtype=np.float64)
    b = error_bin(error, elapsed(t, days), size_of(m, j))
    levels = error["levels"]
    pit = np.empty(v.size)
    for k in range(len(error["quantiles"])):
        at = b == k
        if at.any():
            x = np.log((v[at] + 1.0) / (m[:, at] + 1.0))
            pit[at] = error_cdf(x, levels, error["quantiles"][k]).mean(axis=0)
    ok = (pit >= PREDICTIVE[0]) & (pit <= PREDICTIVE[1])
    names = scenario.locations.name
    camps = list(scenario.observed.camps)
    per_camp = {}
    for jj, c in enumerate(camps):
        mine = j == jj
        n = int(mine.sum())
        per_camp[names[c]] = {"points": n, "points_inside": int(ok[mine].sum()),
                              "share": round(float(ok[mine].mean()), 6) if n else None}
    return {"band": "q05-q95 of the predictive distribution (members x model error)", "points": int(v.size),
            "error_layout": error_layout(error),
            "points_inside": int(ok.sum()), "share": round(float(ok.mean()), 6) if v.size else None,
            "below": int((pit < PREDICTIVE[0]).sum()), "above": int((pit > PREDICTIVE[1]).sum()),
            "camps": per_camp}


# ---- the fit per observation row -----------------------------------------------------------------------------

FIT_ROLES = ("calibration", "validation", "input")  # the roles whose rows are scored
FIT_COLUMNS = ("line", "period_start", "period_end", "destination_country", "crossing_or_city", "measure", "value",
               "low", "high", "sim", "role", "members_scored", *(f"simulated_{q}" for q in QUANTILE_NAMES),
               "simulated_mean", "share_inside", "share_inside_if_centred", "median_inside", "band_overlaps",
               "loss_of_median", "status")


class FitStack:
    """Every member's fit arrays by member index: ``put(i, fit)`` as members arrive, then :func:`reduce_fit`."""

    def __init__(self, members: int) -> None:
        self.members = members
        self.first: MemberFit | None = None
        self.status: np.ndarray | None = None
        self.simulated: np.ndarray | None = None
        self.inside: np.ndarray | None = None
        self.loss: np.ndarray | None = None
        self.filled = np.zeros(members, dtype=bool)

    def put(self, i: int, fit: MemberFit) -> None:
        """Store member ``i``'s fit (every member must score the same rows of the same file)."""
        if self.first is None:
            n = len(fit.lines)
            self.first = fit
            self.status = np.zeros((self.members, n), dtype=np.int8)
            self.simulated = np.full((self.members, n), np.nan)
            self.inside = np.full((self.members, n), -1, dtype=np.int8)
            self.loss = np.full((self.members, n), np.nan)
        elif fit.lines != self.first.lines or fit.roles != self.first.roles:
            raise RuntimeError(f"member {i} scored other observed rows than the first member")
        assert self.status is not None and self.simulated is not None and self.inside is not None \
            and self.loss is not None
        self.status[i], self.simulated[i], self.inside[i], self.loss[i] = \
            fit.status, fit.simulated, fit.inside, fit.loss
        self.filled[i] = True

    def member(self, i: int) -> MemberFit:
        """Member ``i``'s fit again (the arrays stored for it)."""
        assert self.first is not None and self.status is not None and self.simulated is not None \
            and self.inside is not None and self.loss is not None
        f = self.first
        return MemberFit(f.lines, f.roles, f.sims, self.status[i], self.simulated[i], self.inside[i], self.loss[i],
                         f.scales)


@dataclass
class EnsembleFit:
    """The fit of an ensemble: one row per observation (:data:`FIT_COLUMNS`), per-member figures (for
    members.csv) and the summary ensemble.json keeps."""

    rows: list[dict[str, Any]]
    per_member: dict[str, np.ndarray]
    summary: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)

    def csv(self) -> str:
        """fit.csv of the ensemble: one line per observed row."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(FIT_COLUMNS)
        for r in self.rows:
            w.writerow([_cell(r[c]) for c in FIT_COLUMNS])
        return buf.getvalue()

    def line(self) -> str:
        """The fit in the command's closing line (:func:`fit_line`)."""
        return fit_line(self)

    def members_columns(self) -> list[tuple[str, np.ndarray]]:
        """The columns members.csv adds: losses and rows inside per member."""
        return [(k, self.per_member[k]) for k in ("loss_calibration", "loss_validation", "scored", "inside")]


def _cell(x: Any) -> str:
    if x is None:
        return ""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        if math.isnan(x):
            return ""
        return str(int(x)) if x.is_integer() and abs(x) < 2**53 else f"{x:.10g}"
    return str(x)


def _fit_row(stack: FitStack, j: int, o: Observation) -> dict[str, Any]:
    """Row ``j`` of the ensemble's fit: the observation, the members that scored it and their simulated values."""
    assert stack.first is not None and stack.status is not None and stack.simulated is not None \
        and stack.inside is not None
    first = stack.first
    ok = stack.status[:, j] == 0
    n = int(ok.sum())
    rec: dict[str, Any] = {
        "line": first.lines[j], "period_start": o.start.isoformat(), "period_end": o.end.isoformat()
        if o.end != o.start else o.start.isoformat(), "destination_country": o.country, "crossing_or_city": o.place,
        "measure": o.measure, "value": o.value, "low": o.low, "high": o.high, "sim": first.sims[j],
        "role": first.roles[j], "members_scored": n, "scale": first.scales[j] if first.scales else 1.0}
    if n:
        sims = stack.simulated[ok, j]
        q = np.quantile(sims, QUANTILES)
        lo, hi = band(o.value, o.low, o.high)
        med = float(q[2])
        rec.update({f"simulated_{k}": float(v) for k, v in zip(QUANTILE_NAMES, q, strict=True)})
        rec.update({"simulated_mean": float(sims.mean()),
                    "share_inside": float((stack.inside[ok, j] == 1).mean()),
                    "share_inside_if_centred": share_if_centred(sims, lo, hi, med),
                    "median_inside": bool(lo <= med <= hi), "band_overlaps": bool(q[0] <= hi and q[-1] >= lo),
                    "loss_of_median": float(loss(med, o.value, o.low, o.high)), "status": "scored"})
    else:
        codes, counts = np.unique(stack.status[:, j], return_counts=True)
        rec.update({f"simulated_{k}": None for k in QUANTILE_NAMES})
        rec.update({"simulated_mean": None, "share_inside": None, "share_inside_if_centred": None,
                    "median_inside": None, "band_overlaps": None,
                    "loss_of_median": None, "status": STATUSES[int(codes[np.argmax(counts)])]})
    return rec


def _by_role(rows: list[dict[str, Any]], roles: np.ndarray) -> dict[str, Any]:
    """Per role: the rows, those scored, medians inside, bands overlapping, the mean share inside and the share
    expected inside if centred."""
    by_role: dict[str, Any] = {}
    for role in FIT_ROLES:
        mine = [r for r in rows if r["role"] == role and r["members_scored"]]
        if not mine and not (roles == role).any():
            continue
        share = [r["share_inside"] for r in mine]
        by_role[role] = {"rows": int((roles == role).sum()), "scored": len(mine),
                         "median_inside": sum(1 for r in mine if r["median_inside"]),
                         "band_overlaps": sum(1 for r in mine if r["band_overlaps"]),
                         "mean_share_inside": round(float(np.mean(share)), 6) if share else None,
                         "expected_inside_if_centred": round(math.fsum(r["share_inside_if_centred"] for r in mine), 3)}
    return by_role


def reduce_fit(stack: FitStack, observed: Path, observations: Sequence[Observation] | None = None) -> EnsembleFit:
    """Per observed row: members that scored it, quantiles and mean of their simulated values, the share inside
    the accepted band, whether the median is inside and whether the 5–95 % band overlaps the accepted one, and
    the loss of the median; per member: the loss and the rows inside, by role. ``observations`` are the rows of
    the file ``observed`` (read from it when not given)."""
    if stack.first is None or not stack.filled.all():
        raise RuntimeError("members missing from the fit")
    assert stack.status is not None and stack.inside is not None
    first = stack.first
    obs = {o.line: o for o in (read_observed(observed) if observations is None else observations)}
    rows = [_fit_row(stack, j, obs[line]) for j, line in enumerate(first.lines)]
    per_member: dict[str, np.ndarray] = {}
    for role in ("calibration", "validation"):
        per_member[f"loss_{role}"] = np.array([stack.member(i).loss_of(role) for i in range(stack.members)])
    outputs = np.isin(np.asarray(first.roles, dtype=object), OUTPUT_ROLES)  # input rows are counted apart
    scored = (stack.status == 0) & outputs
    per_member["scored"] = scored.sum(axis=1)
    per_member["inside"] = (scored & (stack.inside == 1)).sum(axis=1)
    median_rows = [{"status": "scored" if r["members_scored"] else r["status"], "role": r["role"],
                    "inside": bool(r["median_inside"]), "loss": r["loss_of_median"]} for r in rows]
    summary = {
        "observed_file": str(Path(observed).resolve()),
        "rows": len(rows),
        "band": "q05-q95 of the members that scored the row",
        "by_role": _by_role(rows, np.asarray(first.roles, dtype=object)),
        "loss": {role: distribution(per_member[f"loss_{role}"]) for role in ("calibration", "validation")},
        "loss_of_median": {role: _round(fit_loss(median_rows, roles=(role,))) for role in ("calibration",
                                                                                           "validation")},
        "inside": distribution(per_member["inside"]),
        "scored": distribution(per_member["scored"]),
        "expected_inside_if_centred": round(math.fsum(r["share_inside_if_centred"] for r in rows
                                                      if r["members_scored"] and r["role"] in OUTPUT_ROLES), 3),
    }
    return EnsembleFit(rows, per_member, summary)


def share_if_centred(sims: np.ndarray, lo: float, hi: float, med: float) -> float:
    """The share of members inside [lo, hi] once moved so that their median ``med`` sits at the band's centre, each
    member's distance from the median scaled by |centre ÷ median| (the same spread relative to the level;
    unscaled for a median of 0); 1 for a band open on one side. It tells a row the model misses from one that
    its run-to-run noise lets no model hit reliably (a band narrower than the spread)."""
    if math.isinf(lo) or math.isinf(hi):
        return 1.0
    centre = (lo + hi) / 2
    k = abs(centre / med) if med else 1.0
    moved = centre + (np.asarray(sims, dtype=float) - med) * k
    return float(((moved >= lo) & (moved <= hi)).mean())


def _round(x: float) -> float | None:
    return None if math.isnan(x) else round(float(x), 6)


def fit_of_members(fits: Sequence[MemberFit | None], scenario: Any) -> EnsembleFit | None:
    """The ensemble fit of a list of member fits (in member order), or None without observations."""
    path = scenario.observations_file
    if path is None or not fits or any(f is None for f in fits):
        return None
    stack = FitStack(len(fits))
    for i, f in enumerate(fits):
        assert f is not None
        stack.put(i, f)
    return reduce_fit(stack, path, scenario.observations)


def report_fit(fit: EnsembleFit) -> dict[str, Any]:
    """The ensemble's fit shaped as a run's ``summary.json["fit"]``, which the report draws: per row the
    members' median as ``simulated`` (with its ratio, and ``inside`` for the median), plus their 5 and 95 %
    quantiles, the share of members inside and the share if centred; the summary counts medians inside."""
    rows: list[dict[str, Any]] = []
    for r in fit.rows:
        med = r["simulated_q50"]
        rows.append({
            "line": r["line"], "period_start": r["period_start"], "period_end": r["period_end"],
            "country": r["destination_country"], "place": r["crossing_or_city"], "measure": r["measure"],
            "observed": r["value"], "low": r["low"], "high": r["high"], "sim": r["sim"], "scale": r["scale"],
            "role": r["role"], "status": r["status"], "simulated": med, "inside": r["median_inside"],
            "ratio": ratio(med, r["value"], r["low"], r["high"]) if med is not None else None,
            "simulated_q05": r["simulated_q05"], "simulated_q95": r["simulated_q95"],
            "share_inside": r["share_inside"], "share_inside_if_centred": r["share_inside_if_centred"], "note": ""})
    not_scored: dict[str, int] = {}
    for r in rows:
        if r["status"] != "scored":
            not_scored[r["status"]] = not_scored.get(r["status"], 0) + 1
    by = fit.summary["by_role"]
    summary = {"rows": len(rows), "scored": sum(1 for r in rows if r["status"] == "scored"),
               "inside": sum(1 for r in rows if r["status"] == "scored" and r["inside"]),
               "by_role": {k: {"scored": v["scored"], "inside": v["median_inside"]} for k, v in by.items()},
               "not_scored": not_scored, "loss_calibration": fit.summary["loss_of_median"]["calibration"],
               "members": int(len(fit.per_member["inside"])),
               "expected_inside_if_centred": fit.summary["expected_inside_if_centred"]}
    return {"rows": rows, "summary": summary}


def fit_line(fit: EnsembleFit) -> str:
    """The fit in the command's closing line: per role, rows whose median is inside of those scored, and the
    median calibration loss over members."""
    by = fit.summary["by_role"]
    parts = [f"{role} {by[role]['median_inside']}/{by[role]['scored']}" for role in ("calibration", "validation")
             if role in by]
    text = "median inside the observed band: " + (", ".join(parts) or "no scored rows")
    q = fit.summary["loss"].get("calibration", {})
    if q.get("n"):
        text += f"; calibration loss median {q['q50']:.4f} (5-95 %: {q['q05']:.4f}-{q['q95']:.4f})"
    scored = sum(1 for r in fit.rows if r["members_scored"])
    if scored:
        text += (f"; centred on every band, a run would expect {fit.summary['expected_inside_if_centred']:.1f} of "
                 f"the {scored} scored rows inside")
    return text
