"""Reading a run directory back: summary.json, the long Parquet table of each dimension the model declares (what
:meth:`crossings.results.Results.write` wrote, or an ensemble's ``bands/``: medians under the series' names with
band columns beside them) and Flee's out.csv. Parquet is read with pyarrow, never pandas."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from crossings.errors import InputError
from crossings.results.schema import BAND_SUFFIXES, Dimension, DimSpec, Labels, SeriesSpec


@dataclass(frozen=True)
class Camps:
    """The observed camps as Flee's out.csv shows them: their names, simulated and observed counts (days, camps)
    and the observed total of displaced people (days,)."""

    names: tuple[str, ...]
    sim: np.ndarray
    data: np.ndarray
    total: np.ndarray


@dataclass
class RunFiles:
    """What a run directory holds, as arrays: its summary, the series of each table (days, entities) with their
    dimensions rebuilt from the key columns, band columns by series (``{"n_present": {"_q05": …, "_q95": …}}``),
    the series in the order the tables show them, and the camps of out.csv (None without one)."""

    summary: dict[str, Any]
    days: int
    start_date: dt.date | None
    series: dict[str, np.ndarray]
    bands: dict[str, dict[str, np.ndarray]]
    dims: dict[str, Dimension]
    order: list[str]
    camps: Camps | None


# Fields of summary.json the readers use, with the type each must have when present.
SUMMARY_FIELDS = (("days", (int,), "a whole number of days"), ("seed", (int,), "a whole number"),
                  ("start_date", (str,), "a date (YYYY-MM-DD)"), ("scenario", (str,), "a name"),
                  ("scenario_path", (str,), "a path"), ("model", (str,), "a model's name"),
                  ("fit", (dict,), "a mapping"), ("what_if", (list,), "a list"))


def read_summary(run: Path) -> dict[str, Any]:
    """summary.json of the run directory ``run`` (InputError when it is not a run directory)."""
    if not run.is_dir():
        raise InputError(run, None, "run", "no such run directory")
    path = run / "summary.json"
    if not path.is_file():
        raise InputError(run, None, "run", "not a run directory (no summary.json)")
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(path, None, "json", f"not readable ({exc})") from None
    if not isinstance(summary, dict):
        raise InputError(path, None, "json", "not a JSON object")
    for key, kinds, what in SUMMARY_FIELDS:  # a tampered summary is refused here, not deep in a reader
        value = summary.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, kinds)):
            raise InputError(path, None, key, f"{value!r} is not {what}")
    if summary.get("days") is not None and summary["days"] < 0:
        raise InputError(path, None, "days", f"{summary['days']!r} is not a number of days")
    if summary.get("start_date"):
        try:
            dt.date.fromisoformat(summary["start_date"])
        except ValueError:
            raise InputError(path, None, "start_date", f"{summary['start_date']!r} is not a date") from None
    return summary


def read_run_files(run: Path, series: Mapping[str, SeriesSpec], dims: Mapping[str, DimSpec],
                   start: dt.date | None = None) -> RunFiles:
    """Read the run directory ``run`` of a model recording ``series`` over ``dims`` (a table the directory lacks
    leaves its dimension and series out); ``start`` is the start date when summary.json does not give one."""
    summary = read_summary(run)
    tables = {name: _parquet(run / f"{spec.table}.parquet") for name, spec in dims.items()
              if (run / f"{spec.table}.parquet").is_file()}
    days = summary.get("days")
    if not isinstance(days, int) or isinstance(days, bool) or days <= 0:
        days = max((int(_ints(t.column("day")).max(initial=-1)) + 1 for t in tables.values()), default=0)
    given = summary.get("start_date")
    start_date = dt.date.fromisoformat(given) if isinstance(given, str) and given else start
    out = RunFiles(summary, days, start_date, {}, {}, {}, [], read_out_csv(run / "out.csv"))
    for name, table in tables.items():
        spec = dims[name]
        mine = [c for c in table.column_names if c in series and series[c].dim == name]
        dim, values = _long(run / f"{spec.table}.parquet", table, spec, mine, days)
        out.dims[name] = dim
        for column in mine:
            out.series[column] = values[column]
            out.order.append(column)
            for lo, hi in BAND_SUFFIXES:
                if column + lo in values and column + hi in values:
                    out.bands.setdefault(column, {}).update({lo: values[column + lo], hi: values[column + hi]})
        if out.start_date is None and spec.dated and "date" in table.column_names and table.num_rows:
            out.start_date = _first_date(table)
    return out


def _parquet(path: Path) -> Any:
    import pyarrow.parquet as pq  # pyarrow costs 0.2 s to import: only reading a run back needs it

    try:
        return pq.ParquetFile(path).read()  # (pq.read_table would import pandas)
    except Exception as exc:  # a truncated or foreign file
        raise InputError(path, None, "parquet", f"not readable ({type(exc).__name__}: {exc})") from None


def _long(path: Path, table: Any, spec: DimSpec, series: list[str],
          days: int) -> tuple[Dimension, dict[str, np.ndarray]]:
    """One long table: its dimension (entities in the order rows first show them) and its series and band
    columns as (days, entities) arrays, summed over rows that share a day and an entity (0 where none)."""
    names = table.column_names
    if "day" not in names:
        raise InputError(path, None, "day", "missing column")
    keys = [k for k in spec.keys if k in names]
    if not keys:
        raise InputError(path, None, spec.keys[0], "missing column")
    day = _ints(table.column("day"))
    coded = {k: _codes(table.column(k)) for k in keys}
    first, entity = _entities(day, [codes for codes, _ in coded.values()])
    key_values: dict[str, Labels | np.ndarray] = {
        k: Labels(codes[first].astype(np.int32), tuple(str(x) for x in labels)) if labels is not None
        else codes[first].astype(_dtype(table.column(k))) for k, (codes, labels) in coded.items()}
    try:
        ratios = tuple(r for r in spec.ratios if r[0] in names and r[1] in series and r[2] in series)
        dim = spec.of(key_values, ratios)
    except KeyError as exc:
        raise InputError(path, None, str(exc.args[0]), "missing column") from None
    wanted = series + [s + suffix for s in series for pair in BAND_SUFFIXES for suffix in pair if s + suffix in names]
    ok = (day >= 0) & (day < days)
    values = {}
    for column in wanted:
        v = _numbers(table.column(column))
        m = np.zeros((days, len(first)), dtype=v.dtype)
        np.add.at(m, (day[ok], entity[ok]), v[ok])
        values[column] = m
    return dim, values


def _entities(day: np.ndarray, codes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(the first row of each entity, in the order rows first show them; the entity of each row), an entity
    being a distinct combination of key values."""
    if not len(day):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    combined = np.zeros(len(day), dtype=np.int64)  # one number per combination of key values
    for c in codes:
        low = int(c.min())
        combined = combined * (int(c.max()) - low + 1) + (c - low)
    _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return first[order], rank[np.asarray(inverse).reshape(-1)]


def _first_date(table: Any) -> dt.date | None:
    day = _ints(table.column("day"))
    codes, labels = _codes(table.column("date"))
    at = np.flatnonzero(day == day.min())[0]
    text = str(labels[codes[at]]) if labels is not None else None
    try:
        return dt.date.fromisoformat(text) - dt.timedelta(days=int(day[at])) if text else None
    except ValueError:
        return None


def _ints(col: Any) -> np.ndarray:
    return np.asarray(col.combine_chunks().to_numpy(zero_copy_only=False), dtype=np.int64)


def _dtype(col: Any) -> Any:
    return col.combine_chunks().to_numpy(zero_copy_only=False).dtype


def _numbers(col: Any) -> np.ndarray:
    import pyarrow as pa  # pyarrow costs 0.2 s to import: only reading a run back needs it

    arr = col.combine_chunks()
    values = arr.to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=np.int64 if pa.types.is_integer(arr.type) else np.float64)


def _codes(col: Any) -> tuple[np.ndarray, list[Any] | None]:
    """Integer codes and their labels of a text column (dictionary-encoded or not); a numeric column gives its
    values as codes and no labels."""
    import pyarrow as pa  # pyarrow costs 0.2 s to import: only reading a run back needs it
    import pyarrow.compute as pc  # (the same)

    arr = col.combine_chunks()
    if pa.types.is_integer(arr.type):
        return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.int64), None
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    return np.asarray(arr.indices.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64), \
        arr.dictionary.to_pylist()


def read_out_csv(path: Path) -> Camps | None:
    """The camps of a Flee-style out.csv (None when there is no such file)."""
    if not path.is_file():
        return None
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0] if rows else []
    camps = [h[: -len(" sim")] for h in header if h.endswith(" sim") and h != "total refugees (simulation)"]
    body = [r for r in rows[1:] if r]

    def columns(names: list[str]) -> np.ndarray:
        idx = [header.index(n) for n in names]
        return np.array([[float(r[i]) for i in idx] for r in body], dtype=np.float64).reshape(len(body), -1)

    total = "raw UNHCR refugee count"
    try:
        raw = columns([total])[:, 0] if total in header else np.zeros(len(body))
        return Camps(tuple(camps), columns([f"{c} sim" for c in camps]), columns([f"{c} data" for c in camps]), raw)
    except (ValueError, IndexError) as exc:  # a cell that is not a number, a short row, a camp without data
        raise InputError(path, None, "out.csv", f"not readable ({exc})") from None
