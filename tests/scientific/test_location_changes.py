"""Location types that change over time (location_changes.csv, Flee #105): on its day a town becomes a conflict
zone (spawning and decaying from that day) or an IDP camp (its agents then count as IDPs)."""

from __future__ import annotations

import numpy as np

import crossings as cx

# A flees only to the town T (50 km, arriving the day it leaves); nobody leaves T (move chances 0).
LOCS = [("A", "X", "conflict_zone", 1000), ("T", "X", "town", 500), ("K", "Y", "camp", 0)]
ROUTES = [("A", "T", 50), ("T", "K", 400)]
CONSTANT = {"conflict_driven_spawning": {"spawn_mode": "constant", "displaced_per_conflict_day": 10}}


def with_changes(root, rows: str):
    (root / "input_csv" / "location_changes.csv").write_text("#name,location_type,day\n" + rows)
    return cx.load_scenario(root)


def test_a_town_becomes_a_conflict_zone_on_its_day(scenario_dir, simulate):
    """T becomes a conflict zone on day 3 (given as a date): k = 10, decay [1, 0.5] in 2-day bins from its own
    onset: T spawns 10 on days 3-4 and 5 from day 5 on; A (onset day 0) 10, 10, then 5."""
    root = scenario_dir(LOCS, ROUTES, length=8, settings={"spawn_rules": {
        **CONSTANT, "conflict_spawn_decay": [1.0, 0.5], "conflict_spawn_decay_interval": 2}})
    sc = with_changes(root, "T,conflict_zone,2020-01-04\n")
    got = simulate(sc, seed=1).series["new_spawned"]
    assert got[:, 0].tolist() == [10, 10, 5, 5, 5, 5, 5, 5]
    assert got[:, 1].tolist() == [0, 0, 0, 10, 10, 5, 5, 5]


def test_a_town_becomes_an_idp_camp(scenario_dir, simulate):
    """T (a town) is an IDP camp from day 2 and a town again from day 4: everyone from A (10 a day) is in T, so
    n_idps at T = 0, 0, 30, 40, 0, 0 (present while it is an IDP camp)."""
    root = scenario_dir(LOCS, ROUTES, length=6, settings={
        "spawn_rules": CONSTANT, "move_rules": {"default_movechance": 0.0, "idpcamp_movechance": 0.0}})
    sc = with_changes(root, "T,idpcamp,2\nT,town,4\n")
    res = simulate(sc, seed=1)
    assert res.series["n_present"][:, 1].tolist() == [10, 20, 30, 40, 50, 60]
    assert res.series["n_idps"][:, 1].tolist() == [0, 0, 30, 40, 0, 0]
    assert np.delete(res.series["n_idps"], 1, axis=1).sum() == 0


def test_a_camp_made_an_idp_camp_counts_its_data_as_idps(scenario_dir, simulate):
    """K (a camp with data 40 then 60 from day 2) is an IDP camp from day 2: out.csv's IDPs in camps (data) is
    0, 0, 60, 60; its agents count as IDPs from that day (the 40 of day 0 stay: move chances 0)."""
    root = scenario_dir(LOCS, ROUTES, length=4, total=[(0, 40)], camps={"K": [(0, 40), (2, 60), (3, 60)]},
                        settings={"move_rules": {"camp_movechance": 0.0, "idpcamp_movechance": 0.0}})
    res = simulate(with_changes(root, "K,idpcamp,2\n"), seed=1)
    rows = res.flee_out_csv().splitlines()
    head = rows[0].split(",")
    data = [int(r.split(",")[head.index("IDPs in camps (data)")]) for r in rows[1:]]
    idps = [int(r.split(",")[head.index("total IDPs")]) for r in rows[1:]]
    assert data == [0, 0, 60, 60] and idps == [0, 0, 40, 40], (data, idps)


def test_without_the_file_nothing_changes(scenario_dir):
    sc = cx.load_scenario(scenario_dir(LOCS, ROUTES, length=3))
    assert sc.location_changes == ()


def test_flee31_says_it_applies_a_file_flee_31_ignores(scenario_dir):
    from crossings.engine.models.flee.model import FleeModel

    sc = with_changes(scenario_dir(LOCS, ROUTES, length=3), "T,camp,1\n")
    said = [n for n in FleeModel().notices(sc, "flee31") if "location_changes.csv" in n]
    assert len(said) == 1 and said[0].endswith("crossings applies it under every rule set"), said
    assert not [n for n in FleeModel().notices(sc, "flee32") if "location_changes.csv" in n]
