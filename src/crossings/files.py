"""Atomic output files: each is written to a temporary name in the same directory, then renamed, so a
reader never sees a half-written file (the one writer every output of the project goes through). Also the one
strict JSON encoder (no NaN or Infinity) and the one guarded YAML reader every YAML input goes through."""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from crossings.errors import InputError

YAML_MAX_BYTES = 10 * 1024 * 1024  # a YAML input larger than this is refused before it is parsed
YAML_MAX_DEPTH = 64  # deeper nesting of mappings and sequences is refused (no RecursionError downstream)
STALE_PART_SECONDS = 3600  # a hidden .part file older than this is a leftover of a killed write
STAGE_PREFIX = ".crossings-stage."  # hidden folders a run's files are written into before they are swapped in


def atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` then rename the temporary file onto ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_parts(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process: alive
        return True
    return True


def clean_parts(path: Path, older_than: float = STALE_PART_SECONDS) -> None:
    """Remove hidden ``.NAME.PID.*.part`` files left beside ``path`` by a killed write: those of a process no
    longer running, and any older than ``older_than`` seconds (a write in progress elsewhere is left alone)."""
    for part in path.parent.glob(f".{path.name}.*.part"):
        try:
            if part.is_file() and _dead_or_old(part.name, f".{path.name}.", part.stat().st_mtime, older_than):
                part.unlink()
        except OSError:
            pass


def _dead_or_old(name: str, prefix: str, mtime: float, older_than: float) -> bool:
    """Whether a temporary ``prefix``PID... entry is a leftover: its process is gone, or it is too old."""
    pid = name[len(prefix):].split(".", 1)[0]
    return (pid.isdigit() and not _alive(int(pid))) or time.time() - mtime > older_than


def clean_stages(folder: Path, older_than: float = STALE_PART_SECONDS) -> None:
    """Remove staging folders (:func:`staging`) left in ``folder`` by a killed run, as :func:`clean_parts`."""
    for stage in Path(folder).glob(f"{STAGE_PREFIX}*.part"):
        try:
            if stage.is_dir() and _dead_or_old(stage.name, STAGE_PREFIX, stage.stat().st_mtime, older_than):
                shutil.rmtree(stage, ignore_errors=True)
        except OSError:
            pass


@contextlib.contextmanager
def staging(folder: Path) -> Iterator[Path]:
    """A fresh hidden folder inside ``folder`` to write a set of files into before :func:`swap_in` moves them in:
    a failure while writing (a full disk) leaves ``folder`` as it was (removed again if this created it).
    Removed on exit, whatever happens."""
    folder = Path(folder)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    clean_stages(folder)
    stage = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{os.getpid()}.", suffix=".part", dir=folder))
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if created and not any(folder.iterdir()):
            folder.rmdir()


def swap_in(stage: Path, folder: Path, last: str, remove: Iterable[str] = ()) -> None:
    """Move the files and folders written into ``stage`` into ``folder`` by renames, which take no disk space:
    ``last`` (the file that marks a complete set, e.g. summary.json) is removed first and moved in last, the
    names in ``remove`` (an earlier set's files this one lacks) are removed before anything is moved, and a
    folder of the same name as a staged one (an ensemble's bands/) is renamed into ``stage``, removed with it."""
    folder, stage = Path(folder), Path(stage)
    (folder / last).unlink(missing_ok=True)
    for name in remove:
        if (folder / name).is_file():
            (folder / name).unlink()
    entries = sorted(p.name for p in stage.iterdir() if not p.name.endswith(".part") and not p.name.startswith("."))
    for name in [n for n in entries if n != last] + ([last] if last in entries else []):
        if (stage / name).is_dir() and (folder / name).is_dir():
            os.replace(folder / name, stage / f".old-{name}")
        os.replace(stage / name, folder / name)


def write_set(out: str | Path, last: str, write: Callable[[Path], Any]) -> Path:
    """Write a command's set of files: ``write(stage)`` fills a staging folder inside ``out``, then the set is
    renamed in with ``last`` (the file that marks it complete) last (:func:`swap_in`), so a failure while writing
    (a full disk) leaves ``out``'s earlier files as they were. Returns ``out``."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(out, None, "--out", "exists and is not a directory")
    with staging(out) as stage:
        write(stage)
        swap_in(stage, out, last)
    return out


def check_writable(folder: Path, flag: str = "--out") -> None:
    """Refuse an output folder that cannot be written, before any work is done (InputError); a folder that does
    not exist yet is checked through its nearest existing parent and is not created here."""
    folder = Path(folder)
    here = folder
    while not here.exists() and here != here.parent:
        here = here.parent
    if here == folder and not here.is_dir():
        raise InputError(folder, None, flag, "exists and is not a directory")
    if not here.is_dir():
        raise InputError(folder, None, flag, f"cannot be created: {here} is not a directory")
    try:
        fd, probe = tempfile.mkstemp(prefix=".crossings-probe.", suffix=".part", dir=here)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(folder, None, flag, f"cannot be written ({exc.strerror or exc})") from None


def finite(obj: Any) -> Any:
    """``obj`` with every non-finite float (NaN, Infinity) replaced by None, so it encodes as strict JSON."""
    if isinstance(obj, float | np.floating):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite(v) for v in obj]
    return obj


def dumps_json(obj: Any, **kwargs: Any) -> str:
    """Strict JSON text of ``obj``: NaN and Infinity become null (``json.dumps`` would write bare ``NaN``)."""
    return json.dumps(finite(obj), allow_nan=False, **kwargs)


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically."""
    def w(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    atomic_write(path, w)


def write_json(path: Path, obj: Any) -> None:
    """Write JSON atomically (sorted keys, two-space indent)."""
    write_text(path, dumps_json(obj, indent=2, sort_keys=True) + "\n")


def _arrow(col: Any) -> Any:
    """A NumPy column or :class:`~crossings.results.Labels` as an Arrow array, built from buffers.

    (``pyarrow.array`` would import pandas, which costs a third of a second at start-up.)"""
    import pyarrow as pa  # deferred: pyarrow takes 0.2 s to import, and only Parquet writers need it

    if hasattr(col, "labels"):
        codes = np.asarray(col.codes, dtype=np.int32)
        labels = list(col.labels)
        if len(set(labels)) < len(labels):  # repeated dictionary values make Parquet pages carry stray bytes
            unique = sorted(set(labels), key=labels.index)
            remap = np.array([unique.index(label) for label in labels], dtype=np.int32)
            codes, labels = remap[codes], unique
        data = [label.encode() for label in labels]
        offsets = np.zeros(len(data) + 1, dtype=np.int32)
        offsets[1:] = np.cumsum([len(b) for b in data])
        dictionary = pa.Array.from_buffers(pa.string(), len(data), [None, pa.py_buffer(offsets),
                                                                     pa.py_buffer(b"".join(data))])
        return pa.DictionaryArray.from_arrays(_arrow(codes), dictionary)
    arr = np.ascontiguousarray(col)
    types = {np.dtype(np.int32): pa.int32(), np.dtype(np.int64): pa.int64(), np.dtype(np.float64): pa.float64()}
    return pa.Array.from_buffers(types[arr.dtype], len(arr), [None, pa.py_buffer(arr)])


def write_parquet(path: Path, columns: dict[str, Any], metadata: dict[str, str] | None = None) -> None:
    """Write a table given as columns to Parquet atomically (zstd-compressed)."""
    # deferred: pyarrow takes 0.2 s to import, and only Parquet writers need it
    import pyarrow as pa

    table = pa.Table.from_arrays([_arrow(c) for c in columns.values()], names=list(columns))
    if metadata:
        table = table.replace_schema_metadata({k.encode(): v.encode() for k, v in metadata.items()})
    # dictionary encoding for the label columns only: the counts' columns take as little room without it (zstd
    # does the work) and their dictionary encoder was a tenth of a default run's CPU time
    labels = [f.name for f in table.schema if pa.types.is_dictionary(f.type)]
    atomic_write(path, lambda tmp: _write_table(table, tmp, labels))


# What pyarrow.parquet.write_table hands its writer (pyarrow 14 to 26), so the file is the same byte for byte.
PARQUET_OPTIONS = {"compression": "zstd", "version": "2.6", "write_statistics": True,
                   "use_deprecated_int96_timestamps": False, "writer_engine_version": "V2",
                   "data_page_version": "1.0", "use_compliant_nested_type": True}


def _write_table(table: Any, path: str, labels: list[str]) -> None:
    """``pyarrow.parquet.write_table(table, path, compression="zstd", use_dictionary=labels)`` through the writer
    it wraps (``pyarrow._parquet``): importing ``pyarrow.parquet`` brings in ``pyarrow.fs`` and ``ssl``, 15 ms of
    every run's start-up for a local file. A pyarrow whose writer takes other arguments gets the public call."""
    try:
        from pyarrow._parquet import ParquetWriter  # deferred: see write_parquet

        writer = ParquetWriter(path, table.schema, use_dictionary=labels, **PARQUET_OPTIONS)
    except (ImportError, TypeError):  # another pyarrow
        import pyarrow.parquet as pq  # deferred: see write_parquet

        pq.write_table(table, path, compression="zstd", use_dictionary=labels)
        return
    try:
        writer.write_table(table, row_group_size=None)
    finally:
        writer.close()


def _yaml_problem(path: Path, exc: Exception, text: str) -> InputError:
    """The one-line error of a YAML syntax error; libyaml may put the end of the file one line past the last."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    line = min(mark.line + 1, max(1, len(text.splitlines()))) if mark is not None else None
    return InputError(path, line, "yaml", str(problem))


def read_yaml_text(path: Path) -> str:
    """The text of a YAML input (UTF-8, BOM allowed), refused above :data:`YAML_MAX_BYTES` before it is read."""
    try:
        size = path.stat().st_size
        if size > YAML_MAX_BYTES:
            raise InputError(path, None, "yaml", f"{size} bytes; a YAML input may hold at most {YAML_MAX_BYTES}")
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(path, None, "file", "missing") from None
    except IsADirectoryError:
        raise InputError(path, None, "file", "is a directory, not a file") from None
    except UnicodeDecodeError:
        raise InputError(path, None, "encoding", "not valid UTF-8") from None


def compose_yaml(path: Path, text: str, loader: Any = None) -> Any:
    """The YAML node tree of ``text`` (None for an empty document), after a streaming check that refuses
    anchors and aliases (a "billion laughs" bomb), nesting deeper than :data:`YAML_MAX_DEPTH` and more than
    :data:`YAML_MAX_BYTES`; every YAML the project reads goes through here. libyaml's parser is used when
    present (``loader`` overrides, e.g. a subclass keeping line numbers)."""
    import yaml  # deferred: only YAML inputs need it

    if len(text) > YAML_MAX_BYTES:
        raise InputError(path, None, "yaml", f"a YAML input may hold at most {YAML_MAX_BYTES} bytes")
    loader = loader or getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    depth = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            line = event.start_mark.line + 1 if event.start_mark is not None else None
            if isinstance(event, yaml.AliasEvent):
                raise InputError(path, line, "yaml", "aliases (*name) are not allowed")
            if getattr(event, "anchor", None) is not None:
                raise InputError(path, line, "yaml", "anchors (&name) are not allowed")
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > YAML_MAX_DEPTH:
                    raise InputError(path, line, "yaml", f"nested deeper than {YAML_MAX_DEPTH} levels")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        return yaml.compose(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise _yaml_problem(path, exc, text) from None


def load_yaml(path: Path, text: str | None = None) -> Any:
    """The Python value of a YAML input (read from ``path`` unless ``text`` is given), guarded as in
    :func:`compose_yaml` and built with the safe constructor."""
    import yaml  # deferred: only YAML inputs need it

    text = read_yaml_text(path) if text is None else text
    node = compose_yaml(path, text)
    if node is None:
        return None
    try:
        return yaml.SafeLoader("").construct_document(node)
    except yaml.YAMLError as exc:
        raise _yaml_problem(path, exc, text) from None
    except (ValueError, OverflowError) as exc:  # e.g. a date like 2022-13-45
        raise InputError(path, node.start_mark.line + 1, "yaml", str(exc).splitlines()[0]) from None
