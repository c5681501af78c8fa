"""Both example notebooks of the documentation site execute end to end, in a fresh kernel of this Python."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "docs" / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.docs


def test_both_notebooks_are_there() -> None:
    assert [p.name for p in NOTEBOOKS] == ["flee-mali2012.ipynb", "russia2022-whatif-ensemble.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_end_to_end(path: Path) -> None:
    nbformat = pytest.importorskip("nbformat", reason="the docs extra is not installed (pip install -e '.[docs]')")
    nbclient = pytest.importorskip("nbclient", reason="the docs extra is not installed (pip install -e '.[docs]')")
    nb = nbformat.read(path, as_version=4)
    # the kernel runs this interpreter (the test's venv), from the notebook's folder, as a reader would
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    shown = "".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    if "SKIPPED:" in shown:
        pytest.skip("the notebook's shared data was not found: " + shown.split("SKIPPED:")[1].split("\n")[0])
    assert "Error" not in shown
    assert "<Figure" in shown or any("image/png" in o.get("data", {}) for o in outputs)
