"""A small synthetic conflict in Flee's format, written by crossings itself (no external data).

Two conflict zones in "Arland" send people along roads to three camps in two neighbouring countries;
one border closes for the first weeks and one camp opens late. Observed camp counts are synthetic.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

LOCATIONS = [
    # name, region, country, lat, lon, type, conflict_date, population
    ("Capital", "North", "Arland", 10.0, 20.0, "conflict_zone", 0, 400000),
    ("Riverside", "East", "Arland", 10.5, 21.5, "conflict_zone", 20, 120000),
    ("Hilltown", "South", "Arland", 9.0, 20.5, "town", 0, 60000),
    ("Crossroads", "South", "Arland", 8.6, 21.2, "town", 0, 30000),
    ("Border_Post", "South", "Arland", 8.1, 21.9, "marker", 0, 0),
    ("Camp_North", "Lake", "Belmark", 11.4, 22.8, "camp", 0, 30000),
    ("Camp_South", "Plain", "Corvia", 7.5, 22.5, "camp", 0, 0),
    ("Camp_West", "Coast", "Corvia", 8.0, 19.0, "camp", 0, 20000),
]
ROUTES = [
    ("Capital", "Hilltown", 120), ("Capital", "Riverside", 160), ("Riverside", "Camp_North", 210),
    ("Hilltown", "Crossroads", 90), ("Crossroads", "Border_Post", 60), ("Border_Post", "Camp_South", 40),
    ("Hilltown", "Camp_West", 180), ("Riverside", "Crossroads", 150),
]
START = dt.date(2020, 3, 1)
LENGTH = 120
TOTAL = [(0, 1000), (30, 16000), (60, 30000), (90, 38000), (119, 42000)]
CAMPS = {
    "Camp_North": [(0, 400), (30, 5000), (60, 9000), (90, 11000), (119, 12000)],
    "Camp_South": [(0, 300), (30, 7000), (60, 14000), (90, 17500), (119, 19000)],
    "Camp_West": [(0, 0), (45, 0), (60, 3000), (90, 6000), (119, 8000)],
}
SIMSETTING = """log_levels:
  agent: 0
  link: 0
spawn_rules:
  insert_day0: True
  conflict_spawn_decay: [1.0, 1.0, 1.0, 0.5, 0.1]
move_rules:
  max_move_speed: 200.0
  max_walk_speed: 35.0
  camp_weight: 2.0
  conflict_weight: 0.25
  awareness_level: 2
optimisations:
  hasten: 1
"""


def _series(rows: list[tuple[int, int]]) -> str:
    return "Date,Count\n" + "".join(f"{(START + dt.timedelta(days=d)).isoformat()},{v}\n" for d, v in rows)


def write_demo(root: str | Path) -> Path:
    """Write the demo scenario into ``root`` (created if needed) and return its path."""
    root = Path(root)
    inp, src = root / "input_csv", root / "source_data"
    inp.mkdir(parents=True, exist_ok=True)
    src.mkdir(parents=True, exist_ok=True)
    loc_lines = ["#name,region,country,latitude,longitude,location_type,conflict_date,population"]
    loc_lines += [",".join(str(x) for x in row) for row in LOCATIONS]
    (inp / "locations.csv").write_text("\n".join(loc_lines) + "\n")
    (inp / "routes.csv").write_text("#name1,name2,distance,forced_redirection\n"
                                    + "".join(f"{a},{b},{d},0\n" for a, b, d in ROUTES))
    (inp / "closures.csv").write_text("#closure_type,name1,name2,closure_start,closure_end\n"
                                      "country,Arland,Belmark,0,14\ncamp,Camp_West,,0,45\n")
    names = [r[0] for r in LOCATIONS if r[5] == "conflict_zone"]
    rows = ["#Day," + ",".join(names)]
    for t in range(LENGTH):
        rows.append(f"{t}," + ",".join("1" if t >= r[6] else "0" for r in LOCATIONS if r[5] == "conflict_zone"))
    (inp / "conflicts.csv").write_text("\n".join(rows) + "\n")
    (inp / "sim_period.csv").write_text(f"StartDate,{START.isoformat()}\nLength,{LENGTH}\n")
    (inp / "registration_corrections.csv").write_text("")
    layout = ["total,refugees.csv"] + [f"{c},{c.lower()}.csv" for c in CAMPS]
    (src / "data_layout.csv").write_text("\n".join(layout) + "\n")
    (src / "refugees.csv").write_text(_series(TOTAL))
    for c, rows_ in CAMPS.items():
        (src / f"{c.lower()}.csv").write_text(_series(rows_))
    (root / "simsetting.yml").write_text(SIMSETTING)
    return root
