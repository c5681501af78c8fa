"""The ``ensemble``, ``sensitivity`` and ``calibrate`` commands (``add_parsers`` and ``run``, wired into
``crossings.cli.main``): parse, call the library through :mod:`crossings.api`, show progress and the closing
lines, and draw an ensemble's report.html once its results are written. Dask, SALib and Optuna are imported only
when one of them runs."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crossings import api
from crossings.cli.options import Deprecated, check_common, option_words
from crossings.errors import InputError
from crossings.progress import Bar

COMMANDS = ("ensemble", "sensitivity", "calibrate")


def _common(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("scenario", help="scenario directory (Flee or native format)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None,
                       help="worker processes of the local Dask cluster (default: one per core)")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run on an existing Dask cluster, e.g. tcp://host:8786")
    p.add_argument("--out", default=None, help=f"output directory (default: out/{p.prog.split()[-1]}-SCENARIO)")
    p.add_argument("--seed", type=int, default=0, help=f"seed {what} (default 0)")
    p.add_argument("--days", type=int, default=None, help="days to simulate (default: the period)")
    p.add_argument("--rules", choices=api.RULE_SETS, default=None,
                   help="rule set (default: the scenario's; flee32: Flee 3.2's rules and simsetting meanings; "
                        "crossings: the bug-fixed rules with six calibrated settings, whose posterior an ensemble "
                        "draws from; fixes: the same rules with the scenario's settings)")
    p.add_argument("--kernel", choices=("compiled", "numpy"), default=None,
                   help="move and travel phases: compiled C (default when it was built at install) or NumPy")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def add_parsers(sub: Any) -> None:
    """Add the three subcommands to the ``crossings`` sub-parsers."""
    e = sub.add_parser("ensemble", help="run many members of a scenario on Dask: quantile bands, ARD "
                       "distribution, coverage of observed data")
    _common(e, "from which every member's seed is spawned")
    members = e.add_mutually_exclusive_group(required=True)
    members.add_argument("--members", dest="runs", type=int, help="number of members")
    members.add_argument("--runs", dest="runs", type=int, action=Deprecated, new="--members", help=argparse.SUPPRESS)
    e.add_argument("--param", action="append", default=[], metavar="NAME=VALUE|NAME=LOW:HIGH",
                   help="set a setting (an emigration scenario: a parameter of its scenario.yml) for every "
                        "member, or draw it per member (repeatable)")
    e.add_argument("--params-file", default=None, metavar="FILE",
                   help="settings to apply, e.g. the fitted.yml written by `crossings calibrate`")
    e.add_argument("--set", action="append", dest="sets", metavar="WHAT",
                   help="a what-if change, as for `crossings run --set` (repeatable)")
    e.add_argument("--exact-limit", type=int, default=100, metavar="N",
                   help="up to N members (default 100) the quantiles are exact and the client keeps every "
                        "member's series; above, the workers reduce them to a fixed-size histogram per cell, "
                        "each quantile within a stated bound (ensemble.json)")
    post = e.add_mutually_exclusive_group()
    post.add_argument("--no-posterior", dest="posterior", action="store_false",
                      help="do not draw the members' parameters from the scenario's posterior (posterior.csv), "
                           "when it has one")
    post.add_argument("--posterior", dest="posterior", default=True, metavar="DIR",
                      help="draw the members' parameters from the posterior in DIR (posterior.csv and "
                           "posterior.json, e.g. written by `crossings calibrate-flee`)")

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
    c.add_argument("--replicates", type=int, default=None, help="runs per parameter set (default 1; --method abc: "
                   "2, the least the noise is estimated from)")
    c.add_argument("--batch", type=int, default=None, help="parameter sets proposed and run at once (default 8; "
                   "--method abc: the particles; the fit depends on it, not on the number of workers)")
    c.add_argument("--check-runs", type=int, default=10, help="runs of the best set with fresh seeds for the "
                   "reported fit (default 10)")
    c.add_argument("--sampler", choices=("tpe", "cmaes"), default="tpe",
                   help="how parameter sets are proposed: tpe (default; a global search) or cmaes (emigration "
                        "scenarios: CMA-ES started at the scenario's own values, to refine them)")
    c.add_argument("--method", choices=("optimise", "abc"), default="optimise",
                   help="optimise (default): search for the best set (--sampler); abc: a Bayesian calibration by "
                        "ABC-SMC whose posterior (posterior.csv, posterior.json) ensembles draw from")
    c.add_argument("--particles", type=int, default=32, help="--method abc: particles per generation (default 32)")
    c.add_argument("--generations", type=int, default=4, help="--method abc: generations at most (default 4)")
    c.add_argument("--quantile", type=float, default=0.5, help="--method abc: each generation's tolerance is this "
                   "quantile of the previous population's discrepancies (default 0.5)")
    c.add_argument("--proposal", choices=("olcm", "global"), default="global",
                   help="--method abc: the proposal kernel: global (default; twice the population's covariance: "
                        "its weights stay spread with many particles) or olcm (per particle a "
                        "local covariance, truncated to the ranges: smaller tolerances, weights less spread)")
    c.add_argument("--write-posterior", default=None, metavar="SCENARIO_DIR",
                   help="--method abc: copy posterior.csv and posterior.json into SCENARIO_DIR, so that its "
                        "ensembles draw from them")
    c.add_argument("--write-parameters", default=None, metavar="SCENARIO_DIR",
                   help="emigration scenarios: write the best values into SCENARIO_DIR/scenario.yml (only the "
                        "value: numbers change) and copy calibration.json next to it")


def load_params_file(path: str | Path, scenario: Any = None) -> list[Any]:
    """Fixed values from a YAML file: fitted.yml (its ``parameters``) or a plain mapping NAME: VALUE, parameters of
    ``scenario`` (without one: FleeSettings fields)."""
    return api.read_params_file(path, scenario)


def command_line(args: Any) -> str:
    """The ``crossings calibrate`` command as parsed (every option given, in a fixed order), for provenance."""
    parts = ["crossings", "calibrate", str(args.scenario)]
    for p in args.param:
        parts += ["--param", p]
    abc = (("method", "particles", "generations", "quantile", "proposal") if getattr(args, "method", None) == "abc"
           else ())
    parts += option_words(args, (*abc, "budget", "replicates", "batch", "check_runs", "seed", "days", "workers",
                                 "scheduler", "rules", "out", "write_parameters", "write_posterior"))
    for s in getattr(args, "sets", None) or []:
        parts += ["--set", s]
    return shlex.join(parts)


def run(args: argparse.Namespace) -> int:
    """Run ``crossings ensemble|sensitivity|calibrate``; returns the exit code (InputError goes to main)."""
    check_common(args, args.command, args.scenario)
    if args.command == "calibrate":
        args.batch_given = args.batch is not None
        args.batch = 8 if args.batch is None else args.batch
    api.need_dask()
    scenario = api.load_scenario(args.scenario, sets=getattr(args, "sets", None))
    specs = api.parse_params(args.param, scenario, need_range=args.command != "ensemble")
    if args.command == "ensemble" and args.params_file:
        given = {s.name for s in specs}
        specs = [s for s in load_params_file(args.params_file, scenario) if s.name not in given] + specs
    say: Callable[[str], None] = (lambda msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr))
    for note in api.run_notices(scenario, args.rules):
        say(f"notice: {note}")
    common = {"workers": args.workers, "scheduler": args.scheduler, "days": args.days, "rules": args.rules,
              "kernel": args.kernel, "seed": args.seed}
    if args.command == "ensemble":
        return _ensemble(args, scenario, specs, common, say)
    if args.command == "sensitivity":
        return _sensitivity(args, scenario, specs, common, say)
    if args.command == "calibrate":
        return _calibrate(args, scenario, specs, common, say)
    raise ValueError(f"not an ensemble command: {args.command}")


def _ensemble(args: argparse.Namespace, scenario: Any, specs: list[Any], common: dict[str, Any],
              say: Callable[[str], None]) -> int:
    """``crossings ensemble``: the members, their results, the report drawn from their bands, a closing line."""
    res = api.ensemble(scenario, args.runs, params=specs, progress=Bar("members", not args.quiet, terminal_only=True),
                       exact_limit=args.exact_limit, posterior=args.posterior, **common)
    res.write(args.out)
    try:
        api.write_ensemble_report(res, args.out)
    except Exception as exc:  # noqa: BLE001 - the results are written; the page is a convenience
        print(f"notice: no report.html ({type(exc).__name__}: {exc})", file=sys.stderr)
    s = res.summary()
    line = f"{s['scenario']}: {res.runs} members x {res.days} days on {res.where}, {res.wall_seconds:.1f} s"
    if "ard_rescaled" in s["ard"]:
        a = s["ard"]["ard_rescaled"]
        line += f"; ARD rescaled median {a['q50']:.4f} (5-95 %: {a['q05']:.4f}-{a['q95']:.4f})"
    if s["coverage"].get("points"):
        cv = s["coverage"]
        line += f"; the 90 % band holds {cv['share']:.0%} of {cv['points']} observations"
        pr = cv.get("predictive")
        if pr is not None and pr.get("share") is not None:
            line += (f" (with the posterior's model error: {pr['share']:.0%}"
                     f"{', in-sample' if pr['in_sample'] else ''})")
    if res.fit is not None:
        line += "; " + res.fit.line()
    if res.posterior is not None and res.posterior["used"]:
        whose = res.posterior.get("source") or ("the scenario's posterior" if args.posterior is True
                                                else f"the posterior in {args.posterior}")
        line += f"; parameters {', '.join(res.drawn)} drawn from {whose}"
        if res.posterior.get("degenerate"):
            line += f" (warning: {res.posterior['degenerate']})"
    say(line + f"; results in {args.out}/")
    return 0


def _sensitivity(args: argparse.Namespace, scenario: Any, specs: list[Any], common: dict[str, Any],
                 say: Callable[[str], None]) -> int:
    """``crossings sensitivity``: Sobol' indices, written and printed."""
    res = api.sensitivity(scenario, specs, args.samples, output=args.output, replicates=args.replicates,
                          progress=Bar("runs", not args.quiet, terminal_only=True), **common)
    res.write(args.out)
    say(f"Sobol' indices of {res.output} ({len(res.Y)} points, {res.replicates} run(s) each, "
        f"{res.wall_seconds:.1f} s):")
    for name, ix in res.indices.items():
        say(f"  {name:28s} S1 {ix['S1']:7.3f} ± {ix['S1_conf']:.3f}   ST {ix['ST']:7.3f} ± {ix['ST_conf']:.3f}")
    say(f"results in {args.out}/sensitivity.json")
    return 0


def _calibrate(args: argparse.Namespace, scenario: Any, specs: list[Any], common: dict[str, Any],
               say: Callable[[str], None]) -> int:
    """``crossings calibrate``: fit the parameters to the scenario's observed data, report the fit on the
    training and held-out parts, optionally write the values back into a scenario.yml (or, ``--method abc``, infer
    their posterior and optionally copy it into a scenario)."""
    if args.replicates is None:  # recorded in the command as used
        args.replicates = 2 if args.method == "abc" else 1
    if args.method == "abc":
        return _infer(args, scenario, specs, common, say)
    if args.write_posterior:
        raise InputError("--write-posterior", None, "write-posterior", "applies to --method abc")
    res = api.calibrate(scenario, specs, args.budget, holdout=args.holdout, loss=args.loss,
                        replicates=args.replicates, batch=args.batch, check_runs=args.check_runs,
                        progress=Bar("runs", not args.quiet, terminal_only=True), sampler=args.sampler,
                        command=command_line(args),
                        write_target=args.write_parameters, **common)
    out = res.write(args.out)
    for line in res.lines(args.out):
        say(line)
    if args.write_parameters:
        path = api.write_parameters(args.write_parameters, res.best, out / "calibration.json")
        say(f"wrote the best values into {path} and calibration.json beside it")
    return 0


def _infer(args: argparse.Namespace, scenario: Any, specs: list[Any], common: dict[str, Any],
           say: Callable[[str], None]) -> int:
    """``crossings calibrate --method abc``: the posterior by ABC-SMC, written to --out and optionally copied into
    a scenario directory."""
    for opt in ("write_parameters", "loss"):
        if getattr(args, opt, None):
            raise InputError(f"--{opt.replace('_', '-')}", None, opt.replace("_", "-"), "does not apply to "
                             "--method abc")
    if args.holdout:
        raise InputError("--holdout", None, args.holdout[0], "--method abc holds out the validation rows")
    if not args.batch_given:  # proposals run a generation's particles at a time
        args.batch = args.particles
    res = api.infer(scenario, specs, args.budget, particles=args.particles, generations=args.generations,
                    replicates=args.replicates, quantile=args.quantile, proposal=args.proposal,
                    batch=args.batch, check_runs=args.check_runs,
                    progress=Bar("runs", not args.quiet, terminal_only=True), command=command_line(args), **common)
    out = res.write(args.out)
    for line in res.lines(out):
        say(line)
    if args.write_posterior:
        path = api.write_posterior(args.write_posterior, out)
        say(f"copied posterior.csv and posterior.json into {path}")
    return 0
