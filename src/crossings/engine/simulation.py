"""The loop: build a model's state, run its plan of rules day by day, record what it records. Nothing else; what
a model is lives in its package under ``engine/models/`` (the contract: :mod:`crossings.engine.model`)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from crossings.engine.memory import tune_malloc
from crossings.engine.model import Model, get_model
from crossings.engine.rng import stream
from crossings.engine.rule import Rule
from crossings.params.flee import RULE_SETS
from crossings.results import Results
from crossings.scenario.model import Scenario

if TYPE_CHECKING:
    from crossings.engine.checkpoint import Checkpoint

KERNELS = ("compiled", "numpy")


@dataclass
class DayFlows:
    """Flows of one day per location and link, zeroed at its start."""

    spawned: np.ndarray
    arrivals: np.ndarray
    departures: np.ndarray
    link_entries: np.ndarray
    link_exits: np.ndarray

    @classmethod
    def zeros(cls, n_locations: int, n_links: int) -> DayFlows:
        """All flows zero for ``n_locations`` places and ``n_links`` links."""
        return cls(*(np.zeros(n, dtype=np.int64) for n in (n_locations,) * 3 + (n_links,) * 2))

    def clear(self) -> None:
        for arr in (self.spawned, self.arrivals, self.departures, self.link_entries, self.link_exits):
            arr[:] = 0

    @staticmethod
    def names() -> set[str]:
        """The state names rules use for these flows (``flows.<field>``)."""
        return {f"flows.{f.name}" for f in fields(DayFlows)}


class Simulation:
    """One run of a scenario with one seed and one rule set; ``run()`` returns :class:`Results`. The scenario's
    ``model`` (or ``model``, a :class:`Model`) decides the state, the plan and what is recorded."""

    def __init__(self, scenario: Scenario, seed: int = 0, rules: str | None = None, days: int | None = None,
                 check: bool = False, plan: list[Rule] | None = None, kernel: str = "compiled",
                 model: Model | None = None) -> None:
        self.scenario = scenario
        self.settings = scenario.settings
        self.seed = int(seed)
        self.rules = rules or scenario.default_rules
        if self.rules not in RULE_SETS:
            raise ValueError(f"unknown rule set {self.rules!r}; choose one of {', '.join(RULE_SETS)}")
        self.days = int(days) if days is not None else scenario.length
        if self.days < 1:
            raise ValueError("days must be at least 1")
        self.check = check
        if kernel not in KERNELS:
            raise ValueError(f"unknown kernel {kernel!r}; choose one of {', '.join(KERNELS)}")
        self.kernel = kernel
        self.model = model if model is not None else get_model(scenario.model)
        self.model.validate(self)
        self.plan = plan if plan is not None else self.model.plan(self)
        self.timings = {r.name: 0.0 for r in self.plan}
        self._stream_keys: dict[str, int] = {}
        self.rng: dict[str, np.random.Generator] = {}
        self.agents: Any = None
        self.world: Any = None
        self.flows = DayFlows.zeros(len(scenario.locations), len(scenario.links))
        self.check_plan()

    def check_plan(self) -> None:
        """Every name a rule declares it reads or writes must exist (catches a misspelt or removed column)."""
        known = self.model.known_state(self)
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
            key = int.from_bytes(hashlib.sha256(f"{self.seed}:{name}".encode()).digest()[:8], "little")
            self._stream_keys[name] = key
        return key

    def _setup(self) -> None:
        """The model's state for day 0, its random streams and the rules' own preparation."""
        self.rng = {key: stream(self.seed, name) for key, name in self.model.streams.items()}
        self.model.setup(self)
        for r in self.plan:
            r.init(self)

    def census_check(self, day: int) -> None:
        """Assert that stocks equal the agent census (nobody created or lost)."""
        self.model.census(self, day)

    def run(self, progress: Callable[[int, int], None] | None = None,
            checkpoint: Callable[[Simulation, Results, int, int], None] | None = None,
            resume: Checkpoint | None = None) -> Results:
        """Run all days and return the recorded results. ``checkpoint(sim, results, days_done, agent_steps)``
        is called after each day (see :class:`crossings.engine.checkpoint.Checkpointer`); with ``resume`` (a
        :class:`crossings.engine.checkpoint.Checkpoint` of this run) the run continues from its state."""
        t0 = time.perf_counter()
        tune_malloc()  # freed temporaries stay in the process: no page faults day after day
        self._setup()
        res = Results.allocate(self.scenario, self.days, self.seed, self.rules, self.model.schema(self.scenario),
                               self.model)
        first, agent_steps = 0, 0
        if resume is not None:
            first, agent_steps = resume.restore(self, res)
        for day in range(first, self.days):
            self.flows.clear()
            self.model.begin_day(self, day)
            for r in self.plan:
                t = time.perf_counter()
                r.step(self, day)
                self.timings[r.name] += time.perf_counter() - t
            if self.check:
                self.model.census(self, day)
            self.model.record(self, res, day)
            agent_steps += len(self.agents)
            if checkpoint is not None:
                checkpoint(self, res, day + 1, agent_steps)
            if progress is not None:
                progress(day + 1, self.days)
        res.wall_seconds = time.perf_counter() - t0
        res.agent_steps = agent_steps
        res.bytes_per_agent = self.agents.bytes_per_agent
        self.model.finish(self, res)
        notices = self.model.notices(self.scenario, self.rules)
        if notices:
            res.meta["notices"] = list(notices)
        return res


def run(scenario: Scenario, seed: int = 0, rules: str | None = None, days: int | None = None,
        check: bool = False, kernel: str = "compiled") -> Results:
    """Run ``scenario`` once and return its :class:`Results`."""
    return Simulation(scenario, seed=seed, rules=rules, days=days, check=check, kernel=kernel).run()
