"""The compiled (C) kernels against their NumPy twins: exact where deterministic, statistical otherwise."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

import crossings as cx
from crossings.engine.models.flee import kernels_c as kc
from crossings.engine.models.flee.world import World
from crossings.scenarios.demo import write_demo


def _uniform(state: ctypes.c_uint64) -> float:
    return kc.lib().crossings_uniform(ctypes.byref(state))


def _wait(state: ctypes.c_uint64, p: float) -> int:
    return kc.lib().crossings_wait(ctypes.byref(state), p)


def test_capacity_multiplier_matches_numpy_twin() -> None:
    rng = np.random.default_rng(3)
    # capacities are float64: a camp's capacity times capacity_scaling (Flee 3.2), so not always whole
    cap = rng.integers(-1, 200, size=500) * rng.choice([1.0, 1.25, 0.8], size=500)
    present = rng.integers(0, 260, size=500).astype(np.int64)
    for buffer in (0.0, 0.75, 0.9, 1.0):
        w = World.__new__(World)
        w.capacity = cap
        w.present = present
        w.update_capmult(buffer)
        ctx = kc.Ctx()
        ctx.capacity = cap.ctypes.data
        ctx.present = present.ctypes.data
        ctx.buffer = buffer
        compiled = np.array([kc.lib().crossings_capmult(ctypes.byref(ctx), e) for e in range(len(cap))])
        np.testing.assert_allclose(compiled, w.capmult, rtol=0, atol=1e-12,
                                   err_msg=f"capmult differs between kernels at buffer {buffer}")


def test_geometric_wait_has_the_right_mean() -> None:
    state = kc.day_state(12345, 7)
    for p in (0.001, 0.05, 0.3, 0.9, 1.0):
        waits = np.array([_wait(state, p) for _ in range(20000)])
        assert waits.min() >= 1, "a wait is at least one day"
        mean, expected = waits.mean(), 1.0 / p
        sd = np.sqrt((1 - p) / p**2) / np.sqrt(len(waits))
        assert abs(mean - expected) <= 5 * sd + 1e-9, f"p={p}: mean wait {mean}, expected {expected}"
    assert _wait(state, 0.0) >= 2**30, "move chance 0 must never wake"


def test_uniform_stream_is_uniform_and_keyed() -> None:
    first = _uniform(kc.day_state(1, 0))
    s = kc.day_state(99, 3)
    u = np.array([_uniform(s) for _ in range(50000)])
    assert 0.0 <= u.min() and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.005
    assert _uniform(kc.day_state(1, 0)) == first, "the same key and day give the same stream"
    assert _uniform(kc.day_state(1, 1)) != first, "another day gives another stream"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> cx.scenario.model.Scenario:
    return cx.load_scenario(write_demo(tmp_path_factory.mktemp("demo")))


@pytest.mark.parametrize("rules", ["flee31", "crossings"])
def test_kernels_agree_statistically(demo, rules: str) -> None:  # noqa: ANN001
    """Mean camp populations and ARD over seeds agree between the compiled kernel and its NumPy twin."""
    seeds = range(8)
    out = {}
    for kernel in ("compiled", "numpy"):
        finals, ards = [], []
        for seed in seeds:
            r = cx.run(demo, seed=seed, rules=rules, kernel=kernel, check=(seed == 0))
            finals.append(r.camp_sim()[-1])
            ards.append(r.ard()["ard_rescaled"])
        out[kernel] = (np.mean(finals, axis=0), np.std(finals, axis=0), np.mean(ards))
    (m1, s1, a1), (m2, s2, a2) = out["compiled"], out["numpy"]
    tol = 4 * np.sqrt((s1**2 + s2**2) / len(seeds)) + 0.02 * np.maximum(m1, m2) + 5
    assert np.all(np.abs(m1 - m2) <= tol), f"final camp counts differ: compiled {m1}, numpy {m2}, tolerance {tol}"
    assert abs(a1 - a2) < 0.03, f"mean ARD differs: compiled {a1:.4f}, numpy {a2:.4f}"


def test_both_kernels_are_deterministic(demo) -> None:  # noqa: ANN001
    for kernel in ("compiled", "numpy"):
        a = cx.run(demo, seed=5, kernel=kernel).flee_out_csv()
        b = cx.run(demo, seed=5, kernel=kernel).flee_out_csv()
        c = cx.run(demo, seed=6, kernel=kernel).flee_out_csv()
        assert a == b, f"{kernel}: the same seed must give identical output"
        assert a != c, f"{kernel}: another seed should give other output"
