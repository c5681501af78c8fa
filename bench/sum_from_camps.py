#!/usr/bin/env python
"""Flee 3.2's ``sum_from_camps`` on mali2012 (issue 23): final agents against the camp series' sum on the last day,
and the rescaled ARD, under ``--rules flee31`` and ``--rules flee32``, for two sets of settings:

* ``own``: mali2012's own simsetting.yml (hasten 10, capacity_buffer 0.75, camp_weight 5, …);
* ``suite``: the FabFlee validation-suite settings as flee-model.md §1.10 lists them (max_move_speed 400,
  softening 50, default_movechance 0.5, avoid_short_stints, capacity_scaling 1.25, distance_power 0.75,
  sum_from_camps, decay [1,1,1,0.5,0.1] per 30 days, camp_weight 1, conflict_weight 0.25; everything else at
  Flee's defaults, so hasten 1 and capacity_buffer 0.9). Not the sweep's own file, which we do not have.

    python bench/sum_from_camps.py --seeds 5      # needs ../shared/data/flee/mali2012 (or $CROSSINGS_SHARED)

Prints one Markdown table row per (settings, rules): people (agents × hasten) at the end, the camp-series sum on
the last day (people), the ARD over the seeds, and CPU and wall seconds per run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics as st
import tempfile
import time
from pathlib import Path

import crossings as cx

REPO = Path(__file__).resolve().parents[1]
SUITE = """log_levels: {agent: 0, link: 0}
spawn_rules:
  take_from_population: False
  insert_day0: True
  sum_from_camps: True
  conflict_spawn_decay: [1.0, 1.0, 1.0, 0.5, 0.1]
  conflict_spawn_decay_interval: 30
move_rules:
  max_move_speed: 400.0
  softening: 50.0
  default_movechance: 0.5
  avoid_short_stints: True
  capacity_scaling: 1.25
  distance_power: 0.75
  camp_weight: 1.0
  conflict_weight: 0.25
"""


def scenario_dirs(tmp: Path) -> dict[str, Path]:
    """mali2012 as shared, and a copy carrying the validation-suite settings."""
    shared = Path(os.environ.get("CROSSINGS_SHARED", REPO.parent / "shared"))
    own = shared / "data" / "flee" / "mali2012"
    suite = tmp / "mali2012"
    shutil.copytree(own, suite)
    (suite / "simsetting.yml").write_text(SUITE)
    return {"own": own, "suite": suite}


def row(name: str, path: Path, rules: str, seeds: int) -> str:
    sc = cx.load_scenario(path)
    hasten = sc.settings.hasten
    people, ards, cpu, wall = [], [], [], []
    for seed in range(1, seeds + 1):
        c0, w0 = time.process_time(), time.perf_counter()
        res = cx.Simulation(sc, seed=seed, rules=rules).run()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
        people.append(int(res.n_agents[-1]) * hasten)
        ards.append(res.ard()["ard_rescaled"])
    camp_sum = int(sc.observed.camps_by_day(sc.length)[-1].sum()) * hasten
    total = int(sc.observed.total_by_day(sc.length)[-1]) * hasten
    sd = f" ({st.stdev(ards):.3f})" if seeds > 1 else ""
    return (f"| {name} | {rules} | {seeds} | {st.mean(people):,.0f} ({min(people):,}–{max(people):,}) | {camp_sum:,} | "
            f"{total:,} | {st.mean(ards):.3f}{sd} | {st.mean(cpu):.2f} | {st.mean(wall):.2f} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=5)
    args = p.parse_args()
    print("| settings | rules | seeds | people at the end, mean (range) | camp sum, last day | refugees.csv, "
          "last day | ARD rescaled, mean (sd) | CPU s/run | wall s/run |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in scenario_dirs(Path(tmp)).items():
            for rules in ("flee31", "flee32"):
                print(row(name, path, rules, args.seeds), flush=True)


if __name__ == "__main__":
    main()
