"""Double-entry accounting of the emigration model with every mechanism on (departure events, mode bars,
crossing closures, seat-limited flights that close, queue and seat patience; entry policies, visa runs,
permits, money, onward moves and returns): the engine's daily census (``check=True``) holds, and the
observation model's counts agree with each other — entries into a country are the border crossings into it
(passages, landings, visa runs) plus returns home."""

from __future__ import annotations

import numpy as np
import pytest

import crossings as cx
from crossings.scenarios.emigration_demo import write_emigration_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return cx.load_scenario(write_emigration_demo(tmp_path_factory.mktemp("exodus") / "exodus-mini"))


@pytest.fixture(scope="module")
def impatient(tmp_path_factory):
    root = write_emigration_demo(tmp_path_factory.mktemp("impatient") / "exodus-mini")
    text = (root / "scenario.yml").read_text().replace("seat_patience_days: 3",
                                                       "seat_patience_days: 1\n  queue_patience_days: 2")
    (root / "scenario.yml").write_text(text)
    return cx.load_scenario(root)


def entries_from_passages_and_flights(sc, res) -> np.ndarray:
    """(days, countries): passages of each crossing into the country beyond it, plus flights landing there."""
    em = sc.emigration
    links, locs = sc.links, sc.locations
    country = np.array([em.countries.index(c) for c in locs.country])
    out = np.zeros((res.days, len(em.countries)), dtype=np.int64)
    for j, x in enumerate(em.crossings):
        out_of_x = links.dst[links.src == x]
        beyond = {int(country[d]) for d in out_of_x if country[d] != country[x]}
        assert len(beyond) == 1, "test setup: each crossing leads into one country"
        out[:, beyond.pop()] += res.series["new_passages"][:, 2 * j] + res.series["new_passages"][:, 2 * j + 1]
    for k in np.flatnonzero(em.link_mode == 2):
        if country[links.dst[k]] != country[links.src[k]]:
            out[:, country[links.dst[k]]] += res.series["new_link_exits"][:, k]
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("variant", ["demo", "impatient"])
def test_census_and_flows_balance_every_day(demo, impatient, variant, seed):
    sc = demo if variant == "demo" else impatient
    res = cx.Simulation(sc, seed=seed, check=True).run()  # check=True asserts the census and balances daily
    s = res.series
    em = sc.emigration
    home = em.countries.index("Russia")
    assert s["new_left_home"].sum() == res.n_agents[-1] > 0
    assert (s["n_in_country"].sum(axis=1) == res.n_agents).all(), "every agent is counted in exactly one country"
    # every entry is a border crossing on a link (a passage, a landing, a road into a country, a leg of a visa
    # run) or a return home; passages and landings are among them
    country = np.array([em.countries.index(c) for c in sc.locations.country])
    border = s["new_border_crossings"]
    by_link = np.stack([np.bincount(country[sc.links.dst], weights=b, minlength=len(em.countries)) for b in border])
    home_in = np.stack([np.bincount(country, weights=r, minlength=len(em.countries)) for r in s["new_returned_home"]])
    assert (s["new_entries"] == by_link + home_in).all(), "entries = border crossings into the country + returns"
    assert (s["new_entries"] >= entries_from_passages_and_flights(sc, res)).all(), \
        "every passage of a crossing and every landing abroad is an entry"
    assert (s["new_exits"].sum(axis=1) == s["new_entries"].sum(axis=1)).all(), "every entry is an exit elsewhere"
    assert (s["new_exits"][:, home] >= s["new_passages"].sum(axis=1)).all()
    assert s["new_visa_runs"].sum() > 0 and s["new_returns"].sum() > 0 and s["new_onward"].sum() > 0
    assert (s["n_at_home"].sum(axis=1) + res.n_agents == sc.locations.population.sum()).all()
    if variant == "impatient":
        assert s["new_seat_gave_up"].sum() > 0 and s["new_queue_gave_up"].sum() > 0, \
            "test setup: the impatient variant must exercise both kinds of re-planning"


def test_same_seed_same_run_and_mechanisms_are_visible(demo):
    a = cx.run(demo, seed=7)
    b = cx.run(demo, seed=7)
    for k, v in a.series.items():
        assert (v == b.series[k]).all(), f"series {k} differs between two runs with the same seed"
    em = demo.emigration
    lars = int(np.flatnonzero(em.crossings == demo.locations.index("Upper_Lars"))[0])
    foot = a.series["new_passages"][:, 2 * lars + 1]
    barred = [d for d in range(a.days) if d < 12 or d >= 14]  # bars: 15–26 Sep and from 29 Sep (days 0–11, 14–)
    assert (foot[barred] == 0).all(), "pedestrians pass Upper Lars only on 27–28 Sep"
    ist = int(np.flatnonzero((demo.links.src == demo.locations.index("Moscow_SVO"))
                             & (demo.links.dst == demo.locations.index("Istanbul")))[0])
    assert (a.series["new_boarded"][11:18, ist] == 0).all(), "no flight to Istanbul 26 Sep – 2 Oct"
    assert a.series["new_boarded"][:, ist].max() <= 60


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    from crossings.scenarios.emigration_demo import write_emigration_synthetic

    return cx.load_scenario(write_emigration_synthetic(tmp_path_factory.mktemp("synthetic") / "s", 6000, 90))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_census_and_flows_balance_with_every_mechanism_on(synthetic, seed):
    """Entry policies, visa runs, permits, bans, visas, money, onward moves and returns on top of the first
    slice's mechanisms: check=True asserts every day that each stock equals a census of the agents and changed
    by exactly its flows, that entries and exits per country are the border crossings plus returns, and that
    permit holders and returned agents are where they should be."""
    res = cx.Simulation(synthetic, seed=seed, check=True).run()
    s = res.series
    for name in ("new_visa_runs", "new_permit_applications", "new_permits_granted", "new_refused",
                 "new_turned_back", "new_onward", "new_returns", "new_broke", "new_registrations", "new_overstays",
                 "new_boarded", "new_queue_gave_up", "new_seat_gave_up"):
        assert s[name].sum() > 0, f"test setup: {name} must happen in the synthetic scenario"
    assert (s["n_in_country"].sum(axis=1) == res.n_agents).all()
    assert (s["n_at_home"].sum(axis=1) + res.n_agents == synthetic.locations.population.sum()).all()
    assert s["new_returns"].sum() == s["n_returned"][-1].sum() == s["new_returned_home"].sum()
    rows = res.observations()
    entries = {r[2]: r[5] for r in rows if r[3] == "country" and r[4] == "entries"}
    assert entries == {c: int(s["new_entries"][:, i].sum()) for i, c in enumerate(synthetic.emigration.countries)}
