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


class PathList:
    """Paths as a depth-first search finds them, origin after origin, kept as the flat lists of :class:`Paths`;
    more than MAX_PATHS is an error naming the setting to lower (``lower``)."""

    def __init__(self, lower: str) -> None:
        self.lower = lower
        self.origin: list[int] = []
        self.end: list[int] = []
        self.length: list[float] = []
        self.start: list[int] = [0]
        self.flat: list[int] = []
        self.by_origin = [0]

    def add(self, origin: int, end: int, km: float, path: tuple[int, ...]) -> None:
        """One more path of ``origin`` (its links ``path``, ending at ``end``, ``km`` long)."""
        self.origin.append(origin)
        self.end.append(end)
        self.length.append(km)
        self.flat.extend(path)
        self.start.append(len(self.flat))
        if len(self.origin) > MAX_PATHS:
            raise ValueError(f"more than {MAX_PATHS} route candidates; lower {self.lower}")

    def next_origin(self) -> None:
        """The paths of one origin are all added."""
        self.by_origin.append(len(self.origin))

    def paths(self) -> Paths:
        """The paths found, as arrays."""
        start = np.array(self.start, dtype=np.int64)
        return Paths(
            origin=np.array(self.origin, dtype=np.int32), end=np.array(self.end, dtype=np.int32),
            length_km=np.array(self.length, dtype=np.float64), start=start,
            links=np.array(self.flat, dtype=np.int32), by_origin=np.array(self.by_origin, dtype=np.int64),
            n_links=np.diff(start).astype(np.int32),
        )


def enumerate_paths(links: Links, kinds: np.ndarray, awareness: int) -> Paths:
    """Enumerate route candidates for every origin; ``kinds`` gives each location's kind (markers)."""
    n_loc = len(kinds)
    adj = out_links(links, n_loc)
    dst = links.dst.tolist()
    dist = links.distance.tolist()
    is_marker = (np.asarray(kinds) == MARKER).tolist()
    found = PathList("awareness_level")
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
                found.add(o, e, total, path)
            if awareness > step:
                seen = visited + (e,)
                for k2 in reversed(adj[e]):
                    if dst[k2] not in seen:
                        stack.append((k2, seen, path, total, step + 1))
        found.next_origin()
    return found.paths()
