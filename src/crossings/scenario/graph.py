"""Route candidates: every loop-free path of 1..L counted hops from each location (flee-model.md §1.6).

Markers are transparent: a path may pass through a marker without the marker counting as a hop, and a
path may not end at a marker. Each prefix of a longer path is itself a candidate. Paths are stored as
flat arrays (CSR), grouped by origin, so the engine can weigh and sample them without Python objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crossings.scenario.model import MARKER, Links

MAX_PATHS = 5_000_000


@dataclass(frozen=True)
class Paths:
    """All candidate paths; path p starts at ``origin[p]`` and uses links ``links[start[p]:start[p+1]]``."""

    origin: np.ndarray  # int32 (P,)
    end: np.ndarray  # int32 (P,) final location
    length_km: np.ndarray  # float64 (P,)
    start: np.ndarray  # int64 (P+1,) offsets into ``links``
    links: np.ndarray  # int32, link ids along each path
    by_origin: np.ndarray  # int64 (L+1,) paths of location x are by_origin[x]:by_origin[x+1]
    n_links: np.ndarray  # int32 (P,) number of links in each path


def out_links(links: Links, n_locations: int) -> list[list[int]]:
    """Outgoing link ids per location, in file order (Flee's order of ``location.links``)."""
    out: list[list[int]] = [[] for _ in range(n_locations)]
    for k in range(len(links)):
        out[int(links.src[k])].append(k)
    return out


def enumerate_paths(links: Links, kinds: np.ndarray, awareness: int) -> Paths:
    """Enumerate route candidates for every origin; ``kinds`` gives each location's kind (markers)."""
    n_loc = len(kinds)
    adj = out_links(links, n_loc)
    dst = links.dst.tolist()
    dist = links.distance.tolist()
    is_marker = (np.asarray(kinds) == MARKER).tolist()
    origin: list[int] = []
    end: list[int] = []
    length: list[float] = []
    start: list[int] = [0]
    flat: list[int] = []
    by_origin = [0]
    for o in range(n_loc):
        # depth-first, in Flee's order: a path, then its extensions
        stack: list[tuple[int, tuple[int, ...], tuple[int, ...], float, int]] = []
        for k in reversed(adj[o]):
            stack.append((k, (o,), (), 0.0, 1))
        while stack:
            k, visited, used, prior, step = stack.pop()
            e = dst[k]
            total = prior + dist[k]
            path = used + (k,)
            if is_marker[e]:
                step -= 1
            else:
                origin.append(o)
                end.append(e)
                length.append(total)
                flat.extend(path)
                start.append(len(flat))
                if len(origin) > MAX_PATHS:
                    raise ValueError(f"more than {MAX_PATHS} route candidates; lower awareness_level")
            if awareness > step:
                seen = visited + (e,)
                for k2 in reversed(adj[e]):
                    if dst[k2] not in seen:
                        stack.append((k2, seen, path, total, step + 1))
        by_origin.append(len(origin))
    return Paths(
        origin=np.array(origin, dtype=np.int32), end=np.array(end, dtype=np.int32),
        length_km=np.array(length, dtype=np.float64), start=np.array(start, dtype=np.int64),
        links=np.array(flat, dtype=np.int32), by_origin=np.array(by_origin, dtype=np.int64),
        n_links=np.diff(np.array(start, dtype=np.int64)).astype(np.int32),
    )
