"""One file per behaviour; each class follows :class:`crossings.engine.rule.Rule`."""

from crossings.engine.models.flee.rules.capacity_growth import CapacityGrowth
from crossings.engine.models.flee.rules.closures import Closures
from crossings.engine.models.flee.rules.conflict_spawn import ConflictDrivenSpawning
from crossings.engine.models.flee.rules.conflicts import ConflictOnsets
from crossings.engine.models.flee.rules.location_changes import LocationChanges
from crossings.engine.models.flee.rules.move import MovePhase
from crossings.engine.models.flee.rules.returns import Returns
from crossings.engine.models.flee.rules.scores import LocationScores
from crossings.engine.models.flee.rules.spawn import DataDrivenSpawning
from crossings.engine.models.flee.rules.travel import TravelPhase

__all__ = ["CapacityGrowth", "Closures", "ConflictDrivenSpawning", "ConflictOnsets", "DataDrivenSpawning",
           "LocationChanges", "LocationScores", "MovePhase", "Returns", "TravelPhase"]
