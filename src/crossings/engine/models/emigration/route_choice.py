"""Route choice: an agent needing a route picks one of the candidate paths from where it is to a destination,
with probability ∝ attractiveness(destination) / (1 + travel days)^time_power over the paths usable today
and among them those it can pay (with the setting ``route_by_destination``, a destination weighs as its
fastest usable path, shared among its paths)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.models.emigration import kernels_c
from crossings.engine.models.emigration.entry import holder_trait
from crossings.engine.models.emigration.movement import GO_HOME_WRITES, go_home
from crossings.engine.models.emigration.routes import (
    blocked_paths,
    is_priced,
    origin_end_pairs,
    path_costs,
    path_weights,
    route_cdf,
)
from crossings.engine.models.emigration.state import MOVING, PLAN_NO_AIR, assign_ids
from crossings.engine.rng import counter_uniforms, day_key
from crossings.engine.rule import Rule
from crossings.scenario.emigration import AIR, TRAVEL_MODES

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation

ROUTE_STREAM = "emigration.route"  # the counter stream of route draws: draw t of an agent is its t-th try today

CDF_CACHE = 512  # groups' weights kept across refreshes (at most 512 × paths × 8 bytes: 14 MB for russia2022)


class RouteChoice(Rule):
    """A path is usable by an agent if none of its flights or roads (in its direction) is closed, none of its
    crossings is closed, bars the agent's travel mode or has no capacity for it, it enters no country under a
    tourist ban, it neither enters nor ends in a country whose visa the agent does not hold (``HolderLevels``),
    and (from abroad) it does not pass through a home country; agents that gave up waiting for seats do not take
    a path starting with a flight; an agent with ``avoid`` set (refused entry, moving on) takes no path entering
    or ending in that country. Closures count here, when a path is chosen; an agent keeps the path it holds (on a
    closed road it goes on, at a closed crossing or flight it waits). Among usable paths the agent draws ∝ weight
    and keeps the first draw it can pay (path cost ≤ savings; broke agents also need a destination with a lower
    cost of living than where they are), up to ``route_tries`` draws a day — the same as drawing from the paths it
    can pay. An agent with no path stays and tries again the next day; one abroad that must leave (its stay has
    run out, or it is broke) goes home instead. Weights are recomputed only on days the timeline changed
    something — and, with the setting ``route_sees_waits``, on days with queues or seat waits: a path's travel
    days then include today's expected waits on it (people queued at each crossing ÷ its daily capacity for the
    agent's mode, people waiting for each flight ÷ its seats), as news of a 20-km queue reaches those still
    deciding.

    Draw t of an agent on a day is number t of the counter-based route stream (``engine/rng.py``), keyed by its
    id. Each group's cumulative weights (travel mode, no flight first, country avoided, category, visa level) are
    built in NumPy on first use and stacked (:class:`CdfStack`); the draws are made in C
    (``crossings_em_route_choice``, the default kernel) or by their NumPy twin (:func:`choose`), with the same bytes."""

    name = "route_choice"
    reads = ("agents.id", "agents.state", "agents.loc", "agents.travel_mode", "agents.avoid", "agents.savings",
             "agents.broke", "agents.category", "agents.allowed_until", "world.air_closures",
             "world.road_closures", "world.crossing_closures", "world.mode_bars", "world.cap_mult",
             "world.banned", "world.routes_dirty", "world.queue", "world.seat_wait", "world.visa_holders",
             "world.visa_salt")
    writes = ("agents.id", "agents.hop", "world.routes_dirty", *GO_HOME_WRITES)  # or they go home

    def init(self, sim: Simulation) -> None:
        self.usable: dict[int, np.ndarray] = {}
        self.weights: dict[tuple[int, int], np.ndarray] = {}  # (travel mode, category) -> path_weights
        self.cdfs: dict[tuple[int, int, bytes], np.ndarray] = {}  # (mode, category, paths open) -> route_cdf
        spec = sim.scenario.emigration
        self.key = sim.stream_key(ROUTE_STREAM)
        self.tries = int(spec.settings.route_tries)
        self.n_c = len(spec.countries) + 1  # the country avoided, or none
        by_cat = spec.preference is not None
        self.cat_stride = 2 * len(TRAVEL_MODES) * self.n_c if by_cat else 0
        n_codes = (len(spec.category.names) if by_cat else 1) * 2 * len(TRAVEL_MODES) * self.n_c
        # visas held by a share of people: agents are grouped also by how many of the day's holders shares
        # their visa trait reaches (at most one level per country, and one with every visa held)
        limited = any(p.kind == "visa" and p.holders < 1 for p in spec.policies)
        self.level_stride = n_codes if limited else 0
        self.levels = HolderLevels(np.zeros(0), [])
        self.stack = CdfStack(n_codes * (self.n_c + 1 if limited else 1), len(sim.world.routes.days))
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
                self.stack.clear()
                self.weights.clear()
            return
        seat_days = np.where(self.air, w.seat_wait / self.seats, 0.0)
        cap = w.gate_capacity(spec).astype(np.float64)
        self.waits = {}
        for m in range(len(TRAVEL_MODES)):
            on, g = self.gated[:, m], self.gate[:, m]
            c = cap[g]
            q_days = np.where(on & (c > 0), w.queue[g] / np.where(c > 0, c, 1.0), 0.0)
            self.waits[m] = path_costs(w.routes.paths, q_days + seat_days)  # summed over each path's links
        self.stack.clear()
        self.weights.clear()

    def refresh(self, sim: Simulation) -> None:
        """Usable paths for each travel mode today; weights are then built per group on first use."""
        w = sim.world
        spec = sim.scenario.emigration
        src = sim.scenario.links.src
        closed = ((spec.link_mode == AIR) & (w.air_closures > 0)) | (w.road_closures > 0)
        banned = w.routes.touches[w.banned].any(axis=0) if w.banned.any() else np.zeros(len(w.routes.days), bool)
        cap = w.capacity_today(spec)
        for m in range(len(TRAVEL_MODES)):
            shut = w.gated & (cap[src, m] == 0)
            self.usable[m] = ~blocked_paths(w.routes, closed | shut) & ~banned & ~w.routes.via_home
        if self.level_stride:
            self.levels = HolderLevels.of(w.visa_holders, w.routes.touches)
        self.stack.clear()
        w.routes_dirty = False

    def group_cdf(self, sim: Simulation, key: tuple[int, bool, int, int, int]) -> np.ndarray:
        """Cumulative weights of every path for agents of group ``key`` (travel mode, no flight first, country
        to avoid, category, visa level)."""
        w = sim.world
        m, no_air, avoid, cat, level = key
        ok = self.usable[m]
        if no_air:
            ok = ok & ~w.routes.first_air
        if avoid >= 0:
            ok = ok & ~w.routes.touches[avoid]
        if level > 0:
            ok = ok & ~self.levels.blocked[level]
        spec = sim.scenario.emigration
        waits = self.waits[m] if self.waits is not None else None
        seen = (m, cat, ok.tobytes()) if waits is None else None  # without waits: a function of the paths open
        if seen is not None and seen in self.cdfs:  # e.g. a closure that ended, or a refresh for the other mode
            return self.cdfs[seen]
        weights = self.weights.get((m, cat))
        if weights is None:  # the same for every group of this mode and category until the waits change
            weights = self.weights[m, cat] = path_weights(w.routes, spec.attractiveness_of(cat),
                                                          spec.settings.time_power, waits)
        cdf = route_cdf(w.routes, ok, spec.attractiveness_of(cat), spec.settings.time_power, waits, self.pair,
                        weights)
        if seen is not None:
            if len(self.cdfs) >= CDF_CACHE:
                self.cdfs.clear()
            self.cdfs[seen] = cdf
        return cdf

    def group_codes(self, sim: Simulation, idx: np.ndarray) -> np.ndarray:
        """The group of each agent (int64 codes into ``stack.lut``): travel mode, whether its path may not start
        with a flight, the country it avoids, its category if categories weigh destinations differently, and its
        visa level if some visas are held by a share of people only."""
        a = sim.agents
        code = ((a.travel_mode[idx].astype(np.int64) * 2 + (a.state[idx] == PLAN_NO_AIR)) * self.n_c
                + a.avoid[idx].astype(np.int64) + 1)
        if self.cat_stride:  # categories weigh destinations differently (preferences.csv)
            code += a.category[idx].astype(np.int64) * self.cat_stride
        if self.level_stride and self.levels.thresholds.size:
            code += self.levels.level(sim.world.visa_salt, a.id[idx]) * self.level_stride
        return code

    def build(self, sim: Simulation, codes: np.ndarray) -> None:
        """Stack the weights of groups ``codes`` (not built yet)."""
        stride = 2 * len(TRAVEL_MODES) * self.n_c
        for g in codes.tolist():
            level, h = divmod(g, self.level_stride) if self.level_stride else (0, g)
            cat, rest = divmod(h, stride)
            key = (rest // self.n_c // 2, bool(rest // self.n_c % 2), rest % self.n_c - 1, cat, level)
            self.stack.add(g, self.group_cdf(sim, key))

    def step(self, sim: Simulation, day: int) -> None:
        assign_ids(sim)
        a, w = sim.agents, sim.world
        if w.routes_dirty or not self.usable:
            self.refresh(sim)
        if self.sees_waits:
            self.update_waits(sim)
        dkey = day_key(self.key, day)
        if sim.kernel == "compiled":
            home = kernels_c.route_choice(sim, day, self.stack, self.n_c, self.cat_stride, dkey,
                                          lambda codes: self.build(sim, codes), self.levels.thresholds,
                                          self.level_stride)
        else:
            idx = np.flatnonzero(a.state <= PLAN_NO_AIR)
            code = self.group_codes(sim, idx)
            missing = self.stack.lut[code] < 0
            if missing.any():
                self.build(sim, np.unique(code[missing]))
            home = must_leave(sim, choose(sim, idx, self.stack.lut[code], self.stack.cdf, dkey, self.tries), day)
        if home.size:
            go_home(sim, home)


class HolderLevels:
    """Who may go where when a visa is held by a share of people only (policies.csv ``holders``): an agent holds
    country c's visa iff its fixed trait u (``entry.holder_trait``) < holders(c), so the visas it holds depend only
    on its level, the number of the day's distinct shares below 1 that are ≤ u (``thresholds``, sorted). Level 0
    holds every visa; ``blocked[L]`` marks the paths that enter or end in a country whose visa level L lacks."""

    def __init__(self, thresholds: np.ndarray, blocked: list[np.ndarray]) -> None:
        self.thresholds = np.ascontiguousarray(thresholds, dtype=np.float64)
        self.blocked = blocked

    @classmethod
    def of(cls, holders: np.ndarray, touches: np.ndarray) -> HolderLevels:
        """The levels of the day's shares ``holders`` (per country, 1: no restriction) over paths ``touches``."""
        thr = np.unique(holders[holders < 1])
        blocked = [np.zeros(touches.shape[1], dtype=bool)]
        blocked += [touches[holders <= t].any(axis=0) for t in thr.tolist()]
        return cls(thr, blocked)

    def level(self, salt: float, ids: np.ndarray) -> np.ndarray:
        """The level of agents ``ids`` (int64): how many thresholds their trait reaches (C: ``holder_level``)."""
        return np.searchsorted(self.thresholds, holder_trait(salt, ids), side="right").astype(np.int64)


class CdfStack:
    """The groups' cumulative path weights, one row each, built on first use and kept until the weights change
    (``clear``): ``lut[group code]`` is the group's row, −1 while not built."""

    def __init__(self, n_codes: int, n_paths: int) -> None:
        self.lut = np.full(n_codes, -1, dtype=np.int32)
        self.cdf = np.zeros((4, max(n_paths, 1)))
        self.n = 0

    def clear(self) -> None:
        self.lut[:] = -1
        self.n = 0

    def add(self, code: int, cdf: np.ndarray) -> None:
        if self.n == len(self.cdf):
            grown = np.zeros((2 * self.n, self.cdf.shape[1]))
            grown[: self.n] = self.cdf
            self.cdf = grown
        self.cdf[self.n, : cdf.size] = cdf
        self.lut[code] = self.n
        self.n += 1


def sample_rows(flat: np.ndarray, off: np.ndarray, lo: np.ndarray, hi: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per agent, the first path p in [lo, hi) whose cumulative weight ``flat[off + p]`` exceeds ``target``, or
    hi − 1 if none (a vectorised binary search: what searchsorted on the agent's row gives, clipped)."""
    left, right = lo.copy(), hi.copy()
    last = len(flat) - 1
    while True:
        act = left < right
        if not act.any():
            return np.minimum(left, hi - 1)
        mid = (left + right) // 2
        above = flat[np.minimum(off + mid, last)] > target
        right = np.where(act & above, mid, right)
        left = np.where(act & ~above, mid + 1, left)


def choose(sim: Simulation, idx: np.ndarray, grp: np.ndarray, stack: np.ndarray, dkey: int,
           tries: int) -> np.ndarray:
    """The NumPy twin of the compiled route choice: agents ``idx`` draw a path from their group's row of
    ``stack``, draw t with number t of the route stream, and take the first one they can pay, up to ``tries``
    draws (1 if nothing is priced); sets route, hop and state of those who got one, returns the others."""
    a, w = sim.agents, sim.world
    bo = w.routes.paths.by_origin
    flat = stack.ravel()
    loc = a.loc[idx]
    lo, hi = bo[loc], bo[loc + 1]
    off = grp.astype(np.int64) * stack.shape[1]
    base = np.where(lo > 0, flat[off + np.maximum(lo - 1, 0)], 0.0)
    tot = np.where(hi > 0, flat[off + np.maximum(hi - 1, 0)], 0.0) - base
    pid = np.full(idx.size, -1, dtype=np.int64)
    todo = np.flatnonzero((hi > lo) & (tot > 0))
    priced = is_priced(sim.scenario.emigration)
    for t in range(tries if priced else 1):
        if todo.size == 0:
            break
        u = counter_uniforms(dkey, a.id[idx[todo]], t)
        p = sample_rows(flat, off[todo], lo[todo], hi[todo], base[todo] + u * tot[todo])
        ok = affordable(sim, idx[todo], p) if priced else np.ones(todo.size, dtype=bool)
        pid[todo[ok]] = p[ok]
        todo = todo[~ok]
    got = pid >= 0
    g = idx[got]
    a.route[g] = pid[got]
    a.hop[g] = 0
    a.state[g] = MOVING
    return idx[~got]


def must_leave(sim: Simulation, stuck: np.ndarray, day: int) -> np.ndarray:
    """Of agents ``stuck`` (no route today), those who must leave where they are: abroad with their stay run out,
    or broke. They go home instead."""
    a, w = sim.agents, sim.world
    must = w.abroad[w.country[a.loc[stuck]]] & ((a.allowed_until[stuck] <= day) | (a.broke[stuck] > 0))
    return stuck[must]


def affordable(sim: Simulation, idx: np.ndarray, pid: np.ndarray) -> np.ndarray:
    """True where agents ``idx`` can pay path ``pid`` (and, if broke, it ends somewhere cheaper to live)."""
    a, w = sim.agents, sim.world
    ok = w.path_cost[pid] <= a.savings[idx]
    broke = a.broke[idx] > 0
    if broke.any():
        col = sim.scenario.emigration.cost_of_living
        ok &= ~broke | (col[w.routes.paths.end[pid]] < col[a.loc[idx]])
    return ok
