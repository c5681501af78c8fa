"""Run one Flee 3.1 simulation the way Flee's v3.1 run script does, with seeding and logs off.

Usage: python bench/flee_runner.py SCENARIO_DIR --seed N --out OUT_CSV [--days N]

Must be run with an interpreter that has ``flee==3.1`` installed (see bench/README.md). The day loop follows
shared/design/flee-model.md §1.4 and writes Flee's out.csv (§3.1). The scenario is copied to a temporary
directory and the run happens inside it, because Flee reads ``input_csv/demographics_*.csv`` relative to the
working directory.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

import numpy as np
from flee import InputGeography, flee, spawning
from flee.datamanager import handle_refugee_data, read_period
from flee.postprocessing import analysis
from flee.SimulationSettings import SimulationSettings

TAIL_COLUMNS = [
    "Total error",
    "refugees in camps (UNHCR)",
    "total refugees (simulation)",
    "raw UNHCR refugee count",
    "refugees in camps (simulation)",
    "refugee_debt",
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description="Run Flee 3.1 on a scenario directory, seeded, logs off.")
    p.add_argument("scenario", type=Path, help="scenario dir with simsetting.yml, input_csv/, source_data/")
    p.add_argument("--seed", type=int, required=True, help="seed for Python's random and NumPy's global RNG")
    p.add_argument("--out", type=Path, required=True, help="where to write out.csv")
    p.add_argument("--days", type=int, default=0, help="days to simulate (<= 0: Length of sim_period.csv)")
    p.add_argument("--quiet", action="store_true", help="discard Flee's stderr chatter")
    return p.parse_args(argv)


def read_period_file(input_csv: str) -> tuple[str, int]:
    """StartDate and Length from sim_period.csv (or the older name conflict_period.csv)."""
    for name in ("sim_period.csv", "conflict_period.csv"):
        path = os.path.join(input_csv, name)
        if os.path.isfile(path):
            return read_period.read_conflict_period(path)
    raise FileNotFoundError(f"no sim_period.csv or conflict_period.csv in {input_csv}")


def configure_settings(settings_file: str, conflicts_file: str) -> None:
    """Load simsetting.yml into Flee's global settings, force agent/link logs off, set the conflicts file."""
    SimulationSettings.ReadFromYML(settings_file)
    SimulationSettings.log_levels["agent"] = 0
    SimulationSettings.log_levels["link"] = 0
    SimulationSettings.ConflictInputFile = conflicts_file if os.path.isfile(conflicts_file) else ""


def build_world(input_csv: str) -> tuple[flee.Ecosystem, InputGeography.InputGeography, dict]:
    """Read conflicts, locations, routes and closures and build the Flee ecosystem."""
    eco = flee.Ecosystem()
    geo = InputGeography.InputGeography()
    if SimulationSettings.ConflictInputFile:
        geo.ReadConflictInputCSV(csv_name=SimulationSettings.ConflictInputFile)
    geo.ReadLocationsFromCSV(csv_name=os.path.join(input_csv, "locations.csv"))
    geo.ReadLinksFromCSV(csv_name=os.path.join(input_csv, "routes.csv"))
    closures = os.path.join(input_csv, "closures.csv")
    if os.path.isfile(closures):
        geo.ReadClosuresFromCSV(csv_name=closures)
    else:
        geo.closures = []
    eco, loc_map = geo.StoreInputGeographyInEcosystem(e=eco)
    return eco, geo, loc_map


def header_line(camps: list[str], idp_totals: bool) -> str:
    """The out.csv header row in Flee's column order."""
    cols = ["Day", "Date"]
    for c in camps:
        cols += [f"{c} sim", f"{c} data", f"{c} error"]
    cols += TAIL_COLUMNS
    if idp_totals:
        cols.append("total IDPs")
    return ",".join(cols)


def day_row(
    t: int,
    day: date,
    camps: list,
    data: list[int],
    eco: flee.Ecosystem,
    raw: int,
    debt: int,
    idp_totals: bool,
) -> str:
    """One out.csv row for day t, after that day's movement."""
    fields: list[str] = [str(t), day.isoformat()]
    abs_errs = []
    for loc, value in zip(camps, data, strict=True):
        fields += [
            str(loc.numAgents),
            str(value),
            str(analysis.rel_error(val=loc.numAgents, correct_val=value)),
        ]
        abs_errs.append(analysis.abs_error(val=loc.numAgents, correct_val=value))
    if raw > 0:
        in_camps_sim = sum(loc.numAgents for loc in camps)
        fields += [
            str(float(np.sum(abs_errs)) / float(raw)),
            str(int(sum(data))),
            str(eco.numAgents()),
            str(raw),
            str(in_camps_sim),
            str(debt),
        ]
    else:
        fields += ["0"] * len(TAIL_COLUMNS)
    if idp_totals:
        fields.append(str(eco.numIDPs()))
    return ",".join(fields)


def simulate(workdir: str, seed: int, days: int, out: TextIO) -> int:
    """Run the simulation inside workdir (the scenario copy), writing out.csv rows; returns days simulated."""
    os.chdir(workdir)
    random.seed(seed)
    np.random.seed(seed)

    input_csv, source_data = "input_csv", "source_data"
    configure_settings("simsetting.yml", os.path.join(input_csv, "conflicts.csv"))
    start_date, length = read_period_file(input_csv)
    end_time = days if days > 0 else length

    eco, geo, loc_map = build_world(input_csv)

    table = handle_refugee_data.RefugeeTable(
        csvformat="generic",
        data_directory=source_data,
        start_date=start_date,
        data_layout="data_layout.csv",
        population_scaledown_factor=SimulationSettings.optimisations["PopulationScaleDownFactor"],
    )
    table.ReadL1Corrections(csvname=os.path.join(input_csv, "registration_corrections.csv"))

    camp_names = eco.get_camp_names()
    camps = [loc_map[name] for name in camp_names]
    for loc in camps:
        spawning.add_initial_refugees(eco, table, loc)

    idp_totals = SimulationSettings.log_levels.get("idp_totals", 0) > 0
    out.write(header_line(camp_names, idp_totals) + "\n")

    start = date.fromisoformat(start_date)
    for t in range(end_time):
        geo.AddNewConflictZones(e=eco, time=t)
        _, raw, debt = spawning.spawn_daily_displaced(eco, t, table)
        spawning.refresh_spawn_weights(eco)
        eco.enact_border_closures(time=t)
        eco.evolve()

        data = [table.get_field(name=name, day=t) for name in camp_names]
        out.write(day_row(t, start + timedelta(days=t), camps, data, eco, raw, debt, idp_totals) + "\n")
        out.flush()
    return end_time


def main(argv: list[str] | None = None) -> int:
    """Copy the scenario to a temp dir, run Flee there, write OUT_CSV."""
    args = parse_args(argv)
    scenario = args.scenario.resolve()
    out_path = args.out.resolve()
    if not (scenario / "simsetting.yml").is_file():
        print(f"error: {scenario} has no simsetting.yml", file=sys.stderr)
        return 2
    out_path.parent.mkdir(parents=True, exist_ok=True)

    cwd = os.getcwd()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="flee-run-") as tmp, open(os.devnull, "w") as devnull:
        workdir = os.path.join(tmp, scenario.name)
        shutil.copytree(scenario, workdir)
        tmp_out = out_path.with_name(out_path.name + ".part")
        chatter = contextlib.redirect_stderr(devnull) if args.quiet else contextlib.nullcontext()
        try:
            with chatter, open(tmp_out, "w", encoding="utf-8", newline="") as fh:
                n_days = simulate(workdir, args.seed, args.days, fh)
        except BaseException:
            tmp_out.unlink(missing_ok=True)
            raise
        finally:
            os.chdir(cwd)
        tmp_out.replace(out_path)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"flee_runner: {scenario.name} seed {args.seed}: {n_days} days in {time.perf_counter() - t0:.1f} s; "
          f"cpu {usage.ru_utime + usage.ru_stime:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
