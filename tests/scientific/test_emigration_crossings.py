"""Land crossings of the emigration model: a first-in-first-out queue per crossing and mode, drained up to the
daily capacity; a barred mode or a closed crossing lets nobody of it through. Answers worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

import crossings as cx

# Home --10 km--> Post (a crossing in Home) --50 km--> City (a destination abroad). At 500 km/day everyone who
# leaves on day 0 reaches the queue on day 0.
LOCS = [("Town", "origin", "Home", 0), ("Post", "crossing", "Home", 0), ("City", "destination", "Abroad", 0)]
ROUTES = [("Town", "Post", "road", 10), ("Post", "City", "road", 50)]


def surge(emigration_scenario, n: int, crossings, events=(), agents=None, days=12):
    """Everyone (n people, hazard 1) leaves on day 0 and queues at Post the same day."""
    locs = [("Town", "origin", "Home", n), *LOCS[1:]]
    return emigration_scenario(locs, ROUTES, [("Town", "*", 1.0)], crossings=crossings, events=events,
                               agents=agents, days=days)


@pytest.mark.parametrize(("n", "cap"), [(100, 30), (90, 30), (7, 10), (1000, 1)])
def test_surge_drains_in_ceil_n_over_c_days_with_matching_waits(emigration_scenario, n, cap):
    days = math.ceil(n / cap) + 3
    sc = surge(emigration_scenario, n, [("Post", "car", cap)], days=days)
    sim = cx.Simulation(sc, seed=3, check=True)
    res = sim.run()
    car = 0  # gate of Post by car
    passed = res.series["new_passages"][:, car]
    drain = math.ceil(n / cap)
    want = np.array([min(cap, n - cap * d) if d < drain else 0 for d in range(days)])
    assert (passed == want).all(), f"passages per day: expected {want.tolist()}, got {passed.tolist()}"
    queue = res.series["n_queue"][:, car]
    assert (queue == n - np.cumsum(want)).all(), f"queue at the end of each day: got {queue.tolist()}"
    assert queue[drain - 1] == 0 and (queue[: drain - 1] > 0).all(), f"the queue must empty on day {drain - 1}"
    # first come, first served: same-day arrivals in agent-table order; the k-th waits k // C days
    waits = sim.agents.wait_days
    assert (waits == np.arange(n) // cap).all(), f"waits: expected k // {cap}, got {waits[: 2 * cap].tolist()}…"
    mean = res.ratio("sum_wait_days", "new_passages")[:drain, car]
    assert np.allclose(mean, np.arange(drain)), f"mean wait of day d's passers must be d, got {mean.tolist()}"
    assert res.series["n_in_country"][-1, sc.emigration.countries.index("Abroad")] == n


def test_foot_ban_lets_no_pedestrian_through_while_cars_pass(emigration_scenario):
    n, cap_car, cap_foot = 400, 20, 15
    ban = (2, 5)  # days 2, 3 and 4
    sc = surge(emigration_scenario, n, [("Post", "car", cap_car), ("Post", "foot", cap_foot)],
               events=[(ban[0], ban[1], "bar_mode", "Post", "foot")],
               agents={"travel_mode": {"car": 0.5, "foot": 0.5}}, days=20)
    sim = cx.Simulation(sc, seed=5, check=True)
    res = sim.run()
    mode = sim.agents.travel_mode
    n_car, n_foot = int((mode == 0).sum()), int((mode == 1).sum())
    assert n_car + n_foot == n and min(n_car, n_foot) > 100, "test setup: a surge of both modes"

    def schedule(total: int, cap: int, closed: range) -> list[int]:
        left, out = total, []
        for d in range(20):
            k = 0 if d in closed else min(cap, left)
            out.append(k)
            left -= k
        return out

    car, foot = res.series["new_passages"][:, 0], res.series["new_passages"][:, 1]
    assert car.tolist() == schedule(n_car, cap_car, range(0)), "cars must pass at capacity throughout the ban"
    assert foot.tolist() == schedule(n_foot, cap_foot, range(*ban)), \
        f"pedestrians: expected {schedule(n_foot, cap_foot, range(*ban))}, got {foot.tolist()}"
    assert (foot[ban[0]:ban[1]] == 0).all(), "no pedestrian may pass while the foot mode is barred"
    assert (res.series["n_queue"][ban[0]:ban[1], 1] > 0).all(), "barred pedestrians stay in the queue"
    # the wait of a pedestrian includes the ban days
    first_after = np.flatnonzero(mode == 1)[2 * cap_foot]  # first pedestrian through after the ban
    assert sim.agents.wait_days[first_after] == ban[1], "it joined on day 0 and passed on the day the ban ended"


def test_closed_crossing_passes_nobody_and_new_leavers_plan_around_it(emigration_scenario):
    # a second, slower crossing gives another way; while Post is closed nobody passes it
    locs = [("Town", "origin", "Home", 3000), ("Post", "crossing", "Home", 0), ("Far", "crossing", "Home", 0),
            ("City", "destination", "Abroad", 0)]
    routes = [*ROUTES, ("Town", "Far", "road", 900), ("Far", "City", "road", 900)]
    sc = emigration_scenario(locs, routes, [("Town", "*", 0.05)], crossings=[("Post", "car", 10)],
                             events=[(4, 9, "close_crossing", "Post", "")], days=14)
    res = cx.Simulation(sc, seed=2, check=True).run()
    post = res.series["new_passages"][:, 0]
    assert (post[4:9] == 0).all(), f"a closed crossing lets nobody through, got {post[4:9].tolist()}"
    assert post[:4].sum() > 0 and post[9:].sum() > 0, "it passes people before and after the closure"
    joins_far = res.series["new_queue_joins"][:, 2]
    assert joins_far[5:10].sum() > 0, "people who plan during the closure take the other crossing"


@pytest.mark.parametrize(("mult", "mode"), [(0.5, "car"), (2.0, "*"), (0.0, "car")])
def test_capacity_event_scales_the_daily_capacity_for_its_period_only(emigration_scenario, mult, mode):
    n, cap = 300, 20
    period = (2, 5)  # days 2, 3 and 4
    sc = surge(emigration_scenario, n, [("Post", "car", cap)],
               events=[(period[0], period[1], "capacity", "Post", mode, mult)], days=25)
    res = cx.Simulation(sc, seed=2, check=True).run()
    passed = res.series["new_passages"][:, 0]
    left, want = n, []
    for d in range(25):
        k = min(round(cap * mult) if period[0] <= d < period[1] else cap, left)
        want.append(k)
        left -= k
    assert passed.tolist() == want, f"passages per day: expected {want}, got {passed.tolist()}"
    assert passed.sum() == n, "everyone passes in the end: the capacity is restored when the event ends"


def test_overlapping_capacity_events_multiply(emigration_scenario):
    n, cap = 200, 40
    ev = [(2, 6, "capacity", "Post", "car", 0.5), (3, 4, "capacity", "Post", "*", 0.5)]
    res = cx.Simulation(surge(emigration_scenario, n, [("Post", "car", cap)], events=ev, days=12),
                        seed=1, check=True).run()
    got = res.series["new_passages"][:7, 0].tolist()
    assert got == [40, 40, 20, 10, 20, 20, 40], f"x0.5 on days 2-5 and x0.25 on day 3, got {got}"


def test_a_zero_capacity_event_turns_new_plans_to_another_crossing(emigration_scenario):
    # as a closure: during x0 nobody passes Post and those who plan then take the slower crossing
    locs = [("Town", "origin", "Home", 3000), ("Post", "crossing", "Home", 0), ("Far", "crossing", "Home", 0),
            ("City", "destination", "Abroad", 0)]
    routes = [*ROUTES, ("Town", "Far", "road", 900), ("Far", "City", "road", 900)]
    ev = [(4, 9, "capacity", "Post", "*", 0)]
    runs = {}
    for label, events in (("base", []), ("x0", ev)):
        sc = emigration_scenario(locs, routes, [("Town", "*", 0.05)], crossings=[("Post", "car", 10)],
                                 events=events, days=14)
        runs[label] = cx.Simulation(sc, seed=2, check=True).run()
    post = runs["x0"].series["new_passages"][:, 0]
    assert (post[4:9] == 0).all() and post[9:].sum() > 0, f"x0 passes nobody until it ends, got {post.tolist()}"
    far = {k: r.series["new_queue_joins"][5:10, 2].sum() for k, r in runs.items()}
    assert far["x0"] > 3 * far["base"], f"while Post is at 0 new plans go to the other crossing: {far}"
    joins_post = runs["x0"].series["new_queue_joins"][5:9, 0]
    assert (joins_post == 0).all(), f"nobody plans through Post while it is at 0, got {joins_post.tolist()}"


def test_a_zero_capacity_event_stops_a_crossing_without_a_limit_too(emigration_scenario):
    # Post has no row in crossings.csv (no limit): x2 leaves it unlimited, x0 lets nobody through until it ends
    sc = surge(emigration_scenario, 50, [], events=[(0, 3, "capacity", "Post", "*", 0), (3, 6, "capacity", "Post",
                                                                                        "car", 2)], days=8)
    res = cx.Simulation(sc, seed=4, check=True).run()
    got = res.series["new_passages"][:, 0].tolist()
    assert got == [0, 0, 0, 50, 0, 0, 0, 0], f"nobody on days 0-2, then all 50 at once, got {got}"



@pytest.mark.parametrize("kernel", ["compiled", "numpy"])
def test_who_gives_up_on_a_queue_plans_around_its_country_and_never_rejoins(emigration_scenario, kernel):
    # Town -> Post (10 a day) -> City in Abroad; Town -> Far (no limit) -> Spa in Elsewhere. All 100 leave on day
    # 0; the roads through Post are far shorter, so every first plan takes Post (check below). Day 0: 10 pass,
    # 90 wait (1 day waited). Day 1: 10 pass and, with a patience of 2 days, the other 80 give up. Before, they
    # drew the same road again and joined the back of the same queue; now they avoid Abroad: Far, and Spa.
    locs = [("Town", "origin", "Home", 100), ("Post", "crossing", "Home", 0), ("Far", "crossing", "Home", 0),
            ("City", "destination", "Abroad", 0), ("Spa", "destination", "Elsewhere", 0)]
    routes = [*ROUTES, ("Town", "Far", "road", 1500), ("Far", "Spa", "road", 1500)]
    sc = emigration_scenario(locs, routes, [("Town", "*", 1.0)], crossings=[("Post", "car", 10)],
                             emigration={"queue_patience_days": 2, "time_power": 10}, days=20)
    res = cx.Simulation(sc, seed=4, check=True, kernel=kernel).run()
    s = res.series
    post, far = 0, 2  # gates: Post by car, Far by car
    assert s["new_queue_joins"][0, post] == 100, "test setup: every first plan takes Post"
    assert s["new_passages"][:, post].tolist()[:3] == [10, 10, 0], s["new_passages"][:, post].tolist()
    assert s["new_queue_gave_up"][:, post].tolist()[:3] == [0, 80, 0]
    assert s["new_queue_joins"][1:, post].sum() == 0, "nobody who gave up joins the back of the same queue"
    assert s["n_queue"][-1, post] == 0
    assert s["new_queue_joins"][:, far].sum() == 80, "the 80 who gave up go through the other crossing"
    em = sc.emigration
    end = s["n_in_country"][-1]
    assert end[em.countries.index("Abroad")] == 20 and end[em.countries.index("Elsewhere")] == 80
