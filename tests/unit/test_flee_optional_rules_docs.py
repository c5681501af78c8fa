"""Each setting of the optional Flee rules (conflict-driven spawning, IDP totals, returns, capacity growth) has a
range or a list of choices in the code and a row in docs/engine.md's section on those rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossings.params.flee import CHOICES, FLAGS, RANGES, FleeSettings

DOC = Path(__file__).resolve().parents[2] / "docs" / "engine.md"
SETTINGS = ("conflict_driven_spawning", "conflict_spawn_mode", "displaced_per_conflict_day", "idp_totals",
            "return_home_chance", "capacity_growth_rate")


@pytest.mark.parametrize("name", SETTINGS)
def test_setting_is_declared_and_documented(name):
    assert hasattr(FleeSettings(), name)
    assert name in RANGES or name in FLAGS or name in CHOICES, name
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Optional rules users ask for since Flee 3.1"):text.index("## Known differences")]
    assert f"| `{name}` |" in section, f"docs/engine.md must have a settings row for {name!r}"


def test_defaults_keep_flee_31():
    s = FleeSettings()
    assert (s.conflict_driven_spawning, s.idp_totals, s.return_home_chance, s.capacity_growth_rate) == (
        False, False, 0.0, 0.0)
