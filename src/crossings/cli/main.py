"""``crossings`` command: ``run`` a scenario (default: the bundled russia2022 scenario) and write its results."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from crossings.errors import InputError


class Progress:
    """A one-line progress bar on stderr when it is a terminal; silent otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.t0 = time.perf_counter()
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        width = 30
        fill = int(width * done / total)
        sys.stderr.write(f"\r[{'#' * fill}{'.' * (width - fill)}] day {done}/{total} {now - self.t0:5.1f}s")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="crossings", description="Simulate people fleeing war and conscription.")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a scenario once and write out.csv, summary.json and Parquet tables")
    r.add_argument("scenario", nargs="?", help="scenario directory (native or Flee format) or a bundled "
                   "scenario's name; default: russia2022")
    r.add_argument("--out", default=None, help="output directory (default: ./out)")
    r.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    r.add_argument("--days", type=int, default=None, help="number of days to simulate (default: the period)")
    r.add_argument("--rules", choices=("flee31", "crossings"), default=None,
                   help="rule set (default: flee31 for Flee-format scenarios)")
    r.add_argument("--kernel", choices=("compiled", "numpy"), default=None,
                   help="move and travel phases: compiled C (default) or their vectorised NumPy twin")
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
                        "(repeatable; the syntax is in docs/whatif.md)")
    c = sub.add_parser("convert", help="write a scenario (e.g. a Flee scenario) in crossings' native format")
    c.add_argument("source", help="scenario directory to read")
    c.add_argument("target", help="directory to write the native scenario into (must not exist or be empty)")
    from crossings.cli.report import add_parser as add_report_parser

    add_report_parser(sub)
    from crossings.cli.ensemble import add_parsers as add_ensemble_parsers

    add_ensemble_parsers(sub)
    from crossings.cli.fit import add_parser as add_fit_parser

    add_fit_parser(sub)
    return p


def _convert(args: argparse.Namespace) -> int:
    from crossings.api import convert

    target = Path(args.target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError(target, None, "target", "exists and is not an empty directory")
    out = convert(args.source, target)
    print(f"wrote {out}", file=sys.stderr)
    return 0


def _resume_params(args: argparse.Namespace) -> tuple[Path, Path, Any]:
    """For ``--resume OUT``: the output directory, the scenario path and the checkpoint; options that would
    change the run (scenario, --seed, --days, --rules, --kernel, --out) must be absent or equal the stored ones."""
    from crossings.engine.checkpoint import find

    out = Path(args.resume)
    if args.out is not None and Path(args.out).resolve() != out.resolve():
        raise InputError("--out", None, "out", f"--resume continues in {out}; --out {args.out} differs")
    ck = find(out)
    ck.check_version()
    p = ck.params
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


def _run(args: argparse.Namespace) -> int:
    from crossings.api import load_scenario, write_run
    from crossings.engine import checkpoint
    from crossings.engine.simulation import Simulation

    resume = None
    if args.resume is not None:
        out, path, resume = _resume_params(args)
    else:
        out = Path(args.out if args.out is not None else "out")
    if out.exists() and not out.is_dir():
        raise InputError(out, None, "--out", "exists and is not a directory")
    if args.checkpoint_every is not None and args.checkpoint_every < 1:
        raise InputError("--checkpoint-every", None, "checkpoint_every",
                         f"{args.checkpoint_every} is not a positive number of days")
    if resume is None and args.scenario is None:
        from crossings.api import resolve_bundled

        path = resolve_bundled("russia2022")
        if not args.quiet:
            print("no scenario given: running the default scenario russia2022 (the 2022 emigration from Russia)",
                  file=sys.stderr)
    elif resume is None:
        path = Path(args.scenario)
    scenario = load_scenario(path, sets=args.sets)
    if not args.quiet:
        for note in scenario.notices:
            print(f"notice: {note}", file=sys.stderr)
    if args.seed is None:
        args.seed = 0
    if args.kernel is None:
        args.kernel = "compiled"
    if args.days is not None and args.days < 1:
        raise InputError("--days", None, "days", f"{args.days} is not a positive number of days")
    if args.seed < 0:
        raise InputError("--seed", None, "seed", f"{args.seed} is negative")
    from crossings.engine.resources import check_fits

    check_fits(scenario, args.days or scenario.length, path)
    sim = Simulation(scenario, seed=args.seed, rules=args.rules, days=args.days, check=args.check,
                     kernel=args.kernel)
    saver = None
    if resume is None:
        checkpoint.remove(out)  # a checkpoint of an earlier run here would resume the wrong run
    if args.checkpoint_every is not None:
        digest = resume.params["scenario_digest"] if resume is not None else None
        params = checkpoint.run_params(sim, path, out, args.checkpoint_every, digest)
        params.update({"what_if": list(args.sets)} if args.sets else {})
        saver = checkpoint.Checkpointer(out, args.checkpoint_every, params)
    results = sim.run(progress=Progress(not args.quiet), checkpoint=saver, resume=resume)
    write_run(results, out)
    if not args.quiet:
        from crossings.cli.fit import fit_line

        line = fit_line(out)
        if line:
            print(line, file=sys.stderr)
    checkpoint.remove(out)
    if not args.quiet:
        s = results.summary()
        ard = f", ARD rescaled {s['ard_rescaled']:.4f} (normal {s['ard_normal']:.4f})" if "ard_rescaled" in s else ""
        print(f"{s['scenario']}: {s['days']} days, {s['agents_final']} agents, {s['wall_seconds']:.2f} s{ard}; "
              f"results in {out}/", file=sys.stderr)
    if not args.no_report:
        from crossings.cli.report import after_run

        after_run(out, quiet=args.quiet)
    return 0


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM ends a run like Ctrl-C: temporary files are removed, nothing half-written is left."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (2 for bad input, with a one-line message and no traceback)."""
    import signal

    signal.signal(signal.SIGTERM, _terminate)
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "convert":
            return _convert(args)
        if args.command in ("ensemble", "sensitivity", "calibrate"):
            from crossings.cli.ensemble import run as ensemble

            return ensemble(args)
        if args.command == "fit":
            from crossings.cli.fit import run as fit

            return fit(args)
        if args.command == "report":
            from crossings.cli.report import run as report

            return report(args)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 1
