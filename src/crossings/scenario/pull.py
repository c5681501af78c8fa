"""A destination's pull from covariates (scenario.yml ``pull:``, docs/native-format.md "Pull from covariates"):
pull(category, place) = exp(Σ_k β_k · x_k(country of place)), with the covariates x in a sourced file of the
scenario and a few shared coefficients β (``$name`` parameters, so calibration, ensembles and what-ifs change
them by name). Computed when the scenario is built and fed to the model's per-category destination weights, so
places without observations get their pull from the same coefficients as places with them."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from crossings.errors import InputError
from crossings.scenario import columns as cols
from crossings.scenario.model import DESTINATION, Locations

COVARIATES = cols.table(cols.text("country"), cols.text("covariate"),
                        cols.number("value", -1e12, 1e12, "", "a covariate value"), cols.text("unit"))
COVARIATE_COLUMNS = tuple(COVARIATES)[:3]
COEFFICIENT = cols.number("coefficient", -1000, 1000, "", "a coefficient")  # each β of pull: coefficients:
ANY = "*"
_TERM = re.compile(r"^(?:(log)\((\w+)\)|(\w+))$")  # a covariate name, or log(name)
_KEYS = ("covariates", "coefficients")


def read_covariates(path: Path, rows: list[tuple[int, dict[str, str]]]) -> dict[tuple[str, str], tuple[float, int]]:
    """The covariates file ``country,covariate,value`` (long format, one sourced value a row): (country,
    covariate) -> (value, line)."""
    out: dict[tuple[str, str], tuple[float, int]] = {}
    for ln, r in rows:
        key = (r["country"].strip(), r["covariate"].strip())
        if not key[0] or not re.fullmatch(r"\w+", key[1]):
            raise InputError(path, ln, "covariate" if key[0] else "country", "must be a name")
        if key in out:
            raise InputError(path, ln, "covariate", f"{key[1]!r} of {key[0]!r} already given on line {out[key][1]}")
        value = COVARIATES["value"].read(path, ln, r["value"])
        out[key] = (value, ln)
    return out


def read_coefficients(ypath: Path, raw: Any, line: int | None, categories: tuple[str, ...]
                      ) -> dict[str, dict[str, float]]:
    """``pull: coefficients:``: per category (or ``*`` for all) a mapping ``covariate`` or ``log(covariate)``
    -> β (numbers once ``$name`` is resolved). A category's β for a term is its own, else ``*``'s."""
    if not isinstance(raw, dict) or not raw:
        raise InputError(ypath, line, "pull.coefficients", "must map categories (or *) to {term: coefficient}")
    out: dict[str, dict[str, float]] = {}
    for cat, terms in raw.items():
        if cat != ANY and cat not in categories:
            raise InputError(ypath, line, f"pull.coefficients.{cat}",
                             f"unknown category {cat!r} (expected {', '.join(categories)} or *)")
        if not isinstance(terms, dict):
            raise InputError(ypath, line, f"pull.coefficients.{cat}", "must map terms to coefficients")
        for term, beta in terms.items():
            field = f"pull.coefficients.{cat}.{term}"
            if not isinstance(term, str) or not _TERM.match(term):
                raise InputError(ypath, line, field, "a term is a covariate name or log(name)")
            COEFFICIENT.value(ypath, line, beta, field)
        out[str(cat)] = {str(t): float(b) for t, b in terms.items()}
    return out


def pull_matrix(ypath: Path, cpath: Path, meta: Mapping[str, Any], line: int | None,
                rows: list[tuple[int, dict[str, str]]], locs: Locations, categories: tuple[str, ...],
                attractiveness: np.ndarray) -> np.ndarray:
    """(categories, L) multiplier of every destination's attractiveness for each category (1 at other places):
    exp(Σ β·x), x the covariates of the destination's country, divided by the sum of the attractiveness of that
    country's destinations, so attractiveness only splits a country's pull between its places (a country with
    more places is not pulled harder). Every destination's country needs every covariate used."""
    unknown = set(meta) - set(_KEYS)
    if unknown:
        raise InputError(ypath, line, f"pull.{sorted(map(str, unknown))[0]}", "unknown key (known: covariates, "
                         "coefficients)")
    table = read_covariates(cpath, rows)
    coef = read_coefficients(ypath, meta.get("coefficients"), line, categories)
    out = np.ones((len(categories), len(locs)))
    dest = np.flatnonzero(locs.kind == DESTINATION).tolist()
    total: dict[str, float] = {}
    for i in dest:
        total[locs.country[i]] = total.get(locs.country[i], 0.0) + float(attractiveness[i])
    for c, cat in enumerate(categories):
        terms = {**coef.get(ANY, {}), **coef.get(cat, {})}
        for i in dest:
            share = total[locs.country[i]] or 1.0
            exponent = sum(b * _term(cpath, ypath, line, table, locs.country[i], t)
                           for t, b in terms.items() if b != 0.0)
            if not -700 < exponent < 700:  # exp() overflows (or every weight vanishes) beyond about ±709
                raise InputError(ypath, line, "pull.coefficients", f"the pull of {locs.name[i]!r} for {cat!r} is "
                                 f"exp({exponent:g}), beyond what a weight can hold (exp(±700))")
            out[c, i] = math.exp(exponent) / share
    return out


def _term(cpath: Path, ypath: Path, line: int | None, table: Mapping[tuple[str, str], tuple[float, int]],
          country: str, term: str) -> float:
    """One term's value for a country: the covariate, or its natural log."""
    m = _TERM.match(term)
    assert m is not None  # checked by read_coefficients
    name = m.group(2) or m.group(3)
    if (country, name) not in table:
        raise InputError(cpath, None, "covariate", f"no {name!r} for {country!r} (a destination country; "
                         f"{ypath.name} pull uses it)")
    value, ln = table[country, name]
    if m.group(1):
        if value <= 0:
            raise InputError(cpath, ln, "value", f"{value} has no log (pull uses log({name}))")
        return math.log(value)
    return value
