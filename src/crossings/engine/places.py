"""What every model that moves agents over a scenario's graph shares: recording the stocks and flows per place
and link (:data:`crossings.results.schema.PLACE_SERIES`, :data:`~crossings.results.schema.LINK_SERIES`), and
the check mode's census of them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation
    from crossings.results import Results


def record_places(sim: Simulation, res: Results, day: int, rows: int, debt: int = 0) -> None:
    """Store the end-of-day stocks per place and link, the day's flows, the agents ever created (``rows``) and
    Flee's refugee debt."""
    s, w, f = res.series, sim.world, sim.flows
    s["n_present"][day] = w.present
    s["n_on_link"][day] = w.on_link
    s["new_spawned"][day] = f.spawned
    s["new_arrivals"][day] = f.arrivals
    s["new_departures"][day] = f.departures
    s["new_link_entries"][day] = f.link_entries
    s["new_link_exits"][day] = f.link_exits
    res.n_agents[day] = rows
    res.refugee_debt[day] = debt


def place_census(sim: Simulation, day: int, retired: np.ndarray | None = None) -> None:
    """Assert that the stocks per place and link equal a count of the agents there (``retired``: agents per
    place no longer in the table, counted as present)."""
    a, w = sim.agents, sim.world
    at = a.link < 0
    present = np.bincount(a.loc[at], minlength=len(w.present))
    if retired is not None:
        present = present + retired
    on_link = np.bincount(a.link[~at], minlength=len(w.on_link))
    if not np.array_equal(present, w.present):
        bad = np.flatnonzero(present != w.present)[:3]
        raise AssertionError(f"day {day}: location stocks {w.present[bad]} != census {present[bad]} at {bad}")
    if not np.array_equal(on_link, w.on_link):
        raise AssertionError(f"day {day}: link stocks differ from the census")
    if present.sum() + on_link.sum() != len(a) + (int(retired.sum()) if retired is not None else 0):
        raise AssertionError(f"day {day}: {len(a)} agents but {present.sum() + on_link.sum()} counted")
