"""The travel phase (flee-model.md §1.7, checklist item 8): agents on links advance by the day's speed;
on arrival they may continue the same day (a fresh move-chance draw at every place passed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.models.flee.kernels import refresh_route_cdf
from crossings.engine.models.flee.rules.move import plan_and_step, schedule_wake
from crossings.engine.rule import Rule
from crossings.engine.state import NEVER
from crossings.scenario.model import TOWN

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation

MAX_CHAIN = 1000  # links one agent may enter in a day; equals MAX_LINKS_PER_DAY in _kernels.c


class TravelPhase(Rule):
    """Each link entered gets a full day's credit v (Flee's quirk); arrival when progress > length
    (strict); the overshoot is taken off the day's distance, and if that is still below v the agent runs
    the move decision again at the new place. Links closed while an agent is on them send it back to the
    link's start. ``flee31``: a planned route continues only with the place's move chance; ``crossings``:
    with certainty."""

    name = "travel"
    reads = ("agents.link", "agents.progress", "world.link_open", "world.movechance")
    writes = ("agents.loc", "agents.link", "agents.progress", "agents.wake", "agents.hops_done",
              "world.present", "world.on_link", "flows.arrivals", "flows.link_exits")

    def step(self, sim: Simulation, day: int) -> None:
        a = sim.agents
        w = sim.world
        s = sim.settings
        sc = sim.scenario
        dist = sc.links.distance
        walk_p = sc.links.walk_probability
        any_walk = bool((walk_p > 0).any())
        if sim.kernel == "compiled":
            from crossings.engine.models.flee import kernels_c

            kernels_c.travel_phase(sim, day)
            return
        n_loc = len(w.present)
        n_link = len(w.on_link)
        act = np.flatnonzero(a.link >= 0)
        moved = np.zeros(act.size)
        track_recent = s.avoid_short_stints
        if track_recent:
            sim.moved_today = np.zeros(len(a))
        for _ in range(MAX_CHAIN):
            if act.size == 0:
                break
            lk = a.link[act]
            v = w.speed[lk].copy()
            if s.start_on_foot:
                v[a.hops_done[act] == 0] = s.max_walk_speed
            if any_walk:
                u = sim.rng["travel"].random(act.size)
                v[u < walk_p[lk]] = s.max_walk_speed
            prog = a.progress[act].astype(np.float64) + v
            moved += v
            arr = prog > dist[lk]
            a.progress[act[~arr]] = prog[~arr]
            if track_recent:
                sim.moved_today[act[~arr]] = moved[~arr]
            if not arr.any():
                break
            ag = act[arr]
            la = lk[arr]
            va = v[arr]
            ma = moved[arr] - (prog[arr] - dist[la])
            ex = np.bincount(la, minlength=n_link)
            w.on_link -= ex
            sim.flows.link_exits += ex
            closed = ~w.link_open[la]
            dest = np.where(closed, sc.links.src[la], sc.links.dst[la])
            a.loc[ag] = dest
            a.link[ag] = -1
            a.progress[ag] = 0.0
            a.hops_done[ag] = np.minimum(a.hops_done[ag].astype(np.int16) + 1, 127).astype(np.int8)
            arrivals = np.bincount(dest, minlength=n_loc)
            w.present += arrivals
            sim.flows.arrivals += arrivals
            if track_recent:
                sim.moved_today[ag] = ma
            # sent back from a closed link: stop for the day
            back = ag[closed]
            a.route[back] = -1
            schedule_wake(sim, back, day)
            ok = ag[~closed]
            mo = ma[~closed]
            cont = mo < va[~closed]
            schedule_wake(sim, ok[~cont], day)
            c = ok[cont]
            mc = mo[cont]
            if c.size == 0:
                break
            p = w.movechance[a.loc[c]]
            if sim.rules == "crossings":
                p = np.where(a.route[c] >= 0, 1.0, p)
            if s.avoid_short_stints:
                force = (w.kind[a.loc[c]] == TOWN) & ((a.recent[c] + mc / s.max_move_speed) / 2.0 < 0.5)
                p = np.where(force, 1.0, p)
            mv = sim.rng["move"].random(c.size) < p
            schedule_wake(sim, c[~mv], day)
            m = c[mv]
            mm = mc[mv]
            if m.size == 0:
                break
            w.update_capmult(s.capacity_buffer)
            refresh_route_cdf(sim)
            went = plan_and_step(sim, m)
            schedule_wake(sim, m[~went], day)
            act = m[went]
            moved = mm[went]
        if track_recent:
            a.recent[:] = (a.recent + sim.moved_today / s.max_move_speed) / 2.0
        # travellers never wake from the schedule; they re-enter it on arrival
        assert not np.any(a.wake[a.link >= 0] != NEVER) if sim.check else True
