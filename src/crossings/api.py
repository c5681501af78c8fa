"""The Python API: load a scenario, run it, get results as data (no files needed)."""

from __future__ import annotations

from pathlib import Path

from crossings.errors import InputError
from crossings.results import Results
from crossings.scenario.flee import is_flee_dir, read_flee
from crossings.scenario.model import Scenario
from crossings.scenario.native import is_native_dir, read_native, write_native


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario directory (native or Flee format) into a frozen :class:`Scenario`."""
    p = Path(path)
    if is_native_dir(p):
        return read_native(p)
    if is_flee_dir(p):
        return read_flee(p)
    if not p.exists():
        raise InputError(p, None, "scenario", "no such directory")
    raise InputError(p, None, "scenario", "not a scenario directory (expected scenario.yml, or Flee's "
                     "input_csv/locations.csv)")


def convert(source: str | Path, target: str | Path) -> Path:
    """Write the scenario at ``source`` (any format) in the native format into ``target``."""
    return write_native(load_scenario(source), target)


def run(scenario: Scenario | str | Path, seed: int = 0, rules: str | None = None, days: int | None = None,
        check: bool = False, kernel: str = "compiled") -> Results:
    """Run a scenario (object or path) once; ``rules`` is "flee31" or "crossings" (default: the scenario's);
    ``kernel`` is "compiled" (the C move and travel phases) or "numpy" (their vectorised twin)."""
    from crossings.engine.simulation import Simulation

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    return Simulation(sc, seed=seed, rules=rules, days=days, check=check, kernel=kernel).run()
