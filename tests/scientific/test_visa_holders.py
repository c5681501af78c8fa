"""Visas held by a share of people (policies.csv ``visa`` with ``holders``): only holders choose the country or a
path through it, so nobody travels there to be refused for want of a visa. Small synthetic scenarios whose
answers are worked out by hand in the comments; every run on both kernels, with the check mode on."""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

import crossings as cx
from crossings.engine import checkpoint as ck
from crossings.engine.models.emigration.entry import holder_trait
from crossings.errors import InputError

KERNELS = ("compiled", "numpy")
START = dt.date(2022, 1, 1)
N = 4000
# Town (Home) reaches Helsinki (Finland, attractiveness 999) through PostF and Uralsk (Kazakhstan, 1) through
# PostK, each 10 + 50 km: the same travel days, so a leaver who may go anywhere picks Helsinki with probability
# 999/1000. Everyone leaves on day 0 (hazard 1) and arrives the same day; nobody's stay ever runs out.
LOCS = [("Town", "origin", "Home", N, ""), ("PostF", "crossing", "Home", 0, ""), ("PostK", "crossing", "Home", 0, ""),
        ("Helsinki", "destination", "Finland", 0, 999), ("Uralsk", "destination", "Kazakhstan", 0, 1)]
ROUTES = [("Town", "PostF", 10), ("PostF", "Helsinki", 50), ("Town", "PostK", 10), ("PostK", "Uralsk", 50)]
P_FINLAND = 999 / 1000
HEAD = "date,until,country,policy,days,window_days,probability,cost_usd,waiting_days,weight,eligible,holders"


def write(root: Path, policies: list[tuple], *, locations=LOCS, routes=ROUTES, hazard=1.0, days=3,
          head: str = HEAD) -> Path:
    """A native emigration scenario in ``root``; ``policies``: (day, until day or "", country, policy, then the
    columns of ``head`` after ``policy`` in order, "" for empty)."""
    root.mkdir(parents=True, exist_ok=True)
    meta = {"format": "crossings-native/1", "model": "emigration", "name": root.name, "start_date": str(START),
            "days": days, "home_country": "Home", "agents": {"travel_mode": {"car": 1.0}}}
    (root / "scenario.yml").write_text(yaml.safe_dump(meta, sort_keys=False))

    def table(name: str, header: str, rows) -> None:
        (root / name).write_text(header + "\n" + "".join(",".join(str(c) for c in r) + "\n" for r in rows))

    def date(d) -> str:
        return "" if d == "" else (START + dt.timedelta(days=int(d))).isoformat()

    table("locations.csv", "name,kind,country,population,attractiveness", locations)
    table("routes.csv", "from,to,mode,distance_km", [(a, b, "road", km) for a, b, km in routes])
    table("departures.csv", "origin,category,daily_hazard", [("Town", "*", hazard)])
    width = len(head.split(","))
    table("policies.csv", head, [(date(r[0]), date(r[1]), *r[2:], *[""] * (width - len(r))) for r in policies])
    return root


def visa(holders="", p=1.0, day=0, until="", country="Finland") -> tuple:
    """A visa row: approval ``p``, no cost, the share ``holders`` ("" = no holders column value)."""
    return (day, until, country, "visa", "", "", p, "", "", "", "", holders)


def run(root: Path, kernel: str, seed: int = 3) -> tuple[cx.Scenario, cx.Simulation, dict[str, np.ndarray]]:
    sc = cx.load_scenario(root)
    sim = cx.Simulation(sc, seed=seed, check=True, kernel=kernel)
    return sc, sim, sim.run().series


def binomial_slack(n: int, p: float) -> float:
    """Four standard deviations of a Binomial(n, p) count."""
    return 4 * math.sqrt(n * p * (1 - p))


@pytest.mark.parametrize("kernel", KERNELS)
def test_only_holders_go_and_nobody_is_refused_for_want_of_a_visa(tmp_path, kernel):
    # holders 0.25, approval 1: the quarter of leavers whose trait is below 0.25 may go to Finland, and of them a
    # share 999/1000 do: Binomial(4000, 0.25 × 0.999), mean 999, sd 27.4. The rest go to Kazakhstan, and nobody
    # is refused anywhere (holders are approved with probability 1).
    sc, sim, s = run(write(tmp_path / "s", [visa(0.25)]), kernel)
    fi, kz = sc.emigration.countries.index("Finland"), sc.emigration.countries.index("Kazakhstan")
    went = int(s["new_entries"][:, fi].sum())
    p = 0.25 * P_FINLAND
    assert abs(went - N * p) <= binomial_slack(N, p), went
    assert int(s["new_entries"][:, kz].sum()) == N - went
    assert int(s["new_refused"].sum()) == 0, "nobody is refused for want of a visa"
    a = sim.agents
    u = holder_trait(sim.world.visa_salt, a.id[: len(a)])
    in_finland = a.loc[: len(a)] == sc.locations.name.index("Helsinki")
    assert (u[in_finland] < 0.25).all(), "everyone in Finland holds the visa"
    assert abs(int((u < 0.25).sum()) - N * 0.25) <= 5, "an evenly spread trait: the share, to a few agents"


@pytest.mark.parametrize("kernel", KERNELS)
def test_without_holders_the_same_leavers_travel_to_be_refused(tmp_path, kernel):
    # today's behaviour, for contrast: the visa lets in a share 0.25 at the border; 999/1000 of the 4000 choose
    # Finland and 3/4 of them are turned back: about 2,997 refusals (sd 27) where holders=0.25 gives none
    sc, _, s = run(write(tmp_path / "s", [visa("", p=0.25)]), kernel)
    fi = sc.emigration.countries.index("Finland")
    refused = int(s["new_refused"][:, fi].sum())
    p = P_FINLAND * 0.75
    assert abs(refused - N * p) <= binomial_slack(N, p), refused


@pytest.mark.parametrize("kernel", KERNELS)
def test_holders_zero_sends_nobody_there(tmp_path, kernel):
    sc, _, s = run(write(tmp_path / "s", [visa(0)]), kernel)
    fi, kz = sc.emigration.countries.index("Finland"), sc.emigration.countries.index("Kazakhstan")
    assert int(s["new_entries"][:, fi].sum()) == 0
    assert int(s["new_refused"].sum()) == 0
    assert int(s["new_entries"][:, kz].sum()) == N


@pytest.mark.parametrize("kernel", KERNELS)
def test_no_path_through_a_country_whose_visa_one_lacks(tmp_path, kernel):
    # Norway (no entry rule, attractiveness 999) is reached only through Finland (PostF -> Nuorgam, a crossing
    # of Finland); Finland's visa is held by half: about 4000 × 0.5 × 0.999 = 1,998 (sd 31.6) pass through
    # Finland to Norway, and nobody else enters Finland. With holders 0 nobody does.
    locs = [LOCS[0], LOCS[1], LOCS[2], ("Nuorgam", "crossing", "Finland", 0, ""),
            ("Kirkenes", "destination", "Norway", 0, 999), LOCS[4]]
    routes = [("Town", "PostF", 10), ("PostF", "Nuorgam", 20), ("Nuorgam", "Kirkenes", 30),
              *ROUTES[2:]]
    for share in (0.5, 0):
        sc, _, s = run(write(tmp_path / f"h{share}", [visa(share)], locations=locs, routes=routes), kernel)
        fi, no = sc.emigration.countries.index("Finland"), sc.emigration.countries.index("Norway")
        through = int(s["new_entries"][:, no].sum())
        assert int(s["new_entries"][:, fi].sum()) == through
        assert int(s["new_refused"].sum()) == 0
        if share == 0:
            assert through == 0
        else:
            p = share * P_FINLAND
            assert abs(through - N * p) <= binomial_slack(N, p), through


@pytest.mark.parametrize("kernel", KERNELS)
def test_the_share_follows_the_timeline_and_each_agent_keeps_its_trait(tmp_path, kernel):
    # holders 0 until day 5, then 0.6 (a later row): leavers (hazard 0.2 a day) go to Kazakhstan only before
    # day 5; from day 5, of the day's leavers those with trait < 0.6 may go to Finland (999/1000 of them do)
    rows = [visa(0, until=5), visa(0.6, day=5)]
    sc, sim, s = run(write(tmp_path / "s", rows, hazard=0.2, days=12), kernel)
    fi = sc.emigration.countries.index("Finland")
    entries = s["new_entries"][:, fi]
    assert entries[:5].sum() == 0 and int(s["new_refused"].sum()) == 0
    later = int(s["new_left_home"][5:, sc.emigration.countries.index("Home")].sum())
    p = 0.6 * P_FINLAND
    assert abs(int(entries[5:].sum()) - later * p) <= binomial_slack(later, p)
    a = sim.agents
    u = holder_trait(sim.world.visa_salt, a.id[: len(a)])
    assert (u[a.loc[: len(a)] == sc.locations.name.index("Helsinki")] < 0.6).all()


def test_empty_holders_reproduce_todays_outputs_exactly(tmp_path):
    # the same visa policy (approval 0.4: refusals and re-plans) written without the column, with it empty, and
    # with holders 1: the same bytes on each kernel
    no_column = HEAD.rsplit(",", 1)[0]
    cases = [(visa("", p=0.4)[:-1], no_column), (visa("", p=0.4), HEAD), (visa(1, p=0.4), HEAD)]
    for kernel in KERNELS:
        runs = [run(write(tmp_path / f"{kernel}{i}", [row], head=head), kernel)[2]
                for i, (row, head) in enumerate(cases)]
        assert runs[0]["new_refused"].sum() > 0
        for other in runs[1:]:
            assert runs[0].keys() == other.keys()
            for name in runs[0]:
                assert np.array_equal(runs[0][name], other[name]), (kernel, name)


def test_the_two_kernels_give_the_same_bytes_with_holders(tmp_path):
    root = write(tmp_path / "s", [visa(0.3, p=0.8, until=4), visa(0.7, p=0.9, day=4)], hazard=0.3, days=10)
    a, b = run(root, "compiled")[2], run(root, "numpy")[2]
    for name in a:
        assert np.array_equal(a[name], b[name]), name


def test_the_trait_is_not_the_permit_trait(tmp_path):
    # the visa trait (step √2 − 1 over ids) and the permit trait (golden step over ids) of the same agents are
    # independent: the quarter below 0.25 of one holds a quarter below 0.25 of the other, within a few
    _, sim, _ = run(write(tmp_path / "s", [visa(0.25)]), "numpy")
    a = sim.agents
    rows = np.arange(len(a))
    u = holder_trait(sim.world.visa_salt, a.id[rows])
    permit = next(r for r in sim.plan if r.name == "stay_limits").trait(a.id[rows])
    both = int(((u < 0.25) & (permit < 0.25)).sum())
    assert abs(both - N / 16) <= binomial_slack(N, 1 / 16), both
    _, other, _ = run(write(tmp_path / "t", [visa(0.25)]), "numpy", seed=4)
    assert other.world.visa_salt != sim.world.visa_salt, "the offset is drawn anew for each run"


# ---- reading ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad,why", [("1.5", "not a share"), ("-0.1", "not a share"), ("many", "not a number")])
def test_a_bad_holders_value_names_file_line_and_field(tmp_path, bad, why):
    root = write(tmp_path / "s", [visa(0.5, country="Kazakhstan"), visa(bad)])
    with pytest.raises(InputError) as e:
        cx.load_scenario(root)
    assert str(e.value).startswith(f"{root / 'policies.csv'}:3: holders: ") and why in str(e.value)
    proc = subprocess.run([sys.executable, "-m", "crossings", "run", str(root), "--out", str(tmp_path / "out"),
                           "--quiet", "--no-report"], capture_output=True, text=True, cwd=tmp_path, timeout=180)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "policies.csv:3: holders: " in proc.stderr and why in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()


def test_holders_belong_to_visa_policies_only(tmp_path):
    root = write(tmp_path / "s", [(0, "", "Finland", "visa_free", 30, "", "", "", "", "", "", 0.5)])
    with pytest.raises(InputError) as e:
        cx.load_scenario(root)
    assert "policies.csv:2: holders: a visa_free policy takes no holders" in str(e.value)


def test_the_reader_keeps_holders_and_defaults_to_everyone(tmp_path):
    sc = cx.load_scenario(write(tmp_path / "s", [visa(0.127), visa("", country="Kazakhstan")]))
    assert [p.holders for p in sc.emigration.policies] == [0.127, 1.0]


def test_what_if_takes_holders(tmp_path):
    root = write(tmp_path / "s", [visa(0.25)])
    sc = cx.load_scenario(root, sets=["policy: Kazakhstan visa p=0.9 cost=10 holders=0.3 from 2022-01-02"])
    p = sc.emigration.policies[-1]
    assert (sc.emigration.countries[p.country], p.kind, p.start, p.probability, p.cost, p.holders) == (
        "Kazakhstan", "visa", 1, 0.9, 10.0, 0.3)
    for text, words in (("policy: Kazakhstan visa p=0.9 cost=10 holders=2 from 2022-01-02", "not a share"),
                        ("policy: Kazakhstan visa_free 30 holders=0.5 from 2022-01-02", "takes no 'holders'")):
        with pytest.raises(InputError) as e:
            cx.load_scenario(root, sets=[text])
        assert "holders" in str(e.value) and words in str(e.value)


class _Stop(Exception):
    pass


@pytest.mark.parametrize("kernel", KERNELS)
def test_a_resumed_run_keeps_the_traits(tmp_path, kernel):
    # stopped after day 7 (a checkpoint every 3 days: the last after day 5, when the share changed) and resumed:
    # the same series as a run straight through, so each agent's trait survives the checkpoint
    sc = cx.load_scenario(write(tmp_path / "s", [visa(0, until=5), visa(0.6, day=5)], hazard=0.2, days=12))
    full = cx.Simulation(sc, seed=5, kernel=kernel, check=True).run()
    out = tmp_path / "out"

    def stop(sim, res, done, steps):
        ck.Checkpointer(out, 3, ck.run_params(sim, sim.scenario.path, out, 3))(sim, res, done, steps)
        if done == 7:
            raise _Stop

    with pytest.raises(_Stop):
        cx.Simulation(sc, seed=5, kernel=kernel).run(checkpoint=stop)
    res = cx.Simulation(sc, seed=5, kernel=kernel, check=True).run(resume=ck.find(out))
    assert full.series["new_entries"][:, sc.emigration.countries.index("Finland")].sum() > 0
    for k in full.series:
        assert np.array_equal(full.series[k], res.series[k]), k
