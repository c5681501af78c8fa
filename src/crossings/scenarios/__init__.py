"""Scenarios that ship with crossings, run by name (``crossings run russia2022``), and the demo writers."""

from __future__ import annotations

from pathlib import Path

BUNDLED = ("russia2022",)  # scenarios shipped inside the package, run by name


def resolve_bundled(path: str | Path) -> Path:
    """``path`` itself, or for the name of a bundled scenario (e.g. ``russia2022``) that is not a directory here,
    its directory inside the installed package."""
    p = Path(path)
    if str(path) in BUNDLED and not p.exists():
        return Path(__file__).resolve().parent / str(path)
    return p
