"""Static figures of the report's charts (matplotlib, the ``report`` extra): functions return Figures, never
show them, and save_figures writes PNG and SVG."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("matplotlib", reason="matplotlib is the report extra: pip install -e '.[report]'")

import crossings as cx  # noqa: E402
from crossings.api import read_run, write_run  # noqa: E402
from crossings.scenarios.demo import write_demo  # noqa: E402


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("figures")
    write_run(cx.run(cx.load_scenario(write_demo(root / "scenario")), seed=0, days=60), root / "run")
    return root / "run"


def test_figures_are_returned_not_shown(run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.figure import Figure

    import crossings.report.figures as rf

    shown = []
    monkeypatch.setattr(Figure, "show", lambda self, *a, **k: shown.append(self))
    results = read_run(run)
    totals = rf.totals_figure(results)
    camps = rf.camps_figure(results)
    assert isinstance(totals, Figure) and isinstance(camps, Figure) and shown == []
    assert len([ax for ax in camps.axes if ax.get_visible()]) == 3
    first = camps.axes[0]
    assert first.get_title(loc="left") == "Camp_North"
    labels = [line.get_label() for line in first.get_lines()]
    assert "simulated" in labels and "observed" in labels
    only = rf.camps_figure(results, camps=["Camp_West"])
    assert [ax.get_title(loc="left") for ax in only.axes if ax.get_visible()] == ["Camp_West"]
    with pytest.raises(ValueError, match="no camp chart"):
        rf.camps_figure(results, camps=["Nowhere"])


def test_save_figures_writes_png_and_svg(run: Path, tmp_path: Path) -> None:
    from crossings.report.figures import save_figures

    paths = save_figures(read_run(run), tmp_path, dpi=80)
    assert sorted(p.name for p in paths) == ["camps.png", "camps.svg", "totals.png", "totals.svg"]
    for p in paths:
        head = p.read_bytes()[:200]
        assert head.startswith(b"\x89PNG") if p.suffix == ".png" else b"<svg" in p.read_bytes()[:2000]
