"""How much memory a run (or an ensemble, a sensitivity analysis, a calibration) will need, estimated in closed
form before it starts (no loop over the days or the members), so one that cannot fit says so at once."""

from __future__ import annotations

from crossings.engine.model import get_model
from crossings.errors import InputError
from crossings.scenario.model import Scenario

BASE_BYTES = 250 * 2**20  # interpreter, NumPy, pyarrow, the scenario
# What the client of an ensemble keeps per member besides the fit figures: its seed sequence, seed and parameters
# (about 700 bytes measured with tracemalloc for two parameters), the numbers it hands back, its row of members.csv
# and its task on the scheduler; a generous round figure, so that 10^8 members are refused, not 10^4.
CLIENT_BYTES_PER_MEMBER = 2048
FIT_BYTES_PER_ROW = 18  # per member and scored observation row: status, simulated value, inside, loss


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


def client_bytes(sc: Scenario, members: int) -> int:
    """Estimated memory of the client of ``members`` runs of ``sc``: a base and each member's share."""
    rows = len(getattr(sc, "observations", ()) or ())
    return BASE_BYTES + members * (CLIENT_BYTES_PER_MEMBER + FIT_BYTES_PER_ROW * rows)


def check_members_fit(sc: Scenario, days: int, members: int, what: str, available: int | None = None) -> int:
    """Raise :class:`~crossings.errors.InputError` before any work if one member's run of ``days`` days would
    not fit (as :func:`check_fits`), or the client's share of ``members`` members would not (``what`` names the
    option that sets their number, e.g. ``--members``); returns the client's estimate in bytes."""
    check_fits(sc, days, available=available)
    need = client_bytes(sc, members)
    have = available_bytes() if available is None else available
    if have is not None and need > have:
        raise InputError(what, None, "members", f"{members:,} members need about {need / 2**30:.1f} GiB on the "
                         f"client but only {have / 2**30:.1f} GiB is available; run fewer")
    return need
