"""What a run's results are made of, supplied by the model that ran: its series (name, unit, stock or flow,
dimension) and its dimensions (what each entity is called, and the columns that name it in a long table).

A model declares both without a scenario (:class:`SeriesSpec`, :class:`DimSpec`); a scenario, or the key columns
of a written table, gives each dimension its entities (:meth:`DimSpec.of`). Every table a run writes, the
ensemble's quantile and band tables and the fit's views are built from these, so an entity is labelled in one
place (e.g. a crossing by travel mode: ``Upper_Lars/car`` in quantile tables; ``crossing``, ``country`` and
``mode`` columns in crossings.parquet)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Labels:
    """A text column stored as integer codes into a tuple of labels."""

    codes: np.ndarray
    labels: tuple[str, ...]

    def values(self) -> np.ndarray:
        """The text values, one per row."""
        return np.asarray(self.labels, dtype=object)[self.codes]

    def categorical(self) -> Any:
        """The column as a pandas Categorical."""
        import pandas as pd  # pandas costs 0.3 s to import: only the DataFrame views need it

        return pd.Categorical.from_codes(self.codes, categories=pd.Index(self.labels).unique()) \
            if len(set(self.labels)) == len(self.labels) else pd.Categorical(self.values())

    def take(self, index: np.ndarray) -> Labels:
        """The column for the rows ``index`` (e.g. one entity's rows tiled over days)."""
        return Labels(np.asarray(self.codes)[index], self.labels)


@dataclass(frozen=True)
class SeriesSpec:
    """One recorded series: its unit, whether it is a stock (a level at the end of a day) or a flow (a count
    over a day), and the dimension its columns run over."""

    unit: str
    kind: str  # "stock" or "flow"
    dim: str


@dataclass(frozen=True)
class Dimension:
    """The entities a series runs over: ``labels`` names each one in one string (quantile tables), ``keys`` are
    the columns that identify it in a long table (a :class:`Labels` or an integer array, one value per entity),
    written after ``day`` (and ``date`` when ``dated``); ``ratios`` are derived columns (name, numerator series,
    denominator series), NaN where the denominator is 0."""

    name: str
    table: str  # the long table's name: "locations" (locations.parquet, to_frame("locations"))
    labels: tuple[str, ...]
    keys: tuple[tuple[str, Labels | np.ndarray], ...] = ()
    dated: bool = True
    ratios: tuple[tuple[str, str, str], ...] = ()

    @property
    def size(self) -> int:
        """Number of entities."""
        return len(self.labels)

    def key(self, name: str) -> Labels | np.ndarray | None:
        """The key column ``name`` (one value per entity), or None when the dimension has none of that name."""
        return dict(self.keys).get(name)

    def texts(self, key: str) -> tuple[str, ...] | None:
        """The values of the key column ``key`` as text, one per entity (None without that column)."""
        column = self.key(key)
        return tuple(_texts(column)) if column is not None else None

    def groups(self, key: str) -> tuple[tuple[str, ...], np.ndarray]:
        """The entities grouped by their value in the key column ``key``: (the values in the order entities first
        show them, the group of each entity), e.g. the crossings of a dimension of crossings by travel mode."""
        values = self.texts(key)
        if values is None:
            raise KeyError(f"dimension {self.name!r} has no key column {key!r}")
        first = {v: i for i, v in reversed(list(enumerate(values)))}
        names = tuple(sorted(first, key=first.__getitem__))
        index = {v: i for i, v in enumerate(names)}
        return names, np.array([index[v] for v in values], dtype=np.int64)


@dataclass(frozen=True)
class DimSpec:
    """What a dimension is, whatever the scenario: its table, the key columns that name an entity (in the order the
    table shows them), the label of an entity made from its keys (``"{crossing}/{mode}"``), whether the table has
    a date column, and the derived ratios (name, numerator series, denominator series)."""

    name: str
    table: str
    keys: tuple[str, ...]
    label: str
    dated: bool = True
    ratios: tuple[tuple[str, str, str], ...] = ()

    def of(self, keys: Mapping[str, Labels | np.ndarray],
           ratios: tuple[tuple[str, str, str], ...] | None = None) -> Dimension:
        """The dimension over the entities that ``keys`` name (one value per entity in each of this spec's key
        columns; a written table may lack some, but not those the label is made of); ``ratios`` defaults to the
        spec's."""
        cols = tuple((k, keys[k]) for k in self.keys if k in keys)
        texts = {k: _texts(v) for k, v in cols}
        n = len(next(iter(texts.values()))) if texts else 0
        labels = tuple(self.label.format_map({k: v[i] for k, v in texts.items()}) for i in range(n))
        return Dimension(self.name, self.table, labels, cols, self.dated, self.ratios if ratios is None else ratios)


def _texts(key: Labels | np.ndarray) -> list[str]:
    return [str(v) for v in (key.values() if isinstance(key, Labels) else np.asarray(key)).tolist()]


@dataclass(frozen=True)
class Schema:
    """The series a model records and the dimensions they run over (both in the order tables show them)."""

    series: Mapping[str, SeriesSpec]
    dims: Mapping[str, Dimension] = field(default_factory=dict)

    def info(self, name: str) -> SeriesSpec:
        """The spec of series ``name`` (KeyError naming the known ones)."""
        try:
            return self.series[name]
        except KeyError:
            raise KeyError(f"unknown series {name!r}; this run records {', '.join(self.series)}") from None

    def names(self, dim: str) -> list[str]:
        """Series of dimension ``dim``, in the schema's order."""
        return [k for k, s in self.series.items() if s.dim == dim]

    def dim_of(self, name: str) -> str:
        """The dimension of series ``name`` ("other" for a name outside the schema)."""
        spec = self.series.get(name)
        return spec.dim if spec is not None else "other"

    def labels(self, dim: str, n: int) -> tuple[str, ...]:
        """One label per entity of ``dim`` (its index as text for a dimension the schema does not name)."""
        d = self.dims.get(dim)
        return d.labels if d is not None and d.size == n else tuple(str(i) for i in range(n))


# Stocks and flows per place and per link that every model moving agents over a scenario's graph records.
PLACE_SERIES: Mapping[str, SeriesSpec] = MappingProxyType({
    "n_present": SeriesSpec("agents", "stock", "location"),
    "new_spawned": SeriesSpec("agents/day", "flow", "location"),
    "new_arrivals": SeriesSpec("agents/day", "flow", "location"),
    "new_departures": SeriesSpec("agents/day", "flow", "location"),
})
LINK_SERIES: Mapping[str, SeriesSpec] = MappingProxyType({
    "n_on_link": SeriesSpec("agents", "stock", "link"),
    "new_link_entries": SeriesSpec("agents/day", "flow", "link"),
    "new_link_exits": SeriesSpec("agents/day", "flow", "link"),
})
# The dimensions of a scenario's graph: locations by name with their country, links by index with their ends.
LOCATION_DIM = DimSpec("location", "locations", ("location", "country"), "{location}")
LINK_DIM = DimSpec("link", "links", ("link", "from", "to"), "{from}->{to}", dated=False)
GRAPH_DIMS: Mapping[str, DimSpec] = MappingProxyType({"location": LOCATION_DIM, "link": LINK_DIM})
# Columns beside a series ``X`` that hold a band around it (an ensemble's quantiles): X_lo and X_hi, X_q05 and X_q95…
BAND_SUFFIXES = (("_lo", "_hi"), ("_q05", "_q95"), ("_q10", "_q90"), ("_q25", "_q75"))


def graph_dims(locations: Any, links: Any) -> dict[str, Dimension]:
    """The location and link dimensions of a scenario's graph: locations by name with their country (codes into
    the sorted countries), links by index with the names of their ends."""
    names = tuple(locations.name)
    countries = sorted(set(locations.country))
    country_code = np.array([countries.index(c) for c in locations.country], dtype=np.int32)
    src, dst = np.asarray(links.src), np.asarray(links.dst)
    return {
        "location": LOCATION_DIM.of({"location": Labels(np.arange(len(names), dtype=np.int32), names),
                                     "country": Labels(country_code, tuple(countries))}),
        "link": LINK_DIM.of({"link": np.arange(len(src), dtype=np.int32), "from": Labels(src, names),
                             "to": Labels(dst, names)}),
    }
