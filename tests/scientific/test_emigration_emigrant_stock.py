"""``n_emigrants_in_country``: of the agents counted in a country, those whose category is not a round trip and
who have not gone home. It must match a count of the agents themselves, add up to the emigrants still away
(``cat_away``), leave out travellers entirely, and be scored by the fit's ``emigrants`` quantity."""

from __future__ import annotations

import datetime as dt

import numpy as np
from test_emigration_stays import scenario

import crossings as cx
from crossings.engine.models.emigration.state import RETURNED
from crossings.observed.measures import RunTables, parse_sim, simulate

LOCS = [("Town", "origin", "Home", 3000), ("Post", "crossing", "Home", 0),
        ("North", "destination", "Alands", 0), ("South", "destination", "Blands", 0)]
ROUTES = [("Town", "Post", "road", 10), ("Post", "North", "road", 50), ("Post", "South", "road", 50)]


def _run(tmp_path, days=40):
    # half emigrants, half round-trip travellers; emigrants never choose Blands (preference 0), travellers go to
    # both and come home fast (a return hazard ×40 for them), so Blands holds people but never an emigrant.
    root = tmp_path / "s"
    scenario(root, LOCS, ROUTES, departures=[("Town", "*", 0.05)], days=days,
             agents={"travel_mode": {"car": 1.0}, "category": {"emigrant": 0.5, "traveller": 0.5},
                     "round_trip": ["traveller"]},
             emigration={"return_hazard": 0.005},
             events=[(0, "", "return_hazard", "*", "traveller", 40)])
    (root / "preferences.csv").write_text("category,destination,weight\nemigrant,Blands,0\n")
    sc = cx.load_scenario(root)
    sim = cx.Simulation(sc, seed=5, check=True)  # check mode also asserts Σ per country == cat_away every day
    return sc, sim, sim.run()


def test_emigrants_per_country_count_the_agents_and_leave_travellers_out(tmp_path):
    sc, sim, res = _run(tmp_path)
    s = res.series
    countries = list(sc.emigration.countries)
    a_, b_ = countries.index("Alands"), countries.index("Blands")
    emig = s["n_emigrants_in_country"]
    cats = list(sc.emigration.category.names)
    e = cats.index("emigrant")
    assert (emig <= s["n_in_country"]).all()
    assert np.array_equal(emig.sum(axis=1), s["cat_away"][:, e]), "the emigrants away, all counted somewhere"
    assert s["n_in_country"][:, b_].max() > 0 and emig[:, b_].max() == 0, "Blands holds only travellers"
    assert emig[-1, a_] > 0 and emig[-1, a_] < s["n_in_country"][-1, a_], "Alands holds both"
    # against the agents themselves on the last day (everyone there has arrived: no one is on a link abroad)
    a = sim.agents
    here = (a.category == e) & (a.state != RETURNED) & (a.link < 0)
    country_of = np.array([countries.index(c) for c in sc.locations.country])
    hand = np.bincount(country_of[a.loc[here]], minlength=len(countries))
    on_links = int(((a.category == e) & (a.state != RETURNED) & (a.link >= 0)).sum())
    assert np.abs(emig[-1] - hand).sum() == on_links
    assert s["cat_returned"][:, e].sum() > 0, "some emigrants went home and left the stock"


def test_the_fit_scores_emigrants_present_on_the_period_end(tmp_path):
    sc, _, res = _run(tmp_path)
    view = RunTables.from_results(res)
    a_ = list(sc.emigration.countries).index("Alands")
    day = sc.start_date + dt.timedelta(days=res.days - 1)
    got = simulate(view, parse_sim("emigrants(country=Alands)"), sc.start_date, day)
    assert got.status == "ok" and got.value == res.series["n_emigrants_in_country"][-1, a_] * view.people_per_agent
    assert got.value < simulate(view, parse_sim("stock(country=Alands)"), sc.start_date, day).value
    del view.country["n_emigrants_in_country"]  # a run written before the series existed
    assert simulate(view, parse_sim("emigrants(country=Alands)"), sc.start_date, day).status == "unavailable"
