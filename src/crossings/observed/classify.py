"""Rows without a ``sim`` cell (e.g. the plain shared observations.csv): which quantity of which target a row
compares with, decided by keyword rules on its measure, destination_country and crossing_or_city (docs/fit.md,
"Rows without sim"). The keyword rules are in classify_rules.csv, the other tables below."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from crossings.observed.measures import ABROAD, EVERY, FLOW_KINDS, QUANTITIES, RunTables, Sim, Target
from crossings.observed.observations import Observation


class Rule(NamedTuple):
    pattern: str  # a regular expression searched for in the measure, in lower case
    quantity: str | None  # None: the row is not compared with the run
    scale: float = 1.0
    role: str = "validation"


RULES_FILE = Path(__file__).resolve().with_name("classify_rules.csv")


def read_rules(path: Path = RULES_FILE) -> tuple[Rule, ...]:
    """The keyword rules, in order (classify_rules.csv: pattern, quantity, scale, role; empty cells: none, 1,
    validation)."""
    rows = csv.DictReader(line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
    return tuple(Rule(r["pattern"], r["quantity"] or None, float(r["scale"] or 1.0), r["role"] or "validation")
                 for r in rows)


# The first rule whose pattern is found in the measure decides; a measure no rule matches is not modelled.
RULES: tuple[Rule, ...] = read_rules()

ALL_COUNTRIES = ("all", "all destinations")  # destination_country meaning every country abroad (*abroad)
# crossing_or_city (brackets removed) meaning "the whole country", no narrowing; so does anything starting "all "
WHOLE_COUNTRY = ("", "all", "all crossings", "all destinations", "country", "national")
PLACE_ALIASES = {"verkhny lars": "upper lars", "kazbegi": "upper lars", "dariali": "upper lars"}


@dataclass(frozen=True)
class Classified:
    """What a row without ``sim`` compares with; ``status``/``note`` set when it cannot be compared."""

    sim: Sim
    scale: float
    role: str
    status: str | None = None
    note: str = ""


def norm(name: str) -> str:
    """A place or country name for comparison: lower case, runs of spaces, _, -, / as one space."""
    return re.sub(r"[\s_\-/]+", " ", name.lower()).strip()


def _unbracket(text: str) -> str:
    return re.sub(r"\([^)]*\)?", " ", text).strip()


def rule_for(measure: str) -> Rule | None:
    """The first rule matching ``measure``, or None."""
    m = measure.lower()
    return next((r for r in RULES if re.search(r.pattern, m)), None)


def classify(obs: Observation, view: RunTables) -> Classified:
    """The quantity and target a row without ``sim`` is compared with in ``view``'s run."""
    rule = rule_for(obs.measure)
    if rule is None:
        return Classified(Sim(), 1.0, "not_modelled", "not modelled", "no rule matches the measure")
    if rule.quantity is None:
        status = "not compared" if rule.role == "input" else "not modelled"
        why = "a scenario input" if rule.role == "input" else "not modelled"
        return Classified(Sim(), rule.scale, rule.role, status, why)
    q = rule.quantity
    kinds = QUANTITIES[q][0]
    country_text = _unbracket(obs.country)
    every = norm(country_text) in ALL_COUNTRIES
    if kinds == {"category"}:
        sim = Sim(q, Target("category", (EVERY,)))
        if not every:
            return Classified(sim, rule.scale, rule.role, "not in this run",
                              f"leavers are recorded by category for the whole run, not for {obs.country!r}")
        return Classified(sim, rule.scale, rule.role)
    country = ABROAD if every else _match(country_text, view.countries) or country_text
    place_text = _unbracket(obs.place)
    whole = norm(place_text) in WHOLE_COUNTRY or norm(place_text).startswith("all ")
    place_kind, place = ("", "") if whole else _place(place_text, view)
    if kinds == {"crossing"}:
        if place_kind != "crossing":
            what = f"{obs.place!r} is not a crossing of this run" if place_text else "no crossing named"
            return Classified(Sim(q, Target("crossing", (place_text or "?",))), rule.scale, rule.role,
                              "not in this run", what)
        return Classified(Sim(q, Target("crossing", (place,))), rule.scale, rule.role)
    if whole:
        return Classified(Sim(q, Target("country", (country,))), rule.scale, rule.role)
    if kinds == {"country"}:
        return Classified(Sim(q, Target("country", (country,))), rule.scale, rule.role, "not in this run",
                          f"{q} is recorded per country, not at {obs.place!r}")
    assert kinds == FLOW_KINDS
    kind = place_kind or "location"
    name = place or place_text
    countries = () if q in ("stock", "stock_change") else (country,)
    return Classified(Sim(q, Target(kind, (name,), countries)), rule.scale, rule.role)


def _match(text: str, names: tuple[str, ...]) -> str | None:
    """The name among ``names`` equal to ``text`` once both are normalised (aliases tried too)."""
    by_norm = {norm(n): n for n in names}
    key = norm(text)
    return by_norm.get(key) or by_norm.get(PLACE_ALIASES.get(key, ""))


def _place(text: str, view: RunTables) -> tuple[str, str]:
    """("crossing" or "location", the run's name) for a crossing_or_city, trying the whole text and then each
    part between slashes; ("", "") when the run has no such place."""
    parts = [text] + [p.strip() for p in text.split("/") if p.strip()]
    for part in parts:
        for kind, pool in (("crossing", view.crossings), ("location", view.locations)):
            found = _match(part, pool)
            if found:
                return kind, found
    return "", ""
