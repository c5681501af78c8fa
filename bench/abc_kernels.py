"""The ABC-SMC proposal kernels side by side (issue 20 item 5): ``olcm`` (per-particle local covariance, truncated
to the unit cube, crossings.ensemble.infer) against ``global`` (twice the population's covariance, the kernel of
the earlier posteriors), on the toy whose posterior is known (tests/unit/_abc_toy.py: θ + N(0, 0.1² I) per run, 2
replicates, uniform priors on [0, 1]^d; the posterior mean is the observed point). For a fixed budget of parameter
sets it prints, per generation, the tolerance, the acceptance rate (kept / proposed) and the ESS of the weights,
then the last complete generation's ESS, the largest error of the weighted mean and the simulations used. For
OLCM it also prints, per generation, the median over the kept sets of the share of their proposal density that
comes from its largest component (1: the kernels do not overlap, and the weights vary like exp(χ²_d / 2)).

    python bench/abc_kernels.py [--seeds 0,1,2,3,4] [--config 2d,15d-48,15d-64] [--unit-mass]

Configurations: ``2d`` (100 particles, 6 generations, 3,000 sets), and the two russia2022 inferences' settings
in 15 dimensions (``15d-48``: 48 particles, 6 generations, 400 sets; ``15d-64``: 64 particles, 8 generations,
1,100 sets); also ``15d-200`` (200 particles, 6 generations, 4,000 sets; not run by default). ``--unit-mass``
sets every Z_j to 1 in the OLCM weights (a diagnostic: how much the truncation matters). No scenario runs: the
simulator is a line of NumPy, so the figures measure the kernels alone.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit"))
from _abc_toy import observed, toy_smc, weighted_mean  # noqa: E402

CONFIGS = {"2d": (2, 100, 6, 3000), "15d-48": (15, 48, 6, 400), "15d-64": (15, 64, 8, 1100),
           "15d-200": (15, 200, 6, 4000)}
DEFAULT = "2d,15d-48,15d-64"


SHARES: list[float] = []  # per OLCM generation of the current run: the median share of the largest component


def largest_share(new: np.ndarray, old: np.ndarray, w: np.ndarray, chols: np.ndarray, mass: np.ndarray) -> float:
    """The median over ``new`` of the largest term's share of Σ_j w_j N(θ; θ_j, Σ_j) / Z_j."""
    terms = np.full((len(new), len(old)), -np.inf)
    for j in np.flatnonzero((w > 0) & (mass > 0)):
        y = np.linalg.solve(chols[j], (new - old[j]).T)
        terms[:, j] = (np.log(w[j]) - np.log(mass[j]) - 0.5 * np.sum(y * y, axis=0)
                       - float(np.sum(np.log(np.diag(chols[j])))))
    top = terms.max(axis=1)
    return float(np.median(1.0 / np.exp(terms - top[:, None]).sum(axis=1)))


def watch(unit_mass: bool) -> None:
    """Record each OLCM generation's largest-component share (and, with ``unit_mass``, weigh with every Z_j = 1)."""
    import crossings.ensemble.infer as infer

    weights = infer.truncated_kernel_weights

    def spy(new: np.ndarray, old: np.ndarray, w: np.ndarray, chols: np.ndarray, mass: np.ndarray) -> np.ndarray:
        if unit_mass:
            mass = np.ones_like(mass)
        SHARES.append(largest_share(new, old, w, chols, mass))
        return weights(new, old, w, chols, mass)

    infer.truncated_kernel_weights = spy


def cpu() -> float:
    """User + system seconds of this process."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def one(config: str, proposal: str, seed: int) -> dict:
    """One toy inference; what the tables print."""
    dim, particles, generations, budget = CONFIGS[config]
    SHARES.clear()
    smc, post = toy_smc(proposal, dim=dim, particles=particles, generations=generations, budget=budget, seed=seed)
    done = [g for g in smc.gens if g["complete"]]
    return {"gens": smc.gens, "last": done[-1]["generation"], "ess": post.ess(), "eps": done[-1]["epsilon"],
            "error": float(np.abs(weighted_mean(post) - observed(dim)).max()), "sets": smc.used,
            "shares": list(SHARES)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--config", default=DEFAULT)
    ap.add_argument("--unit-mass", action="store_true", help="OLCM weights with every Z_j = 1 (a diagnostic)")
    args = ap.parse_args(argv)
    watch(args.unit_mass)
    if args.unit_mass:
        print("diagnostic: OLCM weights with Z_j = 1")
    seeds = [int(s) for s in args.seeds.split(",")]
    t0, c0 = time.perf_counter(), cpu()
    print(f"load before: {os.getloadavg()[0]:.2f} (1-min)")
    for config in args.config.split(","):
        dim, particles, generations, budget = CONFIGS[config]
        print(f"\n## {config}: {dim} parameters, {particles} particles, {generations} generations, "
              f"budget {budget} sets of 2 runs")
        for proposal in ("olcm", "global"):
            runs = [one(config, proposal, s) for s in seeds]
            print(f"\n{proposal}, seed {seeds[0]}: generation: tolerance, acceptance, ESS")
            for g in runs[0]["gens"]:
                acc = g["kept"] / g["proposed"] if g["proposed"] else float("nan")
                ess = f"{g['ess']:.1f}" if "ess" in g else "- (budget ran out)"
                print(f"  {g['generation']}: {g['epsilon']:.3f}, {acc:.2f} ({g['kept']}/{g['proposed']}), {ess}")
            if runs[0]["shares"]:
                print("  largest component's share of the proposal density, by generation from 1: "
                      + ", ".join(f"{x:.2f}" for x in runs[0]["shares"]))
            print(f"{proposal}, per seed: last complete generation, its tolerance, ESS, max |mean - truth|, sets")
            for s, r in zip(seeds, runs, strict=True):
                print(f"  seed {s}: {r['last']}, {r['eps']:.3f}, ESS {r['ess']:.1f} of {particles}, "
                      f"{r['error']:.3f}, {r['sets']}")
            ess = [r["ess"] for r in runs]
            print(f"{proposal}: final ESS median {np.median(ess):.1f} (min {min(ess):.1f}, max {max(ess):.1f}); "
                  f"median final tolerance {np.median([r['eps'] for r in runs]):.3f}")
    print(f"\nwall {time.perf_counter() - t0:.1f} s, CPU (user+sys) {cpu() - c0:.1f} s, "
          f"load after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
