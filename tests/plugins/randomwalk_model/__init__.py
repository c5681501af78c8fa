"""A third model, written the way a user would add one: a random walk on a scenario's places.

Everybody starts at home (a place's ``population``); each day each walker steps along one of the roads out of
its place, chosen uniformly, with probability ``p_move`` (a named parameter of scenario.yml, 0.1 when absent),
and arrives the same day. It records the place and link series every graph model records, and one of its own,
``new_moves`` (walkers setting out from each place). Its fit measures are the shared ones of observed.csv
(``stock(location=NAME)`` and the like), its report section one chart of the walkers per place.

It is registered by an entry point, as an installed package would be (the test writes the dist-info)::

    [crossings.models]
    randomwalk = randomwalk_model:RandomWalk

This package is the only code the model needs: nothing in crossings' ensemble/, report/, observed/ or cli/
knows it exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

import numpy as np

from crossings.engine.model import Model
from crossings.engine.places import place_census, record_places
from crossings.engine.rule import Rule
from crossings.engine.simulation import DayFlows
from crossings.params.flee import FleeSettings
from crossings.results.schema import GRAPH_DIMS, LINK_SERIES, PLACE_SERIES, SeriesSpec
from crossings.scenario.flee_section import read_roads
from crossings.scenario.model import Scenario
from crossings.scenario.native import NativeContext, Section
from crossings.scenario.observations import check_scenario_observed

DEFAULT_P_MOVE = 0.1


class WalkSection(Section):
    """A native scenario of the random walk: towns and roads (routes.csv as for Flee's model), and observations
    to score runs against (observed.csv, optional)."""

    kinds = ("town",)

    def build(self, ctx: NativeContext) -> Scenario:
        days = ctx.days
        obs = ()
        if ctx.exists("observed.csv"):
            obs = tuple(check_scenario_observed(ctx.path("observed.csv"), ctx.locations, (),
                                                rows=ctx.source.table("observed.csv").read()))
        return Scenario(
            name=ctx.name, path=ctx.source.root, format="native", start_date=ctx.start, length=days,
            locations=ctx.locations, links=read_roads(ctx), closures=(), conflict_locations=np.zeros(0, np.int32),
            conflicts=np.zeros((days, 0)), observed=None, settings=FleeSettings(), default_rules=ctx.rules,
            model=ctx.model, people_per_agent=ctx.people_per_agent, observations=obs,
            observations_file=ctx.path("observed.csv") if obs else None,
        )


@dataclass
class WalkWorld:
    """Walkers per place and on each link (always 0: a step takes no time), and each place's roads out."""

    present: np.ndarray
    on_link: np.ndarray
    out_start: np.ndarray  # (L + 1,) CSR offsets into out_links by place
    out_links: np.ndarray  # link ids grouped by their start


class Walk(Rule):
    """Day 0: every place's population appears there. Every day: each walker steps, with probability p_move, along
    a road out of its place chosen uniformly (none if it has none), and arrives the same day."""

    name = "walk"
    reads = ("agents.loc", "world.out_start", "world.out_links")
    writes = ("agents.loc", "world.present", "flows.spawned", "flows.departures", "flows.arrivals",
              "flows.link_entries", "flows.link_exits", "eflows.moves")

    def init(self, sim: Any) -> None:
        declared = sim.scenario.declared
        self.p = float(declared["p_move"].value) if "p_move" in declared else DEFAULT_P_MOVE

    def step(self, sim: Any, day: int) -> None:
        a, w, f = sim.agents, sim.world, sim.flows
        sim.eflows.moves[:] = 0
        if day == 0:
            pop = np.asarray(sim.scenario.locations.population, dtype=np.int64)
            rows = a.add(int(pop.sum()))
            a.cols["loc"][rows] = np.repeat(np.arange(len(pop), dtype=np.int32), pop)
            w.present += pop
            f.spawned += pop
        rng = sim.rng["walk"]
        go = np.flatnonzero(rng.random(len(a)) < self.p)
        here = a.loc[go]
        n_out = w.out_start[here + 1] - w.out_start[here]
        go, here, n_out = go[n_out > 0], here[n_out > 0], n_out[n_out > 0]
        pick = (rng.random(go.size) * n_out).astype(np.int64)
        link = w.out_links[w.out_start[here] + pick]
        there = sim.scenario.links.dst[link]
        n_loc, n_link = len(w.present), len(w.on_link)
        dep, arr = np.bincount(here, minlength=n_loc), np.bincount(there, minlength=n_loc)
        w.present += arr - dep
        f.departures += dep
        f.arrivals += arr
        f.link_entries += np.bincount(link, minlength=n_link)
        f.link_exits += np.bincount(link, minlength=n_link)
        sim.eflows.moves += dep
        a.cols["loc"][go] = there


@dataclass
class WalkFlows:
    moves: np.ndarray


class RandomWalk(Model):
    """The random walk as a crossings model (registered as ``randomwalk``)."""

    name = "randomwalk"
    columns = MappingProxyType({"loc": (np.int32, -1), "link": (np.int32, -1)})
    streams = MappingProxyType({"walk": "randomwalk.walk"})
    section = WalkSection()
    series = MappingProxyType({**PLACE_SERIES, **LINK_SERIES,
                               "new_moves": SeriesSpec("agents/day", "flow", "location")})
    dimensions = GRAPH_DIMS
    band_series = ("n_present", "new_moves")  # what an ensemble member keeps for the bands and the report

    def plan(self, sim: Any) -> list[Rule]:
        return [Walk()]

    def known_state(self, sim: Any) -> set[str]:
        return (super().known_state(sim) | {f"world.{f.name}" for f in fields(WalkWorld)} | DayFlows.names()
                | {"eflows.moves"})

    def setup(self, sim: Any) -> None:
        super().setup(sim)
        sc = sim.scenario
        n_loc, n_link = len(sc.locations), len(sc.links)
        order = np.argsort(sc.links.src, kind="stable")
        start = np.concatenate([[0], np.cumsum(np.bincount(sc.links.src, minlength=n_loc))])
        sim.world = WalkWorld(np.zeros(n_loc, np.int64), np.zeros(n_link, np.int64), start, order)
        sim.eflows = WalkFlows(np.zeros(n_loc, np.int64))

    def census(self, sim: Any, day: int) -> None:
        place_census(sim, day)

    def record(self, sim: Any, res: Any, day: int) -> None:
        record_places(sim, res, day, len(sim.agents))
        res.series["new_moves"][day] = sim.eflows.moves

    def finish(self, sim: Any, res: Any) -> None:
        res.meta["model"] = self.name

    def expected_agents(self, scenario: Scenario, days: int) -> int:
        return int(np.asarray(scenario.locations.population).sum())

    def report_section(self, view: Any, summary: Mapping[str, Any], scenario: Any, kept: Sequence[int],
                       step: int) -> dict[str, Any] | None:
        """One chart: walkers present at each place, day by day."""
        present = view.location.get("n_present")
        if present is None:
            return None
        series = [{"name": name, "role": "line", "values": present[:, i].tolist()}
                  for i, name in enumerate(view.locations)]
        return {"title": "Random walk: walkers per place", "note": "Each walker steps with probability p_move a day.",
                "charts": [{"id": "walkers", "title": "walkers per place", "unit": "walkers", "series": series}]}
