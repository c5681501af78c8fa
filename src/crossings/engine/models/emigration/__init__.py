"""The emigration model (``model: emigration``): departures driven by events, route choice by mode, border
queues and flights, and what the statistics count. One file per behaviour; each rule follows
:class:`crossings.engine.rule.Rule`. The Flee rules are untouched: a scenario runs one model or the other."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.models.emigration.border_queues import BorderQueues
from crossings.engine.models.emigration.departures import Departures
from crossings.engine.models.emigration.flights import Flights
from crossings.engine.models.emigration.money import Money
from crossings.engine.models.emigration.onward import Onward
from crossings.engine.models.emigration.returns import Returns
from crossings.engine.models.emigration.route_choice import RouteChoice
from crossings.engine.models.emigration.state import COLUMNS
from crossings.engine.models.emigration.stays import EntryPolicies, StayLimits
from crossings.engine.models.emigration.timeline import Timeline
from crossings.engine.models.emigration.travel import Travel
from crossings.engine.models.emigration.world import EmigrationFlows, EmigrationWorld
from crossings.engine.rule import Rule

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation
    from crossings.results import Results

STREAMS = ("departures", "attributes", "route", "entry", "stays", "returns", "onward", "money")


def emigration_plan() -> list[Rule]:
    """The day's order: the event and policy timelines, departures, returns, stays that run out, onward moves,
    route choice, travel, border queues, flights, and at the end of the day the cost of living."""
    return [Timeline(), EntryPolicies(), Departures(), Returns(), StayLimits(), Onward(), RouteChoice(), Travel(),
            BorderQueues(), Flights(), Money()]


def known_state() -> set[str]:
    """Names a rule of this model may declare it reads or writes."""
    known = {f"agents.{c}" for c in COLUMNS}
    known |= {f"world.{f.name}" for f in dataclasses.fields(EmigrationWorld)}
    known |= {"flows.spawned", "flows.arrivals", "flows.departures", "flows.link_entries", "flows.link_exits"}
    known |= {f"eflows.{f.name}" for f in dataclasses.fields(EmigrationFlows)}
    return known


class EmigrationModel:
    """What a :class:`Simulation` delegates to for this model: state set-up, the day's extra flows, the census
    and the recording of the observation model."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim

    def setup(self) -> None:
        from crossings.engine.rng import stream
        from crossings.engine.state import AgentTable

        sim = self.sim
        sc = sim.scenario
        sim.world = EmigrationWorld.initial(sc)
        sim.agents = AgentTable(capacity=1024, columns=COLUMNS)
        sim.rng = {name: stream(sim.seed, f"emigration.{name}") for name in STREAMS}
        sim.eflows = EmigrationFlows.zeros(len(sc.emigration.countries), len(sim.world.queue), len(sc.links),
                                           len(sc.locations), len(sc.emigration.category.names))
        sim.today = 0

    def begin_day(self, day: int) -> None:
        self.sim.eflows.clear()
        self.sim.today = day
        self.retire_returned()

    def retire_returned(self, least: int = 20_000) -> None:
        """Drop the rows of returned agents once they are at least ``least`` and a quarter of the table: they
        never act again, and every rule scans the table daily. Their counts stay in ``world.retired`` (stocks
        at their origin); the order of the other rows is kept, so results do not depend on when this runs."""
        from crossings.engine.models.emigration.state import RETURNED

        sim = self.sim
        a, w = sim.agents, sim.world
        back = a.state == RETURNED
        n_back = int(np.count_nonzero(back))
        if n_back < least or 4 * n_back < len(a):
            return
        w.retired += np.bincount(a.loc[back], minlength=len(w.retired))
        rt = sim.scenario.emigration.round_trip
        if rt is not None:
            w.retired_travellers += int(np.count_nonzero(rt[a.category[back]]))
        a.keep(~back)

    def rows_retired(self) -> int:
        """Agents no longer in the table (returned and dropped), for counts of all agents ever created."""
        return int(self.sim.world.retired.sum())

    def census(self, day: int) -> None:
        from crossings.engine.models.emigration.observe import census

        census(self.sim, day)

    def record(self, res: Results, day: int) -> None:
        from crossings.engine.models.emigration.observe import record

        record(res, self.sim, day)


__all__ = ["BorderQueues", "Departures", "EmigrationModel", "EntryPolicies", "Flights", "Money", "Onward",
           "Returns", "RouteChoice", "StayLimits", "Timeline", "Travel", "emigration_plan", "known_state"]
