"""``crossings run [SCENARIO]``: run a scenario once (default: the bundled russia2022) and write its results."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from crossings import api
from crossings.cli.options import out_dir
from crossings.cli.report import after_run
from crossings.errors import InputError
from crossings.files import check_writable
from crossings.progress import Bar

DEFAULT_SCENARIO = "russia2022"
KERNELS = {"compiled": "kernel: compiled C", "numpy": "kernel: NumPy"}  # the line saying which one a run uses
NOT_BUILT = " (the compiled kernels were not built at install: no C compiler then)"


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``run`` subcommand to ``crossings``' subparsers."""
    r = sub.add_parser("run", help="run a scenario once and write out.csv, summary.json and Parquet tables")
    r.add_argument("scenario", nargs="?", help="scenario directory (native or Flee format) or a bundled "
                   "scenario's name; default: russia2022")
    r.add_argument("--out", default=None, help="output directory (default: out/run-SCENARIO, e.g. out/run-russia2022)")
    r.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    r.add_argument("--days", type=int, default=None, help="number of days to simulate (default: the period)")
    r.add_argument("--rules", choices=api.RULE_SETS, default=None,
                   help="rule set (default: flee31 for Flee-format scenarios): flee31 Flee 3.1's rules and "
                        "simsetting meanings, flee32 Flee 3.2's (sum_from_camps on by default, capacity_scaling), "
                        "fixes 3.1's with its bugs corrected and the scenario's settings, crossings the same with "
                        "six calibrated settings (calibration/flee/posterior.json) in place of the scenario's")
    r.add_argument("--kernel", choices=("compiled", "numpy"), default=None,
                   help="move and travel phases: compiled C (default when it was built at install) or their "
                        "vectorised NumPy twin")
    r.add_argument("--check", action="store_true", help="assert stocks equal the agent census every day")
    r.add_argument("--quiet", action="store_true", help="no progress bar or notices")
    r.add_argument("--no-report", action="store_true", help="do not write report.html")
    r.add_argument("--checkpoint-every", type=int, default=None, metavar="N",
                   help="every N days save the run's state into OUT/checkpoint/ (removed when the run completes)")
    r.add_argument("--resume", default=None, metavar="OUT",
                   help="continue the run whose output directory is OUT from its last checkpoint, to the same "
                        "results as an uninterrupted run")
    r.add_argument("--set", action="append", default=None, dest="sets", metavar="WHAT",
                   help="a what-if change of an emigration scenario, e.g. 'event: close Upper Lars from 2022-09-22' "
                        "(repeatable; the syntax is in the what-if guide, whatif.md)")
    return r


def _resume_params(args: argparse.Namespace) -> tuple[Path, Path, Any]:
    """For ``--resume OUT``: the output directory, the scenario path and the checkpoint; options that would
    change the run (scenario, --seed, --days, --rules, --kernel, --out) must be absent or equal the stored ones."""
    out = Path(args.resume)
    if args.out is not None and Path(args.out).resolve() != out.resolve():
        raise InputError("--out", None, "out", f"--resume continues in {out}; --out {args.out} differs")
    ck = api.find_checkpoint(out)
    ck.check_version()
    p = ck.params
    _check_stored(ck.directory, p)
    given = Path(p["scenario"])
    path = given if given.resolve() == Path(p["scenario_abs"]) else Path(p["scenario_abs"])
    if args.scenario is not None and Path(args.scenario).resolve() != path.resolve():
        raise InputError(args.scenario, None, "scenario", f"the checkpoint in {out} is of {path}")
    for opt in ("seed", "days", "rules", "kernel"):
        value = getattr(args, opt)
        if value is not None and value != p[opt]:
            raise InputError(f"--{opt}", None, opt, f"{value} differs from the checkpoint's {p[opt]}; "
                             "a resumed run keeps its parameters")
        setattr(args, opt, p[opt])
    if args.checkpoint_every is None:
        args.checkpoint_every = p.get("checkpoint_every")
    stored = list(p.get("what_if") or [])
    if args.sets is not None and list(args.sets) != stored:
        was = "with --set " + " --set ".join(f"'{t}'" for t in stored) if stored else "without --set"
        raise InputError("--set", None, "set", f"the run in {out} was started {was}; a resumed run keeps its "
                         "what-if changes (leave --set out)")
    args.sets = stored or None
    if not path.is_dir():
        raise InputError(path, None, "scenario", "the checkpoint's scenario directory is gone")
    ck.check_scenario(path, out)
    return out, path, ck


STORED = {"scenario": (str,), "scenario_abs": (str,), "seed": (int,), "days": (int,), "rules": (str,),
          "kernel": (str, type(None)), "checkpoint_every": (int, type(None)), "what_if": (list, type(None))}
# the range of each stored number (those of --seed, --days and --checkpoint-every)
STORED_RANGES = {"seed": (0, 2**63 - 1), "days": (1, 10**8), "checkpoint_every": (1, 10**8)}


def _check_stored(directory: Path, params: dict[str, Any]) -> None:
    """Refuse a checkpoint whose stored run parameters have the wrong types or numbers outside their ranges (a
    tampered or damaged file)."""
    for key, types in STORED.items():
        value = params.get(key)
        lo, hi = STORED_RANGES.get(key, (None, None))
        if isinstance(value, bool) or not isinstance(value, types) or \
                (key == "what_if" and value and not all(isinstance(t, str) for t in value)) or \
                (lo is not None and isinstance(value, int) and not lo <= value <= hi):
            raise InputError(Path(directory) / "checkpoint.json", None, f"params.{key}",
                             f"{value!r} is not a valid stored value; rerun from the start")


def _check_options(args: argparse.Namespace, out: Path) -> None:
    """Refuse options that cannot make a run, before anything is read."""
    check_writable(out)  # not a directory, or unwritable: refused now, not after the whole simulation
    if args.checkpoint_every is not None and args.checkpoint_every < 1:
        raise InputError("--checkpoint-every", None, "checkpoint_every",
                         f"{args.checkpoint_every} is not a positive number of days")


def _scenario_path(args: argparse.Namespace) -> Path:
    """The scenario to run: as given, else the default scenario (said on stderr unless quiet)."""
    if args.scenario is not None:
        return Path(args.scenario)
    if not args.quiet:
        print("no scenario given: running the default scenario russia2022 (the 2022 emigration from Russia)",
              file=sys.stderr)
    return api.resolve_bundled(DEFAULT_SCENARIO)


def run(args: argparse.Namespace) -> int:
    """Carry out ``crossings run``; bad input raises :class:`InputError` (exit code 2 in ``main``)."""
    resume = None
    if args.resume is not None:
        out, path, resume = _resume_params(args)
    else:
        out = out_dir("run", args.out, args.scenario or DEFAULT_SCENARIO)
    _check_options(args, out)
    if resume is None:
        path = _scenario_path(args)
    scenario = api.load_scenario(path, sets=args.sets)
    if not args.quiet:
        for note in api.run_notices(scenario, args.rules):
            print(f"notice: {note}", file=sys.stderr)
    seed = 0 if args.seed is None else args.seed
    if args.days is not None and args.days < 1:
        raise InputError("--days", None, "days", f"{args.days} is not a positive number of days")
    if seed < 0:
        raise InputError("--seed", None, "seed", f"{seed} is negative")
    kernel = api.kernel_for(args.kernel)
    results = api.run_with_checkpoints(scenario, path, out, seed=seed, rules=args.rules, days=args.days,
                                       check=args.check, kernel=kernel,
                                       every=args.checkpoint_every, resume=resume,
                                       progress=Bar("days", not args.quiet, terminal_only=True))
    api.write_run(results, out)
    api.remove_checkpoints(out)
    if not args.quiet:
        print(KERNELS[kernel] + ("" if args.kernel or kernel == "compiled" else NOT_BUILT), file=sys.stderr)
        _print_summary(results, out)
    if not args.no_report:
        after_run(out, quiet=args.quiet)
    return 0


def _print_summary(results: Any, out: Path) -> None:
    """The fit line (emigration runs) and the run's one-line summary, on stderr."""
    line = api.fit_line(out)
    if line:
        print(line, file=sys.stderr)
    s = results.summary()
    ard = f", ARD rescaled {s['ard_rescaled']:.4f} (normal {s['ard_normal']:.4f})" if "ard_rescaled" in s else ""
    print(f"{s['scenario']}: {s['days']} days, {_people(s)}, {s['wall_seconds']:.2f} s{ard}; "
          f"results in {out}/", file=sys.stderr)


def _people(summary: dict[str, Any]) -> str:
    """The people who set out in a run (its agents, each the people it stands for; travellers' trips included),
    with the agents when an agent is more than one person."""
    people, agents, ppa = summary.get("people_final"), summary["agents_final"], summary.get("people_per_agent", 1)
    if people is None or ppa == 1:
        return f"{agents:,} people set out"
    return f"{people:,} people set out ({agents:,} agents x {ppa:,})"
