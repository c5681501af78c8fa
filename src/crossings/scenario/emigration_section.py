"""The emigration model's part of a native scenario (``model: emigration``, docs/native-format.md "The emigration
model"): its kinds of places and extra location columns, scenario.yml's ``agents:`` and ``emigration:`` mappings,
routes by mode, crossings.csv, departures.csv, the policy timeline (events.csv, policies.csv), preferences.csv, a
destination pull from covariates (``pull:``, :mod:`crossings.scenario.pull`) and the observations its runs are
scored against (observed.csv), read from a parsed source by the readers of :mod:`crossings.scenario.emigration`;
and its what-if texts (:mod:`crossings.scenario.emigration_whatif`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from crossings.errors import InputError
from crossings.params.emigration import read_settings
from crossings.params.flee import FleeSettings
from crossings.scenario import emigration as em
from crossings.scenario.emigration_whatif import parse_sets
from crossings.scenario.model import EMIGRATION_KINDS, Links, Scenario
from crossings.scenario.native import NativeContext, Section
from crossings.scenario.observations import Observation, check_scenario_observed
from crossings.scenario.pull import COVARIATE_COLUMNS, pull_matrix
from crossings.scenario.whatif import Edits

MAX_COUNTRIES = 64  # the agent column ``entered`` keeps one bit per country (first arrivals)


class EmigrationSection(Section):
    """People leaving home by road, on foot or by air, through crossings with capacities, under entry policies."""

    keys = ("agents", "emigration", "pull")
    refused = MappingProxyType({"settings": "holds Flee's parameters; model emigration reads its own under "
                                            "emigration:"})
    resolved_keys = ("agents", "emigration", "pull")
    kinds = EMIGRATION_KINDS
    location_columns = em.LOCATION_COLUMNS

    def location_extra(self, path: Path, line: int, row: Mapping[str, str]) -> float:
        """The place's attractiveness (default 1 for a destination, 0 elsewhere)."""
        if not row.get("attractiveness"):
            return 1.0 if row["kind"] == "destination" else 0.0
        return float(em.LOCATION_EXTRAS["attractiveness"].read(path, line, row["attractiveness"]))

    def build(self, ctx: NativeContext) -> Scenario:
        notices: list[str] = []
        spec, links, observations = read_spec(ctx, notices)
        days = ctx.days
        return Scenario(
            name=ctx.name, path=ctx.source.root, format="native", start_date=ctx.start, length=days,
            locations=ctx.locations, links=links, closures=(), conflict_locations=np.zeros(0, dtype=np.int32),
            conflicts=np.zeros((days, 0)), observed=None, settings=FleeSettings(),
            default_rules=str(ctx.meta.get("rules", "crossings")), model=ctx.model, emigration=spec,
            people_per_agent=ctx.people_per_agent, observations=observations,
            observations_file=ctx.path("observed.csv") if ctx.exists("observed.csv") else None,
            notices=tuple(notices),
        )

    def edits(self, base: Scenario, sets: Sequence[str]) -> Edits:
        return parse_sets(base, sets)


def read_spec(ctx: NativeContext, notices: list[str]) -> tuple[em.EmigrationSpec, Links, tuple[Observation, ...]]:
    """Everything the emigration rules need beyond the locations, the links, and the scenario's observations;
    what the files hold that a run leaves out is added to ``notices``."""
    ypath, lpath, locs, index = ctx.ypath, ctx.path("locations.csv"), ctx.locations, ctx.index
    loc_lines = [ln for ln, _ in ctx.location_rows]
    attract = np.array(ctx.location_extras, dtype=np.float64)
    em.check_locations(lpath, locs, loc_lines, attract)
    settings = read_settings(ypath, ctx.meta.get("emigration"), dict(ctx.lines))
    agents = em.read_agents(ypath, ctx.meta.get("agents"), dict(ctx.lines))
    cost_of_living, transit, return_multiplier = em.read_location_extras(lpath, list(ctx.location_rows), locs)
    rpath = ctx.path("routes.csv")
    links, mode, duration, seats, link_cost = em.read_routes(
        rpath, ctx.required_table("routes.csv", ("from", "to", "mode"), em.ROUTE_COLUMNS[3:],
                                  "an emigration scenario needs the routes out of its origins"), index, locs)
    em.check_reachable(lpath, locs, loc_lines, links)
    capacity = em.read_crossings(ctx.path("crossings.csv"), ctx.table("crossings.csv", em.CROSSING_COLUMNS), index,
                                 locs) if ctx.exists("crossings.csv") else \
        np.full((len(locs), len(em.TRAVEL_MODES)), -1, dtype=np.int64)
    hazard = _departures(ctx, agents)
    events: tuple[em.EmigrationEvent, ...] = ()
    if ctx.exists("events.csv"):
        rows = ctx.table("events.csv", ("date", "event", "target"), ("until", "other", "value", "sex", "age_band"))
        events = em.read_events(ctx.path("events.csv"), rows, ctx.start, index, locs, links, mode, agents, ctx.days)
    observations = _observations(ctx, agents)
    preference = _preference(ctx, agents["category"], attract)
    countries = tuple(sorted(set(locs.country)))
    if len(countries) > MAX_COUNTRIES:  # each agent marks the countries it entered in one 64-bit word
        last = countries[MAX_COUNTRIES]
        line = next(ln for ln, c in zip(loc_lines, locs.country, strict=True) if c == last)
        raise InputError(lpath, line, "country", f"an emigration scenario holds at most {MAX_COUNTRIES} countries, "
                         f"this one {len(countries)}")
    home = {locs.country[i] for i in np.flatnonzero(locs.kind == em.ORIGIN)}
    policies: tuple[em.EntryPolicy, ...] = ()
    if ctx.exists("policies.csv"):
        policies = em.read_policies(ctx.path("policies.csv"), ctx.table("policies.csv", em.POLICY_COLUMNS[:4],
                                                                          em.POLICY_COLUMNS[4:]),
                                    ctx.start, countries, home, ctx.days, notices)
    spec = em.EmigrationSpec(
        settings=settings, category=agents["category"], sex=agents["sex"], age_band=agents["age_band"],
        travel_mode=agents["travel_mode"], savings=agents["savings"], remote_income=agents["remote_income"],
        link_mode=mode, link_duration=duration, link_seats=seats, attractiveness=attract, capacity=capacity,
        hazard=hazard, events=events, countries=countries,
        crossings=np.flatnonzero(locs.kind == em.CROSSING).astype(np.int32), link_cost=link_cost,
        cost_of_living=cost_of_living, transit=transit, policies=policies,
        home_countries=np.array(sorted(countries.index(c) for c in home), dtype=np.int32), preference=preference,
        round_trip=agents["round_trip"] if agents["round_trip"].any() else None,
        return_multiplier=return_multiplier,
    )
    return spec, links, observations


def _preference(ctx: NativeContext, category: em.Distribution, attractiveness: np.ndarray) -> np.ndarray | None:
    """Per-category destination weights: preferences.csv (optional) times the pull from covariates (scenario.yml
    ``pull:``, optional); None when neither is given."""
    pref = em.read_preferences(ctx.path("preferences.csv"), ctx.table("preferences.csv", em.PREFERENCE_COLUMNS),
                               ctx.index, ctx.locations, category) if ctx.exists("preferences.csv") else None
    meta = ctx.meta.get("pull")
    if meta is None:
        return pref
    line = ctx.lines.get("pull")
    if not isinstance(meta, dict):
        raise InputError(ctx.ypath, line, "pull", "must be a mapping (covariates: FILE, coefficients: {...})")
    name = meta.get("covariates", "covariates.csv")
    if not isinstance(name, str) or not ctx.exists(name):
        raise InputError(ctx.ypath, line, "pull.covariates", f"{name!r} is not a file of the scenario")
    pull = pull_matrix(ctx.ypath, ctx.path(name), meta, line, ctx.table(name, COVARIATE_COLUMNS, ("unit",)),
                       ctx.locations, category.names, attractiveness)
    return pull if pref is None else pref * pull


def _departures(ctx: NativeContext, agents: Mapping[str, Any]) -> np.ndarray:
    """departures.csv (required): the base daily hazard per origin and category."""
    dpath = ctx.path("departures.csv")
    if not ctx.exists("departures.csv"):
        raise InputError(dpath, None, "file", "missing (an emigration scenario gives origin,category,daily_hazard)")
    rows = ctx.required_table("departures.csv", em.DEPARTURE_COLUMNS,
                              why="an emigration scenario needs the daily hazard of leaving at its origins")
    return em.read_departures(dpath, rows, ctx.index, ctx.locations, agents["category"])


def _observations(ctx: NativeContext, agents: Mapping[str, Any]) -> tuple[Observation, ...]:
    """observed.csv (optional): the observations runs are scored against (docs/fit.md), checked against the
    scenario's places and categories."""
    if not ctx.exists("observed.csv"):
        return ()
    return tuple(check_scenario_observed(ctx.path("observed.csv"), ctx.locations, agents["category"].names,
                                         rows=ctx.source.table("observed.csv").read()))
