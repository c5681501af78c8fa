"""A small emigration scenario in the native format (``model: emigration``), written by crossings itself.

An illustrative miniature of the autumn 2022 departures from Russia (russia2022.md §5–§7), not
calibrated: two origins, a flight hub with seat-limited, priced routes, the Upper Lars crossing with its
pedestrian bars, a Kazakh crossing that closes for three days, and a mobilisation decree that multiplies
the departure hazard of men of draft age who object to the war; abroad, the visa-free stays of §5 (visa runs
from Kazakhstan and Serbia, permits in Turkey and Serbia, registration in Armenia and Kazakhstan), rents, a
transit place (Tbilisi, Uralsk) and returns that rise when the mobilisation is declared over.
docs/native-format.md shows these files.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import MappingProxyType

DATA = Path(__file__).resolve().parent / "data"
# The example scenario's files by name (their text), kept as files in data/emigration_demo/.
FILES = MappingProxyType({p.name: p.read_text(encoding="utf-8") for p in sorted((DATA / "emigration_demo").iterdir())})


def write_emigration_demo(root: str | Path) -> Path:
    """Write the example scenario's files into ``root`` (created) and return it."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        (root / name).write_text(text)
    return root


# The synthetic scenario's files (data/emigration_synthetic/), filled in by ``write_emigration_synthetic``
# (str.format: ``{{`` is a brace).
SYNTHETIC_TEMPLATES = MappingProxyType({p.name: p.read_text(encoding="utf-8")
                                        for p in sorted((DATA / "emigration_synthetic").iterdir())})
SYNTHETIC_DAYS = (0, 5, 8, 10, 12, 13, 15, 20, 30, 40)  # the days the events and policies name ({day_N})
SYNTHETIC_PER = (100, 150, 200, 300, 400, 600)  # crossing capacities: people // N a day ({per_N}), at least 1


def write_emigration_synthetic(root: str | Path, people: int = 10_000, days: int = 60, hazard: float = 0.05) -> Path:
    """Write a synthetic emigration scenario with every mechanism on (for the throughput benchmark and the
    accounting tests): four origins with ``people`` at risk in all, leaving at ``hazard`` a day (tripled for
    men from day 5); land crossings with capacities, a pedestrian bar and a closure; seat-limited flights with
    fares, one suspended for a while; a transit country; visa-free stays with visa runs, a 90-in-180 rule from
    day 40, residence permits, a visa requirement, a tourist ban from day 15, registration thresholds; costs of
    living, savings and remote incomes; returns with a hazard that an event at home lowers."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    start = dt.date(2022, 9, 15)
    q = people // 4
    values = {
        "start": start.isoformat(), "days": days, "q": q, "rest": people - 3 * q,
        "hazard": hazard, "half_hazard": hazard / 2,
        **{f"day_{d}": (start + dt.timedelta(days=d)).isoformat() for d in SYNTHETIC_DAYS},
        **{f"per_{n}": max(people // n, 1) for n in SYNTHETIC_PER},
    }
    for name, template in SYNTHETIC_TEMPLATES.items():
        (root / name).write_text(template.format(**values))
    return root
