"""``crossings convert SOURCE TARGET``: write a scenario (e.g. a Flee scenario) in crossings' native format."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from crossings import api
from crossings.errors import InputError


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``convert`` subcommand to ``crossings``' subparsers."""
    c = sub.add_parser("convert", help="write a scenario (e.g. a Flee scenario) in crossings' native format")
    c.add_argument("source", help="scenario directory to read")
    c.add_argument("target", help="directory to write the native scenario into (must not exist or be empty)")
    return c


def run(args: argparse.Namespace) -> int:
    """Carry out ``crossings convert``; bad input raises :class:`InputError` (exit code 2 in ``main``)."""
    target = Path(args.target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InputError(target, None, "target", "exists and is not an empty directory")
    out = api.convert(args.source, target)
    print(f"wrote {out}", file=sys.stderr)
    return 0
