"""A toy inference whose posterior is known, driving the ABC-SMC core (``crossings.ensemble.infer._Smc``) with a
Python simulator instead of a scenario: the test of the proposal kernels and bench/abc_kernels.py share it.

The problem: ``dim`` parameters θ (2 by default; up to 15 as in russia2022), uniform priors on [0, 1]; a run returns
θ + N(0, SIGMA² I); a parameter set's discrepancy is the Euclidean distance of its replicates' mean from the
observed point (0.35, 0.6, 0.5, 0.65, 0.4, ...). The ABC likelihood P(|θ + noise − observed| ≤ ε) is symmetric
about the observed point, and each coordinate lies at least 0.35 from the prior's edges (4.9 standard deviations
of the replicates' mean), so the posterior mean is the observed point (to under 1e-5) at every tolerance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from crossings.ensemble.infer import Posterior, _Smc
from crossings.ensemble.member import ParamSpec

SIGMA = 0.1


def observed(dim: int) -> np.ndarray:
    """The observed point: 0.35, 0.6, 0.5, 0.65, 0.4, then again."""
    return np.resize(np.array([0.35, 0.6, 0.5, 0.65, 0.4]), dim)


def params(dim: int) -> list[ParamSpec]:
    """θ_0 .. θ_{dim-1}, each uniform on [0, 1]."""
    return [ParamSpec(f"t{k}", 0.0, 1.0, named=True) for k in range(dim)]


class ToyRuns:
    """``run(points, seeds)``: one draw of θ + N(0, SIGMA² I) per point, from its seed."""

    def run(self, points: Sequence[dict[str, float]], seeds: Sequence[int]) -> list[np.ndarray]:
        return [np.array(list(p.values())) + SIGMA * np.random.default_rng(s).standard_normal(len(p))
                for p, s in zip(points, seeds, strict=True)]


class ToyDiscrepancy:
    """The distance of the replicates' mean from the observed point (no noise model: the ABC kernel is the tolerance
    ball)."""

    lines: list[int] = []

    def __init__(self, dim: int) -> None:
        self.observed = observed(dim)

    def values(self, members: Sequence[np.ndarray]) -> np.ndarray:
        return np.stack(members)

    def set_noise(self, values: Any) -> None:
        return None

    def distance(self, values: np.ndarray) -> float:
        return float(np.linalg.norm(values.mean(axis=0) - self.observed))


def toy_smc(proposal: str, *, dim: int = 2, particles: int = 100, generations: int = 6, budget: int = 3000,
            replicates: int = 2, seed: int = 0, quantile: float = 0.5) -> tuple[_Smc, Posterior]:
    """Run the toy inference; the SMC state (its ``gens``: tolerance, proposed, kept, ESS per generation) and the
    posterior."""
    smc = _Smc(params(dim), ToyRuns(), ToyDiscrepancy(dim), seed, particles, replicates, budget, particles, proposal,
               "toy")
    return smc, smc.run(generations, quantile)


def weighted_mean(post: Posterior) -> np.ndarray:
    """The posterior's weighted mean of θ."""
    w = post.weights / post.weights.sum()
    return np.array([w @ np.array([v[n] for v in post.values]) for n in post.names])
