"""The mechanics every emigration rule uses to move agents, each keeping stocks and flows in step:
stepping onto a link, arriving at its end, and deciding at a place what the route's next link asks for
(a seat on a flight, a place in a crossing's queue, or just going on)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.models.emigration.state import MOVING, QUEUED, SEAT_WAIT, SETTLED
from crossings.scenario.emigration import AIR

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation


def _count(x: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(x, minlength=n)


def change_country(sim: Simulation, c_from: np.ndarray, c_to: np.ndarray, idx: np.ndarray | None = None,
                   lk: np.ndarray | None = None) -> None:
    """Count agents moving from countries ``c_from`` into ``c_to`` (only where the two differ); with ``idx``
    their stays end and start (``stays.on_exit``/``on_entry``), with ``lk`` the crossing is counted per link."""
    w, f = sim.world, sim.eflows
    moved = c_from != c_to
    if not moved.any():
        return
    n = len(w.in_country)
    out = _count(c_from[moved], n)
    inn = _count(c_to[moved], n)
    f.exits += out
    f.entries += inn
    w.in_country += inn - out
    if lk is not None:
        f.border += _count(lk[moved], len(f.border))
    if idx is not None:
        from crossings.engine.models.emigration.stays import on_entry, on_exit

        m = idx[moved]
        on_exit(sim, m, c_from[moved].astype(np.int64))
        on_entry(sim, m, c_to[moved].astype(np.int64))


def next_link(sim: Simulation, idx: np.ndarray) -> np.ndarray:
    """The next link on the planned route of agents ``idx``."""
    p = sim.world.routes.paths
    a = sim.agents
    return p.links[p.start[a.route[idx]] + a.hop[idx].astype(np.int64)]


def step_onto(sim: Simulation, idx: np.ndarray, lk: np.ndarray) -> None:
    """Agents ``idx`` (at places) start travelling on links ``lk``; a gated link counts as entering the
    country beyond the crossing."""
    if idx.size == 0:
        return
    a, w, f = sim.agents, sim.world, sim.flows
    here = a.loc[idx]
    dep = _count(here, len(w.present))
    w.present -= dep
    f.departures += dep
    ent = _count(lk, len(w.on_link))
    w.on_link += ent
    f.link_entries += ent
    change_country(sim, w.country[here], w.link_country[lk], idx, lk)
    cost = w.link_cost
    if sim.scenario.emigration.link_cost.any():
        a.savings[idx] = np.maximum(a.savings[idx] - cost[lk].astype(np.float32), 0)
    a.link[idx] = lk
    a.progress[idx] = 0.0
    a.hop[idx] += 1
    a.state[idx] = MOVING


def arrive(sim: Simulation, idx: np.ndarray) -> np.ndarray:
    """Agents ``idx`` reach the end of their links. Where that enters another country (a flight landing, a
    road into a country's own crossing) the entry check runs first: the refused are turned back to where the
    link started and re-plan. Returns a mask over ``idx``: True for those turned back."""
    back = np.zeros(idx.size, dtype=bool)
    if idx.size == 0:
        return back
    a, w, f = sim.agents, sim.world, sim.flows
    lk = a.link[idx]
    dst = sim.scenario.links.dst[lk]
    c_from, c_to = w.link_country[lk], w.country[dst]
    entering = np.flatnonzero(c_from != c_to)
    if entering.size and sim.scenario.emigration.policies:
        from crossings.engine.models.emigration.stays import admit, refuse

        ok = admit(sim, idx[entering], c_to[entering].astype(np.int64))
        j = entering[~ok]
        if j.size:
            back[j] = True
            refused_c = c_to[j].astype(np.int64)
            dst = dst.copy()
            dst[j] = sim.scenario.links.src[lk[j]]
            c_to = c_to.copy()
            c_to[j] = c_from[j]
    ex = _count(lk, len(w.on_link))
    w.on_link -= ex
    f.link_exits += ex
    arr = _count(dst, len(w.present))
    w.present += arr
    f.arrivals += arr
    change_country(sim, c_from, c_to, idx, lk)
    a.loc[idx] = dst
    a.link[idx] = -1
    a.progress[idx] = 0.0
    if back.any():
        refuse(sim, idx[back], refused_c)
    return back


def dispatch(sim: Simulation, idx: np.ndarray, day: int) -> np.ndarray:
    """Agents ``idx`` (at places, holding a route) act on the route's next step: at its end they settle; before
    a flight they wait for a seat; before a gated link they join the crossing's queue; otherwise they step onto
    the next link. Returns a mask over ``idx``: True for those now on a link."""
    a, w = sim.agents, sim.world
    went = np.zeros(idx.size, dtype=bool)
    if idx.size == 0:
        return went
    paths = w.routes.paths
    done = a.hop[idx].astype(np.int64) >= paths.n_links[a.route[idx]]
    s = idx[done]
    a.state[s] = SETTLED
    a.avoid[s] = -1
    a.broke[s] = 0
    j = np.flatnonzero(~done)
    if j.size == 0:
        return went
    g = idx[j]
    lk = next_link(sim, g)
    air = sim.scenario.emigration.link_mode[lk] == AIR
    gate = w.gated[lk] & ~air
    if air.any():
        s = g[air]
        a.state[s] = SEAT_WAIT
        a.since[s] = day
        a.tries[s] = 0
        joined = _count(lk[air], len(w.on_link))
        w.seat_wait += joined
        sim.eflows.seat_joins += joined
    if gate.any():
        q = g[gate]
        a.state[q] = QUEUED
        a.since[q] = day
        gid = w.gates[a.loc[q], a.travel_mode[q]]
        joined = _count(gid, len(w.queue))
        w.queue += joined
        sim.eflows.joins += joined
    go = ~air & ~gate
    step_onto(sim, g[go], lk[go])
    went[j[go]] = True
    return went
