"""Compiled (Numba) kernels for the move and travel phases, processing agents one by one in list order.

They follow serial Flee 3.1 exactly in what an agent sees: occupancy changes the moment an agent moves, and
route weights are computed at the moment of choice. Their NumPy twins are the vectorised rules in
``rules/move.py`` and ``rules/travel.py`` (occupancy synchronised per sub-step, as in Flee's parallel
variant); tests compare the two. Randomness: a SplitMix64 stream per rule and day, keyed by the run's seed.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

NEVER = np.int32(np.iinfo(np.int32).max)
# Rows of the per-location and per-link count tables. One 2-D table each, not four separate arrays: with
# many distinct arrays written in one loop Numba's code became five times slower (measured on burundi2015).
PRESENT, DEPARTURES, ARRIVALS = 0, 1, 2
ON_LINK, ENTRIES, EXITS = 0, 1, 2
_MASK = (1 << 64) - 1


@njit(cache=True, inline="always", error_model="numpy")
def _next(state: np.ndarray) -> float:
    """A uniform double in [0, 1) from a SplitMix64 state held in ``state[0]``."""
    state[0] += np.uint64(0x9E3779B97F4A7C15)
    z = state[0]
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


def day_state(key: int, day: int) -> np.ndarray:
    """The RNG state for one rule (``key``) on one day."""
    x = (key ^ ((day + 1) * 0xD1B54A32D192ED03)) & _MASK
    return np.array([x], dtype=np.uint64)


@njit(cache=True, inline="always", error_model="numpy")
def _capmult(e: int, capacity: np.ndarray, loc_counts: np.ndarray, buffer: float) -> float:
    c = capacity[e]
    if c < 1:
        return 1.0
    n = loc_counts[PRESENT, e]
    if n <= buffer * c:
        return 1.0
    if n >= c:
        return 0.0
    return 1.0 - (n - buffer * c) / (c * (1.0 - buffer))


@njit(cache=True, inline="always", error_model="numpy")
def _wait(state: np.ndarray, p: float) -> int:
    """Days to the next success of daily Bernoulli(p) draws (>= 1)."""
    if p >= 1.0:
        return 1
    if p <= 0.0:
        return 1 << 30
    u = 1.0 - _next(state)  # in (0, 1]
    w = 1.0 + math.floor(math.log(u) / math.log1p(-p))
    if w > (1 << 30):
        return 1 << 30
    return int(w)


@njit(cache=True, inline="always", error_model="numpy")
def _schedule(i, day, state, loc, route, wake, movechance, continue_routes):
    if continue_routes and route[i] >= 0:
        wake[i] = day + 1
        return
    w = day + _wait(state, movechance[loc[i]])
    wake[i] = w if w < NEVER else NEVER


@njit(cache=True, inline="always", error_model="numpy")
def _plan_and_step(i, state, loc, link, progress, route, hop, wake, loc_counts, link_counts,
                   is_camp, capacity, buffer, score, link_open, path_open, path_start, path_links, path_end,
                   path_base, by_origin, weight_softening, weight_power):
    x = loc[i]
    if route[i] < 0:
        lo = by_origin[x]
        hi = by_origin[x + 1]
        if hi == lo:
            return False
        total = 0.0
        n_open = 0
        for p in range(lo, hi):
            if path_open[p]:
                n_open += 1
                e = path_end[p]
                w = (weight_softening + score[e]) * path_base[p] * _capmult(e, capacity, loc_counts, buffer)
                if weight_power != 1.0:
                    w = w ** weight_power
                total += w
        if n_open == 0:
            return False
        u = _next(state)
        chosen = -1
        if total > 0.0:
            target = u * total
            acc = 0.0
            for p in range(lo, hi):
                if path_open[p]:
                    e = path_end[p]
                    w = (weight_softening + score[e]) * path_base[p] * _capmult(e, capacity, loc_counts, buffer)
                    if weight_power != 1.0:
                        w = w ** weight_power
                    if w > 0.0:
                        acc += w
                        chosen = p
                        if acc > target:
                            break
        else:
            k = int(u * n_open)
            for p in range(lo, hi):
                if path_open[p]:
                    if k == 0:
                        chosen = p
                        break
                    k -= 1
        route[i] = chosen
        hop[i] = 0
    r = route[i]
    lk = path_links[path_start[r] + hop[i]]
    e = path_end[r]
    if (not link_open[lk]) or (is_camp[e] and _capmult(e, capacity, loc_counts, buffer) < 0.5):
        route[i] = -1
        return False
    h = hop[i] + 1
    if h >= path_start[r + 1] - path_start[r]:
        route[i] = -1
        hop[i] = 0
    else:
        hop[i] = h
    link[i] = lk
    progress[i] = 0.0
    wake[i] = NEVER
    loc_counts[PRESENT, x] -= 1
    loc_counts[DEPARTURES, x] += 1
    link_counts[ON_LINK, lk] += 1
    link_counts[ENTRIES, lk] += 1
    return True


@njit(cache=True, error_model="numpy")
def move_phase(day, state, n, loc, link, progress, route, hop, wake, loc_counts, link_counts, movechance,
               is_camp, capacity, buffer, score, link_open, path_open, path_start, path_links,
               path_end, path_base, by_origin, weight_softening, weight_power, continue_routes):
    """Every agent whose wake-up day is today tries to plan and take its next step."""
    for i in range(n):
        if wake[i] != day:
            continue
        if not _plan_and_step(i, state, loc, link, progress, route, hop, wake, loc_counts, link_counts, is_camp,
                              capacity, buffer, score, link_open, path_open, path_start, path_links, path_end,
                              path_base, by_origin, weight_softening, weight_power):
            _schedule(i, day, state, loc, route, wake, movechance, continue_routes)


@njit(cache=True, error_model="numpy")
def travel_phase(day, state, n, loc, link, progress, route, hop, wake, hops_done, recent, moved_today,
                 loc_counts, link_counts, movechance, is_town, is_camp, capacity, buffer, score, link_open,
                 path_open, path_start, path_links, path_end, path_base, by_origin, weight_softening, weight_power,
                 continue_routes,
                 link_src, link_dst, link_dist, link_speed, link_walk, any_walk, start_on_foot, walk_speed,
                 max_speed, avoid_short_stints):
    """Every agent on a link advances; on arrival it may move on the same day (Flee's finish_travel)."""
    for i in range(n):
        if link[i] < 0:
            continue
        moved = 0.0
        while True:
            lk = link[i]
            v = link_speed[lk]
            if start_on_foot and hops_done[i] == 0:
                v = walk_speed
            if any_walk and _next(state) < link_walk[lk]:
                v = walk_speed
            prog = progress[i] + v
            moved += v
            if not prog > link_dist[lk]:
                progress[i] = prog
                break
            moved -= prog - link_dist[lk]
            link_counts[ON_LINK, lk] -= 1
            link_counts[EXITS, lk] += 1
            if hops_done[i] < 127:
                hops_done[i] += 1
            link[i] = -1
            progress[i] = 0.0
            if not link_open[lk]:
                dest = link_src[lk]
                loc[i] = dest
                loc_counts[PRESENT, dest] += 1
                loc_counts[ARRIVALS, dest] += 1
                route[i] = -1
                _schedule(i, day, state, loc, route, wake, movechance, continue_routes)
                break
            dest = link_dst[lk]
            loc[i] = dest
            loc_counts[PRESENT, dest] += 1
            loc_counts[ARRIVALS, dest] += 1
            if moved >= v:
                _schedule(i, day, state, loc, route, wake, movechance, continue_routes)
                break
            p = movechance[dest]
            if continue_routes and route[i] >= 0:
                p = 1.0
            if avoid_short_stints and is_town[dest] and (recent[i] + moved / max_speed) / 2.0 < 0.5:
                p = 1.0
            if not _next(state) < p:
                _schedule(i, day, state, loc, route, wake, movechance, continue_routes)
                break
            if not _plan_and_step(i, state, loc, link, progress, route, hop, wake, loc_counts, link_counts,
                                  is_camp, capacity, buffer, score, link_open, path_open, path_start, path_links,
                                  path_end, path_base, by_origin, weight_softening, weight_power):
                _schedule(i, day, state, loc, route, wake, movechance, continue_routes)
                break
        if avoid_short_stints:
            moved_today[i] = moved
    if avoid_short_stints:
        for i in range(n):
            recent[i] = (recent[i] + moved_today[i] / max_speed) / 2.0
            moved_today[i] = 0.0


def count_tables(present: np.ndarray, on_link: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fresh count tables for one phase, holding today's stocks in their first rows."""
    loc_counts = np.zeros((3, len(present)), dtype=np.int64)
    link_counts = np.zeros((3, len(on_link)), dtype=np.int64)
    loc_counts[PRESENT] = present
    link_counts[ON_LINK] = on_link
    return loc_counts, link_counts


def store_counts(loc_counts: np.ndarray, link_counts: np.ndarray, world, flows) -> None:  # noqa: ANN001
    """Copy a phase's stocks back to the world and add its flows to the day's."""
    world.present[:] = loc_counts[PRESENT]
    world.on_link[:] = link_counts[ON_LINK]
    flows.departures += loc_counts[DEPARTURES]
    flows.arrivals += loc_counts[ARRIVALS]
    flows.link_entries += link_counts[ENTRIES]
    flows.link_exits += link_counts[EXITS]
