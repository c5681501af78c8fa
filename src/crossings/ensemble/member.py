"""One ensemble member: a pure function of (scenario, parameters, seed), and the parameters it may vary.

A member gets the scenario (a path or the frozen :class:`Scenario`), a mapping of parameter names to values and an
integer seed, runs one simulation and returns only what the reductions need (:class:`MemberResult`).

The parameters are the scenario's own. A scenario whose model reads Flee's settings (a Flee-format directory's
simsetting.yml, a native one's ``settings:``) varies those :class:`~crossings.params.flee.FleeSettings` fields
(:func:`~crossings.scenario.build.flee_parameter` checks them); any other varies the named parameters its
scenario.yml declares (``$name`` in its files), applied by building it again from the files it was read from
(``scenario.source``: no file is read). What a member scores is chosen by the data: Flee's ARD when the scenario
has observed camp counts, the fit table (:class:`MemberFit`) when it has observations; for bands it keeps its
model's ``band_series`` (every series when that is None).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crossings.engine.model import build_scenario, get_model
from crossings.engine.simulation import Simulation
from crossings.errors import InputError
from crossings.files import load_yaml
from crossings.observed.fit import STATUSES, fit_loss, fit_rows
from crossings.observed.measures import RunTables
from crossings.scenario.build import FLEE_PARAMETERS, flee_parameter
from crossings.scenario.model import Scenario
from crossings.scenario.source import read_source
from crossings.scenarios import resolve_bundled

SETTINGS = "settings"  # the scenario.yml mapping of Flee's settings, which a model's section may read
# Named parameters: ranges at least this wide (HIGH / LOW, both > 0) are drawn and searched uniformly in log(value).
LOG_RATIO = 10.0


def flee_settings(scenario: Scenario) -> bool:
    """True when the scenario's model reads Flee's settings (its section reads scenario.yml's ``settings:``, as a
    Flee-format directory's simsetting.yml): its parameters are those FleeSettings fields, and the data it is
    fitted to are observed camp counts (the messages call it a Flee scenario). Otherwise its parameters are the
    named ones its scenario.yml declares, and its data are observation rows."""
    return SETTINGS in get_model(scenario.model).section.keys


def as_scenario(scenario: Scenario | str | Path) -> Scenario:
    """A frozen scenario from a scenario or a path to one (or the name of a bundled scenario)."""
    if isinstance(scenario, Scenario):
        return scenario
    return build_scenario(read_source(resolve_bundled(scenario)))


# ---- parameters ------------------------------------------------------------------------------------------------

def check_parameter(name: str, value: float, where: str = "--param") -> float | int:
    """``value`` for the FleeSettings field ``name`` converted to its type; :class:`InputError` for an unknown name
    or a bad value (:func:`crossings.scenario.build.flee_parameter`)."""
    return flee_parameter(name, value, where)


def _known(name: str, declared: Mapping[str, Any], where: str = "--param") -> None:
    """:class:`InputError` (suggesting the closest name) unless the scenario declares the parameter ``name``."""
    if name not in declared:
        close = difflib.get_close_matches(name, list(declared), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else \
            f" (it defines: {', '.join(sorted(declared)) or 'none'})"
        raise InputError(where, None, name, f"the scenario defines no parameter {name!r}{hint}")


def check_value(name: str, value: float, declared: Mapping[str, Any], where: str = "--param") -> float:
    """``value`` for the named parameter ``name``; :class:`InputError` for a name the scenario does not declare or
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


@dataclass(frozen=True)
class ParamSpec:
    """A ``--param``: a fixed value (low == high) or a range low:high, drawn and searched uniformly, or uniformly
    in log(value) when ``log``. ``named``: a named parameter of scenario.yml (a real number); else a FleeSettings
    field (whole-number fields are rounded)."""

    name: str
    low: float
    high: float
    log: bool = False
    named: bool = False

    @property
    def fixed(self) -> bool:
        return self.low == self.high

    @property
    def kind(self) -> str:
        """``int`` for a whole-number setting, else ``float``."""
        return "float" if self.named else FLEE_PARAMETERS.get(self.name, "float")

    def value(self, u: float) -> float | int:
        """The parameter at position ``u`` in [0, 1] of the range (in log(value) for a log-scale range)."""
        if self.fixed:
            v = self.low
        elif self.log:
            v = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            v = self.low + u * (self.high - self.low)
        return int(round(v)) if self.kind == "int" else float(v)


def _number(text: str, where: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError(where, None, name, f"{text!r} is not a number") from None


def _finite(text: str, name: str) -> float:
    v = _number(text, "--param", name)
    if not math.isfinite(v):
        raise InputError("--param", None, name, f"{text!r} is not a finite number")
    return v


def parse_param(text: str, need_range: bool = False, scenario: Scenario | None = None) -> ParamSpec:
    """Parse a ``--param`` of ``scenario``: of a scenario with named parameters, :func:`parse_scenario_param`;
    else (and without a scenario) ``NAME=VALUE`` or ``NAME=LOW:HIGH`` with NAME a FleeSettings field."""
    if scenario is not None and not flee_settings(scenario):
        return parse_scenario_param(text, scenario, need_range)
    where = "--param"
    if "=" not in text:
        raise InputError(where, None, text, "expected NAME=LOW:HIGH" if need_range else "expected NAME=VALUE "
                         "or NAME=LOW:HIGH")
    name, _, rhs = text.partition("=")
    name = name.strip()
    if ":" in rhs:
        a, _, b = rhs.partition(":")
        low, high = _number(a, where, name), _number(b, where, name)
    else:
        if need_range:
            raise InputError(where, None, name, f"{rhs!r} is not a range LOW:HIGH")
        low = high = _number(rhs, where, name)
    low_c, high_c = check_parameter(name, low), check_parameter(name, high)
    if low_c > high_c or (need_range and low_c == high_c):
        raise InputError(where, None, name, f"the range {rhs} is empty (LOW must be below HIGH)")
    return ParamSpec(name, float(low), float(high))


def _named_range(name: str, parts: list[str], declared: Mapping[str, Any], rhs: str,
                 need_range: bool) -> tuple[float, float]:
    """LOW and HIGH of a named parameter's ``--param``: the declared range (NAME alone), a value or a range."""
    p = declared[name]
    if not parts or parts == [""]:
        if p.low is None or p.high is None:
            raise InputError("--param", None, name, "scenario.yml gives it no low and high: write "
                             f"{name}=LOW:HIGH")
        return float(p.low), float(p.high)
    if len(parts) == 1:
        if need_range:
            raise InputError("--param", None, name, f"{rhs!r} is not a range LOW:HIGH")
        low = _finite(parts[0], name)
        return low, low
    if len(parts) == 2:
        return _finite(parts[0], name), _finite(parts[1], name)
    raise InputError("--param", None, name, f"{rhs!r}: expected VALUE, LOW:HIGH or LOW:HIGH:log")


def parse_scenario_param(text: str, scenario: Scenario, need_range: bool = False) -> ParamSpec:
    """Parse a ``--param`` naming a parameter the scenario declares: ``NAME=VALUE``, ``NAME=LOW:HIGH`` or ``NAME``
    alone (the range low:high the parameter has in scenario.yml), optionally followed by ``:log`` or ``:lin`` to
    choose the scale a range is drawn on (default: log when 0 < LOW and HIGH >= 10 LOW, else linear)."""
    declared = scenario.declared
    name, eq, rhs = text.partition("=")
    name, rhs = name.strip(), rhs.strip()
    if not name:
        raise InputError("--param", None, text, "expected NAME, NAME=VALUE or NAME=LOW:HIGH")
    _known(name, declared)
    parts = [x.strip() for x in rhs.split(":")] if eq else []
    scale = None
    if parts and parts[-1].lower() in ("log", "lin"):
        scale = parts.pop().lower()
    low, high = _named_range(name, parts, declared, rhs, need_range)
    check_value(name, low, declared)
    check_value(name, high, declared)
    if low > high or (need_range and low == high):
        raise InputError("--param", None, name, f"the range {low:g}:{high:g} is empty (LOW must be below HIGH)")
    if scale == "log" and low <= 0:
        raise InputError("--param", None, name, f"a log-scale range needs LOW > 0 (got {low:g})")
    log = scale == "log" or (scale is None and low > 0 and high >= LOG_RATIO * low)
    return ParamSpec(name, low, high, log and low != high, named=True)


def as_param(spec: ParamSpec, scenario: Scenario) -> ParamSpec:
    """``spec`` as a parameter of ``scenario``: a plain :class:`ParamSpec` (e.g. built by hand for the Python API)
    given to a scenario with named parameters is checked against scenario.yml and gets the default scale."""
    if spec.named or flee_settings(scenario):
        return spec
    declared = scenario.declared
    low, high = check_value(spec.name, spec.low, declared), check_value(spec.name, spec.high, declared)
    return ParamSpec(spec.name, low, high, 0 < low < high and high >= LOG_RATIO * low, named=True)


def fixed_param(name: str, value: float, scenario: Scenario | None, where: str) -> ParamSpec:
    """A fixed value for a parameter of ``scenario`` (e.g. from a fitted.yml), checked; without a scenario, a
    FleeSettings field."""
    if scenario is None or flee_settings(scenario):
        v = float(check_parameter(name, value, where=where))
        return ParamSpec(name, v, v)
    v = check_value(name, float(value), scenario.declared, where)
    return ParamSpec(name, v, v, named=True)


def read_params_file(path: str | Path, scenario: Scenario | None = None) -> list[ParamSpec]:
    """Fixed values from a YAML file: fitted.yml (its ``parameters``) or a plain mapping NAME: VALUE, parameters of
    ``scenario`` (without one: FleeSettings fields)."""
    p = Path(path)
    doc = load_yaml(p)  # the one guarded YAML reader (size, depth, no anchors or aliases)
    if isinstance(doc, dict) and isinstance(doc.get("parameters"), dict):
        doc = doc["parameters"]
    if not isinstance(doc, dict):
        raise InputError(p, None, "parameters", "expected a mapping of settings to values")
    out = []
    for k, v in doc.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise InputError(p, None, str(k), f"{v!r} is not a number")
        out.append(fixed_param(str(k), float(v), scenario, str(p)))
    return out


def check_unique(specs: Sequence[ParamSpec]) -> None:
    """Each parameter may be named once."""
    seen: set[str] = set()
    for s in specs:
        if s.name in seen:
            raise InputError("--param", None, s.name, "given more than once")
        seen.add(s.name)


def ranged_params(specs: Sequence[ParamSpec]) -> list[ParamSpec]:
    """The parameters to vary (sensitivity, calibration): at least one, each once, each with a range."""
    params = list(specs)
    if not params:
        raise InputError("--param", None, "param", "give at least one NAME=LOW:HIGH")
    check_unique(params)
    for p in params:
        if p.fixed:
            raise InputError("--param", None, p.name, "needs a range LOW:HIGH")
    return params


def own_value(scenario: Scenario, name: str) -> float | int | None:
    """The value the scenario itself gives parameter ``name`` (None for a name it does not have)."""
    if flee_settings(scenario):
        return getattr(scenario.settings, name, None)
    return dict(scenario.parameters).get(name)


def with_scenario_parameters(scenario: Scenario, params: Mapping[str, Any]) -> Scenario:
    """The scenario built again from the files it was read from (``scenario.source``, parsed once: no file is read)
    with the named parameters ``params`` changed; its other values, what-if changes included, are kept, and names
    and ranges are checked. A pure function of its arguments."""
    declared = scenario.declared
    clean = {str(k): check_value(str(k), float(v), declared) for k, v in params.items()}
    merged = dict(scenario.parameters)
    merged.update(clean)
    if scenario.source is None:
        raise ValueError(f"scenario {scenario.name!r} keeps no parsed files to build from: load it with "
                         "crossings.load_scenario")
    return build_scenario(scenario.source, parameters=merged, sets=scenario.what_if)


def with_params(scenario: Scenario, params: Mapping[str, Any]) -> Scenario:
    """The scenario with some parameters changed (names and values checked; the original is not touched): its
    FleeSettings fields, or its named parameters (:func:`with_scenario_parameters`)."""
    if not params:
        return scenario
    if not flee_settings(scenario):
        return with_scenario_parameters(scenario, params)
    clean = {k: check_parameter(k, float(v)) for k, v in params.items()}
    return dataclasses.replace(scenario, settings=scenario.settings.with_parameters(**clean))


def member_seeds(seed: int, n: int) -> list[np.random.SeedSequence]:
    """The SeedSequences of ``n`` members, spawned from one ensemble seed (member i always gets the same)."""
    if seed < 0:
        raise InputError("--seed", None, "seed", f"{seed} is negative")
    return np.random.SeedSequence(seed).spawn(n)


def run_seed(ss: np.random.SeedSequence) -> int:
    """The engine's integer seed for a member (63 bits drawn from its SeedSequence)."""
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


# ---- a member's fit against the scenario's observations --------------------------------------------------------

@dataclass
class MemberFit:
    """A run's fit table in arrays, one entry per row of the observations file (file order): what the ensemble and
    the calibration reduce. ``status`` indexes :data:`crossings.observed.fit.STATUSES` (0 = scored); ``simulated``
    and ``loss`` are NaN and ``inside`` is -1 where a row is not scored."""

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
        return [{"status": STATUSES[int(s)], "role": r, "inside": i == 1, "loss": None if math.isnan(x) else float(x)}
                for s, r, i, x in zip(self.status.tolist(), self.roles, self.inside.tolist(), self.loss.tolist(),
                                      strict=True)]

    def loss_of(self, role: str) -> float:
        """The fit loss (:func:`crossings.observed.fit.fit_loss`) over the scored rows of one role (NaN: none)."""
        return float(fit_loss(self.rows(), roles=(role,)))

    def counts(self, role: str) -> tuple[int, int]:
        """(rows of the role scored, of which inside their band)."""
        mask = (self.status == 0) & (np.asarray(self.roles, dtype=object) == role)
        return int(mask.sum()), int((self.inside[mask] == 1).sum())


def member_fit(results: Any) -> MemberFit | None:
    """The fit of a run against its scenario's observations (read when the scenario was built), or None when it
    has none."""
    if results.scenario.observations_file is None:
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


# ---- the member -------------------------------------------------------------------------------------------------

@dataclass
class MemberResult:
    """What one member hands back: its seed and parameters, its fit (Flee's ARD against observed camp counts, the
    fit table against observations: whichever the scenario has) and (optionally) its daily series."""

    seed: int
    params: dict[str, float]
    days: int
    agents_final: int
    ard: dict[str, float]
    camp_sim: np.ndarray  # (days, observed camps) agents present, for fits on any part of the data
    series: dict[str, np.ndarray] | None = None  # name -> (days, n) int64: the model's band_series (None: all)
    outputs: dict[str, float] = field(default_factory=dict)
    wall_seconds: float = 0.0  # the member's own time (not part of any reduction: it varies run to run)
    cpu_seconds: float = 0.0
    fit: MemberFit | None = None  # the fit against the scenario's observations, when it has some
    meta: dict[str, Any] = field(default_factory=dict)  # what the model adds to a run's summary (Results.meta)


def output_value(results: Any, fit: MemberFit | None, spec: str) -> float:
    """A scalar output of a finished run (see :func:`crossings.ensemble.sensitivity.check_output`): the ARD, the
    agents at the end, a fit loss, the share of scored rows inside, an observation row's simulated value, or a
    series at a named place (a stock's value on the last day, a flow summed over the run)."""
    if spec in ("ard_rescaled", "ard_normal"):
        return float(results.ard().get(spec, math.nan))
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


def run_member(scenario: Scenario | str | Path, params: Mapping[str, Any] | None, seed: int, *,
               days: int | None = None, rules: str | None = None, kernel: str = "compiled",
               keep_series: bool = True, keep_camps: bool = True, outputs: Sequence[str] = ()) -> MemberResult:
    """Run one member: the scenario with ``params`` applied, simulated once with ``seed``.

    A pure function of its arguments (the same arguments give the same result on any machine). With
    ``keep_series`` the result carries its model's ``band_series`` (every series when None); with ``keep_camps``
    the agents present in observed camps each day (what a fit to camp counts needs; else no columns); it carries
    its fit against the scenario's observations when there are some; ``outputs`` names scalar outputs to compute."""
    t0, c0 = time.perf_counter(), time.process_time()
    params = dict(params or {})
    sc = with_params(as_scenario(scenario), params)
    res = Simulation(sc, seed=seed, rules=rules, days=days, kernel=kernel).run()
    fit = member_fit(res)
    series = None
    if keep_series:
        keep = res.model.band_series
        names = list(res.series) if keep is None else [k for k in keep if k in res.series]
        series = {k: np.ascontiguousarray(res.series[k]) for k in names}
    return MemberResult(
        seed=int(seed),
        params=params,
        days=res.days,
        agents_final=int(res.n_agents[-1]) if res.days else 0,
        ard=res.ard(),
        camp_sim=(np.ascontiguousarray(res.camp_sim()) if res.camps and keep_camps
                  else np.zeros((res.days, 0), dtype=np.int64)),
        series=series,
        outputs={o: output_value(res, fit, o) for o in outputs},
        wall_seconds=time.perf_counter() - t0,
        cpu_seconds=time.process_time() - c0,
        fit=fit,
        meta=dict(res.meta),
    )
