"""Parameters of the emigration model (``model: emigration``), read from the ``emigration:`` mapping of a
native scenario.yml. Each default carries its source or the word "assumption"."""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crossings.errors import InputError

LONG_STAY_DAYS = 183  # a stay this long makes an immigrant in most statistics (Geostat: 183 days in 365)


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
    # 1: an agent abroad at a destination that gives up waiting for a seat stays there (if its stay has not run
    # out and it is not broke) instead of re-planning by road; 0: it re-plans by road. Assumption: moving on
    # from abroad is optional (a seat-less Tbilisi → Istanbul traveller keeps its 365 days in Georgia).
    no_seat_stays: int = 0
    # 1: route choice counts today's expected waits in a path's travel days (queue ÷ capacity at each crossing,
    # seat-waiters ÷ seats on each flight); 0: it ignores them. Assumption: queue lengths at Upper Lars and the
    # Kazakh posts were news and Telegram-channel talk within hours in September 2022 (russia2022.md §5).
    route_sees_waits: int = 0
    # 1: each destination weighs attractiveness / (1 + days of its fastest usable path)^time_power, shared among
    # its usable paths ∝ (1 + days)^-time_power; 0: each path weighs that much on its own, so a destination
    # reached by many near-equal roads (ten from Moscow to Tbilisi in russia2022) weighs several times more.
    # Assumption: people choose where to go, then how; 0 keeps the weights the scenarios were calibrated with.
    route_by_destination: int = 0
    # days in a crossing queue before an agent re-plans; 0 = waits as long as it takes.
    # Assumption: queues of 3–4 days at Upper Lars were sat out (russia2022.md §5, [S Meduza, Babel]).
    queue_patience_days: int = 0
    # When an agent's allowed stay runs out (policies.csv) it picks one of: a visa run, a residence permit,
    # moving on, going home, with probability ∝ these weights over the options open to it (docs/engine.md).
    # Assumption: equal weights; RANEPA 2024 found 64% still in their first country and 10% back home
    # (russia2022.md §6), which these weights are meant to be calibrated against.
    visa_run_weight: float = 1.0
    permit_weight: float = 1.0
    move_on_weight: float = 1.0
    go_home_weight: float = 1.0
    # USD a visa run costs beyond the fares of the two crossings (a taxi to the border and back). Assumption.
    visa_run_cost_usd: float = 0.0
    # Daily probability that an agent settled abroad goes home; 0 = nobody returns unless forced. Assumption:
    # 10–20% returned by mid-2023 (russia2022.md §6) ≈ 0.0004–0.0008 a day over ~9 months.
    return_hazard: float = 0.0
    # The return hazard is multiplied by this while an agent's savings last fewer than low_money_days at its
    # current net daily cost. Assumption ("money ran out" is the reason given most often, russia2022.md §6).
    low_money_return_multiplier: float = 3.0
    low_money_days: int = 30
    # An agent whose savings reach zero tries a cheaper place with this probability, else goes home. Assumption.
    broke_cheaper_share: float = 0.5
    # An agent settled at a transit place (locations.csv ``transit``) moves on only in its first transit_days
    # days in that country; 0 = on any day. Assumption: those passing through leave within weeks, the others
    # stay (Georgia: >60% of arrivals left shortly after, obs row 3 note; Geostat still counted 62k immigrants).
    transit_days: int = 0
    # Route draws an agent makes per day to find a path it can pay (rejection sampling over the route weights).
    # Assumption; with few affordable paths an agent may need several days.
    route_tries: int = 8


RANGES: dict[str, tuple[float, float]] = {
    "car_speed_km_per_day": (1e-6, 1e5),
    "walk_speed_km_per_day": (1e-6, 1e5),
    "max_hops": (1, 20),
    "time_power": (0.0, 10.0),
    "seat_patience_days": (1, 10_000),
    "no_seat_stays": (0, 1),
    "route_sees_waits": (0, 1),
    "route_by_destination": (0, 1),
    "queue_patience_days": (0, 10_000),
    "visa_run_weight": (0.0, 1e6),
    "permit_weight": (0.0, 1e6),
    "move_on_weight": (0.0, 1e6),
    "go_home_weight": (0.0, 1e6),
    "visa_run_cost_usd": (0.0, 1e9),
    "return_hazard": (0.0, 1.0),
    "low_money_return_multiplier": (0.0, 1e6),
    "low_money_days": (0, 100_000),
    "broke_cheaper_share": (0.0, 1.0),
    "route_tries": (1, 1000),
    "transit_days": (0, 100_000),
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
