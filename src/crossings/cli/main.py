"""``crossings`` command: ``run`` a scenario (default: the bundled demo) and write its results."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

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
    r.add_argument("scenario", nargs="?", help="scenario directory (Flee format); default: the demo scenario")
    r.add_argument("--out", default="out", help="output directory (default: ./out)")
    r.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    r.add_argument("--days", type=int, default=None, help="number of days to simulate (default: the period)")
    r.add_argument("--rules", choices=("flee31", "crossings"), default=None,
                   help="rule set (default: flee31 for Flee-format scenarios)")
    r.add_argument("--kernel", choices=("compiled", "numpy"), default="compiled",
                   help="move and travel phases: compiled C (default) or their vectorised NumPy twin")
    r.add_argument("--check", action="store_true", help="assert stocks equal the agent census every day")
    r.add_argument("--quiet", action="store_true", help="no progress bar or notices")
    r.add_argument("--no-report", action="store_true", help="do not write report.html")
    c = sub.add_parser("convert", help="write a scenario (e.g. a Flee scenario) in crossings' native format")
    c.add_argument("source", help="scenario directory to read")
    c.add_argument("target", help="directory to write the native scenario into (must not exist or be empty)")
    from crossings.report.cli import add_parser as add_report_parser

    add_report_parser(sub)
    return p


def _convert(args: argparse.Namespace) -> int:
    from crossings.api import convert

    target = Path(args.target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError(target, None, "target", "exists and is not an empty directory")
    out = convert(args.source, target)
    print(f"wrote {out}", file=sys.stderr)
    return 0


def _run(args: argparse.Namespace) -> int:
    from crossings.api import load_scenario
    from crossings.engine.simulation import Simulation
    from crossings.io.write import write_run

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(out, None, "--out", "exists and is not a directory")
    if args.scenario is None:
        from crossings.scenarios.demo import write_demo

        path = write_demo(out / "demo")
        if not args.quiet:
            print(f"no scenario given: running the demo scenario written to {path}", file=sys.stderr)
    else:
        path = Path(args.scenario)
    scenario = load_scenario(path)
    if not args.quiet:
        for note in scenario.notices:
            print(f"notice: {note}", file=sys.stderr)
    if args.days is not None and args.days < 1:
        raise InputError("--days", None, "days", f"{args.days} is not a positive number of days")
    if args.seed < 0:
        raise InputError("--seed", None, "seed", f"{args.seed} is negative")
    from crossings.resources import available_bytes, estimate_bytes

    need = estimate_bytes(scenario, args.days or scenario.length)
    have = available_bytes()
    if have is not None and need > have:
        raise InputError(path, None, "memory", f"the run needs about {need / 2**30:.1f} GiB but only "
                         f"{have / 2**30:.1f} GiB is available; shorten it (--days) or use a larger machine")
    sim = Simulation(scenario, seed=args.seed, rules=args.rules, days=args.days, check=args.check,
                     kernel=args.kernel)
    results = sim.run(progress=Progress(not args.quiet))
    write_run(results, out)
    if not args.quiet:
        s = results.summary()
        ard = f", ARD rescaled {s['ard_rescaled']:.4f} (normal {s['ard_normal']:.4f})" if "ard_rescaled" in s else ""
        print(f"{s['scenario']}: {s['days']} days, {s['agents_final']} agents, {s['wall_seconds']:.2f} s{ard}; "
              f"results in {out}/", file=sys.stderr)
    if not args.no_report:
        from crossings.report.cli import after_run

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
        if args.command == "report":
            from crossings.report.cli import run as report

            return report(args)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 1
