"""The move phase (flee-model.md §1.6, checklist items 5–7): agents whose daily move-chance draw comes up
choose a route if they have none and step onto its next link."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.kernels import next_links, sample_paths
from crossings.engine.models.flee import kernels_c
from crossings.engine.rng import geometric_wait
from crossings.engine.rule import Rule
from crossings.engine.state import NEVER
from crossings.params.flee import ROUTES_CONTINUE

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation


def plan_and_step(sim: Simulation, idx: np.ndarray) -> np.ndarray:
    """Agents ``idx`` (at locations, already decided to move) plan a route if they have none and take its
    next link unless the link is closed or the route ends at a camp whose capmult < 0.5 (then the route is
    dropped). Returns a boolean mask over ``idx``: True for those now on a link."""
    a = sim.agents
    w = sim.world
    paths = w.paths
    if idx.size == 0:
        return np.zeros(0, dtype=bool)
    need = a.route[idx] < 0
    if need.any():
        plan = idx[need]
        pid = sample_paths(sim.route_cdf, paths.by_origin, a.loc[plan], sim.rng["route"].random(plan.size))
        a.route[plan] = pid
        a.hop[plan] = 0
    route = a.route[idx]
    has = route >= 0
    went = np.zeros(idx.size, dtype=bool)
    if not has.any():
        return went
    j = np.flatnonzero(has)
    r = route[j]
    lk = next_links(paths, r, a.hop[idx[j]].astype(np.int64))
    final = paths.end[r]
    blocked = ~w.link_open[lk] | (w.is_camp()[final] & (w.capmult[final] < 0.5))
    a.route[idx[j[blocked]]] = -1
    ok = ~blocked
    g = idx[j[ok]]
    lg = lk[ok]
    nh = a.hop[g].astype(np.int64) + 1
    done = nh >= paths.n_links[r[ok]]
    a.hop[g] = np.where(done, 0, nh)
    a.route[g[done]] = -1
    origin = a.loc[g]
    a.link[g] = lg
    a.progress[g] = 0.0
    a.wake[g] = NEVER
    n_loc = len(w.present)
    dep = np.bincount(origin, minlength=n_loc)
    w.present -= dep
    sim.flows.departures += dep
    ent = np.bincount(lg, minlength=len(w.on_link))
    w.on_link += ent
    sim.flows.link_entries += ent
    went[j[ok]] = True
    return went


def schedule_wake(sim: Simulation, idx: np.ndarray, day: int) -> None:
    """Next wake-up day for agents ``idx`` staying at their location: the first success of daily draws at
    its move chance; in the ``crossings``, ``fixes`` and ``flee32`` rule sets (Flee 3.2 fixed it) an agent holding a
    route continues the next day."""
    if idx.size == 0:
        return
    a = sim.agents
    wait = geometric_wait(sim.rng["wake"], sim.world.movechance[a.loc[idx]])
    if sim.rules in ROUTES_CONTINUE:
        wait = np.where(a.route[idx] >= 0, 1, wait)
    a.wake[idx] = np.minimum(day + wait, NEVER)


class MovePhase(Rule):
    """Every agent at a location draws against its location's move chance each day; in Flee 3.1 this
    includes agents holding a multi-hop route. Draws are scheduled as geometric wake-up days, which gives
    the same distribution without touching every agent every day."""

    name = "move"
    reads = ("agents.wake", "agents.loc", "agents.route", "world.capmult", "world.link_open")
    writes = ("agents.route", "agents.hop", "agents.link", "agents.wake", "world.present", "world.on_link",
              "flows.departures", "flows.link_entries")

    def step(self, sim: Simulation, day: int) -> None:
        a = sim.agents
        if sim.kernel == "compiled":
            kernels_c.move_phase(sim, day)
            return
        cand = np.flatnonzero(a.wake == day)
        if cand.size == 0:
            return
        went = plan_and_step(sim, cand)
        schedule_wake(sim, cand[~went], day)
