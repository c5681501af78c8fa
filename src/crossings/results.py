"""Results that describe themselves: daily stocks (``n_*``) and flows (``new_*``) per location and link,
with Flee's out.csv view, the ARD against observed data, and tables for pandas or Parquet."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from crossings.observed.metrics import mean_ard
from crossings.scenario.model import Scenario

if TYPE_CHECKING:
    import pandas as pd

    from crossings.engine.models.flee.world import World

# name -> (unit, kind, dimension)
LOCATION_SERIES = {
    "n_present": ("agents", "stock", "location"),
    "new_spawned": ("agents/day", "flow", "location"),
    "new_arrivals": ("agents/day", "flow", "location"),
    "new_departures": ("agents/day", "flow", "location"),
}
LINK_SERIES = {
    "n_on_link": ("agents", "stock", "link"),
    "new_link_entries": ("agents/day", "flow", "link"),
    "new_link_exits": ("agents/day", "flow", "link"),
}
# Recorded only by the emigration model. Dimensions: "country" (Scenario.emigration.countries), "gate" (each
# crossing by travel mode: 2 × crossing + 0 for car, + 1 for foot), and location or link as above.
LONG_STAY_DAYS = 183  # a stay this long makes an immigrant in most statistics (Geostat: 183 days in 365)
EMIGRATION_SERIES = {
    "n_at_home": ("people", "stock", "location"),  # people at risk still at home (origins)
    "n_in_country": ("agents", "stock", "country"),  # at a place there, or on a link counted there
    "n_emigrants_in_country": ("agents", "stock", "country"),  # of those, the emigrants: not round-trip, not back
    "new_entries": ("agents/day", "flow", "country"),  # every arrival into the country from another
    "new_exits": ("agents/day", "flow", "country"),  # every departure out of the country into another
    "new_left_home": ("agents/day", "flow", "country"),  # people who left home, by home country
    "n_queue": ("agents", "stock", "gate"),  # queued at a crossing by mode
    "new_queue_joins": ("agents/day", "flow", "gate"),
    "new_passages": ("agents/day", "flow", "gate"),  # let through the crossing
    "new_queue_gave_up": ("agents/day", "flow", "gate"),  # left the queue to re-plan
    "sum_wait_days": ("agent-days/day", "flow", "gate"),  # days waited by the day's passers, summed
    "n_seat_wait": ("agents", "stock", "link"),  # waiting for a seat on a flight
    "new_seat_joins": ("agents/day", "flow", "link"),
    "new_boarded": ("agents/day", "flow", "link"),  # got a seat (== new_link_entries of a flight)
    "new_missed_seat": ("agents/day", "flow", "link"),  # waited today and got no seat
    "new_seat_gave_up": ("agents/day", "flow", "link"),  # stopped waiting to re-plan
    # entry policy, stays, permits, money, onward moves and returns (the observation model, second part)
    "new_border_crossings": ("agents/day", "flow", "link"),  # changed country over the link (visa runs too)
    "new_turned_back": ("agents/day", "flow", "gate"),  # refused entry as the crossing let them through
    "new_refused": ("agents/day", "flow", "country"),  # refused entry (at crossings and on landing)
    "new_overstays": ("agents/day", "flow", "country"),  # allowed stays that ran out
    "new_visa_runs": ("agents/day", "flow", "country"),  # each is also an exit and an entry of the country
    "new_permit_applications": ("agents/day", "flow", "country"),
    "new_permits_granted": ("agents/day", "flow", "country"),
    "new_permits_refused": ("agents/day", "flow", "country"),
    "new_permits_ended": ("agents/day", "flow", "country"),  # expired, or the holder left the country
    "n_permits": ("agents", "stock", "country"),  # residence permit holders present
    "new_registrations": ("agents/day", "flow", "country"),  # stays reaching the registration threshold
    "n_registered": ("agents", "stock", "country"),  # present in a stay at least that long
    "new_long_stays": ("agents/day", "flow", "country"),  # stays reaching LONG_STAY_DAYS: immigrants
    "new_broke": ("agents/day", "flow", "country"),  # savings ran out there
    "new_onward": ("agents/day", "flow", "country"),  # started an onward move from a transit place
    "new_returns": ("agents/day", "flow", "country"),  # went home, by the country they returned from
    "new_returned_home": ("agents/day", "flow", "location"),  # went home, by origin
    "n_returned": ("agents", "stock", "location"),  # returned agents at each origin
    # by category of leaver (Scenario.emigration.category): who left, who came back, who is away
    "cat_left_home": ("agents/day", "flow", "category"),
    "cat_returned": ("agents/day", "flow", "category"),  # went home that day
    "cat_away": ("agents", "stock", "category"),  # left and not returned (abroad or on the way)
}


def series_info(name: str) -> tuple[str, str, str]:
    """Unit, kind (stock or flow) and dimension of a recorded series."""
    for table in (LOCATION_SERIES, LINK_SERIES, EMIGRATION_SERIES):
        if name in table:
            return table[name]
    raise KeyError(f"unknown series {name!r}")


@dataclass(frozen=True)
class Labels:
    """A text column stored as integer codes into a tuple of labels."""

    codes: np.ndarray
    labels: tuple[str, ...]

    def values(self) -> np.ndarray:
        """The text values, one per row."""
        return np.asarray(self.labels, dtype=object)[self.codes]

    def categorical(self) -> Any:
        """The column as a pandas Categorical."""
        import pandas as pd

        return pd.Categorical.from_codes(self.codes, categories=pd.Index(self.labels).unique()) \
            if len(set(self.labels)) == len(self.labels) else pd.Categorical(self.values())


@dataclass
class Results:
    """Everything a run recorded, day by day (arrays shaped (days, locations) or (days, links))."""

    scenario: Scenario
    days: int
    seed: int
    rules: str
    series: dict[str, np.ndarray]
    n_agents: np.ndarray  # (days,)
    refugee_debt: np.ndarray  # (days,)
    wall_seconds: float = 0.0
    agent_steps: int = 0
    bytes_per_agent: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def allocate(cls, sc: Scenario, days: int, seed: int, rules: str) -> Results:
        """Empty results for a run of ``days`` days."""
        n_loc, n_link = len(sc.locations), len(sc.links)
        series = {k: np.zeros((days, n_loc), dtype=np.int64) for k in LOCATION_SERIES}
        series.update({k: np.zeros((days, n_link), dtype=np.int64) for k in LINK_SERIES})
        if sc.emigration is not None:
            size = {"location": n_loc, "link": n_link, "country": len(sc.emigration.countries),
                    "gate": 2 * len(sc.emigration.crossings),
                    "category": len(sc.emigration.category.names)}
            series.update({k: np.zeros((days, size[dim]), dtype=np.int64)
                           for k, (_, _, dim) in EMIGRATION_SERIES.items()})
        return cls(sc, days, seed, rules, series, np.zeros(days, dtype=np.int64), np.zeros(days, dtype=np.int64))

    def record(self, day: int, world: World, flows: Any, n_agents: int, debt: int) -> None:
        """Store the end-of-day stocks and the day's flows."""
        s = self.series
        s["n_present"][day] = world.present
        s["n_on_link"][day] = world.on_link
        s["new_spawned"][day] = flows.spawned
        s["new_arrivals"][day] = flows.arrivals
        s["new_departures"][day] = flows.departures
        s["new_link_entries"][day] = flows.link_entries
        s["new_link_exits"][day] = flows.link_exits
        self.n_agents[day] = n_agents
        self.refugee_debt[day] = debt

    # ---- views -------------------------------------------------------------------------------------
    @property
    def dates(self) -> list[dt.date]:
        """Calendar date of each recorded day."""
        return [self.scenario.date_of(d) for d in range(self.days)]

    @property
    def camps(self) -> list[int]:
        """Location indices of the camps with observed data (Flee's out.csv columns)."""
        obs = self.scenario.observed
        return list(obs.camps) if obs is not None else []

    def camp_sim(self) -> np.ndarray:
        """Simulated agents present at each observed camp, (days, camps)."""
        return self.series["n_present"][:, self.camps]

    def camp_data(self) -> np.ndarray:
        """Observed (interpolated) counts at each camp, (days, camps)."""
        obs = self.scenario.observed
        return obs.camps_by_day(self.days) if obs is not None else np.zeros((self.days, 0), dtype=np.int64)

    def ard(self) -> dict[str, float]:
        """Flee's validation error against observed camp counts: mean normal and rescaled ARD."""
        if not self.camps:
            return {}
        sim, data = self.camp_sim(), self.camp_data()
        return {"ard_normal": mean_ard(sim, data, rescaled=False), "ard_rescaled": mean_ard(sim, data, rescaled=True)}

    def flee_out_csv(self) -> str:
        """Flee's out.csv (flee-model.md §3.1) as text."""
        sc = self.scenario
        names = [sc.locations.name[c] for c in self.camps]
        sim = self.camp_sim()
        data = self.camp_data()
        raw = sc.observed.total_by_day(self.days) if sc.observed is not None else np.zeros(self.days, np.int64)
        head = ["Day", "Date"]
        for n in names:
            head += [f"{n} sim", f"{n} data", f"{n} error"]
        head += ["Total error", "refugees in camps (UNHCR)", "total refugees (simulation)",
                 "raw UNHCR refugee count", "refugees in camps (simulation)", "refugee_debt"]
        buf = io.StringIO()
        buf.write(",".join(head) + "\n")
        for t in range(self.days):
            row = [str(t), sc.date_of(t).isoformat()]
            for j in range(len(names)):
                s_, d_ = int(sim[t, j]), int(data[t, j])
                err = round(abs(s_ / d_ - 1.0), 4) if d_ != 0 else 0.0
                row += [str(s_), str(d_), repr(err)]
            if raw[t] > 0:
                total_err = float(np.abs(sim[t] - data[t]).sum()) / float(raw[t])
                row += [repr(total_err), str(int(data[t].sum())), str(int(self.n_agents[t])), str(int(raw[t])),
                        str(int(sim[t].sum())), str(int(self.refugee_debt[t]))]
            else:
                row += ["0"] * 6
            buf.write(",".join(row) + "\n")
        return buf.getvalue()

    def summary(self) -> dict[str, Any]:
        """The run's summary (what summary.json holds)."""
        from crossings._version import __version__

        out: dict[str, Any] = {
            "scenario": self.scenario.name,
            "scenario_path": str(self.scenario.path),
            "format": self.scenario.format,
            "rules": self.rules,
            "seed": self.seed,
            "days": self.days,
            "start_date": self.scenario.start_date.isoformat(),
            "agents_final": int(self.n_agents[-1]) if self.days else 0,
            "wall_seconds": round(self.wall_seconds, 4),
            "agent_steps": int(self.agent_steps),
            "bytes_per_agent": self.bytes_per_agent,
            "crossings_version": __version__,
        }
        out.update({k: round(v, 6) for k, v in self.ard().items()})
        out.update({"what_if": list(self.scenario.what_if)} if self.scenario.what_if else {})
        out.update({"parameters": dict(self.scenario.parameters)} if self.scenario.parameters else {})
        out.update(self.meta)
        return out

    def location_table(self) -> dict[str, np.ndarray | Labels]:
        """Long table (one row per day and location) of every location stock and flow, as columns.

        Text columns are :class:`Labels` (integer codes and their labels), which keeps the table small."""
        sc = self.scenario
        n_loc = len(sc.locations)
        codes = np.tile(np.arange(n_loc, dtype=np.int32), self.days)
        countries = sorted(set(sc.locations.country))
        country_code = np.array([countries.index(c) for c in sc.locations.country], dtype=np.int32)
        cols: dict[str, np.ndarray | Labels] = {
            "day": np.repeat(np.arange(self.days, dtype=np.int32), n_loc),
            "date": Labels(np.repeat(np.arange(self.days, dtype=np.int32), n_loc),
                           tuple(d.isoformat() for d in self.dates)),
            "location": Labels(codes, sc.locations.name),
            "country": Labels(country_code[codes], tuple(countries)),
        }
        for k in self._names("location"):
            cols[k] = self.series[k].reshape(-1)
        return cols

    def _names(self, dim: str) -> list[str]:
        """Recorded series of dimension ``dim``, in a fixed order."""
        return [k for k in self.series if series_info(k)[2] == dim]

    def country_table(self) -> dict[str, np.ndarray | Labels]:
        """Emigration runs: one row per day and country (entries, exits, people present, people leaving home)."""
        countries = self.scenario.emigration.countries
        n = len(countries)
        code = np.tile(np.arange(n, dtype=np.int32), self.days)
        cols: dict[str, np.ndarray | Labels] = {
            "day": np.repeat(np.arange(self.days, dtype=np.int32), n),
            "date": Labels(np.repeat(np.arange(self.days, dtype=np.int32), n), self._date_labels()),
            "country": Labels(code, countries),
        }
        for k in self._names("country"):
            cols[k] = self.series[k].reshape(-1)
        return cols

    def crossing_table(self) -> dict[str, np.ndarray | Labels]:
        """Emigration runs: one row per day, crossing and travel mode (queue, joins, passages, mean wait)."""
        sc = self.scenario
        cross = sc.emigration.crossings
        n = 2 * len(cross)
        gate = np.tile(np.arange(n, dtype=np.int32), self.days)
        cols: dict[str, np.ndarray | Labels] = {
            "day": np.repeat(np.arange(self.days, dtype=np.int32), n),
            "date": Labels(np.repeat(np.arange(self.days, dtype=np.int32), n), self._date_labels()),
            "crossing": Labels(gate // 2, tuple(sc.locations.name[x] for x in cross)),
            "country": Labels(gate // 2, tuple(sc.locations.country[x] for x in cross)),
            "mode": Labels(gate % 2, ("car", "foot")),
        }
        for k in self._names("gate"):
            cols[k] = self.series[k].reshape(-1)
        cols["mean_wait_days"] = self.mean_wait_days().reshape(-1)
        return cols

    def category_table(self) -> dict[str, np.ndarray | Labels]:
        """Emigration runs: one row per day and category of leaver (left home, returned, away)."""
        names = self.scenario.emigration.category.names
        n = len(names)
        cols: dict[str, np.ndarray | Labels] = {
            "day": np.repeat(np.arange(self.days, dtype=np.int32), n),
            "date": Labels(np.repeat(np.arange(self.days, dtype=np.int32), n), self._date_labels()),
            "category": Labels(np.tile(np.arange(n, dtype=np.int32), self.days), names),
        }
        for k in self._names("category"):
            cols[k] = self.series[k].reshape(-1)
        return cols

    def _date_labels(self) -> tuple[str, ...]:
        return tuple(d.isoformat() for d in self.dates)

    def mean_wait_days(self) -> np.ndarray:
        """Mean days waited by each day's passers per crossing and mode, (days, gates); NaN with no passers."""
        passed = self.series["new_passages"]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(passed > 0, self.series["sum_wait_days"] / passed, np.nan)

    def observations(self, start: Any = None, end: Any = None) -> list[tuple[str, str, str, str, str, int]]:
        """Emigration runs: the observation model aggregated over days start..end (dates or day numbers, both
        included; default the whole run), as rows shaped like shared/data/russia2022/observations.csv
        (``crossings.engine.models.emigration.observe.OBSERVATION_COLUMNS``)."""
        from crossings.engine.models.emigration.observe import observations

        if self.scenario.emigration is None:
            raise ValueError("observations are recorded by emigration runs only")
        return observations(self, start, end)

    def link_table(self) -> dict[str, np.ndarray | Labels]:
        """Long table (one row per day and directed link) of link stocks and flows, as columns."""
        sc = self.scenario
        n_link = len(sc.links)
        link = np.tile(np.arange(n_link, dtype=np.int32), self.days)
        cols: dict[str, np.ndarray | Labels] = {
            "day": np.repeat(np.arange(self.days, dtype=np.int32), n_link),
            "link": link,
            "from": Labels(sc.links.src[link], sc.locations.name),
            "to": Labels(sc.links.dst[link], sc.locations.name),
        }
        for k in self._names("link"):
            cols[k] = self.series[k].reshape(-1)
        return cols

    def to_frame(self, what: str = "locations") -> pd.DataFrame:
        """Stocks and flows as a pandas DataFrame (``what``: "locations", "links", "camps", and for emigration
        runs "countries" and "crossings")."""
        import pandas as pd

        tables = {"locations": self.location_table, "links": self.link_table}
        if self.scenario.emigration is not None:
            tables.update({"countries": self.country_table, "crossings": self.crossing_table})
        if what in tables:
            table = tables[what]()
            return pd.DataFrame({k: v.categorical() if isinstance(v, Labels) else v for k, v in table.items()})
        if what == "camps":
            names = [self.scenario.locations.name[c] for c in self.camps]
            idx = pd.Index(self.dates, name="date")
            sim = pd.DataFrame(self.camp_sim(), index=idx, columns=names)
            data = pd.DataFrame(self.camp_data(), index=idx, columns=names)
            return pd.concat({"sim": sim, "data": data}, axis=1)
        raise ValueError(f"unknown table {what!r}; choose {', '.join([*tables, 'camps'])}")
