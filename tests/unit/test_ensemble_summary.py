"""The fixed-size summary of a large ensemble's series (crossings.ensemble.summary): its quantiles stay within
their stated bound of numpy's exact ones (and equal them where the bins are one unit wide), the mean is exact,
and neither depends on the order batches arrive in or on how members are batched; its size does not grow with the
number of members."""

from __future__ import annotations

import numpy as np
import pytest

from crossings.ensemble.cluster import batch_bounds
from crossings.ensemble.reduce import QUANTILES
from crossings.ensemble.summary import BINS, Histogram, Layout, edges_from, summarise

PILOT = 32


def _members(n: int, seed: int = 7) -> np.ndarray:
    """(n, cells) int64 counts of several kinds: zeros, small flows, large stocks, a spread that grows after the
    pilot (values outside its bins), a cell that is rarely non-zero and one that is negative."""
    rng = np.random.default_rng(seed)
    cols = [np.zeros((n, 50), dtype=np.int64),
            rng.poisson(3.0, (n, 200)),
            rng.poisson(rng.integers(50, 400, 200), (n, 200)),
            rng.poisson(rng.integers(10_000, 300_000, 300), (n, 300))]
    wide = rng.poisson(1000, (n, 50))
    wide[PILOT:] += rng.integers(-900, 3000, (n - PILOT, 50))  # later members well outside the pilot's range
    rare = (rng.random((n, 20)) < 0.08) * rng.integers(100, 10_000, (n, 20))
    neg = rng.integers(-500, 500, (n, 10))
    return np.concatenate([*cols, wide, rare, neg], axis=1).astype(np.int64)


def _histogram(x: np.ndarray, order: list[tuple[int, int]], bins: int = BINS) -> Histogram:
    edges = edges_from(x[:PILOT].min(axis=0), x[:PILOT].max(axis=0), bins)
    hist = Histogram(Layout(("all",), ((1, x.shape[1]),)), edges, x.shape[0])
    for a, b in order:
        hist.add(summarise(x[a:b], edges))
    return hist


def test_quantiles_are_within_their_bound_of_the_exact_ones_and_exact_on_unit_bins() -> None:
    x = _members(600)
    est, bound = _histogram(x, batch_bounds(600, PILOT, 8)).quantiles(QUANTILES)
    exact = np.quantile(x.astype(np.float64), QUANTILES, axis=0)
    err = np.abs(est - exact)
    assert (err <= bound).all(), f"{int((err > bound).sum())} cells beyond their bound"
    unit = bound == 0
    assert unit.mean() > 0.3 and np.array_equal(est[unit], exact[unit])  # small counts: the same bits as numpy
    assert (bound[:, :50] == 0).all() and (bound[:, 50:250] == 0).all()  # zeros and small flows are exact
    # large stocks: the bins are ~1/63 of twice the pilot's range, so the error is a small part of the band
    band = exact[-1] - exact[0]
    stocks = slice(450, 750)
    assert (err[:, stocks].max(axis=0) <= 0.05 * band[stocks]).all()
    assert np.all(np.diff(est, axis=0) >= 0)  # q05 <= q25 <= ... <= q95 per cell


def test_the_mean_is_exact() -> None:
    x = _members(300)
    hist = _histogram(x, batch_bounds(300, PILOT, 5))
    assert np.array_equal(hist.total, x.sum(axis=0))
    assert np.allclose(hist.mean(), x.mean(axis=0), rtol=1e-15, atol=0)


def test_neither_arrival_order_nor_batching_changes_a_bit() -> None:
    x = _members(400)
    ref = _histogram(x, batch_bounds(400, PILOT, 8))
    rng = np.random.default_rng(3)
    for size in (1, 7, 32, 400):
        order = batch_bounds(400, PILOT, size)
        rng.shuffle(order)
        other = _histogram(x, order)
        assert np.array_equal(other.counts, ref.counts) and np.array_equal(other.total, ref.total)
        a, b = ref.quantiles(QUANTILES), other.quantiles(QUANTILES)
        assert a[0].tobytes() == b[0].tobytes() and np.array_equal(a[1], b[1])


def test_the_summary_does_not_grow_with_the_members() -> None:
    small, large = _members(100), _members(3000)
    assert _histogram(small, batch_bounds(100, PILOT, 10)).nbytes == \
        _histogram(large, batch_bounds(3000, PILOT, 10)).nbytes
    s = summarise(large[:8], edges_from(large[:PILOT].min(axis=0), large[:PILOT].max(axis=0)))
    assert s.nbytes < large[:8].nbytes  # a batch hands back less than its members' series


def test_bins_cover_the_pilot_and_are_one_unit_for_narrow_cells() -> None:
    vmin = np.array([0, 5, 1000, 10_000, -40, 0])
    vmax = np.array([0, 60, 1125, 90_000, -3, 1])
    e = edges_from(vmin, vmax)
    assert (e.lo <= vmin).all() and (e.hi >= vmax).all()
    assert list(e.width[:3]) == [1, 1, 2] and e.width[3] > 1000
    assert e.lo[0] == 0 and e.lo[5] == 0  # not below 0 for a cell whose pilot is not negative
    codes = e.codes(np.array([[-1, 4, 999, 10_000, -1000, 1000]]))
    assert codes[0, 0] == 0 and codes[0, 4] == 0 and codes[0, 5] == BINS - 1
    with pytest.raises(ValueError):
        edges_from(vmin, vmax, 300)


def test_layout_flattens_and_splits_series() -> None:
    series = {"a": np.arange(6).reshape(3, 2), "b": np.arange(12).reshape(3, 4) + 100}
    lay = Layout.of(series)
    flat = lay.flat(series)
    assert lay.cells == 18 and flat.dtype == np.int64
    back = lay.split(np.stack([flat, flat]))
    assert np.array_equal(back["a"][1], series["a"]) and np.array_equal(back["b"][0], series["b"])
    with pytest.raises(RuntimeError):
        lay.flat({"a": series["a"]})


def test_batches_keep_the_pilot_apart() -> None:
    assert batch_bounds(20, 6, 4) == [(0, 4), (4, 6), (6, 10), (10, 14), (14, 18), (18, 20)]
    with pytest.raises(ValueError):
        batch_bounds(5, 6, 2)
