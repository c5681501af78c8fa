"""What-if runs: ``crossings run SCENARIO --set 'event: close Upper Lars from 2022-09-22'`` changes one policy of
a scenario from the command line (the syntax is in docs/whatif.md).

A model's section (:class:`~crossings.scenario.native.Section`) turns the ``--set`` texts into :class:`Edits`:
rows appended to a table, rows of a table replaced by key, values of a scenario.yml mapping and parameter
overrides. :func:`edit_source` applies them to a :class:`~crossings.scenario.source.Source` in memory (no file is
copied or written), and the edited source is built by the normal reader, so every check of the format applies;
:func:`reword` reports a problem as one line naming the ``--set`` text (for a row it added) or the original file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crossings.errors import InputError
from crossings.scenario.model import FrozenMap
from crossings.scenario.source import Source, Table

Where = dict[tuple[str, int], str]  # (file name, line) of a row a --set added or changed -> its text


def label(text: str) -> str:
    """How an error names a --set option: ``--set 'TEXT'``."""
    return f"--set '{text}'"


def set_error(text: str, fld: str, problem: str) -> InputError:
    """An error in the --set text ``text`` itself."""
    return InputError(label(text), None, fld, problem)


@dataclass
class Replacement:
    """Rows of a table replaced by key: ``changes`` maps a key (the cells of the ``key`` columns) to the --set
    text and the new value of ``column`` (None: the row is dropped). Keys no row has are appended as new rows."""

    key: tuple[str, ...]
    column: str
    changes: dict[tuple[str, ...], tuple[str, str | None]] = field(default_factory=dict)


@dataclass
class Edits:
    """The changes a list of --set texts amounts to (built by a section's parser, applied by :func:`edit_source`).

    ``rows``: file -> (text, row) appended; ``required``: file -> the columns a new header names first;
    ``replace``: file -> :class:`Replacement`; ``mappings``: scenario.yml mapping -> name -> (text, value);
    ``params``: named parameter -> (text, value)."""

    rows: dict[str, list[tuple[str, dict[str, str]]]] = field(default_factory=dict)
    required: dict[str, tuple[str, ...]] = field(default_factory=dict)
    replace: dict[str, Replacement] = field(default_factory=dict)
    mappings: dict[str, dict[str, tuple[str, Any]]] = field(default_factory=dict)
    params: dict[str, tuple[str, float]] = field(default_factory=dict)

    def parameters(self) -> dict[str, float]:
        """The parameter overrides the texts give."""
        return {k: v for k, (_, v) in self.params.items()}


def edit_source(source: Source, edits: Edits) -> tuple[Source, Where]:
    """``source`` with ``edits`` applied (the original is left as it is) and where each added row stands. Line
    numbers are those the edited files would have: existing rows keep theirs, added rows follow the last line."""
    tables = dict(source.tables)
    files = set(source.files)
    where: Where = {}
    for name, items in edits.rows.items():
        table, lines = _append(source.table_or_empty(name), [r for _, r in items], edits.required.get(name, ()))
        tables[name] = table
        files.add(name)
        where.update({(name, ln): text for ln, (text, _) in zip(lines, items, strict=True)})
    for name, rep in edits.replace.items():
        table, changed = _replace(source.table_or_empty(name), rep)
        if changed or source.exists(name):
            tables[name] = table
            files.add(name)
        where.update({(name, ln): text for ln, text in changed.items()})
    meta = dict(source.meta)
    for key, values in edits.mappings.items():
        meta[key] = {**(meta.get(key) or {}), **{k: v for k, (_, v) in values.items()}}
    edited = dataclasses.replace(source, tables=FrozenMap(tables), files=frozenset(files),
                                 meta=FrozenMap(meta))
    return edited, where


def _append(table: Table, rows: Sequence[Mapping[str, str]], required: tuple[str, ...]) -> tuple[Table, list[int]]:
    """Append ``rows`` to ``table`` (missing columns added to its header, a header made if it has none) and return
    the line number of each new row."""
    old = table.read()
    head = list(old[0][1]) if old else []
    cols = [h.strip().lower() for h in head]
    wanted = list(required) + [k for r in rows for k, v in r.items() if v]
    missing = [c for c in dict.fromkeys(wanted) if c not in cols]
    out = [(ln, tuple(cells)) for ln, cells in old]
    n = table.n_lines
    if not head:
        n += 1
        out.append((n, tuple(missing)))
        cols = missing
    elif missing:
        out[0] = (out[0][0], (*head, *missing))
        cols = cols + missing
    lines = []
    for r in rows:
        n += 1
        _keep(out, n, tuple(str(r.get(c, "")).strip() for c in cols))
        lines.append(n)
    return Table(rows=tuple(out), n_lines=n), lines


def _keep(rows: list[tuple[int, tuple[str, ...]]], line: int, cells: tuple[str, ...]) -> None:
    """Add a row as a reader of the file would see it (blank and ``#`` comment rows are not rows)."""
    if any(cells) and not cells[0].startswith("#"):
        rows.append((line, cells))


def _replace(table: Table, rep: Replacement) -> tuple[Table, dict[int, str]]:
    """Replace (or drop, for a None value) the rows of ``table`` whose key ``rep`` changes, then append the keys
    no row has; returns the table and {line: --set text} of the rows changed or added."""
    old = table.read()
    head = list(old[0][1]) if old else []
    cols = [h.strip().lower() for h in head]
    todo = dict(rep.changes)
    changed: dict[int, str] = {}
    out = [(ln, tuple(cells)) for ln, cells in old]
    if head and all(c in cols for c in (*rep.key, rep.column)):
        at, vi = [cols.index(c) for c in rep.key], cols.index(rep.column)
        out = out[:1]
        for ln, given in old[1:]:
            cells = given + [""] * (len(cols) - len(given))
            key = tuple(cells[i] for i in at)
            if key not in todo:
                out.append((ln, tuple(given)))
                continue
            text, value = todo.pop(key)
            if value is not None:
                cells[vi] = value
                out.append((ln, tuple(cells)))
                changed[ln] = text
    table = Table(rows=tuple(out), n_lines=table.n_lines)
    new = [(text, {**dict(zip(rep.key, k, strict=True)), rep.column: v}) for k, (text, v) in todo.items()
           if v is not None]
    if new:
        table, lines = _append(table, [r for _, r in new], (*rep.key, rep.column))
        changed.update({ln: text for ln, (text, _) in zip(lines, new, strict=True)})
    return table, changed


def reword(exc: InputError, root: Path, where: Mapping[tuple[str, int], str], sets: Sequence[str]) -> InputError:
    """An error of the edited scenario as the user sees it: naming the --set text (for a row it added or changed),
    else the original file with the --set texts that were applied."""
    if exc.file.startswith("--") or Path(exc.file).parent != root:
        return exc
    name = Path(exc.file).name
    text = where.get((name, exc.line or -1))
    if text is not None:
        return set_error(text, exc.field, exc.problem)
    return InputError(root / name, exc.line, exc.field, f"{exc.problem} (with {', '.join(map(label, sets))})")
