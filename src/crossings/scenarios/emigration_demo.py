"""A small emigration scenario in the native format (``model: emigration``), written by crossings itself.

An illustrative miniature of the autumn 2022 departures from Russia (russia2022.md §5–§7), not
calibrated: two origins, a flight hub with seat-limited, priced routes, the Upper Lars crossing with its
pedestrian bars, a Kazakh crossing that closes for three days, and a mobilisation decree that multiplies
the departure hazard of men of draft age who object to the war; abroad, the visa-free stays of §5 (visa runs
from Kazakhstan and Serbia, permits in Turkey and Serbia, registration in Armenia and Kazakhstan), rents, a
transit place (Tbilisi, Uralsk) and returns that rise when the mobilisation is declared over.
docs/native-format.md shows these files.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

FILES = {
    "scenario.yml": """\
format: crossings-native/1
model: emigration
name: exodus-mini
description: illustrative miniature of the autumn 2022 emigration from Russia (not calibrated)
start_date: '2022-09-15'
days: 120
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
  visa_run_weight: 2
  return_hazard: 0.0005
""",
    "locations.csv": """\
name,kind,country,region,lat,lon,population,attractiveness,cost_of_living,transit
Moscow,origin,Russia,Moscow,55.76,37.62,20000,,,
Samara,origin,Russia,Samara,53.20,50.10,5000,,,
Moscow_SVO,airport,Russia,Moscow,55.97,37.41,0,,,
Vladikavkaz,town,Russia,North Ossetia,43.02,44.68,0,,,
Upper_Lars,crossing,Russia,North Ossetia,42.74,44.63,0,,,
Syrym,crossing,Russia,Saratov,51.40,51.00,0,,,
Tbilisi,destination,Georgia,Tbilisi,41.72,44.79,0,3,25,0.01
Uralsk,destination,Kazakhstan,West Kazakhstan,51.23,51.37,0,1,12,0.02
Yerevan,destination,Armenia,Yerevan,40.18,44.51,0,2,25,
Istanbul,destination,Turkey,Istanbul,41.01,28.98,0,2,35,
Belgrade,destination,Serbia,Belgrade,44.82,20.46,0,1,25,
""",
    "routes.csv": """\
from,to,mode,distance_km,duration_days,seats_per_day,cost
Moscow,Moscow_SVO,road,30,,,
Moscow,Vladikavkaz,road,1800,,,
Samara,Vladikavkaz,road,1300,,,
Vladikavkaz,Upper_Lars,road,30,,,300
Upper_Lars,Tbilisi,road,170,,,
Samara,Syrym,road,200,,,
Moscow,Syrym,road,1100,,,
Syrym,Uralsk,road,60,,,
Moscow_SVO,Yerevan,air,,1,40,1400
Moscow_SVO,Istanbul,air,,1,60,1200
Tbilisi,Istanbul,air,,1,30,200
Istanbul,Belgrade,air,,1,20,150
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
2022-10-28,,return_hazard,*,*,3,male,18-29,mobilisation declared complete
2022-10-28,,return_hazard,*,*,3,male,30-44,mobilisation declared complete
""",
    "policies.csv": """\
date,until,country,policy,days,window_days,probability,cost_usd,waiting_days,source
2022-09-15,,Georgia,visa_free,365,,,,,russia2022.md §5
2022-09-15,,Armenia,visa_free,180,,,,,russia2022.md §5
2022-09-15,,Armenia,registration,30,,,,,russia2022.md §5
2022-09-15,,Kazakhstan,visa_free,30,,,,,russia2022.md §5 (visa runs until Jan 2023)
2022-09-15,,Kazakhstan,registration,30,,,,,russia2022.md §5
2023-01-27,,Kazakhstan,stay_limit,90,180,,,,russia2022.md §5 (after this run)
2022-09-15,,Turkey,visa_free,60,,,,,russia2022.md §5
2022-09-15,,Turkey,stay_limit,90,180,,,,russia2022.md §5
2022-09-15,,Turkey,residence_permit,365,,0.8,150,30,assumption (1-year permits were common in 2022)
2022-09-15,,Serbia,visa_free,30,,,,,russia2022.md §5
2022-09-15,,Serbia,residence_permit,365,,0.5,100,30,assumption
""",
}


def write_emigration_demo(root: str | Path) -> Path:
    """Write the example scenario's files into ``root`` (created) and return it."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        (root / name).write_text(text)
    return root


# The synthetic scenario's files, filled in by ``write_emigration_synthetic`` (str.format: ``{{`` is a brace).
SYNTHETIC_TEMPLATES = {
    "scenario.yml": """\
format: crossings-native/1
model: emigration
name: synthetic-all-mechanisms
start_date: '{start}'
days: {days}
home_country: Home
agents:
  category: {{objector: 0.7, other: 0.3}}
  sex: {{female: 0.45, male: 0.55}}
  age_band: {{young: 0.5, older: 0.5}}
  travel_mode: {{car: 0.8, foot: 0.2}}
  savings_usd: {{median: 3000, sigma: 1.0}}
  remote_income_usd_per_month: {{share: 0.3, median: 1500, sigma: 0.5}}
emigration:
  max_hops: 4
  seat_patience_days: 2
  queue_patience_days: 3
  route_sees_waits: 1
  no_seat_stays: 1
  return_hazard: 0.002
  visa_run_cost_usd: 20
""",
    "locations.csv": """\
name,kind,country,population,attractiveness,cost_of_living,transit
O1,origin,Home,{q},,,
O2,origin,Home,{q},,,
O3,origin,Home,{q},,,
O4,origin,Home,{rest},,,
Port,airport,Home,0,,,
Hub,town,Home,0,,,
XA,crossing,Home,0,,,
XB,crossing,Home,0,,,
XE,crossing,Home,0,,,
CityA,destination,Alpha,0,3,20,0.01
XAD,crossing,Alpha,0,,,
CityB,destination,Beta,0,2,15,
CityC,destination,Gamma,0,2,40,
CityD,destination,Delta,0,2,30,
CityE,destination,Epsilon,0,1,35,
CityF,destination,Phi,0,1,60,
""",
    "routes.csv": """\
from,to,mode,distance_km,duration_days,seats_per_day,cost
O1,Hub,road,300,,,
O2,Hub,road,500,,,
O3,Hub,road,200,,,
O4,Hub,road,700,,,
O1,Port,road,30,,,
O2,Port,road,600,,,
Hub,XA,road,400,,,100
Hub,XB,road,250,,,
Hub,XE,road,350,,,
XA,CityA,road,150,,,200
XB,CityB,road,100,,,
XE,CityE,road,80,,,
CityA,XAD,road,60,,,
XAD,CityD,road,900,,,150
Port,CityC,air,,1,3000,900
Port,CityD,air,,1,1500,700
Port,CityF,air,,1,800,1200
CityC,CityD,air,,1,2000,150
""",
    "crossings.csv": """\
crossing,mode,capacity_per_day
XA,car,{per_150}
XA,foot,{per_600}
XB,car,{per_100}
XB,foot,{per_400}
XE,car,{per_300}
XAD,car,{per_200}
""",
    "departures.csv": """\
origin,category,daily_hazard
O1,*,{hazard}
O2,*,{hazard}
O3,objector,{hazard}
O3,other,{half_hazard}
O4,*,{half_hazard}
""",
    "events.csv": """\
date,until,event,target,other,value,sex,age_band
{day_5},{day_30},departure_hazard,*,objector,3,male,young
{day_0},{day_8},bar_mode,XA,foot,,,
{day_10},{day_13},close_crossing,XB,,,,
{day_12},{day_20},close_air_route,Port,CityC,,,
{day_30},,return_hazard,*,objector,0.5,male,
""",
    "policies.csv": """\
date,until,country,policy,days,window_days,probability,cost_usd,waiting_days,weight
{day_0},,Alpha,visa_free,365,,,,,
{day_0},,Alpha,registration,30,,,,,
{day_0},,Beta,visa_free,30,,,,,2
{day_40},,Beta,stay_limit,90,180,,,,
{day_0},,Beta,registration,30,,,,,
{day_0},,Gamma,visa_free,20,,,,,
{day_0},,Gamma,stay_limit,90,180,,,,
{day_0},,Gamma,residence_permit,,,0.6,100,20,
{day_0},,Delta,visa_free,30,,,,,
{day_0},,Delta,residence_permit,365,,0.4,50,10,0.5
{day_15},,Epsilon,tourist_ban,,,,,,
{day_0},,Phi,visa,90,,0.7,80,,
""",
}
SYNTHETIC_DAYS = (0, 5, 8, 10, 12, 13, 15, 20, 30, 40)  # the days the events and policies name ({day_N})
SYNTHETIC_PER = (100, 150, 200, 300, 400, 600)  # crossing capacities: people // N a day ({per_N}), at least 1


def write_emigration_synthetic(root: str | Path, people: int = 10_000, days: int = 60, hazard: float = 0.05) -> Path:
    """Write a synthetic emigration scenario with every mechanism on (for the throughput benchmark and the
    accounting tests): four origins with ``people`` at risk in all, leaving at ``hazard`` a day (tripled for
    men from day 5); land crossings with capacities, a pedestrian bar and a closure; seat-limited flights with
    fares, one suspended for a while; a transit country; visa-free stays with visa runs, a 90-in-180 rule from
    day 40, residence permits, a visa requirement, a tourist ban from day 15, registration thresholds; costs of
    living, savings and remote incomes; returns with a hazard that an event at home lowers."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    start = dt.date(2022, 9, 15)
    q = people // 4
    values = {
        "start": start.isoformat(), "days": days, "q": q, "rest": people - 3 * q,
        "hazard": hazard, "half_hazard": hazard / 2,
        **{f"day_{d}": (start + dt.timedelta(days=d)).isoformat() for d in SYNTHETIC_DAYS},
        **{f"per_{n}": max(people // n, 1) for n in SYNTHETIC_PER},
    }
    for name, template in SYNTHETIC_TEMPLATES.items():
        (root / name).write_text(template.format(**values))
    return root
