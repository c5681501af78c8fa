"""Ensembles, sensitivity and calibration of emigration scenarios: named parameters applied to members, the fit
of each member against observed.csv, byte-identical ensembles on one and two workers, a calibration that
recovers the hazard behind synthetic observations and writes it back into scenario.yml, one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

import crossings as cx
from crossings.cli.main import main as cli
from crossings.ensemble.calibrate import write_parameters, yaml_number
from crossings.ensemble.member import ParamSpec, parse_scenario_param, run_member, with_params, with_scenario_parameters
from crossings.ensemble.sensitivity import check_output

pytest.importorskip("distributed", reason="ensembles need Dask: pip install -e '.[ensemble]'")
pytest.importorskip("optuna", reason="calibration needs Optuna: pip install -e '.[ensemble]'")

TRUE_HAZARD = 0.004
TRUTH_SEED = 424242

SCENARIO_YML = """\
# a tiny emigration scenario for the tests: one origin, a crossing, two destinations
format: crossings-native/1
model: emigration
name: tiny-hazard
start_date: '2022-09-15'
days: 30
home_country: Russia
people_per_agent: 1
parameters:
  hazard: {value: 0.002, low: 0.0005, high: 0.02, source: "test: daily hazard of leaving"}  # to calibrate
  speed: 600   # car speed, no range
  stay:
    value: 0.5   # block form: daily chance of moving on from Tbilisi
    low: 0.1
    high: 0.9
agents:
  category: {objector: 0.5, other: 0.5}
emigration:
  car_speed_km_per_day: $speed
"""
FILES = {
    "locations.csv": "name,kind,country,population,attractiveness,transit\nMoscow,origin,Russia,20000,,\n"
                     "Upper_Lars,crossing,Russia,0,,\nTbilisi,destination,Georgia,0,1,$stay\n"
                     "Yerevan,destination,Armenia,0,1,\n",
    "routes.csv": "from,to,mode,distance_km,duration_days,seats_per_day,cost\nMoscow,Upper_Lars,road,1200,,,\n"
                  "Upper_Lars,Tbilisi,road,170,,,\nMoscow,Yerevan,air,,1,,\nTbilisi,Yerevan,air,,1,,\n",
    "departures.csv": "origin,category,daily_hazard\nMoscow,*,$hazard\n",
}
# rows to score: (start, end, country, measure, sim, role)
ROWS = [("2022-09-15", "2022-10-04", "Georgia", "entries", "entries(country=Georgia)", "calibration"),
        ("2022-09-15", "2022-10-14", "All", "emigrants", "left_home(category=*)", "calibration"),
        ("2022-10-14", "", "Armenia", "stock", "stock(country=Armenia)", "validation")]
HEAD = "date_or_period_start,period_end,destination_country,crossing_or_city,measure,value,low,high,sim,role\n"


def _observed(values: list[float]) -> str:
    """observed.csv with each row's value and an accepted band of ±3 %."""
    lines = [HEAD]
    for (start, end, country, measure, sim, role), v in zip(ROWS, values, strict=True):
        lines.append(f"{start},{end},{country},all,{measure},{v:g},{0.97 * v:g},{1.03 * v:g},{sim},{role}\n")
    return "".join(lines)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny scenario with observations made by a run with hazard TRUE_HAZARD (seed TRUTH_SEED)."""
    from crossings.observed import RunTables, fit_rows, read_observed

    root = tmp_path_factory.mktemp("tiny") / "tiny"
    root.mkdir()
    (root / "scenario.yml").write_text(SCENARIO_YML)
    for name, text in FILES.items():
        (root / name).write_text(text)
    (root / "observed.csv").write_text(_observed([1.0] * len(ROWS)))
    truth = cx.run(cx.load_scenario(root, parameters={"hazard": TRUE_HAZARD}), seed=TRUTH_SEED)
    rows = fit_rows(RunTables.from_results(truth), read_observed(root / "observed.csv"))
    assert all(r.status == "scored" and r.simulated for r in rows)
    (root / "observed.csv").write_text(_observed([float(r.simulated) for r in rows]))
    return root


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


# ---- members and parameters --------------------------------------------------------------------------------

def test_a_member_applies_named_parameters_and_is_pure(tiny: Path) -> None:
    sc = cx.load_scenario(tiny)
    low = run_member(tiny, {"hazard": 0.001}, 11)
    again = run_member(sc, {"hazard": 0.001}, 11)
    high = run_member(sc, {"hazard": 0.008}, 11)
    assert low.fit is not None and high.fit is not None
    assert np.array_equal(low.fit.simulated, again.fit.simulated)  # same arguments, same result
    assert all(np.array_equal(low.series[k], again.series[k]) for k in low.series)
    assert low.fit.simulated[1] < high.fit.simulated[1]  # more leave with a higher hazard
    assert low.fit.loss_of("calibration") != high.fit.loss_of("calibration")
    assert set(low.series) == {"n_present", "n_in_country", "n_emigrants_in_country", "new_entries", "new_exits",
                               "new_left_home", "new_returns", "new_visa_runs", "new_permits_granted", "n_permits",
                               "cat_left_home", "cat_returned", "cat_away", "n_queue", "new_passages",
                               "sum_wait_days"}  # what the report draws; not every series (links stay out)
    assert low.ard == {} and low.camp_sim.shape == (30, 0)
    # the same as a plain run of the scenario read with that parameter
    direct = cx.run(cx.load_scenario(tiny, parameters={"hazard": 0.001}), seed=11)
    assert np.array_equal(direct.series["new_entries"], low.series["new_entries"])
    changed = with_params(sc, {"hazard": 0.001})
    assert dict(changed.parameters)["hazard"] == 0.001 and dict(sc.parameters)["hazard"] == 0.002
    rebuilt = with_scenario_parameters(sc, {"hazard": 0.001})
    assert rebuilt.parameters == changed.parameters and np.array_equal(rebuilt.emigration.hazard,
                                                                       changed.emigration.hazard)
    assert rebuilt.source is sc.source, "built again from the files parsed once, not read again"
    with pytest.raises(cx.InputError, match="outside"):
        with_params(sc, {"hazard": 0.5})
    lean = run_member(sc, {}, 3, keep_series=False, outputs=("loss_calibration", "new_entries@Georgia", "row@4"))
    assert lean.series is None and lean.outputs["row@4"] == lean.fit.simulated[2]
    assert lean.outputs["loss_calibration"] == pytest.approx(lean.fit.loss_of("calibration"))


def test_params_parse_against_scenario_yml(tiny: Path) -> None:
    sc = cx.load_scenario(tiny)
    p = parse_scenario_param("hazard", sc, need_range=True)  # the range scenario.yml gives
    assert (p.low, p.high, p.log) == (0.0005, 0.02, True)
    assert p.value(0.0) == pytest.approx(0.0005) and p.value(1.0) == pytest.approx(0.02)
    assert p.value(0.5) == pytest.approx((0.0005 * 0.02) ** 0.5)  # uniform in log
    lin = parse_scenario_param("stay=0.2:0.8", sc)
    assert not lin.log and lin.value(0.5) == pytest.approx(0.5) and isinstance(lin, ParamSpec) and lin.named
    assert parse_scenario_param("hazard=0.001:0.002:lin", sc).log is False
    assert parse_scenario_param("speed=900", sc).fixed  # no range in scenario.yml: any value
    for text, problem in [("hazrd=0.1", "did you mean 'hazard'"), ("hazard=0.5", "outside"),
                          ("hazard=0.01:0.001", "empty"), ("speed", "no low and high"), ("hazard=x", "not a number"),
                          ("stay=0.5", "not a range")]:
        with pytest.raises(cx.InputError, match=problem):
            parse_scenario_param(text, sc, need_range=text.startswith("stay"))
    from crossings.cli.ensemble import load_params_file

    fitted = tiny.parent / "fitted.yml"
    fitted.write_text("parameters:\n  hazard: 0.003\n  stay: 0.4\nprovenance: {budget: 3}\n")
    assert [(p.name, p.low, p.fixed) for p in load_params_file(fitted, sc)] == [("hazard", 0.003, True),
                                                                               ("stay", 0.4, True)]
    fitted.write_text("parameters:\n  hazard: 0.9\n")
    with pytest.raises(cx.InputError, match="outside"):
        load_params_file(fitted, sc)
    assert check_output(sc, "new_entries@Georgia") == "new_entries@Georgia"
    with pytest.raises(cx.InputError, match="did you mean 'Georgia'"):
        check_output(sc, "new_entries@Gorgia")


# ---- ensembles -----------------------------------------------------------------------------------------------

def test_ensemble_is_byte_identical_on_one_and_two_workers(tmp_path: Path) -> None:
    sc = _copy(cx.api.resolve_bundled("russia2022"), tmp_path / "russia2022")  # a copy: others may edit the original
    outs = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        assert cli(["ensemble", str(sc), "--members", "3", "--workers", str(workers), "--days", "40", "--seed", "5",
                    "--out", str(out), "--quiet"]) == 0
        outs.append(out)
    for name in ("quantiles.parquet", "members.csv", "fit.csv", "bands/countries.parquet",
                 "bands/locations.parquet", "bands/categories.parquet", "bands/crossings.parquet",
                 "bands/summary.json", "report.html"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    doc = json.loads((outs[0] / "ensemble.json").read_text())
    assert doc["model"] == "emigration" and doc["runs"] == 3 and set(doc["fit"]["loss"]) == {"calibration",
                                                                                            "validation"}
    import pyarrow.parquet as pq

    t = pq.ParquetFile(outs[0] / "bands" / "countries.parquet").read()
    assert {"country", "n_in_country", "n_in_country_q05", "n_in_country_q95", "new_entries_q95",
            "n_emigrants_in_country_q05", "n_emigrants_in_country_q95"} <= set(t.column_names)
    fit = (outs[0] / "fit.csv").read_text().splitlines()
    assert fit[0].startswith("line,period_start") and "simulated_q50" in fit[0] and len(fit) > 10


def test_ensemble_report_has_the_emigration_sections_and_the_fit_of_the_median(tmp_path: Path) -> None:
    """The ensemble's page is drawn like a run's (countries, crossings, who left, the fit table) from the
    members' medians in bands/, in people, and its fit rows carry the members' spread."""
    import pyarrow.parquet as pq

    from crossings.api import read_run
    from crossings.report import data as rdata

    sc = _copy(cx.api.resolve_bundled("russia2022"), tmp_path / "russia2022")
    out = tmp_path / "ens"
    assert cli(["ensemble", str(sc), "--members", "3", "--workers", "1", "--days", "220", "--seed", "5",
                "--out", str(out), "--quiet"]) == 0
    bands = out / "bands"
    summary = json.loads((bands / "summary.json").read_text())
    assert summary["people_per_agent"] == 100 and summary["home_countries"] == ["Russia"]
    crossings = pq.ParquetFile(bands / "crossings.parquet").read()
    assert {"crossing", "mode", "n_queue", "n_queue_q05", "n_queue_q95", "new_passages"} <= set(
        crossings.column_names)
    # shaped like a run's crossings.parquet: the gate dimension's key columns after day and date
    assert crossings.column_names[:5] == ["day", "date", "crossing", "country", "mode"]
    em = rdata.collect(read_run(bands))["emigration"]
    assert em is not None and em["people_per_agent"] == 100
    # the Georgia chart's people present is the members' median in people (agents × 100)
    t = pq.ParquetFile(bands / "countries.parquet").read().to_pydict()
    last = max(t["day"])
    med = [v for d, c, v in zip(t["day"], t["country"], t["n_in_country"], strict=True)
           if d == last and c == "Georgia"][0]
    chart = next(c for c in em["countries"] if c["title"] == "Georgia")
    present = next(s for s in chart["series"] if s["key"] == "present")
    assert present["values"][-1] == pytest.approx(100 * med)
    # stocks carry the members' 5-95 % band in people; running totals of flows do not (no band of a sum)
    q05, q95 = ([v for d, c, v in zip(t["day"], t["country"], t[col], strict=True) if d == last and c == "Georgia"][0]
                for col in ("n_in_country_q05", "n_in_country_q95"))
    assert present["lo"][-1] == pytest.approx(100 * q05) and present["hi"][-1] == pytest.approx(100 * q95)
    assert all(lo <= v <= hi for lo, v, hi in zip(present["lo"], present["values"], present["hi"], strict=True))
    assert "lo" not in next(s for s in chart["series"] if s["key"] == "entries")
    away = next(s for c in em["categories"] if c["id"] == "category-war_objector" for s in c["series"]
                if s["key"] == "away")
    assert len(away["lo"]) == len(away["values"])
    assert any(c["title"].startswith("Upper_Lars") for c in em["crossings"]), "the Upper Lars queue is drawn"
    # the fit table: medians compared, with the members' spread beside them
    fit = em["fit"]
    ens = {r["line"]: r for r in json.loads((bands / "summary.json").read_text())["fit"]["rows"]}
    rows = [r for r in fit["rows"] if r["status"] == "scored"]
    assert fit["summary"]["members"] == 3 and rows
    for r in rows:
        assert r["simulated_q05"] <= r["simulated"] <= r["simulated_q95"]
        assert 0 <= r["share_inside_if_centred"] <= 1 and r["inside"] == ens[r["line"]]["inside"]
    csv_rows = {int(x.split(",")[0]): x for x in (out / "fit.csv").read_text().splitlines()[1:]}
    assert set(csv_rows) == {r["line"] for r in fit["rows"]}


def test_ensemble_draws_parameters_per_member(tiny: Path, local_client: object, tmp_path: Path) -> None:
    from crossings.ensemble import run_ensemble

    sc = cx.load_scenario(tiny)
    res = run_ensemble(sc, 6, seed=1, params=[parse_scenario_param("hazard", sc)], client=local_client)
    hz = [p["hazard"] for p in res.member_params]
    assert len(set(hz)) == 6 and all(0.0005 <= h <= 0.02 for h in hz)
    left = res.fit.per_member  # members with a higher hazard have more leavers (the loss differs)
    assert np.isfinite(left["loss_calibration"]).all()
    row = res.fit.rows[1]
    assert row["members_scored"] == 6 and row["simulated_q05"] <= row["simulated_q50"] <= row["simulated_q95"]
    res.write(tmp_path / "ens")
    assert not (tmp_path / "ens" / "report.html").exists(), "the library writes the results only"
    cx.api.write_ensemble_report(res, tmp_path / "ens")  # the page, as the command line draws it
    members = (tmp_path / "ens" / "members.csv").read_text().splitlines()
    assert members[0] == "member,seed,hazard,agents_final,loss_calibration,loss_validation,scored,inside"
    assert (tmp_path / "ens" / "report.html").stat().st_size > 10_000


def test_a_report_that_cannot_be_drawn_is_a_notice(tiny: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    """The command line draws report.html after the results are written; a page it cannot draw is a notice on
    stderr, not a failed command, and the results stay."""
    def broken(*args: object, **kw: object) -> None:
        raise RuntimeError("no page today")

    monkeypatch.setattr(cx.api, "write_report", broken)
    out = tmp_path / "ens"
    code = cli(["ensemble", str(tiny), "--members", "2", "--workers", "1", "--days", "10", "--out", str(out),
                "--quiet"])
    assert code == 0 and "notice: no report.html (RuntimeError: no page today)" in capsys.readouterr().err
    assert (out / "ensemble.json").is_file() and (out / "bands" / "summary.json").is_file()
    assert not (out / "report.html").exists()


# ---- calibration -----------------------------------------------------------------------------------------------

def test_calibration_recovers_the_hazard_and_writes_it_back(tiny: Path, tmp_path: Path, capsys) -> None:
    target = _copy(tiny, tmp_path / "target")
    before = (target / "scenario.yml").read_text()
    out = tmp_path / "fit"
    code = cli(["calibrate", str(tiny), "--param", "hazard", "--budget", "20", "--batch", "4", "--check-runs", "3",
                "--seed", "3", "--workers", "2", "--out", str(out), "--write-parameters", str(target)])
    err = capsys.readouterr().err
    assert code == 0, err
    doc = json.loads((out / "calibration.json").read_text())
    best = doc["best"]["hazard"]
    assert abs(best / TRUE_HAZARD - 1) < 0.15, doc["best"]  # recovered roughly
    assert doc["ranges"]["hazard"] == {"low": 0.0005, "high": 0.02, "scale": "log"}
    assert doc["trials"] == 20 and doc["seed"] == 3 and "crossings calibrate" in doc["command"]
    assert doc["cpu_seconds"]["members"] > 0 and doc["wall_seconds"] > 0
    assert {"calibration", "validation"} <= set(doc["fit"]) and doc["fit"]["calibration"]["loss"]["n"] == 3
    assert doc["fit"]["calibration"]["loss"]["mean"] < doc["scenario_values_fit"]["calibration"]["loss"]["mean"]
    fitted = yaml.safe_load((out / "fitted.yml").read_text())
    assert fitted["parameters"]["hazard"] == best
    assert len((out / "calibration_trials.csv").read_text().splitlines()) == 21
    # written back: only the hazard's value changed, comments and the rest kept
    after = (target / "scenario.yml").read_text()
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert len(changed) == 1 and changed[0][1].startswith("  hazard: {value: ") and "# to calibrate" in changed[0][1]
    assert dict(cx.load_scenario(target).parameters)["hazard"] == pytest.approx(best, rel=1e-5)
    assert json.loads((target / "calibration.json").read_text())["best"] == doc["best"]
    assert "validation" in err and "calibration" in err


def test_calibration_is_the_same_for_the_same_seed(tiny: Path, local_client: object) -> None:
    from crossings.ensemble import run_calibration

    sc = cx.load_scenario(tiny)
    spec = [parse_scenario_param("hazard", sc, True), parse_scenario_param("stay", sc, True)]
    a = run_calibration(sc, spec, 6, batch=3, check_runs=2, seed=9, client=local_client, days=20)
    b = run_calibration(sc, spec, 6, batch=3, check_runs=2, seed=9, client=local_client, days=20)
    assert a.trials == b.trials and a.best == b.best and a.fit == b.fit


def test_cmaes_calibration_starts_at_the_scenario_values_and_is_reproducible(tiny: Path,
                                                                           local_client: object) -> None:
    from crossings.ensemble import run_calibration

    sc = cx.load_scenario(tiny)
    own = dict(sc.parameters)
    spec = [parse_scenario_param("hazard", sc, True), parse_scenario_param("stay", sc, True)]
    a = run_calibration(sc, spec, 7, batch=3, check_runs=1, seed=4, client=local_client, days=20, sampler="cmaes")
    b = run_calibration(sc, spec, 7, batch=3, check_runs=1, seed=4, client=local_client, days=20, sampler="cmaes")
    assert a.trials == b.trials and a.best == b.best
    first = a.trials[0][0]
    assert first == pytest.approx({"hazard": own["hazard"], "stay": own["stay"]}), "the first set is the start"
    assert len(a.trials) == 7 and len({tuple(sorted(p.items())) for p, _ in a.trials}) == 7
    assert "CmaEsSampler" in a.provenance()["optimiser"]
    for p, _ in a.trials:  # proposals stay inside the ranges
        assert all(s.low <= p[s.name] <= s.high for s in spec)


def test_cmaes_sampler_is_refused_for_flee_scenarios(tmp_path: Path, capsys) -> None:
    from crossings.scenarios.demo import write_demo

    demo = write_demo(tmp_path / "demo")
    code = cli(["calibrate", str(demo), "--param", "camp_weight=1:5", "--budget", "2", "--sampler", "cmaes",
                "--out", str(tmp_path / "fit")])
    err = capsys.readouterr().err
    assert code == 2 and "--sampler" in err and "Flee scenarios use tpe" in err and "Traceback" not in err
    assert not (tmp_path / "fit").exists()


def test_write_parameters_edits_only_the_numbers(tmp_path: Path) -> None:
    root = tmp_path / "sc"
    root.mkdir()
    text = SCENARIO_YML + "# trailing comment\n"
    (root / "scenario.yml").write_text(text)
    src = tmp_path / "calibration.json"
    src.write_text("{}\n")
    write_parameters(root, {"hazard": 3.25e-5, "speed": 712.0, "stay": 0.25}, src)
    new = (root / "scenario.yml").read_text()
    doc = yaml.safe_load(new)["parameters"]
    assert doc["hazard"]["value"] == 3.25e-5 and doc["speed"] == 712 and doc["stay"]["value"] == 0.25
    assert "  speed: 712   # car speed, no range\n" in new and "    value: 0.25   # block form" in new
    assert new.endswith("# trailing comment\n") and len(new.splitlines()) == len(text.splitlines())
    assert (root / "calibration.json").read_text() == "{}\n"
    assert [yaml_number(x) for x in (2e-5, 1.5e6, 9.0, 0.125)] == ["2.0e-05", "1.5e+06", "9", "0.125"]
    assert all(isinstance(yaml.safe_load(yaml_number(x)), int | float) for x in (2e-5, 3.3e-7, 1e20))
    with pytest.raises(cx.InputError, match="declares no parameter 'other'"):
        write_parameters(root, {"other": 1.0})


# ---- errors -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["ensemble", "{sc}", "--members", "2", "--param", "hazrd=0.003"],
    ["ensemble", "{sc}", "--members", "2", "--param", "hazard=0.5"],
    ["ensemble", "{sc}", "--members", "2", "--exact-limit", "-1"],
    ["sensitivity", "{sc}", "--param", "hazard=0.001", "--samples", "2"],
    ["calibrate", "{sc}", "--param", "camp_weight=1:2", "--budget", "2"],
    ["calibrate", "{sc}", "--param", "hazard", "--budget", "2", "--loss", "ard_normal"],
    ["calibrate", "{sc}", "--param", "hazard", "--budget", "2", "--write-parameters", "{tmp}"],
])
def test_bad_params_exit_2_with_one_line(tiny: Path, tmp_path: Path, capsys, argv: list[str]) -> None:
    args = [a.format(sc=tiny, tmp=tmp_path) for a in argv] + ["--out", str(tmp_path / "out")]
    assert cli(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and ": " in err, err
    assert not (tmp_path / "out").exists()


# ---- ensembles that scale in members -------------------------------------------------------------------------

def test_a_large_ensemble_is_reduced_on_the_workers_alike_on_any_cluster(local_client: object) -> None:
    from crossings.ensemble import run_ensemble

    sc = cx.load_scenario("russia2022")
    kw = {"seed": 4, "days": 30, "exact_limit": 3}
    one = run_ensemble(sc, 9, workers=1, pilot=4, batch=2, **kw)
    two = run_ensemble(sc, 9, client=local_client, pilot=4, batch=3, **kw)
    exact = run_ensemble(sc, 9, client=local_client, seed=4, days=30)
    assert one.method["method"] == "histogram" and exact.method["method"] == "exact"
    assert one.quantile_table().equals(two.quantile_table())  # batching and workers change no bit
    assert one.fit.csv() == two.fit.csv() == exact.fit.csv()  # the fit per row is exact in both
    assert one.members_csv() == exact.members_csv()
    for name, q in exact.quantiles.items():
        bound = one.method["error_bound"][name]["max"]
        assert np.abs(one.quantiles[name] - q).max() <= bound, name
        assert np.allclose(one.mean[name], exact.mean[name], rtol=1e-12, atol=0), name
    assert any(v["max"] > 0 for v in one.method["error_bound"].values())  # some bins wider than one unit
    doc = one.summary()
    assert doc["quantile_method"]["pilot"] == 4 and doc["client_memory"]["peak_rss_bytes"] > 0
    assert set(doc["quantile_method"]["error_bound"]) == set(exact.quantiles)


def test_calibration_members_keep_no_series(tiny: Path, local_client: object, monkeypatch) -> None:
    import crossings.ensemble.calibrate as calibrate

    seen: list[object] = []
    real = calibrate.map_members

    def spy(*args: object, **kw: object):
        for i, res in real(*args, **kw):
            seen.append(res)
            yield i, res

    monkeypatch.setattr(calibrate, "map_members", spy)
    sc = cx.load_scenario(tiny)
    res = calibrate.run_calibration(sc, [parse_scenario_param("hazard", sc, True)], 3, batch=3, check_runs=1,
                                    seed=2, client=local_client, days=20)
    assert len(seen) == 3 + 2 and res.best_rows is not None
    for m in seen:
        assert m.series is None and m.camp_sim.shape == (20, 0)  # only what the loss needs: the fit arrays
        assert m.fit is not None and len(m.fit.lines) == len(ROWS)


def test_the_command_records_the_quantile_method_and_the_clients_memory(tiny: Path, tmp_path: Path) -> None:
    docs = {}
    for limit in ("2", "100"):
        out = tmp_path / limit
        assert cli(["ensemble", str(tiny), "--members", "5", "--exact-limit", limit, "--workers", "1", "--seed", "3",
                    "--out", str(out), "--quiet"]) == 0
        docs[limit] = json.loads((out / "ensemble.json").read_text())
        assert (out / "fit.csv").read_text().count("\n") == len(ROWS) + 1
        assert (out / "report.html").is_file() and (out / "bands" / "countries.parquet").is_file()
    assert docs["2"]["quantile_method"]["method"] == "histogram" and docs["2"]["quantile_method"]["pilot"] == 5
    assert docs["100"]["quantile_method"] == {"method": "exact", "exact_limit": 100,
                                              "what": "numpy.quantile (linear) over every member's series"}
    for doc in docs.values():
        assert doc["client_memory"]["peak_rss_bytes"] > 10 * 2**20
    assert docs["2"]["fit"] == docs["100"]["fit"]  # the fit per row is exact either way
