"""How the model-error term of predictive bands was chosen (issue 23, item 4), on the fitted conflicts only: inside
each leave-one-conflict-out posterior (OUT/without-NAME, bench/flee_loco.py), the term is built from two of its
three fitted conflicts and the predictive band scored on the third (the same draws the term rests on as members),
12 inner folds in all; the left-out conflict is never read. Designs: the cells of the term by the share of the
duration elapsed (``time``), by the simulated size (``size``: log(median of the draws + 1), absolute ``abs``,
less the conflict's largest ``relc`` or less the camp's largest ``relcamp``), and residuals divided by the
members' 5-95 % spread plus a constant (``spread``). The rule: the most folds within 80-95 %, then the smallest
mean |coverage - 90 %|.

    python bench/flee_error_design.py [--loco calibration/flee/loco] [--runs 10] [--seed 3] [--workers 1]
                                      [--cache FILE]

``--cache``: the draws' simulated counts at the observed points, kept in FILE (a pickle this script wrote) and
read from it when it exists: the draws of crossings.ensemble.infer_flee.error_draws, those of the terms.
"""

from __future__ import annotations

import argparse
import pickle
import time
from pathlib import Path
from typing import Any

import numpy as np
from flee_loco import CONFLICTS, SHARED, cpu, loadavg

from crossings.ensemble.cluster import open_client
from crossings.ensemble.infer import read_posterior
from crossings.ensemble.infer_flee import error_draws
from crossings.ensemble.member import as_scenario
from crossings.ensemble.reduce import ERROR_LEVELS, camp_points, elapsed, error_cdf, weighted_quantiles

LEVELS = list(ERROR_LEVELS)
MIN_POINTS = 30
DESIGNS: dict[str, dict[str, Any]] = {
    "time4 (the earlier term)": {"time": 4},
    **{f"{mode} size{k}": {"size": k, "mode": mode} for mode in ("abs", "relc", "relcamp") for k in range(2, 7)},
    **{f"{mode} size{k} x time{t}": {"size": k, "time": t, "mode": mode} for mode in ("abs", "relcamp")
       for k, t in ((2, 4), (3, 2), (3, 4), (4, 2), (5, 2))},
    "spread+0.1": {"scale": 0.1}, "spread+0.5": {"scale": 0.5}, "abs size3, spread+0.5": {"size": 3, "scale": 0.5},
}


def gather(loco: Path, runs: int, seed: int, workers: int) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (posterior, fitted conflict): the observed points (day, camp, value), the run's days and the draws'
    simulated counts there."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    scs = {n: as_scenario(SHARED / n) for n in CONFLICTS}
    with open_client(workers, None, None) as client:
        for left in CONFLICTS:
            key = f"without-{left}"
            post = read_posterior(loco / key)
            if post is None:
                raise SystemExit(f"no posterior in {loco / key}")
            fit = [scs[n] for n in CONFLICTS if post.provenance["conflicts"][n]["role"] == "fitted"]
            sims = error_draws(client, post, fit, seed, runs, {"rules": "crossings", "kernel": "compiled"})
            for name, s in sims.items():
                t, j, v = camp_points(scs[name], s.shape[1])
                out[(key, name)] = {"t": t, "j": j, "v": v, "days": s.shape[1], "m": s[:, t, j].astype(float)}
                print(f"  {key}: {name} drawn ({s.shape[0]} runs)", flush=True)
    return out


def features(d: dict[str, Any], mode: str) -> tuple[np.ndarray, ...]:
    """Residual against the draws' median, share elapsed, size (by ``mode``) and the draws' 5-95 % log spread."""
    m, v = d["m"], d["v"]
    med = np.median(m, axis=0)
    size = np.log(med + 1)
    if mode == "relc":
        size = size - size.max()
    elif mode == "relcamp":
        peak = np.array([size[d["j"] == k].max() for k in range(int(d["j"].max()) + 1)])
        size = size - peak[d["j"]]
    lm = np.log(m + 1)
    spread = np.quantile(lm, 0.95, axis=0) - np.quantile(lm, 0.05, axis=0)
    return np.log((v + 1) / (med + 1)), elapsed(d["t"], d["days"]), size, spread


def cells(f: np.ndarray, size: np.ndarray, tb: int, edges: np.ndarray) -> np.ndarray:
    """Elapsed bin x (size bins) + size bin."""
    t = np.searchsorted(np.linspace(0, 1, tb + 1)[1:-1], f, side="left")
    return t * (len(edges) + 1) + np.searchsorted(edges, size, side="left")


def build(train: list[dict[str, Any]], des: dict[str, Any]) -> tuple[np.ndarray, list[np.ndarray]] | None:
    """Size edges and per-cell quantiles (each conflict weighing the same), or None when a cell is short."""
    parts = [features(d, des.get("mode", "abs")) for d in train]
    r = np.concatenate([p[0] / (p[3] + des["scale"]) if des.get("scale") else p[0] for p in parts])
    f, s = (np.concatenate([p[k] for p in parts]) for k in (1, 2))
    who = np.concatenate([np.full(p[0].size, i) for i, p in enumerate(parts)])
    w = 1.0 / np.bincount(who)[who]
    k = des.get("size", 1)
    edges = weighted_quantiles(s, w, [i / k for i in range(1, k)]) if k > 1 else np.zeros(0)
    c = cells(f, s, des.get("time", 1), edges)
    qs = []
    for i in range(des.get("time", 1) * (len(edges) + 1)):
        at = c == i
        if at.sum() < des.get("min", MIN_POINTS):
            return None
        cnt = np.bincount(who[at], minlength=len(train)).astype(float)
        qs.append(weighted_quantiles(r[at], 1.0 / cnt[who[at]], LEVELS))
    return edges, qs


def coverage(term: tuple[np.ndarray, list[np.ndarray]], d: dict[str, Any], des: dict[str, Any]) -> float:
    """The predictive band's coverage of ``d``'s observed counts, its draws as members."""
    edges, qs = term
    _, f, s, sp = features(d, des.get("mode", "abs"))
    c = cells(f, s, des.get("time", 1), edges)
    pit = np.empty(d["v"].size)
    for i, q in enumerate(qs):
        at = c == i
        x = np.log((d["v"][at] + 1) / (d["m"][:, at] + 1))
        pit[at] = error_cdf(x / (sp[at] + des["scale"]) if des.get("scale") else x, LEVELS, q).mean(axis=0)
    return float(((pit >= 0.05) & (pit <= 0.95)).mean())


def main(argv: list[str] | None = None) -> int:
    """Draw (or read the cache), then score every design on the inner folds; print the ranking."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--loco", default="calibration/flee/loco")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--cache", default=None)
    a = ap.parse_args(argv)
    t0, c0 = time.perf_counter(), cpu()
    print(f"load before: {loadavg()}")
    cache = Path(a.cache) if a.cache else None
    if cache is not None and cache.is_file():
        data = pickle.loads(cache.read_bytes())
        print(f"draws read from {cache}")
    else:
        data = gather(Path(a.loco), a.runs, a.seed, a.workers)
        if cache is not None:
            cache.write_bytes(pickle.dumps(data))
    rows = []
    for name, des in DESIGNS.items():
        covs = []
        for left in CONFLICTS:
            fitted = [n for n in CONFLICTS if (f"without-{left}", n) in data]
            for test in fitted:
                train = [data[(f"without-{left}", n)] for n in fitted if n != test]
                term = None
                for alt in (des, {**des, "time": 1}, {**des, "size": 1}, {**des, "time": 1, "size": 1, "min": 0}):
                    term = build(train, alt)
                    if term is not None:
                        break
                covs.append(coverage(term, data[(f"without-{left}", test)], alt))  # type: ignore[arg-type]
        c = np.array(covs)
        rows.append((-int(((c >= 0.8) & (c <= 0.95)).sum()), float(np.abs(c - 0.9).mean()), name, c))
    print(f"\n| design | folds in 80-95 % (of {len(rows[0][3])}) | mean abs(coverage - 90 %) | per fold |")
    print("|---|---|---|---|")
    for n_in, d, name, c in sorted(rows, key=lambda r: r[:2]):
        print(f"| {name} | {-n_in} | {d:.3f} | {' '.join(f'{x:.0%}' for x in c)} |")
    print(f"\nfolds: without-X (fitted conflicts in order {', '.join(CONFLICTS)} less X), each fitted one scored in "
          f"turn; wall {time.perf_counter() - t0:.0f} s, CPU (user+sys) {cpu() - c0:.0f} s, load {loadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
