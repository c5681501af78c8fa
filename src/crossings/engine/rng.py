"""Explicit randomness: one SeedSequence per run and a named child stream per rule (no global RNG), and a
counter-based generator for rules whose draws must not depend on the order agents are processed in.

Streams are keyed by a stable hash of the rule's name, so adding a rule or changing one rule's draws does
not reshuffle the others (common random numbers across scenario variants).

The counter-based generator gives u = f(stream key, day, agent id, draw number) in [0, 1): a pure function,
implemented here with vectorised NumPy (uint64 arithmetic wraps) and identically in C (``_emigration.c``), so a
compiled kernel and its NumPy twin draw the same numbers whatever order they visit agents in and however the
agent table's rows are compacted. The mixer is SplitMix64's finaliser: the day's key is mix(key + (day + 1)·γ),
then u = top 53 bits of mix(mix(day key + id·A) + draw·B).
"""

from __future__ import annotations

import hashlib

import numpy as np

MASK = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15  # SplitMix64's increment (2^64 / golden ratio)
MIX1, MIX2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB  # SplitMix64's finaliser multipliers
ID_MULT = 0xD1B54A32D192ED03  # odd: id -> id·A is a bijection of the 64-bit integers
DRAW_MULT = 0x8CB92BA72F3D8DD7  # odd
TWO_TO_MINUS_53 = 1.0 / 9007199254740992.0


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


# ---- the counter-based generator -------------------------------------------------------------------------

def stream_key(seed: int, name: str) -> int:
    """The 64-bit key of counter stream ``name`` of run ``seed`` (the same as ``Simulation.stream_key``)."""
    return int.from_bytes(hashlib.sha256(f"{int(seed)}:{name}".encode()).digest()[:8], "little")


def _mix_int(z: int) -> int:
    """SplitMix64's finaliser on a Python integer (for the per-day scalar part)."""
    z = ((z ^ (z >> 30)) * MIX1) & MASK
    z = ((z ^ (z >> 27)) * MIX2) & MASK
    return z ^ (z >> 31)


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on a uint64 array (wrapping multiplication), in place where it can."""
    z ^= z >> np.uint64(30)
    z *= np.uint64(MIX1)
    z ^= z >> np.uint64(27)
    z *= np.uint64(MIX2)
    z ^= z >> np.uint64(31)
    return z


def day_key(key: int, day: int) -> int:
    """The key of stream ``key`` on ``day`` (a 64-bit integer; C: ``crossings_day_key``)."""
    return _mix_int((int(key) + (int(day) + 1) * GAMMA) & MASK)


def counter_uniforms(dkey: int, ids: np.ndarray, draw: int | np.ndarray) -> np.ndarray:
    """Uniforms in [0, 1) for agents ``ids`` (non-negative integers) and draw number(s) ``draw`` (one for all,
    or one per agent) of the day whose key is ``dkey`` (:func:`day_key`). Float64, bit for bit the C ones."""
    z = np.asarray(ids).astype(np.uint64)
    z *= np.uint64(ID_MULT)
    z += np.uint64(dkey)
    z = _mix(z)
    if np.ndim(draw) == 0:
        z += np.uint64((int(draw) * DRAW_MULT) & MASK)
    else:
        d = np.asarray(draw).astype(np.uint64)
        d *= np.uint64(DRAW_MULT)
        z += d
    z = _mix(z)
    return (z >> np.uint64(11)).astype(np.float64) * TWO_TO_MINUS_53
