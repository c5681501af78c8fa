"""IDP camps as their own location type (Flee #60): ``idpcamp`` in locations.csv's location_type, with the IDP
totals apart — out.csv's ``total IDPs`` (Flee's log_levels.idp_totals column) and ``IDPs in camps (data)``, and
the ``n_idps`` column of locations.parquet — while the refugee columns keep Flee 3.1's meaning and bytes."""

from __future__ import annotations

import csv
import io

import numpy as np

import crossings as cx

# A (intensity 1) flees only to the IDP camp I at home; B (intensity 2) only to the camp K abroad. Conflict-driven
# spawning (constant, k = 10) makes the counts exact: 10 a day from A, 20 a day from B, each arriving the day it
# leaves (50 km < 200 km/day); nobody leaves a camp (move chances 0).
LOCS = [("A", "X", "conflict_zone", 100), ("B", "X", "conflict_zone", 100), ("I", "X", "idpcamp", 0),
        ("K", "Y", "camp", 0)]
ROUTES = [("A", "I", 50), ("B", "K", 50)]
SETTINGS = {"spawn_rules": {"conflict_driven_spawning": {"spawn_mode": "constant", "displaced_per_conflict_day": 10}},
            "move_rules": {"camp_movechance": 0.0, "idpcamp_movechance": 0.0}}


def out_rows(res) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(res.flee_out_csv())))


def test_idp_totals_apart_by_hand(make_scenario, simulate):
    """Day t: total IDPs = 12 (I's day-0 data) + 10 (t + 1); refugees in camps (simulation) = all camp agents,
    12 + 30 + 30 (t + 1), as Flee 3.1 counts them; IDPs in camps (data) = I's series (12, then 20 from day 4)."""
    days = 6
    sc = make_scenario(LOCS, ROUTES, length=days, conflicts={"A": [1.0] * days, "B": [2.0] * days},
                       total=[(0, 42)], camps={"I": [(0, 12), (4, 20)], "K": [(0, 30)]}, settings=SETTINGS)
    res = simulate(sc, seed=1)
    rows = out_rows(res)
    assert [int(r["total IDPs"]) for r in rows] == [12 + 10 * (t + 1) for t in range(days)]
    assert [int(r["IDPs in camps (data)"]) for r in rows] == [12, 14, 16, 18, 20, 20]
    assert [int(r["refugees in camps (simulation)"]) for r in rows] == [42 + 30 * (t + 1) for t in range(days)]
    assert [int(r["I sim"]) for r in rows] == [12 + 10 * (t + 1) for t in range(days)]
    table = res.location_table()
    assert "n_idps" in table
    n_idps = np.asarray(table["n_idps"]).reshape(days, -1)
    assert n_idps[:, 2].tolist() == [12 + 10 * (t + 1) for t in range(days)] and n_idps[:, [0, 1, 3]].sum() == 0


def test_idp_columns_survive_a_write_and_read(tmp_path, make_scenario):
    days = 3
    sc = make_scenario(LOCS, ROUTES, length=days, conflicts={"A": [1.0] * days, "B": [2.0] * days},
                       total=[(0, 0)], settings=SETTINGS)
    res = cx.run(sc, seed=1)
    res.write(tmp_path / "run")
    back = cx.read_run(tmp_path / "run")
    assert back.series["n_idps"][:, 2].tolist() == [10, 20, 30]


def test_without_idp_camps_out_csv_keeps_flee_31_columns(make_scenario, simulate):
    locs = [("A", "X", "conflict_zone", 100), ("K", "Y", "camp", 0)]
    sc = make_scenario(locs, [("A", "K", 50)], length=3, total=[(0, 0), (2, 10)])
    res = simulate(sc, seed=1)
    head = res.flee_out_csv().splitlines()[0].split(",")
    assert head[-6:] == ["Total error", "refugees in camps (UNHCR)", "total refugees (simulation)",
                         "raw UNHCR refugee count", "refugees in camps (simulation)", "refugee_debt"]
    assert "n_idps" not in res.series


def test_log_levels_idp_totals_adds_the_column_without_an_idp_camp(make_scenario, simulate):
    locs = [("A", "X", "conflict_zone", 100), ("K", "Y", "camp", 0)]
    sc = make_scenario(locs, [("A", "K", 50)], length=3, total=[(0, 0), (2, 10)],
                       settings={"log_levels": {"idp_totals": 1}})
    rows = out_rows(simulate(sc, seed=1))
    assert [r["total IDPs"] for r in rows] == ["0", "0", "0"]
