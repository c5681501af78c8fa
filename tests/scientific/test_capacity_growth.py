"""Camp capacity that grows (``capacity_growth_rate``): C(t) = C(0) × (1 + rate × t) for camps with a limit, and
the capacity multiplier (flee-model.md §1.6 item 3) follows it."""

from __future__ import annotations

import pytest

import crossings as cx

# K: capacity 200, 190 people on day 0 who never leave (camp move chance 0); nobody else arrives. L: unlimited.
LOCS = [("A", "X", "conflict_zone", 1000), ("K", "Y", "camp", 200), ("L", "Y", "camp", 0)]
ROUTES = [("A", "K", 50), ("A", "L", 80)]


def world_after(make_scenario, days: int, rate: float, kernel: str):
    sc = make_scenario(LOCS, ROUTES, length=4, total=[(0, 190)], camps={"K": [(0, 190)]},
                       settings={"move_rules": {"camp_movechance": 0.0, "capacity_growth_rate": rate}})
    sim = cx.Simulation(sc, seed=1, days=days, check=True, kernel=kernel)
    sim.run()
    return sim.world


@pytest.mark.parametrize("kernel", ["compiled", "numpy"])
def test_capacity_and_multiplier_by_hand(make_scenario, kernel):
    """Rate 0.05: C = 200, 210, 220 on days 0, 1, 2. With 190 present and buffer 0.9: day 0 capmult
    1 − (190 − 180) / (200 × 0.1) = 0.5 (a route to K is still taken); day 1 1 − (190 − 189) / 21 = 20/21;
    day 2 190 ≤ 198: 1. L stays unlimited."""
    expect = {1: (200.0, 0.5), 2: (210.0, 20 / 21), 3: (220.0, 1.0)}
    for days, (cap, mult) in expect.items():
        w = world_after(make_scenario, days, 0.05, kernel)
        assert w.capacity[1] == pytest.approx(cap, abs=1e-9) and w.capacity[2] < 1
        assert w.capmult[1] == pytest.approx(mult, abs=1e-12)
        assert w.present[1] == 190


def test_rate_zero_keeps_the_capacity(make_scenario):
    w = world_after(make_scenario, 3, 0.0, "numpy")
    assert w.capacity[1] == 200.0 and w.capmult[1] == pytest.approx(0.5)
