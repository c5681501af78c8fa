"""Regression baseline: fixed runs must reproduce the committed summary exactly (agents, ARD, and the hash of
every file they write: out.csv, fit.csv, observations.csv, each Parquet table's content).

A mismatch means results moved. If that is intended (a rule fix, new random streams), regenerate the
baseline with ``python scripts/update_baseline.py`` and commit it with the change that moved it.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "update_baseline.py"
BASELINE = Path(__file__).with_name("baseline.json")
HOW_TO_UPDATE = "if this change of results is intended, run `python scripts/update_baseline.py` and commit it"


def load_script():
    spec = importlib.util.spec_from_file_location("update_baseline", SCRIPT)
    assert spec is not None and spec.loader is not None, f"cannot import {SCRIPT}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


script = load_script()
baseline = json.loads(BASELINE.read_text())


def test_baseline_covers_every_case():
    assert sorted(baseline["cases"]) == sorted(script.CASES), (
        f"baseline.json has cases {sorted(baseline['cases'])}, the script defines {sorted(script.CASES)}; "
        + HOW_TO_UPDATE)


@pytest.mark.parametrize("name", sorted(script.CASES))
def test_run_matches_baseline(name):
    case = script.CASES[name]
    expected = baseline["cases"][name]
    if not script.available(name):
        pytest.skip(f"shared Flee scenario {name!r} not found under {script.shared_dir()} (set CROSSINGS_SHARED)")
    got = {**case, **script.run_case(name)}
    diff = {k: (expected.get(k), got.get(k)) for k in sorted(set(expected) | set(got)) if expected.get(k) != got.get(k)}
    assert not diff, (
        f"{name} (seed {case['seed']}, rules {case['rules']}) no longer matches tests/regression/baseline.json; "
        f"(baseline, now) per key: {diff}. Baseline made with {baseline.get('environment')}. {HOW_TO_UPDATE}")
