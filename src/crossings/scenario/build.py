"""The one way a Scenario is made: :func:`build` turns a parsed :class:`~crossings.scenario.source.Source`, named
parameters and what-if texts into a frozen :class:`~crossings.scenario.model.Scenario`. A pure function: it reads
no file and changes nothing (a what-if edits a copy of the source in memory), so a run, a what-if, every ensemble
member and every calibration trial build from the source read once."""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Mapping, Sequence

from crossings.errors import InputError
from crossings.params.flee import RANGES, FleeSettings
from crossings.scenario.model import FrozenMap, Scenario
from crossings.scenario.native import Section, build_native
from crossings.scenario.source import Source
from crossings.scenario.whatif import edit_source, reword, set_error

# FleeSettings fields a parameter of a Flee-format scenario may set: the numbers (``hasten`` divides populations
# and data when the scenario is read, so it cannot change afterwards)
FLEE_PARAMETERS: Mapping[str, str] = FrozenMap({
    f.name: f.type for f in dataclasses.fields(FleeSettings) if f.type in ("float", "int") and f.name != "hasten"})


def build(source: Source, section: Section, parameters: Mapping[str, float] | None = None,
          sets: Sequence[str] = ()) -> Scenario:
    """The Scenario of ``source`` read by its model's ``section``, with ``parameters`` (the named parameters of a
    native scenario; FleeSettings fields of a Flee-format one) and the what-if texts ``sets`` applied."""
    sets = tuple(str(s) for s in sets)
    if source.format == "flee":
        return _build_flee(source, parameters, sets)
    base = build_native(source, section, parameters)
    if not sets:
        return base
    edits = section.edits(base, sets)
    overrides = dict(parameters or {})
    overrides.update(edits.parameters())
    edited, where = edit_source(source, edits)
    try:
        sc = build_native(edited, section, overrides)
    except InputError as exc:
        raise reword(exc, source.root, where, sets) from None
    return dataclasses.replace(sc, name=f"{base.name}+what-if", path=base.path, what_if=sets,
                               observations_file=base.observations_file, source=source)


def _build_flee(source: Source, parameters: Mapping[str, float] | None, sets: tuple[str, ...]) -> Scenario:
    """A Flee-format scenario: parameters replace FleeSettings fields; what-ifs are refused."""
    sc = source.flee
    assert sc is not None
    if sets:
        raise set_error(sets[0], "scenario", f"what-if --set applies to emigration scenarios; {sc.path} is a "
                        "Flee-format scenario")
    if parameters:
        changes = {k: flee_parameter(k, float(v)) for k, v in parameters.items()}
        sc = dataclasses.replace(sc, settings=sc.settings.with_parameters(**changes))
    return dataclasses.replace(sc, source=source)


def flee_parameter(name: str, value: float, where: str = "--param") -> float | int:
    """``value`` for the FleeSettings field ``name``, converted to its type; InputError for a name that is not a
    numeric setting, a value that is not finite or one outside the range simsetting.yml is checked against."""
    if name not in FLEE_PARAMETERS:
        close = difflib.get_close_matches(name, list(FLEE_PARAMETERS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(sorted(FLEE_PARAMETERS))}"
        raise InputError(where, None, name, f"not a numeric setting of the scenario{hint}")
    if not math.isfinite(value):
        raise InputError(where, None, name, f"{value!r} is not a finite number")
    lo, hi = RANGES.get(name, (-math.inf, math.inf))
    if not lo <= value <= hi:
        raise InputError(where, None, name, f"{value!r} is outside the allowed range [{lo}, {hi}]")
    return int(round(value)) if FLEE_PARAMETERS[name] == "int" else float(value)
