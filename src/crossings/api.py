"""The Python API: load a scenario, run it, get results as data (no files needed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from crossings.engine.model import get_model
from crossings.errors import InputError
from crossings.results import Results
from crossings.results.read import read_summary
from crossings.scenario.flee import is_flee_dir, read_flee
from crossings.scenario.model import Scenario
from crossings.scenario.native import is_native_dir, read_native, write_native


def load_scenario(path: str | Path, parameters: Mapping[str, float] | None = None,
                  sets: Sequence[str] | None = None) -> Scenario:
    """Read and validate a scenario directory (native or Flee format) into a frozen :class:`Scenario`;
    ``parameters`` override named parameters of a native scenario (scenario.yml ``parameters:``); ``sets``
    are what-if changes of an emigration scenario, e.g. ``["event: close Upper Lars from 2022-09-22"]``
    (docs/whatif.md)."""
    p = resolve_bundled(path)
    if sets:
        from crossings.scenario.whatif import apply

        return apply(p, sets, parameters)
    if is_native_dir(p):
        return read_native(p, parameters)
    if parameters:
        raise InputError(p, None, "parameters", "only native scenarios define named parameters")
    if is_flee_dir(p):
        return read_flee(p)
    if not p.exists():
        raise InputError(p, None, "scenario", "no such directory")
    raise InputError(p, None, "scenario", "not a scenario directory (expected scenario.yml, or Flee's "
                     "input_csv/locations.csv)")


BUNDLED = ("russia2022",)  # scenarios shipped inside the package, run by name


def resolve_bundled(path: str | Path) -> Path:
    """``path`` itself, or for the name of a bundled scenario (e.g. ``russia2022``) that is not a directory here,
    its directory inside the installed package."""
    p = Path(path)
    if str(path) in BUNDLED and not p.exists():
        return Path(__file__).resolve().parent / "scenarios" / str(path)
    return p


def convert(source: str | Path, target: str | Path) -> Path:
    """Write the scenario at ``source`` (any format) in the native format into ``target``."""
    return write_native(load_scenario(source), target)


def run(scenario: Scenario | str | Path, seed: int = 0, rules: str | None = None, days: int | None = None,
        check: bool = False, kernel: str = "compiled", sets: Sequence[str] | None = None) -> Results:
    """Run a scenario (object or path) once; ``rules`` is "flee31" or "crossings" (default: the scenario's);
    ``kernel`` is "compiled" (the C move and travel phases) or "numpy" (their vectorised twin); ``sets`` are
    what-if changes (docs/whatif.md) and need a path, since they edit the scenario's files. Raises
    :class:`InputError` if the run would not fit in the memory available."""
    from crossings.engine.simulation import Simulation

    if sets and isinstance(scenario, Scenario):
        raise ValueError("sets apply to a scenario directory: pass its path, or use load_scenario(path, sets=...)")
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, sets=sets)
    from crossings.engine.resources import check_fits

    check_fits(sc, days or sc.length)  # the same refusal as the command line, before any memory is taken
    return Simulation(sc, seed=seed, rules=rules, days=days, check=check, kernel=kernel).run()


def write_run(results: Results, out: str | Path) -> Path:
    """Write a run's files into ``out`` (as ``crossings run`` does, without the report): its tables, its model's
    own files, the fit against the scenario's observations when it has some (fit.csv), and summary.json last."""
    from crossings.observed.fit import fit_outputs

    files, extra = fit_outputs(results)
    return results.write(out, files, extra)


def read_run(run_dir: str | Path, scenario: bool = True) -> Results:
    """The results a run wrote into ``run_dir`` (``crossings run --out``, :func:`write_run`, or an ensemble's
    bands directory), read back by the model its summary.json names (none named: flee) without running anything.
    Unless ``scenario`` is False, they carry the scenario at the summary's ``scenario_path`` when it still loads
    (its places' coordinates, events and observations); else their scenario is None and dates, labels and counts
    come from the files alone. InputError when ``run_dir`` is not a run directory."""
    summary = read_summary(Path(run_dir))
    model = get_model(str(summary.get("model") or "flee"))
    path = summary.get("scenario_path")
    sc = None
    if scenario and isinstance(path, str) and path and Path(path).exists():
        try:
            sc = load_scenario(path)
        except Exception:  # noqa: BLE001 - a scenario edited since the run: its results still read without it
            sc = None
    return Results.read(run_dir, model, sc)
