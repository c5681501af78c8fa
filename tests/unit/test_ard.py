"""Flee's validation error, the averaged relative difference (flee-model.md §3.2), against hand-computed
values and against Flee 3.1's own out.csv."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from crossings.observed.metrics import ard_from_out_csv, ard_series, mean_ard

# Two camps, three days. Day 2 has no simulated camp population (S_t = 0).
SIM = np.array([[20, 0], [1, 3], [0, 0]])
DATA = np.array([[8, 2], [4, 6], [3, 1]])
# normal:   day 0 (|20-8| + |0-2|) / 10 = 1.4; day 1 (3 + 3) / 10 = 0.6; day 2 (3 + 1) / 4 = 1.0
# rescaled: day 0 sim × 10/20 = [10, 0] -> (2 + 2) / 10 = 0.4; day 1 sim × 10/4 = [2.5, 7.5] -> (1.5 + 1.5) / 10
#           = 0.3; day 2 S_t = 0 -> terms |0 - data| -> 4 / 4 = 1.0
NORMAL = [1.4, 0.6, 1.0]
RESCALED = [0.4, 0.3, 1.0]


def test_ard_series_normal_by_hand():
    np.testing.assert_allclose(ard_series(SIM, DATA, rescaled=False), NORMAL, rtol=1e-12,
                               err_msg="normal ARD per day differs from the hand-computed values")


def test_ard_series_rescaled_by_hand():
    np.testing.assert_allclose(ard_series(SIM, DATA, rescaled=True), RESCALED, rtol=1e-12,
                               err_msg="rescaled ARD per day differs from the hand-computed values")


def test_mean_ard_by_hand():
    assert mean_ard(SIM, DATA, rescaled=False) == pytest.approx(3.0 / 3), "expected (1.4 + 0.6 + 1.0) / 3"
    assert mean_ard(SIM, DATA, rescaled=True) == pytest.approx(1.7 / 3), "expected (0.4 + 0.3 + 1.0) / 3"


def test_ard_with_no_observed_population_divides_by_one():
    sim = np.array([[3, 1]])
    data = np.array([[0, 0]])
    assert ard_series(sim, data, rescaled=False).tolist() == [4.0], "U_t = 0: divide by max(U_t, 1) = 1"
    assert ard_series(sim, data, rescaled=True).tolist() == [0.0], "U_t = 0: rescaled sim counts are all 0"


def test_ard_rejects_mismatched_shapes():
    with pytest.raises(ValueError):
        ard_series(np.zeros((3, 2)), np.zeros((3, 3)))


@settings(max_examples=60, deadline=None, database=None, derandomize=True)
@given(arrays(np.int64, (5, 3), elements=st.integers(0, 10**6)),
       arrays(np.int64, (5, 3), elements=st.integers(0, 10**6)))
def test_rescaled_ard_is_between_0_and_2(sim, data):
    e = ard_series(sim, data, rescaled=True)
    assert np.all(e >= 0) and np.all(e <= 2 + 1e-9), f"rescaled ARD must lie in [0, 2], got {e}"
    assert np.all(ard_series(data, data, rescaled=True) < 1e-12), "a perfect simulation has ARD 0"


def ard_by_hand_from_csv(path) -> tuple[float, float]:
    """The formula of flee-model.md §3.2 on an out.csv, written without the library (plain Python)."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    head = rows[0]
    camps = [h[:-4] for h in head if h.endswith(" sim") and h != "total refugees (simulation)"]
    normal, rescaled = [], []
    for r in rows[1:]:
        if not r:
            continue
        sim = [float(r[head.index(c + " sim")]) for c in camps]
        data = [float(r[head.index(c + " data")]) for c in camps]
        u, s = sum(data), sum(sim)
        normal.append(sum(abs(a - b) for a, b in zip(sim, data, strict=True)) / max(u, 1.0))
        if s > 0:
            rescaled.append(sum(abs(a * u / s - b) for a, b in zip(sim, data, strict=True)) / max(u, 1.0))
        else:
            rescaled.append(sum(abs(0.0 - b) for b in data) / max(u, 1.0))
    return sum(normal) / len(normal), sum(rescaled) / len(rescaled)


def test_ard_from_flee_reference_out_csv(flee_reference):
    path = flee_reference("mali2012-seed1-out.csv")
    normal, rescaled = ard_by_hand_from_csv(path)
    got = ard_from_out_csv(path)
    assert got["ard_rescaled"] == pytest.approx(rescaled, rel=1e-12), "rescaled ARD differs from the formula"
    assert got["ard_normal"] == pytest.approx(normal, rel=1e-12), "normal ARD differs from the formula"
    assert rescaled == pytest.approx(0.272, abs=0.0005), (
        f"expected Flee 3.1's mali2012 seed-1 rescaled ARD ≈ 0.272, the formula gives {rescaled}")


def test_results_ard_equals_ard_of_its_out_csv(demo_dir, tmp_path):
    import crossings as cx

    res = cx.run(demo_dir, seed=3, days=60)
    out = tmp_path / "out.csv"
    out.write_text(res.flee_out_csv())
    normal, rescaled = ard_by_hand_from_csv(out)
    assert res.ard()["ard_rescaled"] == pytest.approx(rescaled, rel=1e-12), "Results.ard and out.csv disagree"
    assert res.ard()["ard_normal"] == pytest.approx(normal, rel=1e-12), "Results.ard and out.csv disagree"
    assert ard_from_out_csv(out) == pytest.approx(res.ard(), rel=1e-12)
