"""Reading an observations file (the shape of shared/data/russia2022/observations.csv, plus the optional mapping
columns ``sim``, ``scale`` and ``role``; docs/fit.md) into checked :class:`Observation` rows. The reader lives with
the scenario (:mod:`crossings.scenario.observations`), which reads its observed.csv once when it is built; this
module keeps the names the observed layer has always offered."""

from __future__ import annotations

from crossings.scenario.observations import DATA_COLUMNS as DATA_COLUMNS
from crossings.scenario.observations import MAPPING_COLUMNS as MAPPING_COLUMNS
from crossings.scenario.observations import ROLES as ROLES
from crossings.scenario.observations import SCORED_ROLES as SCORED_ROLES
from crossings.scenario.observations import Observation as Observation
from crossings.scenario.observations import RunNames as RunNames
from crossings.scenario.observations import check_scenario_observed as check_scenario_observed
from crossings.scenario.observations import parse_observed as parse_observed
from crossings.scenario.observations import read_observed as read_observed
