"""``crossings``: the command line. Each sub-command lives in its own module of this package (parse, call the
library through :mod:`crossings.api`, write files, set the exit code); this one parses and dispatches."""

from __future__ import annotations

import argparse
import signal
import sys

from crossings._version import __version__
from crossings.cli import calibrate_flee, convert, ensemble, fit, report
from crossings.cli import run as run_command
from crossings.errors import InputError, MachineError
from crossings.progress import set_verbosity


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="crossings", description="Simulate people fleeing war and conscription.")
    p.add_argument("--version", action="version", version=f"crossings {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    run_command.add_parser(sub)
    convert.add_parser(sub)
    report.add_parser(sub)
    ensemble.add_parsers(sub)
    calibrate_flee.add_parser(sub)
    fit.add_parser(sub)
    for command in sub.choices.values():
        command.add_argument("-v", "--verbose", action="count", default=0,
                             help="log what is read and run on stderr (-vv: also the time each rule takes)")
    return p


COMMANDS = {"run": run_command.run, "convert": convert.run, "ensemble": ensemble.run, "sensitivity": ensemble.run,
            "calibrate": ensemble.run, "calibrate-flee": calibrate_flee.run, "fit": fit.run, "report": report.run}


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM ends a run like Ctrl-C: temporary files are removed, nothing half-written is left."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code: 2 for bad input, 1 for a fault of the machine (a full disk, a cluster
    that fails to start), each with a one-line message and no traceback."""
    signal.signal(signal.SIGTERM, _terminate)
    args = _parser().parse_args(argv)
    set_verbosity(args.verbose)
    try:
        return COMMANDS[args.command](args)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except MachineError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except OSError as exc:  # e.g. ENOSPC while writing outputs: the earlier outputs are intact (files.staging)
        where = exc.filename or getattr(args, "out", None) or getattr(args, "resume", None) or "crossings"
        problem = exc.strerror or str(exc) or type(exc).__name__
        print(str(MachineError(where, f"{problem} (a fault of the machine; earlier outputs left as they were)")),
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
