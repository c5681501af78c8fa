"""Issue 19's lean state: agent columns read as plain attributes (views remade when the table grows or keeps
rows), columns a rule adds for itself, malloc settings for a run, event clocks with geometric gaps, and counts
kept incrementally (emigrants per country, stays by length) that the check mode proves equal to a fresh count."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

import crossings as cx
from crossings.engine import checkpoint as ck
from crossings.engine.memory import tune_malloc
from crossings.engine.models.emigration import counters, observe
from crossings.engine.models.emigration.clocks import gap_scale, next_days
from crossings.engine.models.emigration.state import COLUMNS, NEVER, RETURNED
from crossings.engine.state import AgentTable
from crossings.scenarios.emigration_demo import write_emigration_demo, write_emigration_synthetic

# ---- the agent table --------------------------------------------------------------------------------------

def test_columns_are_plain_attributes_that_follow_add_and_keep():
    t = AgentTable(capacity=16, columns=COLUMNS)
    assert "__getattr__" not in AgentTable.__dict__, "a column read must not go through __getattr__"
    assert len(t.loc) == 0
    rows = t.add(40)  # grows past the capacity: new arrays, new views
    assert rows == slice(0, 40) and len(t.loc) == 40 and t.capacity >= 40
    t.loc[:] = np.arange(40)
    assert np.shares_memory(t.loc, t.cols["loc"]), "a view of the allocated column, not a copy"
    assert (t.cols["loc"][:40] == np.arange(40)).all()
    t.keep(t.loc % 3 == 0)
    assert len(t) == len(t.loc) == len(t.state) == 14
    assert t.loc.tolist() == list(range(0, 40, 3))
    assert (t.cols["loc"][14:40] == -1).all(), "removed rows go back to the initial value"
    t.add(2)
    assert t.loc.tolist()[-3:] == [39, -1, -1]


def test_a_rule_adds_its_own_columns_and_they_are_kept_with_the_rows():
    t = AgentTable(capacity=16, columns=COLUMNS)
    t.add(5)
    t.add_columns({"clock": (np.int32, -1)})
    assert t.clock.tolist() == [-1] * 5 and t.bytes_per_agent == AgentTable(columns=COLUMNS).bytes_per_agent + 4
    t.clock[:] = [10, 11, 12, 13, 14]
    t.keep(np.array([True, False, True, False, True]))
    assert t.clock.tolist() == [10, 12, 14]
    t.add_columns({"clock": (np.int32, -1)})  # asked again by the same rule: kept as it is
    assert t.clock.tolist() == [10, 12, 14]
    with pytest.raises(ValueError, match="exists"):
        t.add_columns({"clock": (np.float32, 0.0)})
    for bad in ("keep", "n", "cols", "_x", "not a name"):
        with pytest.raises(ValueError, match="cannot be an agent column"):
            t.add_columns({bad: (np.int8, 0)})
    assert "clock" not in COLUMNS, "the model's column table is never changed"


def test_a_pickled_table_has_views_of_its_own_columns():
    t = AgentTable(columns=COLUMNS)
    t.add(3)
    t.loc[:] = [4, 5, 6]
    u = pickle.loads(pickle.dumps(t))
    assert u.loc.tolist() == [4, 5, 6]
    u.loc[0] = 9
    assert u.cols["loc"][0] == 9, "after unpickling the attribute is again a view of the column"


# ---- malloc -----------------------------------------------------------------------------------------------

def test_malloc_settings_are_set_on_glibc_and_left_to_the_user_when_given():
    code = "from crossings.engine.memory import tune_malloc; print(tune_malloc())"
    env = {"PATH": "/usr/bin:/bin"}
    mine = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    user = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**env, "MALLOC_TRIM_THRESHOLD_": "100000"})
    assert user.stdout.strip() == "False", "the user's malloc settings win"
    import platform

    if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
        assert mine.stdout.strip() == "True"
    assert isinstance(tune_malloc(), bool)


# ---- event clocks -----------------------------------------------------------------------------------------

def test_next_days_are_geometric_gaps():
    rng = np.random.default_rng(3)
    n = 200_000
    for p in (0.01, 0.2, 0.7):
        gap = next_days(rng, np.full(n, gap_scale(np.array([p]))[0]), 100) - 100
        assert gap.min() == 1
        assert abs(gap.mean() - 1 / p) < 4 * np.sqrt((1 - p) / p**2 / n), p
        assert abs((gap == 1).mean() - p) < 4 * np.sqrt(p * (1 - p) / n), p  # P(gap = 1) = p
    assert (next_days(rng, gap_scale(np.ones(5)), 7) == 8).all(), "p = 1: the next day"
    assert (next_days(rng, gap_scale(np.zeros(5)), 7) == NEVER).all(), "p = 0: never"
    assert (next_days(rng, gap_scale(np.full(5, 1e-12)), NEVER - 3) == NEVER).all(), "capped at NEVER"


# ---- counts kept incrementally ----------------------------------------------------------------------------

def fresh(sim, day):
    """The counts of the table now, as the recording made them before issue 19 (a recount every day)."""
    long, new_reg, registered = observe.stay_counts(sim, day)
    return observe.emigrants_by_country(sim), long, new_reg, registered


def test_kept_counts_equal_a_fresh_count_every_day(tmp_path):
    sc = cx.load_scenario(write_emigration_synthetic(tmp_path / "syn", 4000, 70, hazard=0.08))
    sim = cx.Simulation(sc, seed=2)
    got, want = [], []
    record = sim.model.record

    def both(sim_, res, day):
        record(sim_, res, day)
        s = res.series
        got.append((s["n_emigrants_in_country"][day].copy(), s["new_long_stays"][day].copy(),
                    s["new_registrations"][day].copy(), s["n_registered"][day].copy()))
        want.append(fresh(sim_, day))

    sim.model.record = both
    res = sim.run()
    for day, (g, f) in enumerate(zip(got, want, strict=True)):
        for name, x, y in zip(("emigrants", "long stays", "registrations", "registered"), g, f, strict=True):
            assert np.array_equal(x, y), f"day {day}: {name} {x} != {y}"
    s = res.series
    assert s["n_registered"].sum() > 0 and s["n_emigrants_in_country"][-1].sum() > 0, "the counts were exercised"
    assert s["new_visa_runs"].sum() > 0 and s["new_returns"].sum() > 0


def test_the_check_mode_catches_a_count_that_drifts(tmp_path):
    sc = cx.load_scenario(write_emigration_demo(tmp_path / "demo"))
    sim = cx.Simulation(sc, seed=1, days=12, check=True)
    original = counters.Tally.sync

    def drift(self, sim_):
        original(self, sim_)
        if sim_.today == 8:
            sim_.world.emigrants[int(np.argmax(sim_.world.emigrants))] += 1

    counters.Tally.sync = drift
    try:
        with pytest.raises(AssertionError, match="day 8: emigrants per country"):
            sim.run()
    finally:
        counters.Tally.sync = original


def test_a_resumed_run_counts_afresh_and_agrees(tmp_path):
    # the synthetic scenario has return events, visa runs, registrations and a transit country: the rules'
    # clocks and the tally's copies go through a checkpoint, the tally itself is rebuilt from a full count
    sc = cx.load_scenario(write_emigration_synthetic(tmp_path / "syn", 3000, 50, hazard=0.08))
    full = cx.Simulation(sc, seed=4, check=True).run()
    out = tmp_path / "out"

    class Stop(Exception):
        pass

    def stop(sim, res, done, steps):
        ck.Checkpointer(out, 7, ck.run_params(sim, sc.path, out, 7))(sim, res, done, steps)
        if done == 30:
            raise Stop

    with pytest.raises(Stop):
        cx.Simulation(sc, seed=4).run(checkpoint=stop)
    again = cx.Simulation(sc, seed=4, check=True).run(resume=ck.find(out))
    for k in full.series:
        assert np.array_equal(full.series[k], again.series[k]), k


def test_returned_rows_leave_the_kept_counts(tmp_path):
    sc = cx.load_scenario(write_emigration_demo(tmp_path / "demo"))
    sim = cx.Simulation(sc, seed=3, check=True)
    res = sim.run()
    a = sim.agents
    back = a.state == RETURNED
    assert back.any()
    assert a.seen_loc[back].tolist() == a.loc[back].tolist(), "the tally saw them home"
    assert np.array_equal(res.series["n_emigrants_in_country"][-1], observe.emigrants_by_country(sim))
