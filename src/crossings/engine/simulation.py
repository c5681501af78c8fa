"""Wiring: build the state, run the plan of rules day by day, record stocks and flows. Nothing else."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.models.flee.kernels import path_cdf
from crossings.engine.models.flee.rules import (
    Closures,
    ConflictOnsets,
    DataDrivenSpawning,
    LocationScores,
    MovePhase,
    TravelPhase,
)
from crossings.engine.models.flee.world import World
from crossings.engine.resources import expected_agents
from crossings.engine.rng import stream
from crossings.engine.rule import Rule
from crossings.engine.state import AgentTable
from crossings.errors import InputError
from crossings.results import Results
from crossings.scenario.model import Scenario

if TYPE_CHECKING:
    from crossings.engine.checkpoint import Checkpoint

RULE_SETS = ("flee31", "crossings")
KERNELS = ("compiled", "numpy")
STREAMS = ("spawn", "wake", "route", "move", "travel")


@dataclass
class DayFlows:
    """Flows of one day, zeroed at its start."""

    spawned: np.ndarray
    arrivals: np.ndarray
    departures: np.ndarray
    link_entries: np.ndarray
    link_exits: np.ndarray

    def clear(self) -> None:
        for arr in (self.spawned, self.arrivals, self.departures, self.link_entries, self.link_exits):
            arr[:] = 0


def default_plan() -> list[Rule]:
    """Flee's daily order (flee-model.md §1.4): conflicts, spawning, closures, scores, moves, travel."""
    return [ConflictOnsets(), DataDrivenSpawning(), Closures(), LocationScores(), MovePhase(), TravelPhase()]


class Simulation:
    """One run of a scenario with one seed and one rule set; ``run()`` returns :class:`Results`."""

    def __init__(self, scenario: Scenario, seed: int = 0, rules: str | None = None, days: int | None = None,
                 check: bool = False, plan: list[Rule] | None = None, kernel: str = "compiled") -> None:
        self.scenario = scenario
        self.settings = scenario.settings
        self.seed = int(seed)
        self.rules = rules or scenario.default_rules
        if self.rules not in RULE_SETS:
            raise ValueError(f"unknown rule set {self.rules!r}; choose one of {', '.join(RULE_SETS)}")
        self.days = int(days) if days is not None else scenario.length
        if self.days < 1:
            raise ValueError("days must be at least 1")
        n_rows = scenario.conflicts.shape[0]
        if scenario.conflicts.shape[1] and n_rows < self.days:
            raise InputError(scenario.path / "input_csv" / "conflicts.csv", None, "days",
                             f"covers {n_rows} days; the run asks for {self.days}")
        self.check = check
        if kernel not in KERNELS:
            raise ValueError(f"unknown kernel {kernel!r}; choose one of {', '.join(KERNELS)}")
        self.kernel = kernel
        self.moved_today: np.ndarray | None = None
        self._stream_keys: dict[str, int] = {}
        self.model = scenario.model
        self.extension = None  # the emigration model's hooks (None for the Flee model)
        if self.model == "emigration":
            from crossings.engine.models.emigration import EmigrationModel, emigration_plan

            self.extension = EmigrationModel(self)
            if plan is None:
                plan = emigration_plan()
        self.plan = plan if plan is not None else default_plan()
        self.timings = {r.name: 0.0 for r in self.plan}
        self.check_plan()

    def check_plan(self) -> None:
        """Every name a rule declares it reads or writes must exist (catches a misspelt or removed column)."""
        import dataclasses

        from crossings.engine.state import COLUMNS

        if self.model == "emigration":
            from crossings.engine.models.emigration import known_state

            known = known_state()
        else:
            known = {f"agents.{c}" for c in COLUMNS}
            known |= {f"world.{f.name}" for f in dataclasses.fields(World)}
            known |= {f"flows.{f.name}" for f in dataclasses.fields(DayFlows)}
        for r in self.plan:
            for name in (*r.reads, *r.writes):
                if name not in known:
                    raise ValueError(f"rule {r.name!r} declares {name!r}, which is not part of the state; "
                                     f"known: {', '.join(sorted(known))}")

    def describe_plan(self) -> str:
        """The day's order of rules with what each reads and writes, one line per rule."""
        return "\n".join(f"{i + 1}. {r.name}: reads {', '.join(r.reads) or '-'}; writes {', '.join(r.writes) or '-'}"
                         for i, r in enumerate(self.plan))

    def stream_key(self, name: str) -> int:
        """A 64-bit key for the compiled kernels' random stream ``name`` of this run's seed."""
        key = self._stream_keys.get(name)
        if key is None:
            import hashlib

            key = int.from_bytes(hashlib.sha256(f"{self.seed}:{name}".encode()).digest()[:8], "little")
            self._stream_keys[name] = key
        return key

    def refresh_route_cdf(self) -> None:
        """Recompute route weights from today's scores, capacity multipliers and open links."""
        w = self.world
        self.route_cdf = path_cdf(w.paths, w.path_open, w.score, w.capmult, self.settings, len(w.kind))

    def _setup(self) -> None:
        sc = self.scenario
        n_loc, n_link = len(sc.locations), len(sc.links)
        self.flows = DayFlows(*(np.zeros(n, dtype=np.int64) for n in (n_loc, n_loc, n_loc, n_link, n_link)))
        if self.extension is not None:
            self.extension.setup()
            self.debt = 0
            for r in self.plan:
                r.init(self)
            return
        self.world = World.initial(sc, self.settings)
        self.agents = AgentTable(capacity=expected_agents(sc, self.days) + 1024)
        self.rng = {name: stream(self.seed, name) for name in STREAMS}
        self.onset_today = False
        self.debt = 0
        self.route_cdf = np.zeros(0)
        for r in self.plan:
            r.init(self)

    def census_check(self, day: int) -> None:
        """Assert that stocks equal the agent census (nobody created or lost)."""
        a, w = self.agents, self.world
        at = a.link < 0
        present = np.bincount(a.loc[at], minlength=len(w.present))
        retired = getattr(w, "retired", None)  # emigration model: returned agents dropped from the table
        if retired is not None:
            present = present + retired
        on_link = np.bincount(a.link[~at], minlength=len(w.on_link))
        if not np.array_equal(present, w.present):
            bad = np.flatnonzero(present != w.present)[:3]
            raise AssertionError(f"day {day}: location stocks {w.present[bad]} != census {present[bad]} at {bad}")
        if not np.array_equal(on_link, w.on_link):
            raise AssertionError(f"day {day}: link stocks differ from the census")
        if present.sum() + on_link.sum() != len(a) + (int(retired.sum()) if retired is not None else 0):
            raise AssertionError(f"day {day}: {len(a)} agents but {present.sum() + on_link.sum()} counted")
        if self.extension is not None:
            self.extension.census(day)

    def run(self, progress: Callable[[int, int], None] | None = None,
            checkpoint: Callable[[Simulation, Results, int, int], None] | None = None,
            resume: Checkpoint | None = None) -> Results:
        """Run all days and return the recorded results. ``checkpoint(sim, results, days_done, agent_steps)``
        is called after each day (see :class:`crossings.engine.checkpoint.Checkpointer`); with ``resume`` (a
        :class:`crossings.engine.checkpoint.Checkpoint` of this run) the run continues from its state."""
        t0 = time.perf_counter()
        self._setup()
        sc = self.scenario
        res = Results.allocate(sc, self.days, self.seed, self.rules)
        first, agent_steps = 0, 0
        if resume is not None:
            first, agent_steps = resume.restore(self, res)
        for day in range(first, self.days):
            self.flows.clear()
            if self.extension is not None:
                self.extension.begin_day(day)
            for r in self.plan:
                t = time.perf_counter()
                r.step(self, day)
                self.timings[r.name] += time.perf_counter() - t
            if self.check:
                self.census_check(day)
            rows = len(self.agents) + (self.extension.rows_retired() if self.extension is not None else 0)
            res.record(day, self.world, self.flows, rows, self.debt)
            if self.extension is not None:
                self.extension.record(res, day)
            agent_steps += len(self.agents)
            if checkpoint is not None:
                checkpoint(self, res, day + 1, agent_steps)
            if progress is not None:
                progress(day + 1, self.days)
        res.wall_seconds = time.perf_counter() - t0
        res.agent_steps = agent_steps
        res.bytes_per_agent = self.agents.bytes_per_agent
        res.meta["kernel"] = self.kernel
        if self.extension is not None:
            res.meta["model"] = self.model
            res.meta.pop("kernel")  # the emigration rules are NumPy only
        return res


def run(scenario: Scenario, seed: int = 0, rules: str | None = None, days: int | None = None,
        check: bool = False, kernel: str = "compiled") -> Results:
    """Run ``scenario`` once and return its :class:`Results`."""
    return Simulation(scenario, seed=seed, rules=rules, days=days, check=check, kernel=kernel).run()
