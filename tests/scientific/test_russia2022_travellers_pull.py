"""russia2022's travellers-pull variant (calibration/russia2022/travellers-pull, tried and not adopted): ordinary
travellers choose where to go from covariates known for every country (issue 20 items 2
and 3): a country's weight is exp(b_trips_t · log(pre-war trips) + b_flights_t · flights in 2022), with the two
shared coefficients and covariates.csv, and no free weight per country; a country no row covers (Mongolia) gets
its trips from its covariates alone, so what is learnt from the countries with rows carries over to it."""

from __future__ import annotations

import csv
import math
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import crossings as cx
from crossings.api import load_scenario

VARIANT = Path(__file__).resolve().parents[2] / "calibration" / "russia2022" / "travellers-pull"
SCENARIO = os.environ.get("CROSSINGS_TRAVELLERS_PULL", str(VARIANT))


def covariates(root: Path) -> dict[tuple[str, str], float]:
    with open(root / "covariates.csv", encoding="utf-8") as f:
        return {(r["country"], r["covariate"]): float(r["value"]) for r in csv.DictReader(f)}


def country_weights(sc, category: str) -> dict[str, float]:
    """A category's destination weight summed over each country's places."""
    em, locs = sc.emigration, sc.locations
    w = em.attractiveness_of(em.category.index(category))
    out: dict[str, float] = {}
    for i in np.flatnonzero(w > 0):
        out[locs.country[i]] = out.get(locs.country[i], 0.0) + float(w[i])
    return out


def test_travellers_weigh_countries_by_their_covariates_only():
    sc = load_scenario(SCENARIO)
    cov = covariates(sc.source.root)
    b_trips, b_flights = sc.declared["b_trips_t"].value, sc.declared["b_flights_t"].value
    got = country_weights(sc, "traveller")
    want = {c: math.exp(b_trips * math.log(cov[c, "trips_prewar"]) + b_flights * cov[c, "flights_2022"])
            for c in got}
    assert len(got) == 15, sorted(got)  # the 14 countries of §7.1 and the rest of the world
    for c in got:  # no other factor (a free weight per country) multiplies a country's pull
        assert got[c] == pytest.approx(want[c], rel=1e-9), c
    # the coefficients are shared: doubling b_trips_t squares every country's trips term
    sq = country_weights(load_scenario(SCENARIO, {"b_trips_t": 2 * b_trips}), "traveller")
    for c in got:
        assert sq[c] == pytest.approx(want[c] * cov[c, "trips_prewar"] ** b_trips, rel=1e-9), c


def test_emigrants_do_not_take_the_travellers_pull():
    """The pull from covariates is the travellers' own: the emigrant groups keep their weights (preferences.csv),
    and none of them goes to the rest of the world."""
    sc = load_scenario(SCENARIO)
    base = country_weights(sc, "dissident")
    other = country_weights(load_scenario(SCENARIO, {"b_trips_t": 1.4, "b_flights_t": 0.2}), "dissident")
    assert base == pytest.approx(other)
    assert "Other" not in base


def test_a_country_without_rows_gets_its_trips_from_its_covariates(tmp_path):
    """Mongolia (held out: no row) with four times its pre-war trips takes about 4**b_trips_t times the ordinary
    trips, on the same seed: its flow comes from the covariate, not from a weight of its own."""
    src = load_scenario(SCENARIO).source.root
    root = Path(shutil.copytree(src, tmp_path / "russia2022"))
    path = root / "covariates.csv"
    text = path.read_text(encoding="utf-8")
    old = "Mongolia,trips_prewar,0.1,"
    assert text.count(old) == 1
    path.write_text(text.replace(old, "Mongolia,trips_prewar,0.4,"), encoding="utf-8")
    entries = {}
    for key, scen in {"base": src, "x4": root}.items():
        sc = load_scenario(scen)
        res = cx.run(sc, seed=0)
        k = sc.emigration.countries.index("Mongolia")
        entries[key] = float(res.series["new_entries"][:, k].sum())
    b = load_scenario(src).declared["b_trips_t"].value
    ratio = entries["x4"] / entries["base"]
    # travellers are most of Mongolia's entries; emigrants (weight 0.3, unchanged) the rest
    assert entries["base"] > 0
    assert 0.6 * 4**b < ratio < 1.1 * 4**b, (ratio, entries)
