"""Route choice: an agent needing a route picks one of the candidate paths from where it is to a destination,
with probability ∝ attractiveness(destination) / (1 + travel days)^time_power over the paths usable today
and among them those it can pay (with the setting ``route_by_destination``, a destination weighs as its
fastest usable path, shared among its paths)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.kernels import sample_paths
from crossings.engine.models.emigration.movement import go_home
from crossings.engine.models.emigration.routes import blocked_paths, origin_end_pairs, path_costs, route_cdf
from crossings.engine.models.emigration.state import MOVING, PLAN_NO_AIR
from crossings.engine.rule import Rule
from crossings.scenario.emigration import AIR, TRAVEL_MODES

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation


class RouteChoice(Rule):
    """A path is usable by an agent if none of its flights is closed and none of its crossings is closed, bars
    the agent's travel mode or has no capacity for it, it enters no country under a tourist ban, and (from
    abroad) it does not pass through a home country; agents that gave up waiting for seats do not take a path
    starting with a flight; an agent with ``avoid`` set (refused entry, moving on) takes no path entering or
    ending in that country. Among usable paths the agent draws ∝ weight and keeps the first draw it can pay
    (path cost ≤ savings; broke agents also need a destination with a lower cost of living than where they
    are), up to ``route_tries`` draws a day — the same as drawing from the paths it can pay. An agent with no
    path stays and tries again the next day; one abroad that must leave (its stay has run out, or it is broke)
    goes home instead. Weights are recomputed only on days the timeline changed something — and, with the
    setting ``route_sees_waits``, on days with queues or seat waits: a path's travel days then include
    today's expected waits on it (people queued at each crossing ÷ its daily capacity for the agent's mode,
    people waiting for each flight ÷ its seats), as news of a 20-km queue reaches those still deciding."""

    name = "route_choice"
    reads = ("agents.state", "agents.loc", "agents.travel_mode", "agents.avoid", "agents.savings", "agents.broke",
             "agents.category", "agents.allowed_until", "world.air_closures", "world.crossing_closures",
             "world.mode_bars", "world.cap_mult",
             "world.banned", "world.routes_dirty", "world.queue", "world.seat_wait")
    writes = ("agents.hop", "world.routes_dirty",  # and, for those who go home instead, as movement.go_home:
              "agents.loc", "agents.state", "agents.route", "agents.avoid", "agents.broke", "agents.stay_country",
              "agents.allowed_until", "agents.window_used", "agents.permit", "world.present", "world.in_country",
              "world.permits", "flows.departures", "flows.arrivals", "eflows.entries", "eflows.exits",
              "eflows.returns", "eflows.returned_home", "eflows.permits_ended",
              "eflows.travellers_back", "eflows.cat_returned", "world.at_home")

    def init(self, sim: Simulation) -> None:
        self.cdf: dict[tuple[int, bool, int, int], np.ndarray] = {}
        self.usable: dict[int, np.ndarray] = {}
        spec = sim.scenario.emigration
        # fare events only multiply costs: a scenario without any stays unpriced
        self.priced = bool(spec.link_cost.any()) or bool(spec.cost_of_living.any())
        self.sees_waits = bool(spec.settings.route_sees_waits)
        self.pair = origin_end_pairs(sim.world.routes.paths) if spec.settings.route_by_destination else None
        self.waits: dict[int, np.ndarray] | None = None  # per travel mode, expected wait days of each path
        if self.sees_waits:  # what does not change: each link's flight seats, and the gate it leaves by mode
            seats = spec.link_seats.astype(np.float64)
            self.air = (spec.link_mode == AIR) & (seats > 0)
            self.seats = np.where(self.air, seats, 1.0)
            gates = sim.world.gates[sim.scenario.links.src]  # (K, modes), -1 where the link leaves no crossing
            self.gated = sim.world.gated[:, None] & (gates >= 0)
            self.gate = np.where(self.gated, gates, 0)

    def update_waits(self, sim: Simulation) -> None:
        """Today's expected waits per path and travel mode; the weights are rebuilt when waits exist or have
        just ended."""
        w = sim.world
        spec = sim.scenario.emigration
        if not (w.queue.any() or w.seat_wait.any()):
            if self.waits is not None:
                self.waits = None
                self.cdf.clear()
            return
        seat_days = np.where(self.air, w.seat_wait / self.seats, 0.0)
        cap = w.gate_capacity(spec).astype(np.float64)
        self.waits = {}
        for m in range(len(TRAVEL_MODES)):
            on, g = self.gated[:, m], self.gate[:, m]
            c = cap[g]
            q_days = np.where(on & (c > 0), w.queue[g] / np.where(c > 0, c, 1.0), 0.0)
            self.waits[m] = path_costs(w.routes.paths, q_days + seat_days)  # summed over each path's links
        self.cdf.clear()

    def refresh(self, sim: Simulation) -> None:
        """Usable paths for each travel mode today; weights are then built per group on first use."""
        w = sim.world
        spec = sim.scenario.emigration
        src = sim.scenario.links.src
        air_closed = (spec.link_mode == AIR) & (w.air_closures > 0)
        banned = w.routes.touches[w.banned].any(axis=0) if w.banned.any() else np.zeros(len(w.routes.days), bool)
        cap = w.capacity_today(spec)
        for m in range(len(TRAVEL_MODES)):
            shut = w.gated & (cap[src, m] == 0)
            self.usable[m] = ~blocked_paths(w.routes, air_closed | shut) & ~banned & ~w.routes.via_home
        self.cdf.clear()
        w.routes_dirty = False

    def group_cdf(self, sim: Simulation, key: tuple[int, bool, int, int]) -> np.ndarray:
        cdf = self.cdf.get(key)
        if cdf is None:
            w = sim.world
            m, no_air, avoid, cat = key
            ok = self.usable[m]
            if no_air:
                ok = ok & ~w.routes.first_air
            if avoid >= 0:
                ok = ok & ~w.routes.touches[avoid]
            spec = sim.scenario.emigration
            waits = self.waits[m] if self.waits is not None else None
            cdf = self.cdf[key] = route_cdf(w.routes, ok, spec.attractiveness_of(cat), spec.settings.time_power,
                                            waits, self.pair)
        return cdf

    def draw(self, sim: Simulation, idx: np.ndarray) -> np.ndarray:
        """One path per agent (−1: none usable), by group."""
        a, w = sim.agents, sim.world
        u = sim.rng["route"].random(idx.size)
        pid = np.full(idx.size, -1, dtype=np.int32)
        mode = a.travel_mode[idx].astype(np.int64)
        no_air = (a.state[idx] == PLAN_NO_AIR).astype(np.int64)
        avoid = a.avoid[idx].astype(np.int64)
        n_c = len(w.abroad) + 1
        code = (mode * 2 + no_air) * n_c + avoid + 1
        by_cat = sim.scenario.emigration.preference is not None
        if by_cat:  # categories weigh destinations differently (preferences.csv)
            code = code + a.category[idx].astype(np.int64) * (2 * len(TRAVEL_MODES) * n_c)
        for g in np.unique(code):
            sel = code == g
            cat, rest = divmod(int(g), 2 * len(TRAVEL_MODES) * n_c)
            key = (rest // n_c // 2, bool(rest // n_c % 2), rest % n_c - 1, cat)
            pid[sel] = sample_paths(self.group_cdf(sim, key), w.routes.paths.by_origin, a.loc[idx[sel]], u[sel])
        return pid

    def affordable(self, sim: Simulation, idx: np.ndarray, pid: np.ndarray) -> np.ndarray:
        a, w = sim.agents, sim.world
        p = np.maximum(pid, 0)
        ok = w.path_cost[p] <= a.savings[idx]
        broke = a.broke[idx] > 0
        if broke.any():
            col = sim.scenario.emigration.cost_of_living
            ok &= ~broke | (col[w.routes.paths.end[p]] < col[a.loc[idx]])
        return ok & (pid >= 0)

    def step(self, sim: Simulation, day: int) -> None:
        a = sim.agents
        idx = np.flatnonzero(a.state <= PLAN_NO_AIR)
        if idx.size == 0:
            return
        w = sim.world
        if w.routes_dirty or not self.usable:
            self.refresh(sim)
        if self.sees_waits:
            self.update_waits(sim)
        pid = self.draw(sim, idx)
        if self.priced:
            ok = self.affordable(sim, idx, pid)
            for _ in range(sim.scenario.emigration.settings.route_tries - 1):
                redo = np.flatnonzero(~ok & (pid >= 0))
                if redo.size == 0:
                    break
                pid[redo] = self.draw(sim, idx[redo])
                ok[redo] = self.affordable(sim, idx[redo], pid[redo])
            pid = np.where(ok, pid, -1)
        got = pid >= 0
        g = idx[got]
        a.route[g] = pid[got]
        a.hop[g] = 0
        a.state[g] = MOVING
        stuck = idx[~got]
        if stuck.size:
            must = w.abroad[w.country[a.loc[stuck]]] & ((a.allowed_until[stuck] <= day) | (a.broke[stuck] > 0))
            if must.any():
                go_home(sim, stuck[must])
