"""The contract every model fulfils, and the registry that maps a scenario's ``model`` to one.

A model is a package under ``engine/models/<name>/`` whose :class:`Model` subclass says what a run of it is:
its agent columns and random streams, the day's plan of rules, what happens before the first day, at the start
of each day, in the check mode's census and at the end of each day (recording), the schema of the series it
records, how much memory a run needs, and, for the layers after the engine, the files and views only it has
(observation rows, fit measures, the series an ensemble member keeps, the loss a calibration minimises, its
section of the report). The simulation loop (:mod:`crossings.engine.simulation`) knows nothing else about a
model, and no code outside this registry asks which model a scenario runs.

Models are found by name: the built-in ones below, and any installed package that declares an entry point in the
group ``crossings.models`` (``name = "package.module:ModelClass"``), e.g. in its pyproject.toml::

    [project.entry-points."crossings.models"]
    mymodel = "my_models.mymodel:MyModel"
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from crossings.engine.rule import Rule
from crossings.engine.state import AgentTable
from crossings.errors import InputError
from crossings.results.schema import Schema, graph_dims
from crossings.scenario.build import build
from crossings.scenario.native import Section
from crossings.scenario.source import META, Source

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation
    from crossings.results import DimSpec, Results, SeriesSpec
    from crossings.scenario.model import Scenario

ENTRY_POINT_GROUP = "crossings.models"
BUILTIN: Mapping[str, str] = MappingProxyType({
    "flee": "crossings.engine.models.flee:FleeModel",
    "emigration": "crossings.engine.models.emigration:EmigrationModel",
})
# Per agent beyond the table's columns: transient index and random-number arrays of the vectorised rules and the
# table's growth headroom (it grows by half when full). Measured peak RSS was 92 bytes per agent at 10^7 agents
# on the synthetic benchmark (bench/scale.py); 40 covers the transients with margin.
TRANSIENT_BYTES_PER_AGENT = 40


class Model:
    """What the engine, the results and the layers after them need to know of one model. Subclasses set the
    class attributes and override the hooks; a model object holds no state of a run (that lives on the
    :class:`~crossings.engine.simulation.Simulation`), so one instance serves every run."""

    name: ClassVar[str] = "model"
    # agent columns: name -> (dtype, initial value)
    columns: ClassVar[Mapping[str, tuple[type, float]]] = MappingProxyType({})
    # random streams: the key rules use (sim.rng[key]) -> the name the stream is derived from (engine/rng.py)
    streams: ClassVar[Mapping[str, str]] = MappingProxyType({})
    kernels: ClassVar[tuple[str, ...]] = ("numpy",)  # implementations a run may choose (the first is the default)
    # series an ensemble member keeps for the bands (None: every series)
    band_series: ClassVar[tuple[str, ...] | None] = None
    # the model's part of a native scenario: its tables and scenario.yml mappings (crossings.scenario.native)
    section: ClassVar[Section] = Section()
    # the series a run records (name -> unit, stock or flow, dimension) and what each dimension is (its table, the
    # key columns that name an entity, its label): enough to read a run back without its scenario (Results.read)
    series: ClassVar[Mapping[str, SeriesSpec]] = MappingProxyType({})
    dimensions: ClassVar[Mapping[str, DimSpec]] = MappingProxyType({})

    # ---- the engine --------------------------------------------------------------------------------------
    def validate(self, sim: Simulation) -> None:
        """Refuse a run this model cannot make of its scenario (InputError naming the file), before any state."""

    def plan(self, sim: Simulation) -> list[Rule]:
        """The day's rules, in order."""
        raise NotImplementedError

    def known_state(self, sim: Simulation) -> set[str]:
        """Every name a rule may declare it reads or writes (``agents.<col>``, ``world.<field>``, …)."""
        return {f"agents.{c}" for c in self.columns}

    def setup(self, sim: Simulation) -> None:
        """Build the run's state on ``sim`` before day 0 (its world, agent table, random streams, flows)."""
        sim.agents = AgentTable(capacity=1024, columns=dict(self.columns))

    def begin_day(self, sim: Simulation, day: int) -> None:
        """Called at the start of each day, before the rules (default: nothing)."""

    def census(self, sim: Simulation, day: int) -> None:
        """The check mode's end-of-day test that every stock equals a count of the agents (AssertionError)."""

    def record(self, sim: Simulation, res: Results, day: int) -> None:
        """Store the day's stocks and flows in ``res``."""
        raise NotImplementedError

    def finish(self, sim: Simulation, res: Results) -> None:
        """After the last day: what the run's summary adds (``res.meta``)."""

    def notices(self, scenario: Scenario, rules: str) -> tuple[str, ...]:
        """What a run of ``scenario`` under rule set ``rules`` tells its user (one line each; printed before the
        run and kept in summary.json): by default what reading the scenario noticed."""
        return tuple(scenario.notices)

    def checkpoint_state(self, sim: Simulation) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """What ``sim`` carries from day to day outside the world, the agents, the rules and the streams: (JSON
        values, arrays), saved in checkpoints and given back to :meth:`restore_state`."""
        return {}, {}

    def restore_state(self, sim: Simulation, values: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
        """Take back what :meth:`checkpoint_state` returned (after :meth:`setup`, when a run resumes)."""
        for k, v in {**values, **arrays}.items():
            setattr(sim, k, v)

    # ---- the results -------------------------------------------------------------------------------------
    def schema(self, scenario: Scenario) -> Schema:
        """The series a run of ``scenario`` records (:attr:`series`) over the dimensions of :attr:`dimensions`,
        each with the scenario's entities. The default knows the graph's (locations and links); a model with
        dimensions of its own builds them here (:meth:`crossings.results.DimSpec.of`)."""
        graph = graph_dims(scenario.locations, scenario.links)
        missing = [d for d in self.dimensions if d not in graph]
        if missing:
            raise NotImplementedError(f"the {self.name} model must build its dimensions {missing} in schema()")
        return Schema(dict(self.series), {d: graph[d] for d in self.dimensions})

    def expected_agents(self, scenario: Scenario, days: int) -> int:
        """Agents a run of ``days`` days will hold at its end (for the memory estimate)."""
        return 0

    def estimate_bytes(self, scenario: Scenario, days: int) -> int:
        """Peak memory a run needs beyond the interpreter: its agents and its recorded series (twice: the arrays,
        then the long tables written from them)."""
        per_agent = sum(np.dtype(dt).itemsize for dt, _ in self.columns.values()) + TRANSIENT_BYTES_PER_AGENT
        schema = self.schema(scenario)
        cells = sum(schema.dims[s.dim].size for s in schema.series.values())
        return self.expected_agents(scenario, days) * per_agent + days * cells * 8 * 2

    def files(self, res: Results) -> dict[str, str]:
        """Files only this model writes beside the tables, by name (default: none)."""
        return {}

    def observations(self, res: Results, start: Any = None, end: Any = None) -> list[tuple[str, ...]]:
        """Observation rows aggregated over a period (the emigration model's observations.csv)."""
        raise ValueError(f"runs of the {self.name} model record no observation rows")

    # ---- fit, ensembles, report --------------------------------------------------------------------------
    measures: ClassVar[Any] = None  # the vocabulary of fit quantities (an object like models.emigration.measures)

    def loss(self, member: Any) -> float:
        """The number a calibration of this model minimises for one member (NaN when it cannot be computed)."""
        return float("nan")

    def report_section(self, view: Any, summary: Mapping[str, Any], scenario: Any, kept: Sequence[int],
                       step: int) -> dict[str, Any] | None:
        """This model's part of the report page (JSON-able data drawn by the page's own code), or None (the
        default: the page's generic charts only). ``view`` is the fit's view of the run
        (:class:`crossings.observed.measures.RunTables`, passed in: a model does not import the layers after the
        engine), ``summary`` its summary.json, ``scenario`` the Scenario or None when it could not be read,
        ``kept`` the days the page keeps, every ``step``-th. Keys the page reads besides the model's own:
        ``people_per_agent`` (counts on the page are then in people), ``totals_chart`` (replaces the page's
        totals chart) and ``no_circle`` (location indices drawn without a circle on the map); the last two are
        taken out of the section's data."""
        return None


def model_names() -> tuple[str, ...]:
    """Every model this installation can run: the built-in ones, then those of installed packages."""
    from importlib.metadata import entry_points  # only when asked: a built-in model needs no package metadata

    found = [e.name for e in entry_points(group=ENTRY_POINT_GROUP) if e.name not in BUILTIN]
    return (*BUILTIN, *sorted(found))


def get_model(name: str) -> Model:
    """The model registered as ``name`` (KeyError naming the known ones)."""
    target = BUILTIN.get(name)
    if target is None:
        from importlib.metadata import entry_points  # only for a model that is not built in

        for e in entry_points(group=ENTRY_POINT_GROUP):
            if e.name == name:
                target = e.value
                break
    if target is None:
        raise KeyError(f"unknown model {name!r}; known: {', '.join(model_names())}")
    module, _, cls = target.partition(":")
    model = getattr(importlib.import_module(module), cls)()
    if not isinstance(model, Model):
        raise TypeError(f"{target} is not a crossings.engine.model.Model")
    return model


def build_scenario(source: Source, parameters: Mapping[str, float] | None = None, sets: Sequence[str] = ()
                   ) -> Scenario:
    """The Scenario of a parsed ``source``, built by the section of the model it names (``model:`` in scenario.yml),
    with named ``parameters`` and what-if ``sets`` applied (:func:`crossings.scenario.build.build`). Reads no file.
    An unknown model is an InputError naming scenario.yml, its line and the field ``model``."""
    try:
        model = get_model(source.model)
    except KeyError:
        given = source.meta.get("model", source.model)
        raise InputError(source.path(META), source.lines.get("model"), "model",
                         f"{given!r} is not one of {', '.join(model_names())}") from None
    return build(source, model.section, parameters, sets)
