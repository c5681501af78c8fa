"""What the sub-commands share on the command line: default output folders that cannot collide
(``out/run-<scenario>``, ``out/ensemble-<scenario>``…), the refusal of a folder that holds another kind of result,
and old option names kept as aliases that print a deprecation notice."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from crossings.errors import InputError
from crossings.files import check_writable

# The file that marks a finished result of each kind of command in its output folder.
MARKERS = {"run": "summary.json", "ensemble": "ensemble.json", "sensitivity": "sensitivity.json",
           "calibrate": "calibration.json"}


def scenario_name(scenario: str | Path) -> str:
    """The name a scenario argument stands for: a bundled scenario's name, or the last part of its path."""
    path = Path(scenario)
    return (path.resolve().name if path.exists() else path.name) or "scenario"


def out_dir(kind: str, given: str | Path | None, scenario: str | Path) -> Path:
    """The output folder of a ``kind`` command: ``given`` (``--out``), else ``out/<kind>-<scenario name>``, so a
    run and an ensemble of one scenario never write into one folder. InputError when the folder holds the finished
    result of another kind of command (its files would be mixed up with this one's)."""
    out = Path(given) if given is not None else Path("out") / f"{kind}-{scenario_name(scenario)}"
    if out.is_dir():
        for other, marker in MARKERS.items():
            if other != kind and (out / marker).is_file():
                raise InputError(out, None, "--out", f"holds the results of `crossings {other}` ({marker}); "
                                 f"give another --out for this {kind}")
    check_writable(out, "--out")  # refused now, not after the whole simulation
    return out


def check_common(args: argparse.Namespace, kind: str, scenario: str | Path) -> None:
    """The options the ensemble commands share: a seed and days that make sense, workers, and ``args.out``
    resolved (:func:`out_dir`) to a directory that may be written."""
    if args.seed < 0:
        raise InputError("--seed", None, "seed", f"{args.seed} is negative")
    if getattr(args, "days", None) is not None and args.days < 1:
        raise InputError("--days", None, "days", f"{args.days} is not a positive number of days")
    if args.workers is not None and args.workers < 1:
        raise InputError("--workers", None, "workers", f"{args.workers} is not a positive number of workers")
    args.out = out_dir(kind, args.out, scenario)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(out, None, "--out", "exists and is not a directory")


def option_words(args: argparse.Namespace, names: Sequence[str]) -> list[str]:
    """``--name value`` for each option of ``names`` given a value (``_`` written ``-``), in that order: the
    command as parsed, for provenance."""
    parts: list[str] = []
    for opt in names:
        v = getattr(args, opt, None)
        if v is not None:
            parts += [f"--{opt.replace('_', '-')}", str(v)]
    return parts


class Deprecated(argparse.Action):
    """An old option name, kept working: stores its value under the new option's name and says, once, on stderr,
    which name to use instead."""

    def __init__(self, option_strings: Sequence[str], dest: str, new: str = "", **kwargs: Any) -> None:
        self.new = new
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        print(f"notice: {option_string} is deprecated and will be removed; use {self.new}", file=sys.stderr)
        setattr(namespace, self.dest, values)
