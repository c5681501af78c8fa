"""``crossings calibrate-flee``: one posterior of Flee settings for several Flee-format conflicts, by ABC-SMC on
their mean rescaled ARD (:mod:`crossings.ensemble.infer_flee`); ``--holdout`` keeps conflicts out of the fit and
scores the posterior's draws on them (leave-one-conflict-out)."""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

from crossings import api
from crossings.cli.options import check_common, option_words
from crossings.progress import Bar


def add_parser(sub: Any) -> None:
    """Add ``calibrate-flee`` to the ``crossings`` sub-parsers."""
    c = sub.add_parser("calibrate-flee", help="one posterior of Flee settings for several Flee-format conflicts "
                       "(ABC-SMC on their mean rescaled ARD), with conflicts held out")
    c.add_argument("conflicts", nargs="+", help="Flee-format conflict directories (with observed camp counts)")
    c.add_argument("--holdout", action="append", default=[], metavar="NAME",
                   help="a conflict (its directory's name) not fitted, only scored (repeatable)")
    c.add_argument("--param", action="append", default=[], metavar="NAME[=LOW:HIGH]",
                   help="a setting to fit: NAME=LOW:HIGH, or NAME alone for its default range (default: "
                        "max_move_speed, default_movechance, camp_weight, conflict_weight, distance_power, "
                        "softening, each with a range from Flee 3.1 and its canonical conflicts)")
    c.add_argument("--budget", type=int, required=True, help="parameter sets to try (each runs --replicates times "
                   "on every fitted conflict)")
    c.add_argument("--particles", type=int, default=16, help="particles per generation (default 16)")
    c.add_argument("--generations", type=int, default=3, help="generations at most (default 3)")
    c.add_argument("--replicates", type=int, default=2, help="runs per parameter set and conflict (default 2, the "
                   "least the noise is estimated from)")
    c.add_argument("--quantile", type=float, default=0.5, help="each generation's tolerance is this quantile of "
                   "the previous population's distances (default 0.5)")
    c.add_argument("--proposal", choices=("olcm", "global"), default="global", help="the proposal kernel "
                   "(default global, as for `crossings calibrate --method abc`)")
    c.add_argument("--check-runs", type=int, default=10, help="runs drawn from the posterior on every conflict, "
                   "fitted and held out, for the reported ARD (default 10; 0: none)")
    c.add_argument("--error-runs", type=int, default=10, help="runs drawn from the posterior on every fitted "
                   "conflict for the model-error term of predictive bands (posterior.json model_error; default 10; "
                   "0: none)")
    c.add_argument("--rules", choices=("flee31", "fixes", "crossings"), default="crossings",
                   help="rule set of every run (default crossings: the rule set being calibrated; the settings "
                        "fitted are the trial's, a calibrated setting not fitted keeps its calibrated default; "
                        "fixes: the conflicts' own values for it)")
    c.add_argument("--kernel", choices=("compiled", "numpy"), default=None,
                   help="move and travel phases: compiled C (default when it was built at install) or NumPy")
    where = c.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None,
                       help="worker processes of the local Dask cluster (default: one per core)")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS", help="run on an existing Dask cluster")
    c.add_argument("--seed", type=int, default=0, help="seed of the proposals and the runs (default 0)")
    c.add_argument("--out", default=None, help="output directory (default: out/calibrate-flee-FIRST_CONFLICT)")
    c.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def command_line(args: argparse.Namespace) -> str:
    """The command as parsed (every option given, in a fixed order), for provenance."""
    parts = ["crossings", "calibrate-flee", *[str(c) for c in args.conflicts]]
    for h in args.holdout:
        parts += ["--holdout", h]
    for p in args.param:
        parts += ["--param", p]
    parts += option_words(args, ("budget", "particles", "generations", "replicates", "quantile", "proposal",
                                 "check_runs", "error_runs", "rules", "seed", "workers", "scheduler", "out"))
    return shlex.join(parts)


def run(args: argparse.Namespace) -> int:
    """Run ``crossings calibrate-flee``; returns the exit code (InputError goes to main)."""
    check_common(args, "calibrate-flee", args.conflicts[0])
    api.need_dask()
    params = api.parse_flee_params(args.param)
    res = api.infer_flee(args.conflicts, params, args.budget, holdout=args.holdout, particles=args.particles,
                         generations=args.generations, replicates=args.replicates, quantile=args.quantile,
                         proposal=args.proposal, check_runs=args.check_runs, error_runs=args.error_runs,
                         rules=args.rules, kernel=args.kernel,
                         workers=args.workers, scheduler=args.scheduler, seed=args.seed,
                         progress=Bar("runs", not args.quiet, terminal_only=True), command=command_line(args))
    out = res.write(args.out)
    if not args.quiet:
        for line in res.lines(out):
            print(line, file=sys.stderr)
    return 0
