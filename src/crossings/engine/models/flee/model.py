"""The Flee model as a :class:`~crossings.engine.model.Model`: its agent columns and streams, Flee's daily order
of rules, its world of places and links, and the place and link series it records."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from crossings.engine.model import Model
from crossings.engine.models.flee.rules import (
    CapacityGrowth,
    Closures,
    ConflictDrivenSpawning,
    ConflictOnsets,
    DataDrivenSpawning,
    LocationChanges,
    LocationScores,
    MovePhase,
    Returns,
    TravelPhase,
)
from crossings.engine.models.flee.world import World
from crossings.engine.places import place_census, record_places
from crossings.engine.rule import Rule
from crossings.engine.simulation import DayFlows
from crossings.engine.state import COLUMNS, AgentTable
from crossings.errors import InputError
from crossings.params.flee import CALIBRATED_RULES, DISPLACED_DEFAULT, SETTINGS_MEANING, calibrated_defaults, for_rules
from crossings.results.schema import GRAPH_DIMS, LINK_SERIES, PLACE_SERIES, Schema, SeriesSpec
from crossings.scenario.flee_section import FleeSection
from crossings.scenario.model import CONFLICT, IDPCAMP

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation
    from crossings.results import Results
    from crossings.scenario.model import Scenario


def default_plan() -> list[Rule]:
    """Flee's daily order (flee-model.md §1.4): conflicts, spawning, closures, scores, moves, travel; the optional
    rules (each does nothing under its default setting) where Flee runs them."""
    return [ConflictOnsets(), LocationChanges(), DataDrivenSpawning(), ConflictDrivenSpawning(), CapacityGrowth(),
            Closures(), LocationScores(), Returns(), MovePhase(), TravelPhase()]


def conflict_spawn_bound(scenario: Scenario, days: int) -> int:
    """Agents a conflict-driven run may hold: day-0 camp agents plus k × intensity (× population) × the largest
    decay factor, summed over every conflict day of conflicts.csv, with room for Poisson's spread."""
    s = scenario.settings
    k = DISPLACED_DEFAULT[s.conflict_spawn_mode] if s.displaced_per_conflict_day is None else \
        s.displaced_per_conflict_day
    locs = scenario.locations
    top = max(s.conflict_spawn_decay or (1.0,))
    pop = locs.population.astype(np.float64) if s.conflict_spawn_mode == "pop_ratio" else np.ones(len(locs))
    listed = np.zeros(len(locs), dtype=bool)
    listed[scenario.conflict_locations] = True
    per_day = float((scenario.conflicts[:days] * pop[scenario.conflict_locations]).sum())
    unlisted = (locs.start_kind == CONFLICT) & ~listed  # conflict zones of locations.csv that conflicts.csv omits
    per_day += float((locs.intensity[unlisted] * pop[unlisted]).sum()) * days
    mean = k * per_day * top
    obs = scenario.observed
    day0 = int(obs.camps_by_day(1).sum()) if obs is not None and s.insert_day0 else 0
    return int(min(mean + 6.0 * np.sqrt(mean) + 1024, 2**40)) + day0


# Series of the optional rules, recorded only by runs that use them (so Flee 3.1's tables keep their bytes)
OPTIONAL_SERIES = MappingProxyType({
    "n_idps": SeriesSpec("agents", "stock", "location"),  # agents at a place while it is an IDP camp
    "new_returns": SeriesSpec("agents/day", "flow", "location"),  # agents back home today, by home
})


def optional_series(scenario: Scenario) -> set[str]:
    """The optional series a run of ``scenario`` records: ``n_idps`` with an IDP camp (or log_levels.idp_totals),
    ``new_returns`` with returns home."""
    s = scenario.settings
    on = set()
    if s.idp_totals or bool((scenario.locations.kind == IDPCAMP).any()) or \
            any(c.kind == IDPCAMP for c in scenario.location_changes):
        on.add("n_idps")
    if s.return_home_chance > 0:
        on.add("new_returns")
    return on


class FleeModel(Model):
    """Flee 3.1's rules (flee-model.md), as ``flee31``, as Flee 3.2 reads its settings (``flee32``), or with its
    bugs corrected (``fixes``; ``crossings`` with six calibrated settings, params/flee.py ``calibrated_defaults``)."""

    name = "flee"
    columns = MappingProxyType(COLUMNS)
    streams = MappingProxyType({k: k for k in ("spawn", "wake", "route", "move", "travel", "return")})
    kernels = ("compiled", "numpy")
    section = FleeSection()
    series = MappingProxyType({**PLACE_SERIES, **LINK_SERIES, **OPTIONAL_SERIES})
    dimensions = GRAPH_DIMS

    def validate(self, sim: Simulation) -> None:
        sc = sim.scenario
        n_rows = sc.conflicts.shape[0]
        if sc.conflicts.shape[1] and n_rows < sim.days:
            raise InputError(sc.path / "input_csv" / "conflicts.csv", None, "days",
                             f"covers {n_rows} days; the run asks for {sim.days}")

    def plan(self, sim: Simulation) -> list[Rule]:
        return default_plan()

    def known_state(self, sim: Simulation) -> set[str]:
        return super().known_state(sim) | {f"world.{f.name}" for f in dataclasses.fields(World)} | DayFlows.names()

    def setup(self, sim: Simulation) -> None:
        sim.settings = for_rules(sim.scenario.settings, sim.rules)[0]  # the meanings of the run's rule set
        sim.world = World.initial(sim.scenario, sim.settings)
        sim.agents = AgentTable(capacity=self.expected_agents(sim.scenario, sim.days) + 1024)
        sim.onset_today = False
        sim.debt = 0
        sim.route_cdf = np.zeros(0)
        sim.moved_today = None

    def schema(self, scenario: Scenario) -> Schema:
        """The graph's series, and the optional rules' series only when the scenario uses them."""
        full = super().schema(scenario)
        keep = optional_series(scenario)
        return Schema({k: v for k, v in full.series.items() if k not in OPTIONAL_SERIES or k in keep}, full.dims)

    def census(self, sim: Simulation, day: int) -> None:
        place_census(sim, day)

    def record(self, sim: Simulation, res: Results, day: int) -> None:
        record_places(sim, res, day, len(sim.agents), sim.debt)
        if "n_idps" in res.series:
            w = sim.world
            res.series["n_idps"][day] = np.where(w.kind == IDPCAMP, w.present, 0)
        if "new_returns" in res.series:
            res.series["new_returns"][day] = sim.world.returned

    def finish(self, sim: Simulation, res: Results) -> None:
        s = sim.settings
        res.meta["kernel"] = sim.kernel
        res.meta["settings_meaning"] = {"rules": sim.rules, "version": SETTINGS_MEANING[sim.rules],
                                        "sum_from_camps": bool(s.sum_from_camps),
                                        "capacity_scaling": s.capacity_scaling}
        if sim.rules == CALIBRATED_RULES:  # where the six calibrated settings came from, and what they replaced
            res.meta["rules_defaults"] = calibrated_defaults().record(sim.scenario.settings)

    def notices(self, scenario: Scenario, rules: str) -> tuple[str, ...]:
        """The scenario's notices, then each simsetting key whose meaning under ``rules`` differs from a Flee
        version's (for_rules)."""
        own = for_rules(scenario.settings, rules)[1]
        if scenario.location_changes and rules == "flee31":
            c = scenario.location_changes[0]
            own += (f"{scenario.path / 'input_csv' / 'location_changes.csv'}:{c.line}: location_changes.csv: read only "
                    "after Flee 3.1 (3.1 ignores the file); crossings applies it under every rule set",)
        return tuple(scenario.notices) + own

    def checkpoint_state(self, sim: Simulation) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"debt": int(sim.debt), "onset_today": bool(sim.onset_today)}, {"route_cdf": sim.route_cdf}

    def restore_state(self, sim: Simulation, values: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
        sim.debt = int(values.get("debt", 0))
        sim.onset_today = bool(values.get("onset_today", False))
        if "route_cdf" in arrays:
            sim.route_cdf = arrays["route_cdf"]

    def expected_agents(self, scenario: Scenario, days: int) -> int:
        """From the observed totals that drive spawning (or, with conflict-driven spawning, from the conflicts)."""
        if scenario.settings.conflict_driven_spawning:
            return conflict_spawn_bound(scenario, days)
        obs = scenario.observed
        if obs is None:
            return 0
        first = int(obs.total_by_day(1)[0])  # the largest total over the days, in closed form (no array of days)
        from_total = int(max(obs.total.max_over(days) - first, 0) + int(obs.camps_by_day(1).sum()) + max(first, 0))
        if scenario.settings.sum_from_camps is False:
            return from_total
        # with sum_from_camps (Flee 3.2) the agents reach the largest camp sum: at most the sum of camp maxima
        return max(from_total, sum(s.max_over(days) for s in obs.camp_series))

    def loss(self, member: Any) -> float:
        """The rescaled ARD against the observed camp counts."""
        return float(member.ard.get("ard_rescaled", float("nan")))
