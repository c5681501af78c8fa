"""The frozen, validated scenario: locations and links as arrays, events as tables, observed series."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from crossings.params.flee import FleeSettings

if TYPE_CHECKING:
    from crossings.scenario.emigration import EmigrationSpec
    from crossings.scenario.observations import Observation
    from crossings.scenario.parameters import Parameter
    from crossings.scenario.source import Source

# Location kinds (int8 codes used in arrays).
TOWN, CONFLICT, CAMP, IDPCAMP, FORWARD, MARKER, OTHER = range(7)
# Kinds of the emigration model (native scenarios with ``model: emigration``).
ORIGIN, AIRPORT, CROSSING, DESTINATION = range(7, 11)
KIND_NAMES = ("town", "conflict_zone", "camp", "idpcamp", "forwarding_hub", "marker", "other",
              "origin", "airport", "crossing", "destination")
FLEE_KINDS = KIND_NAMES[:6]  # kinds a Flee-model scenario may declare
EMIGRATION_KINDS = ("origin", "town", "airport", "crossing", "destination")


K = TypeVar("K")
V = TypeVar("V")


class FrozenMap(Mapping[K, V]):
    """A read-only mapping that pickles (``types.MappingProxyType`` does not): the parsed files and the Scenario
    travel to ensemble workers."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        self._data: dict[K, V] = dict(data)

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return FrozenMap, (self._data,)


def frozen_array(a: np.ndarray) -> np.ndarray:
    """``a`` as a contiguous read-only array (what a frozen Scenario holds)."""
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Locations:
    """One row per location, in file order; arrays are read-only."""

    name: tuple[str, ...]
    region: tuple[str, ...]
    country: tuple[str, ...]
    lat: np.ndarray  # float64, degrees (Flee's 4th column)
    lon: np.ndarray  # float64, degrees (Flee's 5th column)
    kind: np.ndarray  # int8, declared kind (see KIND_NAMES)
    start_kind: np.ndarray  # int8, kind on day 0 (conflict zones with a later conflict_date start as towns)
    conflict_date: np.ndarray  # int32
    population: np.ndarray  # int64, non-camp population divided by hasten
    capacity: np.ndarray  # int64, camp capacity divided by hasten; < 1 means unlimited
    intensity: np.ndarray  # float64, conflict intensity of conflict zones (1.0 unless set)
    foreign: np.ndarray  # bool, country differs from the first location's

    def __post_init__(self) -> None:
        for f in ("lat", "lon", "kind", "start_kind", "conflict_date", "population", "capacity", "intensity",
                  "foreign"):
            object.__setattr__(self, f, frozen_array(getattr(self, f)))

    def __len__(self) -> int:
        return len(self.name)

    def index(self, name: str) -> int:
        """The index of a location by exact name (``KeyError`` if unknown)."""
        return self.name.index(name)


@dataclass(frozen=True)
class Links:
    """Directed links; each route row gives two (A→B at 2k, B→A at 2k+1)."""

    src: np.ndarray  # int32
    dst: np.ndarray  # int32
    distance: np.ndarray  # float64 km
    speed: np.ndarray  # float64 km/day override, NaN = the scenario's max_move_speed
    walk_probability: np.ndarray  # float64
    line: np.ndarray  # int32, routes.csv line of the row that made the link

    def __post_init__(self) -> None:
        for f in ("src", "dst", "distance", "speed", "walk_probability", "line"):
            object.__setattr__(self, f, frozen_array(getattr(self, f)))

    def __len__(self) -> int:
        return len(self.src)


@dataclass(frozen=True)
class Closure:
    """One closures.csv row: kind is country, location, link, camp, idpcamp or remove_forced_redirection."""

    kind: str
    name1: str
    name2: str
    start: int
    end: int  # -1 = never reopens
    line: int


@dataclass(frozen=True)
class LocationChange:
    """One location_changes.csv row: from ``day`` on, location ``index`` is of kind ``kind`` (Flee #105)."""

    index: int
    kind: int
    day: int
    line: int


@dataclass(frozen=True)
class Series:
    """An observed time series: day offsets from the start date and counts (already divided by hasten)."""

    days: np.ndarray  # float64
    values: np.ndarray  # float64

    def interpolate(self, n_days: int) -> np.ndarray:
        """Flee's interpolation for days 0..n_days-1: linear, truncated to int, flat outside the data."""
        return self.at(np.arange(n_days, dtype=np.float64))

    def max_over(self, n_days: int) -> int:
        """``interpolate(n_days).max()`` without the array of every day: linear between data points and flat
        outside, so the largest value falls on day 0, the last day or a day next to a data point."""
        days = np.concatenate([[0.0, n_days - 1.0], np.floor(self.days), np.ceil(self.days)])
        return int(self.at(np.unique(np.clip(days, 0.0, n_days - 1.0))).max())

    def at(self, t: np.ndarray) -> np.ndarray:
        """The interpolated values (int64) on the days ``t`` (float64, ascending)."""
        n_days = len(t)
        d, v = self.days, self.values
        out = np.empty(n_days, dtype=np.float64)
        first = t <= d[0]
        out[first] = v[0]
        # index of the first data point strictly after t
        nxt = np.searchsorted(d, t, side="right")
        last = nxt >= len(d)
        out[last & ~first] = v[-1]
        mid = ~first & ~last
        i = nxt[mid]
        frac = (t[mid] - d[i - 1]) / (d[i] - d[i - 1])
        out[mid] = v[i - 1] + frac * (v[i] - v[i - 1])
        return np.trunc(out).astype(np.int64)


@dataclass(frozen=True)
class Observed:
    """Observed camp counts: the refugees.csv total and one series per camp (registration-corrected)."""

    total: Series
    camps: tuple[int, ...]  # location indices, in locations.csv order
    camp_series: tuple[Series, ...]

    def total_by_day(self, n_days: int) -> np.ndarray:
        """T(t): the interpolated total series, int64 (n_days,)."""
        return self.total.interpolate(n_days)

    def camps_by_day(self, n_days: int) -> np.ndarray:
        """D_c(t): interpolated camp series, int64 (n_days, camps)."""
        if not self.camp_series:
            return np.zeros((n_days, 0), dtype=np.int64)
        return np.stack([s.interpolate(n_days) for s in self.camp_series], axis=1)


@dataclass(frozen=True)
class Scenario:
    """Everything a run needs, validated and immutable."""

    name: str
    path: Path
    format: str  # "flee" or "native"
    start_date: dt.date
    length: int  # days in the scenario's period
    locations: Locations
    links: Links
    closures: tuple[Closure, ...]
    conflict_locations: np.ndarray  # int32 location index per conflicts.csv column
    conflicts: np.ndarray  # float64 (days, columns): intensity per day
    observed: Observed | None
    settings: FleeSettings
    default_rules: str = "flee31"
    notices: tuple[str, ...] = field(default=(), compare=False)
    model: str = "flee"  # "flee" (Flee's rules) or "emigration" (crossings.engine.models.emigration)
    emigration: EmigrationSpec | None = field(default=None, compare=False)  # set when model == "emigration"
    parameters: tuple[tuple[str, float], ...] = ()  # named scenario parameters ($name in files) and their values
    what_if: tuple[str, ...] = ()  # the --set texts applied to the files (crossings.scenario.whatif)
    people_per_agent: float = 1.0  # people one agent stands for (Flee model: hasten; emigration: scenario.yml's)
    observations_file: Path | None = None  # observations its runs are scored against (docs/fit.md), if any
    # the named parameters scenario.yml declares, with their values in this build (low, high and source kept)
    declared: Mapping[str, Parameter] = field(default_factory=FrozenMap)
    observations: tuple[Observation, ...] = ()  # the rows of observations_file, read when the scenario was built
    # location_changes.csv (Flee format): kinds that change on given days, in file order
    location_changes: tuple[LocationChange, ...] = ()
    # the parsed files it was built from (crossings.scenario.build): builds with other parameters start from it
    source: Source | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "conflict_locations", frozen_array(self.conflict_locations))
        object.__setattr__(self, "conflicts", frozen_array(self.conflicts))

    def date_of(self, day: int) -> dt.date:
        """The calendar date of simulation day ``day``."""
        return self.start_date + dt.timedelta(days=day)
