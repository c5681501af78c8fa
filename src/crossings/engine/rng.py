"""Explicit randomness: one SeedSequence per run and a named child stream per rule (no global RNG).

Streams are keyed by a stable hash of the rule's name, so adding a rule or changing one rule's draws does
not reshuffle the others (common random numbers across scenario variants).
"""

from __future__ import annotations

import hashlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """The generator for stream ``name`` of run ``seed``."""
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy=seed, spawn_key=(key,))))


def geometric_wait(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """Days until the first success of a daily Bernoulli(p) trial (1, 2, ...); a huge value where p = 0."""
    p = np.asarray(p, dtype=np.float64)
    out = np.full(p.shape, 2**30, dtype=np.int64)
    ok = p > 0
    if ok.any():
        out[ok] = rng.geometric(np.minimum(p[ok], 1.0))
    return out
