"""Land crossings: one first-in-first-out queue per crossing and travel mode (car, foot), drained each day up
to the crossing's capacity for that mode; a closed crossing or a barred mode lets nobody of it through."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.models.emigration import kernels_c
from crossings.engine.models.emigration.entry import AT_CROSSING, admit, refuse
from crossings.engine.models.emigration.movement import STEP_WRITES, next_link, step_onto
from crossings.engine.models.emigration.state import PLAN, QUEUED
from crossings.engine.rule import Rule

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation


def first_in_groups(groups: np.ndarray, since: np.ndarray, ids: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """True for the elements among the first ``limits[g]`` of their group g in arrival order (the day they
    joined, then agent id); all of a group with a negative limit or no more members than its limit.
    Groups are few (crossings × modes, or flights), elements many: one partial sort per group that is over
    its limit, O(n) each."""
    counts = np.bincount(groups, minlength=len(limits))
    everyone = (limits < 0) | (counts <= limits)
    out = everyone[groups]
    for g in np.flatnonzero(~everyone & (limits > 0)):
        members = np.flatnonzero(groups == g)
        c = int(limits[g])
        key = since[members].astype(np.int64) * (int(ids.max()) + 1) + ids[members]
        out[members[np.argpartition(key, c - 1)[:c]]] = True
    return out


class BorderQueues(Rule):
    """Agents queue in order of the day they joined, then agent id. Each day the first
    ``capacity_per_day`` of each queue pass (all if no capacity is given) and step onto the road beyond;
    a passer's wait is today − the day it joined (0 if it passed on the day it arrived), added to its
    ``wait_days``. Everyone else waits; with ``queue_patience_days`` > 0, those who have waited that many
    days leave the queue and re-plan on routes avoiding the country beyond it (turning back is free; before, they
    drew the same road again and joined the back of the same queue, so a queue never cleared while people
    kept giving up). With the compiled kernel (the default) the same is
    done in C (``crossings_em_border_queues``)."""

    name = "border_queues"
    reads = ("agents.id", "agents.state", "agents.loc", "agents.travel_mode", "agents.since", "world.crossing_closures",
             "world.mode_bars", "world.cap_mult")
    writes = ("agents.wait_days", "agents.route", "agents.avoid", "world.queue", "eflows.passages", "eflows.wait_sum",
              "eflows.gave_up", "eflows.turned_back", "eflows.refused", *STEP_WRITES)  # and the step onto the road

    def init(self, sim: Simulation) -> None:
        self._cap_key = b""
        self._cap = np.zeros(0, dtype=np.int64)

    def capacity(self, sim: Simulation) -> np.ndarray:
        """Today's capacity per gate (``EmigrationWorld.gate_capacity``), recomputed only when the timeline has
        changed what it depends on (capacity events, closures, bars)."""
        w = sim.world
        key = w.cap_mult.tobytes() + w.crossing_closures.tobytes() + w.mode_bars.tobytes()
        if key != self._cap_key:
            self._cap = w.gate_capacity(sim.scenario.emigration)
            self._cap_key = key
        return self._cap

    def step(self, sim: Simulation, day: int) -> None:
        a, w, f = sim.agents, sim.world, sim.eflows
        if not w.queue.any():  # nobody queued
            return
        spec = sim.scenario.emigration
        cap = self.capacity(sim)
        if sim.kernel == "compiled":
            kernels_c.border_queues(sim, day, cap)
            return
        q = np.flatnonzero(a.state == QUEUED)
        gid = w.gates.ravel()[a.loc[q].astype(np.int64) * 2 + a.travel_mode[q]]
        passing = first_in_groups(gid, a.since[q], a.id[q], cap)
        n_gate = len(w.queue)
        if passing.any():
            p, pg = q[passing], gid[passing]
            wait = day - a.since[p].astype(np.int64)
            a.wait_days[p] = np.minimum(a.wait_days[p] + wait, np.iinfo(np.int16).max)
            lk = next_link(sim, p)
            if spec.policies:  # the entry check of the country beyond; the refused are turned back here
                c = w.link_country[lk].astype(np.int64)
                ok = admit(sim, p, c, 2 * lk.astype(np.int64) + AT_CROSSING)
                if not ok.all():
                    r = ~ok
                    n = np.bincount(pg[r], minlength=n_gate)
                    w.queue -= n
                    f.turned_back += n
                    refuse(sim, p[r], c[r])
                    p, pg, wait, lk = p[ok], pg[ok], wait[ok], lk[ok]
            n = np.bincount(pg, minlength=n_gate)
            w.queue -= n
            f.passages += n
            f.wait_sum += np.bincount(pg, weights=wait, minlength=n_gate).astype(np.int64)
            step_onto(sim, p, lk)
        patience = spec.settings.queue_patience_days
        if patience > 0:
            waited = day - a.since[q].astype(np.int64) + 1
            quit = ~passing & (waited >= patience)
            if quit.any():
                g = q[quit]
                a.wait_days[g] = np.minimum(a.wait_days[g] + waited[quit], np.iinfo(np.int16).max)
                n = np.bincount(gid[quit], minlength=n_gate)
                w.queue -= n
                f.gave_up += n
                a.avoid[g] = w.link_country[next_link(sim, g)]  # not the back of the same queue again
                a.state[g] = PLAN
                a.route[g] = -1
