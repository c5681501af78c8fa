"""Atomic output files: each is written to a temporary name in the same directory, then renamed, so a
reader never sees a half-written file (the one writer every output of the project goes through)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` then rename the temporary file onto ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
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


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically."""
    def w(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    atomic_write(path, w)


def write_json(path: Path, obj: Any) -> None:
    """Write JSON atomically (sorted keys, two-space indent)."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


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
    import pyarrow.parquet as pq

    table = pa.Table.from_arrays([_arrow(c) for c in columns.values()], names=list(columns))
    if metadata:
        table = table.replace_schema_metadata({k.encode(): v.encode() for k, v in metadata.items()})
    atomic_write(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))
