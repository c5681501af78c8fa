"""The default scenario's rule that every number carries its source (a section of russia2022.md, an observation
row, a calibration) or the word "assumption": each row of its CSV files, each named parameter and each number in
scenario.yml's settings. A copy with one unsourced number must be caught, so the checks can fail."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest
import yaml

from crossings.api import resolve_bundled

SOURCED = re.compile(r"§\s?\d|obs rows? \d|assumption|calibrated", re.IGNORECASE)
CSV_FILES = ("locations.csv", "routes.csv", "crossings.csv", "departures.csv", "events.csv", "policies.csv",
             "preferences.csv")
SETTING = re.compile(r"^(\s*)([A-Za-z_]+):\s*(.*)$")
NUMBER = re.compile(r"(?<![\w$.])-?\d")


def unsourced_rows(path: Path) -> list[int]:
    """Line numbers of the data rows of ``path`` whose ``source`` names no source; "as above" counts as the
    source of the row before it."""
    bad: list[int] = []
    previous_ok = False
    with path.open(newline="", encoding="utf-8") as f:
        rows = [(i, line) for i, line in enumerate(f, start=1) if line.strip() and not line.startswith("#")]
    header, *data = rows
    names = next(csv.reader([header[1]]))
    for i, line in data:
        cells = dict(zip(names, next(csv.reader([line])), strict=False))
        src = (cells.get("source") or "").strip()
        ok = bool(SOURCED.search(src)) or (src.lower().startswith("as above") and previous_ok)
        if not ok:
            bad.append(i)
        previous_ok = ok
    return bad


def unsourced_parameters(path: Path) -> list[str]:
    """Named parameters of scenario.yml whose ``source`` names no source, or whose value is outside its range."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    bad = []
    for name, p in (doc.get("parameters") or {}).items():
        if not SOURCED.search(str(p.get("source", ""))) or not p["low"] <= p["value"] <= p["high"]:
            bad.append(name)
    return bad


def unsourced_settings(path: Path) -> list[int]:
    """Line numbers of scenario.yml's settings (outside ``parameters:``) that hold a number but have no source
    in their own comment or in the comment lines right above them."""
    bad: list[int] = []
    block: list[str] = []
    in_parameters = False
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.strip()
        if text.startswith("#"):
            block.append(text)
            continue
        if line and not line[0].isspace():
            in_parameters = line.startswith("parameters:")
        code, _, comment = line.partition("#")
        m = SETTING.match(code)
        if m and not in_parameters and NUMBER.search(m.group(3)) and not m.group(3).strip().startswith("$"):
            if not (SOURCED.search(comment) or any(SOURCED.search(b) for b in block)):
                bad.append(i)
        if text:
            block = []
    return bad


@pytest.fixture(scope="module")
def scenario() -> Path:
    return Path(resolve_bundled("russia2022"))


@pytest.mark.parametrize("name", CSV_FILES)
def test_every_row_of_the_csv_files_names_its_source(scenario: Path, name: str) -> None:
    assert unsourced_rows(scenario / name) == [], f"{name}: rows without a source or 'assumption'"


def test_every_parameter_names_its_source_and_sits_in_its_range(scenario: Path) -> None:
    assert unsourced_parameters(scenario / "scenario.yml") == []


def test_every_number_of_the_settings_names_its_source(scenario: Path) -> None:
    assert unsourced_settings(scenario / "scenario.yml") == []


def test_every_observation_names_its_source(scenario: Path) -> None:
    with (scenario / "observed.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 125
    assert [r["measure"] for r in rows if not (r["source_title"].strip() and r["source_url"].startswith("http"))] \
        == []


def test_the_checks_catch_an_unsourced_number(scenario: Path, tmp_path: Path) -> None:
    copy = tmp_path / "r22"
    shutil.copytree(scenario, copy)
    with (copy / "routes.csv").open("a", encoding="utf-8") as f:
        f.write("Moscow,Baku,air,,1,5,300,new route\n")
    n = len((copy / "routes.csv").read_text(encoding="utf-8").splitlines())
    assert unsourced_rows(copy / "routes.csv") == [n]
    yml = copy / "scenario.yml"
    text = yml.read_text(encoding="utf-8")
    text = text.replace("  max_hops: 5                    # assumption\n", "  max_hops: 5\n", 1)
    text = text.replace('source: "calibrated; attractiveness of Dubai"', 'source: "attractiveness of Dubai"', 1)
    yml.write_text(text, encoding="utf-8")
    assert unsourced_parameters(yml) == ["a_uae"]
    bad = unsourced_settings(yml)
    assert len(bad) == 1 and yml.read_text(encoding="utf-8").splitlines()[bad[0] - 1].strip() == "max_hops: 5"


COVARIATES_VARIANT = Path(__file__).resolve().parents[2] / "calibration" / "russia2022" / "covariates"


@pytest.mark.parametrize("name", CSV_FILES[:-1] + ("covariates.csv",))
def test_the_covariate_variant_names_a_source_for_every_row_and_parameter(name: str) -> None:
    """The covariate destination choice (issue 20, not adopted yet) is held to the same rule as the default."""
    assert unsourced_rows(COVARIATES_VARIANT / name) == [], f"{name}: rows without a source or 'assumption'"
    assert unsourced_parameters(COVARIATES_VARIANT / "scenario.yml") == []
    assert unsourced_settings(COVARIATES_VARIANT / "scenario.yml") == []


# Whole-scenario variants of issue 20, tried and not adopted: the travellers' pull from covariates (fifth session)
# and every destination from covariates, no free weight per country (sixth session).
VARIANTS = ("travellers-pull", "explaining")


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", CSV_FILES + ("covariates.csv",))
def test_the_whole_scenario_variants_name_a_source_for_every_row_and_parameter(variant: str, name: str) -> None:
    """Each variant is held to the default's rule: a source or "assumption" for every row, parameter and
    setting."""
    where = COVARIATES_VARIANT.with_name(variant)
    assert unsourced_rows(where / name) == [], f"{variant}/{name}: rows without a source or 'assumption'"
    assert unsourced_parameters(where / "scenario.yml") == []
    assert unsourced_settings(where / "scenario.yml") == []
