"""One calibration for several Flee-format conflicts (crossings.ensemble.infer_flee): its discrepancy on hand-made
values and on the runs it made, a held-out conflict that changes nothing in the fit, runs shared between
inferences, the same posterior on one and two workers, ensembles that draw from a posterior in another directory,
and the coverage of a band where the answer is known."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from ensemble_helpers import cli

import crossings as cx
from crossings.ensemble.ensemble import run_ensemble
from crossings.ensemble.infer_flee import (
    PRIORS,
    ArdDiscrepancy,
    default_params,
    load_conflicts,
    parse_params,
    run_flee_abc,
)
from crossings.ensemble.member import ParamSpec, run_member, run_seed
from crossings.ensemble.reduce import coverage

PARAMS = [ParamSpec("default_movechance", 0.1, 0.6), ParamSpec("camp_weight", 1.0, 5.0)]
TINY = {"particles": 4, "generations": 2, "replicates": 2, "check_runs": 1, "rules": "crossings"}


@pytest.fixture(scope="module")
def conflicts(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two conflicts: the demo, and the demo whose north and south camps' counts are swapped (other data)."""
    root = tmp_path_factory.mktemp("conflicts")
    west, east = root / "west", root / "east"
    shutil.copytree(demo, west)
    shutil.copytree(demo, east)
    src = east / "source_data"
    north, south = (src / "camp_north.csv").read_text(), (src / "camp_south.csv").read_text()
    (src / "camp_north.csv").write_text(south)
    (src / "camp_south.csv").write_text(north)
    return west, east


def test_the_discrepancy_is_the_mean_over_conflicts_of_the_replicates_mean_ard() -> None:
    d = ArdDiscrepancy(["a", "b"])
    v = np.array([[0.2, 0.5], [0.4, 0.7]])  # (replicates, conflicts)
    assert d.distance(v) == pytest.approx((0.3 + 0.6) / 2)
    assert d.distance(np.array([[0.2, np.nan], [0.4, 0.7]])) == math.inf
    d.set_noise([v, v + 0.1])  # both sets: variance 0.02 on each conflict
    assert d.noise == pytest.approx([0.02, 0.02])
    assert d.standard_error(2) == pytest.approx(math.sqrt(0.04 / 2) / 2)


def test_parameters_default_to_the_documented_priors() -> None:
    assert [p.name for p in default_params()] == list(PRIORS)
    assert parse_params([]) == default_params()
    lo, hi, src = PRIORS["distance_power"]
    assert parse_params(["distance_power"]) == [ParamSpec("distance_power", lo, hi)] and "§1.10" in src
    assert parse_params(["camp_weight=1:2"]) == [ParamSpec("camp_weight", 1.0, 2.0)]
    for bad in (["awareness_level"], ["camp_weight", "camp_weight=1:3"], ["nonsense=1:2"]):
        with pytest.raises(cx.InputError):
            parse_params(bad)


def test_conflicts_are_checked(conflicts: tuple[Path, Path], demo: Path) -> None:
    west, east = conflicts
    fit, held = load_conflicts([west, east], ["east"])
    assert [Path(s.path).name for s in fit] == ["west"] and [Path(s.path).name for s in held] == ["east"]
    for dirs, hold in (([west, east], ["north"]), ([west, east], ["west", "east"]), ([west, west], [])):
        with pytest.raises(cx.InputError):
            load_conflicts(dirs, hold)


def test_each_distance_is_the_mean_ard_of_its_runs_and_a_held_out_conflict_changes_no_fit(
        conflicts: tuple[Path, Path], local_client) -> None:
    west, east = conflicts
    both = run_flee_abc([west, east], PARAMS, 8, seed=3, client=local_client, **TINY)
    t = both.trials[0]  # generation 0, proposal 0: seeds from (seed, 2, generation, proposal)
    seeds = [run_seed(s) for s in np.random.SeedSequence(3, spawn_key=(2, 0, 0)).spawn(2)]
    ards = [[run_member(c, t["values"], s, rules="crossings", keep_series=False).ard["ard_rescaled"]
             for s in seeds] for c in (west, east)]
    assert t["distance"] == pytest.approx(np.mean([np.mean(a) for a in ards]), rel=1e-12)
    assert ards[0] != ards[1]  # the two conflicts' data differ, so their ARDs do
    alone = run_flee_abc([west], PARAMS, 8, seed=3, client=local_client, **TINY)
    held = run_flee_abc([west, east], PARAMS, 8, seed=3, client=local_client, holdout=["east"], **TINY)
    assert held.posterior.csv() == alone.posterior.csv() != both.posterior.csv()
    assert held.check["east"]["role"] == "held out" and held.check["west"]["role"] == "fitted"
    prov = held.provenance
    assert prov["conflicts"]["east"]["role"] == "held out" and prov["calibration_rows"] == ["west"]
    assert set(prov["priors"]) == {p.name for p in PARAMS} and prov["priors"]["camp_weight"]["source"]


def test_inferences_sharing_a_cache_run_a_set_once_and_find_the_same(conflicts: tuple[Path, Path],
                                                                      local_client) -> None:
    west, east = conflicts
    cache: dict = {}
    a = run_flee_abc([west, east], PARAMS, 8, seed=5, client=local_client, holdout=["east"], cache=cache, **TINY)
    b = run_flee_abc([west, east], PARAMS, 8, seed=5, client=local_client, cache=cache, **TINY)
    fresh = run_flee_abc([west, east], PARAMS, 8, seed=5, client=local_client, **TINY)
    assert b.posterior.csv() == fresh.posterior.csv()
    # b's generation 0 on west is a's (the same proposals and seeds): at least 4 sets x 2 replicates not run again
    assert b.provenance["simulations"] <= fresh.provenance["simulations"] - 8
    assert len(cache) == a.provenance["simulations"] - 2 + b.provenance["simulations"] - 2  # less the check runs


def test_the_command_gives_the_same_posterior_on_one_and_two_workers(conflicts: tuple[Path, Path],
                                                                       tmp_path: Path) -> None:
    west, east = conflicts
    outs = []
    for w in (1, 2):
        out = tmp_path / f"w{w}"
        assert cli(["calibrate-flee", str(west), str(east), "--param", "camp_weight", "--param",
                    "default_movechance=0.1:0.5", "--budget", "8", "--particles", "4", "--generations", "2",
                    "--check-runs", "1", "--workers", str(w), "--seed", "2", "--out", str(out), "--quiet"]) == 0
        outs.append(out)
    for name in ("posterior.csv", "calibration_trials.csv"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes()
    prov = json.loads((outs[0] / "posterior.json").read_text())
    assert prov["command"].startswith("crossings calibrate-flee") and prov["seed"] == 2
    assert set(prov["simsetting_of_medians"]["move_rules"]) == {"camp_weight", "default_movechance"}
    assert cli(["calibrate-flee", str(west), "--holdout", "west", "--budget", "8", "--out",
                str(tmp_path / "bad")]) == 2


def test_an_ensemble_draws_from_a_posterior_in_another_directory(conflicts: tuple[Path, Path], local_client,
                                                                  tmp_path: Path) -> None:
    west, east = conflicts
    res = run_flee_abc([west], PARAMS, 8, seed=3, client=local_client, **TINY)
    res.write(tmp_path / "post")
    ens = run_ensemble(east, 4, seed=1, client=local_client, rules="crossings", posterior=tmp_path / "post")
    assert ens.posterior is not None and ens.posterior["used"] and not ens.posterior["matches_scenario"]
    particles = [dict(v) for v in res.posterior.values]
    for i, mp in enumerate(ens.member_params):
        assert {n: mp[n] for n in ("default_movechance", "camp_weight")} == particles[ens.particles[i]]
    fit = ens.camp_fit()  # what a report's header shows: the members' median ARD beside the band's coverage
    assert fit["ard_rescaled_members_median"] == pytest.approx(float(np.median(ens.ard["ard_rescaled"])))
    assert fit["coverage"]["share"] == ens.coverage["share"] and fit["coverage"]["points"] == 15
    again = run_ensemble(west, 2, seed=1, client=local_client, posterior=tmp_path / "post")
    assert again.posterior["matches_scenario"]
    with pytest.raises(cx.InputError):
        run_ensemble(east, 2, client=local_client, posterior=tmp_path)  # no posterior.csv there


def test_coverage_of_a_band_that_holds_a_known_share_of_the_observations(demo: Path) -> None:
    sc = cx.load_scenario(demo)
    days = sc.length
    q = np.zeros((5, days, len(sc.locations)))
    obs = sc.observed
    inside = 0
    for c, s in zip(obs.camps, obs.camp_series, strict=True):  # a band [v, v] on every other observed day
        for k, (t, v) in enumerate(zip(np.rint(s.days).astype(int), s.values, strict=True)):
            if k % 2 == 0 and 0 <= t < days:
                q[0, t, c] = q[-1, t, c] = v + 1.0  # just above the observation: outside
            elif 0 <= t < days:
                q[0, t, c], q[-1, t, c] = v - 1.0, v + 1.0
                inside += 1
    cov = coverage(sc, q, days)
    assert cov["points"] == 15 and cov["points_inside"] == inside == 6
    assert cov["share"] == pytest.approx(6 / 15)
