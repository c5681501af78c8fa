"""The calibrated defaults of ``--rules crossings`` (issue 23, item 3): the six settings of the packaged posterior's
medians replace a scenario's own, with a notice and their provenance in summary.json; a parameter keeps its value;
``--rules fixes`` is the same rules with the scenario's settings (the previous ``--rules crossings``)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from _cli import crossings

import crossings as cx
from crossings.ensemble.member import with_params
from crossings.params.flee import CALIBRATED_DIR, calibrated_defaults, for_rules

REPO = Path(__file__).resolve().parents[2]
SIX = ("camp_weight", "conflict_weight", "default_movechance", "distance_power", "max_move_speed", "softening")
LOCS = [("A", "X", "conflict_zone", 1000), ("T", "X", "town", 500), ("B", "Y", "camp", 0), ("C", "Y", "camp", 0)]
ROUTES = [("A", "T", 50), ("T", "B", 100), ("A", "C", 400)]


def write(scenario_dir) -> Path:
    """A small conflict whose simsetting.yml sets the six keys to values far from the calibrated ones."""
    return scenario_dir(LOCS, ROUTES, camps={"B": [(0, 10), (9, 300)], "C": [(0, 0), (9, 100)]},
                        total=[(0, 10), (9, 400)], length=10,
                        settings={"move_rules": {"camp_weight": 1.0, "conflict_weight": 0.25, "max_move_speed": 200.0,
                                                 "default_movechance": 0.3, "distance_power": 1.0, "softening": 10.0}})


def medians() -> dict[str, float]:
    return json.loads((CALIBRATED_DIR / "posterior.json").read_text())["simsetting_of_medians"]["move_rules"]


def test_the_packaged_posterior_is_the_calibration_kept_in_the_repository():
    for name in ("posterior.json", "posterior.csv"):
        assert (CALIBRATED_DIR / name).read_bytes() == (REPO / "calibration" / "flee" / name).read_bytes(), (
            f"src/crossings/params/calibrated/{name} differs from calibration/flee/{name}: copy the new fit")


def test_the_defaults_are_the_six_posterior_medians():
    cal = calibrated_defaults()
    prov = json.loads((CALIBRATED_DIR / "posterior.json").read_text())
    assert sorted(dict(cal.values)) == sorted(SIX) == sorted(prov["posterior"])
    for k, v in cal.values:
        assert v == medians()[k] and v == pytest.approx(prov["posterior"][k]["q50"], abs=1e-6), k
    assert cal.sha256 == hashlib.sha256((CALIBRATED_DIR / "posterior.json").read_bytes()).hexdigest()


def test_a_crossings_run_uses_them_says_so_and_records_where_they_came_from(scenario_dir, tmp_path):
    root = write(scenario_dir)
    out = tmp_path / "out"
    proc = crossings("run", str(root), "--rules", "crossings", "--out", str(out), "--no-report", "--seed", "1",
                     cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if "calibrated defaults" in ln]
    assert len(lines) == 1 and lines[0].startswith("notice: --rules crossings:"), proc.stderr
    m = medians()
    old = {"camp_weight": 1, "conflict_weight": 0.25, "max_move_speed": 200, "default_movechance": 0.3,
           "distance_power": 1, "softening": 10}
    for k in SIX:
        assert f"{k} {old[k]:g} -> {m[k]:g}" in lines[0], (k, lines[0])
    assert "calibration/flee/posterior.json" in lines[0] and "--rules fixes" in lines[0]
    summary = json.loads((out / "summary.json").read_text())
    rec = summary["rules_defaults"]
    assert rec["source"] == "calibration/flee/posterior.json"
    assert rec["sha256"] == hashlib.sha256((CALIBRATED_DIR / "posterior.json").read_bytes()).hexdigest()
    assert rec["values"] == m and rec["replaced"] == {k: [float(old[k]), m[k]] for k in SIX}
    assert lines[0].removeprefix("notice: ") in summary["notices"]
    # the values the run actually used (its settings after the rule set's defaults)
    sim = cx.Simulation(cx.load_scenario(root), seed=1, rules="crossings")
    sim.run()
    assert {k: getattr(sim.settings, k) for k in SIX} == m
    assert sim.settings.capacity_buffer == cx.load_scenario(root).settings.capacity_buffer, "only the six change"


@pytest.mark.parametrize("rules", ["flee31", "flee32", "fixes"])
def test_the_other_rule_sets_keep_the_scenarios_values_and_say_nothing(scenario_dir, rules):
    sc = cx.load_scenario(write(scenario_dir))
    sim = cx.Simulation(sc, seed=1, rules=rules)
    res = sim.run()
    assert "rules_defaults" not in res.meta
    assert not any("calibrated" in n for n in res.meta.get("notices", []))
    assert sim.settings.camp_weight == 1.0 and sim.settings.max_move_speed == 200.0


def test_crossings_is_fixes_with_the_medians_as_the_scenarios_values(flee_data):
    sc = cx.load_scenario(flee_data("mali2012"))
    calibrated = cx.Simulation(sc, seed=3, rules="crossings").run()
    by_hand = cx.Simulation(dataclasses.replace(sc, settings=sc.settings.replace(**medians())), seed=3,
                            rules="fixes").run()
    plain = cx.Simulation(sc, seed=3, rules="fixes").run()
    for name in ("n_present", "new_spawned", "n_on_link"):
        assert np.array_equal(calibrated.series[name], by_hand.series[name]), name
    assert not np.array_equal(calibrated.series["n_present"], plain.series["n_present"]), (
        "the calibrated values must change a run of mali2012 (its own camp_weight is 5, max_move_speed 200)")


def test_a_parameter_keeps_its_value_under_crossings(scenario_dir):
    sc = with_params(cx.load_scenario(write(scenario_dir)), {"camp_weight": 1.5, "softening": 3.0})
    used, notes = for_rules(sc.settings, "crossings")
    m = medians()
    assert used.camp_weight == 1.5 and used.softening == 3.0
    assert all(getattr(used, k) == m[k] for k in SIX if k not in ("camp_weight", "softening"))
    assert len(notes) == 1 and "camp_weight" not in notes[0] and "softening" not in notes[0], notes
    rec = calibrated_defaults().record(sc.settings)
    assert rec["kept_as_set_by_a_parameter"] == ["camp_weight", "softening"]
    assert sorted(rec["replaced"]) == sorted(set(SIX) - {"camp_weight", "softening"})
    # a member drawn with all six set runs exactly as the bug-fixed rules with those values
    draw = {"camp_weight": 2.0, "conflict_weight": 0.5, "default_movechance": 0.4, "distance_power": 0.8,
            "max_move_speed": 300.0, "softening": 20.0}
    one = with_params(cx.load_scenario(write(scenario_dir)), draw)
    a = cx.Simulation(one, seed=2, rules="crossings").run()
    b = cx.Simulation(one, seed=2, rules="fixes").run()
    assert np.array_equal(a.series["n_present"], b.series["n_present"])
    assert a.meta["rules_defaults"]["replaced"] == {}


def test_every_six_replaced_in_a_native_flee_scenario_too(scenario_dir, tmp_path):
    root = write(scenario_dir)
    native = tmp_path / "native"
    assert crossings("convert", str(root), str(native), cwd=tmp_path).returncode == 0
    sc = cx.load_scenario(native)
    assert sc.default_rules == "flee31", "a converted Flee scenario keeps Flee 3.1's rules"
    assert {k: getattr(for_rules(sc.settings, "crossings")[0], k) for k in SIX} == medians()
