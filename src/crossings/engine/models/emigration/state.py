"""Agent columns of the emigration model and the states an emigrant passes through.

One row per person (or group of ``people_per_agent``) who has left home; people still at home are a stock per
origin, category, sex and age band (``EmigrationWorld.at_home``), not rows. 80 bytes per agent.

Each row has a stable ``id``: 0, 1, 2, ... in the order people left home, never reused within a run and kept
when returned rows are dropped from the table. Counter-based draws (``engine/rng.py``) are keyed by it, so they
do not depend on the row an agent is in or the order a kernel visits agents in. Rows are appended in id order and
compaction keeps their order, so the table is always sorted by id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation

# What an agent is doing (int8 codes of the ``state`` column).
PLAN = 0  # at a place, needs a route (just left home, or re-planning)
PLAN_NO_AIR = 1  # at a place, needs a route that does not start with a flight (missed seats too often)
MOVING = 2  # holds a route: on a link, or at a place about to take the route's next link
QUEUED = 3  # in the queue of a land crossing (``loc``), by its travel mode
SEAT_WAIT = 4  # at a place waiting for a seat on the route's next link (a flight)
SETTLED = 5  # reached the route's destination and stays there (until its stay runs out, it moves on or returns)
RETURNED = 6  # went home (at its origin, counted there; never leaves again)
STATE_NAMES = ("plan", "plan_no_air", "moving", "queued", "seat_wait", "settled", "returned")

# Residence permit status (int8 codes of the ``permit`` column), for the country of the current stay.
NO_PERMIT, PENDING_YES, PENDING_NO, PERMIT, PERMIT_REFUSED = range(5)
NEVER = np.iinfo(np.int32).max  # allowed_until of a stay without a limit

# name -> (dtype, initial value); bytes per agent in brackets.
COLUMNS: dict[str, tuple[type, float]] = {
    "id": (np.int32, -1),  # [4] stable agent id (see above); -1 until assigned by assign_ids
    "loc": (np.int32, -1),  # [4] location while at one; the last location while on a link
    "link": (np.int32, -1),  # [4] link while travelling, -1 at a location
    "progress": (np.float32, 0.0),  # [4] days of travel done on the current link
    "route": (np.int32, -1),  # [4] planned path id (EmigrationWorld.routes), -1 = none
    "hop": (np.int8, 0),  # [1] index of the route's next link
    "state": (np.int8, PLAN),  # [1] see the codes above
    "since": (np.int32, -1),  # [4] day the agent joined its current queue or seat wait
    "tries": (np.int16, 0),  # [2] days without a seat at the current airport
    "wait_days": (np.int16, 0),  # [2] days spent in crossing queues so far (sum over crossings passed)
    "home": (np.int32, -1),  # [4] origin location
    "left_day": (np.int32, -1),  # [4] day the agent left home
    "category": (np.int8, 0),  # [1] code into scenario.emigration.category (e.g. war_objector)
    "sex": (np.int8, 0),  # [1] code into scenario.emigration.sex
    "age_band": (np.int8, 0),  # [1] code into scenario.emigration.age_band
    "travel_mode": (np.int8, 0),  # [1] how it passes land crossings: 0 car, 1 foot
    "savings": (np.float32, 0.0),  # [4] USD left: drawn at departure, spent on fares, fees and living (money.py)
    "remote_income": (np.float32, 0.0),  # [4] USD per month earned remotely (0 for most)
    "stay_country": (np.int8, -1),  # [1] country of the current stay abroad (−1: none)
    "entry_day": (np.int32, -1),  # [4] day of the last entry into stay_country (a visa run re-enters)
    "window_start": (np.int32, -1),  # [4] first day of the stay_limit window in stay_country
    "window_used": (np.int16, 0),  # [2] days spent in stay_country in that window before the last entry
    "allowed_until": (np.int32, NEVER),  # [4] first day the agent may no longer stay (NEVER: no limit)
    "permit": (np.int8, NO_PERMIT),  # [1] residence permit status in stay_country (codes above)
    "permit_day": (np.int32, -1),  # [4] day a pending permit is decided
    "avoid": (np.int8, -1),  # [1] country its next route must not enter or end in (refused, moving on)
    "broke": (np.int8, 0),  # [1] 1 while it looks for a cheaper place because its savings ran out
    # [8] bit k: country k (abroad) entered since the agent left home; kept for emigrants only (first arrivals,
    # movement.first_arrivals). Never reset: an agent that goes home never leaves again (a round-trip traveller
    # who does is a new row), so "since it left home" is the row's whole life.
    "entered": (np.uint64, 0),
}


def assign_ids(sim: Simulation) -> None:
    """Give the rows added since the last call (people who left home since) their ids, in row order. Rows
    without an id are always the table's last ones (rows are appended; the only rows ever dropped are returned
    agents, which have ids), and the ids given before are those of the rows in the table and of the rows dropped
    (``world.retired``), so the next id is their count. Cheap when there is nothing to do; idempotent."""
    a = sim.agents
    n = len(a)
    col = a.cols["id"]
    if n == 0 or col[n - 1] >= 0:
        return
    lo, hi = 0, n - 1  # the first row without an id, by bisection (ids are a prefix of the rows)
    while lo < hi:
        mid = (lo + hi) // 2
        if col[mid] >= 0:
            lo = mid + 1
        else:
            hi = mid
    given = lo + int(sim.world.retired.sum())
    col[lo:n] = np.arange(given, given + n - lo, dtype=np.int32)
