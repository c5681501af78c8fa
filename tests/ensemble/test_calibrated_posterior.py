"""Ensembles under ``--rules crossings`` draw their members from the packaged posterior whose medians are that rule
set's defaults (issue 23, item 3): each member's six settings are a particle of it, the predictive band of its
model-error term is reported, and the same seed gives the same ensemble on one and two workers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from crossings.ensemble.ensemble import run_ensemble
from crossings.ensemble.infer import read_posterior
from crossings.ensemble.member import parse_param
from crossings.params.flee import CALIBRATED_DIR

SIX = ["camp_weight", "conflict_weight", "default_movechance", "distance_power", "max_move_speed", "softening"]


def test_crossings_members_draw_from_the_packaged_posterior(demo: Path, local_client) -> None:
    ens = run_ensemble(demo, 4, seed=5, client=local_client, rules="crossings")
    rec = ens.posterior
    assert rec is not None and rec["used"] is True and rec["file"] == str(CALIBRATED_DIR / "posterior.csv")
    assert "defaults of --rules crossings" in rec["source"]
    assert sorted(ens.drawn) == SIX and ens.particles is not None and len(ens.particles) == 4
    post = read_posterior(CALIBRATED_DIR)
    for i, mp in zip(ens.particles, ens.member_params, strict=True):
        assert mp == {k: post.values[i][k] for k in SIX}
    assert len({json.dumps(mp, sort_keys=True) for mp in ens.member_params}) > 1, "members draw different particles"
    pred = ens.coverage["predictive"]
    assert pred["share"] is not None and pred["in_sample"] is False
    assert pred["error_from"] == ["burundi2015", "car2013", "mali2012", "ssudan2014"]
    # one worker: the same members, bands and coverage
    one = run_ensemble(demo, 4, seed=5, workers=1, rules="crossings")
    assert one.member_params == ens.member_params and one.particles == ens.particles
    for k in ens.quantiles:
        assert np.array_equal(one.quantiles[k], ens.quantiles[k]), k
    assert json.dumps(one.coverage, sort_keys=True) == json.dumps(ens.coverage, sort_keys=True)


def test_other_rule_sets_and_fixed_parameters_are_not_drawn(demo: Path, local_client) -> None:
    assert run_ensemble(demo, 2, seed=5, client=local_client).posterior is None, "flee31 (the default) draws nothing"
    assert run_ensemble(demo, 2, seed=5, client=local_client, rules="fixes").posterior is None
    kept = run_ensemble(demo, 2, seed=5, client=local_client, rules="crossings",
                        params=[parse_param("camp_weight=1.5")])
    assert "camp_weight" not in kept.drawn and all(mp["camp_weight"] == 1.5 for mp in kept.member_params)
    off = run_ensemble(demo, 2, seed=5, client=local_client, rules="crossings", posterior=False)
    assert off.posterior is not None and off.posterior["used"] is False and off.particles is None
    assert "predictive" not in off.coverage
