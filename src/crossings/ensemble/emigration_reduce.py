"""Reductions of emigration members on the client, in member order: the distribution of the fit per observed
row (median and 5–95 % band of the simulated value, share of members inside the accepted band, and the share a
model centred on the band with the same spread would reach), the fit losses per member, and the daily bands of
:data:`~crossings.ensemble.emigration.BAND_SERIES` written as tables the run report draws bands from (``X`` =
the median, ``X_q05``/``X_q95``; ``crossings.api.read_run`` reads them back)."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crossings.ensemble.emigration import FIT_ROLES, MemberFit, _observations, observed_file
from crossings.ensemble.reduce import QUANTILE_NAMES, QUANTILES, distribution

FIT_FILE = "fit.csv"
BANDS_DIR = "bands"
FIT_COLUMNS = ("line", "period_start", "period_end", "destination_country", "crossing_or_city", "measure", "value",
               "low", "high", "sim", "role", "members_scored", *(f"simulated_{q}" for q in QUANTILE_NAMES),
               "simulated_mean", "share_inside", "share_inside_if_centred", "median_inside", "band_overlaps",
               "loss_of_median", "status")


class FitStack:
    """Every member's fit arrays by member index: ``put(i, fit)`` as members arrive, then :meth:`reduce`."""

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


def reduce_fit(stack: FitStack, observed: Path) -> EnsembleFit:
    """Per observed row: members that scored it, quantiles and mean of their simulated values, the share inside
    the accepted band, whether the median is inside and whether the 5–95 % band overlaps the accepted one, and
    the loss of the median; per member: the loss and the rows inside, by role."""
    from crossings.observed.fit import STATUSES, band, fit_loss, loss

    if stack.first is None or not stack.filled.all():
        raise RuntimeError("members missing from the fit")
    assert stack.status is not None and stack.simulated is not None and stack.inside is not None
    first = stack.first
    obs = {o.line: o for o in _observations(observed)}
    rows: list[dict[str, Any]] = []
    for j, line in enumerate(first.lines):
        o = obs[line]
        ok = stack.status[:, j] == 0
        n = int(ok.sum())
        rec: dict[str, Any] = {
            "line": line, "period_start": o.start.isoformat(), "period_end": o.end.isoformat() if o.end != o.start
            else o.start.isoformat(), "destination_country": o.country, "crossing_or_city": o.place,
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
        rows.append(rec)
    per_member: dict[str, np.ndarray] = {}
    for role in ("calibration", "validation"):
        per_member[f"loss_{role}"] = np.array([stack.member(i).loss_of(role) for i in range(stack.members)])
    scored = stack.status == 0
    per_member["scored"] = scored.sum(axis=1)
    per_member["inside"] = (scored & (stack.inside == 1)).sum(axis=1)
    by_role: dict[str, Any] = {}
    roles = np.asarray(first.roles, dtype=object)
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
    median_rows = [{"status": "scored" if r["members_scored"] else r["status"], "role": r["role"],
                    "inside": bool(r["median_inside"]), "loss": r["loss_of_median"]} for r in rows]
    summary = {
        "observed_file": str(Path(observed).resolve()),
        "rows": len(rows),
        "band": "q05-q95 of the members that scored the row",
        "by_role": by_role,
        "loss": {role: distribution(per_member[f"loss_{role}"]) for role in ("calibration", "validation")},
        "loss_of_median": {role: _round(fit_loss(median_rows, roles=(role,))) for role in ("calibration",
                                                                                           "validation")},
        "inside": distribution(per_member["inside"]),
        "scored": distribution(per_member["scored"]),
        "expected_inside_if_centred": round(math.fsum(r["share_inside_if_centred"] for r in rows
                                                      if r["members_scored"]), 3),
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


def fit_of_members(fits: Sequence[MemberFit], scenario: Any) -> EnsembleFit | None:
    """The ensemble fit of a list of member fits (in member order), or None without observations."""
    path = observed_file(scenario)
    if path is None or not fits:
        return None
    stack = FitStack(len(fits))
    for i, f in enumerate(fits):
        stack.put(i, f)
    return reduce_fit(stack, path)


# ---- daily bands and the report ------------------------------------------------------------------------------

_TABLES = {"location": "locations", "country": "countries", "category": "categories", "gate": "crossings"}


def band_tables(result: Any) -> dict[str, Any]:
    """The daily bands of an ensemble as run-shaped tables (``locations``, ``countries``, ``categories``): per
    day and place the median of each series under its own name, with ``_q05``, ``_q95`` and ``_mean`` beside."""
    import pyarrow as pa

    sc = result.scenario
    dates = [sc.date_of(d).isoformat() for d in range(result.days)]
    by_dim: dict[str, list[str]] = {}
    for name in result.quantiles:
        dim = result.schema.dim_of(name)
        if dim in _TABLES:
            by_dim.setdefault(dim, []).append(name)
    out: dict[str, Any] = {}
    for dim, names in by_dim.items():
        q0 = result.quantiles[names[0]]
        days, n = q0.shape[1], q0.shape[2]
        labels = list(result.schema.labels(dim, n))
        day = np.repeat(np.arange(days, dtype=np.int32), n)
        place = np.tile(np.arange(n, dtype=np.int32), days)
        cols: dict[str, Any] = {
            "day": pa.array(day, pa.int32()),
            "date": pa.DictionaryArray.from_arrays(day, pa.array(dates[:days], pa.string())),
        }
        if dim == "gate":  # one row per crossing and travel mode, as a run's crossings.parquet
            keys = dict(result.schema.dims[dim].keys)
            for column in ("crossing", "mode"):
                values = [str(v) for v in keys[column].values()]
                uniq = sorted(set(values))
                codes = np.array([uniq.index(v) for v in values], dtype=np.int32)
                cols[column] = pa.DictionaryArray.from_arrays(np.tile(codes, days), pa.array(uniq))
        else:
            cols[dim] = pa.DictionaryArray.from_arrays(place, pa.array(labels, pa.string()))
        if dim == "location":
            country = list(sc.locations.country)
            codes = sorted(set(country))
            cidx = np.array([codes.index(c) for c in country], dtype=np.int32)
            cols["country"] = pa.DictionaryArray.from_arrays(np.tile(cidx, days), pa.array(codes, pa.string()))
        for name in names:
            q = result.quantiles[name]
            cols[name] = pa.array(q[2].reshape(-1), pa.float64())
            cols[f"{name}_q05"] = pa.array(q[0].reshape(-1), pa.float64())
            cols[f"{name}_q95"] = pa.array(q[-1].reshape(-1), pa.float64())
        out[_TABLES[dim]] = pa.table(cols)
    return out


def bands_summary(result: Any) -> dict[str, Any]:
    """summary.json of the bands directory (what the report's header shows; no times, so it is reproducible),
    with the ensemble's fit shaped as a run's (:func:`report_fit`) when the scenario has observations."""
    from crossings._version import __version__

    sc = result.scenario
    ppa = float(sc.people_per_agent)
    out = {"scenario": sc.name, "scenario_path": str(sc.path), "format": sc.format, "model": sc.model,
           "start_date": sc.start_date.isoformat(), "days": result.days, "seed": result.seed,
           "members": result.runs, "rules": result.rules or sc.default_rules, "crossings_version": __version__,
           "people_per_agent": int(ppa) if ppa.is_integer() else ppa,
           "home_countries": [sc.emigration.countries[int(c)] for c in sc.emigration.home_countries],
           "what": "ensemble bands: each series is the members' median, X_q05 and X_q95 their 5 and 95 % "
                   "quantiles (agents)"}
    if result.fit is not None:
        out["fit"] = report_fit(result.fit)
    return out


def report_fit(fit: EnsembleFit) -> dict[str, Any]:
    """The ensemble's fit shaped as a run's ``summary.json["fit"]``, which the report draws: per row the
    members' median as ``simulated`` (with its ratio, and ``inside`` for the median), plus their 5 and 95 %
    quantiles, the share of members inside and the share if centred; the summary counts medians inside."""
    from crossings.observed.fit import ratio

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


def write_emigration_outputs(result: Any, out: Path, atomic: Any) -> None:
    """Write fit.csv (when the scenario has observations) and the bands directory into ``out`` (the command line
    draws report.html from the bands); ``atomic(path, write)`` writes one file atomically."""
    import pyarrow.parquet as pq

    if result.fit is not None:
        text = result.fit.csv()
        atomic(out / FIT_FILE, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    bands = out / BANDS_DIR
    bands.mkdir(exist_ok=True)
    for name, table in band_tables(result).items():
        atomic(bands / f"{name}.parquet", lambda tmp, t=table: pq.write_table(t, tmp, compression="zstd"))
    js = json.dumps(bands_summary(result), indent=2, sort_keys=True) + "\n"
    atomic(bands / "summary.json", lambda tmp: Path(tmp).write_text(js, encoding="utf-8"))


def members_columns(fit: EnsembleFit | None) -> list[tuple[str, np.ndarray]]:
    """The columns members.csv adds for an emigration ensemble: losses and rows inside per member."""
    if fit is None:
        return []
    return [(k, fit.per_member[k]) for k in ("loss_calibration", "loss_validation", "scored", "inside")]


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
