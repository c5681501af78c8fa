"""The Python API: load a scenario, run it, get results as data (no files needed)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crossings.engine import checkpoint
from crossings.engine.checkpoint import Checkpoint
from crossings.engine.model import build_scenario, get_model
from crossings.engine.resources import check_fits
from crossings.engine.simulation import Simulation
from crossings.errors import InputError
from crossings.files import write_text
from crossings.observed.fit import fit_data, fit_outputs, format_table, run_line, scenario_observed, summary_text
from crossings.observed.measures import RunTables
from crossings.params.flee import RULE_SETS as RULE_SETS  # the --rules choices of the command line
from crossings.progress import LOG, Bar
from crossings.results import Results
from crossings.results.read import read_summary
from crossings.scenario.model import Scenario
from crossings.scenario.source import is_native_dir, read_source
from crossings.scenarios import BUNDLED as BUNDLED  # re-exported from where the bundled scenarios live
from crossings.scenarios import resolve_bundled

if TYPE_CHECKING:  # a single run imports no ensemble or report code: they are loaded when first called
    from crossings.ensemble.calibrate import CalibrationResult
    from crossings.ensemble.ensemble import EnsembleResult
    from crossings.ensemble.infer import AbcResult
    from crossings.ensemble.infer_flee import FleeAbcResult
    from crossings.ensemble.member import ParamSpec
    from crossings.ensemble.sensitivity import SensitivityResult
    from crossings.report.notebook import Run


def load_scenario(path: str | Path, parameters: Mapping[str, float] | None = None,
                  sets: Sequence[str] | None = None) -> Scenario:
    """Read and validate a scenario directory (native or Flee format) into a frozen :class:`Scenario`;
    ``parameters`` override named parameters of a native scenario (scenario.yml ``parameters:``); ``sets``
    are what-if changes of an emigration scenario, e.g. ``["event: close Upper Lars from 2022-09-22"]``
    (docs/whatif.md). The files are read once (:func:`~crossings.scenario.source.read_source`); the Scenario keeps
    them (``scenario.source``), so builds with other parameters read nothing again."""
    p = resolve_bundled(path)
    if parameters and not is_native_dir(p):
        raise InputError(p, None, "parameters", "only native scenarios define named parameters")
    sc = build_scenario(read_source(p), parameters, sets or ())
    LOG.info("read %s: %s model, %d places, %d roads, %d days from %s", p, sc.model, len(sc.locations),
             len(sc.links), sc.length, sc.start_date)
    return sc


def convert(source: str | Path, target: str | Path) -> Path:
    """Write the scenario at ``source`` (any format) in the native format into ``target``, through its model's
    section (InputError for a model whose scenarios the native files cannot hold)."""
    sc = load_scenario(source)
    return get_model(sc.model).section.write(sc, Path(target))


def run_notices(scenario: Scenario, rules: str | None = None) -> tuple[str, ...]:
    """The notices of a run of ``scenario`` under rule set ``rules`` (default: the scenario's): what reading it
    noticed and, for Flee settings, each key whose meaning depends on the rule set. summary.json keeps them."""
    return get_model(scenario.model).notices(scenario, rules or scenario.default_rules)


def kernel_for(kernel: str | None = None) -> str:
    """The kernel a run uses: ``kernel`` as asked, or (None) "compiled" when the C kernels were built at install
    and "numpy" (their twin) when they were not, e.g. on a machine without a C compiler. InputError when
    "compiled" is asked for and was not built."""
    built = importlib.util.find_spec("crossings.engine._kernels") is not None
    if kernel is None:
        return "compiled" if built else "numpy"
    if kernel == "compiled" and not built:
        raise InputError("--kernel", None, "kernel", "the compiled kernels were not built when crossings was "
                         "installed (no C compiler then); use --kernel numpy, or reinstall with a C compiler")
    return kernel


def run(scenario: Scenario | str | Path, seed: int = 0, rules: str | None = None, days: int | None = None,
        check: bool = False, kernel: str | None = None, sets: Sequence[str] | None = None,
        progress: Callable[[int, int], None] | None = None, quiet: bool = False) -> Run:
    """Run a scenario (object or path) once, into a :class:`~crossings.report.notebook.Run` (results with
    figures); ``rules`` one of :data:`RULE_SETS` (default: the scenario's; docs/engine.md);
    ``kernel`` is "compiled" (the C move and travel phases), "numpy" (their vectorised twin) or None (compiled
    when it was built at install, else numpy: :func:`kernel_for`); ``sets`` are
    what-if changes (docs/whatif.md) and need a path; ``progress(day, days)`` is called after each day (default: a
    progress bar with the time left, none with ``quiet``). Raises :class:`InputError` if the run would not fit in
    the memory available."""
    if sets and isinstance(scenario, Scenario):
        raise ValueError("sets apply to a scenario directory: pass its path, or use load_scenario(path, sets=...)")
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, sets=sets)
    check_fits(sc, days or sc.length)  # the same refusal as the command line, before any memory is taken
    from crossings.report.notebook import Run  # the command line's runs import no report code

    sim = Simulation(sc, seed=seed, rules=rules, days=days, check=check, kernel=kernel_for(kernel))
    bar = Bar("days", enabled=progress is None and not quiet)
    try:
        return Run.of(_logged(sim, sim.run(progress=progress or bar)))
    finally:
        bar.close()


def _logged(sim: Simulation, results: Results) -> Results:
    """``results`` of ``sim``, its wall time and rules' timings logged (``crossings -v``, ``-vv``)."""
    LOG.info("ran %s: %d days, seed %d, rules %s, kernel %s, %.2f s", sim.scenario.name, sim.days, sim.seed,
             sim.rules, sim.kernel, results.wall_seconds)
    LOG.debug("time by rule: %s", ", ".join(f"{k} {v:.3f} s" for k, v in sim.timings.items()))
    return results


def run_with_checkpoints(scenario: Scenario, path: str | Path, out: str | Path, *, seed: int = 0,
                         rules: str | None = None, days: int | None = None, check: bool = False,
                         kernel: str | None = None, every: int | None = None, resume: Checkpoint | None = None,
                         progress: Callable[[int, int], None] | None = None) -> Results:
    """Run ``scenario`` (read from ``path``) once, saving its state into ``out/checkpoint/`` every ``every`` days
    (none when None) and, with ``resume`` (:func:`find_checkpoint`), continuing from it to the same results as an
    uninterrupted run. A checkpoint of an earlier run in ``out`` is removed first (it would resume the wrong
    run); the caller removes the new one once the results are written (:func:`remove_checkpoints`)."""
    out = Path(out)
    check_fits(scenario, days or scenario.length, path)
    sim = Simulation(scenario, seed=seed, rules=rules, days=days, check=check, kernel=kernel_for(kernel))
    if resume is None:
        checkpoint.remove(out)
    saver = None
    LOG.info("running %s: %d days, seed %d, rules %s, kernel %s", scenario.name, sim.days, sim.seed, sim.rules,
             sim.kernel)
    if every is not None:
        digest = resume.params["scenario_digest"] if resume is not None else None
        params = checkpoint.run_params(sim, Path(path), out, every, digest)
        params.update({"what_if": list(scenario.what_if)} if scenario.what_if else {})
        saver = checkpoint.Checkpointer(out, every, params)
    return _logged(sim, sim.run(progress=progress, checkpoint=saver, resume=resume))


def find_checkpoint(out: str | Path) -> Checkpoint:
    """The last complete checkpoint of the run whose output directory is ``out`` (InputError if none)."""
    return checkpoint.find(Path(out))


def remove_checkpoints(out: str | Path) -> None:
    """Delete the checkpoints in ``out`` (after the run's results are written)."""
    checkpoint.remove(Path(out))


def write_run(results: Results, out: str | Path) -> Path:
    """Write a run's files into ``out`` (as ``crossings run`` does, without the report): its tables, its model's
    own files, the fit against the scenario's observations when it has some (fit.csv), and summary.json last."""
    files, extra = fit_outputs(results)
    return results.write(out, files, extra)


def read_run(run_dir: str | Path, scenario: bool = True) -> Run:
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
    from crossings.report.notebook import Run  # the command line's runs import no report code

    return Run.read(run_dir, model, sc)


# ---- fit and report of a finished run --------------------------------------------------------------------------

def observed_of_run(run_dir: str | Path) -> Path:
    """The observations a run is scored against by default: those its summary.json used, else the observed.csv
    of the scenario directory it names (InputError when there is none)."""
    summary = read_summary(Path(run_dir))
    fit = summary.get("fit")
    used = fit.get("summary", {}).get("observed_file") if isinstance(fit, dict) else None
    if used and Path(used).is_file():
        return Path(used)
    found = scenario_observed(summary.get("scenario_path"))
    if found is None:
        raise InputError(run_dir, None, "--observed", "no observations: the run's scenario has no observed.csv; "
                         "give --observed FILE.csv")
    return found


def fit_run(run_dir: str | Path, observed: str | Path | None = None) -> tuple[list[Any], dict[str, Any]]:
    """The fit table of the run in ``run_dir`` against ``observed`` (default: :func:`observed_of_run`): its rows
    and what summary.json keeps of it (docs/fit.md)."""
    view = RunTables.from_results(read_run(run_dir, scenario=False))
    return fit_data(view, Path(observed) if observed is not None else observed_of_run(run_dir))


def fit_ensemble(ensemble_dir: str | Path) -> tuple[dict[str, Any], str]:
    """The fit of an ensemble directory (its fit.csv read back: per row the members' median and 5–95 %, inside and
    within ×1.5 on the median; counts per role) and the text ``crossings fit`` prints."""
    from crossings.ensemble.fitdir import ensemble_fit, ensemble_fit_text  # a single run imports no ensemble code

    data = ensemble_fit(ensemble_dir)
    return data, ensemble_fit_text(data)


def fit_text(rows: Sequence[Any], data: Mapping[str, Any]) -> str:
    """The fit table as the command line prints it, with its closing counts."""
    return format_table(rows) + summary_text(data["summary"]) + "\n"


def fit_line(run_dir: str | Path) -> str | None:
    """The line ``crossings run`` prints about the fit written into ``run_dir``/summary.json (None: no fit)."""
    try:
        summary = read_summary(Path(run_dir))
    except InputError:
        return None
    fit = summary.get("fit")
    return run_line(fit["summary"]) if isinstance(fit, dict) and "summary" in fit else None


def write_report(run_dir: str | Path, out: str | Path | None = None, results: Results | None = None) -> Path:
    """Write the report page of the run in ``run_dir`` (or of an ensemble's bands directory) into ``out``
    (default ``run_dir/report.html``), drawn from ``results`` or from the run read back; returns its path."""
    from crossings.report import render_report  # a run without a page imports no report code

    target = Path(out) if out is not None else Path(run_dir) / "report.html"
    write_text(target, render_report(results if results is not None else read_run(run_dir)))
    return target


def save_figures(results: Results, out_dir: str | Path) -> list[Path]:
    """The report's charts as PNG and SVG files in ``out_dir`` (needs matplotlib, the ``report`` extra)."""
    from crossings.report.figures import save_figures as save  # matplotlib: loaded only when figures are asked for

    return save(results, Path(out_dir))


# ---- ensembles, sensitivity, calibration (crossings.ensemble, imported on first use) ------------------------------

def is_ensemble_dir(path: str | Path) -> bool:
    """True if ``path`` is an ensemble's output directory (:func:`crossings.ensemble.fitdir.is_ensemble_dir`)."""
    from crossings.ensemble.fitdir import is_ensemble_dir as is_dir  # a single run imports no ensemble code

    return is_dir(path)


def need_dask() -> None:
    """Dask present, or a one-line error (:func:`crossings.ensemble.cluster.need_dask`)."""
    from crossings.ensemble.cluster import need_dask as need  # a single run imports no ensemble code

    need()


def read_params_file(path: str | Path, scenario: Scenario | None = None) -> list[ParamSpec]:
    """The parameters of a ``--params-file`` (:func:`crossings.ensemble.member.read_params_file`)."""
    from crossings.ensemble.member import read_params_file as read  # a single run imports no ensemble code

    return read(path, scenario)


def parse_params(texts: Sequence[str], scenario: Scenario, need_range: bool = False) -> list[ParamSpec]:
    """The ``--param`` texts as parameters of ``scenario`` (its FleeSettings fields, or the named parameters its
    scenario.yml declares); ``need_range``: each must be a range (sensitivity, calibration)."""
    from crossings.ensemble.member import parse_param  # a single run imports no ensemble code

    return [parse_param(t, need_range, scenario) for t in texts]


def _options(options: Mapping[str, Any], what: str) -> dict[str, Any]:
    """Options of an ensemble, sensitivity or calibration: the kernel resolved (:func:`kernel_for`) and, unless
    ``quiet`` or a ``progress`` is given, a progress bar of ``what``."""
    out = {k: v for k, v in options.items() if k != "quiet"}
    out["kernel"] = kernel_for(options.get("kernel"))
    if out.get("progress") is None:
        out["progress"] = Bar(what, enabled=not options.get("quiet", False))
    return out


def ensemble(scenario: Scenario | str | Path, runs: int, **options: Any) -> EnsembleResult:
    """Run ``runs`` members of a scenario on Dask and reduce them (:func:`crossings.ensemble.run_ensemble`: seed,
    params, workers, scheduler, client, days, rules, kernel, progress, exact_limit; a progress bar unless
    ``quiet=True``); ``result.write(out)`` writes the results, :func:`write_ensemble_report` the page."""
    from crossings.ensemble.ensemble import run_ensemble  # a single run imports no ensemble code

    return run_ensemble(scenario, runs, **_options(options, "members"))


def sensitivity(scenario: Scenario | str | Path, params: Sequence[ParamSpec], samples: int,
                **options: Any) -> SensitivityResult:
    """Sobol' indices of an output for ``params`` (:func:`crossings.ensemble.run_sensitivity`)."""
    from crossings.ensemble.sensitivity import run_sensitivity  # a single run imports no ensemble code

    return run_sensitivity(scenario, params, samples, **_options(options, "runs"))


def calibrate(scenario: Scenario | str | Path, params: Sequence[ParamSpec], budget: int,
              **options: Any) -> CalibrationResult:
    """Fit ``params`` to the scenario's observed data with ``budget`` parameter sets
    (:func:`crossings.ensemble.run_calibration`); ``result.write(out)`` writes its files."""
    from crossings.ensemble.calibrate import run_calibration  # a single run imports no ensemble code

    return run_calibration(scenario, params, budget, **_options(options, "runs"))


def infer(scenario: Scenario | str | Path, params: Sequence[ParamSpec], budget: int, **options: Any) -> AbcResult:
    """The posterior of ``params`` given the scenario's calibration rows, by ABC-SMC with at most ``budget``
    parameter sets (:func:`crossings.ensemble.infer.run_abc`); ``result.write(out)`` writes posterior.csv and
    posterior.json."""
    from crossings.ensemble.infer import run_abc  # a single run imports no ensemble code

    return run_abc(scenario, params, budget, **_options(options, "runs"))


def infer_flee(conflicts: Sequence[Scenario | str | Path], params: Sequence[ParamSpec] | None, budget: int,
               **options: Any) -> FleeAbcResult:
    """One posterior of Flee settings for several Flee-format conflicts, by ABC-SMC on their mean rescaled ARD
    (:func:`crossings.ensemble.infer_flee.run_flee_abc`; ``holdout`` names conflicts scored but not fitted);
    ``result.write(out)`` writes posterior.csv and posterior.json."""
    from crossings.ensemble.infer_flee import run_flee_abc  # a single run imports no ensemble code

    return run_flee_abc(conflicts, params, budget, **_options(options, "runs"))


def parse_flee_params(texts: Sequence[str]) -> list[ParamSpec]:
    """The ``--param`` of ``crossings calibrate-flee`` (:func:`crossings.ensemble.infer_flee.parse_params`)."""
    from crossings.ensemble.infer_flee import parse_params  # a single run imports no ensemble code

    return parse_params(texts)


def write_posterior(scenario_dir: str | Path, out: str | Path) -> Path:
    """Copy the posterior written into ``out`` into ``scenario_dir`` (:func:`crossings.ensemble.infer.write_posterior`),
    so that its ensembles draw from it."""
    from crossings.ensemble.infer import write_posterior as write  # a single run imports no ensemble code

    return write(scenario_dir, out)


def write_parameters(scenario_dir: str | Path, values: Mapping[str, float],
                     calibration_json: str | Path | None = None) -> Path:
    """Write calibrated ``values`` into ``scenario_dir``/scenario.yml (only the numbers change) and copy
    ``calibration_json`` beside it (:func:`crossings.ensemble.calibrate.write_parameters`)."""
    from crossings.ensemble.calibrate import write_parameters as write  # a single run imports no ensemble code

    return write(scenario_dir, values, calibration_json)


def write_ensemble_report(result: EnsembleResult, out: str | Path) -> Path | None:
    """Draw ``out``/report.html from the bands an ensemble's ``write(out)`` wrote (None when its model keeps no
    bands). Errors drawing it are the caller's to report: the results are written already."""
    if not result.has_bands:
        return None
    out = Path(out)
    return write_report(out / "bands", out / "report.html")
