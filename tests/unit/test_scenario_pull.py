"""A destination's pull from covariates (scenario.yml ``pull:``, crossings.scenario.pull): exp(Σ β·x) per category,
computed when the scenario is built, so a parameter override (calibration, ensembles) changes it with no file
read; bad covariates or coefficients are one-line errors naming the file and field."""

from __future__ import annotations

import math

import numpy as np
import pytest

import crossings as cx
from crossings.api import load_scenario
from crossings.errors import InputError
from crossings.scenarios.emigration_demo import write_emigration_demo

COVARIATES = """country,covariate,value,unit,source
Georgia,trips,1.3,M,test
Kazakhstan,trips,3.0,M,test
Armenia,trips,0.9,M,test
Turkey,trips,5.85,M,test
Serbia,trips,0.15,M,test
Georgia,land,1,,test
Kazakhstan,land,1,,test
Armenia,land,0,,test
Turkey,land,0,,test
Serbia,land,0,,test
"""
PULL = """parameters:
  b_trips: {value: 1.0, low: 0, high: 2, source: test}
pull:
  covariates: covariates.csv
  coefficients:
    '*': {log(trips): $b_trips}
    war_objector: {land: 2}
"""


def _demo(tmp_path, covariates: str = COVARIATES, pull: str = PULL):
    root = write_emigration_demo(tmp_path / "demo")
    (root / "covariates.csv").write_text(covariates)
    p = root / "scenario.yml"
    p.write_text(p.read_text() + pull)
    return root


def test_the_pull_is_exp_of_coefficients_times_covariates_per_category(tmp_path):
    sc = load_scenario(_demo(tmp_path))
    em, names = sc.emigration, sc.locations.name
    d, w = em.category.index("dissident"), em.category.index("war_objector")
    tbilisi, istanbul = names.index("Tbilisi"), names.index("Istanbul")
    # attractiveness (Tbilisi 3, Istanbul 2, the only places of their countries) only splits a country's pull
    assert em.attractiveness_of(d)[tbilisi] == pytest.approx(1.3)  # exp(1 · log 1.3)
    assert em.attractiveness_of(d)[istanbul] == pytest.approx(5.85)
    assert em.preference[d, tbilisi] == pytest.approx(1.3 / 3)
    assert em.attractiveness_of(w)[tbilisi] == pytest.approx(1.3 * math.exp(2)), "war objectors add their own term"
    assert em.attractiveness_of(w)[istanbul] == pytest.approx(5.85)


def test_places_of_one_country_share_its_pull(tmp_path):
    root = _demo(tmp_path)
    loc = root / "locations.csv"
    loc.write_text(loc.read_text() + "Batumi,destination,Georgia,Adjara,41.64,41.63,0,1,25,\n")
    rt = root / "routes.csv"
    rt.write_text(rt.read_text() + "Upper_Lars,Batumi,road,400,,,\n")
    sc = load_scenario(root)
    names, em = sc.locations.name, sc.emigration
    a = em.attractiveness_of(0)
    assert a[names.index("Tbilisi")] + a[names.index("Batumi")] == pytest.approx(1.3)
    assert a[names.index("Tbilisi")] == pytest.approx(3 * a[names.index("Batumi")])


def test_an_override_of_a_coefficient_changes_the_pull_and_the_flows(tmp_path):
    root = _demo(tmp_path)
    sc0, sc2 = load_scenario(root, {"b_trips": 0.0}), load_scenario(root, {"b_trips": 2.0})
    istanbul = sc0.locations.name.index("Istanbul")
    assert sc0.emigration.attractiveness_of(0)[istanbul] == pytest.approx(1.0)
    assert sc2.emigration.attractiveness_of(0)[istanbul] == pytest.approx(5.85 ** 2)
    countries = sc0.emigration.countries
    turkey, serbia = countries.index("Turkey"), countries.index("Serbia")
    e0 = cx.run(sc0, seed=1).series["new_entries"].sum(axis=0)
    e2 = cx.run(sc2, seed=1).series["new_entries"].sum(axis=0)
    assert e2[turkey] / max(e2[serbia], 1) > e0[turkey] / max(e0[serbia], 1), \
        "a stronger pull of pre-war trips should favour Turkey (5.85 M) over Serbia (0.15 M)"


def test_the_same_parameters_give_the_same_pull(tmp_path):
    root = _demo(tmp_path)
    a, b = load_scenario(root, {"b_trips": 0.7}), load_scenario(root, {"b_trips": 0.7})
    assert np.array_equal(a.emigration.preference, b.emigration.preference)


@pytest.mark.parametrize(("covariates", "pull", "match"), [
    (COVARIATES.replace("Serbia,trips,0.15,M,test\n", ""), PULL, r"covariates.csv.*no 'trips' for 'Serbia'"),
    (COVARIATES.replace("Serbia,trips,0.15", "Serbia,trips,0"), PULL, r"covariates.csv:6: value: 0.0 has no log"),
    (COVARIATES.replace("Serbia,trips,0.15", "Serbia,trips,x"), PULL, r"covariates.csv:6: value"),
    (COVARIATES + "Serbia,land,1,,test\n", PULL, r"covariates.csv:12: covariate: 'land' of 'Serbia' already"),
    (COVARIATES, PULL.replace("war_objector:", "soldier:"), r"scenario.yml.*unknown category 'soldier'"),
    (COVARIATES, PULL.replace("{land: 2}", "{sqrt(land): 2}"), r"a term is a covariate name or log\(name\)"),
    (COVARIATES, PULL.replace("covariates.csv\n", "nope.csv\n"), r"pull.covariates: 'nope.csv' is not a file"),
    (COVARIATES, PULL.replace("  coefficients:", "  weights: 1\n  coefficients:"), r"pull.weights: unknown key"),
])
def test_bad_covariates_or_coefficients_are_errors_naming_file_and_field(tmp_path, covariates, pull, match):
    with pytest.raises(InputError, match=match):
        load_scenario(_demo(tmp_path, covariates, pull))
