"""The native format's emigration model: reading the example, validation of every new file and column with
``file:line: field: problem``, the agent columns, and ``crossings run`` writing the observation tables."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

import crossings as cx
from crossings.errors import InputError
from crossings.scenarios.emigration_demo import FILES, write_emigration_demo

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo(tmp_path) -> Path:
    return write_emigration_demo(tmp_path / "exodus-mini")


def test_example_is_read_into_typed_arrays(demo):
    sc = cx.load_scenario(demo)
    em = sc.emigration
    assert sc.model == "emigration" and sc.format == "native"
    assert em.countries == ("Armenia", "Georgia", "Kazakhstan", "Russia", "Serbia", "Turkey")
    names = sc.locations.name
    assert [names[x] for x in em.crossings] == ["Upper_Lars", "Syrym"]
    lars = names.index("Upper_Lars")
    assert em.capacity[lars].tolist() == [60, 30] and em.capacity[names.index("Moscow")].tolist() == [-1, -1]
    assert len(sc.links) == 24, "each routes.csv row gives two directed links"
    air = np.flatnonzero(em.link_mode == 2)
    assert sorted(em.link_seats[air].tolist()) == [20, 20, 30, 30, 40, 40, 60, 60]
    assert (em.link_duration[air] == 1).all()
    assert (em.link_seats[em.link_mode != 2] == 0).all() and np.isnan(em.link_duration[em.link_mode != 2]).all()
    assert em.hazard[names.index("Samara")].tolist() == [0.0004] * 3
    assert em.category.names == ("dissident", "war_objector", "staying_out")
    assert em.age_band.names == ("18-29", "30-44", "45-64")
    assert em.settings.car_speed_km_per_day == 600 and em.settings.queue_patience_days == 0
    assert [e.kind for e in em.events].count("bar_mode") == 2
    assert em.attractiveness[names.index("Tbilisi")] == 3 and em.attractiveness[names.index("Moscow")] == 0
    ist = np.flatnonzero((sc.links.src == names.index("Moscow_SVO")) & (sc.links.dst == names.index("Istanbul")))
    assert em.link_cost[ist].tolist() == [1200] and em.link_cost[:2].tolist() == [0, 0]
    assert em.cost_of_living[names.index("Tbilisi")] == 25 and em.cost_of_living[names.index("Moscow")] == 0
    assert em.transit[names.index("Uralsk")] == 0.02 and em.transit[names.index("Istanbul")] == 0
    kinds = [(em.countries[p.country], p.kind) for p in em.policies]
    assert ("Kazakhstan", "stay_limit") in kinds and len(kinds) == 11
    permit = next(p for p in em.policies if p.kind == "residence_permit" and em.countries[p.country] == "Turkey")
    assert (permit.probability, permit.waiting_days, permit.cost, permit.days) == (0.8, 30, 150, 365)
    assert [em.countries[c] for c in em.home_countries] == ["Russia"]
    assert em.settings.return_hazard == 0.0005 and em.settings.visa_run_weight == 2


def test_docs_show_the_example_file_for_file():
    text = (REPO / "docs" / "native-format.md").read_text()
    section = text[text.index("## The emigration model"):]
    for name, content in FILES.items():
        m = re.search(rf"`{re.escape(name)}`\n```[a-z]*\n(.*?)```", section, re.S)
        assert m, f"docs/native-format.md must show {name} of the emigration example"
        assert m.group(1) == content, f"the docs' {name} differs from crossings.scenarios.emigration_demo"


def test_agent_columns_are_typed_and_their_bytes_documented():
    from crossings.engine.models.emigration.state import COLUMNS
    from crossings.engine.state import AgentTable

    t = AgentTable(columns=COLUMNS)
    assert t.bytes_per_agent == 80
    doc = (REPO / "docs" / "engine.md").read_text()
    assert "80 bytes per agent" in doc
    for name in COLUMNS:
        assert f"`{name}`" in doc, f"docs/engine.md must describe the emigration column {name!r}"




@pytest.mark.parametrize(("file", "old", "new", "field", "words"), [
    ("routes.csv", "Moscow,Moscow_SVO,road", "Moscow,Moscow_SVO,boat", "mode", "unknown mode"),
    ("routes.csv", "Moscow,Moscow_SVO,road,30,,", "Moscow,Moscow_SVO,road,30,,50", "seats_per_day", "only air"),
    ("routes.csv", "Moscow,Moscow_SVO,road,30,,", "Moscow,Moscow_SVO,road,30,2,", "duration_days", "only air"),
    ("routes.csv", "Moscow_SVO,Yerevan,air,,1,40", "Moscow_SVO,Yerevan,air,,1,-40", "seats_per_day", "negative"),
    ("routes.csv", "Moscow_SVO,Yerevan,air,,1,40", "Moscow_SVO,Yerevan,air,,0,40", "duration_days", "positive"),
    ("routes.csv", "Moscow_SVO,Yerevan,air,,1,40", "Moscow_SVO,Upper_Lars,air,,1,40", "to", "crossing"),
    ("routes.csv", "Moscow,Vladikavkaz,road,1800", "Moscow,Vladikavkaz,road,", "distance_km", "needs a distance"),
    ("routes.csv", "Upper_Lars,Tbilisi,road", "Vladikavkaz,Tbilisi,road", "to", "must start or end at a crossing"),
    ("crossings.csv", "Syrym,car,40", "Syrim,car,40", "crossing", "unknown crossing"),
    ("crossings.csv", "Syrym,car,40", "Samara,car,40", "crossing", "not a crossing"),
    ("crossings.csv", "Syrym,car,40", "Syrym,car,-40", "capacity_per_day", "negative"),
    ("crossings.csv", "Syrym,car,40", "Syrym,bicycle,40", "mode", "unknown mode"),
    ("crossings.csv", "Syrym,foot,10", "Syrym,car,10", "mode", "already given"),
    ("departures.csv", "Samara,*,0.0004", "Samara,*,1.5", "daily_hazard", "not a probability"),
    ("departures.csv", "Samara,*,0.0004", "Samara,pacifist,0.0004", "category", "unknown category"),
    ("departures.csv", "Samara,*,0.0004", "Tbilisi,*,0.0004", "origin", "not an origin"),
    ("events.csv", "departure_hazard,*,war_objector,20", "departure_hazard,Atlantis,war_objector,20", "target",
     "unknown origin"),
    ("events.csv", "bar_mode,Upper_Lars,foot,,,,no", "bar_mode,Lower_Lars,foot,,,,no", "target", "unknown crossing"),
    ("events.csv", "bar_mode,Upper_Lars,foot,,,,no", "bar_mode,Upper_Lars,bicycle,,,,no", "other", "unknown mode"),
    ("events.csv", "close_crossing,Syrym,", "close_crossing,Tbilisi,", "target", "not a crossing"),
    ("events.csv", "close_air_route,Moscow_SVO,Istanbul", "close_air_route,Moscow_SVO,Tbilisi", "other",
     "no air route"),
    ("events.csv", "close_crossing,Syrym,,,", "close_road,Moscow,Tbilisi,,", "other", "no road from 'Moscow'"),
    ("events.csv", "close_crossing,Syrym,,,", "close_road,Moscow_SVO,Istanbul,,", "other", "an air route"),
    ("events.csv", "close_crossing,Syrym,,,", "close_road,Atlantis,Tbilisi,,", "target", "unknown location"),
    ("events.csv", "close_crossing,Syrym,,,", "close_road,Moscow,Vladikavkas,,", "other", "unknown location"),
    ("events.csv", "close_crossing,Syrym,,,", "close_road,Moscow,Vladikavkaz,2,", "value", "takes no value"),
    ("events.csv", "war_objector,20,male", "war_objector,20,man", "sex", "unknown sex"),
    ("events.csv", "2022-09-21,2022-10-28,departure_hazard,*,war_objector,20",
     "2022-09-21,2022-09-01,departure_hazard,*,war_objector,20", "until", "not after"),
    ("events.csv", ",close_crossing,", ",close_border,", "event", "unknown event"),
    ("events.csv", "close_crossing,Syrym,,,", "capacity,Syrym,car,,", "value", "needs a multiplier"),
    ("events.csv", "close_crossing,Syrym,,,", "capacity,Syrym,car,-2,", "value", "not a non-negative multiplier"),
    ("events.csv", "close_crossing,Syrym,,,", "capacity,Syrym,bicycle,2,", "other", "unknown mode"),
    ("events.csv", "close_crossing,Syrym,,,", "capacity,Tbilisi,*,2,", "target", "not a crossing"),
    ("locations.csv", "Samara,origin", "Samara,camp", "kind", "unknown kind"),
    ("locations.csv", "28.98,0,2", "28.98,0,-2", "attractiveness", "negative"),
    ("scenario.yml", "travel_mode: {car: 0.8, foot: 0.2}", "travel_mode: {car: 0.8, horse: 0.2}",
     "agents.travel_mode", "unknown value"),
    ("scenario.yml", "sex: {female: 0.4, male: 0.6}", "sex: {female: 0.4, male: 0.7}", "agents.sex", "add up"),
    ("scenario.yml", "  max_hops: 4", "  max_hop: 4", "emigration.max_hop", "max_hops"),
    ("scenario.yml", "  max_hops: 4", "  max_hops: -4", "emigration.max_hops", "outside"),
    ("scenario.yml", "model: emigration", "model: migration", "model", "not one of"),
    ("scenario.yml", "  return_hazard: 0.0005", "  return_hazard: 2", "emigration.return_hazard", "outside"),
    ("routes.csv", "Moscow_SVO,Istanbul,air,,1,60,1200", "Moscow_SVO,Istanbul,air,,1,60,-5", "cost", "non-negative"),
    ("locations.csv", "0,2,35,", "0,2,-35,", "cost_of_living", "non-negative"),
    ("locations.csv", "0,1,12,0.02", "0,1,12,2", "transit", "probability"),
    ("locations.csv", "Vladikavkaz,town,Russia,North Ossetia,43.02,44.68,0,,,",
     "Vladikavkaz,town,Russia,North Ossetia,43.02,44.68,0,,,0.1", "transit", "only destinations"),
    ("events.csv", "return_hazard,*,*,3,male,18-29", "return_hazard,*,*,,male,18-29", "value", "multiplier"),
    ("policies.csv", "Georgia,visa_free,365", "Georgie,visa_free,365", "country", "unknown country"),
    ("policies.csv", "Georgia,visa_free,365", "Russia,visa_free,365", "country", "holds origins"),
    ("policies.csv", "Georgia,visa_free,365", "Georgia,visa_for_free,365", "policy", "unknown policy"),
    ("policies.csv", "Georgia,visa_free,365", "Georgia,visa_free,", "days", "needs days"),
    ("policies.csv", "Georgia,visa_free,365", "Georgia,visa_free,0", "days", "number of days"),
    ("policies.csv", "Turkey,stay_limit,90,180", "Turkey,stay_limit,90,", "window_days", "needs window_days"),
    ("policies.csv", "Turkey,stay_limit,90,180", "Turkey,stay_limit,190,180", "days", "do not fit"),
    ("policies.csv", "Serbia,residence_permit,365,,0.5", "Serbia,residence_permit,365,,1.5", "probability",
     "not a probability"),
    ("policies.csv", "Serbia,visa_free,30,,", "Serbia,visa_free,30,,0.5", "probability", "takes no probability"),
    ("policies.csv", "2022-09-15,,Georgia", "2022-09-01,,Georgia", "date", "before the start"),
    ("policies.csv", "2022-09-15,,Georgia", "2022-09-15,2022-09-15,Georgia", "until", "not after"),
])
def test_validation_names_file_line_and_field(demo, file, old, new, field, words, replace_once, scenario_error):
    replace_once(demo / file, old, new)
    err = scenario_error(demo)
    assert Path(err.file).name == file, f"expected an error in {file}, got {err}"
    assert err.line is not None and err.line >= 1, f"expected a line number, got {err}"
    assert err.field == field, f"expected field {field!r}, got {err}"
    assert words in err.problem, f"expected {words!r} in {err.problem!r}"


def test_close_road_names_one_direction_of_a_road_and_the_report_says_which(demo, replace_once):
    from crossings.report.data import _emigration_events

    replace_once(demo / "events.csv", "close_crossing,Syrym,,,", "close_road,Vladikavkaz,Upper_Lars,,")
    sc = cx.load_scenario(demo)
    names = sc.locations.name
    e = next(e for e in sc.emigration.events if e.kind == "close_road")
    assert (names[e.target], names[e.other], e.start, e.end) == ("Vladikavkaz", "Upper_Lars", 16, 19)
    texts = {(x["day"], x["kind"], x["text"]) for x in _emigration_events(sc, sc.length)}
    assert (16, "closure", "road Vladikavkaz → Upper_Lars closed") in texts
    assert (19, "opening", "road Vladikavkaz → Upper_Lars reopens") in texts


def test_missing_departures_and_stray_flee_files_are_errors(demo, scenario_error):
    (demo / "departures.csv").unlink()
    assert "missing" in scenario_error(demo).problem
    write_emigration_demo(demo)
    (demo / "observed.csv").write_text("series,date,value\ntotal,2022-09-15,1\n")
    assert Path(scenario_error(demo).file).name == "observed.csv"


def test_flee_model_rejects_emigration_features(demo_dir, tmp_path, replace_once, scenario_error):
    from crossings.api import convert

    native = convert(demo_dir, tmp_path / "flee-native")
    replace_once(native / "routes.csv", "Capital,Hilltown,road,120", "Capital,Hilltown,air,120")
    err = scenario_error(native)
    assert err.field == "mode" and "model: emigration" in err.problem
    native = convert(demo_dir, tmp_path / "flee-native2")
    replace_once(native / "locations.csv", "Hilltown,town", "Hilltown,airport")
    err = scenario_error(native)
    assert err.field == "kind" and "model: emigration" in err.problem
    native = convert(demo_dir, tmp_path / "flee-native3")
    (native / "crossings.csv").write_text("crossing,mode,capacity_per_day\n")
    assert Path(scenario_error(native).file).name == "crossings.csv"
    (native / "crossings.csv").unlink()
    (native / "policies.csv").write_text("date,until,country,policy\n")
    assert Path(scenario_error(native).file).name == "policies.csv"
    native = convert(demo_dir, tmp_path / "flee-native4")
    replace_once(native / "events.csv", "close_border,Arland,Belmark", "close_road,Capital,Hilltown")
    err = scenario_error(native)
    assert err.field == "event" and "close_road" in err.problem and "needs model: emigration" in err.problem


def test_emigration_scenarios_are_not_written_back_as_flee(demo, tmp_path):
    from crossings.api import convert

    with pytest.raises(InputError, match="emigration scenario") as e:
        convert(demo, tmp_path / "out")
    assert e.value.field == "convert" and not (tmp_path / "out").exists(), str(e.value)


def test_cli_convert_of_an_emigration_scenario_is_one_line_and_exit_2(demo, tmp_path, capsys):
    from crossings.cli.main import main

    assert main(["convert", str(demo), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "emigration scenario" in err[0], err


def test_cli_run_writes_country_and_crossing_tables(demo, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "crossings", "run", str(demo), "--out", str(out), "--quiet",
                           "--check", "--days", "20"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    countries = pq.read_table(out / "countries.parquet").to_pandas()
    assert set(countries.columns) >= {"day", "date", "country", "n_in_country", "new_entries", "new_exits",
                                      "new_left_home"}
    assert len(countries) == 20 * 6
    crossings = pq.read_table(out / "crossings.parquet").to_pandas()
    assert set(crossings.columns) >= {"crossing", "country", "mode", "n_queue", "new_passages", "mean_wait_days"}
    assert len(crossings) == 20 * 2 * 2
    assert set(crossings["mode"]) == {"car", "foot"}
    locations = pq.read_table(out / "locations.parquet").to_pandas()
    assert "n_at_home" in locations.columns
    assert (out / "summary.json").is_file() and not (out / "out.csv").exists()
    import csv

    with open(out / "observations.csv", newline="") as fh:
        obs = list(csv.DictReader(fh))
    assert list(obs[0]) == ["date_or_period_start", "period_end", "destination_country", "crossing_or_city",
                            "measure", "value"]
    assert {r["date_or_period_start"] for r in obs} == {"2022-09-15"} and {r["period_end"] for r in obs} == \
        {"2022-10-04"}
    entries = {r["destination_country"]: int(r["value"]) for r in obs
               if r["crossing_or_city"] == "country" and r["measure"] == "entries"}
    assert entries == {r.country: r.new_entries for r in countries.groupby("country", observed=True)
                       .new_entries.sum().reset_index().itertuples()}
    import json

    summary = json.loads((out / "summary.json").read_text())
    # the table's bytes per agent: the model's 80 and the columns the rules and the tally keep for themselves
    from crossings.engine.models.emigration import counters
    from crossings.engine.models.emigration.money import Money
    from crossings.engine.models.emigration.onward import Onward
    from crossings.engine.models.emigration.returns import Returns

    own = {**counters.SEEN, **Returns.clock, **Onward.clock, **Money.costs}
    assert summary["model"] == "emigration" and summary["bytes_per_agent"] == 80 + sum(
        np.dtype(dt).itemsize for dt, _ in own.values())


def test_flee_results_keep_their_tables(demo_dir):
    res = cx.run(demo_dir, seed=1, days=5)
    assert list(res.location_table())[4:] == ["n_present", "new_spawned", "new_arrivals", "new_departures"]
    assert list(res.link_table())[4:] == ["n_on_link", "new_link_entries", "new_link_exits"]
    assert "model" not in res.summary()
    with pytest.raises(ValueError, match="no table 'countries'; its tables are locations, links, camps"):
        res.to_frame("countries")


def test_cli_bad_emigration_input_exits_2_with_one_line(demo, tmp_path, replace_once):
    replace_once(demo / "crossings.csv", "Syrym,car,40", "Syrym,car,-1")
    proc = subprocess.run([sys.executable, "-m", "crossings", "run", str(demo), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0].split(": ")[0].endswith("crossings.csv:4") and "capacity_per_day" in lines[0], lines[0]


def test_the_scenario_chooses_the_plan(demo, demo_dir):
    names = [r.name for r in cx.Simulation(cx.load_scenario(demo)).plan]
    assert names == ["timeline", "entry_policies", "departures", "returns", "stay_limits", "onward", "route_choice",
                     "travel", "border_queues", "flights", "money"]
    flee = [r.name for r in cx.Simulation(cx.load_scenario(demo_dir)).plan]
    assert flee == ["conflicts", "location_changes", "spawn", "conflict_spawn", "capacity_growth", "closures",
                    "scores", "returns", "move", "travel"], "the Flee plan stays the default (optional rules off)"


def test_memory_estimate_counts_the_expected_leavers(demo):
    from crossings.engine.resources import estimate_bytes, expected_agents

    sc = cx.load_scenario(demo)
    n = expected_agents(sc, sc.length)
    actual = len(_run_agents(sc))
    assert abs(actual - n) <= 5 * np.sqrt(n) + 1, f"estimate {n} for {actual} actual leavers"
    assert estimate_bytes(sc, sc.length) >= n * 68


def _run_agents(sc):
    sim = cx.Simulation(sc, seed=0)
    sim.run()
    return sim.agents
