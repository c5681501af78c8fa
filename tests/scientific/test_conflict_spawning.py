"""Conflict-driven spawning with decay (Flee issues #69 and #88, flee-model.md §1.3): per conflict zone and day
int(k × intensity × decay(days since onset)) agents (``constant``), × population (``pop_ratio``) or a Poisson
draw of that mean (``poisson``); nobody spawns where the conflict has ended; off, Flee 3.1's data-driven spawning."""

from __future__ import annotations

import numpy as np
import pytest

from crossings.errors import InputError
from crossings.params.flee import read_simsetting

# A: conflict from day 0 at intensity 1; B: a town until conflicts.csv starts its conflict on day 3 at intensity 2,
# which ends on day 8; K: the camp both flee to.
LOCS = [("A", "X", "conflict_zone", 1000), ("B", "X", "conflict_zone", 300, 3), ("K", "Y", "camp", 0)]
ROUTES = [("A", "K", 100), ("B", "K", 100)]
CONFLICTS = {"A": [1.0] * 10, "B": [0, 0, 0, 2, 2, 2, 2, 2, 0, 0]}


def spawn(mode: str, k: float, decay: list[float] | None = None, interval: int = 2) -> dict:
    rules = {"conflict_driven_spawning": {"spawn_mode": mode, "displaced_per_conflict_day": k},
             "conflict_spawn_decay_interval": interval}
    if decay is not None:
        rules["conflict_spawn_decay"] = decay
    return {"spawn_rules": rules}


@pytest.mark.parametrize("rules", ["flee32", "fixes", "flee31"])
def test_constant_mode_by_hand(make_scenario, simulate, rules):
    """k = 10, decay [1, 0.5, 0.25] in bins of 2 days. A (onset day 0): days 0-1 → 10, days 2-3 → 5, then 2
    (int 2.5). B (onset day 3, intensity 2): days 3-4 → 20, days 5-6 → 10, day 7 → 5, then its conflict ends:
    nothing (the #88 fix) — except under flee31, where a conflict ends only from intensity exactly 1 (Flee 3.1's
    reversion, flee-model.md §1.4), so B stays a conflict zone at 5 a day. The camp's day-0 data (7) still
    pre-populate it; refugees.csv plays no part."""
    sc = make_scenario(LOCS, ROUTES, length=10, conflicts=CONFLICTS, total=[(0, 0), (9, 100000)],
                       camps={"K": [(0, 7)]}, settings=spawn("constant", 10, [1.0, 0.5, 0.25]))
    res = simulate(sc, seed=1, rules=rules)
    got = res.series["new_spawned"]
    assert got[:, 0].tolist() == [10, 10, 5, 5, 2, 2, 2, 2, 2, 2], got[:, 0]
    after = [5, 5] if rules == "flee31" else [0, 0]
    assert got[:, 1].tolist() == [0, 0, 0, 20, 20, 10, 10, 5, *after], got[:, 1]
    assert got[:, 2].tolist() == [7] + [0] * 9, got[:, 2]
    assert res.n_agents.tolist() == np.cumsum(got.sum(axis=1)).tolist()
    assert res.refugee_debt.tolist() == [0] * 10


def test_pop_ratio_mode_by_hand(make_scenario, simulate):
    """k = 0.01 (Flee's default): A 1000 × 1 × 0.01 = 10 a day; B 300 × 2 × 0.01 = 6 a day while its conflict
    lasts (days 3-7); no decay list: factor 1."""
    settings = {"spawn_rules": {"conflict_driven_spawning": {"spawn_mode": "pop_ratio"}}}
    sc = make_scenario(LOCS, ROUTES, length=10, conflicts=CONFLICTS, settings=settings)
    got = simulate(sc, seed=1, rules="fixes").series["new_spawned"]
    assert got[:, 0].tolist() == [10] * 10
    assert got[:, 1].tolist() == [0, 0, 0, 6, 6, 6, 6, 6, 0, 0]


def test_poisson_mode_has_the_mean_and_spread(make_scenario, simulate):
    """Poisson(500 × intensity): over 60 days at A (mean 500) the sum is 30,000 ± 6 sd (sd √30000 ≈ 173) and the
    daily counts vary (a constant would not)."""
    days = 60
    sc = make_scenario(LOCS[:1] + LOCS[2:], ROUTES[:1], length=days, conflicts={"A": [1.0] * days},
                       settings={"spawn_rules": {"conflict_driven_spawning": {"spawn_mode": "Poisson"}}})
    got = simulate(sc, seed=4).series["new_spawned"][:, 0]
    assert abs(int(got.sum()) - 30000) < 6 * np.sqrt(30000), got.sum()
    assert got.std() > 5, got


def test_off_by_default_keeps_data_driven_spawning(make_scenario, simulate):
    sc = make_scenario(LOCS, ROUTES, length=10, conflicts=CONFLICTS, total=[(0, 0), (9, 900)])
    assert sc.settings.conflict_driven_spawning is False
    got = simulate(sc, seed=1).series["new_spawned"].sum(axis=1)
    assert got[1:].sum() == 900, "without the rule the agent count follows refugees.csv"


@pytest.mark.parametrize(("value", "field"), [
    ("{spawn_mode: linear}", "conflict_spawn_mode"),
    ("{displaced_per_conflict_day: -1}", "displaced_per_conflict_day"),
    ("{spawn_rate: 3}", "spawn_rules.conflict_driven_spawning.spawn_rate"),
    ("[1, 2]", "spawn_rules.conflict_driven_spawning"),
])
def test_bad_settings_name_file_line_and_key(tmp_path, value, field):
    path = tmp_path / "simsetting.yml"
    path.write_text(f"log_levels: {{agent: 0}}\nspawn_rules:\n  conflict_driven_spawning: {value}\n")
    with pytest.raises(InputError) as exc:
        read_simsetting(path)
    assert str(exc.value).startswith(f"{path}:3: "), str(exc.value)
    assert field in str(exc.value)


def test_flee31_says_poisson_mode_is_flee_32s(make_scenario):
    from crossings.engine.models.flee.model import FleeModel

    sc = make_scenario(LOCS, ROUTES, length=3, settings=spawn("poisson", 5))
    said = [n for n in FleeModel().notices(sc, "flee31") if "conflict_spawn_mode" in n]
    assert len(said) == 1 and "simsetting.yml:" in said[0], said
    assert not [n for n in FleeModel().notices(sc, "flee32") if "conflict_spawn_mode" in n]
