"""Flights: each air route carries at most its ``seats_per_day`` each day, first come, first served; those
without a seat wait at the airport and, after ``seat_patience_days`` days without one, re-plan another way (or,
with the setting ``no_seat_stays``, stay where they are abroad)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.models.emigration import kernels_c
from crossings.engine.models.emigration.border_queues import first_in_groups
from crossings.engine.models.emigration.movement import STEP_WRITES, next_link, step_onto
from crossings.engine.models.emigration.state import PLAN_NO_AIR, SEAT_WAIT, SETTLED
from crossings.engine.rule import Rule
from crossings.scenario.model import DESTINATION

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation


class Flights(Rule):
    """Per air link, waiting agents board in order of the day they started waiting, then agent id,
    up to the link's seats (all if unlimited); a closed route boards nobody. A boarder lands after the flight's
    ``duration_days``. Each day without a seat adds one to an agent's ``tries``; at ``seat_patience_days`` it
    stops waiting and re-plans on a path that does not start with a flight. With ``no_seat_stays`` = 1 an agent
    waiting at a destination abroad whose stay there has not run out and who is not broke settles there
    instead: a move on from abroad is a choice it can drop, not a must. With the compiled kernel (the default)
    the same is done in C (``crossings_em_flights``)."""

    name = "flights"
    reads = ("agents.id", "agents.state", "agents.since", "agents.route", "agents.hop", "agents.loc",
             "agents.allowed_until", "agents.broke", "world.air_closures")
    writes = ("agents.tries", "agents.route", "agents.avoid", "world.seat_wait", "eflows.boarded",
              "eflows.missed_seat", "eflows.seat_gave_up", *STEP_WRITES)  # and the boarders' step onto the flight

    def step(self, sim: Simulation, day: int) -> None:
        a, w, f = sim.agents, sim.world, sim.eflows
        if not w.seat_wait.any():  # nobody waiting for a seat
            return
        spec = sim.scenario.emigration
        key = w.air_closures.tobytes()
        if key != getattr(self, "_seats_key", None):  # today's seats change only with the closures
            self._seats = np.ascontiguousarray(np.where(w.air_closures > 0, 0, spec.link_seats), dtype=np.int64)
            self._seats_key = key
        seats = self._seats
        if sim.kernel == "compiled":
            kernels_c.flights(sim, day, seats)
            return
        s = np.flatnonzero(a.state == SEAT_WAIT)
        lk = next_link(sim, s)
        board = first_in_groups(lk, a.since[s], a.id[s], seats)
        n_link = len(w.seat_wait)
        if board.any():
            n = np.bincount(lk[board], minlength=n_link)
            w.seat_wait -= n
            f.boarded += n
            step_onto(sim, s[board], lk[board])
        miss = ~board
        if miss.any():
            m = s[miss]
            a.tries[m] += 1
            f.missed_seat += np.bincount(lk[miss], minlength=n_link)
            quit = a.tries[m] >= spec.settings.seat_patience_days
            if quit.any():
                g = m[quit]
                n = np.bincount(lk[miss][quit], minlength=n_link)
                w.seat_wait -= n
                f.seat_gave_up += n
                a.state[g] = PLAN_NO_AIR
                a.route[g] = -1
                if spec.settings.no_seat_stays:
                    stay = g[w.abroad[w.country[a.loc[g]]] & (sim.scenario.locations.kind[a.loc[g]] == DESTINATION)
                             & (a.allowed_until[g] > day) & (a.broke[g] == 0)]
                    a.state[stay] = SETTLED
                    a.avoid[stay] = -1
