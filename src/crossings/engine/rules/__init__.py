"""One file per behaviour; each class follows :class:`crossings.engine.rule.Rule`."""

from crossings.engine.rules.closures import Closures
from crossings.engine.rules.conflicts import ConflictOnsets
from crossings.engine.rules.move import MovePhase
from crossings.engine.rules.scores import LocationScores
from crossings.engine.rules.spawn import DataDrivenSpawning
from crossings.engine.rules.travel import TravelPhase

__all__ = ["Closures", "ConflictOnsets", "DataDrivenSpawning", "LocationScores", "MovePhase", "TravelPhase"]
