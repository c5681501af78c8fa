"""The report's data and page without a browser: values taken from the results files, thinning of long runs,
escaping of scenario strings, runs whose scenario is gone, band columns of ensembles, and the CLI."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import crossings as cx
from crossings.api import read_run, write_report, write_run
from crossings.cli.report import add_parser, after_run
from crossings.cli.report import run as report_cli
from crossings.errors import InputError
from crossings.report import data as rdata
from crossings.report.page import json_for_html, render
from crossings.scenarios.demo import write_demo

INJECTION = "<script>alert(1)</script>"


def demo_run(root: Path, days: int | None = None, rename: dict[str, str] | None = None) -> Path:
    sc_dir = write_demo(root / "scenario")
    for old, new in (rename or {}).items():
        for f in ("input_csv/locations.csv", "input_csv/routes.csv", "input_csv/closures.csv",
                  "source_data/data_layout.csv"):
            p = sc_dir / f
            p.write_text(p.read_text().replace(old, new))
    write_run(cx.run(cx.load_scenario(sc_dir), seed=0, days=days), root / "run")
    return root / "run"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_run(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def payload(run: Path) -> dict:
    return rdata.collect(read_run(run))


def page_data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    assert m, "no data element in the page"
    return json.loads(m.group(1))


def test_stocks_and_flows_come_from_the_results_files(run: Path, payload: dict) -> None:
    t = pq.read_table(run / "locations.parquet").to_pandas()
    names = [loc["name"] for loc in payload["locations"]]
    wide = t.pivot(index="day", columns="location", values="n_present")[names].to_numpy()
    assert payload["kept"] == list(range(120)) and payload["step"] == 1
    assert np.array_equal(np.array(payload["stocks"]), wide)
    links = pq.read_table(run / "links.parquet").to_pandas()
    on_roads = links.groupby("day")["n_on_link"].sum().to_numpy()
    entries = links.groupby("day")["new_link_entries"].sum().to_numpy()
    assert payload["flow_measure"] == "new_link_entries"
    assert np.array_equal(np.array(payload["flow_ab"]).sum(axis=1) + np.array(payload["flow_ba"]).sum(axis=1),
                          entries)
    assert payload["on_road"] == on_roads.tolist()
    # directions: the Riverside → Camp_North route carries people mostly toward the camp
    names = [loc["name"] for loc in payload["locations"]]
    r = next(i for i, r in enumerate(payload["routes"])
             if {names[r["a"]], names[r["b"]]} == {"Riverside", "Camp_North"})
    toward = payload["flow_ab"] if names[payload["routes"][r]["b"]] == "Camp_North" else payload["flow_ba"]
    away = payload["flow_ba"] if toward is payload["flow_ab"] else payload["flow_ab"]
    assert sum(row[r] for row in toward) > 5 * sum(row[r] for row in away)
    totals = next(c for c in payload["charts"] if c["id"] == "totals")
    summary = json.loads((run / "summary.json").read_text())
    assert totals["series"][0]["values"][-1] == summary["agents_final"]


def test_map_places_kinds_routes_and_outlines(payload: dict) -> None:
    kinds = {loc["name"]: loc["kind"] for loc in payload["locations"]}
    assert kinds["Capital"] == "conflict_zone" and kinds["Camp_South"] == "camp" and kinds["Border_Post"] == "marker"
    assert len(payload["routes"]) == 8 and {r["mode"] for r in payload["routes"]} == {"road"}
    m = payload["map"]
    assert len(m["x"]) == len(payload["locations"])
    assert all(0 < x < m["width"] for x in m["x"]) and all(0 < y < m["height"] for y in m["y"])
    assert m["outlines"], "the demo's coordinates lie in Africa: some country outlines are expected"
    assert not any("label" in c for c in m["outlines"]), "made-up countries: real country names are not shown"
    riverside = next(loc for loc in payload["locations"] if loc["name"] == "Riverside")
    assert riverside["conflict"] == [[20, 120]]


def test_events_and_fit_table(run: Path, payload: dict) -> None:
    texts = [(e["day"], e["text"]) for e in payload["events"]]
    assert (0, "border Arland – Belmark closed") in texts
    assert (14, "border Arland – Belmark reopens") in texts
    assert (45, "camp Camp_West opens") in texts
    assert (20, "conflict starts in Riverside") in texts
    assert payload["events"][0]["date"] == "2020-03-01"
    fit = payload["fit"]
    summary = json.loads((run / "summary.json").read_text())
    assert [r["camp"] for r in fit["rows"]] == ["Camp_North", "Camp_South", "Camp_West"]
    assert sum(r["ard_normal"] for r in fit["rows"]) == pytest.approx(summary["ard_normal"], abs=2e-4)
    assert fit["total"]["ard_rescaled"] == pytest.approx(summary["ard_rescaled"], abs=1e-4)
    camp = next(c for c in payload["charts"] if c["title"] == "Camp_West")
    assert [s["role"] for s in camp["series"]] == ["sim", "obs"]
    assert camp["series"][1]["points"][:2] == [[0, 0], [45, 0]]


def test_long_runs_are_thinned_and_the_last_day_kept(run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rdata, "MAX_ANIMATED_VALUES", 200)
    p = rdata.collect(read_run(run))
    assert p["step"] > 1
    assert p["kept"][0] == 0 and p["kept"][-1] == 119
    assert len(p["stocks"]) == len(p["kept"]) and all(len(s["values"]) == len(p["kept"])
                                                      for c in p["charts"] for s in c["series"])


def test_scenario_strings_cannot_break_out(tmp_path: Path) -> None:
    run = demo_run(tmp_path, days=30, rename={"Hilltown": INJECTION, "Camp_West": "Camp</script><b>&amp;"})
    html = write_report(run).read_text(encoding="utf-8")
    assert INJECTION not in html and "</script><b>" not in html
    assert html.count("<script") == 2 and html.count("</script>") == 2
    data = page_data(html)
    names = [loc["name"] for loc in data["locations"]]
    assert INJECTION in names and "Camp</script><b>&amp;" in names
    assert "innerHTML" not in html and "insertAdjacentHTML" not in html and "document.write" not in html


def test_json_for_html_round_trips_and_hides_markup() -> None:
    obj = {"a": "</script><!-- & \u2028 >", "b": [1, 2.5, None]}
    text = json_for_html(obj)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == obj


def test_page_allows_only_its_own_script_and_no_network(payload: dict) -> None:
    html = render(payload)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp and "unsafe-inline" not in \
        csp.split("script-src")[1].split(";")[0]
    assert not re.search(r'(src|href)="(https?:)?//', html), "no external resource"


def test_report_without_the_scenario_still_has_charts(tmp_path: Path) -> None:
    run = demo_run(tmp_path, days=20)
    summary = json.loads((run / "summary.json").read_text())
    summary["scenario_path"] = str(tmp_path / "gone")
    (run / "summary.json").write_text(json.dumps(summary))
    summary["ard_rescaled"] = float("nan")  # as json.dumps writes a NaN
    (run / "summary.json").write_text(json.dumps(summary))
    data = page_data(write_report(run).read_text())
    assert data["meta"]["ard_rescaled"] is None
    assert data["map"] is None and data["events"] == []
    assert len(data["locations"]) == 8 and len(data["dates"]) == 20 and data["dates"][0] == "2020-03-01"
    camps = [c["title"] for c in data["charts"] if c["group"] == "camps"]
    assert sorted(camps) == ["Camp_North", "Camp_South", "Camp_West"]
    assert data["fit"]["rows"]


def test_band_columns_become_bands_and_undeclared_tables_are_not_read(tmp_path: Path) -> None:
    """A series ``X`` of a run's table with ``X_lo`` and ``X_hi`` beside it (an ensemble's band columns) is drawn
    with that band, in people like the series; a Parquet file the model does not record is not read."""
    demo = pytest.importorskip("crossings.scenarios.emigration_demo")
    sc = cx.load_scenario(demo.write_emigration_demo(tmp_path / "scenario"))
    run = tmp_path / "run"
    write_run(cx.run(sc, seed=0, days=10), run)
    t = pq.read_table(run / "countries.parquet")
    n = t.column("new_entries").to_numpy()
    t = t.append_column("new_entries_lo", pa.array(n - 1)).append_column("new_entries_hi", pa.array(n + 1))
    pq.write_table(t, run / "countries.parquet")
    days = np.repeat(np.arange(10, dtype=np.int32), 2)
    pq.write_table(pa.table({"day": days, "country": ["Belmark", "Corvia"] * 10, "entries": np.arange(20)}),
                   run / "extra.parquet")
    data = rdata.collect(read_run(run))
    ppa = json.loads((run / "summary.json").read_text())["people_per_agent"]
    chart = next(c for c in data["charts"] if c["id"] == "countries-new_entries")
    assert chart["series"] and any(v for s in chart["series"] for v in s["values"]), "the demo's agents cross"
    for s in chart["series"]:
        assert s["lo"] == [v - ppa for v in s["values"]] and s["hi"] == [v + ppa for v in s["values"]]
    assert not any(c["id"].startswith("countries-new_entries_") for c in data["charts"])
    assert not any(c["id"].startswith("extra-") for c in data["charts"])


def test_location_quantiles_draw_camp_bands(tmp_path: Path) -> None:
    run = demo_run(tmp_path, days=10)
    t = pq.read_table(run / "locations.parquet")
    n = t.column("n_present").to_numpy()
    t = t.append_column("n_present_q05", pa.array(n // 2)).append_column("n_present_q95", pa.array(n * 2))
    pq.write_table(t, run / "locations.parquet")
    data = rdata.collect(read_run(run))
    camp = next(c for c in data["charts"] if c["title"] == "Camp_South")
    sim = camp["series"][0]
    assert sim["lo"] == [v // 2 for v in sim["values"]] and sim["hi"] == [v * 2 for v in sim["values"]]


def test_cli_writes_the_report_and_rejects_a_non_run(run: Path, tmp_path: Path, capsys) -> None:
    parser = argparse.ArgumentParser(prog="crossings")
    add_parser(parser.add_subparsers(dest="command"))
    out = tmp_path / "page.html"
    assert report_cli(parser.parse_args(["report", str(run), "--out", str(out)])) == 0
    assert out.stat().st_size > 10_000 and f"wrote {out}" in capsys.readouterr().err
    with pytest.raises(InputError, match="no summary.json"):
        report_cli(parser.parse_args(["report", str(tmp_path / "nothing")]))


def test_after_run_never_fails_the_run(run: Path, tmp_path: Path, capsys) -> None:
    after_run(run, quiet=True)
    assert (run / "report.html").is_file()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "summary.json").write_text("{not json")
    after_run(broken)
    assert "notice: no report.html" in capsys.readouterr().err


def test_big_run_stays_under_5_mb(flee_data, tmp_path: Path) -> None:
    """Results shaped like a long run of the largest benchmark conflict (5,000 days, stocks up to millions):
    the page thins the animated days and stays under 5 MB."""
    from crossings.engine.model import get_model
    from crossings.results import Results

    sc = cx.load_scenario(flee_data("car2013"))
    days = 5000
    model = get_model(sc.model)
    res = Results.allocate(sc, days, 1, "flee31", model.schema(sc), model)
    rng = np.random.default_rng(1)
    for k, a in res.series.items():
        a[:] = rng.integers(0, 3_000_000 if k.startswith("n_") else 50_000, size=a.shape)
    res.n_agents[:] = res.series["n_present"].sum(axis=1)
    write_run(res, tmp_path)
    size = write_report(tmp_path).stat().st_size
    data = page_data((tmp_path / "report.html").read_text())
    assert size < 5_000_000, f"report is {size / 1e6:.1f} MB"
    assert data["step"] > 1 and data["kept"][-1] == days - 1


def test_emigration_run_report(tmp_path: Path) -> None:
    """An emigration run (native ``model: emigration``): its own kinds, route modes, policy timeline, and its
    per-country and per-crossing tables as charts."""
    demo = pytest.importorskip("crossings.scenarios.emigration_demo")
    sc = cx.load_scenario(demo.write_emigration_demo(tmp_path / "scenario"))
    write_run(cx.run(sc, seed=0), tmp_path / "run")
    data = page_data(write_report(tmp_path / "run").read_text())
    assert len(data["locations"]) == len(sc.locations) and data["map"] is not None
    assert {"origin", "destination"} <= set(data["kinds"])
    assert len({r["mode"] for r in data["routes"]}) >= 2, "expected the scenario's route modes, not only roads"
    assert data["events"], "expected the policy timeline"
    extra = {p.stem for p in (tmp_path / "run").glob("*.parquet")} - {"locations", "links"}
    for table in extra:
        assert any(c["group"] == "tables" and c["id"].startswith(table + "-") for c in data["charts"]), table


def test_native_notes_sources_and_names_are_data_not_markup(tmp_path: Path, native_run_with_text) -> None:
    """A native scenario's free-text ``note`` and ``source`` columns reach the page as strings only."""
    note, source = '<img src=x onerror="alert(2)">', "UNHCR </script><script>alert(3)</script>"
    native_run_with_text(note, source)
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    summary["scenario"] = INJECTION
    (tmp_path / "run" / "summary.json").write_text(json.dumps(summary))
    html = write_report(tmp_path / "run").read_text()
    assert note not in html and source not in html and INJECTION not in html
    assert html.count("<script") == 2 and "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the <title>
    data = page_data(html)
    assert {loc["note"] for loc in data["locations"]} == {note}
    assert data["events"] and all(e.get("source") == source for e in data["events"])
    assert data["meta"]["scenario"] == INJECTION


def test_the_page_of_a_run_in_memory_is_the_page_of_its_directory(tmp_path: Path) -> None:
    """The page is drawn from Results: those of a run in memory and those read back from what it wrote give the
    same page (a Flee run with observed camps, and an emigration run)."""
    from crossings.report import render_report
    from crossings.scenarios.emigration_demo import write_emigration_demo

    for sc_dir in (write_demo(tmp_path / "flee"), write_emigration_demo(tmp_path / "emigration")):
        res = cx.run(cx.load_scenario(sc_dir), seed=0, days=40)
        write_run(res, tmp_path / f"run-{sc_dir.name}")
        page = render_report(res)
        assert page == render_report(read_run(tmp_path / f"run-{sc_dir.name}")), sc_dir.name
        assert page_data(page)["charts"], sc_dir.name


def test_the_header_carries_both_coverages_of_an_ensemble(tmp_path: Path) -> None:
    """An ensemble's band run (summary.json with ``coverage`` and ``coverage_predictive``) puts both figures in the
    page's header data, and the page's script names the predictive band and where its model error came from."""
    run = demo_run(tmp_path, days=10)
    summary = json.loads((run / "summary.json").read_text())
    summary.update(members=20, coverage={"band": [0.05, 0.95], "points": 40, "points_inside": 10, "share": 0.25},
                   coverage_predictive={"band": [0.05, 0.95], "points": 40, "points_inside": 34, "share": 0.85,
                                        "error_from": ["west"], "in_sample": False})
    (run / "summary.json").write_text(json.dumps(summary))
    meta = rdata.collect(read_run(run))["meta"]
    assert meta["coverage"]["share"] == 0.25 and meta["coverage_predictive"]["share"] == 0.85
    assert meta["coverage_predictive"]["error_from"] == ["west"]
    script = (Path(rdata.__file__).parent / "assets" / "report.js").read_text()
    assert "90 % predictive band holds" in script and "m.coverage_predictive" in script
