"""Counters the observation model records that no rule keeps: emigrants per country (``world.emigrants``) and
stays by how long they have lasted (registered stays, ``world.registered``; stays reaching a length today), kept
in step with the agent table without recounting it.

Agents change country and start or end stays in many places (travel, queues, flights, returns, visa runs, the
compiled kernels), so instead of each of them keeping these counts, :class:`Tally` keeps a copy of the columns
they depend on (``seen_loc``, ``seen_link``, ``seen_entry``, ``seen_stay``) and once a day finds the rows where
place, link or entry day differ from the copy (three comparisons and one ``flatnonzero`` over the table): only
those are counted again. Every change of country changes the place or link, and every new stay the entry day, so
nothing is missed; the check mode compares the counts with a fresh count every day (``observe.check_counters``).
Stays are kept in a calendar of ongoing stays by entry day and country, so the stays reaching N days today are
one row of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.models.emigration import kernels_c
from crossings.engine.models.emigration.state import RETURNED
from crossings.params.emigration import LONG_STAY_DAYS

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation

# the columns the tally copies (its own agent columns); -1: nothing counted yet for the row
SEEN = {"seen_loc": (np.int32, -1), "seen_link": (np.int32, -1), "seen_entry": (np.int32, -1),
        "seen_stay": (np.int8, -1)}


def counted_in(sim: Simulation, idx: np.ndarray | None = None, loc: np.ndarray | None = None,
               link: np.ndarray | None = None) -> np.ndarray:
    """The country each agent (or each of ``idx``) is counted in: its link's while travelling, else its place's
    (``loc`` and ``link``: other values of those columns, e.g. the tally's copies)."""
    a, w = sim.agents, sim.world
    if loc is None or link is None:
        link, loc = (a.link, a.loc) if idx is None else (a.link[idx], a.loc[idx])
    return np.where(link >= 0, w.link_country[np.maximum(link, 0)], w.country[np.maximum(loc, 0)])


def emigrant_categories(sim: Simulation) -> np.ndarray:
    """True for each category whose agents are emigrants (not round-trip travellers)."""
    rt = sim.scenario.emigration.round_trip
    n = len(sim.scenario.emigration.category.names)
    return np.ones(n, dtype=bool) if rt is None else ~np.asarray(rt, dtype=bool)


def prepare(sim: Simulation) -> None:
    """Add the tally's columns to the run's agent table (when the table is made, so checkpoints keep them);
    the tally itself (``sim.tally``) is made at the first recording."""
    sim.agents.add_columns(SEEN)
    sim.tally = None


class Tally:
    """The incremental counts of one run (see the module's docstring); ``tally(sim)`` makes it when first
    needed, and again for a new agent table (a resumed run), from a full count: nothing of it is saved."""

    def __init__(self, sim: Simulation) -> None:
        n_c = len(sim.world.in_country)
        self.table = sim.agents
        self.emigrant = emigrant_categories(sim)
        self.emigrant_u8 = self.emigrant.astype(np.uint8)  # (the compiled sync's copy)
        self.calendar = np.zeros((sim.days + 1, n_c), dtype=np.int64)  # ongoing stays by (entry day, country)
        self.reg_used: np.ndarray | None = None  # registration_days as of the last count of registered stays
        self.reg_on: tuple[bytes, np.ndarray] | None = None  # registration_days, and the countries where it is >= 0
        self.last_day = -1  # the day registered stays were last counted
        self.rebuild(sim)

    def rebuild(self, sim: Simulation) -> None:
        """Count everything afresh and copy the columns."""
        a, w = sim.agents, sim.world
        a.add_columns(SEEN)
        a.seen_loc[:] = a.loc
        a.seen_link[:] = a.link
        a.seen_entry[:] = a.entry_day
        a.seen_stay[:] = a.stay_country
        live = np.flatnonzero(self.emigrant[a.category] & (a.state != RETURNED))
        w.emigrants[:] = np.bincount(counted_in(sim, live), minlength=len(w.emigrants))
        on = a.stay_country >= 0
        n_c = self.calendar.shape[1]
        flat = a.entry_day[on].astype(np.int64) * n_c + a.stay_country[on]
        self.calendar[:] = np.bincount(flat, minlength=self.calendar.size).reshape(self.calendar.shape)
        self.reg_used = None

    def sync(self, sim: Simulation) -> None:
        """Count again the rows whose place, link or stay changed since the last sync (idempotent)."""
        if sim.kernel == "compiled":  # the same in C (kernels_c.tally), one loop over the table
            kernels_c.tally(sim, self)
            return
        a, w = sim.agents, sim.world
        moved, other = np.empty(len(a), dtype=bool), np.empty(len(a), dtype=bool)
        np.not_equal(a.loc, a.seen_loc, out=moved)
        np.logical_or(moved, np.not_equal(a.link, a.seen_link, out=other), out=moved)
        np.logical_or(moved, np.not_equal(a.entry_day, a.seen_entry, out=other), out=moved)
        ch = np.flatnonzero(moved)
        if ch.size == 0:
            return
        n_c = len(w.emigrants)
        old_loc, old_link = a.seen_loc[ch], a.seen_link[ch]
        em = self.emigrant[a.category[ch]]
        was = em & (old_loc >= 0)  # a new row (no copy yet) was counted nowhere
        if was.any():
            w.emigrants -= np.bincount(counted_in(sim, loc=old_loc[was], link=old_link[was]), minlength=n_c)
        now = em & (a.state[ch] != RETURNED)
        if now.any():
            w.emigrants += np.bincount(counted_in(sim, ch[now]), minlength=n_c)
        self._stays(sim, ch)
        a.seen_loc[ch] = a.loc[ch]
        a.seen_link[ch] = a.link[ch]

    def _stays(self, sim: Simulation, ch: np.ndarray) -> None:
        """Move the changed rows' stays in the calendar: the one that ended out (and out of the registered
        stays if it was counted there at the last count), the one that started in."""
        a, w = sim.agents, sim.world
        old_c, old_e = a.seen_stay[ch], a.seen_entry[ch]
        new_c, new_e = a.stay_country[ch], a.entry_day[ch]
        other = (old_c != new_c) | (old_e != new_e)
        gone = other & (old_c >= 0)
        if gone.any():
            c, e = old_c[gone], old_e[gone]
            np.subtract.at(self.calendar, (e, c), 1)
            if self.reg_used is not None:
                reg = self.reg_used[c]
                was = (reg >= 0) & (self.last_day - e >= reg)
                w.registered -= np.bincount(c[was], minlength=len(w.registered))
        came = other & (new_c >= 0)
        if came.any():  # (stays that started since the last sync: today's, but a rebuild can come between)
            np.add.at(self.calendar, (new_e[came], new_c[came]), 1)
        a.seen_entry[ch] = new_e
        a.seen_stay[ch] = new_c

    def stays_on(self, sim: Simulation, day: int) -> tuple[np.ndarray, np.ndarray]:
        """After :meth:`sync` on ``day``: (stays reaching LONG_STAY_DAYS today, stays reaching their country's
        registration_days today) per country; ``world.registered`` is brought up to date."""
        w = sim.world
        n_c = len(w.registered)
        cal = self.calendar
        long = cal[day - LONG_STAY_DAYS] if day >= LONG_STAY_DAYS else np.zeros(n_c, dtype=np.int64)
        reg = w.registration_days
        new = np.zeros(n_c, dtype=np.int64)
        rb = reg.tobytes()  # (compared as bytes: a tenth of np.array_equal's cost, every day)
        if self.reg_on is None or self.reg_on[0] != rb:  # the countries that register stays, by the rules
            self.reg_on = (rb, np.flatnonzero(reg >= 0))
        on = self.reg_on[1]
        cs = on[reg[on] <= day]
        if cs.size:
            new[cs] = cal[day - reg[cs], cs]
        if self.reg_used is None or self.reg_used.tobytes() != rb:  # first count, or the rules changed
            w.registered[:] = 0
            for c in cs:
                w.registered[c] = cal[: day - reg[c] + 1, c].sum()
            self.reg_used = reg.copy()
        else:
            w.registered += new
        self.last_day = day
        return long, new


def tally(sim: Simulation) -> Tally:
    """The run's :class:`Tally` (made, from a full count, the first time)."""
    t = getattr(sim, "tally", None)
    if t is None or t.table is not sim.agents:
        t = sim.tally = Tally(sim)
    return t
