"""The emigration model (``model: emigration``): departures driven by events, route choice by mode, border
queues and flights, and what the statistics count. One file per behaviour; each rule follows
:class:`crossings.engine.rule.Rule`; registered as ``emigration``."""

from crossings.engine.models.emigration.model import EmigrationModel, emigration_plan

__all__ = ["EmigrationModel", "emigration_plan"]
