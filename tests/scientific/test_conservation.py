"""Nobody is created or lost: the engine's daily census check, and double-entry balances of the recorded
stocks and flows, over scenarios with closures, markers, capacities and both rule sets."""

from __future__ import annotations

import numpy as np
import pytest

import crossings as cx

RULES = ["flee31", "fixes", "crossings"]

SYNTHETIC = {
    # a small network with every closure type, a marker, a forwarding hub, a capacity-limited camp and
    # a conflict zone that starts late; awareness 2 so agents hold multi-hop routes
    "closures-and-markers": dict(
        locations=[("A", "X", "conflict_zone", 5000), ("L", "X", "conflict_zone", 3000, 6),
                   ("T", "X", "town", 1000), ("M", "X", "marker", 0), ("H", "X", "forwarding_hub", 0),
                   ("C1", "Y", "camp", 300), ("C2", "Z", "camp", 0), ("C3", "Y", "idpcamp", 0)],
        routes=[("A", "T", 120), ("T", "M", 60), ("M", "C1", 90), ("A", "L", 210), ("L", "H", 30),
                ("H", "C2", 400), ("T", "C3", 150), ("L", "T", 80), ("H", "C1", 260)],
        closures=[("country", "X", "Z", 3, 12), ("location", "C3", "", 5, 9), ("link", "T", "M", 0, 7),
                  ("camp", "C1", "", 0, 4)],
        length=25, total=[(0, 200), (5, 2000), (15, 2500), (20, 2200), (24, 4000)],
        camps={"C1": [(0, 50), (24, 300)], "C2": [(0, 20), (24, 900)], "C3": [(0, 0), (24, 100)]},
        settings={"move_rules": {"awareness_level": 2, "camp_movechance": 0.05}},
    ),
    # the route-holding case (town in the middle of a two-hop route) with short stints avoided
    "chaining-short-stints": dict(
        locations=[("A", "X", "conflict_zone", 100), ("B", "X", "town", 10), ("C", "Y", "camp", 0)],
        routes=[("A", "B", 150), ("B", "C", 300)],
        length=12, total=[(0, 0), (1, 3000), (6, 5000)],
        settings={"move_rules": {"awareness_level": 2, "avoid_short_stints": True, "start_on_foot": True}},
    ),
}


def assert_balanced(res, what: str) -> None:
    s = res.series
    present, on_link = s["n_present"], s["n_on_link"]
    assert np.all(present >= 0) and np.all(on_link >= 0), f"{what}: a stock went negative"
    counted = present.sum(axis=1) + on_link.sum(axis=1)
    np.testing.assert_array_equal(counted, res.n_agents,
                                  err_msg=f"{what}: agents at places + on links must equal the number of agents")
    prev = np.vstack([np.zeros((1, present.shape[1]), dtype=present.dtype), present[:-1]])
    np.testing.assert_array_equal(
        present, prev + s["new_spawned"] + s["new_arrivals"] - s["new_departures"],
        err_msg=f"{what}: stock(t) must equal stock(t-1) + spawned + arrivals - departures at every place")
    prev_l = np.vstack([np.zeros((1, on_link.shape[1]), dtype=on_link.dtype), on_link[:-1]])
    np.testing.assert_array_equal(
        on_link, prev_l + s["new_link_entries"] - s["new_link_exits"],
        err_msg=f"{what}: on_link(t) must equal on_link(t-1) + entries - exits on every link")
    np.testing.assert_array_equal(s["new_departures"].sum(axis=1), s["new_link_entries"].sum(axis=1),
                                  err_msg=f"{what}: every departure must enter a link")
    np.testing.assert_array_equal(s["new_arrivals"].sum(axis=1), s["new_link_exits"].sum(axis=1),
                                  err_msg=f"{what}: every arrival must leave a link")
    np.testing.assert_array_equal(np.diff(res.n_agents, prepend=0), s["new_spawned"].sum(axis=1),
                                  err_msg=f"{what}: the number of agents may only change by spawning")


@pytest.mark.parametrize("rules", RULES)
@pytest.mark.parametrize("case", sorted(SYNTHETIC))
def test_synthetic_scenarios_conserve_agents(make_scenario, simulate, case, rules):
    sc = make_scenario(**SYNTHETIC[case])
    res = simulate(sc, seed=5, rules=rules, check=True)
    assert res.n_agents[-1] > 0, "the scenario must actually hold agents"
    assert res.series["new_departures"].sum() > 0, "the scenario must actually move agents"
    assert_balanced(res, f"{case}/{rules}")


@pytest.mark.parametrize("rules", RULES)
def test_demo_conserves_agents(demo_dir, simulate, rules):
    res = simulate(cx.load_scenario(demo_dir), seed=2, rules=rules, check=True)
    assert_balanced(res, f"demo/{rules}")


@pytest.mark.parametrize("rules", RULES)
def test_mali2012_conserves_agents(flee_data, simulate, rules):
    res = simulate(cx.load_scenario(flee_data("mali2012")), seed=3, rules=rules, days=80, check=True)
    assert_balanced(res, f"mali2012/{rules}")


def test_ssudan2014_location_closures_conserve_agents(flee_data, simulate):
    res = simulate(cx.load_scenario(flee_data("ssudan2014")), seed=3, days=40, check=True)
    assert_balanced(res, "ssudan2014")


def test_full_reference_runs_are_balanced(reference_run):
    assert_balanced(reference_run("mali2012"), "mali2012 full run")
    assert_balanced(reference_run("burundi2015"), "burundi2015 full run")


def test_census_check_catches_a_broken_stock(demo_dir):
    """The check mode must fail loudly, not clip: corrupt one stock and the census check must raise."""
    sim = cx.Simulation(cx.load_scenario(demo_dir), seed=1, days=3)
    sim.run()
    sim.census_check(2)  # consistent after a normal run
    sim.world.present[0] += 1
    with pytest.raises(AssertionError):
        sim.census_check(2)
