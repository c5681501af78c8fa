"""Real Flee data read as Flee reads it (issue 23, item 1): observation series with dates out of order or given
twice, every key of Flee 3.2's simsetting reference implemented or refused with a notice saying what it would
change, and the keys whose meaning differs between Flee 3.1 and 3.2 chosen by ``--rules``, never in silence."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from _cli import crossings

import crossings as cx
from crossings import api
from crossings.params.flee import _ACCEPTED, _ANY, for_rules

LOCS = [("A", "X", "conflict_zone", 1000), ("T", "X", "town", 500), ("B", "Y", "camp", 0)]
ROUTES = [("A", "T", 50), ("T", "B", 100)]
START = "2020-01-01"  # the start date of conftest's scenarios


def write(scenario_dir, **kw) -> Path:
    kw.setdefault("camps", {"B": [(0, 10), (5, 20), (9, 40)]})
    kw.setdefault("total", [(0, 10), (9, 400)])
    kw.setdefault("length", 10)
    return scenario_dir(LOCS, ROUTES, **kw)


def run_cli(root: Path, tmp_path: Path, *extra: str) -> tuple[str, dict, str]:
    """Run ``crossings run`` on ``root``; (stderr, summary.json, out.csv text)."""
    out = tmp_path / f"out-{root.name}-{'-'.join(extra) or 'default'}"
    proc = crossings("run", str(root), "--out", str(out), "--no-report", "--seed", "1", *extra, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    return proc.stderr, summary, (out / "out.csv").read_text()


def notices(stderr: str, word: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.startswith("notice:") and word in ln]


# ---- observation series ------------------------------------------------------------------------------------

def test_camp_series_out_of_order_is_sorted_with_a_notice(scenario_dir, tmp_path):
    sorted_root = write(scenario_dir)
    root = write(scenario_dir)
    # the same rows as the sorted file, the 2020-01-06 row moved after 2020-01-10 (line 4 is the first offender)
    (root / "source_data" / "camp0.csv").write_text("Date,Count\n2020-01-01,10\n2020-01-10,40\n2020-01-06,20\n")
    err, summary, out = run_cli(root, tmp_path)
    got = notices(err, "camp0.csv")
    assert len(got) == 1, f"expected one notice about camp0.csv, got:\n{err}"
    assert "camp0.csv:4:" in got[0] and "order" in got[0] and "sorted" in got[0], got[0]
    assert any("camp0.csv:4:" in n for n in summary["notices"]), f"summary.json must keep it: {summary.get('notices')}"
    _, _, out_sorted = run_cli(sorted_root, tmp_path)
    assert out == out_sorted, "a file out of order must run exactly as the same rows sorted by date"


def test_total_series_out_of_order_is_sorted_with_a_notice(scenario_dir, tmp_path):
    root = write(scenario_dir, total=[(0, 10), (3, 100), (9, 400)])
    (root / "source_data" / "refugees.csv").write_text("Date,Count\n2020-01-04,100\n2020-01-01,10\n"
                                                       "2020-01-10,400\n")
    sc = cx.load_scenario(root)
    got = [n for n in sc.notices if "refugees.csv" in n]
    assert len(got) == 1 and "refugees.csv:3:" in got[0], f"expected a notice naming line 3, got {sc.notices}"
    assert sc.observed.total.days.tolist() == [0, 3, 9], sc.observed.total.days
    assert sc.observed.total_by_day(10).tolist() == [10, 40, 70, 100, 150, 200, 250, 300, 350, 400]


def test_a_date_given_twice_is_read_as_flee_reads_it(scenario_dir, tmp_path):
    root = write(scenario_dir)
    # 2020-01-06 (day 5) twice: 20, then 60
    (root / "source_data" / "camp0.csv").write_text("Date,Count\n2020-01-01,10\n2020-01-06,20\n2020-01-06,60\n"
                                                    "2020-01-10,40\n")
    err, summary, out = run_cli(root, tmp_path)
    got = notices(err, "camp0.csv")
    assert len(got) == 1 and "camp0.csv:4:" in got[0] and "line 3" in got[0], f"expected one notice, got:\n{err}"
    assert any("camp0.csv:4:" in n for n in summary["notices"])
    # By hand, Flee's reader (get_interpolated_data): days 1-4 on the line 10 -> 20 (the first row of day 5),
    # day 5 itself and after on the line from the last row, 60 -> 40 by day 9.
    expected = [10, 12, 14, 16, 18, 60, 55, 50, 45, 40]
    data = [int(row.split(",")[3]) for row in out.splitlines()[1:]]
    assert data == expected, f"B data: expected {expected}, got {data}"


def test_clean_series_give_no_notice(scenario_dir, tmp_path):
    err, summary, _ = run_cli(write(scenario_dir), tmp_path)
    assert not notices(err, ".csv"), err
    assert "notices" not in summary, summary.get("notices")


# ---- simsetting keys: implemented, or refused with what they would change ----------------------------------

REFUSED = [(section, key, harmless) for (section, key), (harmless, _) in _ACCEPTED.items() if harmless is not None]


def _value_that_matters(harmless):
    if harmless is _ANY:
        return 2.0
    if isinstance(harmless, bool):
        return not harmless
    return 7


@pytest.mark.parametrize("section,key,harmless", REFUSED, ids=[f"{s or 'top'}.{k}" for s, k, _ in REFUSED])
def test_each_refused_key_says_what_it_would_change(scenario_dir, section, key, harmless):
    value = _value_that_matters(harmless)
    text = f"{section}:\n  {key}: {json.dumps(value)}\n" if section else f"{key}: {json.dumps(value)}\n"
    sc = cx.load_scenario(write(scenario_dir, simsetting_text=text))
    got = [n for n in sc.notices if key in n]
    assert len(got) == 1, f"expected one notice for {key}, got {sc.notices}"
    assert "simsetting.yml:" in got[0] and "not implemented" in got[0] and "Flee would " in got[0], got[0]
    assert len(got[0].split("Flee would ")[1]) > 15, f"the notice must say what the key would change: {got[0]}"


@pytest.mark.parametrize("section,key,harmless", [r for r in REFUSED if r[2] is not _ANY])
def test_refused_key_at_its_harmless_value_is_silent(scenario_dir, section, key, harmless):
    text = f"{section}:\n  {key}: {json.dumps(harmless)}\n" if section else f"{key}: {json.dumps(harmless)}\n"
    sc = cx.load_scenario(write(scenario_dir, simsetting_text=text))
    assert not [n for n in sc.notices if key in n], sc.notices


# The keys of FabFlee's validation sweep the issue names, and the suite's values of flee-model.md §1.10: all read
SWEEP = {
    "spawn_rules": {"take_from_population": False, "insert_day0": True, "sum_from_camps": True,
                    "conflict_spawn_decay": [1.0, 1.0, 1.0, 0.5, 0.1], "conflict_spawn_decay_interval": 30},
    "move_rules": {"max_walk_speed": 35.0, "conflict_weight": 0.25, "foreign_weight": 1.0, "weight_power": 1.0,
                   "awareness_level": 1, "capacity_scaling": 1.25, "max_move_speed": 400.0, "softening": 50.0,
                   "distance_power": 0.75, "default_movechance": 0.5, "avoid_short_stints": True},
    "log_levels": {"camp": 0, "conflict": 0, "init": 0, "granularity": "location"},
}


def test_the_sweep_settings_are_all_read(scenario_dir):
    sc = cx.load_scenario(write(scenario_dir, settings=SWEEP))
    assert not [n for n in sc.notices if "simsetting.yml" in n], f"no sweep key is refused: {sc.notices}"
    s = sc.settings
    assert (s.capacity_scaling, s.sum_from_camps, s.max_move_speed, s.softening, s.distance_power) == \
        (1.25, True, 400.0, 50.0, 0.75)


# ---- keys whose meaning differs between Flee 3.1 and 3.2 -----------------------------------------------------

def test_flee32_only_keys_under_flee31_are_ignored_with_a_notice(scenario_dir, tmp_path):
    text = "move_rules:\n  camp_weight: 2.0\n  capacity_scaling: 1.5\nspawn_rules:\n  sum_from_camps: True\n"
    root = write(scenario_dir, simsetting_text=text)
    err, summary, out31 = run_cli(root, tmp_path, "--rules", "flee31")
    for key, line in (("capacity_scaling", 3), ("sum_from_camps", 5)):
        got = notices(err, f": {key}:")
        assert len(got) == 1 and f"simsetting.yml:{line}:" in got[0], f"expected a notice for {key}:\n{err}"
        assert "Flee 3.2" in got[0] and "flee31 ignores" in got[0], got[0]
        assert any(f": {key}:" in n for n in summary["notices"]), summary.get("notices")
    assert summary["settings_meaning"] == {"rules": "flee31", "version": "Flee 3.1", "sum_from_camps": False,
                                           "capacity_scaling": 1.0}
    _, plain, out_plain = run_cli(write(scenario_dir, simsetting_text="move_rules:\n  camp_weight: 2.0\n"),
                                  tmp_path, "--rules", "flee31")
    assert out31 == out_plain, "under flee31 the two 3.2-only keys must change nothing (as in Flee 3.1)"


def test_flee32_applies_them_and_says_so(scenario_dir, tmp_path):
    text = "move_rules:\n  capacity_scaling: 1.5\n"
    err, summary, _ = run_cli(write(scenario_dir, simsetting_text=text), tmp_path, "--rules", "flee32")
    assert not notices(err, "capacity_scaling"), err
    assert summary["rules"] == "flee32"
    assert summary["settings_meaning"] == {"rules": "flee32", "version": "Flee 3.2", "sum_from_camps": True,
                                           "capacity_scaling": 1.5}


def test_sum_from_camps_defaults_by_rule_set(scenario_dir):
    s = cx.load_scenario(write(scenario_dir)).settings
    assert s.sum_from_camps is None, "unset in the file: the rule set decides"
    assert [for_rules(s, r)[0].sum_from_camps for r in ("flee31", "flee32", "crossings")] == [False, True, False]
    off = cx.load_scenario(write(scenario_dir, settings={"spawn_rules": {"sum_from_camps": False}})).settings
    assert for_rules(off, "flee32")[0].sum_from_camps is False, "flee32 honours an explicit False"


def test_decay_interval_under_flee31_is_applied_with_a_notice(scenario_dir):
    s = cx.load_scenario(write(scenario_dir, settings={"spawn_rules": {"conflict_spawn_decay_interval": 10}})).settings
    used, notes = for_rules(s, "flee31")
    assert used.conflict_spawn_decay_interval == 10
    assert len(notes) == 1 and "conflict_spawn_decay_interval" in notes[0] and "30" in notes[0], notes
    assert for_rules(s, "flee32")[1] == ()


def test_sum_from_camps_must_be_true_or_false(scenario_dir):
    with pytest.raises(cx.InputError) as info:
        cx.load_scenario(write(scenario_dir, simsetting_text="spawn_rules:\n  sum_from_camps: maybe\n"))
    assert info.value.line == 2 and "sum_from_camps" in info.value.field


def test_converted_scenario_keeps_the_unset_default(scenario_dir, tmp_path):
    sc = cx.load_scenario(write(scenario_dir, settings={"move_rules": {"capacity_scaling": 1.25}}))
    back = cx.load_scenario(api.convert(sc.path, tmp_path / "native"))
    assert back.settings.sum_from_camps is None and back.settings.capacity_scaling == 1.25
    a = cx.Simulation(sc, seed=2, rules="flee32").run()
    b = cx.Simulation(back, seed=2, rules="flee32").run()
    assert np.array_equal(a.n_agents, b.n_agents)


def test_raw_count_column_follows_the_camp_sum_under_sum_from_camps(scenario_dir, tmp_path):
    """out.csv's "raw UNHCR refugee count": T(0) + Σ_c D_c(t) with sum_from_camps (Flee 3.2), T(t) without."""
    root = write(scenario_dir)
    camp = [10, 12, 14, 16, 18, 20, 25, 30, 35, 40]  # B: 10 -> 20 by day 5, -> 40 by day 9
    total = [int(10 + t * 390 / 9) for t in range(10)]
    for rules, expected in (("flee32", [10 + b for b in camp]), ("flee31", total)):
        _, _, out = run_cli(root, tmp_path, "--rules", rules)
        head, *rows = [r.split(",") for r in out.splitlines()]
        col = head.index("raw UNHCR refugee count")
        assert [int(r[col]) for r in rows] == expected, rules
