"""The public API around a run: ``cx.run`` on a path or a Scenario, argument checks, and the views of
Results (series shapes, tables, summary)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import crossings as cx


@pytest.fixture(scope="module")
def demo_results(demo_dir):
    return cx.run(demo_dir, seed=1, days=30)


def test_run_accepts_a_path_or_a_scenario(demo_dir):
    a = cx.run(str(demo_dir), seed=3, days=10)
    b = cx.run(cx.load_scenario(demo_dir), seed=3, days=10)
    assert a.flee_out_csv() == b.flee_out_csv(), "a path and the loaded scenario must give the same run"
    c = cx.Simulation(cx.load_scenario(demo_dir), seed=3, days=10).run()
    assert c.flee_out_csv() == a.flee_out_csv(), "cx.Simulation(...).run() and cx.run must agree"


def test_run_argument_checks(demo_dir):
    sc = cx.load_scenario(demo_dir)
    with pytest.raises(ValueError):
        cx.run(sc, rules="flee2")
    with pytest.raises(ValueError):
        cx.run(sc, days=0)


def test_load_scenario_on_a_file_is_an_input_error(tmp_path):
    f = tmp_path / "locations.csv"
    f.write_text("x\n")
    with pytest.raises(cx.InputError):
        cx.load_scenario(f)


def test_series_shapes_and_names(demo_results):
    res = demo_results
    n_loc, n_link = len(res.scenario.locations), len(res.scenario.links)
    expected = {"n_present": n_loc, "new_spawned": n_loc, "new_arrivals": n_loc, "new_departures": n_loc,
                "n_on_link": n_link, "new_link_entries": n_link, "new_link_exits": n_link}
    assert set(res.series) >= set(expected), f"missing series: {set(expected) - set(res.series)}"
    for k, width in expected.items():
        assert res.series[k].shape == (30, width), f"{k}: expected shape (30, {width}), got {res.series[k].shape}"
        assert np.issubdtype(res.series[k].dtype, np.integer), f"{k} must hold whole agents"
    assert res.n_agents.shape == (30,) and res.refugee_debt.shape == (30,)


def test_camp_views(demo_results):
    res = demo_results
    names = [res.scenario.locations.name[c] for c in res.camps]
    assert names == ["Camp_North", "Camp_South", "Camp_West"], f"camps in locations.csv order, got {names}"
    np.testing.assert_array_equal(res.camp_sim(), res.series["n_present"][:, res.camps])
    assert res.camp_data().shape == (30, 3)
    frame = res.to_frame("camps")
    assert frame.shape == (30, 6), "sim and data columns for each camp"
    np.testing.assert_array_equal(frame["sim"].to_numpy(), res.camp_sim())
    np.testing.assert_array_equal(frame["data"].to_numpy(), res.camp_data())


def test_tables(demo_results):
    res = demo_results
    locs = res.to_frame("locations")
    links = res.to_frame("links")
    assert len(locs) == 30 * len(res.scenario.locations), "one row per day and location"
    assert len(links) == 30 * len(res.scenario.links), "one row per day and directed link"
    assert set(locs["location"]) == set(res.scenario.locations.name)
    first = links[links["day"] == 0].reset_index(drop=True)
    names = res.scenario.locations.name
    assert first.loc[0, "from"] == names[res.scenario.links.src[0]] and first.loc[0, "to"] == names[
        res.scenario.links.dst[0]], "link k's from/to must follow sc.links.src/dst"
    with pytest.raises(ValueError):
        res.to_frame("nonsense")


def test_summary_is_json_and_describes_the_run(demo_results):
    s = demo_results.summary()
    json.dumps(s)
    assert s["seed"] == 1 and s["days"] == 30 and s["rules"] == "flee31", f"summary: {s}"
    assert s["agents_final"] == int(demo_results.n_agents[-1])
    assert s["ard_rescaled"] == pytest.approx(demo_results.ard()["ard_rescaled"], abs=1e-6)
