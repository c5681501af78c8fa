"""The command line against broken and unusual variants of the small emigration example, the demo converted to
the native format and russia2022 (issue 22 item 7): hypothesis (derandomised) mutates numbers (NaN, inf, huge,
negative, empty; one cell or a whole column), drops, duplicates and reorders columns and rows, breaks dates, adds
a BOM, CRLF or NUL bytes, truncates files, renames places and countries to Unicode and markup (``"``, ``,``,
``<script>``, right-to-left text), mutates scenario.yml and adds ``--set`` texts; each case runs ``crossings run``
in-process. Every case ends with exit 0, nothing on stderr and strict outputs (strict JSON, Parquet readable, CSV
rows all as wide as their header) or with exit 2, at most three stderr lines naming a file of the scenario (or
the ``--set``), no traceback and nothing left in ``--out``; a harmless variant must exit 0.

``CROSSINGS_FUZZ_EXAMPLES=N`` raises the number of cases (the benchmark run) and ``CROSSINGS_FUZZ_SEED=S`` draws
other cases than CI's (derandomised) ones, ``CROSSINGS_FUZZ_REPORT=1`` adds the report; CI runs :data:`EXAMPLES`."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import sys
import warnings
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from crossings.cli.main import main

sys.path.insert(0, str(Path(__file__).parent))
from fuzz_mutations import Target, apply, mutation  # noqa: E402

EXAMPLES = {"emigration": 150, "native": 60, "russia2022": 12}  # 0.1, 0.25 and 1 s a case: ~40 s in CI
NUMBERS = ("nan", "NaN", ".nan", "inf", "-inf", ".inf", "Infinity", "1e308", "-1e308", "1" + "0" * 30, "-1", "-0",
           "", " ", "0", "1e-320", "99999999999999999999", "0.0000001")
NAMES = ('Tbi"li,si', "<script>alert(1)</script>", "\u202eisilbT", "تبليسي", "Tb\u200bilisi", "日本語 place",
         "a'b", "x\\y", "semi;colon", "tab\there", "  padded  ", "&amp; <b>", "</script><!--", "Ünïcödé")
COUNTRY_NAMES = ('Geo"rgia, the', "<script>x</script>", "\u05d2\u05d0\u05d5\u05e8\u05d2\u05d9\u05d4", "Грузия")
EXTRA_OPS = ("number", "column", "drop_column", "duplicate_column", "reorder_columns", "reorder_rows", "rename_place",
             "rename_country", "nul", "date", "yaml_number")
EXTREMES = ("1", "0.999999", "1e-9", "1e6", "1e9", "1e12", "1e15")  # a whole column at an edge of its range
DATES = ("2022-02-30", "2022-13-01", "1900-01-01", "2100-01-01", "2022/09/20", "20-09-2022", "", "today", "2022-9-1")
SETS = ("event: close Upper Lars from {date}", "event: departures x{num} for war_objector sex male from 2022-10-01",
        "event: capacity Syrym x{num} from 2022-09-25", "policy: Kazakhstan visa_free {num} from 2022-10-01",
        "policy: Turkey stay_limit {num}/180 from 2022-10-01", "capacity: Upper Lars foot {num}",
        "policy: Armenia residence_permit p={num} wait={num} cost=150 days=365 from 2022-10-01",
        "setting: return_hazard = {num}", "setting: car_speed_km_per_day={num}", "event: close {name} from {date}",
        "policy: {name} tourist_ban from 2022-10-01 until {date}", "event: returns x{num} for dissident from {date}")
OUTCOMES: Counter[str] = Counter()
# CROSSINGS_FUZZ_REPORT=1 writes each run's report.html too (1.5 s a case: for a long run, not CI)
REPORT = () if os.environ.get("CROSSINGS_FUZZ_REPORT") else ("--no-report",)


def examples(name: str) -> int:
    return int(os.environ.get("CROSSINGS_FUZZ_EXAMPLES", "0")) or EXAMPLES[name]


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _write(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


@st.composite
def extra_mutation(draw: st.DrawFn, files: list[str]) -> tuple[str, str, tuple]:
    """A mutation the Flee tier does not make: (file, operation, arguments)."""
    csvs = [f for f in files if f.endswith(".csv")]
    op = draw(st.sampled_from(EXTRA_OPS))
    rel = "scenario.yml" if op == "yaml_number" else draw(st.sampled_from(csvs))
    i, j = draw(st.integers(0, 10**6)), draw(st.integers(0, 10**6))
    pool = {"number": NUMBERS, "column": NUMBERS + EXTREMES,
            "yaml_number": NUMBERS + EXTREMES, "rename_place": NAMES, "rename_country": COUNTRY_NAMES,
            "date": DATES}.get(op)
    extra = draw(st.sampled_from(pool)) if pool else draw(st.permutations(range(12)))
    return rel, op, (i, j, extra)


def apply_extra(target: Target, rel: str, op: str, args: tuple) -> bool:
    """Apply an extra mutation; True when the variant is harmless (it must run). A file an earlier mutation
    removed, emptied or made unreadable is left as it is (False: the case must still fail cleanly)."""
    try:
        return _apply_extra(target, rel, op, args)
    except (OSError, ValueError, IndexError, ZeroDivisionError, csv.Error):
        return False


def _apply_extra(target: Target, rel: str, op: str, args: tuple) -> bool:
    i, j, extra = args
    root = target.root
    path = root / rel
    if op in ("rename_place", "rename_country"):
        table, column = ("locations.csv", "name") if op == "rename_place" else ("locations.csv", "country")
        header, *body = _rows((root / table).read_text(encoding="utf-8"))
        col = header.index(column)
        yml = (root / "scenario.yml").read_text(encoding="utf-8")
        home = next((ln.split(":", 1)[1].strip() for ln in yml.splitlines() if ln.startswith("home_country:")), "")
        choices = sorted({r[col].strip() for r in body if r[col].strip() not in ("", home)})  # home stays
        old = choices[i % len(choices)]
        clash = extra.strip() in {r[col].strip() for r in body}  # two places (or countries) given one name
        for p in sorted(root.glob("*.csv")):
            rows = _rows(p.read_text(encoding="utf-8"))
            _write(p, [[extra if cell.strip() == old else cell for cell in r] for r in rows])
        return not clash
    if op == "yaml_number":
        lines = path.read_text(encoding="utf-8").splitlines()
        numeric = [n for n, ln in enumerate(lines) if ln.rstrip().split(":")[-1].strip().replace(".", "").isdigit()
                   or "{" in ln]
        n = numeric[i % len(numeric)]
        line = lines[n]
        if "{" in line:  # a flow mapping: change one of its values
            head, body = line.split("{", 1)
            items = body.rstrip("}").split(",")
            k = j % len(items)
            items[k] = items[k].split(":")[0] + ": " + (extra or "''")
            lines[n] = head + "{" + ",".join(items) + "}"
        else:
            lines[n] = line.rsplit(":", 1)[0] + ": " + (extra or "''")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return False
    text = path.read_text(encoding="utf-8")
    rows = _rows(text)
    if not rows:
        return False
    width = len(rows[0])
    if op == "nul":
        pos = i % (len(text) + 1)
        path.write_text(text[:pos] + "\x00" + text[pos:], encoding="utf-8")
        return False
    if op == "reorder_columns":  # the same permutation of every row: a harmless variant
        order = [c for c in extra if c < width] + list(range(12, width))
        _write(path, [[r[c] for c in order] for r in rows])
        return True
    if op == "reorder_rows":  # body rows in another order: harmless, but an observed series' dates must increase
        body = rows[1:]
        _write(path, [rows[0], *[body[c] for c in [c for c in extra if c < len(body)] + list(range(12, len(body)))]])
        return rel != "observed.csv"
    c = j % width
    if op == "drop_column":
        _write(path, [[v for k, v in enumerate(r) if k != c] for r in rows])
    elif op == "duplicate_column":
        _write(path, [[*r, r[c] if c < len(r) else ""] for r in rows])
    elif op == "column":  # every body row's cell of one column: extremes that are each in range may add up
        _write(path, [rows[0], *[[extra if k == c else v for k, v in enumerate(r)] for r in rows[1:]]])
    elif len(rows) > 1:  # a cell of a body row: a hostile number or date
        r = rows[1 + i % (len(rows) - 1)]
        if op == "date":
            dates = [k for k, h in enumerate(rows[0]) if h in ("date", "until")]
            c = dates[j % len(dates)] if dates else c
        if c < len(r):
            r[c] = extra
        _write(path, rows)
    return False


def strict_json(text: str) -> object:
    def refuse(name: str) -> object:
        raise AssertionError(f"not strict JSON: {name}")
    return json.loads(text, parse_constant=refuse)


def check_outputs(out: Path) -> None:
    """Strict outputs: JSON without NaN/Infinity, Parquet that reads, CSV rows as wide as their header."""
    import pyarrow.parquet as pq

    names = {p.name for p in out.iterdir()}
    assert "summary.json" in names, f"no summary.json in {sorted(names)}"
    for p in sorted(out.iterdir()):
        if p.suffix == ".json":
            strict_json(p.read_text(encoding="utf-8"))
        elif p.suffix == ".parquet":
            pq.read_table(p)  # NaN is a valid Parquet value (e.g. a mean over nobody): readable is the rule
        elif p.suffix == ".csv":
            rows = _rows(p.read_text(encoding="utf-8"))
            assert rows and all(len(r) == len(rows[0]) for r in rows), f"{p.name}: ragged rows"
            for r in rows:
                assert not any(v.lower() in ("nan", "inf", "-inf", "infinity") for v in r), f"{p.name}: {r}"
        elif p.suffix == ".html":  # a name given as markup is escaped (the report's data and text)
            page = p.read_text(encoding="utf-8")
            assert "<script>alert(1)" not in page and "</script><!--" not in page, f"{p.name}: markup not escaped"
        assert not p.name.endswith(".part"), f"a temporary file was left: {p.name}"


what_if = st.builds(lambda t, num, date, name: t.format(num=num, date=date, name=name), st.sampled_from(SETS),
                    st.sampled_from(NUMBERS), st.sampled_from(("2022-10-01", *DATES)), st.sampled_from(NAMES))


def run_cli(root: Path, out: Path, sets: list[str]) -> tuple[int, str]:
    """``crossings run ROOT --out OUT [--set ...]`` in this process: (exit code, stderr); an exception fails."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # a warning would reach the user's terminal: it counts as stderr
        rc = main(["run", str(root), "--out", str(out), "--quiet", *REPORT,  # the whole period: 0.1 s
                   *[a for t in sets for a in ("--set", t)]])
    return rc, err.getvalue() + "".join(f"{w.category.__name__}: {w.message}\n" for w in caught)


def check_case(root: Path, out: Path, benign: bool, what: object, sets: list[str] = ()) -> str:
    rc, err = run_cli(root, out, list(sets))
    lines = err.splitlines()
    assert "Traceback" not in err, f"{what}: traceback:\n{err}"
    if rc == 0:
        assert not err, f"{what}: a quiet run that succeeds prints nothing, got:\n{err}"
        check_outputs(out)
        return "ran"
    assert not benign, f"{what}: a harmless variant was refused (exit {rc}): {err}"
    assert rc == 2, f"{what}: exit {rc}: {err}"
    assert 1 <= len(lines) <= 3, f"{what}: {len(lines)} stderr lines:\n{err}"
    named = [root.name, *(f.name for f in root.iterdir())] if root.is_dir() else [root.name]
    named += ["--set"] if sets else []
    assert any(n in lines[0] for n in named), f"{what}: the error names no file of the scenario: {err}"
    assert not out.exists() or not any(out.iterdir()), f"{what}: left in --out: {sorted(os.listdir(out))}"
    return "exit 2"


def make_target(name: str, scratch: Path) -> Target:
    """The small emigration example, or the demo Flee scenario converted to the native format (``model: flee``)."""
    if name == "emigration":
        from crossings.scenarios.emigration_demo import write_emigration_demo

        return Target.copy_of(write_emigration_demo(scratch / "src"), scratch / "exodus")
    if name == "russia2022":  # the bundled default scenario: 1 s a case, so few in CI
        from crossings.api import resolve_bundled

        return Target.copy_of(resolve_bundled("russia2022"), scratch / "russia2022")
    from crossings.api import convert
    from crossings.scenarios.demo import write_demo

    return Target.copy_of(convert(write_demo(scratch / "flee"), scratch / "native-src"), scratch / "native")


@pytest.fixture(scope="module", params=list(EXAMPLES))
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Target:
    return make_target(request.param, tmp_path_factory.mktemp(f"fuzz-cli-{request.param}"))


@pytest.fixture(scope="module")
def emigration(tmp_path_factory: pytest.TempPathFactory) -> Target:
    return make_target("emigration", tmp_path_factory.mktemp("fuzz-cli-markup"))


def test_the_unmutated_scenario_runs(target, tmp_path):
    assert check_case(target.root, tmp_path / "out", True, "unmutated") == "ran"


def test_mutated_scenarios_exit_0_with_strict_outputs_or_2_cleanly(target, tmp_path):
    counter = iter(range(10**9))
    files = target.files
    name = {"exodus": "emigration"}.get(target.root.name, target.root.name)
    sets_ = st.one_of(st.just([]), st.just([]), st.just([]), st.lists(what_if, min_size=1, max_size=2)) \
        if name != "native" else st.just([])  # what-if changes apply to emigration scenarios only

    @seed(int(os.environ.get("CROSSINGS_FUZZ_SEED", "0")))
    @settings(max_examples=examples(name), derandomize="CROSSINGS_FUZZ_SEED" not in os.environ, deadline=None,
              database=None, print_blob=True,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(st.one_of(mutation(files).map(lambda m: ("base", m)),
                              extra_mutation(files).map(lambda m: ("extra", m))), min_size=0, max_size=2),
           sets_)
    def case(mutations, sets):
        touched = set(files)
        try:
            benign = not sets
            for kind, (rel, op, args) in mutations:
                benign &= (apply if kind == "base" else apply_extra)(target, rel, op, args)
            out = tmp_path / f"out{next(counter)}"
            OUTCOMES[check_case(target.root, out, benign, (mutations, sets), sets)] += 1
        finally:
            for p in target.root.iterdir():
                if p.name not in target.originals:
                    p.unlink() if p.is_file() else None
            target.restore(touched)

    OUTCOMES.clear()
    case()
    print(f"{name} via the command line: {examples(name)} cases; outcomes {dict(OUTCOMES)}")  # pytest -s
    assert OUTCOMES["ran"] and OUTCOMES["exit 2"], dict(OUTCOMES)


@pytest.mark.parametrize("name", ['Tbi"li,si', "<script>alert(1)</script>", "\u202eisilbT", "</script><!--"])
def test_markup_and_rtl_names_run_and_the_report_escapes_them(emigration, tmp_path, name):
    """A harmless rename with the report on (1.5 s each, so not in the property): the page never holds the name
    as markup, and ``crossings report`` reads the folder back."""
    apply_extra(emigration, "locations.csv", "rename_place", (emigration.files.index("locations.csv"), 0, name))
    try:
        out = tmp_path / "out"
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            rc = main(["run", str(emigration.root), "--out", str(out), "--quiet"])
        assert rc == 0, err.getvalue()
        check_outputs(out)
        page = (out / "report.html").read_text(encoding="utf-8")
        assert "<script>alert(1)" not in page and "</script><!--" not in page
        (out / "report.html").unlink()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            assert main(["report", str(out), "--quiet"]) == 0, err.getvalue()
        assert (out / "report.html").read_text(encoding="utf-8") == page
    finally:
        emigration.restore(set(emigration.files))
