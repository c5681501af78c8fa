"""A small emigration scenario in the native format (``model: emigration``), written by crossings itself.

An illustrative miniature of the autumn 2022 departures from Russia (russia2022.md §5 and §7), not
calibrated: two origins, a flight hub with two seat-limited routes, the Upper Lars crossing with its
pedestrian bars, a Kazakh crossing that closes for three days, and a mobilisation decree that multiplies
the departure hazard of men of draft age who object to the war. docs/native-format.md shows these files.
"""

from __future__ import annotations

from pathlib import Path

FILES = {
    "scenario.yml": """\
format: crossings-native/1
model: emigration
name: exodus-mini
description: illustrative miniature of the autumn 2022 emigration from Russia (not calibrated)
start_date: '2022-09-15'
days: 45
home_country: Russia
people_per_agent: 100
agents:
  category: {dissident: 0.1, war_objector: 0.6, staying_out: 0.3}
  sex: {female: 0.4, male: 0.6}
  age_band: {'18-29': 0.35, '30-44': 0.45, '45-64': 0.2}
  travel_mode: {car: 0.8, foot: 0.2}
  savings_usd: {median: 4000, sigma: 1.0}
  remote_income_usd_per_month: {share: 0.3, median: 2500, sigma: 0.5}
emigration:
  car_speed_km_per_day: 600
  max_hops: 4
  seat_patience_days: 3
""",
    "locations.csv": """\
name,kind,country,region,lat,lon,population,attractiveness
Moscow,origin,Russia,Moscow,55.76,37.62,20000,
Samara,origin,Russia,Samara,53.20,50.10,5000,
Moscow_SVO,airport,Russia,Moscow,55.97,37.41,0,
Vladikavkaz,town,Russia,North Ossetia,43.02,44.68,0,
Upper_Lars,crossing,Russia,North Ossetia,42.74,44.63,0,
Syrym,crossing,Russia,Saratov,51.40,51.00,0,
Tbilisi,destination,Georgia,Tbilisi,41.72,44.79,0,3
Uralsk,destination,Kazakhstan,West Kazakhstan,51.23,51.37,0,1
Yerevan,destination,Armenia,Yerevan,40.18,44.51,0,2
Istanbul,destination,Turkey,Istanbul,41.01,28.98,0,2
""",
    "routes.csv": """\
from,to,mode,distance_km,duration_days,seats_per_day
Moscow,Moscow_SVO,road,30,,
Moscow,Vladikavkaz,road,1800,,
Samara,Vladikavkaz,road,1300,,
Vladikavkaz,Upper_Lars,road,30,,
Upper_Lars,Tbilisi,road,170,,
Samara,Syrym,road,200,,
Moscow,Syrym,road,1100,,
Syrym,Uralsk,road,60,,
Moscow_SVO,Yerevan,air,,1,40
Moscow_SVO,Istanbul,air,,1,60
""",
    "crossings.csv": """\
crossing,mode,capacity_per_day
Upper_Lars,car,60
Upper_Lars,foot,30
Syrym,car,40
Syrym,foot,10
""",
    "departures.csv": """\
origin,category,daily_hazard
Moscow,dissident,0.002
Moscow,war_objector,0.0005
Moscow,staying_out,0.0003
Samara,*,0.0004
""",
    "events.csv": """\
date,until,event,target,other,value,sex,age_band,note
2022-09-21,2022-10-28,departure_hazard,*,war_objector,20,male,18-29,mobilisation decree
2022-09-21,2022-10-28,departure_hazard,*,war_objector,10,male,30-44,mobilisation decree
2022-09-15,2022-09-27,bar_mode,Upper_Lars,foot,,,,no pedestrian lane
2022-09-29,,bar_mode,Upper_Lars,foot,,,,pedestrians barred again
2022-09-26,2022-10-03,close_air_route,Moscow_SVO,Istanbul,,,,illustrative suspension
2022-10-01,2022-10-04,close_crossing,Syrym,,,,,illustrative closure
""",
}


def write_emigration_demo(root: str | Path) -> Path:
    """Write the example scenario's files into ``root`` (created) and return it."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        (root / name).write_text(text)
    return root
