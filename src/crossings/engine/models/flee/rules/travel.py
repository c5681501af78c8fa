"""The travel phase (flee-model.md §1.7, checklist item 8): agents on links advance by the day's speed;
on arrival they may continue the same day (a fresh move-chance draw at every place passed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.models.flee import kernels_c
from crossings.engine.models.flee.kernels import refresh_route_cdf
from crossings.engine.models.flee.rules.move import plan_and_step, schedule_wake
from crossings.engine.rule import Rule
from crossings.engine.state import NEVER
from crossings.params.flee import ROUTES_CONTINUE
from crossings.scenario.model import TOWN

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation

MAX_CHAIN = 1000  # links one agent may enter in a day; equals MAX_LINKS_PER_DAY in _kernels.c


class TravelPhase(Rule):
    """Each link entered gets a full day's credit v (Flee's quirk); arrival when progress > length
    (strict); the overshoot is taken off the day's distance, and if that is still below v the agent runs
    the move decision again at the new place. Links closed while an agent is on them send it back to the
    link's start. ``flee31``: a planned route continues only with the place's move chance; ``crossings``, ``fixes``
    and ``flee32`` (Flee 3.2 fixed it): with certainty."""

    name = "travel"
    reads = ("agents.link", "agents.progress", "world.link_open", "world.movechance")
    writes = ("agents.loc", "agents.link", "agents.progress", "agents.wake", "agents.hops_done",
              "world.present", "world.on_link", "flows.arrivals", "flows.link_exits")

    def step(self, sim: Simulation, day: int) -> None:
        if sim.kernel == "compiled":
            kernels_c.travel_phase(sim, day)
            return
        a = sim.agents
        s = sim.settings
        any_walk = bool((sim.scenario.links.walk_probability > 0).any())
        act = np.flatnonzero(a.link >= 0)
        moved = np.zeros(act.size)
        if s.avoid_short_stints:
            sim.moved_today = np.zeros(len(a))
        for _ in range(MAX_CHAIN):
            if act.size == 0:
                break
            act, moved = self.advance(sim, act, moved, day, any_walk)
        if s.avoid_short_stints:
            a.recent[:] = (a.recent + sim.moved_today / s.max_move_speed) / 2.0
        # travellers never wake from the schedule; they re-enter it on arrival
        assert not np.any(a.wake[a.link >= 0] != NEVER) if sim.check else True

    def advance(self, sim: Simulation, act: np.ndarray, moved: np.ndarray, day: int, any_walk: bool
                ) -> tuple[np.ndarray, np.ndarray]:
        """Agents ``act`` on links (having covered ``moved`` today) advance by a day's credit on their link.
        Those who arrive may go on the same day; returns the agents now on a new link and their distance so far
        (empty when nobody is)."""
        a, w, s = sim.agents, sim.world, sim.settings
        links = sim.scenario.links
        lk = a.link[act]
        v = w.speed[lk].copy()
        if s.start_on_foot:
            v[a.hops_done[act] == 0] = s.max_walk_speed
        if any_walk:
            u = sim.rng["travel"].random(act.size)
            v[u < links.walk_probability[lk]] = s.max_walk_speed
        prog = a.progress[act].astype(np.float64) + v
        moved += v
        arr = prog > links.distance[lk]
        a.progress[act[~arr]] = prog[~arr]
        if s.avoid_short_stints:
            sim.moved_today[act[~arr]] = moved[~arr]
        if not arr.any():
            return _nobody()
        ag = act[arr]
        la = lk[arr]
        va = v[arr]
        ma = moved[arr] - (prog[arr] - links.distance[la])
        closed = self.arrive(sim, ag, la)
        if s.avoid_short_stints:
            sim.moved_today[ag] = ma
        # sent back from a closed link: stop for the day
        back = ag[closed]
        a.route[back] = -1
        schedule_wake(sim, back, day)
        ok = ag[~closed]
        mo = ma[~closed]
        cont = mo < va[~closed]
        schedule_wake(sim, ok[~cont], day)
        return self.go_on(sim, ok[cont], mo[cont], day)

    def arrive(self, sim: Simulation, ag: np.ndarray, la: np.ndarray) -> np.ndarray:
        """Agents ``ag`` reach the end of links ``la`` (or, where the link closed under them, its start).
        Returns the mask of those sent back."""
        a, w = sim.agents, sim.world
        links = sim.scenario.links
        ex = np.bincount(la, minlength=len(w.on_link))
        w.on_link -= ex
        sim.flows.link_exits += ex
        closed = ~w.link_open[la]
        dest = np.where(closed, links.src[la], links.dst[la])
        a.loc[ag] = dest
        a.link[ag] = -1
        a.progress[ag] = 0.0
        a.hops_done[ag] = np.minimum(a.hops_done[ag].astype(np.int16) + 1, 127).astype(np.int8)
        arrivals = np.bincount(dest, minlength=len(w.present))
        w.present += arrivals
        sim.flows.arrivals += arrivals
        return closed

    def go_on(self, sim: Simulation, c: np.ndarray, mc: np.ndarray, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Agents ``c`` who arrived with distance left today (``mc`` covered) draw the move chance of the new
        place and step onto their next link. Returns those now on a link and their distance so far."""
        if c.size == 0:
            return _nobody()
        a, w, s = sim.agents, sim.world, sim.settings
        p = w.movechance[a.loc[c]]
        if sim.rules in ROUTES_CONTINUE:
            p = np.where(a.route[c] >= 0, 1.0, p)
        if s.avoid_short_stints:
            force = (w.kind[a.loc[c]] == TOWN) & ((a.recent[c] + mc / s.max_move_speed) / 2.0 < 0.5)
            p = np.where(force, 1.0, p)
        mv = sim.rng["move"].random(c.size) < p
        schedule_wake(sim, c[~mv], day)
        m = c[mv]
        mm = mc[mv]
        if m.size == 0:
            return _nobody()
        w.update_capmult(s.capacity_buffer)
        refresh_route_cdf(sim)
        went = plan_and_step(sim, m)
        schedule_wake(sim, m[~went], day)
        return m[went], mm[went]


def _nobody() -> tuple[np.ndarray, np.ndarray]:
    """No agents on a link, and no distance: the travel loop stops."""
    return np.empty(0, dtype=np.intp), np.empty(0)
