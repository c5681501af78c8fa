"""Issue 22 item 5: the memory guard in closed form (no loop over the days or the members), applied by ``run``,
``ensemble``, ``sensitivity``, ``calibrate`` and the Python API: a run or a set of runs that cannot fit is refused
with one line and exit 2 before any work (a scenario of 10^8 days spent 48 minutes in the estimate's loop over
days; an ensemble of 10^12 people was a MemoryError traceback; ``--runs 100000000`` grew to 3 GB in a minute).
The bounds on time are generous (the refusals take about a second of start-up): they catch a loop, not a speed."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from _cli import assert_one_line_error, crossings

import crossings as cx
from crossings.engine.resources import check_members_fit, client_bytes, estimate_bytes, expected_agents
from crossings.errors import InputError

RUSSIA = Path(__file__).resolve().parents[2] / "src" / "crossings" / "scenarios" / "russia2022"
GENEROUS = 60.0  # seconds; the loop over 10^8 days took 48 minutes


@pytest.fixture
def russia(tmp_path: Path) -> Path:
    return Path(shutil.copytree(RUSSIA, tmp_path / "russia2022"))


def set_days(scenario: Path, days: int) -> None:
    path = scenario / "scenario.yml"
    text = path.read_text(encoding="utf-8")
    assert text.count("days: 1093 ") == 1
    path.write_text(text.replace("days: 1093 ", f"days: {days} "), encoding="utf-8")


def test_the_closed_form_gives_the_loop_s_numbers():
    """The estimate of expected agents over the days (the loop this replaced, written out here) for the bundled
    scenario and several lengths, including ones that cut through events."""
    import numpy as np

    from crossings.engine.models.emigration.timeline import hazard_multipliers
    from crossings.engine.models.emigration.world import apportion
    from crossings.scenario.model import ORIGIN

    sc = cx.load_scenario(RUSSIA)
    em = sc.emigration
    for days in (1, 7, 30, 212, 1093, 3000):
        origins = np.flatnonzero(sc.locations.kind == ORIGIN)
        cells = np.multiply.outer(np.multiply.outer(em.category.shares, em.sex.shares), em.age_band.shares)
        home = np.stack([apportion(int(sc.locations.population[o]), cells) for o in origins]).astype(np.float64)
        start = home.sum()
        events = [ev for ev in em.events if ev.kind == "departure_hazard"]
        pos = {int(o): i for i, o in enumerate(origins)}
        for day in range(days):
            rate = np.minimum(em.hazard[origins][:, :, None, None] *
                              hazard_multipliers(events, pos, home.shape, day), 1.0)
            home -= home * rate
        loop = int(np.ceil(start - home.sum()))
        assert abs(expected_agents(sc, days) - loop) <= max(2, loop * 1e-9), days


def test_a_scenario_of_10_8_days_is_refused_at_once(tmp_path, russia):
    set_days(russia, 10**8)
    started = time.monotonic()
    err = assert_one_line_error(crossings("run", str(russia), "--out", str(tmp_path / "out"), "--quiet",
                                          cwd=tmp_path), "memory", "GiB")
    assert time.monotonic() - started < GENEROUS
    assert str(russia) in err
    assert not (tmp_path / "out").exists()


def test_the_python_api_refuses_10_8_days_before_any_work(tmp_path):
    sc = cx.load_scenario(RUSSIA)
    started = time.process_time()
    assert estimate_bytes(sc, 10**8) > 2**40  # terabytes: the recorded series alone
    with pytest.raises(InputError, match="memory"):
        cx.run(sc, days=10**8, quiet=True)
    assert time.process_time() - started < GENEROUS


def test_an_ensemble_of_10_12_people_is_refused_before_any_member(tmp_path, russia):
    path = russia / "locations.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Moscow,origin,Russia,Central Russia,55.76,37.62,300000,",
                                 "Moscow,origin,Russia,Central Russia,55.76,37.62,1000000000000,", 1), encoding="utf-8")
    out = tmp_path / "out"
    err = assert_one_line_error(crossings("ensemble", str(russia), "--members", "4", "--workers", "1", "--out",
                                          str(out), "--quiet", cwd=tmp_path), "memory", "GiB")
    assert str(russia) in err
    assert not out.exists()


@pytest.mark.parametrize("args", [
    ("ensemble", "--members", "100000000"),
    ("ensemble", "--runs", "100000000"),
    ("sensitivity", "--param", "wave1=5:150", "--samples", str(2**30)),
    ("calibrate", "--param", "wave1=5:150", "--budget", "1000000000"),
    ("calibrate", "--method", "abc", "--param", "wave1=5:150", "--budget", "1000000000"),
], ids=["members", "runs", "sensitivity", "calibrate", "abc"])
def test_too_many_members_are_refused_before_any_work(tmp_path, args):
    out = tmp_path / "out"
    started = time.monotonic()
    proc = crossings(args[0], str(RUSSIA), *args[1:], "--workers", "1", "--out", str(out), "--quiet", cwd=tmp_path)
    lines = [ln for ln in proc.stderr.splitlines() if "deprecated" not in ln]  # --runs says it is deprecated
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and len(lines) == 1, proc.stderr
    assert "members" in lines[0] and "GiB" in lines[0], lines[0]
    assert time.monotonic() - started < GENEROUS
    assert not out.exists()


def test_the_client_estimate_is_linear_in_members_and_a_normal_ensemble_fits():
    sc = cx.load_scenario(RUSSIA)
    assert client_bytes(sc, 2000) - client_bytes(sc, 1000) == 1000 * (client_bytes(sc, 1) - client_bytes(sc, 0))
    check_members_fit(sc, sc.length, 1000, "--members", available=8 * 2**30)  # 1,000 members fit in 8 GiB
    with pytest.raises(InputError, match="members"):
        check_members_fit(sc, sc.length, 10**8, "--members", available=8 * 2**30)
