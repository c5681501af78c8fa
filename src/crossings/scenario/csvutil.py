"""Reading small CSV files with line numbers, so every error can name the file and line."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from crossings.errors import InputError


def read_rows(path: Path, *, skip_hash: bool = True) -> list[tuple[int, list[str]]]:
    """Rows of a CSV file as (line number, stripped cells), blank rows and ``#`` comment rows dropped.

    Accepts a UTF-8 byte-order mark, CRLF line ends, quoted fields and spaces after commas.
    """
    return read_rows_and_lines(path, skip_hash=skip_hash)[0]


def read_rows_and_lines(path: Path, *, skip_hash: bool = True) -> tuple[list[tuple[int, list[str]]], int]:
    """:func:`read_rows` and the number of lines of the file (reading it once)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, None, "file", "missing") from None
    except IsADirectoryError:
        raise InputError(path, None, "file", "is a directory, expected a CSV file") from None
    except OSError as exc:  # e.g. a FIFO or a file it may not read
        raise InputError(path, None, "file", f"cannot be read ({exc.strerror or exc.__class__.__name__})") from None
    if b"\x00" in raw:  # csv reads a NUL as a character of a cell: a binary or damaged file would pass
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise InputError(path, line, "encoding", "a NUL byte (a binary or damaged file, not CSV text)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(path, line, "encoding", "not valid UTF-8") from None
    rows: list[tuple[int, list[str]]] = []
    lines = text.splitlines()
    reader = csv.reader(lines, skipinitialspace=True)
    end = 0  # last line of the previous record (a quoted field may span lines)
    try:
        for cells in reader:
            lineno, end = end + 1, reader.line_num
            cells = [c.strip() for c in cells]
            if not any(cells):
                continue
            if skip_hash and cells[0].startswith("#"):
                continue
            rows.append((lineno, cells))
    except csv.Error as exc:
        raise InputError(path, reader.line_num or None, "csv", str(exc)) from None
    return rows, len(lines)


def parse_int(path: Path, line: int, field: str, text: str, *, allow_empty: int | None = None) -> int:
    """An integer cell; ``allow_empty`` is the value an empty cell stands for (None: empty is an error)."""
    if text == "" and allow_empty is not None:
        return allow_empty
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        raise InputError(path, line, field, f"{text!r} is not a whole number") from None
    if not value.is_integer() or abs(value) > 2**62:
        raise InputError(path, line, field, f"{text!r} is not a whole number")
    return int(value)


def parse_float(path: Path, line: int, field: str, text: str) -> float:
    """A finite floating-point cell."""
    try:
        value = float(text)
    except ValueError:
        raise InputError(path, line, field, f"{text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InputError(path, line, field, f"{text!r} is not a finite number")
    return value


def parse_date(path: Path, line: int, field: str, text: str) -> dt.date:
    """A date written strictly as YYYY-MM-DD."""
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise InputError(path, line, field, f"{text!r} is not a date in YYYY-MM-DD form")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(path, line, field, f"{text!r} is not a valid YYYY-MM-DD date") from None
