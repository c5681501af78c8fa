"""Parameters of the emigration model (``model: emigration``), read from the ``emigration:`` mapping of a
native scenario.yml. Each default carries its source or the word "assumption"."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crossings.errors import InputError


@dataclass(frozen=True)
class EmigrationSettings:
    """Rule parameters of the emigration model (units: km/day, days)."""

    # km/day by car or bus on a road route. Assumption: ~10 h a day at 50 km/h with stops; one traveller
    # took 4 days for Moscow → Upper Lars, ~1,800 km (russia2022.md §7.2, [S AP]) ≈ 450 km/day.
    car_speed_km_per_day: float = 500.0
    # km/day on a foot route; Flee 3.1's default max_walk_speed.
    walk_speed_km_per_day: float = 35.0
    # most routes (links) in a planned path. Assumption: origin → staging town → crossing → transit → city.
    max_hops: int = 5
    # route weight = attractiveness(end) / (1 + travel days)^time_power. Assumption (Flee uses distance^1).
    time_power: float = 1.0
    # days an agent waits at an airport without a seat before it re-plans without flying from there.
    # Assumption (flights "sold out" for about a week after 21 Sep 2022, russia2022.md §5).
    seat_patience_days: int = 3
    # days in a crossing queue before an agent re-plans; 0 = waits as long as it takes.
    # Assumption: queues of 3–4 days at Upper Lars were sat out (russia2022.md §5, [S Meduza, Babel]).
    queue_patience_days: int = 0


RANGES: dict[str, tuple[float, float]] = {
    "car_speed_km_per_day": (1e-6, 1e5),
    "walk_speed_km_per_day": (1e-6, 1e5),
    "max_hops": (1, 20),
    "time_power": (0.0, 10.0),
    "seat_patience_days": (1, 10_000),
    "queue_patience_days": (0, 10_000),
}
FIELDS = tuple(f.name for f in dataclasses.fields(EmigrationSettings))


def read_settings(path: Path, raw: Any, lines: dict[str, int]) -> EmigrationSettings:
    """Typed, range-checked settings from the ``emigration:`` mapping; unknown names are errors."""
    if raw is None:
        return EmigrationSettings()
    if not isinstance(raw, dict):
        raise InputError(path, lines.get("emigration"), "emigration", "must be a mapping")
    default = EmigrationSettings()
    changes: dict[str, Any] = {}
    for key, value in raw.items():
        line = lines.get(f"emigration.{key}")
        if key not in FIELDS:
            import difflib

            close = difflib.get_close_matches(str(key), FIELDS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(FIELDS)})"
            raise InputError(path, line, f"emigration.{key}", f"unknown setting{hint}")
        want = type(getattr(default, key))
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(path, line, f"emigration.{key}", f"{value!r} is not a number")
        if want is int and not float(value).is_integer():
            raise InputError(path, line, f"emigration.{key}", f"{value!r} is not a whole number")
        conv = want(value)
        lo, hi = RANGES[key]
        if not lo <= conv <= hi:
            raise InputError(path, line, f"emigration.{key}", f"{conv!r} is outside the allowed range {lo}..{hi}")
        changes[key] = conv
    return dataclasses.replace(default, **changes)
