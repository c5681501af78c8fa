"""Leave-one-conflict-out on the shared Flee-format conflicts (issue 23, items 3 and 4): for each conflict, one
posterior of Flee settings is fitted on the other conflicts (``crossings calibrate-flee ... --holdout NAME``,
crossings.ensemble.infer_flee, rule set ``crossings``), then an ensemble of ``--members`` members drawn from it
runs on the left-out conflict, beside an ensemble of the same members (the same seeds) under Flee 3.1's rules and
the conflict's own simsetting.yml (``--rules flee31``). Per conflict it prints the members' mean rescaled ARD of
both, their ratio, whether the calibrated one is at least 10 % lower (the issue's bar: three of four), and the
share of the observed camp counts (every camp, every dated row) inside each ensemble's 5-95 % band: the members'
band alone, and (calibrated) the predictive band, the members combined with the model-error term that
``--error-runs`` draws on the fitted conflicts give the posterior (never the left-out conflict).

    python bench/flee_loco.py [--particles 6] [--generations 2] [--budget 18] [--replicates 2] [--members 10]
                              [--error-runs 10] [--workers 2] [--seed 0] [--out out/flee-loco] [--fit-all DIR]
                              [--reuse [--remake-error]] [--shipped] [DIR ...]

``--shipped``: no fit; instead the calibrated defaults that ``--rules crossings`` ships (the packaged posterior's
medians, crossings.params.flee.calibrated_defaults) are scored on each conflict against ``--rules flee31``: the
members' mean rescaled ARD of ``--members`` runs of each (the same seeds), and of an ensemble drawn from the
packaged posterior with its coverage. These conflicts are the ones the posterior was fitted to: in-sample figures.

``--reuse``: a left-out conflict whose posterior is already in OUT/without-NAME (an earlier run with the same
options) is not fitted again; a posterior without a model-error term gets one (the same draws as a fresh fit's);
``--remake-error``: every reused posterior gets its term made again in the current layout (the same draws).

The inferences share their runs (the same generation 0 on every conflict they fit: run once). ``--fit-all DIR``
also fits on every conflict and writes that posterior (with provenance) to DIR, with an ensemble of it on each
conflict. Default conflicts: /work/shared/data/flee/{burundi2015,car2013,mali2012,ssudan2014}. Wall time, the
CPU time (user+sys) of this process and its workers, and the load are printed: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np

from crossings.ensemble.cluster import open_client
from crossings.ensemble.ensemble import run_ensemble
from crossings.ensemble.infer import read_posterior
from crossings.ensemble.infer_flee import add_model_error, parse_params, run_flee_abc

SHARED = Path("/work/shared/data/flee")
CONFLICTS = ("burundi2015", "car2013", "mali2012", "ssudan2014")
BAR = 0.9  # calibrated ARD at most this share of Flee 3.1's: "at least 10 % below"


def cpu() -> float:
    """CPU seconds (user+sys) of this process and of its children that ended (the workers, once closed)."""
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def loadavg() -> str:
    """The 1, 5 and 15-minute load."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def score(conflict: Path, posterior: Path | bool | None, members: int, seed: int, client: Any,
          held_out: bool = True) -> dict[str, float]:
    """The members' mean rescaled ARD and the 5-95 % band's coverage of an ensemble on ``conflict``: drawn from
    ``posterior`` under the crossings rules (True: the packaged one, False: no draws, the calibrated defaults), or
    (None) Flee 3.1's rules with the conflict's own settings; with a posterior, the predictive band's coverage too
    (NaN when the posterior has no model-error term)."""
    rules = "flee31" if posterior is None else "crossings"
    ens = run_ensemble(conflict, members, seed, client=client, rules=rules,
                       posterior=posterior if posterior is not None else False)
    ard = np.asarray(ens.ard["ard_rescaled"])
    pred = ens.coverage.get("predictive") or {}
    if held_out and pred.get("in_sample"):
        raise RuntimeError(f"the model error of {posterior} saw {conflict.name}: not a leave-one-out figure")
    share = pred.get("share")
    return {"ard": float(ard.mean()), "ard_sd": float(ard.std(ddof=1)), "coverage": float(ens.coverage["share"]),
            "predictive": float("nan") if share is None else float(share), "below": pred.get("below", 0),
            "above": pred.get("above", 0), "points": int(ens.coverage["points"]),
            "cpu": float(ens.member_seconds[:, 1].sum())}


def table(rows: list[tuple[str, dict[str, float], dict[str, float], int, float]]) -> None:
    """The leave-one-conflict-out table and the count against the issue's bar."""
    print("\n| left out | ARD calibrated (sd) | ARD flee31 (sd) | ratio | >= 10 % lower | coverage calibrated: "
          "members' band | predictive band (below, above) | coverage flee31: members' band |")
    print("|---|---|---|---|---|---|---|---|")
    wins = 0
    for name, cal, ref, _, _ in rows:
        ratio = cal["ard"] / ref["ard"]
        win = ratio <= BAR
        wins += win
        print(f"| {name} | {cal['ard']:.4f} ({cal['ard_sd']:.4f}) | {ref['ard']:.4f} ({ref['ard_sd']:.4f}) | "
              f"{ratio:.3f} | {'yes' if win else 'no'} | {cal['coverage']:.0%} of {cal['points']} | "
              f"{cal['predictive']:.0%} ({cal['below']}, {cal['above']}) | {ref['coverage']:.0%} of {ref['points']} |")
    print(f"\n{wins} of {len(rows)} left-out conflicts at least 10 % below Flee 3.1's ARD (the bar: 3 of 4)")


def shipped(dirs: list[Path], members: int, seed: int, workers: int) -> int:
    """``--shipped``: per conflict, the members' mean rescaled ARD under --rules crossings (its calibrated defaults,
    no draws) and --rules flee31 (the conflict's own settings), the same seeds, and an ensemble drawn from the
    packaged posterior; in sample (the posterior was fitted to these conflicts)."""
    t0, c0 = time.perf_counter(), cpu()
    print(f"load before: {loadavg()}; {members} runs per conflict and rule set, seed {seed}, {workers} workers")
    print("\n| conflict | ARD crossings, calibrated defaults (sd) | ARD flee31 (sd) | ratio | >= 10 % lower | "
          "ARD drawn from the packaged posterior (sd) | its coverage: members' band | predictive band (in sample) |")
    print("|---|---|---|---|---|---|---|---|")
    wins, ens_cpu = 0, 0.0
    with open_client(workers, None, None) as client:
        for d in dirs:
            cal = score(d, False, members, seed, client)
            ref = score(d, None, members, seed, client)
            drawn = score(d, True, members, seed, client, held_out=False)
            ratio = cal["ard"] / ref["ard"]
            wins += ratio <= BAR
            ens_cpu += cal["cpu"] + ref["cpu"] + drawn["cpu"]
            print(f"| {d.name} | {cal['ard']:.4f} ({cal['ard_sd']:.4f}) | {ref['ard']:.4f} ({ref['ard_sd']:.4f}) | "
                  f"{ratio:.3f} | {'yes' if ratio <= BAR else 'no'} | {drawn['ard']:.4f} ({drawn['ard_sd']:.4f}) | "
                  f"{drawn['coverage']:.0%} of {drawn['points']} | {drawn['predictive']:.0%} |", flush=True)
    print(f"\n{wins} of {len(dirs)} conflicts at least 10 % below Flee 3.1's ARD (in sample)")
    print(f"wall {time.perf_counter() - t0:.0f} s; CPU (user+sys) of this process and its workers "
          f"{cpu() - c0:.0f} s (members {ens_cpu:.0f} s); load after: {loadavg()}; {os.cpu_count()} cores")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the leave-one-conflict-out fits and scores; print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("conflicts", nargs="*", help="conflict directories (default: the four shared ones)")
    ap.add_argument("--particles", type=int, default=6)
    ap.add_argument("--generations", type=int, default=2)
    ap.add_argument("--budget", type=int, default=18)
    ap.add_argument("--replicates", type=int, default=2)
    ap.add_argument("--members", type=int, default=10)
    ap.add_argument("--error-runs", type=int, default=10, help="draws on each fitted conflict for the model error")
    ap.add_argument("--reuse", action="store_true", help="reuse the posteriors already in OUT/without-NAME")
    ap.add_argument("--remake-error", action="store_true", help="with --reuse: make each reused posterior's "
                    "model-error term again (the current layout), even if it has one")
    ap.add_argument("--shipped", action="store_true", help="no fit: score the calibrated defaults of --rules "
                    "crossings against --rules flee31 (in sample)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="out/flee-loco")
    ap.add_argument("--fit-all", default=None, metavar="DIR", help="also fit on every conflict, write it to DIR")
    ap.add_argument("--param", action="append", default=[],
                    help="as crossings calibrate-flee --param (NAME or NAME=LOW:HIGH; repeatable; none: the defaults)")
    a = ap.parse_args(argv)
    params = parse_params(a.param) if a.param else None
    dirs = [Path(d) for d in a.conflicts] or [SHARED / c for c in CONFLICTS]
    if a.shipped:
        return shipped(dirs, a.members, a.seed, a.workers)
    names = [d.name for d in dirs]
    out = Path(a.out)
    t0, c0 = time.perf_counter(), cpu()
    print(f"load before: {loadavg()}")
    print(f"budgets: {a.particles} particles, {a.generations} generations, at most {a.budget} parameter sets of "
          f"{a.replicates} runs on each fitted conflict per fit; {a.members} members per ensemble; seed {a.seed}; "
          f"{a.workers} workers")
    if params:
        print("priors: " + ", ".join(f"{p.name} {p.low:g}-{p.high:g}" for p in params))
    cache: dict[Any, float] = {}
    rows, fit_cpu, sims = [], 0.0, 0
    opts = {"particles": a.particles, "generations": a.generations, "replicates": a.replicates, "seed": a.seed,
            "check_runs": 0, "rules": "crossings", "cache": cache, "error_runs": a.error_runs}
    with open_client(a.workers, None, None) as client:
        for name, d in zip(names, dirs, strict=True):
            where = out / f"without-{name}"
            old = read_posterior(where) if a.reuse and (where / "posterior.json").is_file() else None
            if old is None:
                res = run_flee_abc(dirs, params, a.budget, holdout=[name], client=client,
                                   command=f"bench/flee_loco.py (left out: {name})", **opts)
                res.write(where)
                fit_cpu += res.provenance["cpu_seconds"]["members"]
                sims += res.provenance["simulations"]
                prov, ess = res.provenance, res.posterior.ess()
            else:
                if ("model_error" not in old.provenance or a.remake_error) and a.error_runs:
                    add_model_error(where, dirs, a.error_runs, a.seed, client=client, rules="crossings")
                prov, ess = read_posterior(where).provenance, old.ess()  # type: ignore[union-attr]
            done = sum(1 for g in prov["generations"] if g.get("complete"))
            fitted = [n for n, c in prov["conflicts"].items() if c["role"] == "fitted"]
            cal = score(d, where, a.members, a.seed, client)
            ref = score(d, None, a.members, a.seed, client)
            rows.append((name, cal, ref, done, ess))
            print(f"  {name}: fitted on {', '.join(fitted)}; {prov['parameter_sets']} sets, {done} complete "
                  f"generation(s), ESS {ess:.1f}{' (reused)' if old is not None else ''}; ARD {cal['ard']:.4f} "
                  f"against flee31's {ref['ard']:.4f}; coverage {cal['coverage']:.0%} (members' band), "
                  f"{cal['predictive']:.0%} (predictive); {time.perf_counter() - t0:.0f} s so far", flush=True)
        table(rows)
        loco_wall = time.perf_counter() - t0
        print(f"leave-one-conflict-out: wall {loco_wall:.0f} s, CPU (user+sys) of this process "
              f"{cpu() - c0:.0f} s (+ the workers' when they close), load {loadavg()}", flush=True)
        if a.fit_all:
            res = run_flee_abc(dirs, params, a.budget, client=client, command="bench/flee_loco.py --fit-all", **opts)
            res.write(a.fit_all)
            fit_cpu += res.provenance["cpu_seconds"]["members"]
            sims += res.provenance["simulations"]
            print(f"\nfit on all {len(dirs)} (posterior in {a.fit_all}):")
            for n, s in res.posterior.stats().items():
                print(f"  {n}: median {s['q50']:.4g} (5-95 % {s['q05']:.4g}-{s['q95']:.4g})")
            for name, d in zip(names, dirs, strict=True):
                s = score(d, Path(a.fit_all), a.members, a.seed, client, held_out=False)
                print(f"  {name}: ARD rescaled (members' mean) {s['ard']:.4f}, 90 % band holds {s['coverage']:.0%} "
                      f"of {s['points']} observed camp counts (predictive band, in-sample: {s['predictive']:.0%})")
    ens_cpu = sum(c["cpu"] + r["cpu"] for _, c, r, _, _ in rows)
    print(f"wall {time.perf_counter() - t0:.0f} s; CPU (user+sys) of this process and its workers "
          f"{cpu() - c0:.0f} s (members: fits {fit_cpu:.0f} s over {sims} runs, LOCO ensembles {ens_cpu:.0f} s); "
          f"load after: {loadavg()}; {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
