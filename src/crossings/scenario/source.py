"""A scenario directory parsed once: :func:`read_source` reads every file of it into a frozen :class:`Source`,
from which :func:`crossings.scenario.build.build` makes Scenarios (with parameters and what-if changes) without
reading any file again. Runs, what-ifs, ensemble members and calibration all build from one Source.

Reading a CSV can fail (missing, not UTF-8, a broken quote); such an error is kept with its table and raised only
when a build needs that table, so the first error a user sees is the one a reader going file by file would give.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from crossings.errors import InputError
from crossings.files import compose_yaml, read_yaml_text
from crossings.params.flee import _reject_foreign_tags
from crossings.scenario.csvutil import read_rows_and_lines
from crossings.scenario.flee import is_flee_dir, read_flee
from crossings.scenario.model import FrozenMap
from crossings.scenario.parameters import Parameter, declare

if TYPE_CHECKING:
    from crossings.scenario.model import Scenario

META = "scenario.yml"
# mappings of scenario.yml whose keys get their own line numbers (``settings.camp_weight``)
NESTED = ("settings", "agents", "emigration", "parameters")
Row = tuple[int, tuple[str, ...]]  # (line number, stripped cells)


def is_native_dir(path: Path) -> bool:
    """True if ``path`` holds a native scenario (a scenario.yml)."""
    return (path / META).is_file()


@dataclass(frozen=True)
class Table:
    """One CSV of a native scenario as :func:`~crossings.scenario.csvutil.read_rows` gives it (the header line
    first, comment and blank lines left out), the number of lines of the file, and the error reading it raised."""

    rows: tuple[Row, ...] = ()
    n_lines: int = 0  # physical lines of the file (rows a what-if appends are numbered after them)
    error: InputError | OSError | None = None  # e.g. not UTF-8, a broken quote, no permission to read

    def read(self) -> list[tuple[int, list[str]]]:
        """The rows, as ``read_rows`` returns them (or the error reading the file raised)."""
        if self.error is not None:
            raise self.error
        return [(ln, list(cells)) for ln, cells in self.rows]


@dataclass(frozen=True)
class Source:
    """Every file of a scenario directory, parsed once; never changed (a what-if makes an edited copy in memory).

    ``tables`` holds each ``*.csv`` of a native scenario by file name; ``files`` the names of the regular files
    there and of every ``*.csv`` entry (a reader asks it whether an optional file exists; a directory named
    ``events.csv`` exists, and reading it is the error). A Flee-format directory is read whole by
    :func:`~crossings.scenario.flee.read_flee` into ``flee``."""

    root: Path
    format: str  # "native" or "flee"
    model: str  # scenario.yml's ``model`` (default "flee")
    dir_name: str  # the directory's own name (the scenario's name when scenario.yml gives none)
    meta: Mapping[str, Any] = field(default_factory=FrozenMap)  # scenario.yml, as YAML reads it
    lines: Mapping[str, int] = field(default_factory=FrozenMap)  # line of each key ("key" and "mapping.key")
    tables: Mapping[str, Table] = field(default_factory=FrozenMap)
    files: frozenset[str] = frozenset()
    parameters: Mapping[str, Parameter] = field(default_factory=FrozenMap)  # scenario.yml ``parameters:``, as declared
    parameters_error: InputError | None = None  # raised by a build (after the checks that come first)
    flee: Scenario | None = field(default=None, repr=False)

    def path(self, name: str) -> Path:
        """The path of one of the scenario's files."""
        return self.root / name

    def exists(self, name: str) -> bool:
        """Whether the directory held a regular file ``name`` when it was read."""
        return name in self.files

    def table(self, name: str) -> Table:
        """The rows of ``name`` (a missing file gives the error reading it would raise)."""
        got = self.tables.get(name)
        if got is None:
            return Table(error=InputError(self.path(name), None, "file", "missing"))
        return got

    def table_or_empty(self, name: str) -> Table:
        """The rows of ``name``, or no rows if the directory held no such file."""
        return self.table(name) if self.exists(name) else Table()

    def declared(self) -> Mapping[str, Parameter]:
        """The declared named parameters (raises the error in scenario.yml's ``parameters:``, if any)."""
        if self.parameters_error is not None:
            raise self.parameters_error
        return self.parameters


def read_source(path: str | Path) -> Source:
    """Read the scenario directory at ``path`` (native or Flee format) once, into a :class:`Source`."""
    root = Path(path)
    if is_native_dir(root):
        return _read_native_source(root)
    if is_flee_dir(root):
        sc = read_flee(root)
        return Source(root=root, format="flee", model=sc.model, dir_name=root.resolve().name, flee=sc)
    if not root.exists():
        raise InputError(root, None, "scenario", "no such directory")
    raise InputError(root, None, "scenario", "not a scenario directory (expected scenario.yml, or Flee's "
                     "input_csv/locations.csv)")


def _read_native_source(root: Path) -> Source:
    ypath = root / META
    meta, lines = read_meta(ypath)
    tables: dict[str, Table] = {}
    files: set[str] = set()
    for f in sorted(root.iterdir()):
        if f.suffix.lower() == ".csv":  # a directory (or other non-file) named *.csv is there, and its error kept
            files.add(f.name)
            tables[f.name] = read_table(f)
        elif f.is_file():
            files.add(f.name)
    params: Mapping[str, Parameter] = {}
    error = None
    try:
        params = FrozenMap(declare(ypath, meta.get("parameters"), lines))
    except InputError as exc:
        error = exc
    model = meta.get("model", "flee")
    return Source(root=root, format="native", model=model if isinstance(model, str) else repr(model),
                  dir_name=root.resolve().name, meta=FrozenMap(meta), lines=FrozenMap(lines),
                  tables=FrozenMap(tables), files=frozenset(files), parameters=params,
                  parameters_error=error)


def read_table(path: Path) -> Table:
    """One CSV file's rows and line count, or the error reading it raised."""
    try:
        rows, n_lines = read_rows_and_lines(path, skip_hash=True)
    except (InputError, OSError) as exc:
        return Table(error=exc)
    return Table(rows=tuple((ln, tuple(cells)) for ln, cells in rows), n_lines=n_lines)




def read_meta(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """scenario.yml as a mapping, and the line of each key (``key``, and ``mapping.key`` inside the mappings of
    :data:`NESTED`)."""
    node = compose_yaml(path, read_yaml_text(path))  # size, depth, anchors and aliases checked first
    if not isinstance(node, yaml.MappingNode):
        raise InputError(path, node.start_mark.line + 1 if node else None, "yaml", "the file must be a mapping")
    _reject_foreign_tags(path, node)
    lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    for k, v in node.value:
        if str(k.value) in NESTED and isinstance(v, yaml.MappingNode):
            lines.update({f"{k.value}.{kk.value}": kk.start_mark.line + 1 for kk, _ in v.value})
    try:
        return yaml.SafeLoader("").construct_document(node), lines
    except yaml.YAMLError as exc:  # e.g. a key that is a list or a mapping
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(path, mark.line + 1 if mark else None, "yaml", str(problem)) from None
    except (ValueError, OverflowError) as exc:  # e.g. a date like 2022-13-45, which YAML reads as a timestamp
        raise InputError(path, _bad_value_line(node), "yaml", str(exc).splitlines()[0]) from None


def _bad_value_line(node: yaml.Node) -> int | None:
    """The line of the first mapping value YAML's constructor cannot build (it reports no position itself)."""
    for k, v in getattr(node, "value", ()):
        if not isinstance(v, yaml.Node):
            continue
        try:
            yaml.SafeLoader("").construct_document(v)
        except (ValueError, OverflowError, yaml.YAMLError):
            return _bad_value_line(v) if isinstance(v, yaml.MappingNode) and _bad_value_line(v) else \
                k.start_mark.line + 1
    return None
