"""How much memory a run will need, estimated before it starts, so a run that cannot fit says so."""

from __future__ import annotations

from crossings.engine.model import get_model
from crossings.errors import InputError
from crossings.scenario.model import Scenario

BASE_BYTES = 250 * 2**20  # interpreter, NumPy, pyarrow, the scenario


def estimate_bytes(sc: Scenario, days: int) -> int:
    """Estimated peak memory of a run in bytes: its model's estimate (agents, recorded series) and a base."""
    return BASE_BYTES + get_model(sc.model).estimate_bytes(sc, days)


def expected_agents(sc: Scenario, days: int) -> int:
    """Agents a run of ``days`` days will hold at its end (its model's estimate)."""
    return get_model(sc.model).expected_agents(sc, days)


def available_bytes() -> int | None:
    """Memory the system can give without swapping (Linux MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def check_fits(sc: Scenario, days: int, where: object = None, available: int | None = None) -> int:
    """Raise :class:`~crossings.errors.InputError` (naming ``where``, default the scenario's path) if a run of
    ``days`` days would need more memory than is ``available`` (default: what the system has now); returns the
    estimate in bytes."""
    need = estimate_bytes(sc, days)
    have = available_bytes() if available is None else available
    if have is not None and need > have:
        raise InputError(where if where is not None else sc.path, None, "memory",
                         f"the run needs about {need / 2**30:.1f} GiB but only {have / 2**30:.1f} GiB is "
                         "available; shorten it (--days) or use a larger machine")
    return need
