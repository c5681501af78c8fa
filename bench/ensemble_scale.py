"""Ensembles that scale in members: the client's peak memory, its disk, and wall/CPU time for N members.

Each N runs in a fresh Python process (the client), which starts a LocalCluster of ``--workers`` single-threaded
worker processes, runs ``run_ensemble`` and writes the results; the client's peak resident memory (getrusage
ru_maxrss of that process: the client and the Dask scheduler, which a LocalCluster runs in the client's process;
not the workers) is measured after the results are written, beside its baseline before the first member (Python,
crossings, Dask and the cluster started). ``--tracemalloc`` adds the peak of Python's traced allocations (numpy
arrays included) during the ensemble and the writing. The members' own wall and CPU time are summed from what they
report. ``--days`` shortens every member (fewer days, smaller series) so that the flatness can be shown cheaply;
``--exact-limit`` moves the point above which the workers reduce the series (set it to the largest N to see the
client keep every member's series, as before issue 19).

    python bench/ensemble_scale.py --members 100 1000 --days 90            # cheap: flat memory, shortened runs
    python bench/ensemble_scale.py --members 1000 --exact-limit 1000 --days 90   # the same, every series kept
    python bench/ensemble_scale.py --members 100 1000                      # the full measurement (russia2022)
    python bench/ensemble_scale.py --members 100 1000 --synthetic          # the client's reduction at full size
    python bench/ensemble_scale.py --members 64 --exact-limit 0 --accuracy # error against exact quantiles
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def one(args: argparse.Namespace, members: int) -> dict[str, Any]:
    """Run one ensemble of ``members`` in this process and measure it."""
    import logging

    import distributed

    import crossings as cx
    from crossings.ensemble.ensemble import run_ensemble

    sc = cx.load_scenario(args.scenario)
    cluster = distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                       silence_logs=logging.CRITICAL)
    client = distributed.Client(cluster)
    try:
        warm = run_ensemble(sc, args.workers, seed=args.seed + 1, days=2, client=client)  # warm-up: the workers
        with tempfile.TemporaryDirectory(prefix="ensemble-scale-") as tmp:  # import crossings, the client pyarrow
            warm.write(tmp)
        del warm
        base = _rss()
        if args.tracemalloc:
            import tracemalloc

            tracemalloc.start()
        load0 = os.getloadavg()
        t0, c0 = time.perf_counter(), time.process_time()
        res = run_ensemble(sc, members, seed=args.seed, days=args.days, client=client, exact_limit=args.exact_limit)
        wall = time.perf_counter() - t0
        with tempfile.TemporaryDirectory(prefix="ensemble-scale-") as tmp:
            res.write(tmp)
            disk = _dir_bytes(Path(tmp))
        client_cpu = time.process_time() - c0
        traced = None
        if args.tracemalloc:
            traced = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        peak = _rss()
        accuracy = _accuracy(res, run_ensemble(sc, members, seed=args.seed, days=args.days, client=client,
                                               exact_limit=members)) if args.accuracy else None
    finally:
        for name in ("distributed", "tornado"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        client.close()
        cluster.close()
    ms = res.member_seconds
    return {
        "members": members, "days": res.days, "workers": args.workers, "scenario": sc.name,
        "quantile_method": res.method.get("method"), "exact_limit": args.exact_limit,
        "summary_bytes": res.method.get("summary_bytes"),
        "error_bound_max": {k: v["max"] for k, v in res.method.get("error_bound", {}).items()},
        "client_peak_rss_mib": round(peak / 2**20, 1), "client_baseline_rss_mib": round(base / 2**20, 1),
        "client_growth_mib": round((peak - base) / 2**20, 1),
        "client_traced_peak_mib": None if traced is None else round(traced / 2**20, 1),
        "out_bytes": disk, "wall_s": round(wall, 2), "client_cpu_s": round(client_cpu, 2),
        "members_wall_sum_s": round(float(ms[:, 0].sum()), 2), "members_cpu_sum_s": round(float(ms[:, 1].sum()), 2),
        "members_per_minute": round(members / wall * 60, 1),
        "series_bytes_per_member": int(sum(q[0].nbytes for q in res.quantiles.values())),
        "loadavg_before": [round(x, 2) for x in load0], "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "accuracy": accuracy,
    }


def _accuracy(res: Any, exact: Any) -> dict[str, Any]:
    """Per series, how far the ensemble's quantiles are from the exact ones of the same members: the largest
    error, the largest stated bound, the cells beyond it (must be 0), and the largest error as a share of the
    cell's 5-95 % band (cells with a band of at least 10 agents)."""
    import numpy as np

    out: dict[str, Any] = {}
    for name, q in exact.quantiles.items():
        err = np.abs(res.quantiles[name] - q)
        band = q[-1] - q[0]
        wide = band >= 10
        bound = res.method.get("error_bound", {}).get(name, {}).get("max", 0)
        out[name] = {"max_error": round(float(err.max()), 3), "bound": bound, "beyond_bound": int((err > bound).sum()),
                     "max_share_of_band": round(float((err.max(axis=0)[wide] / band[wide]).max()), 5)
                     if wide.any() else None,
                     "exact_cells": round(float((err == 0).mean()), 4)}
    return out


def synthetic(args: argparse.Namespace, members: int) -> dict[str, Any]:
    """The client's side alone at full size, without a cluster: one real member's series, then ``members``
    synthetic members drawn around it (Poisson per cell, seeded), reduced by the same code an ensemble uses
    (exact: every series kept, numpy's quantiles; histogram: batches of 8 summarised, as a worker does, and added
    into the fixed-size histogram). Peak memory of this process, before and after."""
    import numpy as np

    import crossings as cx
    from crossings.ensemble.cluster import batch_bounds
    from crossings.ensemble.ensemble import BATCH
    from crossings.ensemble.member import run_member
    from crossings.ensemble.reduce import QUANTILES, Stack
    from crossings.ensemble.summary import BINS, PILOT, Histogram, Layout, edges_from, summarise

    sc = cx.load_scenario(args.scenario)
    real = run_member(sc, {}, args.seed, days=args.days, keep_camps=False)
    assert real.series is not None
    layout = Layout.of(real.series)
    lam = layout.flat(real.series).astype(np.float64)

    def draw(a: int, b: int) -> np.ndarray:  # members a..b-1: the same numbers each time they are drawn
        return np.random.default_rng([args.seed, a]).poisson(lam, size=(b - a, lam.size)).astype(np.int64)

    base = _rss()
    t0, c0 = time.perf_counter(), time.process_time()
    exact = members <= args.exact_limit
    pilot = min(PILOT, members)
    if exact:
        stack = Stack(members, dict(zip(layout.names, layout.shapes, strict=True)))
        for a, b in batch_bounds(members, pilot, BATCH):
            x = draw(a, b)
            for i in range(a, b):
                stack.put(i, layout.split(x[i - a]))
        for name in layout.names:
            stack.reduce(name)
        held = sum(a.nbytes for a in stack.arrays.values())
        stack.close()
    else:
        # the pilot's range batch by batch, then every batch drawn again (a worker would hold the pilot's)
        bounds = batch_bounds(members, pilot, BATCH)
        lo = hi = None
        for a, b in (ab for ab in bounds if ab[0] < pilot):
            x = draw(a, b)
            lo = x.min(axis=0) if lo is None else np.minimum(lo, x.min(axis=0))
            hi = x.max(axis=0) if hi is None else np.maximum(hi, x.max(axis=0))
        assert lo is not None and hi is not None
        edges = edges_from(lo, hi, BINS)
        hist = Histogram(layout, edges, members)
        for a, b in bounds:
            hist.add(summarise(draw(a, b), edges))
        hist.quantiles(QUANTILES)
        held = hist.nbytes
    return {"members": members, "days": real.days, "cells": layout.cells, "synthetic": True,
            "quantile_method": "exact" if exact else "histogram", "held_bytes": int(held),
            "client_baseline_rss_mib": round(base / 2**20, 1), "client_peak_rss_mib": round(_rss() / 2**20, 1),
            "client_growth_mib": round((_rss() - base) / 2**20, 1), "wall_s": round(time.perf_counter() - t0, 2),
            "client_cpu_s": round(time.process_time() - c0, 2), "loadavg_before": list(os.getloadavg())}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", default="russia2022", help="scenario (default russia2022)")
    p.add_argument("--members", type=int, nargs="+", default=[100, 1000], help="ensemble sizes (default 100 1000)")
    p.add_argument("--days", type=int, default=None, help="days per member (default: the scenario's period)")
    p.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--exact-limit", type=int, default=100, help="members up to which quantiles are exact "
                   "(default 100, the library's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slows the client)")
    p.add_argument("--accuracy", action="store_true", help="also run the same members with exact quantiles and "
                   "report the error of the ensemble's against them")
    p.add_argument("--synthetic", action="store_true", help="the client's reduction alone, at full size, on members "
                   "drawn around one real member (no cluster; seconds instead of hours)")
    p.add_argument("--json", default=None, metavar="FILE", help="write the figures to FILE as well")
    p.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)  # the child: one ensemble
    args = p.parse_args(argv)
    if args.one is not None:
        print(json.dumps((synthetic if args.synthetic else one)(args, args.one)))
        return 0
    rows = []
    for n in args.members:  # each size in a fresh process: ru_maxrss is a process's high-water mark
        child = [sys.executable, __file__, "--one", str(n), "--scenario", args.scenario, "--workers",
                 str(args.workers), "--exact-limit", str(args.exact_limit), "--seed", str(args.seed)]
        if args.days:
            child += ["--days", str(args.days)]
        if args.tracemalloc:
            child.append("--tracemalloc")
        if args.synthetic:
            child.append("--synthetic")
        if args.accuracy:
            child.append("--accuracy")
        out = subprocess.run(child, check=True, capture_output=True, text=True, cwd=REPO)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        if args.synthetic:
            print(f"{n:6d} synthetic members x {row['days']} days ({row['quantile_method']}, {row['cells']} cells): "
                  f"client peak {row['client_peak_rss_mib']:.0f} MiB (baseline {row['client_baseline_rss_mib']:.0f}, "
                  f"growth {row['client_growth_mib']:.0f}; held {row['held_bytes'] / 2**20:.0f} MiB), wall "
                  f"{row['wall_s']:.1f} s, CPU {row['client_cpu_s']:.1f} s", flush=True)
            continue
        print(f"{n:6d} members x {row['days']} days ({row['quantile_method']}): client peak "
              f"{row['client_peak_rss_mib']:.0f} MiB (baseline {row['client_baseline_rss_mib']:.0f}, growth "
              f"{row['client_growth_mib']:.0f}), out {row['out_bytes'] / 2**20:.1f} MiB, wall {row['wall_s']:.1f} s, "
              f"client CPU {row['client_cpu_s']:.1f} s, members CPU {row['members_cpu_sum_s']:.1f} s, "
              f"{row['members_per_minute']:.0f} members/min, load {row['loadavg_before'][0]:.2f}", flush=True)
        for name, a in (row.get("accuracy") or {}).items():
            print(f"    {name}: largest error {a['max_error']} (bound {a['bound']}, beyond it {a['beyond_bound']}), "
                  f"{a['max_share_of_band']} of the 5-95 % band at most, {a['exact_cells']:.1%} of cells exact")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
