"""Results that describe themselves: daily stocks (``n_*``) and flows (``new_*``) in arrays shaped (days, n),
named and described by the :class:`~crossings.results.schema.Schema` of the model that ran (unit, stock or
flow, dimension and its labels); long tables for pandas or Parquet, Flee's out.csv view and the ARD against
observed camp counts. ``Results.write(dir)`` writes a run directory and ``Results.read(dir, model)`` reads one
back (a run's, or an ensemble's bands) without the engine and, if need be, without the scenario.

The arrays count agents, as the engine does; what a person reads counts people (agents × ``people_per_agent``):
``to_frame``, ``to_xarray``, ``summary()``'s ``people_final``, the repr. The Parquet files keep agents and say so
in their metadata (``people_per_agent``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from crossings._version import __version__
from crossings.files import dumps_json, staging, swap_in, write_json, write_parquet, write_text
from crossings.results.metrics import mean_ard
from crossings.results.read import Camps, read_run_files
from crossings.results.schema import (
    BAND_SUFFIXES,
    LINK_SERIES,
    PLACE_SERIES,
    Dimension,
    DimSpec,
    Labels,
    Schema,
    SeriesSpec,
)
from crossings.scenario.model import IDPCAMP, Scenario

# Files a run folder may hold from an earlier run besides its Parquet tables: a new run removes those it does not
# write itself (report.html too: the command writes a fresh one after the run, unless --no-report).
STALE_RESULT_FILES = ("out.csv", "observations.csv", "report.html")

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BAND_SUFFIXES", "LINK_SERIES", "PLACE_SERIES", "Camps", "DimSpec", "Dimension", "Labels", "Results",
           "Schema", "SeriesSpec"]


@dataclass(repr=False)  # the generated repr printed the whole Scenario (50,000 characters): see __repr__
class Results:
    """Everything a run recorded, day by day: ``series[name]`` is an int64 array (days, n) described by
    ``schema.series[name]`` over the entities of ``schema.dims[...]``; ``model`` is the model that ran (its
    hooks give the files and views only it has).

    Results read from a directory (:meth:`read`) also carry what was written there: ``written`` (summary.json),
    ``source`` (the directory), ``bands`` (an ensemble's band columns beside each series: ``bands[name]["_q05"]``,
    float arrays like the medians in ``series``) and ``written_camps`` (out.csv); their ``scenario`` is None when
    it could not be read, and ``n_agents`` and ``refugee_debt`` (not in the tables) are zeros."""

    scenario: Scenario | None
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
    schema: Schema = field(default_factory=lambda: Schema({}))
    model: Any = None
    written: dict[str, Any] | None = None
    source: Path | None = None
    bands: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    written_camps: Camps | None = None
    start: dt.date | None = None  # the start date of results read without their scenario

    @classmethod
    def allocate(cls, sc: Scenario, days: int, seed: int, rules: str, schema: Schema, model: Any = None) -> Results:
        """Empty results for a run of ``days`` days recording the series of ``schema``."""
        series = {k: np.zeros((days, schema.dims[spec.dim].size), dtype=np.int64) for k, spec in schema.series.items()}
        return cls(sc, days, seed, rules, series, np.zeros(days, dtype=np.int64), np.zeros(days, dtype=np.int64),
                   schema=schema, model=model)

    @classmethod
    def read(cls, run_dir: str | Path, model: Any, scenario: Scenario | None = None) -> Results:
        """The results written into ``run_dir`` by :meth:`write` (or an ensemble's bands directory) of a run of
        ``model`` (its ``series`` and ``dimensions`` say which tables and columns to read), with the run's
        ``scenario`` when it could be loaded: series, labels and dates come from the files alone. InputError when
        ``run_dir`` is not a run directory or a table does not read."""
        run = Path(run_dir)
        start = scenario.start_date if scenario is not None else None
        got = read_run_files(run, model.series, model.dimensions, start)
        s = got.summary
        series = {k: model.series[k] for k in got.order}
        schema = Schema(series, {k: got.dims[k] for k in model.dimensions if k in got.dims})
        counts = {k: _number(s.get(k), int) for k in ("seed", "agent_steps", "bytes_per_agent")}
        return cls(scenario, got.days, counts["seed"], str(s.get("rules", "")), got.series,
                   np.zeros(got.days, dtype=np.int64), np.zeros(got.days, dtype=np.int64),
                   wall_seconds=_number(s.get("wall_seconds"), float), agent_steps=counts["agent_steps"],
                   bytes_per_agent=counts["bytes_per_agent"], schema=schema, model=model, written=s, source=run,
                   bands=got.bands, written_camps=got.camps, start=got.start_date or start or dt.date(2000, 1, 1))

    # ---- views -------------------------------------------------------------------------------------
    @property
    def start_date(self) -> dt.date:
        """The run's first day (summary.json's for results read from a directory)."""
        if self.start is not None:
            return self.start
        assert self.scenario is not None, "results need a scenario or a start date"
        return self.scenario.start_date

    @property
    def dates(self) -> list[dt.date]:
        """Calendar date of each recorded day."""
        return [self.start_date + dt.timedelta(days=d) for d in range(self.days)]

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.scenario.name if self.scenario is not None else str((self.written or {}).get("scenario", ""))

    def said(self, key: str) -> Any:
        """What the run's summary holds under ``key`` beyond the common fields (the model's additions, such as
        ``people_per_agent``; summary.json's for results read from a directory), or None."""
        return (self.written if self.written is not None else self.meta).get(key)

    @property
    def people_per_agent(self) -> float:
        """People one agent stands for: as the run's summary says, else the scenario's (1 without either)."""
        given = self.said("people_per_agent")
        if isinstance(given, int | float) and not isinstance(given, bool) and given > 0:
            return float(given)
        return float(self.scenario.people_per_agent) if self.scenario is not None else 1.0

    @property
    def camps(self) -> list[int]:
        """Location indices of the camps with observed data (Flee's out.csv columns)."""
        obs = self.scenario.observed if self.scenario is not None else None
        return list(obs.camps) if obs is not None else []

    def camp_table(self) -> Camps | None:
        """The observed camps with simulated and observed counts: as out.csv holds them for results read from a
        directory, else from the scenario's observations (None without observed camps)."""
        if self.written_camps is not None:
            return self.written_camps
        if not self.camps:
            return None
        assert self.scenario is not None and self.scenario.observed is not None
        names = tuple(self.scenario.locations.name[c] for c in self.camps)
        return Camps(names, self.camp_sim(), self.camp_data(), self.scenario.observed.total_by_day(self.days))

    def camp_sim(self) -> np.ndarray:
        """Simulated agents present at each observed camp, (days, camps)."""
        return self.series["n_present"][:, self.camps]

    def camp_data(self) -> np.ndarray:
        """Observed (interpolated) counts at each camp, (days, camps)."""
        obs = self.scenario.observed if self.scenario is not None else None
        return obs.camps_by_day(self.days) if obs is not None else np.zeros((self.days, 0), dtype=np.int64)

    def people_scale(self, name: str) -> float:
        """What turns series ``name`` into people: ``people_per_agent`` for a count of agents (unit ``agents``,
        ``agents/day``, ``agent-days/day``), 1 for anything else (people already, or a ratio)."""
        unit = self.schema.series[name].unit if name in self.schema.series else ""
        return self.people_per_agent if unit.startswith("agent") else 1.0

    def people(self, name: str) -> np.ndarray:
        """Series ``name`` (days, n) in people: int64 when ``people_per_agent`` is a whole number, else float."""
        return _scaled(self.series[name], self.people_scale(name))

    def ard(self) -> dict[str, float]:
        """Flee's validation error against observed camp counts: mean normal and rescaled ARD."""
        if not self.camps:
            return {}
        sim, data = self.camp_sim(), self.camp_data()
        return {"ard_normal": mean_ard(sim, data, rescaled=False), "ard_rescaled": mean_ard(sim, data, rescaled=True)}

    def flee_out_csv(self) -> str:
        """Flee's out.csv (flee-model.md §3.1) as text."""
        sc = self.scenario
        assert sc is not None, "out.csv needs the scenario's observed camps"
        names = [sc.locations.name[c] for c in self.camps]
        sim = self.camp_sim()
        data = self.camp_data()
        raw = sc.observed.total_by_day(self.days) if sc.observed is not None else np.zeros(self.days, np.int64)
        if self.meta.get("settings_meaning", {}).get("sum_from_camps") and raw.size:
            raw = raw[0] + data.sum(axis=1)  # Flee 3.2 with sum_from_camps: T(0) + Σ_c D_c(t) (flee-model.md §3.1)
        head = ["Day", "Date"]
        for n in names:
            head += [f"{n} sim", f"{n} data", f"{n} error"]
        head += ["Total error", "refugees in camps (UNHCR)", "total refugees (simulation)",
                 "raw UNHCR refugee count", "refugees in camps (simulation)", "refugee_debt"]
        extra = self._optional_out_columns()
        head += list(extra)
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(head)  # a camp named 'a "b", c' stays one cell
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
            row += [str(int(v[t])) for v in extra.values()]
            buf.write(",".join(row) + "\n")
        return buf.getvalue()

    def _optional_out_columns(self) -> dict[str, np.ndarray]:
        """out.csv's columns after Flee 3.1's, by name (days,), for the optional rules a run used: ``total IDPs``
        (agents at IDP camps, Flee's log_levels.idp_totals column), ``IDPs in camps (data)`` (the observed counts
        of the IDP camps), ``returns (simulation)`` (agents back home that day); none for a run without them, so
        Flee 3.1's out.csv keeps its bytes."""
        out: dict[str, np.ndarray] = {}
        if "n_idps" in self.series:
            out["total IDPs"] = self.series["n_idps"].sum(axis=1)
            out["IDPs in camps (data)"] = (self.camp_data() * self._idp_camp_days()).sum(axis=1)
        if "new_returns" in self.series:
            out["returns (simulation)"] = self.series["new_returns"].sum(axis=1)
        return out

    def _idp_camp_days(self) -> np.ndarray:
        """(days, observed camps): 1 where the camp is an IDP camp that day, from its type in locations.csv and
        location_changes.csv (closures aside)."""
        sc = self.scenario
        if sc is None:
            return np.zeros((self.days, len(self.camps)), dtype=np.int64)
        col = {c: j for j, c in enumerate(self.camps)}
        mask = np.zeros((self.days, len(self.camps)), dtype=np.int64)
        mask[:] = [int(sc.locations.kind[c] == IDPCAMP) for c in self.camps]
        for change in sc.location_changes:  # in file order: a later row of the same day wins
            if change.index in col and change.day < self.days:
                mask[change.day:, col[change.index]] = int(change.kind == IDPCAMP)
        return mask

    def summary(self) -> dict[str, Any]:
        """The run's summary (what summary.json holds; for results read from a directory, what it held)."""
        if self.written is not None:
            return {"people_per_agent": _plain(self.people_per_agent), **self.written}
        assert self.scenario is not None
        out: dict[str, Any] = {
            "scenario": self.scenario.name,
            "scenario_path": str(self.scenario.path),
            "format": self.scenario.format,
            "rules": self.rules,
            "seed": self.seed,
            "days": self.days,
            "start_date": self.scenario.start_date.isoformat(),
            "agents_final": int(self.n_agents[-1]) if self.days else 0,
            "people_per_agent": _plain(self.people_per_agent),
            "people_final": _plain((int(self.n_agents[-1]) if self.days else 0) * self.people_per_agent),
            "wall_seconds": round(self.wall_seconds, 4),
            "agent_steps": int(self.agent_steps),
            "bytes_per_agent": self.bytes_per_agent,
            "crossings_version": __version__,
        }
        out.update({k: round(v, 6) for k, v in (self.ard() if self.camps else {}).items()})
        out.update({"what_if": list(self.scenario.what_if)} if self.scenario.what_if else {})
        out.update({"parameters": dict(self.scenario.parameters)} if self.scenario.parameters else {})
        out.update(self.meta)
        return out

    # ---- long tables -----------------------------------------------------------------------------------
    def table(self, dim: str) -> dict[str, np.ndarray | Labels]:
        """Long table of dimension ``dim`` (one row per day and entity): ``day``, ``date`` (for dated
        dimensions), the dimension's key columns, every series of that dimension, then its derived ratios.

        Text columns are :class:`Labels` (integer codes and their labels), which keeps the table small."""
        d = self.schema.dims[dim]
        n = d.size
        day = np.repeat(np.arange(self.days, dtype=np.int32), n)
        entity = np.tile(np.arange(n, dtype=np.int32), self.days)
        cols: dict[str, np.ndarray | Labels] = {"day": day}
        if d.dated:
            cols["date"] = Labels(day, self._date_labels())
        for name, key in d.keys:
            cols[name] = key.take(entity) if isinstance(key, Labels) else np.asarray(key)[entity]
        for k in self.schema.names(dim):
            cols[k] = self.series[k].reshape(-1)
            for suffix, band in self.bands.get(k, {}).items():
                cols[k + suffix] = band.reshape(-1)
        for name, num, den in d.ratios:
            cols[name] = self.ratio(num, den).reshape(-1)
        return cols

    def _people_table(self, dim: str) -> dict[str, np.ndarray | Labels]:
        """:meth:`table` with every count of agents (and its bands) in people."""
        cols = self.table(dim)
        for k in self.schema.names(dim):
            scale = self.people_scale(k)
            for name in [k, *(k + suffix for suffix in self.bands.get(k, {}))]:
                cols[name] = _scaled(np.asarray(cols[name]), scale)
        return cols

    def tables(self) -> dict[str, Dimension]:
        """The long tables this run has, by name (``locations``, ``links``, …) with their dimension."""
        return {d.table: d for d in self.schema.dims.values()}

    def location_table(self) -> dict[str, np.ndarray | Labels]:
        """One row per day and location: every location stock and flow."""
        return self.table("location")

    def link_table(self) -> dict[str, np.ndarray | Labels]:
        """One row per day and directed link: every link stock and flow."""
        return self.table("link")

    def _date_labels(self) -> tuple[str, ...]:
        return tuple(d.isoformat() for d in self.dates)

    def ratio(self, num: str, den: str) -> np.ndarray:
        """``series[num] / series[den]`` day by day, NaN where the denominator is 0 (e.g. mean days waited by
        each day's passers: sum_wait_days / new_passages)."""
        below = self.series[den]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(below > 0, self.series[num] / below, np.nan)

    def observations(self, start: Any = None, end: Any = None) -> list[tuple[str, str, str, str, str, int]]:
        """The model's observation rows aggregated over days start..end (dates or day numbers, both included;
        default the whole run), shaped like shared/data/russia2022/observations.csv; ValueError for a model
        that records none."""
        if self.model is None:
            raise ValueError("these results carry no model to aggregate observations with")
        return self.model.observations(self, start, end)

    def to_frame(self, what: str = "locations", people: bool = True) -> pd.DataFrame:
        """Stocks and flows as a pandas DataFrame: one of the run's long tables (:meth:`tables`: "locations",
        "links", and for an emigration run "countries", "crossings", "categories"; the tables written as Parquet)
        or "camps" (a run with observed camps: simulated and observed counts by day). Counts are in people
        (agents × ``people_per_agent``; ``people=False``: agents, as the Parquet files hold them); ``date`` is a
        datetime column. ValueError naming the tables this run has for any other name."""
        import pandas as pd  # pandas costs 0.3 s to import: only the DataFrame views need it

        tables = self.tables()
        if what in tables:
            dim = tables[what].name
            table = self._people_table(dim) if people else self.table(dim)
            frame = {k: v.categorical() if isinstance(v, Labels) else v for k, v in table.items()}
            if "date" in frame:
                frame["date"] = np.datetime64(self.start_date, "ns") + \
                    np.asarray(table["day"], dtype=np.int64).astype("timedelta64[D]")
            return pd.DataFrame(frame)
        camps = self.camp_table() if what == "camps" else None
        if camps is not None:
            scale = self.people_per_agent if people else 1.0
            idx = pd.DatetimeIndex(pd.to_datetime(self.dates), name="date")
            sim = pd.DataFrame(_scaled(camps.sim, scale), index=idx, columns=list(camps.names))
            data = pd.DataFrame(_scaled(camps.data, scale), index=idx, columns=list(camps.names))
            return pd.concat({"sim": sim, "data": data}, axis=1)
        has = [*tables, *(["camps"] if self.camp_table() is not None else [])]
        why = " (only a run with observed camps, such as a Flee conflict, has one)" if what == "camps" else ""
        raise ValueError(f"this run has no table {what!r}{why}; its tables are {', '.join(has)}")

    def to_xarray(self, people: bool = True) -> Any:
        """Every series as an :class:`xarray.Dataset` (the ``xarray`` extra): one variable per series over
        (``date``, its dimension), the dimension's entities labelled as in the tables (``country``, ``gate``
        ``Upper_Lars/car``…), counts in people unless ``people=False``; each variable's attrs give its unit, stock
        or flow, and ``people_per_agent``."""
        try:
            import xarray as xr  # an optional extra, and slow to import: only this view needs it
        except ImportError:
            raise ImportError("to_xarray needs xarray: pip install 'crossings[xarray]'") from None
        dates = np.datetime64(self.start_date, "ns") + np.arange(self.days).astype("timedelta64[D]")
        coords: dict[str, Any] = {"date": dates}
        data = {}
        dims = {spec.dim for spec in self.schema.series.values()}
        for name, spec in self.schema.series.items():
            dim = self.schema.dims.get(spec.dim)
            n = self.series[name].shape[1]
            if spec.dim not in coords:
                coords[spec.dim] = list(self.schema.labels(spec.dim, n))
                for key, column in (dim.keys if dim is not None and dim.size == n else ()):
                    coord = f"{spec.dim}_{key}" if key in dims or key in coords else key  # a location's country
                    if key != spec.dim:
                        coords[coord] = (spec.dim, column.values() if isinstance(column, Labels) else column)
            scale = self.people_scale(name) if people else 1.0
            unit = spec.unit.replace("agent-", "person-").replace("agents", "people") if scale != 1.0 else spec.unit
            data[name] = xr.Variable(("date", spec.dim), _scaled(self.series[name], scale),
                                     {"unit": unit, "kind": spec.kind})
        attrs = {"scenario": self.name, "seed": self.seed, "rules": self.rules,
                 "people_per_agent": _plain(self.people_per_agent), "counts": "people" if people else "agents"}
        return xr.Dataset(data, coords=coords, attrs=attrs)

    # ---- what a notebook shows -----------------------------------------------------------------------------
    def _facts(self) -> list[tuple[str, str]]:
        """The few facts the repr and the notebook table show."""
        model = str(self.said("model") or (self.scenario.model if self.scenario is not None else "") or "flee")
        agents = int(self.n_agents[-1]) if self.days and self.n_agents.any() else None
        written = (self.written or {}).get("agents_final")
        agents = agents if agents is not None else (written if isinstance(written, int) else None)
        ppa = self.people_per_agent
        end = self.start_date + dt.timedelta(days=max(self.days - 1, 0))
        facts = [("scenario", f"{self.name} ({model} model)"), ("period", f"{self.start_date} to {end}, "
                 f"{self.days} days"), ("seed, rules", f"{self.seed}, {self.rules}")]
        if agents is not None:
            facts.append(("people who set out", f"{agents:,} (one agent each)" if ppa == 1 else
                          f"{_plain(agents * ppa):,} ({agents:,} agents × {_plain(ppa):,})"))
        ard = self.ard() if self.camps else {}
        if ard:
            facts.append(("ARD rescaled", f"{ard['ard_rescaled']:.4f} (normal {ard['ard_normal']:.4f})"))
        facts.append(("tables", ", ".join([*self.tables(), *(["camps"] if self.camp_table() is not None else [])])))
        return facts

    def __repr__(self) -> str:
        """One short line (a notebook's plain view); ``summary()`` has the rest."""
        f = dict(self._facts())
        seed, rules = f["seed, rules"].split(", ")
        count, _, agents = f.get("people who set out", "").partition(" (")
        people = f"; {count} people set out ({agents}" if count else ""
        ard = f"; ARD rescaled {f['ARD rescaled']}" if "ARD rescaled" in f else ""
        return (f"<{type(self).__name__} {f['scenario']}, {f['period']}, seed {seed}, rules {rules}{people}{ard}; "
                f"tables: {f['tables']}>")

    def _repr_html_(self) -> str:
        """A small table of the run for notebooks."""
        import html  # only notebooks ask for it

        rows = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>"
                       f"{html.escape(v)}</td></tr>" for k, v in self._facts())
        return f"<table><caption style='text-align:left'><b>{type(self).__name__}</b></caption>{rows}</table>"

    # ---- files -------------------------------------------------------------------------------------------
    def write(self, out: str | Path, files: Mapping[str, str | None] | None = None,
              extra: Mapping[str, Any] | None = None) -> Path:
        """Write the run into the directory ``out``: Flee's out.csv (when the scenario has observed camps), one
        Parquet table per dimension (:meth:`tables`), the model's own files (an emigration run's
        observations.csv), ``files`` (text by file name; None removes an earlier run's file of that name) and,
        last, summary.json (:meth:`summary` and ``extra``), which marks a complete run. The whole set is written
        into a hidden staging folder first and then renamed in (:func:`~crossings.files.swap_in`), so a failure
        while writing, e.g. a full disk, leaves the earlier run's files in ``out`` as they were."""
        if self.scenario is None:
            raise ValueError("results read without their scenario cannot be written again")
        out = Path(out)
        own = self.model.files(self) if self.model is not None else {}
        texts = {**own, **(files or {})}
        fresh = {f"{d.table}.parquet" for d in self.schema.dims.values()}
        fresh |= {n for n, t in texts.items() if t is not None} | ({"out.csv"} if self.camps else set())
        with staging(out) as stage:  # a failure while writing (a full disk) leaves out's earlier files as they were
            if self.camps:
                write_text(stage / "out.csv", self.flee_out_csv())
            meta = {"crossings": dumps_json({"seed": self.seed, "scenario": self.scenario.name, "rules": self.rules,
                                             "people_per_agent": _plain(self.people_per_agent),
                                             "counts": "agents"})}
            for d in self.schema.dims.values():
                write_parquet(stage / f"{d.table}.parquet", self.table(d.name), meta)
            for name, text in texts.items():
                if text is not None:
                    write_text(stage / name, text)
            write_json(stage / "summary.json", {**self.summary(), **(extra or {})})
            # an earlier run's results this run does not write are removed (docs/output.md)
            stale = {*STALE_RESULT_FILES, *(p.name for p in out.glob("*.parquet")), *texts} - fresh
            swap_in(stage, out, "summary.json", sorted(stale))
        return out


def _plain(value: float) -> int | float:
    """A count or scale as an int when it is a whole number (100, not 100.0)."""
    return int(value) if float(value).is_integer() else float(value)


def _scaled(values: np.ndarray, scale: float) -> np.ndarray:
    """``values`` × ``scale``: unchanged for 1, int64 for a whole ``scale`` and integer values, else float."""
    if scale == 1.0:
        return values
    if float(scale).is_integer() and np.issubdtype(values.dtype, np.integer):
        return values * np.int64(scale)
    return values * float(scale)


def _number(value: Any, kind: type) -> Any:
    """``value`` as ``kind`` (int or float) when it is a number, else 0."""
    return kind(value) if isinstance(value, int | float) and not isinstance(value, bool) else kind(0)
