"""The agent table: named, typed NumPy columns in one preallocated structure (no object per agent)."""

from __future__ import annotations

import numpy as np

NEVER = np.iinfo(np.int32).max  # a wake day that never comes

# name -> (dtype, initial value). 30 bytes per agent.
COLUMNS: dict[str, tuple[type, float]] = {
    "loc": (np.int32, -1),  # location index while at a location
    "link": (np.int32, -1),  # link index while travelling, -1 otherwise
    "progress": (np.float32, 0.0),  # km travelled on the current link
    "route": (np.int32, -1),  # planned path id, -1 = no route
    "hop": (np.int8, 0),  # index of the next link within the planned path
    "wake": (np.int32, NEVER),  # next day on which the agent tries to move
    "home": (np.int32, -1),  # location where the agent entered the simulation
    "hops_done": (np.int8, 0),  # links completed (saturates at 127); Flee's places_travelled - 1
    "recent": (np.float32, 0.0),  # Flee's recent_travel_distance (used by avoid_short_stints)
}


class AgentTable:
    """Structure-of-arrays agent store with a capacity and an active count; rows are deleted only by
    :meth:`keep` (the emigration model drops returned agents, who never act again)."""

    def __init__(self, capacity: int = 1024, columns: dict[str, tuple[type, float]] | None = None) -> None:
        self.n = 0
        self._cap = max(int(capacity), 16)
        self.columns = COLUMNS if columns is None else columns  # name -> (dtype, initial value)
        self.cols: dict[str, np.ndarray] = {
            name: np.full(self._cap, init, dtype=dt) for name, (dt, init) in self.columns.items()
        }

    def __len__(self) -> int:
        return self.n

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("cols")
        if cols is not None and name in cols:
            return cols[name][: self.n]
        raise AttributeError(name)

    @property
    def capacity(self) -> int:
        """Rows allocated (the table grows by half when full)."""
        return self._cap

    @property
    def bytes_per_agent(self) -> int:
        """Bytes of state held per agent row."""
        return sum(np.dtype(dt).itemsize for dt, _ in self.columns.values())

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the rows where ``mask`` is true, in their order (the others are removed for good)."""
        idx = np.flatnonzero(mask)
        for name, (_, init) in self.columns.items():
            col = self.cols[name]
            col[: idx.size] = col[idx]
            col[idx.size: self.n] = init
        self.n = int(idx.size)

    def add(self, n: int) -> slice:
        """Append ``n`` rows with initial values; returns their slice."""
        need = self.n + n
        if need > self._cap:
            new_cap = max(need, int(self._cap * 1.5) + 16)
            for name, (dt, init) in self.columns.items():
                grown = np.full(new_cap, init, dtype=dt)
                grown[: self.n] = self.cols[name][: self.n]
                self.cols[name] = grown
            self._cap = new_cap
        s = slice(self.n, need)
        self.n = need
        return s
