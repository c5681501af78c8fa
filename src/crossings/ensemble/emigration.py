"""Ensembles, sensitivity and calibration of ``model: emigration`` scenarios: what differs from Flee scenarios.

* ``--param NAME=...`` names a scenario parameter (scenario.yml ``parameters:``, ``$name`` in the files), not a
  FleeSettings field; a member applies it by building the scenario again from its parsed files
  (``build_scenario(scenario.source, parameters=...)``: no file is read);
* a member returns the fit of its run against the scenario's observed.csv (per observed row: the simulated
  value, inside the accepted band or not, the loss; :class:`MemberFit`) and a few daily series for bands
  (model's ``band_series``) instead of every stock and flow;
* scalar outputs (sensitivity) are the fit losses, the share of rows inside, or a series at a named place.

The reductions of these member results are in :mod:`crossings.ensemble.emigration_reduce`, the calibration in
:mod:`crossings.ensemble.emigration_calibrate`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from crossings.engine.model import build_scenario, get_model
from crossings.ensemble.member import MemberResult, ParamSpec
from crossings.errors import InputError
from crossings.scenario.model import Scenario
from crossings.scenario.observations import read_observed
from crossings.scenario.parameters import Parameter

FIT_ROLES = ("calibration", "validation", "input")  # the roles whose rows are scored
# Ranges at least this wide (HIGH / LOW, both > 0) are drawn and searched uniformly in log(value).
LOG_RATIO = 10.0
OUTPUT_NAMES = ("loss_calibration", "loss_validation", "share_inside", "agents_final")


def is_emigration(scenario: Any) -> bool:
    """True for a loaded scenario of ``model: emigration``."""
    return isinstance(scenario, Scenario) and scenario.model == "emigration" and scenario.emigration is not None


# ---- named parameters ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ScenarioParam(ParamSpec):
    """A ``--param`` of an emigration scenario: a named parameter of scenario.yml, a fixed value (low == high)
    or a range, drawn and searched uniformly, or uniformly in log(value) when ``log``."""

    log: bool = False

    @property
    def kind(self) -> str:
        """Named parameters are real numbers."""
        return "float"

    def value(self, u: float) -> float:
        """The parameter at position ``u`` in [0, 1] of the range (in log(value) for a log-scale range)."""
        if self.fixed:
            return float(self.low)
        if self.log:
            return float(math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low))))
        return float(self.low + u * (self.high - self.low))


def declared_parameters(scenario: Scenario) -> dict[str, Parameter]:
    """The scenario's named parameters as its scenario.yml declares them (value, low, high, source), each with the
    value the scenario was built with (overrides and ``--set 'param: ...'`` included)."""
    return dict(scenario.declared)


def _number(text: str, name: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise InputError("--param", None, name, f"{text!r} is not a number") from None
    if not math.isfinite(v):
        raise InputError("--param", None, name, f"{text!r} is not a finite number")
    return v


def _known(name: str, declared: Mapping[str, Any], where: str = "--param") -> None:
    """:class:`InputError` (suggesting the closest name) unless the scenario defines the parameter ``name``."""
    if name not in declared:
        close = difflib.get_close_matches(name, list(declared), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else \
            f" (it defines: {', '.join(sorted(declared)) or 'none'})"
        raise InputError(where, None, name, f"the scenario defines no parameter {name!r}{hint}")


def check_value(name: str, value: float, declared: Mapping[str, Any], where: str = "--param") -> float:
    """``value`` for the named parameter ``name``; :class:`InputError` for a name the scenario does not define or
    a value outside the parameter's low/high in scenario.yml."""
    _known(name, declared, where)
    if not math.isfinite(value):
        raise InputError(where, None, name, f"{value!r} is not a finite number")
    p = declared[name]
    lo = -math.inf if p.low is None else p.low
    hi = math.inf if p.high is None else p.high
    if not lo <= value <= hi:
        raise InputError(where, None, name, f"{value:g} is outside [{lo:g}, {hi:g}], the parameter's range in "
                         "scenario.yml")
    return float(value)


def parse_scenario_param(text: str, scenario: Scenario, need_range: bool = False) -> ScenarioParam:
    """Parse a ``--param`` of an emigration scenario: ``NAME=VALUE``, ``NAME=LOW:HIGH`` or ``NAME`` alone (the
    range low:high the parameter has in scenario.yml), optionally followed by ``:log`` or ``:lin`` to choose the
    scale a range is drawn on (default: log when 0 < LOW and HIGH >= 10 LOW, else linear)."""
    declared = declared_parameters(scenario)
    name, eq, rhs = text.partition("=")
    name, rhs = name.strip(), rhs.strip()
    if not name:
        raise InputError("--param", None, text, "expected NAME, NAME=VALUE or NAME=LOW:HIGH")
    _known(name, declared)
    parts = [x.strip() for x in rhs.split(":")] if eq else []
    scale = None
    if parts and parts[-1].lower() in ("log", "lin"):
        scale = parts.pop().lower()
    p = declared[name]
    if not parts or parts == [""]:
        if p.low is None or p.high is None:
            raise InputError("--param", None, name, "scenario.yml gives it no low and high: write "
                             f"{name}=LOW:HIGH")
        low, high = float(p.low), float(p.high)
    elif len(parts) == 1:
        if need_range:
            raise InputError("--param", None, name, f"{rhs!r} is not a range LOW:HIGH")
        low = high = _number(parts[0], name)
    elif len(parts) == 2:
        low, high = _number(parts[0], name), _number(parts[1], name)
    else:
        raise InputError("--param", None, name, f"{rhs!r}: expected VALUE, LOW:HIGH or LOW:HIGH:log")
    check_value(name, low, declared)
    check_value(name, high, declared)
    if low > high or (need_range and low == high):
        raise InputError("--param", None, name, f"the range {low:g}:{high:g} is empty (LOW must be below HIGH)")
    if scale == "log" and low <= 0:
        raise InputError("--param", None, name, f"a log-scale range needs LOW > 0 (got {low:g})")
    log = scale == "log" or (scale is None and low > 0 and high >= LOG_RATIO * low)
    return ScenarioParam(name, low, high, log and low != high)


def as_scenario_param(spec: ParamSpec, scenario: Scenario) -> ScenarioParam:
    """``spec`` as a named parameter of the emigration scenario (a plain :class:`ParamSpec`, e.g. built by hand
    for the Python API, is checked against scenario.yml and gets the default scale)."""
    if isinstance(spec, ScenarioParam):
        return spec
    declared = declared_parameters(scenario)
    low, high = check_value(spec.name, spec.low, declared), check_value(spec.name, spec.high, declared)
    return ScenarioParam(spec.name, low, high, 0 < low < high and high >= LOG_RATIO * low)


def fixed_scenario_param(name: str, value: float, scenario: Scenario, where: str) -> ScenarioParam:
    """A fixed value for a named parameter (e.g. from a fitted.yml), checked against scenario.yml."""
    v = check_value(name, float(value), declared_parameters(scenario), where)
    return ScenarioParam(name, v, v)


# ---- the scenario with parameters applied -------------------------------------------------------------------

def with_scenario_parameters(scenario: Scenario, params: Mapping[str, Any]) -> Scenario:
    """The emigration scenario built again from the files it was read from (``scenario.source``, parsed once: no
    file is read) with the named parameters ``params`` changed; its other values, what-if changes included, are
    kept, and names and ranges are checked. A pure function of its arguments."""
    declared = declared_parameters(scenario)
    clean = {str(k): check_value(str(k), float(v), declared) for k, v in params.items()}
    merged = dict(scenario.parameters)
    merged.update(clean)
    if scenario.source is None:
        raise ValueError(f"scenario {scenario.name!r} keeps no parsed files to build from: load it with "
                         "crossings.load_scenario")
    return build_scenario(scenario.source, parameters=merged, sets=scenario.what_if)


# ---- a member's fit ------------------------------------------------------------------------------------------

def observed_file(scenario: Scenario) -> Path | None:
    """The scenario's observed.csv (what its runs are scored against), or None."""
    return scenario.observations_file


def _observations(path: Path) -> list[Any]:
    """The rows of an observations file (a member uses its scenario's ``observations``, read when it was built)."""
    return read_observed(path)


@dataclass
class MemberFit:
    """A run's fit table in arrays, one entry per row of observed.csv (file order): what the ensemble and the
    calibration reduce. ``status`` indexes :data:`crossings.observed.fit.STATUSES` (0 = scored); ``simulated`` and
    ``loss`` are NaN and ``inside`` is -1 where a row is not scored."""

    lines: tuple[int, ...]
    roles: tuple[str, ...]
    sims: tuple[str, ...]
    status: np.ndarray  # int8
    simulated: np.ndarray  # float64
    inside: np.ndarray  # int8: 1 inside, 0 outside, -1 not scored
    loss: np.ndarray  # float64
    scales: tuple[float, ...] = ()  # each row's factor from agents to the observation's unit (the report's marks)

    def rows(self) -> list[dict[str, Any]]:
        """The rows as the mappings :func:`crossings.observed.fit.fit_loss` reads (status, role, inside, loss)."""
        from crossings.observed.fit import STATUSES

        return [{"status": STATUSES[int(s)], "role": r, "inside": i == 1, "loss": None if math.isnan(x) else float(x)}
                for s, r, i, x in zip(self.status.tolist(), self.roles, self.inside.tolist(), self.loss.tolist(),
                                      strict=True)]

    def loss_of(self, role: str) -> float:
        """The fit loss (:func:`crossings.observed.fit.fit_loss`) over the scored rows of one role (NaN: none)."""
        from crossings.observed.fit import fit_loss

        return float(fit_loss(self.rows(), roles=(role,)))

    def counts(self, role: str) -> tuple[int, int]:
        """(rows of the role scored, of which inside their band)."""
        mask = (self.status == 0) & (np.asarray(self.roles, dtype=object) == role)
        return int(mask.sum()), int((self.inside[mask] == 1).sum())


def member_fit(results: Any) -> MemberFit | None:
    """The fit of an emigration run against its scenario's observed.csv (None when it has none)."""
    from crossings.observed.fit import STATUSES, fit_rows
    from crossings.observed.measures import RunTables

    path = observed_file(results.scenario)
    if path is None:
        return None
    rows = fit_rows(RunTables.from_results(results), list(results.scenario.observations))
    code = {s: i for i, s in enumerate(STATUSES)}
    return MemberFit(
        lines=tuple(r.line for r in rows), roles=tuple(r.role for r in rows), sims=tuple(r.sim for r in rows),
        status=np.array([code.get(r.status, len(STATUSES) - 1) for r in rows], dtype=np.int8),
        simulated=np.array([np.nan if r.simulated is None else r.simulated for r in rows], dtype=np.float64),
        inside=np.array([-1 if r.inside is None else int(r.inside) for r in rows], dtype=np.int8),
        loss=np.array([np.nan if r.loss is None else r.loss for r in rows], dtype=np.float64),
        scales=tuple(float(r.scale) for r in rows))


# ---- scalar outputs (sensitivity) ----------------------------------------------------------------------------

def check_emigration_output(scenario: Scenario, spec: str) -> str:
    """``spec`` if it names an output of an emigration run, else :class:`InputError`: ``loss_calibration``,
    ``loss_validation``, ``share_inside`` (of the scored rows), ``agents_final``, ``row@LINE`` (the simulated
    value of observed.csv's row on line LINE) or ``SERIES@NAME`` (a location, country or category series: a
    stock on the last day, a flow summed over the run)."""
    if spec in OUTPUT_NAMES:
        if spec != "agents_final" and observed_file(scenario) is None:
            raise InputError("--output", None, spec, "the scenario has no observed.csv to compute it from")
        return spec
    name, at, where = spec.partition("@")
    if at and name == "row":
        path = observed_file(scenario)
        if path is None:
            raise InputError("--output", None, spec, "the scenario has no observed.csv")
        lines = [o.line for o in scenario.observations]
        if not where.isdigit() or int(where) not in lines:
            raise InputError("--output", None, spec, f"{where!r} is not a line of a row of {path}")
        return spec
    schema = get_model(scenario.model).schema(scenario)
    kinds = {k: spec.dim for k, spec in schema.series.items() if spec.dim != "link"}
    if not at or kinds.get(name) not in ("location", "country", "category"):
        known = ", ".join(k for k, d in kinds.items() if d in ("location", "country", "category"))
        raise InputError("--output", None, spec, f"expected one of {', '.join(OUTPUT_NAMES)}, row@LINE or "
                         f"SERIES@NAME with SERIES one of {known}")
    pool = list(schema.dims[kinds[name]].labels)
    if where not in pool:
        close = difflib.get_close_matches(where, pool, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputError("--output", None, spec, f"no {kinds[name]} named {where!r}{hint}")
    return spec


def emigration_output(results: Any, fit: MemberFit | None, spec: str) -> float:
    """The scalar output ``spec`` (see :func:`check_emigration_output`) of a finished emigration run."""
    if spec == "agents_final":
        return float(results.n_agents[-1]) if results.days else 0.0
    if spec in ("loss_calibration", "loss_validation"):
        return fit.loss_of(spec.split("_", 1)[1]) if fit is not None else math.nan
    if spec == "share_inside":
        if fit is None:
            return math.nan
        scored = fit.status == 0
        return float((fit.inside[scored] == 1).mean()) if scored.any() else math.nan
    name, _, where = spec.partition("@")
    if name == "row":
        if fit is None or int(where) not in fit.lines:
            return math.nan
        return float(fit.simulated[fit.lines.index(int(where))])
    info = results.schema.info(name)
    col = results.series[name][:, results.schema.dims[info.dim].labels.index(where)]
    if not len(col):
        return 0.0
    return float(col[-1]) if info.kind == "stock" else float(col.sum())


# ---- the member ------------------------------------------------------------------------------------------------

def emigration_member(results: Any, params: Mapping[str, Any], seed: int, keep_series: bool,
                      outputs: Sequence[str], wall_seconds: float, cpu_seconds: float) -> MemberResult:
    """What an emigration member hands back: its fit against observed.csv, the outputs asked for and (with
    ``keep_series``) the model's ``band_series``; no ARD and no camp series (the model has no camps)."""
    fit = member_fit(results)
    series = {k: np.ascontiguousarray(results.series[k]) for k in results.model.band_series if k in results.series} \
        if keep_series else None
    return MemberResult(
        seed=int(seed), params=dict(params), days=results.days,
        agents_final=int(results.n_agents[-1]) if results.days else 0, ard={},
        camp_sim=np.zeros((results.days, 0), dtype=np.int64), series=series,
        outputs={o: emigration_output(results, fit, o) for o in outputs},
        wall_seconds=wall_seconds, cpu_seconds=cpu_seconds, fit=fit)

