"""The emigration model as a :class:`~crossings.engine.model.Model`: departures driven by events, route choice by
mode, border queues and flights, stays, permits, money, onward moves and returns; and its observation model
(the series it records, the check mode's double entries, observations.csv)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from crossings.engine.model import Model
from crossings.engine.models.emigration import counters, observe
from crossings.engine.models.emigration.border_queues import BorderQueues
from crossings.engine.models.emigration.departures import Departures
from crossings.engine.models.emigration.entry import holder_salt
from crossings.engine.models.emigration.flights import Flights
from crossings.engine.models.emigration.money import Money
from crossings.engine.models.emigration.onward import Onward
from crossings.engine.models.emigration.returns import Returns
from crossings.engine.models.emigration.route_choice import RouteChoice
from crossings.engine.models.emigration.state import COLUMNS, RETURNED
from crossings.engine.models.emigration.stays import EntryPolicies, StayLimits
from crossings.engine.models.emigration.timeline import Timeline, hazard_multipliers
from crossings.engine.models.emigration.travel import Travel
from crossings.engine.models.emigration.world import EmigrationFlows, EmigrationWorld, apportion
from crossings.engine.places import place_census
from crossings.engine.rule import Rule
from crossings.engine.simulation import DayFlows
from crossings.engine.state import AgentTable
from crossings.scenario.emigration_section import EmigrationSection
from crossings.scenario.model import ORIGIN

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation
    from crossings.results import Results, Schema
    from crossings.scenario.model import Scenario

STREAMS = ("departures", "attributes", "route", "entry", "stays", "returns", "onward", "money")
# The daily series an emigration member keeps for bands (agents): what the run report's charts draw, per place,
# country, category and crossing (docs/ensembles.md). About 2.5 MB a member for russia2022 (1,093 days).
BAND_SERIES = ("n_present", "n_in_country", "n_emigrants_in_country", "new_entries", "new_exits", "new_left_home",
               "new_returns", "new_visa_runs", "new_permits_granted", "n_permits", "cat_left_home", "cat_returned",
               "cat_away", "n_queue", "new_passages", "sum_wait_days")
RETIRE_AT_LEAST = 20_000  # returned agents dropped from the table once this many and a quarter of it


def emigration_plan() -> list[Rule]:
    """The day's order: the event and policy timelines, departures, returns, stays that run out, onward moves,
    route choice, travel, border queues, flights, and at the end of the day the cost of living."""
    return [Timeline(), EntryPolicies(), Departures(), Returns(), StayLimits(), Onward(), RouteChoice(), Travel(),
            BorderQueues(), Flights(), Money()]


class EmigrationModel(Model):
    """``model: emigration`` (docs/engine.md, "The emigration model")."""

    name = "emigration"
    section = EmigrationSection()
    columns = MappingProxyType(COLUMNS)
    streams = MappingProxyType({k: f"emigration.{k}" for k in STREAMS})
    # the rules that work agent by agent in C (kernels_c.py), or their NumPy twins: same bytes
    kernels = ("compiled", "numpy")
    band_series = BAND_SERIES
    series = observe.SERIES
    dimensions = observe.DIMENSIONS

    def plan(self, sim: Simulation) -> list[Rule]:
        return emigration_plan()

    def known_state(self, sim: Simulation) -> set[str]:
        known = super().known_state(sim) | {f"world.{f.name}" for f in dataclasses.fields(EmigrationWorld)}
        return known | DayFlows.names() | {f"eflows.{f.name}" for f in dataclasses.fields(EmigrationFlows)}

    def setup(self, sim: Simulation) -> None:
        sc = sim.scenario
        sim.world = EmigrationWorld.initial(sc)
        sim.world.visa_salt = holder_salt(sim.seed)
        sim.agents = AgentTable(capacity=1024, columns=dict(COLUMNS))
        counters.prepare(sim)
        sim.eflows = EmigrationFlows.zeros(len(sc.emigration.countries), len(sim.world.queue), len(sc.links),
                                           len(sc.locations), len(sc.emigration.category.names))
        sim.today = 0

    def begin_day(self, sim: Simulation, day: int) -> None:
        sim.eflows.clear()
        sim.today = day
        retire_returned(sim)

    def census(self, sim: Simulation, day: int) -> None:
        place_census(sim, day, sim.world.retired)
        observe.census(sim, day)

    def record(self, sim: Simulation, res: Results, day: int) -> None:
        """The place series (as ``record_places``) and the model's own (``observe.record``, which copies both)."""
        res.n_agents[day] = len(sim.agents) + int(sim.world.retired.sum())
        res.refugee_debt[day] = 0
        observe.record(res, sim, day)

    def finish(self, sim: Simulation, res: Results) -> None:
        sc = sim.scenario
        em = sc.emigration
        ppa = float(sc.people_per_agent)
        res.meta.update({"model": self.name, "people_per_agent": int(ppa) if ppa.is_integer() else ppa,
                         "home_countries": [em.countries[int(c)] for c in em.home_countries], "kernel": sim.kernel})

    def checkpoint_state(self, sim: Simulation) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"debt": 0, "today": int(sim.today)}, {}

    def restore_state(self, sim: Simulation, values: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
        sim.today = int(values.get("today", 0))

    def schema(self, scenario: Scenario) -> Schema:
        return observe.schema(scenario)

    def expected_agents(self, scenario: Scenario, days: int) -> int:
        """Expected number of people leaving home within ``days`` days: the departure rule's mean per origin ×
        category × sex × age band, with the timeline's multipliers. In closed form: the rates change only on the
        days an event starts or ends, so between two such days the people at home shrink by (1 − rate)^length
        (a loop over the days took 48 minutes for 10^8 days; this takes a loop over the events)."""
        em = scenario.emigration
        origins = np.flatnonzero(scenario.locations.kind == ORIGIN)
        cells = np.multiply.outer(np.multiply.outer(em.category.shares, em.sex.shares), em.age_band.shares)
        home = np.stack([apportion(int(scenario.locations.population[o]), cells) for o in origins]).astype(np.float64)
        base = em.hazard[origins][:, :, None, None]
        pos = {int(o): i for i, o in enumerate(origins)}
        start = home.sum()
        events = [ev for ev in em.events if ev.kind == "departure_hazard"]
        cuts = sorted({0, days} | {d for ev in events for d in (ev.start, ev.end) if 0 < d < days})
        for a, b in zip(cuts, cuts[1:], strict=False):
            rate = np.minimum(base * hazard_multipliers(events, pos, home.shape, a), 1.0)
            home = home * (1.0 - rate) ** float(b - a)
        return int(np.ceil(start - home.sum()))

    def files(self, res: Results) -> dict[str, str]:
        """observations.csv: the observation rows over the whole run."""
        return {"observations.csv": observe.observations_csv(res)}

    def observations(self, res: Results, start: Any = None, end: Any = None) -> list[tuple[str, ...]]:
        return observe.observations(res, start, end)

    def loss(self, member: Any) -> float:
        """The fit loss of the member's calibration rows (docs/fit.md)."""
        return float(member.fit.loss_of("calibration")) if member.fit is not None else float("nan")

    def report_section(self, view: Any, summary: Mapping[str, Any], scenario: Any, kept: Sequence[int],
                       step: int) -> dict[str, Any] | None:
        """Who left, the destination countries, the crossings' queues, the categories of leavers and the fit
        table, in people (:mod:`crossings.engine.models.emigration.report`)."""
        from crossings.engine.models.emigration import report  # loaded only for a page

        return report.section(view, summary, scenario, kept, step)


def retire_returned(sim: Simulation, least: int | None = None) -> None:
    """Drop the rows of returned agents once they are at least ``least`` and a quarter of the table: they never
    act again, and every rule scans the table daily. Their counts stay in ``world.retired`` (stocks at their
    origin); the order of the other rows is kept, so results do not depend on when this runs."""
    least = RETIRE_AT_LEAST if least is None else least
    a, w = sim.agents, sim.world
    if len(a) < least:  # fewer rows than the least number to drop: nothing to look at
        return
    back = a.state == RETURNED
    n_back = int(np.count_nonzero(back))
    if n_back < least or 4 * n_back < len(a):
        return
    w.retired += np.bincount(a.loc[back], minlength=len(w.retired))
    rt = sim.scenario.emigration.round_trip
    if rt is not None:
        w.retired_travellers += int(np.count_nonzero(rt[a.category[back]]))
    a.keep(~back)
