"""Event clocks of the emigration rules: instead of testing every agent every day against a daily probability
p, a rule draws for each agent the day of its next event, a geometric gap (P(gap = k) = (1 − p)^(k−1) p), and
touches only the agents whose day has come. Gaps are drawn by inversion of standard exponential draws,
1 + ⌊E / −ln(1 − p)⌋, with the factor −1 / ln(1 − p) worked out once per distinct p (a table per subgroup or
place), so a draw costs a multiplication and a floor."""

from __future__ import annotations

import numpy as np

from crossings.engine.models.emigration.state import NEVER


def gap_scale(p: np.ndarray) -> np.ndarray:
    """−1 / ln(1 − p) for daily probabilities ``p`` (clipped to [0, 1]): ∞ where p = 0 (never), 0 where p = 1
    (every day); ∞ too for a p so small (under about 1e-308) that the factor overflows: never, and no warning."""
    with np.errstate(divide="ignore", over="ignore"):
        return -1.0 / np.log1p(-np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0))


def next_days(rng: np.random.Generator, scale: np.ndarray, day: int) -> np.ndarray:
    """For each factor of :func:`gap_scale`, the day of the next event after ``day``: day + 1 + ⌊E × scale⌋
    (NEVER when that is later, or the probability is 0)."""
    e = rng.standard_exponential(scale.size)
    e *= scale
    np.floor(e, out=e)
    e += day + 1
    return np.fmin(e, NEVER).astype(np.int64)  # fmin: 0 × ∞ (nan) counts as never
