"""Mutations of scenario files for the fuzz tests: cells and rows deleted, duplicated, swapped or replaced
with hostile values (text where numbers go, huge and negative numbers, bad dates, unknown names, YAML tags),
non-UTF-8 bytes, empty and missing files, and harmless variants a reader must accept (a byte-order mark,
CRLF line ends, trailing blank lines, spaces after commas)."""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

HOSTILE = (
    "", " ", "abc", "1e40", "1" + "0" * 40, "9e999", "-1", "-0", "-99999999999", "-1e-300", "nan", "NaN", "inf",
    "-inf", "0", "1", "2", "0.5", "1.5", "3.0", "1e-12", "0x10", "1_000", "2**10", "12,5",
    "2020-13-45", "2019-02-29", "2024-02-29", "0001-01-01", "9999-12-31", "1970-01-01", "2012/01/01", "01-01-2012",
    "Nowhere", "camp", "conflict_zone", "town", "idpcamp", "marker", "forwarding_hub", "origin", "crossing",
    "destination", "airport", "car", "foot", "air", "country", "location", "link", "total", "Date", "#", '"', "'",
    "\\", "日本語", "\u200b", "true", "false", "null", "~", "[1, 2]", "{a: 1}",
    "!!python/object/apply:os.system ['true']", "!!binary aGk=", "&a x", "*a", "- x", "key: value", "\t",
)
YAML_VALUES = (
    "!!python/object/apply:os.system ['true']", "!!python/name:os.system", "!!binary aGk=", "!custom 1", "[1, 2",
    "{", "-1", "1e40", "nan", ".inf", "abc", "2020-13-45", "[]", "{}", "null", "~", "true", "0", "10000000000000",
    "'unterminated", "*undefined_alias", "&anchor 5", "|", ">", "- a", "日本語", "@x", "`y`",
)
WHOLE_YAML = ("- a\n- b\n", "just text\n", "42\n", "!!python/object:os.system {}\n", "", "---\n...\n",
              "a: 1\na: 2\n", "? [1, 2]\n: x\n", "%YAML 1.1\n---\nx: 1\n", "{a: 1}: b\n")
BAD_BYTES = (b"\xff", b"\xfe\xff", b"\xc3", b"\x80\x80", b"\xed\xa0\x80", b"\x00", b"\xf4\x90\x80\x80")

CSV_OPS = ("delete_cell", "duplicate_cell", "swap_cells", "delete_row", "duplicate_row", "swap_rows",
           "replace_cell", "replace_cell_text", "non_utf8", "empty", "missing", "truncate", "benign")
YAML_OPS = ("yaml_value", "yaml_whole", "delete_row", "duplicate_row", "swap_rows", "non_utf8", "empty",
            "missing", "truncate", "benign")
BENIGN = ("bom", "crlf", "trailing_blank", "spaces_after_commas")


@dataclass
class Target:
    """A scenario copied into a scratch directory; ``restore`` puts back every file as it was."""

    root: Path
    originals: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def copy_of(cls, source: Path, root: Path) -> Target:
        shutil.copytree(source, root)
        t = cls(root)
        t.originals = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
        return t

    @property
    def files(self) -> list[str]:
        return sorted(self.originals)

    def restore(self, touched: set[str]) -> None:
        for rel in touched:
            p = self.root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(self.originals[rel])


def _rows(text: str) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:  # an earlier mutation left a stray carriage return: split naively
        return [line.split(",") for line in text.splitlines()]


def _write_rows(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


@st.composite
def mutation(draw: st.DrawFn, files: list[str]) -> tuple[str, str, tuple]:
    """One mutation: (file, operation, arguments drawn for it)."""
    rel = draw(st.sampled_from(files))
    yml = rel.endswith((".yml", ".yaml"))
    op = draw(st.sampled_from(YAML_OPS if yml else CSV_OPS))
    i, j, k, m = (draw(st.integers(0, 10**6)) for _ in range(4))
    if op == "replace_cell":
        extra: object = draw(st.sampled_from(HOSTILE))
    elif op == "replace_cell_text":
        extra = draw(st.one_of(st.text(max_size=12), st.integers(-10**20, 10**20).map(str),
                               st.floats(allow_nan=True, allow_infinity=True).map(repr)))
    elif op == "yaml_value":
        extra = draw(st.sampled_from(YAML_VALUES))
    elif op == "yaml_whole":
        extra = draw(st.sampled_from(WHOLE_YAML))
    elif op == "non_utf8":
        extra = draw(st.sampled_from(BAD_BYTES))
    elif op == "benign":
        extra = draw(st.sampled_from(BENIGN[:3] if yml else BENIGN))
    else:
        extra = None
    return rel, op, (i, j, k, m, extra)


def apply(target: Target, rel: str, op: str, args: tuple) -> bool:
    """Apply one mutation to ``rel`` in ``target``; returns True if it is harmless (the scenario must still
    load and run)."""
    i, j, k, m, extra = args
    p = target.root / rel
    if not p.exists():
        if op == "missing":
            return False
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(target.originals[rel])
    raw = p.read_bytes()
    if op == "missing":
        p.unlink()
        return False
    if op == "empty":
        p.write_bytes(b"")
        return False
    if op == "truncate":
        p.write_bytes(raw[: i % (len(raw) + 1)])
        return False
    if op == "non_utf8":
        pos = i % (len(raw) + 1)
        p.write_bytes(raw[:pos] + extra + raw[pos:])
        return False
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False  # an earlier mutation already broke the encoding
    if op == "benign":
        if extra == "bom":
            p.write_bytes(b"\xef\xbb\xbf" + text.encode())
        elif extra == "crlf":
            p.write_bytes(text.replace("\r\n", "\n").replace("\n", "\r\n").encode())
        elif extra == "trailing_blank":
            p.write_bytes((text + "\n\n  \n").encode())
        else:
            p.write_bytes(_write_rows([[c if n == 0 else " " + c for n, c in enumerate(r)] for r in _rows(text)])
                          .encode())
        return True
    if op == "yaml_whole":
        p.write_text(extra)
        return False
    lines = text.splitlines(keepends=True)
    if op in ("delete_row", "duplicate_row", "swap_rows"):
        if not lines:
            return False
        a, b = i % len(lines), j % len(lines)
        if op == "delete_row":
            del lines[a]
        elif op == "duplicate_row":
            lines.insert(b, lines[a] if lines[a].endswith("\n") else lines[a] + "\n")
        else:
            lines[a], lines[b] = lines[b], lines[a]
            lines = [x if x.endswith("\n") else x + "\n" for x in lines]
        p.write_text("".join(lines))
        return False
    if op == "yaml_value":
        if not lines:
            return False
        a = i % len(lines)
        line = lines[a].rstrip("\n")
        if ":" in line:
            key = line.split(":", 1)[0]
            lines[a] = f"{key}: {extra}\n"
        else:
            lines[a] = f"{line} {extra}\n"
        p.write_text("".join(lines))
        return False
    rows = _rows(text)
    if not rows:
        return False
    r = rows[i % len(rows)]
    if op == "delete_cell" and r:
        del r[j % len(r)]
    elif op == "duplicate_cell" and r:
        c = j % len(r)
        r.insert(k % (len(r) + 1), r[c])
    elif op == "swap_cells" and r:
        a, b = j % len(r), k % len(r)
        r[a], r[b] = r[b], r[a]
    elif op in ("replace_cell", "replace_cell_text"):
        if r:
            r[j % len(r)] = str(extra)
        else:
            r.append(str(extra))
    p.write_text(_write_rows(rows))
    return False
