"""What-if runs (``crossings run SCENARIO --set '...'``, docs/whatif.md): every form of the syntax becomes the
intended row of the scenario's files, names and dates are checked with one-line errors naming the --set text,
a closed crossing really passes nobody, and summary.json records the changes."""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest

import crossings as cx
from crossings.cli.main import main
from crossings.errors import InputError
from crossings.scenarios.emigration_demo import write_emigration_demo

CLOSE_LARS = "event: close Upper Lars from 2022-09-22"  # day 7 of the demo


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return write_emigration_demo(tmp_path / "exodus-mini")


def load(demo: Path, *sets: str) -> cx.Scenario:
    return cx.load_scenario(demo, sets=list(sets))


def new_event(demo: Path, text: str) -> tuple[cx.Scenario, object]:
    """The scenario with ``text`` applied and the event it added (the last of the timeline)."""
    base = cx.load_scenario(demo)
    sc = load(demo, text)
    assert len(sc.emigration.events) == len(base.emigration.events) + 1
    return sc, sc.emigration.events[-1]


def digest(root: Path) -> str:
    return hashlib.sha256(b"".join(p.name.encode() + p.read_bytes() for p in sorted(root.iterdir()))).hexdigest()


# ---- each form becomes its row ---------------------------------------------------------------------------------

def test_close_crossing_from_a_date(demo):
    sc, e = new_event(demo, CLOSE_LARS)
    assert (e.kind, sc.locations.name[e.target], e.start, e.end) == ("close_crossing", "Upper_Lars", 7, -1)


@pytest.mark.parametrize("name", ["Upper Lars", "upper_lars", "UPPER-LARS", "  upper   lars ", "'Upper Lars'"])
def test_place_names_ignore_case_spaces_underscores_and_hyphens(demo, name):
    sc, e = new_event(demo, f"event: close {name} from 2022-09-22 until 2022-10-01")
    assert sc.locations.name[e.target] == "Upper_Lars" and (e.start, e.end) == (7, 16)


@pytest.mark.parametrize("mode,code", [("foot", 1), ("car", 0), ("pedestrians", 1)])
def test_bar_a_mode(demo, mode, code):
    sc, e = new_event(demo, f"event: bar {mode} at Syrym from 2022-10-01 until 2022-10-10")
    assert (e.kind, sc.locations.name[e.target], e.other, e.start, e.end) == ("bar_mode", "Syrym", code, 16, 25)


@pytest.mark.parametrize("text", ["event: close flights Moscow SVO - Istanbul from 2022-09-20",
                                  "event: close flights istanbul to moscow_svo from 2022-09-20",
                                  "Event: Close Flight Moscow-SVO – Istanbul From 2022-09-20"])
def test_close_an_air_route(demo, text):
    sc, e = new_event(demo, text)
    ends = {sc.locations.name[e.target], sc.locations.name[e.other]}
    assert e.kind == "close_air_route" and ends == {"Moscow_SVO", "Istanbul"} and (e.start, e.end) == (5, -1)


@pytest.mark.parametrize(("text", "ends"), [
    ("event: close road Vladikavkaz -> Upper Lars from 2022-09-28", ("Vladikavkaz", "Upper_Lars")),
    ("event: close road upper_lars to vladikavkaz from 2022-09-28", ("Upper_Lars", "Vladikavkaz")),
])
def test_close_a_road_one_way(demo, text, ends):
    sc, e = new_event(demo, text)
    names = sc.locations.name
    assert (e.kind, names[e.target], names[e.other], e.start, e.end) == ("close_road", *ends, 13, -1)


@pytest.mark.parametrize("text,mode,value", [
    ("event: capacity Upper Lars car x0.5 from 2022-09-22 until 2022-10-01", 0, 0.5),
    ("event: capacity upper lars 2x from 2022-09-22 until 2022-10-01", -1, 2.0),
    ("event: capacity Upper Lars pedestrians x 3 from 2022-09-22 until 2022-10-01", 1, 3.0),
])
def test_capacity_event(demo, text, mode, value):
    sc, e = new_event(demo, text)
    assert (e.kind, sc.locations.name[e.target], e.other, e.value, e.start, e.end) == \
        ("capacity", "Upper_Lars", mode, value, 7, 16)


def test_departures_with_every_filter(demo):
    sc, e = new_event(demo, "event: departures x20 for war_objector from Samara sex male age 18-29 "
                            "from 2022-11-01 until 2022-12-01")
    em = sc.emigration
    assert e.kind == "departure_hazard" and e.value == 20
    assert sc.locations.name[e.target] == "Samara" and em.category.names[e.other] == "war_objector"
    assert em.sex.names[e.sex] == "male" and em.age_band.names[e.age_band] == "18-29"
    assert (e.start, e.end) == (47, 77)


def test_a_third_wave_for_every_origin(demo):
    sc, e = new_event(demo, "event: departures x20 for war_objector sex male from 2022-12-01 until 2023-01-01")
    assert (e.kind, e.target, e.value, e.age_band) == ("departure_hazard", -1, 20, -1)
    assert sc.emigration.category.names[e.other] == "war_objector" and sc.emigration.sex.names[e.sex] == "male"


@pytest.mark.parametrize("mult", ["x0.5", "×0.5", "*0.5", "0.5x", "x 0.5"])
def test_returns_multiplier_spellings(demo, mult):
    sc, e = new_event(demo, f"event: returns {mult} from Moscow from 2022-11-01")
    assert (e.kind, sc.locations.name[e.target], e.other, e.value, e.sex) == ("return_hazard", "Moscow", -1, 0.5, -1)


@pytest.mark.parametrize("text,want", [
    ("policy: Georgia tourist_ban from 2022-10-01 until 2022-11-01",
     dict(kind="tourist_ban", country="Georgia", start=16, end=47)),
    ("policy: Kazakhstan visa_free 30 from 2022-10-01", dict(kind="visa_free", country="Kazakhstan", days=30)),
    ("policy: kazakhstan visa-free 45 days from 2022-10-01", dict(kind="visa_free", days=45, weight=1.0)),
    ("policy: Serbia visa_free 30 weight=4 from 2022-10-01", dict(kind="visa_free", days=30, weight=4.0)),
    ("policy: Turkey stay_limit 60/180 from 2022-10-01", dict(kind="stay_limit", days=60, window_days=180)),
    ("policy: Turkey stay limit 60 in 180 from 2022-10-01", dict(kind="stay_limit", days=60, window_days=180)),
    ("policy: Serbia visa p=0.5 cost=60 days=30 from 2022-10-01",
     dict(kind="visa", country="Serbia", probability=0.5, cost=60, days=30)),
    ("policy: Serbia visa p = 80% cost=$60 from 2022-10-01", dict(kind="visa", probability=0.8, cost=60, days=-1)),
    ("policy: Armenia residence_permit p=0.9 wait=14 cost=50 days=365 from 2022-10-01",
     dict(kind="residence_permit", country="Armenia", probability=0.9, waiting_days=14, cost=50, days=365)),
    ("policy: Armenia residence permit p=0.9 wait=14 from 2022-10-01",
     dict(kind="residence_permit", probability=0.9, waiting_days=14, cost=0, days=-1)),
    ("policy: Georgia registration 7 from 2022-10-01", dict(kind="registration", days=7)),
    ("policy: Serbia residence_permit p=0.9 wait=60 eligible=0.25 from 2022-10-01",
     dict(kind="residence_permit", probability=0.9, waiting_days=60, eligible=0.25, weight=1.0)),
])
def test_policies(demo, text, want):
    base = cx.load_scenario(demo)
    sc = load(demo, text)
    em = sc.emigration
    assert len(em.policies) == len(base.emigration.policies) + 1
    p = em.policies[-1]
    got = {k: (em.countries[p.country] if k == "country" else getattr(p, k)) for k in want}
    assert got == want
    if "start" not in want:
        assert (p.start, p.end) == (16, -1)


def test_capacity_replaces_adds_or_lifts_a_limit(demo):
    sc = load(demo, "capacity: Upper Lars foot 5", "capacity: Syrym car unlimited")
    names = sc.locations.name
    assert sc.emigration.capacity[names.index("Upper_Lars")].tolist() == [60, 5]
    assert sc.emigration.capacity[names.index("Syrym")].tolist() == [-1, 10]
    (demo / "crossings.csv").unlink()
    sc = load(demo, "capacity: syrym cars 7")
    assert sc.emigration.capacity[names.index("Syrym")].tolist() == [7, -1]
    assert sc.emigration.capacity[names.index("Upper_Lars")].tolist() == [-1, -1]


def test_setting_and_the_files_of_the_original_are_untouched(demo):
    before = digest(demo)
    sc = load(demo, "setting: queue_patience_days=4", "setting: return_hazard = 0.001", CLOSE_LARS)
    assert sc.emigration.settings.queue_patience_days == 4 and sc.emigration.settings.return_hazard == 0.001
    assert sc.emigration.settings.max_hops == 4, "the scenario's other settings are kept"
    assert digest(demo) == before


def test_the_result_points_back_to_the_original(demo):
    sc = load(demo, CLOSE_LARS, "setting: max_hops=3")
    assert sc.name == "exodus-mini+what-if" and sc.path == demo
    assert sc.what_if == (CLOSE_LARS, "setting: max_hops=3")
    assert cx.load_scenario(demo).what_if == ()


def test_missing_columns_and_files_are_added(demo):
    (demo / "events.csv").write_text("# comment first\nevent,date,target,other\nclose_crossing,2022-10-01,Syrym,\n")
    (demo / "policies.csv").unlink()
    sc = load(demo, "event: departures x2 sex female from 2022-10-01 until 2022-10-02",
              "policy: Turkey tourist_ban from 2022-10-02")
    kinds = [e.kind for e in sc.emigration.events]
    assert kinds == ["close_crossing", "departure_hazard"] and sc.emigration.events[1].end == 17
    assert [p.kind for p in sc.emigration.policies] == ["tourist_ban"]


def test_the_temporary_copy_is_removed(demo, tmp_path, monkeypatch):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    load(demo, CLOSE_LARS)
    with pytest.raises(InputError):
        load(demo, "policy: Georgia visa p=2 cost=1 from 2022-10-01")
    assert list(tmp.iterdir()) == []


# ---- errors: one line naming the --set text ---------------------------------------------------------------------

@pytest.mark.parametrize("text,fld,words", [
    ("event: close Uper Lars from 2022-09-22", "target", ["no crossing named 'Uper Lars'",
                                                          "did you mean 'Upper_Lars'"]),
    ("event: close Moscow from 2022-09-22", "target", ["'Moscow' is an origin, not a crossing"]),
    ("event: close Upper Lars from 2021-09-22", "date", ["outside the scenario's period", "2022-09-15"]),
    ("event: close Upper Lars from 2023-01-13", "date", ["outside the scenario's period"]),
    ("event: close Upper Lars from 22-09-2022", "date", ["YYYY-MM-DD"]),
    ("event: close Upper Lars from 2022-09-31", "date", ["not a valid"]),
    ("event: close Upper Lars", "date", ["missing 'from DATE'"]),
    ("event: close Upper Lars from 2022-10-01 until 2022-09-30", "until", ["not after"]),
    ("event: close Upper Lars until 2022-10-01", "date", ["needs 'from DATE'"]),
    ("event: shut Upper Lars from 2022-09-22", "event", ["unknown event 'shut'"]),
    ("event: bar bikes at Syrym from 2022-09-22", "other", ["car or foot"]),
    ("event: bar foot Syrym from 2022-09-22", "target", ["bar car|foot at CROSSING"]),
    ("event: close flights Moscow_SVO - Tbilisi from 2022-09-22", "other", ["no air route", "Istanbul, Yerevan"]),
    ("event: close flights Moscow_SVO Istanbul from 2022-09-22", "other", ["A - B"]),
    ("event: close road Moscow -> Tbilisi from 2022-09-22", "other", ["no road from 'Moscow' to 'Tbilisi'",
                                                                       "Moscow_SVO, Syrym, Vladikavkaz"]),
    ("event: close road Moscow - Vladikavkaz from 2022-09-22", "other", ["A -> B"]),
    ("event: close road Atlantis -> Moscow from 2022-09-22", "target", ["no place with roads named 'Atlantis'"]),
    ("event: departures 20 from 2022-10-01", "value", ["multiplier like x20"]),
    ("event: departures x20 for objectors from 2022-10-01", "other", ["did you mean 'war_objector'"]),
    ("event: departures x20 sex men from 2022-10-01", "sex", ["no sex named 'men'"]),
    ("event: departures x20 from Tbilisi from 2022-10-01", "target", ["is a destination, not an origin"]),
    ("event: departures x20 for dissident for war_objector from 2022-10-01", "category", ["given twice"]),
    ("event: departures x20 during war from 2022-10-01", "syntax", ["unexpected 'during'"]),
    ("event: departures x2 from 2022-10-01 for dissident", "date", ["must come last"]),
    ("policy: Russia tourist_ban from 2022-10-01", "country", ["holds origins"]),
    ("policy: Tbilisi tourist_ban from 2022-10-01", "country", ["is a place", "did you mean 'Georgia'"]),
    ("policy: Gorgia tourist_ban from 2022-10-01", "country", ["did you mean 'Georgia'"]),
    ("policy: Georgia open_door from 2022-10-01", "policy", ["visa_free"]),
    ("policy: Georgia visa p=0.2 from 2022-10-01", "cost_usd", ["needs cost_usd"]),
    ("policy: Georgia visa p=2 cost=5 from 2022-10-01", "probability", ["2.0 is not a probability"]),
    ("policy: Georgia visa_free from 2022-10-01", "days", ["needs days"]),
    ("policy: Georgia visa_free 0 from 2022-10-01", "days", ["≥ 1"]),
    ("policy: Georgia stay_limit 200/180 from 2022-10-01", "days", ["do not fit"]),
    ("policy: Georgia tourist_ban p=1 from 2022-10-01", "probability", ["takes no 'p'"]),
    ("capacity: Upper Lars foot 5 from 2022-10-01", "date", ["for the whole run", "event: capacity CROSSING"]),
    ("event: capacity Upper Lars car from 2022-09-22", "value", ["where the multiplier", "got 'car'"]),
    ("event: capacity Upper Lars x-1 from 2022-09-22", "value", ["not a non-negative multiplier"]),
    ("event: capacity Vladikavkaz x2 from 2022-09-22", "target", ["is a town, not a crossing"]),
    ("event: capacity x2 from 2022-09-22", "target", ["missing the crossing"]),
    ("capacity: Upper Lars foot -5", "capacity_per_day", ["whole number"]),
    ("capacity: Upper Lars walk 5", "mode", ["car or foot"]),
    ("capacity: Vladikavkaz car 5", "crossing", ["is a town, not a crossing"]),
    ("setting: queue_patience=5", "emigration.queue_patience", ["did you mean 'queue_patience_days'"]),
    ("setting: max_hops=50", "emigration.max_hops", ["outside the allowed range"]),
    ("setting: max_hops=2.5", "emigration.max_hops", ["whole number"]),
    ("setting: no_seat_stays=2", "emigration.no_seat_stays", ["outside the allowed range"]),
    ("policy: Georgia visa_free 30 weight=-1 from 2022-10-01", "weight", ["not a non-negative weight"]),
    ("policy: Georgia stay_limit 60/180 weight=2 from 2022-10-01", "weight", ["takes no 'weight'"]),
    ("policy: Serbia residence_permit p=0.9 wait=60 eligible=2 from 2022-10-01", "eligible", ["not a share"]),
    ("policy: Serbia visa_free 30 eligible=0.5 from 2022-10-01", "eligible", ["takes no 'eligible'"]),
    ("setting: max_hops", "syntax", ["NAME=VALUE"]),
    ("param: surge=2", "param", ["the scenario defines no parameter 'surge'"]),
    ("close Upper Lars from 2022-09-22", "kind", ["KIND one of event, policy, capacity, setting, param"]),
    ("evnt: close Upper Lars from 2022-09-22", "kind", ["did you mean 'event:'"]),
    ("event:", "event", ["nothing after the colon"]),
])
def test_errors_name_the_option_and_the_field(demo, text, fld, words):
    with pytest.raises(InputError) as info:
        load(demo, text)
    msg = str(info.value)
    assert msg.startswith(f"--set '{text}': {fld}: "), msg
    assert "crossings-what-if" not in msg and "\n" not in msg
    for w in words:
        assert w in msg, f"expected {w!r} in {msg!r}"


def test_the_same_thing_set_twice_is_an_error(demo):
    with pytest.raises(InputError, match="also set by --set 'setting: max_hops=3'"):
        load(demo, "setting: max_hops=3", "setting: max_hops=2")
    with pytest.raises(InputError, match="also set by"):
        load(demo, "capacity: Syrym car 3", "capacity: syrym cars 4")


def test_flee_scenarios_are_refused(demo_dir):
    with pytest.raises(InputError, match="what-if --set applies to emigration scenarios"):
        cx.load_scenario(demo_dir, sets=[CLOSE_LARS])


def test_a_scenario_object_with_sets_is_refused(demo):
    with pytest.raises(ValueError, match="path"):
        cx.run(cx.load_scenario(demo), sets=[CLOSE_LARS])


# ---- runs --------------------------------------------------------------------------------------------------------

def test_a_closed_crossing_passes_nobody_from_that_date(demo):
    sc = cx.load_scenario(demo)
    gates = [2 * i + m for i, x in enumerate(sc.emigration.crossings) if sc.locations.name[x] == "Upper_Lars"
             for m in (0, 1)]
    base = cx.run(demo, seed=3, days=60)
    what_if = cx.run(demo, seed=3, days=60, sets=[CLOSE_LARS])
    day = 7
    assert base.series["new_passages"][day:, gates].sum() > 50, "without --set people pass Upper Lars"
    assert what_if.series["new_passages"][day:, gates].sum() == 0, "closed from 2022-09-22: nobody passes"
    assert np.array_equal(base.series["new_passages"][:day], what_if.series["new_passages"][:day])
    assert what_if.summary()["what_if"] == [CLOSE_LARS] and "what_if" not in base.summary()


def cli(capsys, *args: str) -> tuple[int, list[str]]:
    code = main(["run", *args, "--quiet", "--no-report"])
    return code, capsys.readouterr().err.splitlines()


@pytest.mark.parametrize("text,words", [
    ("event: close Uper Lars from 2022-09-22", ["target: no crossing named 'Uper Lars'", "'Upper_Lars'"]),
    ("event: close Upper Lars from 2022-02-30", ["date:", "2022-02-30"]),
    ("event: close Upper Lars from 2024-01-01", ["date:", "outside the scenario's period"]),
    ("event: slam Upper Lars from 2022-09-22", ["event: unknown event 'slam'"]),
    ("weather: rain from 2022-09-22", ["kind:"]),
])
def test_cli_bad_set_exits_2_with_one_line(demo, tmp_path, capsys, text, words):
    out = tmp_path / "out"
    code, err = cli(capsys, str(demo), "--out", str(out), "--days", "5", "--set", CLOSE_LARS, "--set", text)
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith(f"--set '{text}': ") and "Traceback" not in err[0]
    for w in words:
        assert w in err[0], err[0]
    assert not (out / "summary.json").exists()


def test_cli_records_what_if_in_summary(demo, tmp_path, capsys):
    out = tmp_path / "out"
    code, err = cli(capsys, str(demo), "--out", str(out), "--days", "20", "--set", CLOSE_LARS,
                    "--set", "policy: Georgia tourist_ban from 2022-10-01")
    assert code == 0, err
    s = json.loads((out / "summary.json").read_text())
    assert s["what_if"] == [CLOSE_LARS, "policy: Georgia tourist_ban from 2022-10-01"]
    assert s["scenario"] == "exodus-mini+what-if" and s["scenario_path"] == str(demo)


def test_cli_flee_scenario_with_set_exits_2(demo_dir, tmp_path, capsys):
    code, err = cli(capsys, str(demo_dir), "--out", str(tmp_path / "out"), "--set", CLOSE_LARS)
    assert code == 2 and len(err) == 1 and "applies to emigration scenarios" in err[0]


def test_resume_keeps_the_sets_of_its_checkpoint(demo, tmp_path, capsys):
    from crossings.engine import checkpoint as ck

    sets = [CLOSE_LARS, "setting: max_hops=3"]
    ref = tmp_path / "ref"
    assert cli(capsys, str(demo), "--out", str(ref), "--seed", "2", "--days", "30", *sum((["--set", t] for t in sets),
                                                                                            []))[0] == 0
    out = tmp_path / "out"
    sc = cx.load_scenario(demo, sets=sets)

    class Stop(Exception):
        pass

    def stop_after_day_10(sim, res, done, steps):
        params = ck.run_params(sim, demo, out, 5)
        params["what_if"] = sets
        ck.Checkpointer(out, 5, params)(sim, res, done, steps)
        if done == 10:
            raise Stop

    with pytest.raises(Stop):
        cx.Simulation(sc, seed=2, days=30).run(checkpoint=stop_after_day_10)
    code, err = cli(capsys, "--resume", str(out), "--set", CLOSE_LARS)
    assert code == 2 and len(err) == 1 and err[0].startswith("--set: set: ") and "keeps its what-if" in err[0]
    code, err = cli(capsys, "--resume", str(out))
    assert code == 0, err
    a, b = (json.loads((d / "summary.json").read_text()) for d in (ref, out))
    a.pop("wall_seconds"), b.pop("wall_seconds")
    assert a == b and b["what_if"] == sets
    for name in ("crossings.parquet", "countries.parquet", "locations.parquet"):
        assert (ref / name).read_bytes() == (out / name).read_bytes(), name


def test_param_overrides_a_named_parameter(demo):
    yml = demo / "scenario.yml"
    yml.write_text(yml.read_text().replace("max_hops: 4", "max_hops: $hops")
                   + "parameters:\n  surge: {value: 20, low: 1, high: 50}\n  hops: 4\n")
    events = demo / "events.csv"
    events.write_text(events.read_text().replace("war_objector,20,male", "war_objector,$surge,male"))
    assert cx.load_scenario(demo).emigration.events[0].value == 20
    sc = load(demo, "param: surge=5", "param: $hops = 3")
    assert sc.emigration.events[0].value == 5 and sc.emigration.settings.max_hops == 3
    assert dict(sc.parameters) == {"surge": 5, "hops": 3}
    sc = cx.load_scenario(demo, {"surge": 7}, sets=["setting: max_hops=2"])
    assert sc.emigration.events[0].value == 7 and sc.emigration.settings.max_hops == 2
    with pytest.raises(InputError, match=r"^--set 'param: surg=5': param: .*did you mean 'surge'"):
        load(demo, "param: surg=5")


def doc_examples() -> list[str]:
    """Every --set text in the tables of docs/whatif.md (first cell of a table row)."""
    import re

    text = (Path(__file__).resolve().parents[2] / "docs" / "whatif.md").read_text()
    return re.findall(r"^\| `((?:event|policy|capacity|setting|param):[^`]*)` \|", text, flags=re.M)


@pytest.mark.parametrize("text", [t for t in doc_examples() if not t.startswith("param:")])
def test_the_examples_of_the_docs_apply_to_the_demo(demo, text):
    sc = load(demo, text)
    assert sc.what_if == (text,)
    base = cx.load_scenario(demo).emigration
    added = len(sc.emigration.events) - len(base.events) + len(sc.emigration.policies) - len(base.policies)
    assert added == (1 if text.startswith(("event:", "policy:")) else 0)


def test_the_docs_show_every_form():
    examples = doc_examples()
    starts = {" ".join(t.split()[:2]) for t in examples}
    assert {"event: close", "event: bar", "event: departures", "event: returns", "event: capacity"} <= starts
    assert any("close flights" in t for t in examples)
    for policy in ("tourist_ban", "visa_free", "stay_limit", "visa ", "residence_permit", "registration"):
        assert any(t.startswith("policy:") and policy in t for t in examples), policy
    assert {t.split(":")[0] for t in examples} == {"event", "policy", "capacity", "setting", "param"}
