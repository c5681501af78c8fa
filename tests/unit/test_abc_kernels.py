"""The ABC-SMC proposal kernels (issue 20 item 5, crossings.ensemble.infer): the OLCM covariances and the truncated
kernel's weights against brute-force sums, its mass inside the cube, a sampler that matches the density it is
weighted by, and a toy inference whose posterior is known (tests/unit/_abc_toy.py). Seeded; nothing is timed."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from crossings.ensemble.infer import (
    Kernel,
    _propose_truncated,
    inside_mass,
    olcm_covariances,
    truncated_kernel_weights,
)

sys.path.insert(0, str(Path(__file__).parent))
from _abc_toy import observed, toy_smc, weighted_mean  # noqa: E402

OLD = np.array([[0.2, 0.3], [0.7, 0.6], [0.05, 0.9]])
OLD_W = np.array([0.5, 0.3, 0.2])
COVS = np.array([[[0.02, 0.005], [0.005, 0.03]], [[0.01, -0.004], [-0.004, 0.02]], [[0.05, 0.0], [0.0, 0.01]]])


def box_mass(mean: np.ndarray, cov: np.ndarray) -> float:
    """P(N(mean, cov) ∈ [0, 1]²) by SciPy's bivariate normal CDF (inclusion-exclusion over the corners)."""
    f = multivariate_normal(mean, cov).cdf
    return float(f([1, 1]) - f([0, 1]) - f([1, 0]) + f([0, 0]))


def test_olcm_covariance_is_the_weighted_second_moment_about_each_particle_over_the_accepted_ones():
    rng = np.random.default_rng(5)
    pop, w = rng.random((9, 2)), rng.random(9)
    w /= w.sum()
    accepted = np.array([True, False, True, True, False, True, True, False, True])
    covs = olcm_covariances(pop, w, accepted)
    wt = w[accepted] / w[accepted].sum()
    for j in range(9):
        brute = sum(wi * np.outer(ti - pop[j], ti - pop[j]) for wi, ti in zip(wt, pop[accepted], strict=True))
        np.testing.assert_allclose(covs[j], brute + 1e-6 * np.eye(2), rtol=1e-12, atol=1e-15)
    assert olcm_covariances(pop, w, np.arange(9) < 2) is None, "2 accepted in 2-D: too few (needs d + 1)"


def test_truncated_kernel_weights_equal_a_brute_force_computation():
    """New weight ∝ 1 / Σ_j w_j N(θ; θ_j, Σ_j) / Z_j with Z_j the exact box mass (SciPy)."""
    mass = np.array([box_mass(m, c) for m, c in zip(OLD, COVS, strict=True)])
    assert mass[2] < 0.6 < mass[1], "the particle near the left edge loses mass outside the cube"
    new = np.random.default_rng(1).random((7, 2))
    got = truncated_kernel_weights(new, OLD, OLD_W, np.linalg.cholesky(COVS), mass)
    dens = np.array([sum(wj * multivariate_normal(m, c).pdf(x) / z
                         for wj, m, c, z in zip(OLD_W, OLD, COVS, mass, strict=True)) for x in new])
    want = (1 / dens) / (1 / dens).sum()
    np.testing.assert_allclose(got, want, rtol=1e-10)
    plain = 1 / np.array([sum(wj * multivariate_normal(m, c).pdf(x) for wj, m, c in zip(OLD_W, OLD, COVS, strict=True))
                          for x in new])
    assert not np.allclose(got, plain / plain.sum(), rtol=1e-3), "Z_j changes the weights here"


def test_the_estimated_mass_inside_the_cube_matches_scipy_within_its_monte_carlo_error():
    got = inside_mass(np.random.default_rng(2), OLD, np.linalg.cholesky(COVS))
    exact = np.array([box_mass(m, c) for m, c in zip(OLD, COVS, strict=True)])
    se = np.sqrt(exact * (1 - exact) / 8192)
    assert np.all(np.abs(got - exact) < 4 * se), (got, exact)


@pytest.mark.parametrize(("centre", "sd", "want", "tol"), [
    ([0.5, 0.5], 0.01, 1.0, 1e-9),          # a small kernel in the middle: all of it inside
    ([0.5, 0.0], 0.1, 0.5, 0.02),           # on an edge: half
    ([0.0, 0.0, 0.0], 0.1, 0.125, 0.012),   # in a corner of the cube in 3-D: 1/2³
    ([0.0] * 12, 0.1, 2.0 ** -12, 1e-4),    # a corner in 12-D (2.4e-4: re-estimated from 131,072 draws)
])
def test_the_mass_of_a_kernel_inside_the_cube_falls_from_1_in_the_centre_to_1_over_2_to_the_d_in_a_corner(
        centre, sd, want, tol):
    c = np.array([centre], dtype=float)
    got = inside_mass(np.random.default_rng(3), c, sd * np.eye(len(centre))[None, :, :])
    assert abs(got[0] - want) < tol, f"Z = {got[0]:.5g}, expected {want:.5g}"
    if len(centre) == 2 and centre[0] == 0.5 and centre[1] == 0.0:
        assert got[0] < 0.55, "a kernel half outside the cube must not count as inside"


def test_the_truncated_sampler_draws_the_density_its_weights_divide_by():
    """Importance sampling with the OLCM kernel's draws and weights recovers the uniform prior's moments: mean 1/2
    and second moment 1/3 on each axis. Proposals that redrew the particle with the move (no Z_j in the density)
    would weigh corner particles wrongly and miss."""
    pop = np.array([[0.1, 0.1], [0.8, 0.5], [0.5, 0.9]])
    w = np.array([0.5, 0.25, 0.25])
    covs = np.array([np.diag([0.08, 0.05]), np.diag([0.05, 0.1]), np.array([[0.1, 0.02], [0.02, 0.06]])])
    k = Kernel("olcm", pop, w, chols=np.linalg.cholesky(covs),
               mass=inside_mass(np.random.default_rng(4), pop, np.linalg.cholesky(covs)), name="olcm")
    x = k.propose(np.random.default_rng(6), 6000)
    assert ((x >= 0) & (x <= 1)).all()
    wt = k.weights(x)
    np.testing.assert_allclose(wt @ x, [0.5, 0.5], atol=0.015)
    np.testing.assert_allclose(wt @ x ** 2, [1 / 3, 1 / 3], atol=0.015)
    corner = _propose_truncated(np.random.default_rng(7), np.zeros((1, 2)), np.ones(1), 0.1 * np.eye(2)[None], 4000)
    half_normal_mean = 0.1 * math.sqrt(2 / math.pi)  # the mean of |N(0, 0.1²)|: a corner kernel folded in
    np.testing.assert_allclose(corner.mean(axis=0), half_normal_mean, atol=0.004)


def test_on_a_toy_with_a_known_posterior_olcm_keeps_its_weights_spread_and_centres_on_the_posterior_mean():
    """2-D Gaussian mean, 100 particles, 6 generations: the last generation's ESS is above a third of the
    particles, and the weighted mean is within 0.03 of the analytic posterior mean (the observed point; the
    posterior sd is about 0.07 per axis, so 0.03 is about 3.5 standard errors at that ESS). The global kernel runs
    the same problem; its ESS is allowed any value."""
    smc, post = toy_smc("olcm", particles=100, generations=6, budget=3000, seed=0)
    last = smc.gens[-1]
    assert last["complete"] and last["generation"] == 5 and last["kernel"] == "olcm"
    assert last["ess"] > 100 / 3, smc.gens
    assert post.ess() == pytest.approx(last["ess"], abs=1e-3)
    eps = [g["epsilon"] for g in smc.gens[1:]]
    assert eps == sorted(eps, reverse=True) and eps[-1] < 0.12, "the tolerance shrinks"
    assert np.abs(weighted_mean(post) - observed(2)).max() < 0.03, weighted_mean(post)
    gsmc, gpost = toy_smc("global", particles=100, generations=6, budget=3000, seed=0)
    assert gsmc.gens[-1]["kernel"] == "global" and len(gpost.values) == 100
    assert smc.used < gsmc.used, "OLCM reached the same generation with fewer simulations"


def test_the_same_seed_gives_the_same_posterior_bytes():
    one = toy_smc("olcm", particles=40, generations=4, budget=600, seed=3)[1]
    two = toy_smc("olcm", particles=40, generations=4, budget=600, seed=3)[1]
    other = toy_smc("olcm", particles=40, generations=4, budget=600, seed=4)[1]
    assert one.csv() == two.csv()
    assert one.csv() != other.csv()


def test_too_few_particles_within_the_tolerance_fall_back_to_twice_the_population_covariance():
    """15 parameters, 8 particles within the tolerance (fewer than 16): every particle moves with twice the
    population's weighted covariance, truncated to the cube, and posterior.json says so."""
    rng = np.random.default_rng(8)
    pop, w = rng.random((20, 15)), np.full(20, 1 / 20)
    k = Kernel.make("olcm", pop, w, np.arange(20) < 8, np.random.default_rng(9))
    assert k.name == "olcm: global covariance"
    mean = w @ pop
    want = 2 * ((pop - mean).T * w) @ (pop - mean) + 1e-10 * np.eye(15)
    np.testing.assert_allclose(k.chols[3] @ k.chols[3].T, want, rtol=1e-10, atol=1e-14)
    assert Kernel.make("olcm", pop, w, np.arange(20) < 16, np.random.default_rng(9)).name == "olcm"
    x = k.propose(np.random.default_rng(10), 5)
    assert ((x >= 0) & (x <= 1)).all() and np.isfinite(k.weights(x)).all()


def test_a_particle_whose_kernel_misses_the_cube_is_not_moved_from_and_does_not_weigh():
    pop = np.array([[0.2, 0.2], [0.7, 0.7]])
    chols = np.linalg.cholesky(np.array([0.01 * np.eye(2)] * 2))
    k = Kernel("olcm", pop, np.array([0.5, 0.5]), chols=chols, mass=np.array([0.0, 1.0]), name="olcm")
    x = k.propose(np.random.default_rng(11), 300)
    assert np.linalg.norm(x - pop[1], axis=1).max() < 0.6 and np.linalg.norm(x - pop[1], axis=1).mean() < 0.2
    w = k.weights(np.array([[0.2, 0.2], [0.7, 0.7], [0.9, 0.9]]))
    assert np.isfinite(w).all() and w[0] > w[1], "the particle left out does not count in the mixture density"
