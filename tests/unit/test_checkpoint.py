"""Checkpoints and ``crossings run --resume``: a run killed with SIGKILL at a random day and resumed from its
last checkpoint writes the same bytes as an uninterrupted run (Flee model and emigration model); checkpoints
round-trip in process; a resume with a changed scenario, another crossings version or other parameters is
refused with exit code 2 and one line."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from _cli import assert_one_line_error, crossings

import crossings as cx
from crossings.engine import checkpoint as ck

LOCS = [("A", "X", "conflict_zone", 1000), ("T", "X", "town", 500), ("B", "Y", "camp", 0), ("C", "Y", "camp", 0)]
ROUTES = [("A", "T", 50), ("T", "B", 100), ("T", "C", 250), ("B", "C", 90)]
CAMPS = {"B": [(0, 10), (15, 200), (29, 400)], "C": [(0, 5), (29, 300)]}
OUTPUTS = ("out.csv", "summary.json", "locations.parquet", "links.parquet", "countries.parquet",
           "crossings.parquet", "observations.csv")


def assert_same_outputs(a: Path, b: Path) -> None:
    """The files of two runs are equal byte for byte (summary.json: except wall_seconds)."""
    compared = 0
    for name in OUTPUTS:
        fa, fb = a / name, b / name
        assert fa.exists() == fb.exists(), f"{name}: present in only one of {a}, {b}"
        if not fa.exists():
            continue
        compared += 1
        if name == "summary.json":
            sa, sb = json.loads(fa.read_text()), json.loads(fb.read_text())
            sa.pop("wall_seconds"), sb.pop("wall_seconds")
            assert sa == sb, f"summary.json differs: {sa} != {sb}"
        else:
            assert fa.read_bytes() == fb.read_bytes(), f"{name} differs between {a} and {b}"
    assert compared >= 4, f"expected the run's output files in {a}"


def last_checkpoint_day(out: Path) -> int:
    for name in (ck.DIRNAME, ck.OLD):
        try:
            return int(json.loads((out / name / ck.META).read_text())["state"]["next_day"])
        except (OSError, ValueError, KeyError):
            continue
    return -1


def kill_at_random_day(args: list[str], out: Path, days: int, cwd: Path) -> int:
    """Start ``crossings run ARGS --out OUT --checkpoint-every 5``, SIGKILL it once its checkpoint has passed
    a random day; returns that day."""
    seed = int.from_bytes(os.urandom(4), "little")
    target = random.Random(seed).randrange(10, days // 2)
    proc = subprocess.Popen([sys.executable, "-m", "crossings", "run", *args, "--out", str(out),
                             "--checkpoint-every", "5", "--quiet", "--no-report"], cwd=cwd,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while last_checkpoint_day(out) < target and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    proc.kill()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == -9, (f"the run was to be killed after day {target} (random seed {seed}) but ended "
                                   f"with {proc.returncode}: {err}")
    assert not (out / "summary.json").exists(), "a killed run must not leave a summary"
    return target


def run_ref(args: list[str], out: Path, cwd: Path) -> None:
    proc = crossings("run", *args, "--out", str(out), "--quiet", "--no-report", cwd=cwd)
    assert proc.returncode == 0, proc.stderr


def resume(out: Path, cwd: Path) -> None:
    proc = crossings("run", "--resume", str(out), "--quiet", "--no-report", cwd=cwd)
    assert proc.returncode == 0, f"resume failed ({proc.returncode}):\n{proc.stderr}"
    assert not (out / ck.DIRNAME).exists() and not (out / ck.OLD).exists(), "a finished run removes its checkpoint"


def test_sigkill_then_resume_is_byte_identical_flee(flee_data, tmp_path):
    src = flee_data("mali2012")
    args = [str(src), "--seed", "4"]
    run_ref(args, tmp_path / "ref", tmp_path)
    day = kill_at_random_day(args, tmp_path / "out", 300, tmp_path)
    assert last_checkpoint_day(tmp_path / "out") >= day
    resume(tmp_path / "out", tmp_path)
    assert_same_outputs(tmp_path / "ref", tmp_path / "out")


def test_sigkill_then_resume_is_byte_identical_emigration(tmp_path):
    from crossings.scenarios.emigration_demo import write_emigration_demo

    src = write_emigration_demo(tmp_path / "exodus")
    args = ["exodus", "--seed", "2"]  # a relative scenario path, as a user would type it
    run_ref(args, tmp_path / "ref", tmp_path)
    kill_at_random_day(args, tmp_path / "out", cx.load_scenario(src).length, tmp_path)
    resume(tmp_path / "out", tmp_path)
    assert_same_outputs(tmp_path / "ref", tmp_path / "out")
    assert (tmp_path / "out" / "observations.csv").is_file()


# ---- in process ----------------------------------------------------------------------------------------


class Stop(Exception):
    pass


def stop_after(out: Path, every: int, stop_day: int, path: Path | None = None):
    """A checkpoint callback that saves every ``every`` days and raises Stop after day ``stop_day``."""

    def call(sim, res, done, steps):
        params = ck.run_params(sim, path or sim.scenario.path, out, every)
        ck.Checkpointer(out, every, params)(sim, res, done, steps)
        if done == stop_day:
            raise Stop

    return call


def scenarios(tmp_path: Path, scenario_dir) -> dict[str, Path]:
    from crossings.scenarios.emigration_demo import write_emigration_demo

    return {"flee": scenario_dir(LOCS, ROUTES, camps=CAMPS, total=[(0, 15), (29, 900)], length=30),
            "emigration": write_emigration_demo(tmp_path / "exodus")}


@pytest.mark.parametrize("model", ["flee", "emigration"])
@pytest.mark.parametrize("kernel", ["compiled", "numpy"])
def test_resume_in_process_equals_an_uninterrupted_run(tmp_path, scenario_dir, model, kernel):
    sc = cx.load_scenario(scenarios(tmp_path, scenario_dir)[model])
    days = min(sc.length, 40)
    full = cx.Simulation(sc, seed=5, kernel=kernel, days=days, check=True).run()
    out = tmp_path / "out"
    with pytest.raises(Stop):
        cx.Simulation(sc, seed=5, kernel=kernel, days=days).run(checkpoint=stop_after(out, 3, 20))
    c = ck.find(out)
    assert c.state["next_day"] == 18, "the last checkpoint before day 20 is after day 17"
    res = cx.Simulation(sc, seed=5, kernel=kernel, days=days, check=True).run(resume=c)
    for k in full.series:
        assert np.array_equal(full.series[k], res.series[k]), f"series {k} differs after resuming"
    assert np.array_equal(full.n_agents, res.n_agents) and np.array_equal(full.refugee_debt, res.refugee_debt)
    assert full.agent_steps == res.agent_steps


@pytest.mark.parametrize("model", ["flee", "emigration"])
def test_save_load_round_trip(tmp_path, scenario_dir, model):
    sc = cx.load_scenario(scenarios(tmp_path, scenario_dir)[model])
    out = tmp_path / "out"
    first = cx.Simulation(sc, seed=1, days=25)
    with pytest.raises(Stop):
        first.run(checkpoint=stop_after(out, 12, 12))
    c = ck.find(out)
    with np.load(out / ck.DIRNAME / ck.ARRAYS, allow_pickle=False) as z:
        assert all(z[k].dtype.kind != "O" for k in z.files), "no object arrays (they would need pickle)"
    again = cx.Simulation(sc, seed=1, days=25)
    again._setup()
    res = cx.Results.allocate(sc, 25, 1, again.rules, again.model.schema(sc), again.model)
    assert c.restore(again, res) == (12, c.state["agent_steps"])
    arrays, state = ck.capture(again, res, 12, c.state["agent_steps"])
    saved = c.arrays
    assert sorted(arrays) == sorted(saved)
    for k in arrays:
        assert arrays[k].dtype == saved[k].dtype and np.array_equal(arrays[k], saved[k], equal_nan=True), k
    assert json.loads(json.dumps(state)) == c.state, "the JSON state must round-trip"
    # the generators continue where they were
    for name, g in again.rng.items():
        assert g.bit_generator.state == first.rng[name].bit_generator.state, name


def test_an_interrupted_replacement_keeps_the_previous_checkpoint(tmp_path, scenario_dir):
    sc = cx.load_scenario(scenarios(tmp_path, scenario_dir)["flee"])
    out = tmp_path / "out"
    with pytest.raises(Stop):
        cx.Simulation(sc, seed=1, days=20).run(checkpoint=stop_after(out, 5, 10))
    assert ck.find(out).state["next_day"] == 10
    assert not list(out.glob(".checkpoint.*")) and not (out / ck.OLD).exists()
    # a kill between the two renames: the new one not yet in place, the old one moved aside
    os.rename(out / ck.DIRNAME, out / ck.OLD)
    (out / ".checkpoint.x.part").mkdir()  # and a temporary one half written
    assert ck.find(out).state["next_day"] == 10
    ck.remove(out)
    assert not any(out.iterdir())


# ---- refusals ------------------------------------------------------------------------------------------


def left_checkpoint(tmp_path: Path, scenario_dir) -> tuple[Path, Path]:
    root = scenario_dir(LOCS, ROUTES, camps=CAMPS, total=[(0, 15), (29, 900)], length=30)
    sc = cx.load_scenario(root)
    out = tmp_path / "out"
    with pytest.raises(Stop):
        cx.Simulation(sc, seed=3, days=30).run(checkpoint=stop_after(out, 5, 12, root))
    return root, out


def test_resume_refuses_a_changed_scenario(tmp_path, scenario_dir):
    root, out = left_checkpoint(tmp_path, scenario_dir)
    routes = root / "input_csv" / "routes.csv"
    routes.write_text(routes.read_text().replace("T,C,250", "T,C,251"))
    line = assert_one_line_error(crossings("run", "--resume", str(out), cwd=tmp_path), "scenario", "changed")
    assert str(root) in line
    assert (out / ck.DIRNAME).is_dir(), "a refused resume keeps the checkpoint"


def test_resume_refuses_another_version_or_other_parameters(tmp_path, scenario_dir):
    root, out = left_checkpoint(tmp_path, scenario_dir)
    assert_one_line_error(crossings("run", "--resume", str(out), "--seed", "4", cwd=tmp_path), "seed", "3")
    assert_one_line_error(crossings("run", "--resume", str(out), "--days", "9", cwd=tmp_path), "days")
    meta = out / ck.DIRNAME / ck.META
    m = json.loads(meta.read_text())
    m["crossings_version"] = "0.0.0-other"
    meta.write_text(json.dumps(m))
    assert_one_line_error(crossings("run", "--resume", str(out), cwd=tmp_path), "crossings_version", "0.0.0-other")


def test_resume_without_a_checkpoint_exits_2(tmp_path):
    (tmp_path / "empty").mkdir()
    assert_one_line_error(crossings("run", "--resume", str(tmp_path / "empty"), cwd=tmp_path), "no checkpoint")
    assert_one_line_error(crossings("run", "--resume", str(tmp_path / "nothing"), cwd=tmp_path), "nothing")


def test_resume_from_cli_checkpoint_continues_and_keeps_checkpointing(tmp_path, scenario_dir):
    root, out = left_checkpoint(tmp_path, scenario_dir)
    ref = tmp_path / "ref"
    assert crossings("run", str(root), "--seed", "3", "--out", str(ref), "--quiet", "--no-report",
                     cwd=tmp_path).returncode == 0
    resume(out, tmp_path)
    assert_same_outputs(ref, out)


def test_checkpoint_every_must_be_positive(tmp_path, scenario_dir):
    root = scenario_dir(LOCS, ROUTES, camps=CAMPS)
    assert_one_line_error(crossings("run", str(root), "--checkpoint-every", "0", "--out", str(tmp_path / "o"),
                                    cwd=tmp_path), "checkpoint")


def test_a_damaged_checkpoint_is_refused_with_one_line(tmp_path, scenario_dir):
    root, out = left_checkpoint(tmp_path, scenario_dir)
    (out / ck.DIRNAME / ck.ARRAYS).write_bytes(b"not a zip file")
    assert_one_line_error(crossings("run", "--resume", str(out), cwd=tmp_path), "state.npz", "cannot be read")
    (out / ck.DIRNAME / ck.META).write_text("{}")
    assert_one_line_error(crossings("run", "--resume", str(out), cwd=tmp_path), "checkpoint.json", "format")


@pytest.mark.parametrize(("key", "value"), [("seed", "3"), ("days", 1.5), ("rules", 7), ("what_if", "x")])
def test_a_tampered_checkpoint_parameter_is_refused_with_one_line(tmp_path, scenario_dir, key, value):
    """Issue 22: a checkpoint.json edited to hold ``"seed": "3"`` (or another wrongly typed parameter) gave a
    TypeError traceback on --resume; it is one line naming the file and the field, exit 2."""
    root, out = left_checkpoint(tmp_path, scenario_dir)
    meta = out / ck.DIRNAME / ck.META
    m = json.loads(meta.read_text())
    m["params"][key] = value
    meta.write_text(json.dumps(m))
    line = assert_one_line_error(crossings("run", "--resume", str(out), cwd=tmp_path), f"params.{key}")
    assert str(meta) in line


@pytest.mark.parametrize(("part", "key", "value"), [
    ("params", "seed", -1), ("params", "days", 10**12), ("params", "checkpoint_every", 0),
    ("state", "next_day", 10**9), ("state", "agent_steps", -5), ("state", "agents.capacity", 2**60),
    ("state", "agents.capacity", 2**39),
])
def test_a_checkpoint_number_out_of_range_is_refused_with_one_line(tmp_path, scenario_dir, part, key, value):
    """Issue 22 item 1: the numbers a checkpoint stores are checked inside their ranges before anything is
    allocated from them (a capacity of 2**60 agents would be a MemoryError traceback)."""
    root, out = left_checkpoint(tmp_path, scenario_dir)
    meta = out / ck.DIRNAME / ck.META
    m = json.loads(meta.read_text())
    node = m[part]
    *parents, last = key.split(".")
    for p in parents:
        node = node[p]
    node[last] = value
    meta.write_text(json.dumps(m))
    line = assert_one_line_error(crossings("run", "--resume", str(out), cwd=tmp_path), f"{part}.{key}")
    assert str(meta) in line


@pytest.mark.parametrize("kernel", ["compiled", "numpy"])
def test_resume_with_the_optional_flee_rules_equals_an_uninterrupted_run(tmp_path, scenario_dir, kernel):
    """Conflict-driven spawning (Poisson draws), location changes, returns home and camp capacity growth all on:
    a resumed run gives the same series, the IDP and return series included."""
    conflict = [1.0] * 10 + [0.0] * 10 + [1.0] * 10
    spawning = {"spawn_mode": "poisson", "displaced_per_conflict_day": 20}
    settings = {"spawn_rules": {"conflict_driven_spawning": spawning},
                "move_rules": {"return_home_chance": 0.3, "capacity_growth_rate": 0.02}}
    locs = [*LOCS[:2], ("B", "Y", "camp", 150), LOCS[3]]
    root = scenario_dir(locs, ROUTES, camps=CAMPS, length=30, conflicts={"A": conflict}, settings=settings)
    (root / "input_csv" / "location_changes.csv").write_text("#name,location_type,day\nT,idpcamp,12\n")
    sc = cx.load_scenario(root)
    full = cx.Simulation(sc, seed=5, kernel=kernel, check=True).run()
    assert full.series["new_returns"].sum() > 0 and full.series["n_idps"].sum() > 0
    out = tmp_path / "out"
    with pytest.raises(Stop):
        cx.Simulation(sc, seed=5, kernel=kernel).run(checkpoint=stop_after(out, 3, 20))
    res = cx.Simulation(sc, seed=5, kernel=kernel, check=True).run(resume=ck.find(out))
    for k in full.series:
        assert np.array_equal(full.series[k], res.series[k]), f"series {k} differs after resuming"
    assert np.array_equal(full.n_agents, res.n_agents)
