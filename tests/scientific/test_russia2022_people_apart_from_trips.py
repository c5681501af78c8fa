"""russia2022's people apart from trips (issue 20, item 2): the short stays of the waves leave only with the two
waves and come back after about `short_days`, whatever the emigrants' return hazard; the rest of the world
("Elsewhere") takes ordinary trips and no emigrant; none of them counts among the emigrants."""

from __future__ import annotations

import csv
import datetime as dt
import os

import numpy as np
import pytest

import crossings as cx
from crossings.api import load_scenario

SCENARIO = os.environ.get("CROSSINGS_RUSSIA2022", "russia2022")


def day(sc, iso: str) -> int:
    return (dt.date.fromisoformat(iso) - sc.start_date).days


@pytest.fixture(scope="module")
def runs():
    """The default at its values, and with short stays of 14 and 56 days and the emigrants' return hazard halved
    (only the short-stay days should change how long the short stays last)."""
    out = {}
    for key, over in {"base": {}, "d14": {"short_days": 14.0}, "d56": {"short_days": 56.0}}.items():
        sc = load_scenario(SCENARIO, over)
        out[key] = (sc, cx.run(sc, seed=0))
    sc = load_scenario(SCENARIO)
    half = load_scenario(SCENARIO, {"return_base": sc.declared["return_base"].value / 2,
                                    "short_days": 14.0})
    out["d14_half"] = (half, cx.run(half, seed=0))
    return out


def short(sc, res, column: str) -> np.ndarray:
    return res.series[column][:, sc.emigration.category.names.index("short_stay")]


def mean_stay(sc, res) -> float:
    """Person-days abroad of the short stays over the people who left, up to the last departure + 120 days: the
    mean time away when nearly all are back."""
    away, left = short(sc, res, "cat_away"), short(sc, res, "cat_left_home")
    end = day(sc, "2023-03-01")
    return float(away[:end].sum() / left[:end].sum())


def test_short_stays_leave_only_with_the_two_waves(runs):
    sc, res = runs["base"]
    left = short(sc, res, "cat_left_home")
    between = left[day(sc, "2022-05-01"):day(sc, "2022-09-21")]
    after = left[day(sc, "2022-10-28"):]
    assert between.sum() == 0 and after.sum() == 0, "short stays leave only in the waves"
    assert left[day(sc, "2022-09-21"):day(sc, "2022-09-29")].sum() > 0, "some leave in the mobilisation week"
    assert left[:day(sc, "2022-03-03")].sum() > 0, "some leave in the first week of the invasion"


def test_short_stays_last_about_short_days_whatever_the_emigrants_return(runs):
    m14, m56 = mean_stay(*runs["d14"]), mean_stay(*runs["d56"])
    m14_half = mean_stay(*runs["d14_half"])
    # time away = the stay (exponential, mean short_days) + the journeys and queues both ways (10-13 days on seed 0)
    assert 14 <= m14 <= 14 + 16, m14
    assert 56 <= m56 <= 56 + 16, m56
    assert 0.8 * 42 <= m56 - m14 <= 1.2 * 42, "42 more days of stay should add about 42 days away"
    assert abs(m14_half - m14) < 0.1 * m14, ("halving the emigrants' return hazard should not change them",
                                             m14, m14_half)


def test_the_rest_of_the_world_takes_trips_and_no_emigrant(runs):
    sc, res = runs["base"]
    other = sc.emigration.countries.index("Other")
    assert res.series["new_entries"][:, other].sum() > 0, "ordinary travellers go to the rest of the world"
    assert res.series["new_first_arrivals"][:, other].sum() == 0, "no emigrant settles there"


def test_short_stays_and_travellers_are_not_emigrants(runs):
    sc, res = runs["base"]
    cats = sc.emigration.category.names
    round_trip = {cats[i] for i in np.flatnonzero(sc.emigration.round_trip)}
    assert round_trip == {"traveller", "short_stay"}
    with open(sc.path / "observed.csv", newline="") as f:
        sims = [r["sim"] for r in csv.DictReader(f) if r["sim"].startswith(("away(", "left_home(", "returned"))]
    emigrant_rows = [s for s in sims if "category=*" not in s]
    assert emigrant_rows and all("short_stay" not in s and "traveller" not in s for s in emigrant_rows), sims
