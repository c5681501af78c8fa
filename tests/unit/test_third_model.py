"""A third model added as one package (tests/plugins/randomwalk_model) and an entry point, the way an installed
plug-in registers: it runs from the command line, gets an ensemble with quantile bands, a fit table and a report
section, with no edit to crossings' ensemble/, report/, observed/ or cli/ code (issue 18)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[2]
PLUGINS = REPO / "tests" / "plugins"
SCENARIO = {
    "scenario.yml": (
        "format: crossings-native/1\nname: walk2\nmodel: randomwalk\nstart_date: 2020-01-01\ndays: 120\n"
        "parameters:\n  p_move: {value: 0.1, low: 0.02, high: 0.4, source: assumption}\n"),
    "locations.csv": "name,kind,country,population\nA,town,Walkland,1000\nB,town,Walkland,0\n",
    "routes.csv": "from,to,distance_km\nA,B,10\n",
    "observed.csv": (
        "date_or_period_start,period_end,destination_country,crossing_or_city,measure,value,low,high,source_title,"
        "source_url,note,sim,role\n"
        "2020-04-29,,Walkland,B,walkers present,500,400,600,half of them (the walk's equilibrium),,,"
        "stock(location=B),calibration\n"
        "2020-04-29,,Walkland,A,walkers present,500,400,600,the other half,,,stock(location=A),validation\n"),
}


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Register the package with an entry point (a dist-info beside it on the path, as pip would install it);
    returns the environment a command line needs to see it."""
    site = tmp_path / "site"
    info = site / "randomwalk_model-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: randomwalk-model\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[crossings.models]\nrandomwalk = randomwalk_model:RandomWalk\n")
    monkeypatch.syspath_prepend(str(PLUGINS))
    monkeypatch.syspath_prepend(str(site))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(PLUGINS), env.get("PYTHONPATH", "")])
    return env


@pytest.fixture
def walk(tmp_path: Path) -> Path:
    root = tmp_path / "walk2"
    root.mkdir()
    for name, text in SCENARIO.items():
        (root / name).write_text(text)
    return root


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-m", "crossings", *args], env=env, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, f"crossings {' '.join(args)} failed ({r.returncode}): {r.stderr[-2000:]}"
    return r


def page_data(html: str) -> dict:
    start = html.index('<script type="application/json" id="report-data">') + len(
        '<script type="application/json" id="report-data">')
    return json.loads(html[start:html.index("</script>", start)])


def test_the_model_is_found_by_name_and_registers_nothing_in_crossings(plugin):
    from crossings.engine.model import get_model, model_names

    assert "randomwalk" in model_names(), model_names()
    assert type(get_model("randomwalk")).__name__ == "RandomWalk"
    mentions = [p for p in (REPO / "src").rglob("*.py") if "randomwalk" in p.read_text()]
    assert not mentions, f"crossings itself names the plug-in: {mentions}"


def test_it_runs_from_the_command_line_with_its_series_fit_table_and_report_section(plugin, walk, tmp_path):
    out = tmp_path / "out"
    cli(plugin, "run", str(walk), "--out", str(out), "--seed", "3", "--check", "--quiet")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["model"] == "randomwalk" and summary["agents_final"] == 1000, summary
    loc = pq.read_table(out / "locations.parquet").to_pydict()
    assert "new_moves" in loc, f"its own series is written: {list(loc)}"
    present = np.array(loc["n_present"]).reshape(120, 2)
    assert (present.sum(axis=1) == 1000).all(), "walkers are conserved"
    assert 400 <= present[-1, 1] <= 600, f"half the walkers at B after 120 days, got {present[-1]}"
    moves = np.array(loc["new_moves"]).reshape(120, 2)
    assert np.array_equal(moves, np.array(loc["new_departures"]).reshape(120, 2)), "moves are departures"
    fit = (out / "fit.csv").read_text().splitlines()
    assert len(fit) == 3 and all(",scored," in row for row in fit[1:]), fit
    assert summary["fit"]["summary"]["scored"] == 2, summary["fit"]["summary"]
    page = page_data((out / "report.html").read_text())
    assert page["section"]["title"] == "Random walk: walkers per place", page.get("section")
    chart = page["section"]["charts"][0]
    assert [s["name"] for s in chart["series"]] == ["A", "B"] and len(chart["series"][0]["values"]) == len(page["kept"])
    again = cli(plugin, "fit", str(out), "--json")
    rows = json.loads(again.stdout)
    assert [r["sim"] for r in rows] == ["stock(location=B)", "stock(location=A)"], rows
    assert [r["status"] for r in rows] == ["scored", "scored"] and rows[0]["simulated"] == present[-1, 1], rows


def test_it_gets_an_ensemble_with_quantile_bands_fit_and_report(plugin, walk, tmp_path):
    out = tmp_path / "ens"
    cli(plugin, "ensemble", str(walk), "--members", "4", "--workers", "1", "--param", "p_move=0.05:0.2",
        "--days", "60", "--out", str(out), "--quiet")
    q = pq.read_table(out / "quantiles.parquet").to_pydict()
    series = set(q["series"])
    assert {"n_present", "new_moves"} <= series, series
    at_b = [i for i, (s, p) in enumerate(zip(q["series"], q["place"], strict=True)) if s == "n_present" and p == "B"]
    lo, hi = np.array(q["q05"])[at_b], np.array(q["q95"])[at_b]
    assert (lo <= hi).all() and (hi[-1] > lo[-1]), "members differ, so the band at B has a width"
    members = (out / "members.csv").read_text().splitlines()
    assert len(members) == 5 and "p_move" in members[0], members[:2]
    assert (out / "fit.csv").is_file() and len((out / "fit.csv").read_text().splitlines()) == 3
    bands = pq.read_table(out / "bands" / "locations.parquet").column_names
    assert {"n_present_q05", "n_present_q95", "new_moves"} <= set(bands), bands
    page = page_data((out / "report.html").read_text())
    assert page["section"]["charts"], "the ensemble's page has the model's section"
