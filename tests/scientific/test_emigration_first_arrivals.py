"""Emigrant-only outputs: ``new_first_arrivals`` (per country, each emigrant's first entry there since it left
home, once per person and country) and ``new_emigrant_returns`` (per place, emigrants going home from it), and
the fit's ``first_arrivals`` and ``emigrant_returns`` quantities. A small synthetic scenario worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from test_emigration_stays import ONLY, scenario

import crossings as cx
from crossings.observed.measures import RunTables, parse_sim, simulate

# Town --10 km--> Post (a crossing of Home) --50 km--> City (Georgia) --5 km--> Gate (a crossing of Armenia).
# 100 people leave on day 0: 50 emigrants, 50 round-trip travellers; everyone reaches City on day 0.
LOCS = [("Town", "origin", "Home", 100), ("Post", "crossing", "Home", 0), ("City", "destination", "Georgia", 0),
        ("Gate", "crossing", "Armenia", 0)]
ROUTES = [("Town", "Post", "road", 10), ("Post", "City", "road", 50), ("City", "Gate", "road", 5)]
# 30 days per entry, at most 90 in any 180, visa runs only: entry on day 0 (30 days allowed), a visa run over
# the nearest border (City -> Gate, into Armenia, and back) on day 30 and on day 60 (60 used, 30 more allowed),
# and on day 90 the window is used up: no room for a third run, so everyone goes home. The travellers, back
# among the people at home, set out again on day 91 (new rows) and enter Georgia again.
POLICIES = [(0, "", "Georgia", "visa_free", 30), (0, "", "Georgia", "stay_limit", 90, 180)]


@pytest.fixture(scope="module", params=["compiled", "numpy"])
def run(request, tmp_path_factory):
    sc = scenario(tmp_path_factory.mktemp("first") / "s", LOCS, ROUTES, policies=POLICIES, days=100,
                  agents={"travel_mode": {"car": 1.0}, "category": {"emigrant": 0.5, "traveller": 0.5},
                          "round_trip": ["traveller"]},
                  emigration={**ONLY, "visa_run_weight": 1})
    sim = cx.Simulation(sc, seed=3, check=True, kernel=request.param)
    return sc, sim, sim.run()


def test_a_visa_run_counts_a_first_arrival_in_the_neighbour_and_none_on_re_entry(run):
    sc, sim, res = run
    s = res.series
    c = list(sc.emigration.countries)
    ge, am, home = c.index("Georgia"), c.index("Armenia"), c.index("Home")
    days = range(100)
    # every entry counted: Georgia on days 0, 30 and 60 (the return leg of each visa run) and the travellers'
    # second trip on day 91, Armenia on 30 and 60
    assert s["new_entries"][:, ge].tolist() == [100 if d in (0, 30, 60) else 50 if d == 91 else 0 for d in days]
    assert s["new_entries"][:, am].tolist() == [100 if d in (30, 60) else 0 for d in days]
    # first arrivals: the 50 emigrants into Georgia on day 0 and into Armenia on day 30; the second visa run
    # and every return into Georgia count nothing; travellers never count (nor on their second trip); home is
    # not abroad
    assert s["new_first_arrivals"][:, ge].tolist() == [50 if d == 0 else 0 for d in days]
    assert s["new_first_arrivals"][:, am].tolist() == [50 if d == 30 else 0 for d in days]
    assert s["new_first_arrivals"][:, home].sum() == 0
    assert s["new_visa_runs"][:, ge].tolist() == [100 if d in (30, 60) else 0 for d in days]
    # the bits kept per agent: emigrants entered Georgia and Armenia, travellers nothing marked
    a = sim.agents
    e = list(sc.emigration.category.names).index("emigrant")
    both = (1 << ge) | (1 << am)
    assert a.entered[(a.category == e)].tolist() == [both] * 50
    assert (a.entered[a.category != e] == 0).all()


def test_emigrants_going_home_are_counted_at_the_place_they_leave(run):
    sc, _, res = run
    s = res.series
    c, names = list(sc.emigration.countries), list(sc.locations.name)
    ge, city = c.index("Georgia"), names.index("City")
    # day 90: the 90-in-180 window is used up, all 100 go home from City; 50 of them are emigrants
    assert s["new_returns"][:, ge].tolist() == [100 if d == 90 else 0 for d in range(100)]
    assert s["new_emigrant_returns"][:, city].tolist() == [50 if d == 90 else 0 for d in range(100)]
    assert s["new_emigrant_returns"].sum() == 50 and s["new_returned_home"].sum() == 100


def test_the_fit_scores_first_arrivals_and_emigrant_returns(run):
    sc, _, res = run
    view = RunTables.from_results(res)
    ppa = view.people_per_agent

    def day(d):
        return sc.start_date + dt.timedelta(days=d)

    def q(text, d0, d1):
        got = simulate(view, parse_sim(text), day(d0), day(d1))
        assert got.status == "ok", got
        return got.value

    assert q("first_arrivals(country=Georgia)", 0, 99) == 50 * ppa
    assert q("first_arrivals(country=Armenia)", 0, 29) == 0 and q("first_arrivals(country=Armenia)", 30, 99) == 50 * ppa
    assert q("first_arrivals(country=Georgia+Armenia)", 0, 99) == 100 * ppa
    assert q("emigrant_returns(location=City)", 0, 99) == 50 * ppa
    assert q("emigrant_returns(country=Georgia)", 0, 99) == 50 * ppa
    assert q("emigrant_returns(country=Armenia)", 0, 99) == 0
    assert q("returns(country=Georgia)", 0, 99) == 100 * ppa  # travellers too
    del view.location["new_emigrant_returns"]  # a run written before the series existed
    got = simulate(view, parse_sim("emigrant_returns(location=City)"), day(0), day(99))
    assert got.status == "unavailable" and got.value is None


def test_more_than_64_countries_is_a_one_line_error(tmp_path):
    # each agent marks the countries it entered in one 64-bit word: a 65th country is refused when loading, at
    # the line of the first place of the 65th in sorted order (Home, Land00 ... Land63: Land63, line 67)
    far = [(f"City{k}", "destination", f"Land{k:02d}", 0) for k in range(64)]
    locs = [("Town", "origin", "Home", 100), ("Post", "crossing", "Home", 0), *far]
    routes = [("Town", "Post", "road", 10), *[("Post", name, "road", 50) for name, *_ in far]]
    with pytest.raises(cx.errors.InputError) as e:
        scenario(tmp_path / "s", locs, routes)
    assert "locations.csv:67:" in str(e.value).replace("\\", "/") and "country" in str(e.value) \
        and "at most 64 countries, this one 65" in str(e.value) and "\n" not in str(e.value)
    scenario(tmp_path / "t", locs[:-1], routes[:-1])  # 64 countries load
