"""The emigration model's compiled kernels (engine/_emigration.c) against their NumPy twins: the counter-based
random numbers bit for bit, each rule on the same state, and whole runs byte for byte (check mode on: the census
and the double-entry balances every day)."""

from __future__ import annotations

import copy
import ctypes
from pathlib import Path

import numpy as np
import pytest

import crossings as cx
from crossings.engine.models.emigration import entry, kernels_c, state, travel
from crossings.engine.models.emigration.model import retire_returned
from crossings.engine.rng import counter_uniforms, day_key, stream_key
from crossings.engine.simulation import Simulation
from crossings.results import Results
from crossings.scenarios.emigration_demo import write_emigration_demo, write_emigration_synthetic

# ---- the counter-based generator -------------------------------------------------------------------------


def _c_uniforms(dkey: int, ids: np.ndarray, draws: np.ndarray) -> np.ndarray:
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    draws = np.ascontiguousarray(np.broadcast_to(draws, ids.shape), dtype=np.int64)
    out = np.empty(ids.size)
    kernels_c.lib().crossings_counter_uniforms(dkey, ids.ctypes.data, draws.ctypes.data, ids.size, out.ctypes.data)
    return out


def test_counter_uniforms_are_the_same_in_c_and_numpy() -> None:
    lib = kernels_c.lib()
    rng = np.random.default_rng(5)
    for seed, name in ((0, "emigration.route"), (7, "emigration.entry"), (2**40 + 3, "x")):
        key = stream_key(seed, name)
        for day in (0, 1, 364, 1092, 10**6):
            dkey = day_key(key, day)
            assert lib.crossings_day_key(key, day) == dkey, f"the day key differs on day {day}"
            ids = np.concatenate([np.arange(1000), rng.integers(0, 2**31 - 1, 1000)])
            for draws in (np.int64(0), np.int64(7), rng.integers(0, 2**40, ids.size)):
                want = _c_uniforms(dkey, ids, draws)
                got = counter_uniforms(dkey, ids.astype(np.int32 if ids.max() < 2**31 else np.int64),
                                       draws if np.ndim(draws) else int(draws))
                assert got.dtype == np.float64
                assert np.array_equal(got.view(np.uint64), want.view(np.uint64)), (
                    f"counter uniforms differ between C and NumPy (seed {seed}, {name}, day {day})")


def test_the_c_constants_and_struct_match_python() -> None:
    lib = kernels_c.lib()
    out = np.zeros(13, dtype=np.int64)
    lib.crossings_em_constants(out.ctypes.data_as(ctypes.POINTER(ctypes.c_int64)))
    want = [state.PLAN, state.PLAN_NO_AIR, state.MOVING, state.QUEUED, state.SEAT_WAIT, state.SETTLED,
            state.RETURNED, state.NO_PERMIT, state.PERMIT, state.NEVER, travel.MAX_CHAIN, entry.ON_ARRIVAL,
            entry.AT_CROSSING]
    assert out.tolist() == want, "state codes or limits differ between _emigration.c and Python"
    assert lib.crossings_em_eps() == travel.EPS
    assert lib.crossings_em_ctx_size() == ctypes.sizeof(kernels_c.EmCtx), "EmCtx differs between C and ctypes"
    fields = [name for name, _ in kernels_c.EmCtx._fields_]
    offsets = np.zeros(len(fields) + 8, dtype=np.int64)
    n = lib.crossings_em_layout(offsets.ctypes.data_as(ctypes.POINTER(ctypes.c_int64)))
    assert n == len(fields), "EmCtx has another number of fields in C"
    for name, off in zip(fields, offsets[:n].tolist(), strict=True):
        assert getattr(kernels_c.EmCtx, name).offset == off, f"EmCtx.{name} is at another offset in C"


# ---- whole runs ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> dict[str, cx.scenario.model.Scenario]:
    tmp = tmp_path_factory.mktemp("twins")
    return {"demo": cx.load_scenario(write_emigration_demo(tmp / "demo")),
            "synthetic": cx.load_scenario(write_emigration_synthetic(tmp / "synthetic", 20_000, 60)),
            "russia2022": cx.load_scenario("russia2022")}


def _assert_same_runs(sc: cx.scenario.model.Scenario, days: int | None, seed: int) -> dict[str, np.ndarray]:
    runs = {}
    for kernel in ("compiled", "numpy"):
        sim = Simulation(sc, seed=seed, days=days, kernel=kernel, check=True)
        runs[kernel] = (sim.run(), sim)
    (r1, s1), (r2, s2) = runs["compiled"], runs["numpy"]
    assert r1.meta["kernel"] == "compiled" and r2.meta["kernel"] == "numpy"
    assert r1.series.keys() == r2.series.keys()
    for name in r1.series:
        a, b = np.asarray(r1.series[name]), np.asarray(r2.series[name])
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), f"series {name} differs between the kernels"
    assert np.array_equal(r1.n_agents, r2.n_agents)
    assert len(s1.agents) == len(s2.agents)
    for col in s1.agents.columns:
        assert getattr(s1.agents, col).tobytes() == getattr(s2.agents, col).tobytes(), f"agent column {col} differs"
    return r1.series


def _total(series: dict[str, np.ndarray], name: str) -> int:
    return int(np.asarray(series[name]).sum())


def test_demo_runs_give_the_same_bytes_with_both_kernels(scenarios) -> None:  # noqa: ANN001
    s = _assert_same_runs(scenarios["demo"], None, 3)
    assert _total(s, "new_passages") > 0 and _total(s, "new_boarded") > 0


def test_russia2022_gives_the_same_bytes_with_both_kernels(scenarios) -> None:  # noqa: ANN001
    s = _assert_same_runs(scenarios["russia2022"], 300, 0)
    for name in ("new_passages", "new_boarded", "new_queue_gave_up", "new_missed_seat", "new_seat_gave_up",
                 "new_first_arrivals", "new_emigrant_returns"):
        assert _total(s, name) > 0, f"russia2022's first 300 days should exercise {name}"


def test_every_mechanism_gives_the_same_bytes_with_both_kernels(scenarios) -> None:  # noqa: ANN001
    """The synthetic scenario with every mechanism on: crossings with capacities, bars and closures, flights with
    seats, fares and a suspension, visas, stay limits, a ban, permits, visa runs, money, onward moves, returns."""
    s = _assert_same_runs(scenarios["synthetic"], None, 1)
    for name in ("new_passages", "new_boarded", "new_missed_seat", "new_refused", "new_turned_back",
                 "new_visa_runs", "new_permits_granted", "new_onward", "new_returns", "new_broke",
                 "new_queue_gave_up", "new_seat_gave_up", "new_first_arrivals", "new_emigrant_returns"):
        assert _total(s, name) > 0, f"the synthetic scenario should exercise {name}"
    # first arrivals are fewer than entries (visa runs and moves back re-enter), emigrant returns than returns
    assert 0 < _total(s, "new_first_arrivals") < _total(s, "new_entries")
    assert _total(s, "new_emigrant_returns") <= _total(s, "new_returns")


# ---- each kernel on the same state -----------------------------------------------------------------------

def _run_until(sim: Simulation, day: int, rule: str) -> None:
    """Run ``sim`` (kernel numpy) up to, not including, ``rule`` on ``day``."""
    sim._setup()
    for d in range(day + 1):
        sim.flows.clear()
        sim.model.begin_day(sim, d)
        for r in sim.plan:
            if d == day and r.name == rule:
                return
            r.step(sim, d)
        sim.model.census(sim, d)


def _state(sim: Simulation) -> dict[str, bytes]:
    out = {f"agents.{c}": getattr(sim.agents, c).tobytes() for c in sim.agents.columns}
    for prefix, obj in (("world", sim.world), ("flows", sim.flows), ("eflows", sim.eflows)):
        for k, v in vars(obj).items():  # private storage (the flows' one buffer) is seen through its views
            if isinstance(v, np.ndarray) and not k.startswith("_"):
                out[f"{prefix}.{k}"] = v.tobytes()
    return out


@pytest.mark.parametrize("rule", ["departures", "route_choice", "travel", "border_queues", "flights", "returns",
                                  "money", "onward", "stay_limits"])
def test_each_kernel_equals_its_numpy_twin(scenarios, rule: str) -> None:  # noqa: ANN001
    """On the synthetic scenario's state just before the rule, one step of it changes the same bytes (on days
    when the rule has work: the state before and after it differ). Returns and money send agents home
    (``movement.go_home``, compiled or not); stays that run out choose visa runs, permits, moving on or going home."""
    worked = 0
    days = (23, 44, 52) if rule == "stay_limits" else (6, 14, 41)  # stays run out from day 21, permits from 41
    for day in days:
        sim = Simulation(scenarios["synthetic"], seed=2, days=60, kernel="numpy")
        _run_until(sim, day, rule)
        before = _state(sim)
        twin = copy.deepcopy(sim)
        sim.kernel = "compiled"
        next(r for r in sim.plan if r.name == rule).step(sim, day)
        next(r for r in twin.plan if r.name == rule).step(twin, day)
        a, b = _state(sim), _state(twin)
        assert a.keys() == b.keys()
        differ = [k for k in a if a[k] != b[k]]
        assert not differ, f"{rule} on day {day}: the kernel and its twin differ in {differ}"
        worked += a != before
    assert worked >= 2, f"{rule} should have work on most of the days tested"


def test_the_tally_and_the_recording_equal_their_numpy_twins(scenarios) -> None:  # noqa: ANN001
    """The day's recording (the tally's sync of the rows that changed since yesterday, the stays calendar and the
    registered stays, the copies of every stock and flow into the series) changes the same bytes compiled and in
    NumPy."""
    sim = Simulation(scenarios["synthetic"], seed=2, days=60, kernel="numpy")
    sim._setup()
    res = Results.allocate(sim.scenario, sim.days, sim.seed, sim.rules, sim.model.schema(sim.scenario), sim.model)
    synced = 0
    for day in range(50):
        sim.flows.clear()
        sim.model.begin_day(sim, day)
        for r in sim.plan:
            r.step(sim, day)
        if day in (12, 30, 47):
            twin, twin_res = copy.deepcopy(sim), copy.deepcopy(res)
            twin.kernel = "compiled"
            twin.model.record(twin, twin_res, day)
            sim.model.record(sim, res, day)
            a, b = _state(twin), _state(sim)
            differ = [k for k in a if a[k] != b[k]]
            assert not differ, f"recording on day {day}: the kernel and its twin differ in {differ}"
            for name in res.series:
                assert res.series[name][day].tobytes() == twin_res.series[name][day].tobytes(), f"{name} differs"
            assert np.array_equal(sim.tally.calendar, twin.tally.calendar)
            synced += int(res.series["n_emigrants_in_country"][day].sum() > 0)
        else:
            sim.model.record(sim, res, day)
    assert synced == 3 and res.series["new_registrations"][:48].sum() > 0


# ---- agent ids -------------------------------------------------------------------------------------------

def _drop_returned(sim: Simulation) -> None:
    """Drop every returned row now, as ``retire_returned`` does once they are many (without its thresholds)."""
    back = sim.agents.state == state.RETURNED
    if 4 * int(back.sum()) >= len(sim.agents):
        retire_returned(sim, least=1)
        return
    sim.world.retired += np.bincount(sim.agents.loc[back], minlength=len(sim.world.retired))
    rt = sim.scenario.emigration.round_trip
    if rt is not None:
        sim.world.retired_travellers += int(np.count_nonzero(rt[sim.agents.category[back]]))
    sim.agents.keep(~back)


def test_agent_ids_are_stable_and_never_reused(scenarios) -> None:  # noqa: ANN001
    """Ids follow the order people left home, survive the dropping of returned rows and are never given twice."""
    sim = Simulation(scenarios["synthetic"], seed=4, days=60)
    sim._setup()
    seen: dict[int, int] = {}  # id -> left_day
    for d in range(60):
        sim.flows.clear()
        sim.model.begin_day(sim, d)
        if d in (20, 35):
            before = {int(i): int(x) for i, x in zip(sim.agents.id, sim.agents.left_day, strict=True)}
            _drop_returned(sim)
            kept = sim.agents.id
            assert len(kept) < len(before), "some returned rows are dropped"
            assert all(before[int(i)] == int(x) for i, x in zip(kept, sim.agents.left_day, strict=True))
        for r in sim.plan:
            r.step(sim, d)
        ids = sim.agents.id
        assert (ids >= 0).all(), "every agent past route choice has an id"
        assert (np.diff(ids) > 0).all(), "the table stays sorted by id"
        for i, x in zip(ids.tolist(), sim.agents.left_day.tolist(), strict=True):
            assert seen.setdefault(i, x) == x, f"id {i} given to two people"
    total = len(sim.agents) + int(sim.world.retired.sum())
    assert sorted(seen) == list(range(total)), "ids are 0, 1, 2, ... with none skipped"


def test_summary_records_the_kernel(tmp_path: Path, scenarios) -> None:  # noqa: ANN001
    for kernel in ("compiled", "numpy"):
        res = cx.run(scenarios["demo"], seed=0, days=20, kernel=kernel)
        assert res.meta["kernel"] == kernel
