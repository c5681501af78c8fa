"""Members and reductions without a cluster: purity, seed spawning, parameter parsing, the ARD on part of
the data, coverage, and quantiles kept on disk equal to those kept in memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import crossings as cx
from crossings.ensemble.calibrate import parse_holdout, training_mask
from crossings.ensemble.member import member_seeds, parse_param, run_member, run_seed, with_params
from crossings.ensemble.reduce import Stack, coverage, masked_ard
from crossings.observed.metrics import mean_ard


def test_a_member_is_a_pure_function_of_scenario_params_and_seed(demo: Path) -> None:
    sc = cx.load_scenario(demo)
    a = run_member(demo, {"camp_weight": 2.5}, 17, days=25)
    b = run_member(sc, {"camp_weight": 2.5}, 17, days=25)
    c = run_member(sc, {"camp_weight": 2.5}, 18, days=25)
    assert a.series.keys() == b.series.keys()
    assert all(np.array_equal(a.series[k], b.series[k]) for k in a.series)
    assert a.ard == b.ard and a.params == {"camp_weight": 2.5}
    assert not np.array_equal(a.series["n_present"], c.series["n_present"])
    assert sc.settings.camp_weight == 2.0  # the scenario given is not changed
    direct = cx.run(with_params(sc, {"camp_weight": 2.5}), seed=17, days=25)
    assert np.array_equal(direct.series["new_arrivals"], a.series["new_arrivals"])
    assert np.array_equal(a.camp_sim, direct.camp_sim())
    lean = run_member(sc, {}, 3, days=5, keep_series=False, outputs=("agents_final", "n_present@Camp_South"))
    assert lean.series is None and set(lean.outputs) == {"agents_final", "n_present@Camp_South"}


def test_member_seeds_come_from_one_seed_sequence() -> None:
    a = [run_seed(s) for s in member_seeds(42, 50)]
    assert a == [run_seed(s) for s in member_seeds(42, 50)]
    assert a[:10] == [run_seed(s) for s in member_seeds(42, 10)]  # member i's seed does not depend on N
    assert len(set(a)) == 50 and all(0 <= s < 2**63 for s in a)
    assert a[0] != run_seed(member_seeds(43, 1)[0])
    with pytest.raises(cx.InputError):
        member_seeds(-1, 3)


@pytest.mark.parametrize("text, problem", [
    ("nonsense", "expected NAME"), ("camp_wieght=1:2", "did you mean 'camp_weight'"),
    ("camp_weight=a:2", "not a number"), ("conflict_movechance=0.5:1.5", "outside the allowed range"),
    ("camp_weight=3:1", "empty"), ("avoid_short_stints=0:1", "not a numeric setting"),
    ("hasten=1:4", "not a numeric setting"),
])
def test_bad_params_are_input_errors(text: str, problem: str) -> None:
    with pytest.raises(cx.InputError, match=problem):
        parse_param(text, need_range=True)


def test_params_parse_to_fixed_values_and_ranges() -> None:
    p = parse_param("awareness_level=1:3")
    assert (p.low, p.high, p.fixed, p.kind) == (1.0, 3.0, False, "int")
    assert p.value(0.0) == 1 and p.value(0.6) == 2 and isinstance(p.value(0.6), int)
    assert parse_param("camp_weight=2").fixed


def test_masked_ard_is_flees_ard_on_the_cells_kept() -> None:
    rng = np.random.default_rng(0)
    sim, data = rng.integers(0, 500, (30, 4)), rng.integers(1, 500, (30, 4))
    full = np.ones(sim.shape, bool)
    for rescaled in (True, False):
        assert masked_ard(sim, data, full, rescaled) == pytest.approx(mean_ard(sim, data, rescaled))
        cols = full.copy()
        cols[:, 1] = False
        keep = [0, 2, 3]
        assert masked_ard(sim, data, cols, rescaled) == pytest.approx(mean_ard(sim[:, keep], data[:, keep], rescaled))
        rows = full.copy()
        rows[20:] = False
        assert masked_ard(sim, data, rows, rescaled) == pytest.approx(mean_ard(sim[:20], data[:20], rescaled))


def test_holdout_rules(demo: Path) -> None:
    sc = cx.load_scenario(demo)
    m = training_mask(sc, 40, [parse_holdout("camps=Camp_West", sc), parse_holdout("after=2020-03-31", sc)])
    assert m.shape == (40, 3) and not m[:, 2].any() and m[:30, :2].all() and not m[30:].any()
    assert not training_mask(sc, 40, [parse_holdout("after=10", sc)])[10:].any()
    for bad in ("camps=Camp_North,Camp_South,Camp_West", "after=2019-01-01", "after=tomorrow", "before=3",
                "camps="):
        with pytest.raises(cx.InputError):
            parse_holdout(bad, sc)


def test_coverage_counts_observations_inside_the_band(demo: Path) -> None:
    sc = cx.load_scenario(demo)
    days = sc.length
    q = np.zeros((5, days, len(sc.locations)))
    q[-1] = 1e9  # a band holding everything
    cov = coverage(sc, q, days)
    assert cov["share"] == 1.0 and cov["points"] == 15 and cov["daily_share"] == 1.0
    q[-1] = 0.0  # a band [0, 0]: only the zero observations are inside
    cov = coverage(sc, q, days)
    zeros = sum(int((s.values == 0).sum()) for s in sc.observed.camp_series)
    assert cov["points_inside"] == zeros and cov["camps"]["Camp_West"]["points_inside"] == 2


def test_quantiles_on_disk_equal_those_in_memory(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    data = rng.integers(0, 1000, (7, 9, 5))
    mem = Stack(7, {"x": (9, 5)})
    disk = Stack(7, {"x": (9, 5)}, tmpdir=tmp_path, in_memory_limit=0)
    for i in (3, 0, 6, 1, 5, 2, 4):  # members arrive in any order
        mem.put(i, {"x": data[i]})
        disk.put(i, {"x": data[i]})
    assert isinstance(disk.arrays["x"], np.memmap)
    qm, mm = mem.reduce("x")
    qd, md = disk.reduce("x")
    assert np.array_equal(qm, qd) and np.array_equal(mm, md)
    assert np.array_equal(qm, np.quantile(data.astype(float), [0.05, 0.25, 0.5, 0.75, 0.95], axis=0))
    disk.close()
    assert not list(tmp_path.iterdir())
    incomplete = Stack(2, {"x": (1, 1)})
    incomplete.put(0, {"x": np.zeros((1, 1))})
    with pytest.raises(RuntimeError, match="members missing"):
        incomplete.reduce("x")
