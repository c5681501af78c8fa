"""Closures (flee-model.md §1.8): a closed border carries nobody; a closed location traps its agents;
agents on a link that closes bounce back; ``link`` closures do nothing under flee31 but block under
the bug-fixed rules (fixes, and crossings); camp closures turn camps into towns."""

from __future__ import annotations

import numpy as np
import pytest

import crossings as cx

RULES = ["flee31", "fixes"]
N = 1000


def links_between(sc, group_a: set[int], group_b: set[int]) -> np.ndarray:
    """Directed links from a place in one group to a place in the other, either way."""
    src, dst = sc.links.src, sc.links.dst
    a = np.isin(src, list(group_a)) & np.isin(dst, list(group_b))
    b = np.isin(src, list(group_b)) & np.isin(dst, list(group_a))
    return np.flatnonzero(a | b)


@pytest.mark.parametrize("rules", RULES)
def test_closed_border_carries_nobody_while_closed(make_scenario, simulate, rules):
    # A (conflict, X) – T (town, X) – B (camp, Y); the X–Y border is closed on days 0..9 (reopens on day 10)
    sc = make_scenario([("A", "X", "conflict_zone", 1000), ("T", "X", "town", 0), ("B", "Y", "camp", 0)],
                       [("A", "T", 50), ("T", "B", 100)], closures=[("country", "X", "Y", 0, 10)],
                       total=[(0, 0), (1, N)], length=20, settings={"move_rules": {"camp_movechance": 0.0}})
    res = simulate(sc, seed=1, rules=rules)
    border = [2, 3]  # T→B and B→T
    s = res.series
    assert s["new_link_entries"][:10, border].sum() == 0, "nobody may enter a cross-border link while it is closed"
    assert s["n_on_link"][:10, border].sum() == 0 and s["new_arrivals"][:10, 2].sum() == 0, (
        "nobody may be on or arrive over a closed border")
    assert s["new_link_entries"][10:, 2].sum() > 0, "after the border reopens on day 10 agents must cross it"


@pytest.mark.parametrize("rules", RULES)
def test_mali2012_closed_borders_carry_nobody(flee_data, simulate, rules):
    """mali2012 closes Mali–Burkina Faso on days 0–21 and Mali–Niger on days 0–32 (closures.csv)."""
    sc = cx.load_scenario(flee_data("mali2012"))
    res = simulate(sc, seed=1, rules=rules, days=45)
    country = np.array(sc.locations.country)
    mali = set(np.flatnonzero(country == "Mali"))
    for other, reopen in (("Burkina_Faso", 22), ("Niger", 33)):
        links = links_between(sc, mali, set(np.flatnonzero(country == other)))
        assert links.size > 0, f"expected roads between Mali and {other}"
        entries = res.series["new_link_entries"][:, links].sum(axis=1)
        assert entries[:reopen].sum() == 0, (
            f"expected nobody to cross Mali–{other} before day {reopen}, got entries {entries[:reopen].tolist()}")
        assert entries[reopen:].sum() > 0, f"expected crossings into {other} once the border reopens"


@pytest.mark.parametrize("rules", RULES)
def test_closed_location_traps_its_agents(make_scenario, simulate, rules):
    # camp X starts with 500 agents who would leave at once (camp move chance 1); it is closed for good
    sc = make_scenario([("A", "W", "conflict_zone", 1000), ("X", "W", "camp", 0), ("Y", "W", "camp", 0)],
                       [("A", "X", 50), ("A", "Y", 50), ("X", "Y", 30)],
                       closures=[("location", "X", "", 0, -1)], total=[(0, 500), (1, 500 + N)],
                       camps={"X": [(0, 500)]}, length=10, settings={"move_rules": {"camp_movechance": 1.0}})
    res = simulate(sc, seed=2, rules=rules)
    s = res.series
    x = 1
    into_or_out = np.flatnonzero((sc.links.src == x) | (sc.links.dst == x))
    assert s["n_present"][:, x].tolist() == [500] * 10, "the closed camp must keep exactly its 500 agents"
    assert s["new_departures"][:, x].sum() == 0, "nobody may leave a closed location"
    assert s["new_link_entries"][:, into_or_out].sum() == 0, "nobody may enter a link into or out of it"
    assert s["new_departures"][:, 0].sum() > 0, "others must still move elsewhere"


@pytest.mark.parametrize("closure", ["location", "country"])
def test_agents_on_a_link_that_closes_bounce_back(make_scenario, simulate, closure):
    # 450 km at 200 km/day: leave on day 0, would arrive on day 2; the closure starts on day 1
    rows = {"location": ("location", "B", "", 1, -1), "country": ("country", "X", "Y", 1, -1)}
    sc = make_scenario([("A", "X", "conflict_zone", 1000), ("B", "Y", "camp", 0)], [("A", "B", 450)],
                       closures=[rows[closure]], total=[(0, N)], length=5,
                       settings={"spawn_rules": {"insert_day0": False}, "move_rules": {"camp_movechance": 0.0}})
    res = simulate(sc, seed=3)
    s = res.series
    assert s["n_on_link"][:2, 0].tolist() == [N, N], "all agents are on A→B on days 0 and 1"
    assert s["new_arrivals"][2].tolist() == [N, 0], (
        "on day 2 they reach the end of the closed link and are put back at A")
    assert s["n_present"][-1].tolist() == [N, 0], "nobody reaches B"


@pytest.mark.parametrize(("rules", "blocked"), [("flee31", False), ("fixes", True)])
def test_link_closure_is_a_no_op_in_flee31_but_blocks_in_fixes(make_scenario, simulate, rules, blocked):
    sc = make_scenario([("A", "X", "conflict_zone", 1000), ("T", "X", "town", 0), ("B", "Y", "camp", 0)],
                       [("A", "T", 50), ("T", "B", 100)], closures=[("link", "T", "B", 0, -1)],
                       total=[(0, 0), (1, N)], length=10, settings={"move_rules": {"camp_movechance": 0.0}})
    res = simulate(sc, seed=4, rules=rules)
    crossed = int(res.series["new_link_entries"][:, [2, 3]].sum())
    if blocked:
        assert crossed == 0, f"fixes: a closed link (both directions) must carry nobody, got {crossed} entries"
        assert res.series["n_present"][-1, 2] == 0, "fixes: nobody may reach B"
    else:
        assert crossed > 0.5 * N, f"flee31: link closures do nothing (a Flee 3.1 bug kept), got {crossed} entries"


def test_camp_closure_makes_a_town_until_it_reopens(make_scenario, simulate):
    # camp C is a town on days 0..4 (default move chance 0.3), a camp again from day 5; those who leave go
    # to camp D, 500 km away, and stay there (camp move chance 0)
    n = 5000
    sc = make_scenario([("C", "Y", "camp", 0), ("D", "Y", "camp", 0)], [("C", "D", 500)],
                       closures=[("camp", "C", "", 0, 5)], total=[(0, n)], camps={"C": [(0, n)]}, length=9,
                       settings={"move_rules": {"camp_movechance": 0.0, "default_movechance": 0.3}})
    res = simulate(sc, seed=5)
    dep = res.series["new_departures"][:, 0]
    stock = res.series["n_present"][:, 0]
    for t in range(5):
        before = n if t == 0 else int(stock[t - 1])
        sd = np.sqrt(before * 0.3 * 0.7)
        assert abs(dep[t] - 0.3 * before) <= 5 * sd + 1, (
            f"day {t}: a closed camp is a town, expected about 30% of {before} to leave, got {dep[t]}")
    assert dep[5:].sum() == 0, f"once reopened (camp move chance 0) nobody may leave, got {dep[5:].tolist()}"
