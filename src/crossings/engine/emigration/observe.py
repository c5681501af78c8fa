"""The observation model, first part: what a run of the emigration model records each day (entries, exits
and people present per country; queues, passages and waits per crossing and mode; seats per flight; people
still at home), and the check mode's double-entry tests of those stocks and flows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.emigration.movement import next_link
from crossings.engine.emigration.state import QUEUED, SEAT_WAIT
from crossings.scenario.emigration import AIR

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation
    from crossings.results import Results


def record(res: Results, sim: Simulation, day: int) -> None:
    """Store the day's emigration stocks and flows in ``res`` (series named as in ``results.EMIGRATION_SERIES``)."""
    w, f, s = sim.world, sim.eflows, res.series
    home = np.zeros(len(w.present), dtype=np.int64)
    home[w.origins] = w.at_home.reshape(len(w.origins), -1).sum(axis=1)
    s["n_at_home"][day] = home
    s["n_in_country"][day] = w.in_country
    s["new_entries"][day] = f.entries
    s["new_exits"][day] = f.exits
    s["new_left_home"][day] = f.left_home
    s["n_queue"][day] = w.queue
    s["new_queue_joins"][day] = f.joins
    s["new_passages"][day] = f.passages
    s["new_queue_gave_up"][day] = f.gave_up
    s["sum_wait_days"][day] = f.wait_sum
    s["n_seat_wait"][day] = w.seat_wait
    s["new_seat_joins"][day] = f.seat_joins
    s["new_boarded"][day] = f.boarded
    s["new_missed_seat"][day] = f.missed_seat
    s["new_seat_gave_up"][day] = f.seat_gave_up
    if sim.check:
        balance(res, sim, day)


def census(sim: Simulation, day: int) -> None:
    """Stocks kept by the rules equal a count of the agents (nobody created or lost, nobody double counted)."""
    a, w = sim.agents, sim.world
    on = a.link >= 0
    where = np.where(on, w.link_country[np.maximum(a.link, 0)], w.country[np.maximum(a.loc, 0)])
    _same(day, "agents per country", np.bincount(where, minlength=len(w.in_country)), w.in_country)
    q = np.flatnonzero(a.state == QUEUED)
    gid = w.gates[a.loc[q], a.travel_mode[q]]
    if (gid < 0).any():
        raise AssertionError(f"day {day}: {int((gid < 0).sum())} agents queue at a place that is not a crossing")
    _same(day, "agents queued per crossing and mode", np.bincount(gid, minlength=len(w.queue)), w.queue)
    s = np.flatnonzero(a.state == SEAT_WAIT)
    lk = next_link(sim, s)
    if (sim.scenario.emigration.link_mode[lk] != AIR).any():
        raise AssertionError(f"day {day}: agents wait for a seat on a route that is not a flight")
    _same(day, "agents waiting for seats per flight", np.bincount(lk, minlength=len(w.seat_wait)), w.seat_wait)
    population = int(sim.scenario.locations.population[w.origins].sum())
    if int(w.at_home.sum()) + len(a) != population or (w.at_home < 0).any():
        raise AssertionError(f"day {day}: {int(w.at_home.sum())} at home + {len(a)} agents != population "
                             f"at risk {population}")


def balance(res: Results, sim: Simulation, day: int) -> None:
    """Each stock changed by exactly its flows since yesterday (day 0: since the empty start)."""
    s = res.series

    def delta(name: str) -> np.ndarray:
        return s[name][day] - (s[name][day - 1] if day > 0 else 0)

    home0 = np.zeros(len(sim.world.present), dtype=np.int64)
    home0[sim.world.origins] = sim.scenario.locations.population[sim.world.origins]
    d_home = s["n_at_home"][day] - (s["n_at_home"][day - 1] if day > 0 else home0)
    checks = [
        ("people at home", d_home, -s["new_spawned"][day]),
        ("agents per location", delta("n_present"),
         s["new_spawned"][day] + s["new_arrivals"][day] - s["new_departures"][day]),
        ("agents per link", delta("n_on_link"), s["new_link_entries"][day] - s["new_link_exits"][day]),
        ("agents per country", delta("n_in_country"),
         s["new_left_home"][day] + s["new_entries"][day] - s["new_exits"][day]),
        ("queue per crossing and mode", delta("n_queue"),
         s["new_queue_joins"][day] - s["new_passages"][day] - s["new_queue_gave_up"][day]),
        ("seat waits per flight", delta("n_seat_wait"),
         s["new_seat_joins"][day] - s["new_boarded"][day] - s["new_seat_gave_up"][day]),
    ]
    air = sim.scenario.emigration.link_mode == AIR
    checks.append(("boardings", s["new_boarded"][day], np.where(air, s["new_link_entries"][day], 0)))
    checks.append(("entries and exits overall", np.array([s["new_entries"][day].sum()]),
                   np.array([s["new_exits"][day].sum()])))
    for what, got, want in checks:
        _same(day, f"change of {what}", got, want)


def _same(day: int, what: str, got: np.ndarray, want: np.ndarray) -> None:
    if not np.array_equal(got, want):
        bad = np.flatnonzero(np.asarray(got) != np.asarray(want))[:3]
        raise AssertionError(f"day {day}: {what}: got {np.asarray(got)[bad]}, expected {np.asarray(want)[bad]} "
                             f"at positions {bad}")
