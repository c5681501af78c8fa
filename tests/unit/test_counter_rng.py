"""The counter-based random numbers of engine/rng.py (u = f(stream key, day, agent id, draw number)): uniform and
without visible dependence between neighbouring ids, draw numbers, days and streams. Their C twin is compared
bit for bit in test_emigration_kernel_twins.py."""

from __future__ import annotations

import numpy as np

from crossings.engine.rng import counter_uniforms, day_key, stream_key


def test_counter_uniforms_are_uniform_and_independent() -> None:
    """Fixed seed, so deterministic: chi-square over 100 bins and the Kolmogorov-Smirnov distance for 10^6
    draws; consecutive ids, draw numbers and days are uncorrelated."""
    dkey = day_key(stream_key(11, "emigration.route"), 42)
    ids = np.arange(1_000_000)
    u = counter_uniforms(dkey, ids, 0)
    assert 0.0 <= u.min() and u.max() < 1.0
    counts = np.bincount((u * 100).astype(np.int64), minlength=100)
    chi2 = float(((counts - 10_000) ** 2 / 10_000).sum())
    assert chi2 < 148.2, f"chi-square {chi2:.1f} over 99 degrees of freedom (p < 0.001 above 148.2)"
    ks = float(np.max(np.abs(np.sort(u) - (np.arange(u.size) + 0.5) / u.size)))
    assert ks < 1.95 / np.sqrt(u.size), f"Kolmogorov-Smirnov distance {ks:.5f} (p < 0.001 above 1.95/sqrt(n))"
    others = {"next id": u[1:] - 0.5, "next draw": counter_uniforms(dkey, ids, 1)[:-1] - 0.5,
              "next day": counter_uniforms(day_key(stream_key(11, "emigration.route"), 43), ids, 0)[:-1] - 0.5,
              "other stream": counter_uniforms(day_key(stream_key(11, "emigration.entry"), 42), ids, 0)[:-1] - 0.5}
    for what, v in others.items():
        r = float(np.corrcoef(u[:-1] - 0.5, v)[0, 1])
        assert abs(r) < 4 / np.sqrt(u.size), f"correlation {r:.5f} with the {what}"


def test_counter_uniforms_depend_only_on_their_counter() -> None:
    """The same (key, day, id, draw) gives the same number whatever else is drawn with it and in whatever order."""
    dkey = day_key(stream_key(3, "emigration.entry"), 9)
    ids = np.arange(5000)
    u = counter_uniforms(dkey, ids, 4)
    perm = np.random.default_rng(0).permutation(ids.size)
    assert np.array_equal(counter_uniforms(dkey, ids[perm], 4), u[perm])
    assert np.array_equal(counter_uniforms(dkey, ids[::7], np.full(ids[::7].size, 4)), u[::7])
    assert counter_uniforms(dkey, ids[:1], 4)[0] == u[0]
    assert day_key(stream_key(3, "emigration.entry"), 9) == dkey, "the day key is a pure function"
    assert stream_key(3, "a") != stream_key(4, "a") and stream_key(3, "a") != stream_key(3, "b")
