"""Results that describe themselves: daily stocks (``n_*``) and flows (``new_*``) in arrays shaped (days, n),
named and described by the :class:`~crossings.results.schema.Schema` of the model that ran (unit, stock or
flow, dimension and its labels); long tables for pandas or Parquet, Flee's out.csv view and the ARD against
observed camp counts."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from crossings._version import __version__
from crossings.files import write_json, write_parquet, write_text
from crossings.results.metrics import mean_ard
from crossings.results.schema import LINK_SERIES, PLACE_SERIES, Dimension, Labels, Schema, SeriesSpec
from crossings.scenario.model import Scenario

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LINK_SERIES", "PLACE_SERIES", "Dimension", "Labels", "Results", "Schema", "SeriesSpec"]


@dataclass
class Results:
    """Everything a run recorded, day by day: ``series[name]`` is an int64 array (days, n) described by
    ``schema.series[name]`` over the entities of ``schema.dims[...]``; ``model`` is the model that ran (its
    hooks give the files and views only it has)."""

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
    schema: Schema = field(default_factory=lambda: Schema({}))
    model: Any = None

    @classmethod
    def allocate(cls, sc: Scenario, days: int, seed: int, rules: str, schema: Schema, model: Any = None) -> Results:
        """Empty results for a run of ``days`` days recording the series of ``schema``."""
        series = {k: np.zeros((days, schema.dims[spec.dim].size), dtype=np.int64) for k, spec in schema.series.items()}
        return cls(sc, days, seed, rules, series, np.zeros(days, dtype=np.int64), np.zeros(days, dtype=np.int64),
                   schema=schema, model=model)

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
        for name, num, den in d.ratios:
            cols[name] = self.ratio(num, den).reshape(-1)
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

    def to_frame(self, what: str = "locations") -> pd.DataFrame:
        """Stocks and flows as a pandas DataFrame: one of the run's long tables (:meth:`tables`: "locations",
        "links", and for an emigration run "countries", "crossings", "categories") or "camps"."""
        import pandas as pd  # pandas costs 0.3 s to import: only the DataFrame views need it

        tables = self.tables()
        if what in tables:
            table = self.table(tables[what].name)
            return pd.DataFrame({k: v.categorical() if isinstance(v, Labels) else v for k, v in table.items()})
        if what == "camps":
            names = [self.scenario.locations.name[c] for c in self.camps]
            idx = pd.Index(self.dates, name="date")
            sim = pd.DataFrame(self.camp_sim(), index=idx, columns=names)
            data = pd.DataFrame(self.camp_data(), index=idx, columns=names)
            return pd.concat({"sim": sim, "data": data}, axis=1)
        raise ValueError(f"unknown table {what!r}; choose {', '.join([*tables, 'camps'])}")

    # ---- files -------------------------------------------------------------------------------------------
    def write(self, out: str | Path, files: Mapping[str, str | None] | None = None,
              extra: Mapping[str, Any] | None = None) -> Path:
        """Write the run into the directory ``out``: Flee's out.csv (when the scenario has observed camps), one
        Parquet table per dimension (:meth:`tables`), the model's own files (an emigration run's
        observations.csv), ``files`` (text by file name; None removes an earlier run's file of that name) and,
        last, summary.json (:meth:`summary` and ``extra``), which marks a complete run. Each file is written
        atomically."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        summary_path = out / "summary.json"
        if summary_path.exists():
            summary_path.unlink()  # the old summary must not vouch for new, partly written files
        if self.camps:
            write_text(out / "out.csv", self.flee_out_csv())
        meta = {"crossings": json.dumps({"seed": self.seed, "scenario": self.scenario.name, "rules": self.rules})}
        for d in self.schema.dims.values():
            write_parquet(out / f"{d.table}.parquet", self.table(d.name), meta)
        own = self.model.files(self) if self.model is not None else {}
        for name, text in {**own, **(files or {})}.items():
            if text is not None:
                write_text(out / name, text)
            elif (out / name).exists():
                (out / name).unlink()
        write_json(summary_path, {**self.summary(), **(extra or {})})
        return out
