"""The contract every rule follows: a name, the state it reads and writes, ``init`` and ``step``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation


class Rule:
    """One behaviour of the model, run once per day in the order of the simulation's plan.

    ``reads`` and ``writes`` name agent columns (``agents.<col>``), world arrays (``world.<name>``) or
    daily flows (``flows.<name>``); the plan checks them so that a rule inserted by a user sees what it needs.
    """

    name: ClassVar[str] = "rule"
    reads: ClassVar[tuple[str, ...]] = ()
    writes: ClassVar[tuple[str, ...]] = ()

    def init(self, sim: Simulation) -> None:
        """Prepare before day 0 (default: nothing)."""

    def step(self, sim: Simulation, day: int) -> None:
        """Advance this behaviour by one day."""
        raise NotImplementedError

    def checkpoint_state(self) -> dict[str, Any]:
        """State this rule carries from one day to the next that ``init`` does not rebuild from the scenario
        (JSON values or NumPy arrays; default: none). Saved in checkpoints, given back to ``restore_state``."""
        return {}

    def restore_state(self, state: dict[str, Any]) -> None:
        """Take back what ``checkpoint_state`` returned (called after ``init`` when a run resumes)."""
        for k, v in state.items():
            setattr(self, k, v)
