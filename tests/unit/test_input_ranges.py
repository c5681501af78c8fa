"""Issue 22 item 1: every number read from a scenario (its CSVs, scenario.yml, ``--set``, observations) is checked
finite and inside a documented range before the run starts; the range is declared beside the column or setting
(crossings.scenario.columns, the settings' RANGES), and every declared column and setting has one.

Each broken case is a variant of the bundled russia2022 written by the test and run through the command line: exit
2, one line naming the file, the line and the field, no traceback, nothing written into --out."""

from __future__ import annotations

import dataclasses
import importlib
import math
import pkgutil
import re
import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest
from _cli import assert_run_refused, crossings

import crossings.scenario as scenario_pkg
from crossings.params.emigration import RANGES as EMIGRATION_RANGES
from crossings.params.emigration import EmigrationSettings
from crossings.params.flee import CHOICES, FLAGS, META_FIELDS, OPTIONAL_FLAGS, FleeSettings
from crossings.params.flee import RANGES as FLEE_RANGES
from crossings.scenario.columns import KINDS, NUMBERS, Column

RUSSIA = Path(__file__).resolve().parents[2] / "src" / "crossings" / "scenarios" / "russia2022"
SRC = Path(__file__).resolve().parents[2] / "src" / "crossings"


def _declared_columns() -> dict[str, Column]:
    """Every Column declared at module level in crossings.scenario (alone, in a table, or in a mapping of tables)."""
    found: dict[str, Column] = {}

    def add(where: str, obj: object) -> None:
        if isinstance(obj, Column):
            found[where] = obj
        elif isinstance(obj, Mapping):
            for k, v in obj.items():
                if isinstance(v, Column | Mapping):
                    add(f"{where}[{k}]", v)

    for mod in pkgutil.iter_modules(scenario_pkg.__path__):
        m = importlib.import_module(f"crossings.scenario.{mod.name}")
        for name, obj in vars(m).items():
            if not name.startswith("__"):
                add(f"{mod.name}.{name}", obj)
    return found


def test_every_declared_column_has_a_kind_and_every_number_a_finite_range():
    cols = _declared_columns()
    assert len(cols) > 60, sorted(cols)  # locations, routes, crossings, departures, events, policies, observed…
    for where, c in cols.items():
        assert c.kind in KINDS, where
        if c.kind in NUMBERS:
            assert math.isfinite(c.low) and math.isfinite(c.high) and c.low <= c.high, (where, c)
            assert c.what and c.range_text(), where


def test_every_column_tuple_comes_from_a_declared_table():
    """The ``*_COLUMNS`` tuples readers check headers against hold only declared columns, so a new column cannot
    be read without a declared kind and range."""
    declared = {c.name for c in _declared_columns().values()}
    for mod in pkgutil.iter_modules(scenario_pkg.__path__):
        m = importlib.import_module(f"crossings.scenario.{mod.name}")
        for name, obj in vars(m).items():
            if name.endswith("_COLUMNS") and isinstance(obj, tuple) and not name.startswith("_"):
                assert set(obj) <= declared, (mod.name, name, set(obj) - declared)


def test_readers_read_numbers_only_through_their_columns():
    """No reader of a scenario (native or Flee's format) parses a number past its declared column (parse_float and
    parse_int are used by columns.py itself)."""
    for path in sorted((SRC / "scenario").glob("*.py")):
        if path.name in ("csvutil.py", "columns.py"):
            continue
        text = path.read_text()
        assert not re.search(r"\bparse_(float|int)\(", text), path.name


def test_every_setting_has_a_finite_range():
    for f in dataclasses.fields(EmigrationSettings):
        lo, hi = EMIGRATION_RANGES[f.name]
        assert math.isfinite(lo) and math.isfinite(hi) and lo <= hi, f.name
    for f in dataclasses.fields(FleeSettings):
        if f.name in META_FIELDS:
            continue
        if isinstance(f.default, bool) or f.name in OPTIONAL_FLAGS:
            assert f.name in FLAGS, f.name
            continue
        if isinstance(f.default, str):
            assert f.default in CHOICES[f.name], f.name
            continue
        lo, hi = FLEE_RANGES[f.name]
        assert math.isfinite(lo) and math.isfinite(hi) and lo <= hi, f.name


# ---- the broken numbers of the issue, through the command line -------------------------------------------

@pytest.fixture
def russia(tmp_path: Path) -> Path:
    return Path(shutil.copytree(RUSSIA, tmp_path / "russia2022"))


def replace_once(path: Path, old: str, new: str) -> int:
    """Replace ``old`` (found once) by ``new`` in ``path``; the line it is on."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (path.name, old)
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


CASES = [
    ("scenario.yml", "savings_usd: {median: $savings_median,", "savings_usd: {median: .nan,",
     "agents.savings_usd.median"),
    ("scenario.yml", "median: 1500, sigma: 0.6}", "median: .inf, sigma: 0.6}",
     "agents.remote_income_usd_per_month.median"),
    ("scenario.yml", "people_per_agent: 100 ", "people_per_agent: 1e308 ", "people_per_agent"),
    ("scenario.yml", "days: 1093 ", "days: 99999999999999999999 ", "days"),
    ("locations.csv", "Tbilisi,destination,Georgia,Tbilisi,41.72,44.79,0,$a_tbilisi,",
     "Tbilisi,destination,Georgia,Tbilisi,41.72,44.79,0,1e308,", "attractiveness"),
    ("locations.csv", "Tbilisi,destination,Georgia,Tbilisi,41.72,44.79,0,$a_tbilisi,30,",
     "Tbilisi,destination,Georgia,Tbilisi,41.72,44.79,0,$a_tbilisi,inf,", "cost_of_living"),
    ("routes.csv", "Tbilisi,Batumi,road,370,", "Tbilisi,Batumi,road,1e308,", "distance_km"),
    ("routes.csv", "Tbilisi,Istanbul,air,,1,10,150", "Tbilisi,Istanbul,air,,1e308,10,150", "duration_days"),
    ("routes.csv", "Tbilisi,Istanbul,air,,1,10,150", "Tbilisi,Istanbul,air,,1,10,1e308", "cost"),
    ("policies.csv", "2022-02-24,,Georgia,visa_free,365,", "2022-02-24,,Georgia,visa_free,99999999999999999999,",
     "days"),
    ("policies.csv", "Georgia,residence_permit,365,,0.8,100,30,",
     "Georgia,residence_permit,365,,0.8,100,99999999999999999999,", "waiting_days"),
    ("crossings.csv", "Upper_Lars,car,110,", "Upper_Lars,car,99999999999999999999,", "capacity_per_day"),
    ("observed.csv", "entries (Russian citizens),78742,", "entries (Russian citizens),1e300,", "value"),
]


@pytest.mark.parametrize(("file", "old", "new", "field"), CASES,
                         ids=[f"{c[0]}:{c[3]}:{c[2][-12:]}" for c in CASES])
def test_a_number_out_of_range_is_one_line_naming_file_line_and_field(tmp_path, russia, file, old, new, field):
    line = replace_once(russia / file, old, new)
    err = assert_run_refused(russia, tmp_path, f": {field}: ")
    assert err.startswith(f"{russia / file}:{line}: {field}: "), err


@pytest.mark.parametrize(("text", "field"), [
    ("policy: Georgia visa_free 99999999999999999999 from 2022-10-01", "days"),
    ("policy: Georgia residence_permit p=0.5 wait=99999999999999999999 from 2022-10-01", "waiting_days"),
    ("event: capacity Upper Lars x1e308 from 2022-09-22", "value"),
])
def test_a_number_out_of_range_in_a_set_is_one_line(tmp_path, russia, text, field):
    """A --set row is checked by the same reader as the file's rows, before the run starts (a policy's days of
    99999999999999999999 was an OverflowError when the policy came into force, possibly hours into a run)."""
    err = assert_run_refused(russia, tmp_path, f": {field}: ", extra=("--set", text))
    assert "outside" in err, err


def test_the_bundled_scenarios_pass_the_ranges(tmp_path):
    variants = RUSSIA.parents[3] / "calibration" / "russia2022"
    for scen in (RUSSIA, variants / "covariates", variants / "travellers-pull"):
        proc = crossings("run", str(scen), "--days", "3", "--out", str(tmp_path / scen.name), "--quiet",
                         "--no-report", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr


def test_the_format_page_lists_every_declared_number():
    """docs/native-format.md's table of ranges names every numeric column and key declared in the code."""
    page = (SRC.parents[1] / "docs" / "native-format.md").read_text(encoding="utf-8")
    section = page[page.index("### Numbers and their ranges"):page.index("### Tables: what is refused")]
    for where, c in _declared_columns().items():
        if c.numeric:
            assert f"`{c.name}`" in section, where
            assert f"{c.low:g}..{c.high:g}" in section, (where, c.range_text())
