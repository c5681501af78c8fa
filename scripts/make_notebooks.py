"""Write the example notebooks of the documentation site (docs/notebooks/*.ipynb), without outputs.

The notebooks are generated so their code stays reviewable as Python here; tests/docs executes them.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

OUT = Path(__file__).resolve().parent.parent / "docs" / "notebooks"

FIND_SHARED = '''import os
from pathlib import Path

import crossings as cx


def shared_flee(name: str) -> Path | None:
    """The shared Flee scenario `name`, found as the tests find it: $CROSSINGS_SHARED/data/flee/NAME, else
    shared/data/flee/NAME beside the repository (searched upwards from here)."""
    env = os.environ.get("CROSSINGS_SHARED")
    roots = [Path(env)] if env else [p / ".." / "shared" for p in [Path.cwd(), *Path.cwd().parents]
                                     if (p / "pyproject.toml").exists()]
    for root in roots:
        path = (root / "data" / "flee" / name).resolve()
        if path.is_dir():
            return path
    return None


scenario_dir = shared_flee("mali2012")
if scenario_dir is None:
    print("SKIPPED: the shared Flee scenario mali2012 was not found (set CROSSINGS_SHARED to the shared/ "
          "directory that holds data/flee/); the cells below do nothing.")
else:
    print("mali2012 from", scenario_dir)'''

FLEE = [
    new_markdown_cell("# A Flee conflict: Mali 2012\n\n"
                      "crossings reads Flee's scenario files unchanged. This notebook runs the Mali 2012 conflict "
                      "from the shared Flee data, compares its camps with the observed counts and reads Flee's "
                      "validation error (ARD)."),
    new_code_cell(FIND_SHARED),
    new_markdown_cell("Run it once (about two seconds). The result is a `Run`: its repr is one line, and a "
                      "notebook shows a summary table."),
    new_code_cell('res = cx.run(scenario_dir, seed=1, quiet=True) if scenario_dir else None\nres'),
    new_markdown_cell("Flee's averaged relative difference against the observed camp counts (lower is better):"),
    new_code_cell('res.ard() if res else None'),
    new_markdown_cell("Every daily stock and flow is data: here the camps, simulated and observed, in people."),
    new_code_cell('camps = res.to_frame("camps") if res else None\ncamps.tail() if res else None'),
    new_code_cell('res.plot("camps") if res else None'),
]

RUSSIA = [
    new_markdown_cell("# russia2022: a what-if and a small ensemble\n\n"
                      "The default scenario, shortened to its first 90 days so the notebook runs in seconds. "
                      "A full run is `cx.run(\"russia2022\")`."),
    new_code_cell('import crossings as cx\nfrom crossings import api\n\n'
                  'DAYS = 90\nbase = cx.run("russia2022", seed=1, days=DAYS, quiet=True)\nbase'),
    new_markdown_cell("People in each country (people, not agents: `people_per_agent` is applied):"),
    new_code_cell('countries = base.to_frame("countries")\n'
                  'countries[countries.date == countries.date.max()][["country", "n_in_country", "new_entries"]]'),
    new_markdown_cell("## What if Upper Lars (Russia–Georgia) had closed on 15 March 2022?\n\n"
                      "One line changes one policy (docs: What-ifs); the same seed makes the difference the "
                      "policy's."),
    new_code_cell('whatif = cx.run("russia2022", seed=1, days=DAYS, quiet=True,\n'
                  '                sets=["event: close Upper Lars from 2022-03-15"])\n'
                  'last = lambda r: r.to_frame("countries").query("date == date.max()").set_index("country")\n'
                  'compare = last(base)[["n_in_country"]].assign(whatif=last(whatif).n_in_country)\n'
                  'compare["change"] = compare.whatif - compare.n_in_country\ncompare'),
    new_code_cell('whatif.plot("totals")'),
    new_markdown_cell("## A small ensemble\n\n"
                      "Four members on one Dask worker: bands (5%, 25%, 50%, 75%, 95%) of every series. "
                      "A real ensemble has 100 members or more (`crossings ensemble russia2022 --members 100`)."),
    new_code_cell('ens = api.ensemble("russia2022", 4, seed=1, workers=1, days=DAYS, quiet=True)\n'
                  'ens.quantiles["n_in_country"].shape  # (quantiles, days, countries), in agents'),
    new_code_cell('import pandas as pd\n\n'
                  'countries = ens.schema.dims["country"].labels\n'
                  'q = ens.quantiles["n_in_country"][:, -1, :] * float(ens.scenario.people_per_agent)\n'
                  'pd.DataFrame(q.T, columns=["q05", "q25", "q50", "q75", "q95"], index=countries).round(-2)'),
]


def main(out: Path = OUT) -> None:
    """Write both notebooks into ``out`` (cells without outputs; a fixed kernel name so they run anywhere)."""
    out.mkdir(parents=True, exist_ok=True)
    for name, cells in [("flee-mali2012", FLEE), ("russia2022-whatif-ensemble", RUSSIA)]:
        for i, cell in enumerate(cells):
            cell.id = f"cell-{i}"  # fixed ids (nbformat draws random ones): the same script, the same files
        nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                "language": "python"}})
        nbformat.write(nb, out / f"{name}.ipynb")


if __name__ == "__main__":
    main()
