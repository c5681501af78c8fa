"""Flights of the emigration model: at most S seats a day, first come, first served; nobody flies while the
route is closed, and flights resume when it reopens; those who miss seats long enough re-plan another way."""

from __future__ import annotations

import numpy as np

import crossings as cx

# City --10 km--> Hub (airport) ==air, 1 day, S seats==> Far (destination abroad)
LOCS = [("City", "origin", "Home", 0), ("Hub", "airport", "Home", 0), ("Far", "destination", "Abroad", 0)]


def flight(emigration_scenario, n: int, seats: int, events=(), days=20, patience=1000, locs=(), routes=()):
    """n people leave City on day 0 (hazard 1) and wait at Hub for the flight to Far."""
    return emigration_scenario(
        [("City", "origin", "Home", n), *LOCS[1:], *locs],
        [("City", "Hub", "road", 10), ("Hub", "Far", "air", "", 1, seats), *routes],
        [("City", "*", 1.0)], events=events, days=days, emigration={"seat_patience_days": patience})


def test_flight_carries_at_most_its_seats_and_none_while_closed(emigration_scenario):
    n, seats = 200, 12
    closed = (3, 7)  # closed on days 3..6, flights again from day 7
    sc = flight(emigration_scenario, n, seats, events=[(closed[0], closed[1], "close_air_route", "Hub", "Far")],
                days=25)
    res = cx.Simulation(sc, seed=1, check=True).run()
    air = int(np.flatnonzero((sc.links.src == 1) & (sc.links.dst == 2))[0])
    boarded = res.series["new_boarded"][:, air]
    want, left = [], n
    for d in range(25):
        k = 0 if closed[0] <= d < closed[1] else min(seats, left)
        want.append(k)
        left -= k
    assert boarded.max() <= seats, f"a flight with {seats} seats carried {boarded.max()}"
    assert boarded.tolist() == want, f"boardings per day: expected {want}, got {boarded.tolist()}"
    assert (res.series["new_link_entries"][:, air] == boarded).all(), "boardings are the flight's link entries"
    # a one-day flight boarded on day d lands on day d + 1: entries into Abroad follow boardings by a day
    abroad = sc.emigration.countries.index("Abroad")
    entries = res.series["new_entries"][:, abroad]
    assert entries[0] == 0 and (entries[1:] == boarded[:-1]).all(), "arrivals lag boardings by the flight's day"
    missed = res.series["new_missed_seat"][:, air]
    assert (missed[closed[0]:closed[1]] == res.series["n_seat_wait"][closed[0]:closed[1], air]).all(), \
        "while the route is closed everyone waiting misses a seat"


def test_waiting_passengers_board_in_order_of_arrival(emigration_scenario):
    # leavers arrive at the airport on successive days (hazard < 1); earlier arrivals must board first
    locs = [("City", "origin", "Home", 600), *LOCS[1:]]
    routes = [("City", "Hub", "road", 10), ("Hub", "Far", "air", "", 1, 5)]
    sc = emigration_scenario(locs, routes, [("City", "*", 0.05)], days=30, emigration={"seat_patience_days": 1000})
    sim = cx.Simulation(sc, seed=4, check=True)
    sim.run()
    a = sim.agents
    flew = a.state == 5  # settled at Far
    left_day = a.left_day
    # everyone who left on day d has boarded before anyone who left after d boards… so the settled set is a
    # prefix in (left_day, row) order
    order = np.lexsort((np.arange(len(a)), left_day))
    settled_in_order = flew[order]
    first_unsettled = int(np.argmin(settled_in_order)) if not settled_in_order.all() else len(a)
    assert settled_in_order[:first_unsettled].all() and not settled_in_order[first_unsettled:].any(), \
        "seats must go first come, first served"


def test_missed_seats_lead_to_a_new_plan_after_the_patience(emigration_scenario):
    # 10 people, 3 seats a day, patience 2: day 0 three board and seven miss; day 1 three board and the four
    # left have missed twice, so they give up and take the road through the crossing to Other on day 2.
    sc = flight(emigration_scenario, 10, 3, days=6, patience=2,
                locs=[("Gate", "crossing", "Home", 0), ("Other", "destination", "Elsewhere", 0, 1e-9)],
                routes=[("Hub", "Gate", "road", 20), ("Gate", "Other", "road", 20)])
    sim = cx.Simulation(sc, seed=0, check=True)
    res = sim.run()
    air = int(np.flatnonzero(sc.emigration.link_mode == 2)[0])
    assert res.series["new_boarded"][:, air].tolist() == [3, 3, 0, 0, 0, 0]
    assert res.series["new_missed_seat"][:, air].tolist() == [7, 4, 0, 0, 0, 0]
    assert res.series["new_seat_gave_up"][:, air].tolist() == [0, 4, 0, 0, 0, 0]
    other = sc.locations.index("Other")
    assert res.series["n_present"][-1, other] == 4, "those who gave up must reach the destination by road"
