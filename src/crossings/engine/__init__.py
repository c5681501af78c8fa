"""The engine: agents as NumPy columns, advanced one day at a time by small, separate rules."""

from crossings.engine.simulation import RULE_SETS, Simulation, run

__all__ = ["RULE_SETS", "Simulation", "run"]
