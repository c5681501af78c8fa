"""Issue 22, items 2, 3 and 6 (part): every YAML input goes through one guarded reader (anchors, aliases, deep
nesting and huge files refused with one line before any walk); outputs are strict JSON and well-quoted CSV; a
reused --out keeps no earlier run's result files; a killed write's hidden .part file is cleaned by the next write;
an unwritable --out is refused before the run; a tampered run folder given to ``fit`` or ``report`` is one line.
Each case writes its broken variant of the bundled example and checks exit 2, one line naming the file (and the
line where there is one), no traceback, and nothing written into --out."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _cli import assert_one_line_error as one_line_error
from _cli import crossings

import crossings as cx
from crossings.errors import InputError
from crossings.files import YAML_MAX_DEPTH, dumps_json, load_yaml, write_json, write_text
from crossings.scenarios.emigration_demo import write_emigration_demo

BOMB = """lol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]
""" + "".join(f"lol{i}: &a{i} [*a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}]\n"
              for i in range(1, 9))


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return write_emigration_demo(tmp_path / "exodus-mini")


@pytest.fixture
def run_dir(tmp_path: Path, demo: Path) -> Path:
    out = tmp_path / "run"
    proc = crossings("run", str(demo), "--out", str(out), "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return out


# ---- item 2: YAML ------------------------------------------------------------------------------------------

def _append(path: Path, text: str) -> int:
    """Append ``text`` to ``path``; the line number its first line gets."""
    old = path.read_text()
    path.write_text(old + text)
    return old.count("\n") + 1


@pytest.mark.parametrize(("text", "words"), [
    (BOMB, ("anchors",)),  # a billion laughs: 9 levels expand to 9**9 nodes; refused before any walk
    ("alias: *nowhere\n", ("alias",)),
    ("deep: " + "[" * 3000 + "]" * 3000 + "\n", ("nest",)),  # was a RecursionError (libyaml's own limit)
    ("deep: " + "{a: " * 200 + "1" + "}" * 200 + "\n", (f"deeper than {YAML_MAX_DEPTH}",)),
], ids=["billion-laughs", "alias", "nested-lists", "nested-mappings"])
def test_a_yaml_bomb_or_deep_nesting_in_scenario_yml_is_one_line(tmp_path, demo, text, words):
    line = _append(demo / "scenario.yml", text)
    out = tmp_path / "out"
    started = time.monotonic()
    err = one_line_error(crossings("run", str(demo), "--out", str(out), "--quiet", cwd=tmp_path), *words)
    assert err.startswith(f"{demo / 'scenario.yml'}:{line}:"), err
    assert time.monotonic() - started < 60, "the bomb must fail fast"  # generous: a bomb took > 10 minutes
    assert not out.exists(), "nothing may be written for a refused scenario"


def test_a_yaml_bomb_reached_through_report_does_not_hang(tmp_path, demo, run_dir):
    """``crossings report`` reads the run's scenario again (scenario_path in summary.json); a scenario edited
    since the run is left out by design (the page is drawn from the files), so the bomb, refused at once, leaves a
    page drawn without it instead of a hang."""
    _append(demo / "scenario.yml", BOMB)
    (run_dir / "report.html").unlink()
    with pytest.raises(InputError, match="anchors"):
        cx.load_scenario(demo)
    proc = crossings("report", str(run_dir), "--quiet", cwd=tmp_path)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert (run_dir / "report.html").is_file()


def test_a_yaml_input_over_the_size_limit_is_refused_before_it_is_parsed(tmp_path, demo):
    _append(demo / "scenario.yml", "#" + "x" * (10 * 1024 * 1024) + "\n")
    err = one_line_error(crossings("run", str(demo), "--out", str(tmp_path / "out"), cwd=tmp_path), "at most")
    assert err.startswith(f"{demo / 'scenario.yml'}: yaml:"), err
    assert not (tmp_path / "out").exists()


def test_flee_simsetting_and_params_files_use_the_same_guarded_reader(tmp_path, scenario_dir):
    root = scenario_dir([("A", "X", "conflict_zone", 1000), ("B", "Y", "camp", 0)], [("A", "B", 50)])
    (root / "simsetting.yml").write_text("move_rules: &m\n  max_move_speed: 200\nother: *m\n")
    with pytest.raises(InputError) as info:
        cx.load_scenario(root)
    assert info.value.file.endswith("simsetting.yml") and info.value.line == 1 and "anchors" in str(info.value)
    from crossings.ensemble.member import read_params_file

    fitted = tmp_path / "fitted.yml"
    fitted.write_text("parameters:\n  x: &v 1.0\n  y: *v\n")
    with pytest.raises(InputError, match=r"fitted.yml:2: yaml: anchors"):
        read_params_file(fitted)
    fitted.write_text("parameters: " + "[" * 500 + "]" * 500 + "\n")
    with pytest.raises(InputError, match="deeper than"):
        read_params_file(fitted)


def test_load_yaml_reads_plain_yaml_and_names_the_line_of_a_syntax_error(tmp_path):
    p = tmp_path / "a.yml"
    p.write_text("\ufeffa: 1\nb: [x, y]\n")  # a BOM is allowed
    assert load_yaml(p) == {"a": 1, "b": ["x", "y"]}
    p.write_text("a: 1\nb: [x, y\n")
    with pytest.raises(InputError, match=r"a.yml:2: yaml:"):
        load_yaml(p)


# ---- item 3: outputs ---------------------------------------------------------------------------------------

def _strict(text: str) -> object:
    def refuse(name: str) -> None:
        raise AssertionError(f"{name} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_json_outputs_are_strict_non_finite_numbers_become_null(tmp_path):
    obj = {"a": float("nan"), "b": [float("inf"), -float("inf"), 1.5], "c": {"d": float("nan")}, "e": (2, "x")}
    assert _strict(dumps_json(obj)) == {"a": None, "b": [None, None, 1.5], "c": {"d": None}, "e": [2, "x"]}
    write_json(tmp_path / "summary.json", obj)
    assert _strict((tmp_path / "summary.json").read_text())["b"] == [None, None, 1.5]


def test_a_run_writes_strict_json_and_fit_json_is_strict(tmp_path, run_dir):
    _strict((run_dir / "summary.json").read_text())
    obs = tmp_path / "observed.csv"
    with open(run_dir / "observations.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    obs.write_text("\n".join(",".join(r) for r in rows[:3]) + "\n")
    proc = subprocess.run([sys.executable, "-m", "crossings", "fit", str(run_dir), "--json", "--observed", str(obs)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert _strict(proc.stdout)[0]["status"] == "scored"


def _rename_everywhere(root: Path, old: str, new: str) -> None:
    """Rename a location in every CSV of a scenario, cell by cell, with proper CSV quoting."""
    for path in root.glob("*.csv"):
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows([[new if c == old else c for c in r] for r in rows])
        path.write_text(buf.getvalue(), encoding="utf-8")


def test_a_location_name_with_a_quote_and_a_comma_gives_well_formed_csv_rows(tmp_path, demo):
    with open(demo / "locations.csv", newline="") as fh:
        dest = next(r["name"] for r in csv.DictReader(fh) if r["kind"] == "destination")
    odd = f'{dest} "Old", GE'
    _rename_everywhere(demo, dest, odd)
    out = tmp_path / "out"
    proc = crossings("run", str(demo), "--out", str(out), "--quiet", "--no-report", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    with open(out / "observations.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert all(len(r) == len(rows[0]) for r in rows), [r for r in rows if len(r) != len(rows[0])][:3]
    assert any(odd in r for r in rows), f"{odd!r} not found as one cell"


def test_a_reused_out_keeps_no_earlier_runs_result_files(tmp_path, demo, scenario_dir):
    flee = scenario_dir([("A", "X", "conflict_zone", 1000), ("T", "X", "town", 500), ("B", "Y", "camp", 0)],
                        [("A", "T", 50), ("T", "B", 100)], camps={"B": [(0, 10), (5, 20), (9, 40)]})
    out = tmp_path / "out"
    assert crossings("run", str(flee), "--out", str(out), "--quiet", cwd=tmp_path).returncode == 0
    assert (out / "out.csv").is_file() and (out / "report.html").is_file()
    (out / "notes.txt").write_text("mine")  # not a result file: kept
    proc = crossings("run", str(demo), "--out", str(out), "--quiet", "--no-report", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not (out / "out.csv").exists(), "the Flee run's out.csv must not stay beside the emigration results"
    assert not (out / "report.html").exists(), "with --no-report the old report.html described the wrong run"
    assert (out / "observations.csv").is_file() and (out / "notes.txt").read_text() == "mine"
    assert json.loads((out / "summary.json").read_text())["model"] == "emigration"
    proc = crossings("run", str(flee), "--out", str(out), "--quiet", "--no-report", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not (out / "observations.csv").exists() and not (out / "categories.parquet").exists()


def test_a_killed_writes_part_file_is_cleaned_by_the_next_write(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    left = tmp_path / f".summary.json.{dead}.abc123.part"  # a writer that no longer runs
    old = tmp_path / ".summary.json.xyz.part"  # no process id, and old
    live = tmp_path / f".summary.json.{os.getpid()}.def456.part"  # a write in progress: left alone
    for p in (left, old, live):
        p.write_text("{")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    write_text(tmp_path / "summary.json", "{}\n")
    assert not left.exists() and not old.exists() and live.exists()
    assert (tmp_path / "summary.json").read_text() == "{}\n"


@pytest.mark.parametrize("command", ["run", "ensemble"])
def test_an_unwritable_out_is_refused_before_the_run(tmp_path, demo, command):
    (tmp_path / "file").write_text("x")
    args = [command, str(demo), "--out", str(tmp_path / "file" / "sub"), "--quiet"]
    if command == "ensemble":
        args += ["--members", "2"]
    err = one_line_error(crossings(*args, cwd=tmp_path), "--out", "not a directory")
    assert err.startswith(str(tmp_path / "file" / "sub")), err


# ---- item 6 (part): a tampered run folder given to fit and report -------------------------------------------

@pytest.mark.parametrize(("broken", "words"), [
    ("list", ("summary.json", "not a JSON object")),
    ("days", ("summary.json", "days", "'many'")),
    ("date", ("summary.json", "start_date")),
    ("parquet", ("locations.parquet", "parquet")),
])
@pytest.mark.parametrize("command", ["fit", "report"])
def test_a_tampered_run_folder_is_one_line_for_fit_and_report(tmp_path, run_dir, broken, words, command):
    summary = run_dir / "summary.json"
    data = json.loads(summary.read_text())
    if broken == "list":
        summary.write_text("[1, 2]\n")
    elif broken in ("days", "date"):
        data.update({"days": "many"} if broken == "days" else {"start_date": "2022-13-45"})
        summary.write_text(json.dumps(data))
    else:
        (run_dir / "locations.parquet").write_bytes(b"PAR1 garbage, not a Parquet file")
    (run_dir / "report.html").unlink()
    args = [command, str(run_dir)] + (["--quiet"] if command == "report" else ["--observed",
                                                                                str(run_dir / "observations.csv")])
    one_line_error(crossings(*args, cwd=tmp_path), *words)
    assert not (run_dir / "report.html").exists()


def test_parquet_tables_are_the_files_pyarrow_parquet_would_write(tmp_path, monkeypatch):
    """write_parquet goes through pyarrow._parquet's writer (no pyarrow.parquet import in a run): the file must be
    byte for byte what pyarrow.parquet.write_table writes with the same options, and the public call is the
    fallback for a pyarrow whose writer takes other arguments."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from crossings import files
    from crossings.results import Labels

    cols = {"day": np.arange(6, dtype=np.int32), "place": Labels(np.array([0, 1, 0, 2, 1, 0]), ("a", "b", "c")),
            "n": np.array([0, 5, 5, 7, 0, 2**40], dtype=np.int64), "x": np.linspace(0, 1, 6)}
    files.write_parquet(tmp_path / "mine.parquet", cols, {"crossings": "{}"})
    table = pq.read_table(tmp_path / "mine.parquet")
    assert table.column("n").to_pylist() == [0, 5, 5, 7, 0, 2**40] and table.column("place")[3].as_py() == "c"
    assert pa.types.is_dictionary(table.schema.field("place").type)
    pq.write_table(table, tmp_path / "public.parquet", compression="zstd", use_dictionary=["place"])
    assert (tmp_path / "mine.parquet").read_bytes() == (tmp_path / "public.parquet").read_bytes()

    monkeypatch.setitem(files.PARQUET_OPTIONS, "no_such_option", 1)  # a writer that refuses the arguments
    files.write_parquet(tmp_path / "fallback.parquet", cols, {"crossings": "{}"})
    assert (tmp_path / "fallback.parquet").read_bytes() == (tmp_path / "mine.parquet").read_bytes()
