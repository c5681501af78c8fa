"""The entry check and the bookkeeping of each agent's stay abroad, shared by every rule that moves agents
across a border: the check at the moment of entry (``admit``, ``refuse``), the days used in a country's window,
and the day a stay runs out (``on_entry``, ``on_exit``). The rules that act on them (the policy timeline, what
an agent does when its stay runs out) live in ``stays.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.models.emigration.state import NEVER, NO_PERMIT, PERMIT, PLAN
from crossings.engine.rng import counter_uniforms, day_key, stream

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation

_I16 = np.iinfo(np.int16).max
ENTRY_STREAM = "emigration.entry"  # the counter stream of the visa draws (engine/rng.py)
# An agent's visa draw at the border of the country beyond link k is number 2k + site: one link, one check a
# day (routes are loop-free and a refusal ends the day), and a check on landing differs from one at a crossing.
ON_ARRIVAL, AT_CROSSING = 0, 1
HOLDER_STREAM = "emigration.visa_holders"  # the stream the visa trait's per-run offset is drawn from
# The step of the visa trait's Weyl sequence over agent ids: √2 − 1, not the permit trait's golden step, so the
# two traits are independent (1, √2 and √5 are rationally independent: the pairs spread evenly over the square).
ROOT2_STEP = 0.41421356237309515


# ---- who holds a visa ------------------------------------------------------------------------------------

def holder_salt(seed: int) -> float:
    """The per-run offset of the visa trait, drawn from the run's seeded stream ``HOLDER_STREAM``."""
    return float(stream(seed, HOLDER_STREAM).random())


def id_trait(salt: float, ids: np.ndarray, step: float) -> np.ndarray:
    """A fixed number in [0, 1) per agent, keyed by its id (which never changes, unlike its row): the Weyl
    sequence ``(salt + id · step) mod 1`` from a per-run offset, evenly spread, so a share s of any run of
    consecutive leavers falls below s. Traits with rationally independent steps are independent of each other."""
    return (salt + ids.astype(np.float64) * step) % 1.0


def holder_trait(salt: float, ids: np.ndarray) -> np.ndarray:
    """Each agent's fixed visa trait (:func:`id_trait` with step √2 − 1). An agent holds country c's visa on a
    day iff its trait < c's ``holders`` share."""
    return id_trait(salt, ids, ROOT2_STEP)


def lacks_visa(sim: Simulation, idx: np.ndarray, c: np.ndarray) -> np.ndarray:
    """True for agents ``idx`` who hold no visa of country ``c`` where only a share of people hold one."""
    w = sim.world
    h = w.visa_holders[c]
    out = np.zeros(idx.size, dtype=bool)
    part = h < 1
    if part.any():
        out[part] = holder_trait(w.visa_salt, sim.agents.id[idx[part]]) >= h[part]
    return out


# ---- the stay of each agent ------------------------------------------------------------------------------

def window_used(sim: Simulation, idx: np.ndarray, c: np.ndarray, day: int) -> np.ndarray:
    """Days agents ``idx`` already spent in country ``c`` within the current stay_limit window (0 if their
    window there is over or they have none). The window starts at the first entry and lasts window_days."""
    a, w = sim.agents, sim.world
    wl = w.window_len[c]
    same = (a.stay_country[idx] == c) & ((wl < 0) | (day < a.window_start[idx].astype(np.int64) + wl))
    return np.where(same, a.window_used[idx], 0).astype(np.int64)


def stay_end(sim: Simulation, c: np.ndarray, used: np.ndarray, day: int) -> np.ndarray:
    """First day an agent entering country ``c`` today, having used ``used`` days of its window, may no longer
    stay: the earliest of the per-entry limit (visa_free, or a visa's days) and the window's remaining days."""
    w = sim.world
    out = np.full(c.shape, NEVER, dtype=np.int64)
    pe = w.per_entry[c]
    out = np.where(pe >= 0, np.minimum(out, day + pe), out)
    vd = w.visa_days[c]
    out = np.where(~np.isnan(w.visa_p[c]) & (vd >= 0), np.minimum(out, day + vd), out)
    wm = w.window_max[c]
    return np.where(wm >= 0, np.minimum(out, day + wm - used), out)


def on_exit(sim: Simulation, idx: np.ndarray, c: np.ndarray) -> None:
    """Agents ``idx`` leave country ``c`` today: the days of this stay count in their window; a permit there
    ends (permits are not kept while abroad), a pending application lapses."""
    a, w, f = sim.agents, sim.world, sim.eflows
    day = sim.today
    mine = a.stay_country[idx] == c
    g = idx[mine]
    if g.size == 0:
        return
    a.window_used[g] = np.minimum(a.window_used[g] + (day - a.entry_day[g]), _I16)
    held = g[a.permit[g] == PERMIT]
    if held.size:
        n = np.bincount(a.stay_country[held], minlength=len(w.permits))
        w.permits -= n
        f.permits_ended += n
    a.permit[g] = NO_PERMIT


def on_entry(sim: Simulation, idx: np.ndarray, c: np.ndarray) -> None:
    """Agents ``idx`` enter country ``c`` today: abroad, a new stay starts (a new window if the last one there
    is over); at home, the stay bookkeeping is cleared."""
    a, w = sim.agents, sim.world
    day = sim.today
    out = ~w.abroad[c]
    if out.any():
        h = idx[out]
        a.stay_country[h] = -1
        a.allowed_until[h] = NEVER
    g, cg = idx[~out], c[~out]
    if g.size == 0:
        return
    wl = w.window_len[cg]
    fresh = (a.stay_country[g] != cg) | ((wl >= 0) & (day >= a.window_start[g].astype(np.int64) + wl))
    used = np.where(fresh, 0, a.window_used[g]).astype(np.int64)
    a.window_start[g] = np.where(fresh, day, a.window_start[g])
    a.window_used[g] = used
    a.stay_country[g] = cg
    a.entry_day[g] = day
    a.allowed_until[g] = np.minimum(stay_end(sim, cg, used, day), NEVER)


def admit(sim: Simulation, idx: np.ndarray, c: np.ndarray, draw: int | np.ndarray = 0) -> np.ndarray:
    """The entry check of agents ``idx`` arriving at the border of country ``c`` (a crossing letting them
    through, a flight landing, a road into the country): True for those let in. Home countries let everyone
    in. Abroad: nobody under a tourist ban; nobody whose stay_limit window is used up; where a visa is needed,
    nobody who holds none (the policy's ``holders`` share, :func:`lacks_visa`), and the others pay its cost
    (refused if they cannot) and are approved with its probability, drawn from the entry stream with draw
    number(s) ``draw`` (one for all, or one per agent: 2 × link + ON_ARRIVAL or AT_CROSSING)."""
    a, w = sim.agents, sim.world
    day = sim.today
    abroad = w.abroad[c]
    ok = ~(abroad & w.banned[c])
    wm = w.window_max[c]
    lim = abroad & (wm >= 0)
    if lim.any():
        ok[lim] &= window_used(sim, idx[lim], c[lim], day) < wm[lim]
    vp = w.visa_p[c]
    need = ok & abroad & ~np.isnan(vp)
    if need.any():
        j = np.flatnonzero(need)
        lacks = lacks_visa(sim, idx[j], c[j])
        if lacks.any():
            ok[j[lacks]] = False
            j = j[~lacks]
        cost = w.visa_cost[c[j]]
        pay = a.savings[idx[j]] >= cost
        a.savings[idx[j[pay]]] -= cost[pay].astype(np.float32)
        dkey = day_key(sim.stream_key(ENTRY_STREAM), day)
        u = counter_uniforms(dkey, a.id[idx[j]], draw if np.ndim(draw) == 0 else np.asarray(draw)[j])
        ok[j] = pay & (u < vp[j])
    return ok


def refuse(sim: Simulation, idx: np.ndarray, c: np.ndarray) -> None:
    """Agents ``idx`` refused entry to ``c`` re-plan from where they are, on routes avoiding ``c``."""
    a = sim.agents
    a.state[idx] = PLAN
    a.route[idx] = -1
    a.avoid[idx] = c
    sim.eflows.refused += np.bincount(c, minlength=len(sim.eflows.refused))
