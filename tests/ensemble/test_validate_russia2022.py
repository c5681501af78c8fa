"""bench/validate_russia2022.py, issue 20's validation script: its extra check rows land after the shared ones and
load as a scenario, its coverage and share rules on hand-made rows, and a seeded smoke run of two members (the
figures themselves are statistical and are not tested)."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

import crossings as cx

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "validate_russia2022.py"


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("validate_russia2022", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # its dataclass looks its module up there
    spec.loader.exec_module(mod)
    return mod


def test_check_rows_follow_the_shared_rows_and_load(script: ModuleType, tmp_path: Path) -> None:
    path, last, extra = script.scenario_with_checks("russia2022", tmp_path)
    shared = len(Path(cx.load_scenario("russia2022").path, "observed.csv").read_text().splitlines())
    assert last == shared and sorted(extra) == list(range(shared + 1, shared + 1 + len(script.CHECK_ROWS)))
    sc = cx.load_scenario(path)
    lines = {o.line: o for o in sc.observations}
    for line, row in extra.items():
        assert str(lines[line].sim) == row.sim and lines[line].role == "validation"


def _row(line: int, role: str, q: tuple[float, float, float] | None, value=None, low=None, high=None) -> dict:
    return {"line": line, "role": role, "members_scored": 0 if q is None else 20, "status": "scored" if q else
            "not modelled", "measure": "m", "value": value, "low": low, "high": high,
            "simulated_q05": q and q[0], "simulated_q50": q and q[1], "simulated_q95": q and q[2]}


def test_measures_count_shared_output_rows_only(script: ModuleType) -> None:
    rows = [
        _row(2, "calibration", (90, 100, 110), value=100),  # inside everything, covered
        _row(3, "calibration", (60, 70, 80), value=100),  # 70: within ×1.5 only; interval misses 100
        _row(4, "validation", (100, 130, 200), low=10, high=20),  # far off: nowhere, not covered
        _row(5, "validation", (5, 8, 12), high=10),  # "at most 10": inside, covered
        _row(6, "validation", (0, 0, 0), low=50),  # "at least 50": interval below it
        _row(7, "validation", None, value=1),  # an output row no member scored: set aside
        _row(8, "not_modelled", None, value=1),
        _row(9, "input", (1, 1, 1), value=1),
        _row(10, "validation", (1, 1, 1), value=1),  # an extra check row after the shared ones: not counted
    ]
    m = script.measures(rows, 9)
    cal, val = m["roles"]["calibration"], m["roles"]["validation"]
    assert (cal["scored"], cal["inside"], cal["within_1_5"], cal["covered_90"]) == (2, 1, 2, 1)
    assert (val["scored"], val["inside"], val["within_1_5"], val["covered_90"]) == (3, 1, 1, 1)
    assert (m["scored"], m["inside"], m["within_1_5"], m["inputs"]) == (5, 2, 3, 1)
    assert [line for line, _ in m["set_aside"]] == [7, 8]
    assert script.covers(0, 5, None, 4, None) and not script.covers(0, 3.9, None, 4, None)
    assert script.covers(-math.inf, 11, 10, None, None) and not script.covers(10.5, 11, 10, None, None)


def test_a_seeded_smoke_run_prints_every_measure(script: ModuleType, tmp_path: Path, capsys) -> None:
    out = tmp_path / "v.json"
    assert script.main(["--members", "2", "--workers", "1", "--seed", "3", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    for words in ("within the source band widened ×1.25", "within a factor of 1.5", "set aside as not modelled",
                  "Kazakhstan's exits above its entries", "Upper Lars queue", "validation  ", "calibration "):
        assert words in text
    doc = json.loads(out.read_text())
    assert len(doc["checks"]) == 7 and all(isinstance(c["pass"], bool) for c in doc["checks"])
    assert doc["measures"]["scored"] == sum(v["scored"] for v in doc["measures"]["roles"].values()) > 0
