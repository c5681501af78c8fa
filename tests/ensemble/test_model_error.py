"""The model-error term of a Flee calibration and the predictive band it gives ensembles (issue 23, item 4):
coverage with a known error term worked by hand, the term's pooling and bins on hand-made residuals, the term
fitted only on the conflicts a calibration sees, read from posterior.json (and absent gracefully from an older
one), and the same figures on one and two workers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from ensemble_helpers import cli
from test_infer_flee import PARAMS, TINY
from test_infer_flee import conflicts as two_conflicts  # noqa: F401 - a fixture (west, east), by this name

import crossings as cx
from crossings.ensemble.ensemble import run_ensemble
from crossings.ensemble.infer_flee import add_model_error, fit_model_error, residuals, run_flee_abc
from crossings.ensemble.reduce import (
    ERROR_LEVELS,
    camp_points,
    error_bin,
    error_cdf,
    error_layout,
    predictive_coverage,
    size_of,
    weighted_quantiles,
)

FIT = {**TINY, "check_runs": 0}


def uniform_error(a: float, bins: list[list[float]] | None = None, widths: list[float] | None = None) -> dict:
    """An error term uniform on [-a, a] (one width per bin when ``widths`` is given): P(error <= x) = (x+a)/2a."""
    bins = bins or [[0.0, 1.0]]
    widths = widths or [a] * len(bins)
    levels = list(ERROR_LEVELS)
    return {"bins": bins, "levels": levels, "quantiles": [[(2 * p - 1) * w for p in levels] for w in widths],
            "conflicts": ["elsewhere"]}


def test_the_error_cdf_is_the_kept_quantiles_read_backwards() -> None:
    err = uniform_error(1.0)
    assert error_cdf(np.array([-2.0, -0.5, 0.0, 0.8, 3.0]), err["levels"], err["quantiles"][0]) == \
        pytest.approx([0.0, 0.25, 0.5, 0.9, 1.0])


def test_coverage_of_the_predictive_band_with_a_known_error_term(demo: Path) -> None:
    sc = cx.load_scenario(demo)
    days = sc.length
    t, j, v = camp_points(sc, days)
    assert v.size == 15
    a = 0.4
    # one member; the observed count at log-distance x from it: inside iff P(error <= x) = (x+a)/2a is in
    # [0.05, 0.95], i.e. |x| <= 0.9 a. Cycle through 0.5a (inside), 0.95a (above), -0.95a (below), -0.85a (inside)
    x = np.array([0.5, 0.95, -0.95, -0.85] * 4)[:15] * a
    member = (v + 1.0) * np.exp(-x) - 1.0
    cov = predictive_coverage(sc, member[None, :], uniform_error(a), days)
    assert cov["points"] == 15 and cov["points_inside"] == 7  # 4 at 0.5a and 3 at -0.85a
    assert cov["above"] == 4 and cov["below"] == 4 and cov["share"] == pytest.approx(7 / 15)
    # two members, one on the count (probability 0.5 below it) and one far above it (0): F = 0.25, inside;
    # with the second far below (1): F = 0.75, inside; both far above: F = 0, below
    on, far_above, far_below = v, (v + 1) * 100.0, (v + 1) / 100.0 - 1.0
    for m2, inside in ((far_above, 15), (far_below, 15)):
        assert predictive_coverage(sc, np.stack([on, m2]), uniform_error(a), days)["points_inside"] == inside
    assert predictive_coverage(sc, np.stack([far_above, far_above]), uniform_error(a), days)["below"] == 15
    # bins by the share of the duration elapsed: a member 0.3 below every count is inside with a width 1 in
    # the first half and outside with a width 0.2 in the second
    frac = t / (days - 1)
    two = uniform_error(1.0, bins=[[0.0, 0.5], [0.5, 1.0]], widths=[1.0, 0.2])
    cov = predictive_coverage(sc, ((v + 1.0) * np.exp(-0.3) - 1.0)[None, :], two, days)
    assert cov["points_inside"] == int((frac <= 0.5).sum()) and 0 < cov["points_inside"] < 15


def test_the_error_term_pools_conflicts_with_equal_weight_and_bins_only_with_enough_counts() -> None:
    # conflict A: three residuals 0; B: one residual 1. Weighted midpoints 1/12, 1/4, 5/12 (A), 3/4 (B): the
    # median is a quarter of the way from 0 to 1
    assert weighted_quantiles(np.array([0, 0, 0, 1.0]), np.array([1 / 3, 1 / 3, 1 / 3, 1]), [0.5]) == \
        pytest.approx([0.25])
    by = {"A": (np.zeros(3), np.array([0.1, 0.5, 0.9]), np.array([-1.0, -0.5, 0.0])),
          "B": (np.ones(1), np.array([0.6]), np.zeros(1))}
    err = fit_model_error(by, draws=2)
    assert err["bins"] == [[0.0, 1.0]] and err["size_edges"] == []  # 4 counts: too few for any split
    assert err["quantiles"][0][err["levels"].index(0.5)] == pytest.approx(0.25)
    assert err["conflicts"] == ["A", "B"] and err["by_conflict"]["A"]["points"] == 3
    rng = np.random.default_rng(0)
    f = np.repeat([0.1, 0.3, 0.6, 0.9], 40)
    wide = {"A": (rng.normal(0, 1, 160) * np.repeat([0.1, 0.1, 1.0, 1.0], 40), f, np.zeros(160))}
    err = fit_model_error(wide, draws=2, bins=4, size_bins=1)
    assert len(err["bins"]) == 4 and [b["points"] for b in err["summary"]] == [40, 40, 40, 40]
    q05 = [b["q05"] for b in err["summary"]]
    assert q05[0] > -0.3 > q05[3]  # the error grows with the duration elapsed, as the data do


def test_residuals_are_of_the_observed_count_against_the_draws_median(demo: Path) -> None:
    sc = cx.load_scenario(demo)
    days = sc.length
    t, j, v = camp_points(sc, days)
    sims = np.zeros((3, days, len(sc.observed.camps)))
    sims[1][t, j] = v  # the median of (0, v, 2v + 1) is v: residual 0
    sims[2][t, j] = 2 * v + 1
    r, frac, size = residuals(sc, sims)
    assert r == pytest.approx(np.zeros(15)) and frac == pytest.approx(t / (days - 1))
    # the size: log(median + 1) = log(v + 1) against the camp's largest over its points
    peak = {c: np.log(v[j == c] + 1).max() for c in set(j.tolist())}
    assert size == pytest.approx(np.log(v + 1) - np.array([peak[c] for c in j]))


def test_the_error_term_comes_from_the_fitted_conflicts_and_reaches_the_ensemble(
        two_conflicts: tuple[Path, Path], local_client, tmp_path: Path) -> None:  # noqa: F811 - the fixture
    west, east = two_conflicts
    res = run_flee_abc([west, east], PARAMS, 8, seed=3, client=local_client, holdout=["east"], error_runs=3,
                       **FIT)
    err = res.provenance["model_error"]
    assert err["conflicts"] == ["west"] and err["draws"] == 3 and err["by_conflict"]["west"]["points"] == 15
    res.write(tmp_path / "post")
    assert json.loads((tmp_path / "post" / "posterior.json").read_text())["model_error"] == err
    ens = run_ensemble(east, 4, seed=1, client=local_client, rules="crossings", posterior=tmp_path / "post")
    pred = ens.coverage["predictive"]
    assert pred["in_sample"] is False and pred["error_from"] == ["west"] and pred["points"] == 15
    assert pred["points_inside"] + pred["below"] + pred["above"] == 15
    head = ens.bands_summary()["coverage_predictive"]
    assert head["share"] == pred["share"] and ens.camp_fit()["coverage"]["share"] == ens.coverage["share"]
    assert run_ensemble(west, 2, seed=1, client=local_client, posterior=tmp_path / "post"
                        ).coverage["predictive"]["in_sample"] is True
    # the same figures from one worker (and bit for bit the same ensemble.json coverage)
    one = run_ensemble(east, 4, seed=1, workers=1, rules="crossings", posterior=tmp_path / "post")
    assert json.dumps(one.coverage, sort_keys=True) == json.dumps(ens.coverage, sort_keys=True)
    # an older posterior.json without the term: no predictive figure, and why; add_model_error gives it the
    # same term a fresh fit gets (the same draws)
    prov = json.loads((tmp_path / "post" / "posterior.json").read_text())
    del prov["model_error"]
    (tmp_path / "post" / "posterior.json").write_text(json.dumps(prov))
    old = run_ensemble(east, 2, seed=1, client=local_client, rules="crossings", posterior=tmp_path / "post")
    assert old.coverage["predictive"]["share"] is None and "model-error" in old.coverage["predictive"]["why"]
    assert old.camp_fit()["coverage_predictive"]["share"] is None
    assert add_model_error(tmp_path / "post", [west, east], 3, 3, client=local_client) == err
    none = run_ensemble(east, 2, seed=1, client=local_client, rules="crossings", posterior=False)
    assert "predictive" not in none.coverage and "coverage_predictive" not in none.camp_fit()


def test_the_command_refuses_a_single_error_run(two_conflicts: tuple[Path, Path],  # noqa: F811 - the fixture
                                                tmp_path: Path) -> None:
    west, east = two_conflicts
    assert cli(["calibrate-flee", str(west), str(east), "--budget", "8", "--error-runs", "1", "--out",
                str(tmp_path / "bad")]) == 2


def test_the_size_of_a_point_is_against_its_camps_simulated_peak() -> None:
    members = np.array([[9.0, 99.0, 0.0, 4.0], [9.0, 99.0, 2.0, 4.0], [9.0, 99.0, 4.0, 4.0]])
    camp = np.array([0, 0, 1, 1])  # medians 9, 99 (camp 0), 2, 4 (camp 1)
    assert size_of(members, camp) == pytest.approx([np.log(10 / 100), 0.0, np.log(3 / 5), 0.0])


def test_a_term_built_where_small_camps_err_more_gives_small_counts_wider_bands(demo: Path) -> None:
    # two conflicts whose residuals are wide (sd 1) while a camp is far below its peak and narrow (sd 0.05) near
    # it, whatever the conflict's scale: the term splits by size and keeps the widths apart
    rng = np.random.default_rng(1)
    n = 300
    by = {}
    for name in ("A", "B"):
        size = -rng.uniform(0, 4, n)
        r = rng.normal(0, 1, n) * np.where(size < -2, 1.0, 0.05)
        by[name] = (r, rng.uniform(0, 1, n), size)
    err = fit_model_error(by, draws=3, bins=1, size_bins=2)
    assert error_layout(err) == "elapsed x size" and len(err["size_edges"]) == 1
    assert err["size_edges"][0] == pytest.approx(-2.0, abs=0.3)
    small, large = err["summary"]
    assert small["q95"] - small["q05"] > 1.0 > 0.5 > large["q95"] - large["q05"]
    # the predictive band: one member 0.5 (in log) below every count: inside where the camp is far below its
    # simulated peak (wide error), outside near the peak (narrow error)
    sc = cx.load_scenario(demo)
    days = sc.length
    t, j, v = camp_points(sc, days)
    member = ((v + 1.0) * np.exp(-0.5) - 1.0)[None, :]
    rel = size_of(member, j)
    cov = predictive_coverage(sc, member, err, days)
    far = rel <= err["size_edges"][0]
    assert 0 < far.sum() < v.size and cov["error_layout"] == "elapsed x size"
    assert cov["points_inside"] == int(far.sum()) and cov["above"] == int((~far).sum())


def test_an_older_term_by_the_elapsed_share_alone_is_still_read(demo: Path) -> None:
    # posterior.json files made before the size layout: no size_edges, one quantile row per elapsed bin
    old = uniform_error(1.0, bins=[[0.0, 0.5], [0.5, 1.0]], widths=[1.0, 0.2])
    assert error_layout(old) == "elapsed"
    assert error_bin(old, np.array([0.1, 0.7])).tolist() == [0, 1]
    sc = cx.load_scenario(demo)
    cov = predictive_coverage(sc, np.ones((1, 15)), old, sc.length)
    assert cov["error_layout"] == "elapsed" and cov["points"] == 15
    new = {**old, "size_edges": [-1.0], "quantiles": old["quantiles"] * 2}
    with pytest.raises(ValueError, match="size"):
        error_bin(new, np.array([0.1]))
    # elapsed bin x 2 size bins + size bin: (0, small) 0, (0, large) 1, (1, small) 2, (1, large) 3
    assert error_bin(new, np.array([0.1, 0.1, 0.7, 0.7]), np.array([-2.0, 0.0, -2.0, 0.0])).tolist() == [0, 1, 2, 3]


def test_the_term_falls_back_to_fewer_cells_when_a_cell_is_short_of_counts() -> None:
    rng = np.random.default_rng(2)
    # 90 counts: 2 elapsed x 3 size cells of 15 are too few (30 each); 1 x 3 cells of 30 suffice
    by = {"A": (rng.normal(0, 1, 90), rng.uniform(0, 1, 90), -rng.uniform(0, 3, 90))}
    err = fit_model_error(by, draws=2, bins=2, size_bins=3)
    assert err["bins"] == [[0.0, 1.0]] and len(err["size_edges"]) == 2 and len(err["quantiles"]) == 3
    assert [c["points"] for c in err["summary"]] == [30, 30, 30]
