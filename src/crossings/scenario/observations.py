"""Observations a scenario's runs are scored against (docs/fit.md): the ``sim`` expressions that name a simulated
quantity (:func:`parse_sim`, :class:`Sim`, :class:`Target`, :data:`QUANTITIES`) and the rows of an observations
file (the shape of shared/data/russia2022/observations.csv, plus the optional mapping columns ``sim``, ``scale`` and
``role``) read into checked :class:`Observation` rows. A scenario reads its observed.csv once, when it is built
(``Scenario.observations``); the fit (:mod:`crossings.observed`) evaluates them against a run. Every problem is an
:class:`~crossings.errors.InputError` naming the file, line and field."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from crossings.errors import InputError
from crossings.scenario import columns as cols
from crossings.scenario.csvutil import parse_date, read_rows
from crossings.scenario.model import CROSSING

# ---- quantities and targets ---------------------------------------------------------------------------------

FLOW_KINDS = frozenset({"country", "crossing", "location"})  # entries and exits: per country or at a border point
QUANTITIES: Mapping[str, tuple[frozenset[str], bool, str]] = MappingProxyType({
    # name: (target kinds it takes, counted in people, what it is)
    "entries": (FLOW_KINDS, True, "entries over the period (sum of daily entries)"),
    "exits": (FLOW_KINDS, True, "exits over the period"),
    "net": (FLOW_KINDS, True, "entries − exits over the period"),
    "entries_per_day": (FLOW_KINDS, True, "mean daily entries over the period's days"),
    "exits_per_day": (FLOW_KINDS, True, "mean daily exits over the period's days"),
    "peak_entries_per_day": (FLOW_KINDS, True, "most entries on one day of the period"),
    "stock": (FLOW_KINDS, True, "people present on the period's last day"),
    "stock_change": (FLOW_KINDS, True, "stock on the last day − stock on the day before the period"),
    "emigrants": (frozenset({"country"}), True,
                  "emigrants present on the period's last day (the stock without round-trip travellers)"),
    "visa_runs": (frozenset({"country"}), True, "visa runs over the period"),
    "registrations": (frozenset({"country"}), True, "stays reaching the registration threshold over the period"),
    "registered": (frozenset({"country"}), True, "registered stays on the period's last day"),
    "permit_applications": (frozenset({"country"}), True, "residence permit applications over the period"),
    "permits_granted": (frozenset({"country"}), True, "residence permits granted over the period"),
    "permits": (frozenset({"country"}), True, "permit holders present on the period's last day"),
    "returns": (frozenset({"country"}), True, "returns home from the country over the period"),
    "first_arrivals": (frozenset({"country"}), True,
                       "emigrants entering the country for the first time since they left home, over the period"),
    "emigrant_returns": (frozenset({"country", "location"}), True,
                         "emigrants going home from the place (or the country's places) over the period"),
    "immigrants": (frozenset({"country"}), True,
                   "stays that began in the period and lasted 183 days (the statistical immigrant)"),
    "queue": (frozenset({"crossing"}), True, "mean queue (all modes) over the period's days"),
    "wait_days": (frozenset({"crossing"}), False, "mean days waited by the period's passers"),
    "left_home": (frozenset({"category"}), True, "people of the categories who left home over the period"),
    "returned": (frozenset({"category"}), True, "people of the categories who went home over the period"),
    "away": (frozenset({"category"}), True, "people of the categories away on the period's last day"),
    "returned_share": (frozenset({"category"}), False,
                       "returned ÷ left home, both counted from the run's start to the period's end"),
    "returned_of_away": (frozenset({"category"}), False,
                         "returned over the period ÷ away on the day before it (a panel's return rate)"),
})
TARGET_KINDS = ("country", "crossing", "location", "category")
FROM = "from"  # the filter part of a target: entries(country=Armenia;from=Russia)
FROM_QUANTITIES = frozenset({"entries", "entries_per_day", "peak_entries_per_day"})
ABROAD = "*abroad"  # every country that holds no origin
EVERY = "*"  # every category


@dataclass(frozen=True)
class Target:
    """What a quantity is taken of: ``kind`` names (summed); for a crossing or location, optionally only the
    entries into / exits out of the countries in ``countries``."""

    kind: str
    names: tuple[str, ...]
    countries: tuple[str, ...] = ()
    origins: tuple[str, ...] = ()  # from=: only entries over links that leave one of these countries

    def __str__(self) -> str:
        text = f"{self.kind}={'+'.join(self.names)}"
        text = f"country={'+'.join(self.countries)};{text}" if self.countries else text
        return f"{text};from={'+'.join(self.origins)}" if self.origins else text


@dataclass(frozen=True)
class Sim:
    """A parsed ``sim`` cell: a quantity of a target, a scenario input with its value, or ``none``."""

    quantity: str | None = None
    target: Target | None = None
    input_value: float | None = None

    @property
    def kind(self) -> str:
        """"quantity", "input" or "none"."""
        return "quantity" if self.quantity else "input" if self.input_value is not None else "none"

    def __str__(self) -> str:
        if self.quantity:
            return f"{self.quantity}({self.target})"
        return f"input:{_num(self.input_value)}" if self.input_value is not None else "none"


def _num(x: float | None) -> str:
    return "" if x is None else str(int(x)) if float(x).is_integer() and abs(x) < 2**53 else repr(float(x))


_SIM = re.compile(r"^\s*([A-Za-z_]+)\s*\((.*)\)\s*$")


def parse_sim(text: str) -> Sim:
    """Read a ``sim`` cell (``none``, ``input:NUMBER`` or ``quantity(kind=NAME[+NAME…][;kind=NAME…])``); a bad
    expression raises ValueError with the reason."""
    s = text.strip()
    if s.lower() == "none":
        return Sim()
    if s.lower().startswith("input:"):
        num = s[6:].strip()
        try:
            value = float(num)
        except ValueError:
            raise ValueError(f"{num!r} after input: is not a number") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{num!r} after input: is not a finite number")
        return Sim(input_value=value)
    m = _SIM.match(s)
    if not m:
        raise ValueError(f"{s!r} is not none, input:NUMBER or quantity(target), e.g. entries(country=Georgia)")
    quantity = m.group(1).lower()
    if quantity not in QUANTITIES:
        close = difflib.get_close_matches(quantity, list(QUANTITIES), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(QUANTITIES)})"
        raise ValueError(f"unknown quantity {quantity!r}{hint}")
    parts: dict[str, tuple[str, ...]] = {}
    for part in re.split(r"[;,]", m.group(2)):
        if not part.strip():
            continue
        key, eq, names = part.partition("=")
        key = key.strip().lower()
        if not eq or (key not in TARGET_KINDS and key != FROM):
            raise ValueError(f"{part.strip()!r} is not KIND=NAME with KIND one of {', '.join(TARGET_KINDS)} "
                             f"(or {FROM}=COUNTRY)")
        if key in parts:
            raise ValueError(f"{key}= given twice")
        split = tuple(n.strip() for n in names.split("+"))
        if not all(split):
            raise ValueError(f"{part.strip()!r} has an empty name")
        parts[key] = split
    return Sim(quantity=quantity, target=_target(quantity, parts))


def _target(quantity: str, parts: dict[str, tuple[str, ...]]) -> Target:
    """The target of ``quantity`` from its ``kind=names`` parts (checks the kinds it takes)."""
    kinds, _, _ = QUANTITIES[quantity]
    allowed = " or ".join(f"{k}=NAME" for k in TARGET_KINDS if k in kinds)
    parts = dict(parts)
    origins = parts.pop(FROM, ())
    if origins and quantity not in FROM_QUANTITIES:
        raise ValueError(f"{FROM}= filters entries only ({', '.join(sorted(FROM_QUANTITIES))}), not {quantity}")
    if any(n.startswith("*") for n in origins):  # *abroad and * too
        raise ValueError(f"{FROM}= takes country names, not {'+'.join(origins)!r}")
    if not parts:
        raise ValueError(f"{quantity} needs a target: {allowed}")
    places = [k for k in parts if k in ("crossing", "location", "category")]
    if len(places) > 1 or (places and "country" in parts and places[0] == "category"):
        raise ValueError(f"{quantity}: give one of {allowed}, not {' and '.join(parts)}")
    kind = places[0] if places else "country"
    if kind not in kinds:
        raise ValueError(f"{quantity} is not recorded per {kind}; it takes {allowed}")
    countries = parts.get("country", ()) if kind != "country" else ()
    if countries and quantity in ("stock", "stock_change", "queue", "wait_days"):
        raise ValueError(f"{quantity}({kind}=…) takes no country=: a place's stock is its own")
    names = parts[kind]
    for n in names:
        if n.startswith("*") and not ((kind == "country" and n == ABROAD) or (kind == "category" and n == EVERY)):
            raise ValueError(f"{n!r}: only country={ABROAD} and category={EVERY} stand for several")
    return Target(kind, names, countries, origins)


# ---- observations files -------------------------------------------------------------------------------------

_OBSERVED_VALUE = 1e15  # counts, rates and shares observed: far beyond any (world population 8e9)
OBSERVED = cols.table(
    cols.date("date_or_period_start"), cols.date("period_end"), cols.text("destination_country"),
    cols.text("crossing_or_city"), cols.text("measure"),
    *(cols.number(c, -_OBSERVED_VALUE, _OBSERVED_VALUE, "", "a finite observed number")
      for c in ("value", "low", "high")),
    cols.text("source_title"), cols.text("source_url"), cols.text("note"), cols.text("sim"),
    cols.number("scale", 1e-12, _OBSERVED_VALUE, "", "a positive number"), cols.text("role"))
DATA_COLUMNS = tuple(OBSERVED)[:11]
MAPPING_COLUMNS = tuple(OBSERVED)[11:]
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
    return parse_observed(path, read_rows(path, skip_hash=True), names)


def parse_observed(path: Path, rows: Sequence[tuple[int, list[str]]], names: RunNames | None = None
                   ) -> list[Observation]:
    """Check the rows of an observations file (as :func:`~crossings.scenario.csvutil.read_rows` gives them,
    the header first) into :class:`Observation` rows; errors name ``path``."""
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
        num[col] = OBSERVED[col].read(path, ln, r[col]) if r.get(col) else None
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
        scale = OBSERVED["scale"].read(path, ln, r["scale"])
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


def check_scenario_observed(path: str | Path, locations: Any, categories: Sequence[str],
                            rows: Sequence[tuple[int, list[str]]] | None = None) -> list[Observation]:
    """Read a scenario's observed.csv at load time (or check its ``rows``, already read), checking ``sim`` targets
    against the scenario's ``locations`` (a :class:`~crossings.scenario.model.Locations`) and categories of
    leavers."""
    names = RunNames(countries=sorted(set(locations.country)),
                     crossings=[n for n, k in zip(locations.name, locations.kind, strict=True) if k == CROSSING],
                     locations=list(locations.name), categories=list(categories))
    if rows is None:
        return read_observed(path, names)
    return parse_observed(Path(path), rows, names)
