"""The mechanics every emigration rule uses to move agents, each keeping stocks and flows in step:
stepping onto a link, arriving at its end, deciding at a place what the route's next link asks for
(a seat on a flight, a place in a crossing's queue, or just going on), and going home. Returned agents keep
their row, marked ``returned``, at their origin, and are counted per origin and per country they returned
from."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.models.emigration import kernels_c
from crossings.engine.models.emigration.counters import emigrant_categories
from crossings.engine.models.emigration.entry import ON_ARRIVAL, admit, on_entry, on_exit, refuse
from crossings.engine.models.emigration.state import MOVING, NEVER, QUEUED, RETURNED, SEAT_WAIT, SETTLED
from crossings.scenario.emigration import AIR

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation


# What ``go_home`` writes: every rule that sends agents home declares it among its writes.
GO_HOME_WRITES = ("agents.loc", "agents.state", "agents.route", "agents.avoid", "agents.broke", "agents.stay_country",
                  "agents.allowed_until", "agents.window_used", "agents.permit", "world.present", "world.in_country",
                  "world.permits", "flows.departures", "flows.arrivals", "eflows.entries", "eflows.exits",
                  "eflows.returns", "eflows.returned_home", "eflows.permits_ended", "eflows.travellers_back",
                  "eflows.cat_returned", "eflows.emigrant_returns", "world.at_home", "agents.entered",
                  "eflows.first_arrivals")

# What ``step_onto`` writes (the step onto a link, its counts, the country changed and the stay, the fare): every
# rule that moves agents onto links declares it among its writes.
STEP_WRITES = ("agents.link", "agents.hop", "agents.progress", "agents.state", "agents.savings",
               "agents.stay_country", "agents.entry_day", "agents.allowed_until", "agents.window_used",
               "agents.window_start", "agents.permit", "world.present", "world.on_link", "world.in_country",
               "world.permits", "flows.departures", "flows.link_entries", "eflows.entries", "eflows.exits",
               "eflows.border", "eflows.permits_ended", "agents.entered", "eflows.first_arrivals")


def _count(x: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(x, minlength=n)


def _moved(stock: np.ndarray, flow: np.ndarray, where: np.ndarray, sign: int) -> None:
    """Agents leaving (sign −1) or reaching (+1) the places or links ``where``: the stock and the day's flow."""
    n = _count(where, len(stock))
    if sign < 0:
        stock -= n
    else:
        stock += n
    flow += n


def change_country(sim: Simulation, c_from: np.ndarray, c_to: np.ndarray, idx: np.ndarray | None = None,
                   lk: np.ndarray | None = None) -> None:
    """Count agents moving from countries ``c_from`` into ``c_to`` (only where the two differ); with ``idx``
    their stays end and start (``entry.on_exit``/``on_entry``), with ``lk`` the crossing is counted per link."""
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
        m = idx[moved]
        first_arrivals(sim, m, c_to[moved])
        on_exit(sim, m, c_from[moved].astype(np.int64))
        on_entry(sim, m, c_to[moved].astype(np.int64))


def first_arrivals(sim: Simulation, idx: np.ndarray, c_to: np.ndarray) -> None:
    """Agents ``idx`` (each once) enter countries ``c_to``: the emigrants among them (category not a round trip)
    entering a country abroad for the first time since they left home are counted in ``eflows.first_arrivals`` and
    marked in their ``entered`` bits, so a re-entry (a visa run, a move back) is not counted again."""
    w, a = sim.world, sim.agents
    c = np.asarray(c_to, dtype=np.int64)
    on = w.abroad[c] & emigrant_categories(sim)[a.category[idx]]
    if not on.any():
        return
    g, c = idx[on], c[on]
    bit = np.left_shift(np.uint64(1), c.astype(np.uint64))
    new = (a.entered[g] & bit) == 0
    if new.any():
        a.entered[g[new]] |= bit[new]
        sim.eflows.first_arrivals += np.bincount(c[new], minlength=len(sim.eflows.first_arrivals))


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
    _moved(w.present, f.departures, here, -1)
    _moved(w.on_link, f.link_entries, lk, +1)
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
        ok = admit(sim, idx[entering], c_to[entering].astype(np.int64), 2 * lk[entering].astype(np.int64) + ON_ARRIVAL)
        j = entering[~ok]
        if j.size:
            back[j] = True
            refused_c = c_to[j].astype(np.int64)
            dst = dst.copy()
            dst[j] = sim.scenario.links.src[lk[j]]
            c_to = c_to.copy()
            c_to[j] = c_from[j]
    _moved(w.on_link, f.link_exits, lk, -1)
    _moved(w.present, f.arrivals, dst, +1)
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


def go_home(sim: Simulation, idx: np.ndarray) -> None:
    """Agents ``idx`` (at places, not queued or waiting for a seat) go home the same day: they leave the
    country they are in (one exit there, one entry at home), their permit ends, and they stay at their origin.
    With the compiled kernel (the default) the same is done in C (``crossings_em_go_home``)."""
    if idx.size == 0:
        return
    if sim.kernel == "compiled":
        kernels_c.go_home(sim, idx)
        return
    a, w, fl, f = sim.agents, sim.world, sim.flows, sim.eflows
    here = a.loc[idx]
    home = a.home[idx]
    n_loc = len(w.present)
    dep = np.bincount(here, minlength=n_loc)
    arr = np.bincount(home, minlength=n_loc)
    w.present += arr - dep
    fl.departures += dep
    fl.arrivals += arr
    c_from = w.country[here]
    change_country(sim, c_from, w.country[home], idx)
    f.returns += np.bincount(c_from, minlength=len(f.returns))
    f.returned_home += arr
    f.cat_returned += np.bincount(a.category[idx], minlength=len(f.cat_returned))
    f.emigrant_returns += np.bincount(here[emigrant_categories(sim)[a.category[idx]]], minlength=n_loc)
    rt = sim.scenario.emigration.round_trip
    if rt is not None:  # travellers back home are again among the people who may leave (a new row if they do)
        back = idx[rt[a.category[idx]]]
        if back.size:
            pos = np.searchsorted(w.origins, a.home[back])  # origins are in location order
            np.add.at(w.at_home, (pos, a.category[back], a.sex[back], a.age_band[back]), 1)
            f.travellers_back += np.bincount(a.home[back], minlength=n_loc)
    a.loc[idx] = home
    a.state[idx] = RETURNED
    a.route[idx] = -1
    a.avoid[idx] = -1
    a.broke[idx] = 0
    a.stay_country[idx] = -1
    a.allowed_until[idx] = NEVER
