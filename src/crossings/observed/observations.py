"""Reading an observations file (the shape of shared/data/russia2022/observations.csv, plus the optional mapping
columns ``sim``, ``scale`` and ``role``; docs/fit.md) into checked :class:`Observation` rows. Every problem is an
:class:`~crossings.errors.InputError` naming the file, line and field."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crossings.errors import InputError
from crossings.observed.measures import ABROAD, EVERY, Sim, parse_sim
from crossings.scenario.csvutil import parse_date, parse_float, read_rows

DATA_COLUMNS = ("date_or_period_start", "period_end", "destination_country", "crossing_or_city", "measure", "value",
                "low", "high", "source_title", "source_url", "note")
MAPPING_COLUMNS = ("sim", "scale", "role")
ROLES = ("calibration", "validation", "input", "not_modelled")
SCORED_ROLES = ("calibration", "validation", "input")


@dataclass(frozen=True)
class Observation:
    """One row of an observations file. ``sim``, ``scale`` and ``role`` are None where the file leaves them
    empty (the row is then classified from its measure, docs/fit.md "Rows without sim")."""

    line: int
    start: dt.date
    end: dt.date  # the start date again when period_end is empty (an observation on one day)
    country: str
    place: str
    measure: str
    value: float | None
    low: float | None
    high: float | None
    sim: Sim | None = None
    scale: float | None = None
    role: str | None = None
    source_title: str = ""
    source_url: str = ""
    note: str = ""

    def default_role(self) -> str:
        """The role of the row: its ``role`` cell, else validation for a quantity, input for ``input:``,
        not_modelled for ``none``."""
        if self.role is not None:
            return self.role
        if self.sim is None:
            return "validation"
        return {"quantity": "validation", "input": "input", "none": "not_modelled"}[self.sim.kind]


@dataclass(frozen=True)
class RunNames:
    """The names a scenario gives ``sim`` targets: its countries, crossings, locations and categories."""

    countries: Sequence[str]
    crossings: Sequence[str]
    locations: Sequence[str]
    categories: Sequence[str]

    def check(self, path: Path, line: int, sim: Sim) -> None:
        """Raise InputError (field ``sim``) for a target name the scenario does not have."""
        if sim.target is None:
            return
        t = sim.target
        pools = {"country": self.countries, "crossing": self.crossings, "location": self.locations,
                 "category": self.categories}
        wanted = [(t.kind, n) for n in t.names] + [("country", c) for c in t.countries + t.origins]
        for kind, name in wanted:
            if (kind == "country" and name == ABROAD) or (kind == "category" and name == EVERY):
                continue
            pool = list(pools[kind])
            if name not in pool:
                close = difflib.get_close_matches(name, pool, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise InputError(path, line, "sim", f"unknown {kind} {name!r} in {sim}{hint}")


def read_observed(path: str | Path, names: RunNames | None = None) -> list[Observation]:
    """Read and check an observations file; with ``names``, ``sim`` targets must name places of that scenario."""
    path = Path(path)
    rows = read_rows(path, skip_hash=True)
    if not rows:
        raise InputError(path, None, "header", "empty file; expected a header line naming "
                         "date_or_period_start, measure and value, low or high")
    line, cells = rows[0]
    head = [c.strip().lower() for c in cells]
    _check_header(path, line, head)
    out = []
    for ln, cells in rows[1:]:
        if len(cells) > len(head):
            raise InputError(path, ln, "row", f"{len(cells)} cells but the header has {len(head)} columns")
        row = dict(zip(head, cells + [""] * (len(head) - len(cells)), strict=True))
        out.append(_observation(path, ln, row, names))
    return out


def _check_header(path: Path, line: int, head: list[str]) -> None:
    known = DATA_COLUMNS + MAPPING_COLUMNS
    if "series" in head and "measure" not in head:
        raise InputError(path, line, "series", "this is the Flee model's observed.csv (series,date,value); model "
                         "emigration reads observations shaped like shared/data/russia2022/observations.csv "
                         "(docs/fit.md)")
    for i, col in enumerate(head):
        if col not in known:
            close = difflib.get_close_matches(col, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
            raise InputError(path, line, col or f"column {i + 1}", f"unknown column{hint}")
        if head.index(col) != i:
            raise InputError(path, line, col, "column given twice")
    for col in ("date_or_period_start", "measure"):
        if col not in head:
            raise InputError(path, line, col, "missing column")
    if not {"value", "low", "high"} & set(head):
        raise InputError(path, line, "value", "missing column (the header must name value, or low and high)")


def _observation(path: Path, ln: int, r: dict[str, str], names: RunNames | None) -> Observation:
    start_text = r.get("date_or_period_start", "")
    if not start_text:
        raise InputError(path, ln, "date_or_period_start", "empty (a YYYY-MM-DD date is required)")
    start = parse_date(path, ln, "date_or_period_start", start_text)
    end = start
    if r.get("period_end"):
        end = parse_date(path, ln, "period_end", r["period_end"])
        if end < start:
            raise InputError(path, ln, "period_end", f"{end} is before the period's start {start}")
    if not r.get("measure"):
        raise InputError(path, ln, "measure", "empty")
    num: dict[str, float | None] = {}
    for col in ("value", "low", "high"):
        num[col] = parse_float(path, ln, col, r[col]) if r.get(col) else None
    value, low, high = num["value"], num["low"], num["high"]
    if value is None and low is None and high is None:
        raise InputError(path, ln, "value", "no value, low or high")
    if low is not None and high is not None and low > high:
        raise InputError(path, ln, "low", f"{_g(low)} is above high {_g(high)}")
    if value is not None and low is not None and high is None and value < low:
        raise InputError(path, ln, "value", f"{_g(value)} is below low {_g(low)} (with high empty the value is "
                         "the upper bound)")
    if value is not None and high is not None and low is None and value > high:
        raise InputError(path, ln, "value", f"{_g(value)} is above high {_g(high)} (with low empty the value is "
                         "the lower bound)")
    sim = None
    if r.get("sim"):
        try:
            sim = parse_sim(r["sim"])
        except ValueError as exc:
            raise InputError(path, ln, "sim", str(exc)) from None
        if names is not None:
            names.check(path, ln, sim)
    scale = None
    if r.get("scale"):
        scale = parse_float(path, ln, "scale", r["scale"])
        if scale <= 0:
            raise InputError(path, ln, "scale", f"{_g(scale)} is not a positive number")
    role = None
    if r.get("role"):
        role = r["role"].strip().lower()
        if role not in ROLES:
            close = difflib.get_close_matches(role, ROLES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(path, ln, "role", f"unknown role {r['role']!r}{hint} (known: {', '.join(ROLES)})")
        if sim is not None and sim.kind != "quantity" and role in ("calibration", "validation"):
            raise InputError(path, ln, "role", f"{role} needs a simulated quantity; sim is {sim}")
    return Observation(line=ln, start=start, end=end, country=r.get("destination_country", ""),
                       place=r.get("crossing_or_city", ""), measure=r["measure"], value=value, low=low, high=high,
                       sim=sim, scale=scale, role=role, source_title=r.get("source_title", ""),
                       source_url=r.get("source_url", ""), note=r.get("note", ""))


def _g(x: float) -> str:
    return f"{x:g}"


def check_scenario_observed(path: str | Path, locations: Any, categories: Sequence[str]) -> list[Observation]:
    """Read a scenario's observed.csv at load time, checking ``sim`` targets against the scenario's
    ``locations`` (a :class:`~crossings.scenario.model.Locations`) and categories of leavers."""
    from crossings.scenario.model import CROSSING

    names = RunNames(countries=sorted(set(locations.country)),
                     crossings=[n for n, k in zip(locations.name, locations.kind, strict=True) if k == CROSSING],
                     locations=list(locations.name), categories=list(categories))
    return read_observed(path, names)
