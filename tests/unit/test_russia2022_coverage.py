"""What the default scenario must cover (issue 5, Build 1): its origins, land crossings, air routes and
destinations, its period, and the countries whose observations are held out (never a calibration row)."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from crossings.api import load_scenario, resolve_bundled
from crossings.scenario.emigration import ROUTE_MODES
from crossings.scenario.model import KIND_NAMES

ORIGINS = ("Moscow", "St_Petersburg", "Yekaterinburg", "Chelyabinsk", "Samara", "Volgograd", "Astrakhan",
           "Novosibirsk", "Ulan_Ude", "Murmansk")
LAND_CROSSINGS = ("Upper_Lars", "Vaalimaa", "Nuijamaa", "Imatra", "Storskog", "Kyakhta")
FLIGHT_ENDS = ("Istanbul", "Antalya", "Yerevan", "Belgrade", "Dubai", "Tel_Aviv", "Almaty", "Astana", "Bishkek",
               "Tashkent")
DESTINATIONS = ("Tbilisi", "Batumi", "Yerevan", "Belgrade", "Novi_Sad", "Istanbul", "Antalya", "Almaty", "Astana",
                "Uralsk", "Bishkek", "Tashkent", "Ulaanbaatar", "Helsinki", "EU_rest", "Kirkenes", "Budva", "Dubai",
                "Tel_Aviv")
HELD_OUT = ("Finland", "Norway", "Mongolia", "Montenegro", "EU")


@pytest.fixture(scope="module")
def sc():
    return load_scenario(str(resolve_bundled("russia2022")))


def _kind(sc, name: str) -> str:
    i = list(sc.locations.name).index(name)
    return KIND_NAMES[int(sc.locations.kind[i])]


def test_the_places_the_issue_names_are_there_with_their_kind(sc) -> None:
    for name in ORIGINS:
        assert _kind(sc, name) == "origin", name
    for name in DESTINATIONS:
        assert _kind(sc, name) == "destination", name
    for name in LAND_CROSSINGS:
        assert _kind(sc, name) == "crossing", name
    names = list(sc.locations.name)
    kz = [n for n, c, k in zip(names, sc.locations.country, sc.locations.kind, strict=True)
          if KIND_NAMES[int(k)] == "crossing" and c == "Russia"
          and any(sc.locations.country[b] == "Kazakhstan"
                  for a, b in zip(sc.links.src, sc.links.dst, strict=True) if names[a] == n)]
    assert len(kz) >= 3, f"the Kazakh road crossings: {kz}"  # Syrym, Petukhovo, Karaozek, Vishnyovka


def test_flights_leave_russia_for_each_destination_the_issue_names(sc) -> None:
    names, country = list(sc.locations.name), list(sc.locations.country)
    air = ROUTE_MODES.index("air")
    flown = set()
    for a, b, mode in zip(sc.links.src, sc.links.dst, sc.emigration.link_mode, strict=True):
        if int(mode) == air and country[a] == "Russia":
            flown.add(names[b])
    assert set(FLIGHT_ENDS) <= flown, f"no flight from Russia to {sorted(set(FLIGHT_ENDS) - flown)}"


def test_the_period_runs_from_the_invasion_past_2023(sc) -> None:
    assert sc.start_date == dt.date(2022, 2, 24)
    assert sc.date_of(sc.length - 1) >= dt.date(2023, 12, 31)


def test_held_out_countries_have_no_calibration_row() -> None:
    path = resolve_bundled("russia2022") / "observed.csv"
    with open(path, newline="", encoding="utf-8") as f:
        tuned = [r["measure"] for r in csv.DictReader(f)
                 if r["destination_country"] in HELD_OUT and r["role"] == "calibration"]
    assert tuned == []
