"""What a run's results are made of, supplied by the model that ran: its series (name, unit, stock or flow,
dimension) and its dimensions (what each entity is called, and the columns that name it in a long table).

Every table a run writes, the ensemble's quantile and band tables and the fit's views are built from these
two, so an entity is labelled in one place (e.g. a crossing by travel mode: ``Upper_Lars/car`` in quantile
tables; ``crossing``, ``country`` and ``mode`` columns in crossings.parquet)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
PLACE_SERIES: dict[str, SeriesSpec] = {
    "n_present": SeriesSpec("agents", "stock", "location"),
    "new_spawned": SeriesSpec("agents/day", "flow", "location"),
    "new_arrivals": SeriesSpec("agents/day", "flow", "location"),
    "new_departures": SeriesSpec("agents/day", "flow", "location"),
}
LINK_SERIES: dict[str, SeriesSpec] = {
    "n_on_link": SeriesSpec("agents", "stock", "link"),
    "new_link_entries": SeriesSpec("agents/day", "flow", "link"),
    "new_link_exits": SeriesSpec("agents/day", "flow", "link"),
}


def graph_dims(locations: Any, links: Any) -> dict[str, Dimension]:
    """The location and link dimensions of a scenario's graph: locations by name with their country (codes into
    the sorted countries), links by index with the names of their ends (labelled ``from->to``)."""
    names = tuple(locations.name)
    countries = sorted(set(locations.country))
    country_code = np.array([countries.index(c) for c in locations.country], dtype=np.int32)
    src, dst = np.asarray(links.src), np.asarray(links.dst)
    return {
        "location": Dimension("location", "locations", names,
                              (("location", Labels(np.arange(len(names), dtype=np.int32), names)),
                               ("country", Labels(country_code, tuple(countries))))),
        "link": Dimension("link", "links", tuple(f"{names[a]}->{names[b]}" for a, b in zip(src, dst, strict=True)),
                          (("link", np.arange(len(src), dtype=np.int32)), ("from", Labels(src, names)),
                           ("to", Labels(dst, names))), dated=False),
    }
