"""The ``ensemble``, ``sensitivity`` and ``calibrate`` commands (``add_parsers`` and ``run``, wired into
``crossings.cli.main``). Dask, SALib and Optuna are imported only when one of them runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from crossings.cli.report import after_ensemble
from crossings.errors import InputError

COMMANDS = ("ensemble", "sensitivity", "calibrate")


def _common(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("scenario", help="scenario directory (Flee or native format)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None,
                       help="worker processes of the local Dask cluster (default: one per core)")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run on an existing Dask cluster, e.g. tcp://host:8786")
    p.add_argument("--out", default="out", help="output directory (default: ./out)")
    p.add_argument("--seed", type=int, default=0, help=f"seed {what} (default 0)")
    p.add_argument("--days", type=int, default=None, help="days to simulate (default: the period)")
    p.add_argument("--rules", choices=("flee31", "crossings"), default=None,
                   help="rule set (default: the scenario's)")
    p.add_argument("--kernel", choices=("compiled", "numpy"), default="compiled",
                   help="move and travel phases: compiled C (default) or NumPy")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def add_parsers(sub: Any) -> None:
    """Add the three subcommands to the ``crossings`` sub-parsers."""
    e = sub.add_parser("ensemble", help="run many members of a scenario on Dask: quantile bands, ARD "
                       "distribution, coverage of observed data")
    _common(e, "from which every member's seed is spawned")
    e.add_argument("--runs", "--members", dest="runs", type=int, required=True, help="number of members")
    e.add_argument("--param", action="append", default=[], metavar="NAME=VALUE|NAME=LOW:HIGH",
                   help="set a setting (an emigration scenario: a parameter of its scenario.yml) for every "
                        "member, or draw it per member (repeatable)")
    e.add_argument("--params-file", default=None, metavar="FILE",
                   help="settings to apply, e.g. the fitted.yml written by `crossings calibrate`")
    e.add_argument("--set", action="append", dest="sets", metavar="WHAT", help="what-if change (docs/whatif.md)")

    s = sub.add_parser("sensitivity", help="Sobol' indices of an output (ARD by default) to chosen settings")
    _common(s, "of the design and of the replicate runs")
    s.add_argument("--param", action="append", default=[], required=True, metavar="NAME=LOW:HIGH",
                   help="a setting and its range (repeat for each setting)")
    s.add_argument("--samples", type=int, required=True, help="base samples N, a power of two: runs "
                   "N x (settings + 2) x replicates")
    s.add_argument("--output", default=None, help="ard_rescaled (default), ard_normal, agents_final "
                   "or SERIES@LOCATION (a stock on the last day or a flow summed, e.g. new_arrivals@Nyarugusu); "
                   "emigration scenarios: loss_calibration (default), loss_validation, share_inside, "
                   "agents_final, row@LINE or SERIES@NAME (e.g. new_entries@Georgia)")
    s.add_argument("--replicates", type=int, default=1, help="runs per point, averaged (same seeds for every "
                   "point; default 1)")

    c = sub.add_parser("calibrate", help="fit settings to the scenario's observed data (Optuna), with a "
                       "held-out check")
    _common(c, "of the optimiser and of the runs")
    c.add_argument("--param", action="append", default=[], required=True, metavar="NAME=LOW:HIGH",
                   help="a free setting and its range (repeat for each setting)")
    c.add_argument("--budget", type=int, required=True, help="parameter sets to try")
    c.add_argument("--holdout", action="append", default=[], metavar="RULE",
                   help="data kept out of the fit: camps=NAME[,NAME] or after=YYYY-MM-DD (repeatable)")
    c.add_argument("--loss", choices=("ard_rescaled", "ard_normal"), default=None,
                   help="what is minimised on the training data (default ard_rescaled; emigration scenarios: "
                        "always the fit loss of the calibration rows of observed.csv)")
    c.add_argument("--replicates", type=int, default=1, help="runs per parameter set, averaged (default 1)")
    c.add_argument("--batch", type=int, default=8, help="parameter sets proposed and run at once (default 8; "
                   "the fit depends on it, not on the number of workers)")
    c.add_argument("--check-runs", type=int, default=10, help="runs of the best set with fresh seeds for the "
                   "reported fit (default 10)")
    c.add_argument("--sampler", choices=("tpe", "cmaes"), default="tpe",
                   help="how parameter sets are proposed: tpe (default; a global search) or cmaes (emigration "
                        "scenarios: CMA-ES started at the scenario's own values, to refine them)")
    c.add_argument("--write-parameters", default=None, metavar="SCENARIO_DIR",
                   help="emigration scenarios: write the best values into SCENARIO_DIR/scenario.yml (only the "
                        "value: numbers change) and copy calibration.json next to it")


def load_params_file(path: str | Path, scenario: Any = None) -> list[Any]:
    """Fixed settings from a YAML file: fitted.yml (its ``parameters``) or a plain mapping NAME: VALUE (for an
    emigration ``scenario``: its named parameters)."""
    import yaml

    from crossings.ensemble.member import ParamSpec, check_parameter

    p = Path(path)
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(p, None, "file", "missing") from None
    except yaml.YAMLError as exc:
        raise InputError(p, None, "yaml", str(exc).splitlines()[0]) from None
    if isinstance(doc, dict) and isinstance(doc.get("parameters"), dict):
        doc = doc["parameters"]
    if not isinstance(doc, dict):
        raise InputError(p, None, "parameters", "expected a mapping of settings to values")
    out = []
    for k, v in doc.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise InputError(p, None, str(k), f"{v!r} is not a number")
        if scenario is not None and scenario.model == "emigration":
            from crossings.ensemble.emigration import fixed_scenario_param

            out.append(fixed_scenario_param(str(k), float(v), scenario, str(p)))
            continue
        val = float(check_parameter(str(k), float(v), where=str(p)))
        out.append(ParamSpec(str(k), val, val))
    return out


def _check(args: argparse.Namespace) -> None:
    if args.seed < 0:
        raise InputError("--seed", None, "seed", f"{args.seed} is negative")
    if args.days is not None and args.days < 1:
        raise InputError("--days", None, "days", f"{args.days} is not a positive number of days")
    if args.workers is not None and args.workers < 1:
        raise InputError("--workers", None, "workers", f"{args.workers} is not a positive number of workers")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(out, None, "--out", "exists and is not a directory")


def run(args: argparse.Namespace) -> int:
    """Run ``crossings ensemble|sensitivity|calibrate``; returns the exit code (InputError goes to main)."""
    from crossings.api import load_scenario
    from crossings.ensemble.cluster import Progress, need_dask
    from crossings.ensemble.member import parse_param

    _check(args)
    need_range = args.command != "ensemble"
    need_dask()
    scenario = load_scenario(args.scenario, sets=getattr(args, "sets", None))
    emigration = scenario.model == "emigration"
    if emigration:
        from crossings.ensemble.emigration import parse_scenario_param

        specs = [parse_scenario_param(t, scenario, need_range=need_range) for t in args.param]
    else:
        specs = [parse_param(t, need_range=need_range) for t in args.param]
    if args.command == "ensemble" and args.params_file:
        given = {s.name for s in specs}
        specs = [s for s in load_params_file(args.params_file, scenario) if s.name not in given] + specs
    say = (lambda msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr))
    for note in scenario.notices:
        say(f"notice: {note}")
    common = {"workers": args.workers, "scheduler": args.scheduler, "days": args.days, "rules": args.rules,
              "kernel": args.kernel, "seed": args.seed}
    if args.command == "ensemble":
        from crossings.ensemble.ensemble import run_ensemble

        res = run_ensemble(scenario, args.runs, params=specs, progress=Progress(not args.quiet), **common)
        res.write(args.out)
        after_ensemble(args.out)  # report.html of its daily bands, when it has some
        s = res.summary()
        line = f"{s['scenario']}: {res.runs} members x {res.days} days on {res.where}, {res.wall_seconds:.1f} s"
        if "ard_rescaled" in s["ard"]:
            a = s["ard"]["ard_rescaled"]
            line += f"; ARD rescaled median {a['q50']:.4f} (5-95 %: {a['q05']:.4f}-{a['q95']:.4f})"
        if s["coverage"].get("points"):
            cv = s["coverage"]
            line += f"; the 90 % band holds {cv['share']:.0%} of {cv['points']} observations"
        if res.fit is not None:
            from crossings.ensemble.emigration_reduce import fit_line

            line += "; " + fit_line(res.fit)
        say(line + f"; results in {args.out}/")
        return 0
    if args.command == "sensitivity":
        from crossings.ensemble.sensitivity import run_sensitivity

        res = run_sensitivity(scenario, specs, args.samples, output=args.output, replicates=args.replicates,
                              progress=Progress(not args.quiet, "runs"), **common)
        res.write(args.out)
        say(f"Sobol' indices of {res.output} ({len(res.Y)} points, {res.replicates} run(s) each, "
            f"{res.wall_seconds:.1f} s):")
        for name, ix in res.indices.items():
            say(f"  {name:28s} S1 {ix['S1']:7.3f} ± {ix['S1_conf']:.3f}   ST {ix['ST']:7.3f} ± {ix['ST_conf']:.3f}")
        say(f"results in {args.out}/sensitivity.json")
        return 0
    if args.command == "calibrate" and emigration:
        return _calibrate_emigration(args, scenario, specs, common, say)
    if args.command == "calibrate" and args.write_parameters:
        raise InputError("--write-parameters", None, "write-parameters", "applies to emigration scenarios (Flee "
                         "scenarios: fitted.yml holds the settings as simsetting.yml sections)")
    if args.command == "calibrate":
        from crossings.ensemble.calibrate import run_calibration

        res = run_calibration(scenario, specs, args.budget, holdout=args.holdout, loss=args.loss or "ard_rescaled",
                              replicates=args.replicates, batch=args.batch, check_runs=args.check_runs,
                              progress=Progress(not args.quiet, "runs"), sampler=args.sampler, **common)
        res.write(args.out)
        best = ", ".join(f"{k}={v:.6g}" for k, v in res.best.items())
        say(f"best of {len(res.trials)} sets: {best} ({res.loss} {res.best_loss:.4f} on the training data)")
        for part in ("training", "holdout"):
            if part in res.fit:
                fit, base = res.fit[part][res.loss], res.baseline[part][res.loss]
                say(f"  {part:8s} {res.loss}: fitted {fit['mean']:.4f} (5-95 %: {fit['q05']:.4f}-{fit['q95']:.4f}),"
                    f" scenario's settings {base['mean']:.4f}, over {fit['n']} fresh runs")
        say(f"fitted settings in {args.out}/fitted.yml")
        return 0
    raise ValueError(f"not an ensemble command: {args.command}")


def _calibrate_emigration(args: argparse.Namespace, scenario: Any, specs: list[Any], common: dict[str, Any],
                          say: Any) -> int:
    """``crossings calibrate`` of an emigration scenario: fit its named parameters to the calibration rows of
    observed.csv, report calibration and validation rows apart, optionally write the values back."""
    from crossings.ensemble.cluster import Progress
    from crossings.ensemble.emigration_calibrate import (
        check_parameters_target,
        command_line,
        run_emigration_calibration,
        write_parameters,
    )

    if args.holdout:
        raise InputError("--holdout", None, args.holdout[0], "an emigration scenario holds out the rows of its "
                         "observed.csv whose role is validation")
    if args.loss is not None:
        raise InputError("--loss", None, args.loss, "an emigration scenario is fitted on the fit loss of its "
                         "calibration rows")
    if args.write_parameters:
        check_parameters_target(args.write_parameters, [s.name for s in specs])
    res = run_emigration_calibration(scenario, specs, args.budget, replicates=args.replicates, batch=args.batch,
                                     check_runs=args.check_runs, progress=Progress(not args.quiet, "runs"),
                                     command=command_line(args), sampler=args.sampler, **common)
    out = res.write(args.out)
    for line in res.lines():
        say(line)
    say(f"fitted parameters in {out}/fitted.yml, provenance in {out}/calibration.json")
    if args.write_parameters:
        path = write_parameters(args.write_parameters, res.best, out / "calibration.json")
        say(f"wrote the best values into {path} and calibration.json beside it")
    return 0
