"""Flee 3.1's model (flee-model.md): spawning from observed totals, route choice by score and distance, moves
and travel; registered as ``flee``."""

from crossings.engine.models.flee.model import FleeModel, default_plan

__all__ = ["FleeModel", "default_plan"]
