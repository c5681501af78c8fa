"""The columns of the native format's tables and the numbers of scenario.yml, each declared once with its kind
and, for a number, the range it may take (docs/native-format.md, "Numbers and their ranges").

A reader takes a number only through its :class:`Column` (``ROUTES["distance_km"].read(path, line, text)``), so a
number is checked finite and inside its range where it is read, before any run starts, and a new column cannot
be read without declaring its range (``tests/unit/test_input_ranges.py`` walks every declared table and setting).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from crossings.errors import InputError
from crossings.scenario.csvutil import parse_float, parse_int

TEXT, DATE, INT, FLOAT = "text", "date", "int", "float"
KINDS = (TEXT, DATE, INT, FLOAT)
NUMBERS = (INT, FLOAT)


def _g(x: float) -> str:
    """A bound as written in messages and docs (1e+06, 0.5, 365)."""
    return f"{x:g}"


@dataclass(frozen=True)
class Column:
    """One column of a table (or one number of scenario.yml): its name, kind and, for a number, the closed range
    ``low``..``high`` it may take (both finite), its unit and what a valid value is called in messages."""

    name: str
    kind: str = TEXT
    low: float = -math.inf
    high: float = math.inf
    unit: str = ""
    what: str = "a number"  # "a probability", "a non-negative amount"… (the message says "X is not <what>")

    @property
    def numeric(self) -> bool:
        return self.kind in NUMBERS

    def range_text(self) -> str:
        """``0..1e+06 USD``: the documented range."""
        return f"{_g(self.low)}..{_g(self.high)}" + (f" {self.unit}" if self.unit else "")

    def check(self, path: Path | str, line: int | None, value: float, field: str | None = None) -> float:
        """``value`` if it is finite and inside the range; else an :class:`InputError` naming ``field``."""
        if not (math.isfinite(value) and self.low <= value <= self.high):
            raise InputError(path, line, field or self.name, f"{value!r} is not {self.what}: outside "
                             f"{self.range_text()}")
        return value

    def read(self, path: Path | str, line: int | None, text: str) -> Any:
        """The number in the cell ``text`` (an int for an INT column), checked finite and inside the range."""
        if self.kind == INT:
            value: float = parse_int(Path(path), line or 0, self.name, text)
        elif self.kind == FLOAT:
            value = parse_float(Path(path), line or 0, self.name, text)
        else:
            raise TypeError(f"column {self.name!r} is {self.kind}, not a number")
        return self.check(path, line, value)

    def value(self, path: Path | str, line: int | None, raw: Any, field: str | None = None) -> Any:
        """A number of scenario.yml (already read by YAML): a number (not a bool), finite, inside the range."""
        where = field or self.name
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise InputError(path, line, where, f"{raw!r} is not a number")
        if self.kind == INT and not (isinstance(raw, int) or (math.isfinite(raw) and float(raw).is_integer())):
            raise InputError(path, line, where, f"{raw!r} is not a whole number")
        try:
            value = float(raw)
        except OverflowError:  # an integer beyond the range of floats
            raise InputError(path, line, where, f"{raw!r} is not {self.what}: outside "
                             f"{self.range_text()}") from None
        self.check(path, line, value, where)
        return int(raw) if self.kind == INT else value


def table(*columns: Column) -> Mapping[str, Column]:
    """A table's columns by name, in order (``tuple(table)`` gives the names)."""
    return MappingProxyType({c.name: c for c in columns})


def text(name: str) -> Column:
    """A column of names, modes or notes."""
    return Column(name, TEXT)


def date(name: str) -> Column:
    """A YYYY-MM-DD column."""
    return Column(name, DATE)


def number(name: str, low: float, high: float, unit: str = "", what: str = "a number", *,
           whole: bool = False) -> Column:
    """A numeric column with its range."""
    return Column(name, INT if whole else FLOAT, low, high, unit, what)


PROBABILITY = "a probability"
SHARE = "a share between 0 and 1"
AMOUNT = "a non-negative amount"
MULTIPLIER = "a non-negative multiplier"
WEIGHT = "a non-negative weight"
MAX_MONEY = 1e9  # USD: more than any fare, fee or saving a person has
MAX_FACTOR = 1e6  # multipliers, weights and attractiveness: far beyond any calibrated one (the largest is ~3,000)
MAX_DAYS = 100_000  # durations in days (about 270 years)
MAX_DISTANCE_KM = 50_000.0  # longer than any road on Earth (the equator is 40,075 km)
MAX_SPEED_KM_PER_DAY = 1e5
MAX_PEOPLE = 1e12  # counts of people
