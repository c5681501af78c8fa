"""Departures driven by events: each subgroup leaves at Binomial(at home, hazard × multipliers) a day, and an
event changes the hazard of exactly the subgroup it names. A person's day of leaving is geometric, so given
the number still at home when a window opens, the number leaving within it is Binomial(n, 1 − (1 − p)^days)."""

from __future__ import annotations

import itertools

import numpy as np

import crossings as cx

AGENTS = {"category": {"objector": 0.5, "other": 0.5}, "sex": {"female": 0.5, "male": 0.5},
          "age_band": {"young": 0.5, "older": 0.5}, "travel_mode": {"car": 1.0}}
LOCS = [("North", "origin", "Home", 80000), ("South", "origin", "Home", 80000), ("Haven", "destination", "Home", 0)]
ROUTES = [("North", "Haven", "road", 100), ("South", "Haven", "road", 100)]
BASE = 0.002


def within_binomial(got: int, n: int, q: float, what: str) -> None:
    mean, sd = n * q, np.sqrt(n * q * (1 - q))
    assert abs(got - mean) <= 5 * sd + 1, f"{what}: {got} left, expected {mean:.0f} ± {5 * sd:.0f} (5 sd)"


def test_hazard_event_changes_only_the_subgroup_it_names(emigration_scenario):
    window, mult = (10, 20), 6.0
    sc = emigration_scenario(LOCS, ROUTES, [("North", "*", BASE), ("South", "*", BASE)], agents=AGENTS, days=25,
                             events=[(window[0], window[1], "departure_hazard", "North", "objector", mult, "male",
                                      "young")])
    sim = cx.Simulation(sc, seed=11, check=True)
    sim.run()
    a = sim.agents
    em = sc.emigration
    per_cell = 80000 // 8
    named = (sc.locations.index("North"), em.category.index("objector"), em.sex.index("male"),
             em.age_band.index("young"))
    seen_named = False
    for home, cat, sex, age in itertools.product([0, 1], range(2), range(2), range(2)):
        cell = (a.home == home) & (a.category == cat) & (a.sex == sex) & (a.age_band == age)
        before = int((cell & (a.left_day < window[0])).sum())
        inside = int((cell & (a.left_day >= window[0]) & (a.left_day < window[1])).sum())
        is_named = (home, cat, sex, age) == named
        p = BASE * (mult if is_named else 1.0)
        within_binomial(before, per_cell, 1 - (1 - BASE) ** window[0], f"cell {(home, cat, sex, age)} before")
        within_binomial(inside, per_cell - before, 1 - (1 - p) ** (window[1] - window[0]),
                        f"cell {(home, cat, sex, age)} in the window ({'named' if is_named else 'not named'})")
        seen_named |= is_named
    assert seen_named, "test setup: the named subgroup must be one of the cells"
    # after the window the named cell is back at the base hazard
    cell = (a.home == named[0]) & (a.category == named[1]) & (a.sex == named[2]) & (a.age_band == named[3])
    left = per_cell - int((cell & (a.left_day < window[1])).sum())
    within_binomial(int((cell & (a.left_day >= window[1])).sum()), left, 1 - (1 - BASE) ** 5, "named cell after")


def test_overlapping_events_multiply_and_star_names_everyone(emigration_scenario):
    sc = emigration_scenario(LOCS, ROUTES, [("North", "*", BASE), ("South", "*", BASE)], agents=AGENTS, days=6,
                             events=[(0, "", "departure_hazard", "*", "*", 3.0),
                                     (0, "", "departure_hazard", "South", "other", 2.0)])
    sim = cx.Simulation(sc, seed=3, check=True)
    sim.run()
    a = sim.agents
    other = sc.emigration.category.index("other")
    south_other = (a.home == 1) & (a.category == other)
    within_binomial(int(south_other.sum()), 80000 // 2, 1 - (1 - 6 * BASE) ** 6, "South/other: 3 × 2 × base")
    within_binomial(int((~south_other).sum()), 3 * 80000 // 2, 1 - (1 - 3 * BASE) ** 6, "everyone else: 3 × base")


def test_zero_hazard_means_nobody_leaves_and_attributes_follow_their_shares(emigration_scenario):
    agents = {**AGENTS, "travel_mode": {"car": 0.7, "foot": 0.3}, "savings_usd": {"median": 3000, "sigma": 0.5},
              "remote_income_usd_per_month": {"share": 0.25, "median": 2000, "sigma": 0.0}}
    sc = emigration_scenario(LOCS, ROUTES, [("North", "*", 0.05), ("South", "*", 0.0)], agents=agents, days=5)
    res = cx.run(sc, seed=8, check=True)
    south = sc.locations.index("South")
    assert (res.series["n_at_home"][:, south] == 80000).all(), "a zero hazard must keep everyone at home"
    sim = cx.Simulation(sc, seed=8)
    sim.run()
    a = sim.agents
    n = len(a)
    within_binomial(int((a.travel_mode == 1).sum()), n, 0.3, "agents on foot")
    within_binomial(int((a.remote_income > 0).sum()), n, 0.25, "agents with remote income")
    assert np.allclose(a.remote_income[a.remote_income > 0], 2000.0), "sigma 0: every earner gets the median"
    med = float(np.median(a.savings))
    assert 2850 < med < 3150, f"median savings {med:.0f}, expected about 3000"
