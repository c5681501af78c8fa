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
    :meth:`keep` (the emigration model drops returned agents, who never act again).

    Each column is an attribute (``a.loc``): a view of its first ``n`` rows, made once whenever the row count
    changes (:meth:`add`, :meth:`keep`) and stored on the instance, so reading one costs an attribute lookup and
    nothing more. ``a.cols[name]`` is the whole allocated array. ``n`` is read-only from outside: only ``add``
    and ``keep`` change it (the views follow them). A view taken before ``add`` still covers the old rows."""

    def __init__(self, capacity: int = 1024, columns: dict[str, tuple[type, float]] | None = None) -> None:
        self.n = 0
        self.generation = 0  # counts the times column arrays were replaced (compiled kernels keep pointers)
        self._cap = max(int(capacity), 16)
        self.columns = dict(COLUMNS if columns is None else columns)  # name -> (dtype, initial value)
        for name in self.columns:
            _check_name(name)
        self.cols: dict[str, np.ndarray] = {
            name: np.full(self._cap, init, dtype=dt) for name, (dt, init) in self.columns.items()
        }
        self._views()

    def __len__(self) -> int:
        return self.n

    def __getstate__(self) -> dict:
        """Pickled without the views (they would become copies); :meth:`__setstate__` makes them again."""
        return {k: v for k, v in self.__dict__.items() if k not in self.cols}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.generation = self.__dict__.get("generation", 0) + 1
        self._views()

    def _views(self) -> None:
        """(Re)make the column attributes: views of the rows in use."""
        n = self.n
        d = self.__dict__
        for name, col in self.cols.items():
            d[name] = col[:n]

    @property
    def capacity(self) -> int:
        """Rows allocated (the table grows by half when full)."""
        return self._cap

    @property
    def bytes_per_agent(self) -> int:
        """Bytes of state held per agent row."""
        return sum(np.dtype(dt).itemsize for dt, _ in self.columns.values())

    def add_columns(self, columns: dict[str, tuple[type, float]]) -> None:
        """Add columns (name -> (dtype, initial value)), every row at its initial value: the per-agent state a
        rule keeps for itself (e.g. the day of its next event). A column already there with the same dtype and
        initial value is kept as it is; checkpoints save and restore added columns like the others."""
        for name, (dt, init) in columns.items():
            have = self.columns.get(name)
            if have is not None:
                if np.dtype(have[0]) != np.dtype(dt) or have[1] != init:
                    raise ValueError(f"agent column {name!r} exists as {have}, not {(dt, init)}")
                continue
            _check_name(name)
            self.columns[name] = (dt, init)
            self.cols[name] = np.full(self._cap, init, dtype=dt)
        self.generation += 1
        self._views()

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the rows where ``mask`` is true, in their order (the others are removed for good)."""
        idx = np.flatnonzero(mask)
        for name, (_, init) in self.columns.items():
            col = self.cols[name]
            col[: idx.size] = col.take(idx)  # (take: a third faster than col[idx], the same values)
            col[idx.size: self.n] = init
        self.n = int(idx.size)
        self._views()

    def add(self, n: int) -> slice:
        """Append ``n`` rows with initial values; returns their slice."""
        need = self.n + n
        if need > self._cap:  # each new array is written once: the rows in use copied, the rest initial values
            new_cap = max(need, int(self._cap * 1.5) + 16)
            for name, (dt, init) in self.columns.items():
                grown = np.empty(new_cap, dtype=dt)
                grown[: self.n] = self.cols[name][: self.n]
                grown[self.n:] = init
                self.cols[name] = grown
            self._cap = new_cap
            self.generation += 1
        s = slice(self.n, need)
        self.n = need
        self._views()
        return s


def _check_name(name: str) -> None:
    """A column name must not hide the table's own attributes (``a.keep`` is the method, never a column)."""
    reserved = ("n", "cols", "columns", "generation")
    if not name.isidentifier() or name.startswith("_") or hasattr(AgentTable, name) or name in reserved:
        raise ValueError(f"{name!r} cannot be an agent column name")
