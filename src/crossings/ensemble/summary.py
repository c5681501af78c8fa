"""A fixed-size summary of many members' daily series, for ensembles too large to keep every member: per cell
(series, day, entity) a histogram on integer bins fixed before it is filled, the exact sum, and the extremes
outside the bins. Workers turn a batch of members into a :class:`BatchSummary` (the batch's sum and each member's
bin per cell); the client adds the batches into a :class:`Histogram` of fixed size. Adding is a sum of integers,
so the result does not depend on the order batches arrive in, on how members are batched or on the number of
workers.

The bins of a cell are fixed by a pilot, the first :data:`PILOT` members by index (the same members whatever the
cluster): 126 bins of equal integer width cover twice the pilot's range (centred on it, not below 0 for a
cell whose pilot is not negative), and two open bins hold what falls below or above, with the exact extremes. A
quantile is read as numpy's linear one (``np.quantile``, method ``linear``) from estimates of the two order
statistics around it; an order statistic in a bin of width ``w`` is off by at most ``w - 1``, so cells whose bins
are one unit wide (every cell whose pilot spans less than 63 units) are exact, and :meth:`Histogram.quantiles`
returns each cell's bound."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

BINS = 128  # bins per cell: 126 of equal integer width and the two open ones below and above
PILOT = 32  # members (the first by index) whose range sets each cell's bins
_CELL_BLOCK = 8192  # cells per step when quantiles are read (bounds the temporary cumulative counts)


@dataclass(frozen=True)
class Layout:
    """Where each series sits in one flat vector of cells (series in order, each (days, n) row by row)."""

    names: tuple[str, ...]
    shapes: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, series: Mapping[str, np.ndarray]) -> Layout:
        """The layout of one member's series."""
        return cls(tuple(series), tuple((int(v.shape[0]), int(v.shape[1])) for v in series.values()))

    @property
    def cells(self) -> int:
        """Cells over every series."""
        return sum(d * n for d, n in self.shapes)

    def flat(self, series: Mapping[str, np.ndarray]) -> np.ndarray:
        """One member's series as one int64 vector (``series`` must have this layout)."""
        if Layout.of(series) != self:
            raise RuntimeError("a member kept other series (or other shapes) than the first member")
        return np.concatenate([np.asarray(series[k], dtype=np.int64).reshape(-1) for k in self.names])

    def split(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        """A vector over cells (with any leading axes) back into series: name -> (..., days, n)."""
        out: dict[str, np.ndarray] = {}
        start = 0
        for name, (d, n) in zip(self.names, self.shapes, strict=True):
            out[name] = flat[..., start:start + d * n].reshape(*flat.shape[:-1], d, n)
            start += d * n
        return out


@dataclass(frozen=True)
class Edges:
    """The bins of every cell: bin 0 holds values below ``lo``, bin k (1 .. bins - 2) the ``width`` values from
    ``lo + (k - 1) * width``, the last bin values above."""

    lo: np.ndarray  # int64 (cells,)
    width: np.ndarray  # int64 (cells,), at least 1
    bins: int = BINS

    @property
    def core(self) -> int:
        """Bins of equal width."""
        return self.bins - 2

    @property
    def hi(self) -> np.ndarray:
        """The last value of the bins of equal width, per cell."""
        return self.lo + self.core * self.width - 1

    def codes(self, x: np.ndarray) -> np.ndarray:
        """The bin of each value of ``x`` (..., cells), as uint8."""
        k = np.floor_divide(x - self.lo, self.width) + 1
        return np.clip(k, 0, self.bins - 1).astype(np.uint8)


def edges_from(vmin: np.ndarray, vmax: np.ndarray, bins: int = BINS) -> Edges:
    """Bins covering twice the pilot's range [vmin, vmax] per cell, centred on it (not below 0 when vmin is not
    negative), of the smallest integer width that does."""
    if not 3 <= bins <= 256:
        raise ValueError(f"bins must be between 3 and 256 (a bin is stored in one byte), not {bins}")
    vmin, vmax = np.asarray(vmin, dtype=np.int64), np.asarray(vmax, dtype=np.int64)
    core = bins - 2
    span = vmax - vmin
    width = np.maximum(1, (2 * span + core) // core)  # ceil((2 span + 1) / core)
    lo = vmin - (width * core - span - 1) // 2
    lo = np.where(vmin >= 0, np.maximum(lo, 0), lo)
    return Edges(lo, width, bins)


@dataclass
class BatchSummary:
    """A batch of members reduced on its worker: how many, their sum per cell, each member's bin per cell, and
    where values fell outside the bins of equal width, the batch's extreme there."""

    members: int
    total: np.ndarray  # int64 (cells,)
    codes: np.ndarray  # uint8 (members, cells)
    low_cells: np.ndarray  # int64: cells with a value below lo
    low_values: np.ndarray  # int64: the batch's smallest value there
    high_cells: np.ndarray  # int64: cells with a value above hi
    high_values: np.ndarray  # int64: the batch's largest value there

    @property
    def nbytes(self) -> int:
        """Bytes the summary carries (what the worker hands back instead of the series)."""
        return sum(a.nbytes for a in (self.total, self.codes, self.low_cells, self.low_values, self.high_cells,
                                      self.high_values))


def summarise(x: np.ndarray, edges: Edges) -> BatchSummary:
    """Reduce a batch of members, ``x`` (members, cells) int64, to its :class:`BatchSummary`."""
    x = np.asarray(x, dtype=np.int64)
    codes = edges.codes(x)
    low = (codes == 0).any(axis=0)
    high = (codes == edges.bins - 1).any(axis=0)
    lc, hc = np.flatnonzero(low), np.flatnonzero(high)
    return BatchSummary(x.shape[0], x.sum(axis=0), codes, lc, x[:, lc].min(axis=0), hc, x[:, hc].max(axis=0))


def order_indexes(n: int, qs: Sequence[float]) -> list[tuple[int, int, float]]:
    """Per quantile, the two order statistics (0-based) and the weight numpy's linear quantile of ``n`` values
    interpolates with (``np.quantile``: (n - 1) q, floor and the next, clipped to the last)."""
    out = []
    for q in qs:
        v = (n - 1) * float(q)
        prev = int(np.floor(v))
        nxt = prev + 1
        if v >= n - 1:
            prev = nxt = n - 1
        out.append((prev, nxt, v - np.floor(v)))
    return out


def lerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """numpy's linear interpolation between neighbouring order statistics (the same operations, hence the same
    bits as ``np.quantile`` for the same a and b)."""
    diff = b - a
    return b - diff * (1 - t) if t >= 0.5 else a + diff * t


class Histogram:
    """The fixed-size summary of an ensemble's series on the client: counts per cell and bin (uint16, or uint32
    above 65,535 members), the sum per cell, and the extremes of the open bins. ``add`` a
    :class:`BatchSummary` per batch, in any order."""

    def __init__(self, layout: Layout, edges: Edges, members: int) -> None:
        self.layout = layout
        self.edges = edges
        self.members = members
        cells = layout.cells
        if edges.lo.shape != (cells,):
            raise ValueError("edges of another layout")
        self.counts = np.zeros((cells, edges.bins), dtype=np.uint16 if members < 2**16 else np.uint32)
        self.total = np.zeros(cells, dtype=np.int64)
        self.vmin = edges.lo.copy()  # the smallest value seen below lo (lo while none)
        self.vmax = edges.hi.copy()  # the largest value seen above hi (hi while none)
        self.n = 0
        self._base = np.arange(cells, dtype=np.int64) * edges.bins

    @property
    def nbytes(self) -> int:
        """Bytes the summary holds (fixed by the number of cells and bins, whatever the number of members)."""
        return sum(a.nbytes for a in (self.counts, self.total, self.vmin, self.vmax, self._base,
                                      self.edges.lo, self.edges.width))

    def add(self, s: BatchSummary) -> None:
        """Add a batch of members."""
        if self.n + s.members > self.members:
            raise RuntimeError(f"more than {self.members} members added")
        flat = self.counts.reshape(-1)
        for row in s.codes:
            flat[self._base + row] += 1  # one bin per cell and member: no index repeats within a row
        self.total += s.total
        self.vmin[s.low_cells] = np.minimum(self.vmin[s.low_cells], s.low_values)
        self.vmax[s.high_cells] = np.maximum(self.vmax[s.high_cells], s.high_values)
        self.n += s.members

    def mean(self) -> np.ndarray:
        """The exact mean per cell (the integer sum over the number of members)."""
        return self.total / self.n

    def _order_stat(self, cnt: np.ndarray, cum: np.ndarray, k: int, sl: slice) -> tuple[np.ndarray, np.ndarray]:
        """Estimate of the k-th smallest value per cell of a block, and its bound (the width of its bin - 1)."""
        rows = np.arange(cnt.shape[0])
        j = (cum <= k).sum(axis=1)  # the bin holding it
        below = np.where(j > 0, cum[rows, np.maximum(j - 1, 0)], 0)
        n_j = cnt[rows, j]
        lo, w = self.edges.lo[sl], self.edges.width[sl]
        start = np.where(j == 0, self.vmin[sl], lo + np.maximum(j - 1, 0) * w)
        last = np.where(j == 0, lo - 1, np.where(j == self.edges.bins - 1, self.vmax[sl], start + w - 1))
        span = (last - start).astype(np.float64)  # values in the bin lie in [start, last]
        est = start + span * ((k - below) + 0.5) / n_j
        return est, last - start

    def quantiles(self, qs: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """Per quantile and cell: the estimate (float64, numpy's linear method on the estimated order statistics)
        and the bound of its error (int64: it differs from the exact quantile of the members by at most this)."""
        if self.n != self.members:
            raise RuntimeError(f"members missing: {self.members - self.n} of {self.members}")
        cells = self.layout.cells
        est = np.empty((len(qs), cells), dtype=np.float64)
        bound = np.empty((len(qs), cells), dtype=np.int64)
        idx = order_indexes(self.n, qs)
        for c0 in range(0, cells, _CELL_BLOCK):
            sl = slice(c0, min(cells, c0 + _CELL_BLOCK))
            cnt = self.counts[sl].astype(np.int64)
            cum = np.cumsum(cnt, axis=1)
            for i, (prev, nxt, t) in enumerate(idx):
                a, ba = self._order_stat(cnt, cum, prev, sl)
                b, bb = (a, ba) if nxt == prev else self._order_stat(cnt, cum, nxt, sl)
                est[i, sl] = lerp(a, b, t)
                bound[i, sl] = np.maximum(ba, bb)
        return est, bound
