"""How much memory a run will need, estimated before it starts, so a run that cannot fit says so."""

from __future__ import annotations

import numpy as np

from crossings.engine.state import COLUMNS
from crossings.scenario.model import Scenario

# Per agent beyond the table's columns: transient index and random-number arrays of the vectorised rules and the
# table's growth headroom (it grows by half when full). Measured peak RSS was 92 bytes per agent at 10^7 agents
# on the synthetic benchmark (bench/scale.py); 40 covers the transients with margin.
TRANSIENT_BYTES_PER_AGENT = 40
BASE_BYTES = 250 * 2**20  # interpreter, NumPy, pyarrow, the scenario


def expected_agents(sc: Scenario, days: int) -> int:
    """Agents a run of ``days`` days will hold at its end (from the observed totals that drive spawning; for the
    emigration model, from the departure hazards)."""
    if sc.emigration is not None:
        return expected_emigrants(sc, days)
    obs = sc.observed
    if obs is None:
        return 0
    total = obs.total_by_day(days)
    return int(max(int(total.max()) - int(total[0]), 0) + int(obs.camps_by_day(1).sum()) + max(int(total[0]), 0))


def expected_emigrants(sc: Scenario, days: int) -> int:
    """Expected number of people leaving home within ``days`` days: the departure rule's mean, day by day, per
    origin × category × sex × age band, with the timeline's multipliers."""
    from crossings.engine.models.emigration.timeline import hazard_multipliers
    from crossings.engine.models.emigration.world import apportion
    from crossings.scenario.model import ORIGIN

    em = sc.emigration
    origins = np.flatnonzero(sc.locations.kind == ORIGIN)
    cells = np.multiply.outer(np.multiply.outer(em.category.shares, em.sex.shares), em.age_band.shares)
    home = np.stack([apportion(int(sc.locations.population[o]), cells) for o in origins]).astype(np.float64)
    base = em.hazard[origins][:, :, None, None]
    pos = {int(o): i for i, o in enumerate(origins)}
    start = home.sum()
    for day in range(days):
        home -= home * np.minimum(base * hazard_multipliers(list(em.events), pos, home.shape, day), 1.0)
    return int(np.ceil(start - home.sum()))


def estimate_bytes(sc: Scenario, days: int) -> int:
    """Estimated peak memory of a run in bytes: agents, daily results per location and link, and a base."""
    n = expected_agents(sc, days)
    columns = COLUMNS
    if sc.emigration is not None:
        from crossings.engine.models.emigration.state import COLUMNS as columns
    per_agent = sum(np.dtype(dt).itemsize for dt, _ in columns.values()) + TRANSIENT_BYTES_PER_AGENT
    results = days * (4 * len(sc.locations) + 3 * len(sc.links)) * 8 * 2  # arrays, then the long tables
    return BASE_BYTES + n * per_agent + results


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
    from crossings.errors import InputError

    need = estimate_bytes(sc, days)
    have = available_bytes() if available is None else available
    if have is not None and need > have:
        raise InputError(where if where is not None else sc.path, None, "memory",
                         f"the run needs about {need / 2**30:.1f} GiB but only {have / 2**30:.1f} GiB is "
                         "available; shorten it (--days) or use a larger machine")
    return need
