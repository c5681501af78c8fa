"""One-way road closures of the emigration model (``close_road``): new plans avoid the closed direction of the
road, agents already on it or holding a plan through it go on, the way back stays open, and plans made from the
closure's ``until`` day on are those of a run without it."""

from __future__ import annotations

import numpy as np
import pytest

import crossings as cx
from crossings.engine.simulation import Simulation

# Town --2 days--> A --3 days--> X --> P1 (crossing) --> City (abroad)
# Town --2 days--> B --3 days--> Y --> P2 (crossing) --> City
# A --> Q (crossing) --> Near (abroad); Zed (origin) --> X, so Zed's leavers take X -> A -> Q to Near too.
LOCS = [("Town", "origin", "Home", 3000), ("Zed", "origin", "Home", 1000), ("A", "town", "Home", 0),
        ("B", "town", "Home", 0), ("X", "town", "Home", 0), ("Y", "town", "Home", 0),
        ("P1", "crossing", "Home", 0), ("P2", "crossing", "Home", 0), ("City", "destination", "Abroad", 0, 1),
        ("Q", "crossing", "Home", 0), ("Near", "destination", "Other", 0, 1)]
ROUTES = [("Town", "A", "road", 1000), ("A", "X", "road", 1500), ("X", "P1", "road", 10), ("P1", "City", "road", 10),
          ("Town", "B", "road", 1000), ("B", "Y", "road", 1500), ("Y", "P2", "road", 10), ("P2", "City", "road", 10),
          ("Zed", "X", "road", 10), ("A", "Q", "road", 10), ("Q", "Near", "road", 10)]
CLOSED = (6, 12)  # A -> X closed on days 6..11
DAYS = 24


def roads(emigration_scenario, events=()):
    """People leave Town and Zed daily (hazard 0.05) at 500 km/day: Town -> A takes two days, A -> X three."""
    return emigration_scenario(LOCS, ROUTES, [("Town", "*", 0.05), ("Zed", "*", 0.05)], events=events, days=DAYS)


def link(sc, a: str, b: str) -> int:
    n = sc.locations.name
    return int(np.flatnonzero((sc.links.src == n.index(a)) & (sc.links.dst == n.index(b)))[0])


def uses(sim, k: int) -> np.ndarray:
    """Per agent, whether its planned path takes link ``k``."""
    p = sim.world.routes.paths
    on = np.zeros(len(p.n_links), dtype=bool)
    for q in range(len(on)):
        on[q] = k in p.links[p.start[q]: p.start[q] + p.n_links[q]].tolist()
    r = sim.agents.route
    return np.where(r >= 0, on[np.maximum(r, 0)], False)


def test_a_closed_road_turns_new_plans_away_one_way_only(emigration_scenario):
    sc = roads(emigration_scenario, [(*CLOSED, "close_road", "A", "X")])
    sim = Simulation(sc, seed=1, check=True)
    res = sim.run()
    base = cx.Simulation(roads(emigration_scenario), seed=1, check=True).run()
    d, until = CLOSED
    ax, xa, by = link(sc, "A", "X"), link(sc, "X", "A"), link(sc, "B", "Y")
    entries, exits = res.series["new_link_entries"], res.series["new_link_exits"]
    # those who planned on day d - 1 reach A on day d and go on along A -> X: a plan made is kept
    assert entries[d, ax] > 0, "agents who planned before the closure keep their path through the road"
    # nobody planning from day d to until - 1 takes it: they reach A one day later, so no entries on d+1..until
    assert (entries[d + 1: until + 1, ax] == 0).all(), f"entries onto the closed road: {entries[:, ax].tolist()}"
    assert entries[d + 1: until + 1, by].sum() > base.series["new_link_entries"][d + 1: until + 1, by].sum(), \
        "new leavers take the other road while A -> X is closed"
    # those on the road when it closes arrive: exits three days after their entries
    assert exits[d: d + 4, ax].tolist() == entries[d - 3: d + 1, ax].tolist() and exits[d: d + 4, ax].sum() > 0
    # the way back is open: Zed's leavers go X -> A exactly as without the closure
    assert entries[:, xa].tolist() == base.series["new_link_entries"][:, xa].tolist()
    assert entries[d: until, xa].sum() > 0
    # reopened on `until`: plans made from then on are the run's without the closure, bit for bit
    # (the roads out of Town, A and B: farther on, those who planned during the closure still travel)
    first = [link(sc, *ends) for ends in (("Town", "A"), ("Town", "B"), ("A", "X"), ("B", "Y"), ("A", "Q"))]
    after = entries[until + 1:, first]
    assert after.tobytes() == base.series["new_link_entries"][until + 1:, first].tobytes()
    assert after[:, 2].sum() > 0
    # per agent: every Town leaver planning during the closure avoids A -> X; the road's travellers all arrive
    a = sim.agents
    town = a.home == sc.locations.name.index("Town")
    during = town & (a.left_day >= d) & (a.left_day < until)
    assert during.sum() > 100 and not uses(sim, ax)[during].any()
    went = uses(sim, ax) & (a.left_day < d)
    assert went.any() and (a.loc[went] == sc.locations.name.index("City")).all()


def test_overlapping_road_closures_open_when_the_last_ends(emigration_scenario):
    one = cx.Simulation(roads(emigration_scenario, [(*CLOSED, "close_road", "A", "X")]), seed=2).run()
    two = cx.Simulation(roads(emigration_scenario, [(CLOSED[0], 9, "close_road", "A", "X"),
                                                    (8, CLOSED[1], "close_road", "A", "X")]), seed=2).run()
    for name, arr in one.series.items():
        assert arr.tobytes() == two.series[name].tobytes(), f"{name}: days 6..8 and 8..11 are days 6..11 closed"
    ax = link(roads(emigration_scenario), "A", "X")
    entries = two.series["new_link_entries"][:, ax]
    assert (entries[CLOSED[0] + 1: CLOSED[1] + 1] == 0).all() and entries[CLOSED[1] + 1] > 0


@pytest.mark.parametrize("seed", [0, 3])
def test_road_closure_runs_give_the_same_bytes_with_both_kernels_and_again(emigration_scenario, seed):
    sc = roads(emigration_scenario, [(*CLOSED, "close_road", "A", "X"), (3, "", "close_road", "B", "Y")])
    runs = [Simulation(sc, seed=seed, kernel=k, check=True).run() for k in ("compiled", "numpy", "compiled")]
    for name, arr in runs[0].series.items():
        for other in runs[1:]:
            assert arr.tobytes() == other.series[name].tobytes(), f"series {name} differs"
    k = link(sc, "B", "Y")
    assert runs[0].series["new_link_entries"][4:, k].sum() == 0, "B -> Y stays closed to the end"
