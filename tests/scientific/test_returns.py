"""Home attachment and returns (Flee #76, DFlee's "Returning home"): agents away from a home whose conflict has
ended go back with the daily chance ``return_home_chance``, counted as ``new_returns`` by home and in out.csv's
``returns (simulation)``; they stay home until their conflict starts again."""

from __future__ import annotations

import csv
import io

import numpy as np

# A's conflict lasts days 0-2 and starts again on day 6; everyone A spawns (conflict-driven, k per day) reaches
# the camp K the day it leaves (50 km) and stays there (camp move chance 0).
LOCS = [("A", "X", "conflict_zone", 1000), ("K", "Y", "camp", 0)]
ROUTES = [("A", "K", 50)]
CONFLICT = [1, 1, 1, 0, 0, 0, 1, 1]


def settings(k: float, chance: float) -> dict:
    return {"spawn_rules": {"conflict_driven_spawning": {"spawn_mode": "constant", "displaced_per_conflict_day": k}},
            "move_rules": {"camp_movechance": 0.0, "return_home_chance": chance}}


def test_everyone_goes_home_when_the_conflict_ends_by_hand(make_scenario, simulate):
    """Chance 1: 10 a day leave A on days 0-2 (30 in K); on day 3 A is a town again and all 30 go home; they stay
    there (A's town move chance 0.3 does not move them) until day 6, when A's conflict starts again: then they
    and day 6's 10 new agents flee to K (40), and day 7's 10 more (50). Nobody returns while A is at war."""
    sc = make_scenario(LOCS, ROUTES, length=8, conflicts={"A": CONFLICT}, settings=settings(10, 1.0))
    res = simulate(sc, seed=1)
    assert res.series["new_returns"][:, 0].tolist() == [0, 0, 0, 30, 0, 0, 0, 0]
    assert res.series["new_returns"][:, 1].sum() == 0
    assert res.series["n_present"][:, 0].tolist() == [0, 0, 0, 30, 30, 30, 0, 0]
    assert res.series["n_present"][:, 1].tolist() == [10, 20, 30, 0, 0, 0, 40, 50]
    rows = list(csv.DictReader(io.StringIO(res.flee_out_csv())))
    assert [int(r["returns (simulation)"]) for r in rows] == [0, 0, 0, 30, 0, 0, 0, 0]
    assert res.n_agents.tolist() == [10, 20, 30, 30, 30, 30, 40, 50], "returns remove nobody"


def test_a_daily_chance_empties_the_camp_geometrically(make_scenario, simulate):
    """Chance 0.5 with 3,000 away: expected returns 1,500, 750, 375 on days 3, 4, 5 (half of those still away),
    each within 6 binomial standard deviations."""
    sc = make_scenario(LOCS, ROUTES, length=6, conflicts={"A": CONFLICT[:6]}, settings=settings(1000, 0.5))
    got = simulate(sc, seed=2).series["new_returns"][:, 0]
    away = 3000
    for day in (3, 4, 5):
        expect = away * 0.5
        assert abs(int(got[day]) - expect) < 6 * np.sqrt(away * 0.25), (day, got)
        away -= int(got[day])


def test_off_by_default_records_nothing(make_scenario, simulate):
    sc = make_scenario(LOCS, ROUTES, length=4, conflicts={"A": CONFLICT[:4]}, total=[(0, 0), (2, 10)])
    res = simulate(sc, seed=1)
    assert "new_returns" not in res.series and "returns" not in res.flee_out_csv()


def test_flee_rule_sets_say_the_setting_is_no_flee_setting(make_scenario):
    from crossings.engine.models.flee.model import FleeModel

    sc = make_scenario(LOCS, ROUTES, length=4, conflicts={"A": CONFLICT[:4]}, settings=settings(10, 0.2))
    for rules in ("flee31", "flee32"):
        said = [n for n in FleeModel().notices(sc, rules) if "return_home_chance" in n]
        assert len(said) == 1 and "simsetting.yml:" in said[0] and "no Flee setting" in said[0], said
    assert not [n for n in FleeModel().notices(sc, "crossings") if "return_home_chance" in n]
