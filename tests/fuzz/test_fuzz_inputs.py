"""Property-based tests of the scenario readers (hypothesis, fixed seed): mutated copies of the shared Flee
conflicts, the default (demo) scenario, a native scenario converted from one, and the emigration demo either
load and run a few days, or raise :class:`crossings.InputError` naming the file (inside the scenario), a line
that exists in it (or None) and a field, in one line. Harmless variants (BOM, CRLF, blank lines, spaces after
commas) must load. A handful of cases run through the command line: exit code 2, one stderr line, no traceback.

``CROSSINGS_FUZZ_EXAMPLES=20000`` raises the number of cases per target (the benchmark run); CI runs the
defaults below (2,180 cases in all)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crossings as cx
from crossings.engine.resources import check_fits
from crossings.errors import InputError

sys.path.insert(0, str(Path(__file__).parent))
from fuzz_mutations import Target, apply, mutation  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
# Cases per target in CI (sum 2,180); the slower a target loads, the fewer.
EXAMPLES = {"mali2012": 300, "burundi2015": 200, "car2013": 80, "ssudan2014": 120, "demo": 600, "native": 450,
            "emigration": 350, "russia2022": 80}
BUDGET = 2**30  # a mutated number may ask for billions of agents: the memory check refuses them like the CLI
OUTCOMES: Counter[str] = Counter()


def shared_flee(name: str) -> Path | None:
    env = os.environ.get("CROSSINGS_SHARED")
    base = Path(env) if env else (REPO / ".." / "shared").resolve()
    path = base / "data" / "flee" / name
    return path if (path / "input_csv" / "locations.csv").is_file() else None


def examples(name: str) -> int:
    """Cases for ``name``: CROSSINGS_FUZZ_EXAMPLES if set, else the CI count (the demo also takes the cases of
    shared conflicts that are absent, so CI always runs 2,180)."""
    n = int(os.environ.get("CROSSINGS_FUZZ_EXAMPLES", "0"))
    if n:
        return n
    if name == "demo":
        return EXAMPLES[name] + sum(c for k, c in EXAMPLES.items() if k.endswith(("2012", "2013", "2014", "2015"))
                                    and shared_flee(k) is None)
    return EXAMPLES[name]


def make_source(name: str, scratch: Path) -> Path:
    if name == "demo":
        from crossings.scenarios.demo import write_demo

        return write_demo(scratch / "demo-src")
    if name == "emigration":
        from crossings.scenarios.emigration_demo import write_emigration_demo

        return write_emigration_demo(scratch / "emigration-src")
    if name == "russia2022":  # the default scenario: named parameters, preferences, observations with mappings
        import shutil

        from crossings.api import resolve_bundled

        return Path(shutil.copytree(resolve_bundled("russia2022"), scratch / "russia2022-src", dirs_exist_ok=True))
    if name == "native":
        from crossings.api import convert

        src = shared_flee("mali2012") or make_source("demo", scratch)
        return convert(src, scratch / "native-src")
    path = shared_flee(name)
    if path is None:
        pytest.skip(f"shared Flee scenario {name!r} not found (set CROSSINGS_SHARED)")
    return path


def n_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n") + 1
    except OSError:
        return 0


def check_error(exc: InputError, root: Path) -> None:
    """The error names a file inside the scenario, a line that exists (or None) and a field, in one line."""
    text = str(exc)
    assert "\n" not in text and "\r" not in text, f"the message must be one line: {text!r}"
    assert exc.field and isinstance(exc.field, str), f"no field in {text!r}"
    assert exc.problem, f"no problem in {text!r}"
    f = Path(exc.file).resolve()
    assert f == root.resolve() or root.resolve() in f.parents, f"{exc.file} is not in the scenario {root}: {text!r}"
    if exc.line is not None:
        assert isinstance(exc.line, int) and exc.line >= 1, text
        if f.is_file():
            assert exc.line <= n_lines(f), f"line {exc.line} beyond the end of {f} ({n_lines(f)} lines): {text!r}"


def load_and_run(root: Path) -> str:
    sc = cx.load_scenario(root)
    days = min(3, sc.length)
    check_fits(sc, days, available=BUDGET)
    res = cx.run(sc, seed=1, days=days)
    assert res.days == days
    return "ran"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_mutated_scenarios_load_and_run_or_fail_cleanly(name, scratch):
    source = make_source(name, scratch)
    target = Target.copy_of(source, scratch / f"{name}-target")
    load_and_run(target.root)  # the unmutated scenario runs
    n = examples(name)

    @settings(max_examples=n, derandomize=True, deadline=None, database=None, print_blob=True,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(mutation(target.files), min_size=1, max_size=3))
    def case(mutations):
        touched = set()
        try:
            benign = True
            for rel, op, args in mutations:
                touched.add(rel)
                benign &= apply(target, rel, op, args)
            try:
                OUTCOMES[load_and_run(target.root)] += 1
            except InputError as exc:
                assert not benign, f"a harmless variant was refused: {exc} ({mutations})"
                check_error(exc, target.root)
                OUTCOMES["InputError (memory)" if exc.field == "memory" else "InputError"] += 1
        finally:
            target.restore(touched)

    OUTCOMES.clear()
    case()
    print(f"{name}: {n} cases requested; outcomes {dict(OUTCOMES)}")  # shown with pytest -s


# ---- the command line: a handful of cases ------------------------------------------------------------------

def cli_cases(scratch: Path) -> list[tuple[str, Path, str]]:
    """(what, scenario directory, expected word in the error) after one mutation each."""
    from crossings.api import convert
    from crossings.scenarios.demo import write_demo
    from crossings.scenarios.emigration_demo import write_emigration_demo

    out = []
    d = write_demo(scratch / "cli-non-utf8")
    loc = d / "input_csv" / "locations.csv"
    loc.write_bytes(loc.read_bytes().replace(b"\n", b"\n\xff\xfe", 1))
    out.append(("non-UTF-8 bytes", d, "locations.csv:2: encoding"))
    d = write_demo(scratch / "cli-yaml-tag")
    (d / "simsetting.yml").write_text("move_rules:\n  camp_weight: !!python/object/apply:os.system ['true']\n")
    out.append(("a Python tag in YAML", d, "simsetting.yml:2"))
    d = write_demo(scratch / "cli-missing")
    (d / "input_csv" / "routes.csv").unlink()
    out.append(("a missing file", d, "routes.csv"))
    d = convert(write_demo(scratch / "cli-native-src"), scratch / "cli-native")
    (d / "scenario.yml").write_text("- not\n- a mapping\n")
    out.append(("YAML that is not a mapping", d, "scenario.yml:1"))
    d = write_emigration_demo(scratch / "cli-emigration")
    dep = d / "departures.csv"
    lines = dep.read_text().splitlines()
    lines[1] = ",".join(lines[1].split(",")[:-1] + ["1e40"])
    dep.write_text("\n".join(lines) + "\n")
    out.append(("a huge hazard", d, "departures.csv:2"))
    d = write_demo(scratch / "cli-bad-date")
    per = d / "input_csv" / "sim_period.csv"
    per.write_text(per.read_text().replace("-", "/", 1))
    out.append(("a bad date", d, "sim_period.csv:1"))
    return out


def test_cli_exits_2_with_one_line_and_no_traceback(scratch, tmp_path):
    for what, root, word in cli_cases(scratch):
        out = tmp_path / root.name
        proc = subprocess.run([sys.executable, "-m", "crossings", "run", str(root), "--out", str(out), "--days", "3"],
                              capture_output=True, text=True, timeout=120, cwd=tmp_path)
        lines = proc.stderr.splitlines()
        assert proc.returncode == 2, f"{what}: exit {proc.returncode}, stderr:\n{proc.stderr}"
        assert "Traceback" not in proc.stderr, f"{what}: traceback:\n{proc.stderr}"
        assert len(lines) == 1, f"{what}: expected one stderr line, got:\n{proc.stderr}"
        assert word in lines[0], f"{what}: expected {word!r} in {lines[0]!r}"
        assert not (out / "summary.json").exists(), f"{what}: a failed run left a summary"
