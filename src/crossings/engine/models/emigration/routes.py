"""Route candidates of the emigration model and their weights (pure functions over arrays).

A candidate is a loop-free path of at most ``max_hops`` links from a place to a destination; it stops at the
first destination it reaches. Destinations have paths too (to other destinations), for onward moves. Paths
are CSR arrays grouped by their first place, the same layout as Flee's candidates
(``crossings.scenario.graph.Paths``), so the engine's route sampler serves both models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crossings.scenario.emigration import AIR, EmigrationSpec
from crossings.scenario.graph import PathList, Paths, out_links
from crossings.scenario.model import DESTINATION, Scenario


@dataclass(frozen=True)
class Routes:
    """All candidate paths and, per path, its travel time, cost, whether it starts with a flight, and which
    countries it enters or ends in."""

    paths: Paths
    days: np.ndarray  # float64 (P,) travel days, queues and seat waits not counted
    first_air: np.ndarray  # bool (P,)
    cost: np.ndarray  # float64 (P,) USD: sum of the links' costs
    touches: np.ndarray  # bool (countries, P) the path crosses into the country or ends there
    via_home: np.ndarray  # bool (P,) starts abroad and crosses into a home country (never offered)


def enumerate_routes(sc: Scenario, link_days: np.ndarray, gated: np.ndarray, max_hops: int) -> Routes:
    """Every loop-free path of 1..max_hops links from each place to another place that is a destination."""
    locs, links = sc.locations, sc.links
    n_loc = len(locs)
    adj = out_links(links, n_loc)
    dst = links.dst.tolist()
    km = links.distance.tolist()
    tdays = link_days.tolist()
    is_dest = (locs.kind == DESTINATION).tolist()
    found = PathList("emigration.max_hops")
    days: list[float] = []
    for o in range(n_loc):
        stack: list[tuple[int, tuple[int, ...], tuple[int, ...], float, float]] = [
            (k, (o,), (), 0.0, 0.0) for k in reversed(adj[o])]
        while stack:
            k, visited, used, prior_km, prior_days = stack.pop()
            e = dst[k]
            if e in visited:
                continue
            path = used + (k,)
            tot_km, tot_days = prior_km + km[k], prior_days + tdays[k]
            if is_dest[e]:
                found.add(o, e, tot_km, path)
                days.append(tot_days)
                continue
            if len(path) < max_hops:
                seen = visited + (e,)
                for k2 in reversed(adj[e]):
                    if dst[k2] not in seen:
                        stack.append((k2, seen, path, tot_km, tot_days))
        found.next_origin()
    paths = found.paths()
    start_a, flat_a = paths.start, paths.links
    em = sc.emigration
    n_path = len(paths.origin)
    first_air = em.link_mode[flat_a[start_a[:-1]]] == AIR if n_path else np.zeros(0, dtype=bool)
    code = {c: i for i, c in enumerate(em.countries)}
    country = np.array([code[c] for c in locs.country], dtype=np.int64)
    cost = path_costs(paths, em.link_cost)
    touches = np.zeros((len(em.countries), n_path), dtype=bool)
    via_home = np.zeros(n_path, dtype=bool)
    if n_path:
        pid = np.repeat(np.arange(n_path), paths.n_links)
        a, b = country[links.src[flat_a]], country[links.dst[flat_a]]
        cross = a != b
        touches[b[cross], pid[cross]] = True
        touches[country[paths.end], np.arange(n_path)] = True
        home = np.zeros(len(em.countries), dtype=bool)
        home[em.home_countries] = True
        start_abroad = ~home[country[paths.origin]]
        via_home = start_abroad & (np.bincount(pid[cross & home[b]], minlength=n_path) > 0)
    return Routes(paths=paths, days=np.array(days, dtype=np.float64), first_air=first_air, cost=cost,
                  touches=touches, via_home=via_home)


def is_priced(spec: EmigrationSpec) -> bool:
    """True if route choice must check what agents can pay: some link costs money or some place costs a living
    (fare events only multiply costs, so a scenario without any stays unpriced)."""
    return bool(spec.link_cost.any()) or bool(spec.cost_of_living.any())


def path_costs(paths: Paths, link_cost: np.ndarray) -> np.ndarray:
    """USD of each path: the sum of its links' costs (routes.csv, or today's with fare events applied); any
    other per-link amount (expected wait days) sums the same way."""
    if len(paths.origin) == 0:
        return np.zeros(0)
    return np.add.reduceat(link_cost[paths.links], paths.start[:-1])


def blocked_paths(routes: Routes, blocked_link: np.ndarray) -> np.ndarray:
    """True for each path that uses at least one blocked link."""
    return path_costs(routes.paths, blocked_link.astype(np.int32)) > 0


def path_weights(routes: Routes, attractiveness: np.ndarray, time_power: float,
                 wait_days: np.ndarray | None = None) -> np.ndarray:
    """Every path's weight were it usable: attractiveness(end) / (1 + days)^time_power, ``wait_days`` (per path)
    added to the travel days."""
    days = routes.days if wait_days is None else routes.days + wait_days
    return attractiveness[routes.paths.end] / (1.0 + days) ** time_power


def route_cdf(routes: Routes, usable: np.ndarray, attractiveness: np.ndarray, time_power: float,
              wait_days: np.ndarray | None = None, pair: np.ndarray | None = None,
              weights: np.ndarray | None = None) -> np.ndarray:
    """Cumulative route weights, grouped by first place: attractiveness(end) / (1 + days)^time_power on usable
    paths, 0 on the others; ``wait_days`` (per path) adds expected waits to the travel days (``weights``: those
    of :func:`path_weights` with the same arguments, if already computed). With ``pair``
    (:func:`origin_end_pairs`), each (first place, end) pair weighs as its fastest usable path alone, shared
    among its usable paths ∝ (1 + days)^-time_power, so many roads to one place do not add up. A place whose
    usable paths all weigh 0 offers no route (sampling gives -1)."""
    if weights is None:
        weights = path_weights(routes, attractiveness, time_power, wait_days)
    w = np.where(usable, weights, 0.0)
    if pair is not None and pair.size:
        days = routes.days if wait_days is None else routes.days + wait_days
        speed = np.where(usable, 1.0 / (1.0 + days) ** time_power, 0.0)
        n = int(pair.max()) + 1
        total = np.bincount(pair, weights=speed, minlength=n)
        best = np.zeros(n)
        np.maximum.at(best, pair, speed)
        w = w * np.divide(best, total, out=np.zeros(n), where=total > 0)[pair]
    return np.cumsum(w)


def origin_end_pairs(paths: Paths) -> np.ndarray:
    """A number per path, the same for paths with the same first and last place (int64, P)."""
    if not len(paths.origin):
        return np.zeros(0, dtype=np.int64)
    key = paths.origin.astype(np.int64) * (int(paths.end.max()) + 1) + paths.end
    return np.unique(key, return_inverse=True)[1].astype(np.int64).reshape(-1)
