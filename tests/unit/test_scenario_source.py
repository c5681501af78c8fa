"""The Scenario as the single truth: a scenario directory is read once into a Source, and every Scenario (a run,
a what-if, an ensemble member) is built from it by a pure function: the same source and parameters give an equal
Scenario, a build changes nothing (not the source, not the files), a what-if writes nothing to disk and a member
built with parameters reads no file."""

from __future__ import annotations

import builtins
import dataclasses
import io
import pickle
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import crossings as cx
from crossings.engine.model import build_scenario
from crossings.errors import InputError
from crossings.scenario.source import read_source
from crossings.scenarios.emigration_demo import write_emigration_demo

CLOSE_LARS = "event: close Upper Lars from 2022-09-22"
SETS = (CLOSE_LARS, "setting: max_hops=3", "capacity: Upper Lars foot 5", "policy: Georgia tourist_ban from "
        "2022-10-01", "param: surge=5")


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """The emigration demo with two named parameters (one in events.csv, one in scenario.yml) and two
    observations."""
    root = write_emigration_demo(tmp_path / "exodus-mini")
    (root / "observed.csv").write_text(
        "date_or_period_start,period_end,destination_country,crossing_or_city,measure,value,sim,role\n"
        "2022-09-15,2022-09-30,Georgia,all,entries,1000,entries(country=Georgia),calibration\n"
        "2022-09-15,2022-10-15,All,all,emigrants,5000,left_home(category=*),validation\n")
    yml = root / "scenario.yml"
    yml.write_text(yml.read_text().replace("max_hops: 4", "max_hops: $hops")
                   + "parameters:\n  surge: {value: 20, low: 1, high: 50}\n  hops: 4\n")
    events = root / "events.csv"
    events.write_text(events.read_text().replace("war_objector,20,male", "war_objector,$surge,male"))
    return root


def same(a: Any, b: Any, where: str = "scenario") -> None:
    """Assert that two values (dataclasses, mappings, sequences, arrays) are equal field by field."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), where
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            if f.compare:
                same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict | tuple | list) or hasattr(a, "keys"):
        if hasattr(a, "keys"):
            assert list(a.keys()) == list(b.keys()), where
            for k in a:
                same(a[k], b[k], f"{where}[{k!r}]")
        else:
            assert len(a) == len(b), where
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                same(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


# ---- purity -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("parameters,sets", [(None, ()), ({"surge": 7.0}, ()), ({"hops": 3.0}, SETS[:1]),
                                             (None, SETS)])
def test_the_same_source_and_parameters_give_an_equal_scenario(demo, parameters, sets):
    source = read_source(demo)
    a = build_scenario(source, parameters, sets)
    b = build_scenario(source, parameters, sets)
    same(a, b)
    same(a, cx.load_scenario(demo, parameters, list(sets)))  # what reading the files again gives
    assert a.source is source and b.source is source


def test_a_build_with_sets_and_parameters_changes_neither_the_source_nor_the_files(demo):
    source = read_source(demo)
    before = pickle.dumps(source)
    files = {p.name: p.read_bytes() for p in demo.iterdir()}
    sc = build_scenario(source, {"hops": 3.0}, SETS)
    assert pickle.dumps(source) == before, "a build must not change the source it starts from"
    assert {p.name: p.read_bytes() for p in demo.iterdir()} == files
    assert sc.what_if == SETS and dict(sc.parameters) == {"surge": 5.0, "hops": 3.0}
    assert sc.emigration.settings.max_hops == 3 and sc.emigration.events[0].value == 5
    plain = build_scenario(source)
    assert dict(plain.parameters) == {"surge": 20.0, "hops": 4.0} and plain.what_if == ()
    assert len(sc.emigration.events) == len(plain.emigration.events) + 1
    assert len(sc.emigration.policies) == len(plain.emigration.policies) + 1


def test_the_scenario_carries_its_declared_parameters_observations_and_people_per_agent(demo):
    sc = cx.load_scenario(demo, {"surge": 9.0})
    assert {k: (p.value, p.low, p.high) for k, p in sc.declared.items()} == {"surge": (9.0, 1.0, 50.0),
                                                                             "hops": (4.0, None, None)}
    assert sc.people_per_agent == 100.0
    assert sc.observations_file == demo / "observed.csv"
    from crossings.observed.observations import read_observed

    assert list(sc.observations) == read_observed(demo / "observed.csv")


def test_a_scenario_with_its_source_pickles(demo):
    sc = cx.load_scenario(demo, sets=[CLOSE_LARS])
    back = pickle.loads(pickle.dumps(sc))
    same(back, sc)
    same(build_scenario(back.source, {"surge": 3.0}, back.what_if), build_scenario(sc.source, {"surge": 3.0},
                                                                                   sc.what_if))


# ---- no files written, no files read ---------------------------------------------------------------------------

def _refuse(what: str):
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"{what} called: {args[:2]!r}")
    return fail


def test_a_what_if_writes_nothing_to_disk(demo, monkeypatch):
    real_open = builtins.open

    def read_only_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if any(c in mode for c in "wax+"):
            raise AssertionError(f"open({file!r}, {mode!r}) during a what-if")
        return real_open(file, mode, *args, **kwargs)

    with monkeypatch.context() as m:  # undone before pytest reports anything
        for name in ("mkdtemp", "mkstemp", "TemporaryDirectory", "NamedTemporaryFile"):
            m.setattr(tempfile, name, _refuse(f"tempfile.{name}"))
        for name in ("copyfile", "copy", "copy2", "copytree"):
            m.setattr(shutil, name, _refuse(f"shutil.{name}"))
        for name in ("write_text", "write_bytes", "mkdir", "touch"):
            m.setattr(Path, name, _refuse(f"Path.{name}"))
        m.setattr(builtins, "open", read_only_open)
        m.setattr(io, "open", read_only_open)
        sc = cx.load_scenario(demo, sets=list(SETS))
        with pytest.raises(InputError) as e:
            cx.load_scenario(demo, sets=["policy: Georgia visa p=2 cost=1 from 2022-10-01"])
    assert sc.what_if == SETS
    assert str(e.value).startswith("--set 'policy: Georgia visa p=2 cost=1 from 2022-10-01': probability: "), \
        str(e.value)


def test_a_member_built_with_parameters_reads_no_file(demo, monkeypatch):
    from crossings.ensemble.member import run_member, with_params

    sc = cx.load_scenario(demo, sets=[CLOSE_LARS])
    warm = run_member(sc, {"surge": 10.0}, 1, days=5)  # every module the member needs is imported now
    with monkeypatch.context() as m:  # undone before pytest reports anything
        for name in ("read_bytes", "read_text", "open", "is_file", "exists", "iterdir", "stat"):
            m.setattr(Path, name, _refuse(f"Path.{name}"))
        m.setattr(builtins, "open", _refuse("open"))
        m.setattr(io, "open", _refuse("io.open"))
        changed = with_params(sc, {"surge": 2.0})
        member = run_member(sc, {"surge": 10.0}, 1, days=5)
    assert dict(changed.parameters)["surge"] == 2.0 and changed.what_if == (CLOSE_LARS,)
    assert member.fit is not None and np.array_equal(member.fit.simulated, warm.fit.simulated, equal_nan=True)


def test_a_flee_format_source_takes_settings_as_parameters(demo_dir):
    source = read_source(demo_dir)
    sc = build_scenario(source, {"camp_weight": 3, "awareness_level": 2.0})
    assert sc.settings.camp_weight == 3.0 and sc.settings.awareness_level == 2
    assert isinstance(sc.settings.awareness_level, int)
    assert build_scenario(source).settings == source.flee.settings, "the source keeps the file's settings"
    with pytest.raises(InputError, match="not a numeric setting"):
        build_scenario(source, {"camp_wieght": 1.0})
    with pytest.raises(InputError, match="what-if --set applies to emigration scenarios"):
        build_scenario(source, sets=[CLOSE_LARS])


# ---- errors ------------------------------------------------------------------------------------------------------

def test_an_unknown_model_names_scenario_yml_its_line_and_the_known_models(demo):
    yml = demo / "scenario.yml"
    text = yml.read_text().replace("model: emigration", "model: emigraton")
    yml.write_text(text)
    line = text.splitlines().index("model: emigraton") + 1
    with pytest.raises(InputError) as e:
        cx.load_scenario(demo)
    assert (e.value.file, e.value.line, e.value.field) == (str(yml), line, "model")
    assert e.value.problem.startswith("'emigraton' is not one of flee, emigration"), str(e.value)


def test_a_table_error_is_raised_only_when_a_build_needs_the_table(demo):
    (demo / "notes.csv").write_bytes(b"\xff\xfe not utf-8")
    cx.load_scenario(demo)  # a CSV no reader asks for is never an error
    (demo / "policies.csv").write_bytes(b"date,until,country,policy\n\xff\n")
    with pytest.raises(InputError) as e:
        cx.load_scenario(demo)
    assert Path(e.value.file).name == "policies.csv" and e.value.field == "encoding" and e.value.line == 2


def test_a_what_if_error_elsewhere_names_the_original_file_and_line(demo):
    text = (demo / "scenario.yml").read_text()
    line = text.splitlines().index("  max_hops: $hops") + 1
    with pytest.raises(InputError) as e:
        cx.load_scenario(demo, sets=[CLOSE_LARS, "setting: queue_patience_days=4", "param: hops=50"])
    assert (e.value.file, e.value.line, e.value.field) == (str(demo / "scenario.yml"), line, "emigration.max_hops")
    assert e.value.problem.endswith(f"(with --set '{CLOSE_LARS}', --set 'setting: queue_patience_days=4', "
                                    "--set 'param: hops=50')"), str(e.value)
