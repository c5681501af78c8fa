"""One ensemble member: a pure function of (scenario, parameters, seed), and the helpers around it.

Nothing here reads global state: a member gets the scenario (a path or the frozen :class:`Scenario`), a
mapping of :class:`~crossings.params.flee.FleeSettings` fields to values (for an emigration scenario: of its
named parameters, :mod:`crossings.ensemble.emigration`) and an integer seed, runs one simulation and returns
only what the reductions need.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crossings.errors import InputError
from crossings.params.flee import FleeSettings
from crossings.scenario.model import Scenario

# FleeSettings fields that take numbers (the ones a range or a value on the command line can set).
# ``hasten`` is left out: it divides populations and data when the scenario is read, not during a run.
_NUMERIC = {f.name: f.type for f in dataclasses.fields(FleeSettings) if f.type in ("float", "int")
            and f.name != "hasten"}


def numeric_parameters() -> dict[str, str]:
    """The settings --param accepts, with their type ("float" or "int")."""
    return dict(_NUMERIC)


def allowed_range(name: str) -> tuple[float, float]:
    """The range a setting may take (the one simsetting.yml is checked against)."""
    try:
        from crossings.params.flee import _RANGES
    except ImportError:  # pragma: no cover - the reader keeps its table private
        _RANGES = {}
    return _RANGES.get(name, (-float("inf"), float("inf")))


def check_parameter(name: str, value: float, where: str = "--param") -> float | int:
    """``value`` converted to the setting's type; :class:`InputError` for an unknown name or a bad value."""
    if name not in _NUMERIC:
        import difflib

        close = difflib.get_close_matches(name, list(_NUMERIC), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(sorted(_NUMERIC))}"
        raise InputError(where, None, name, f"not a numeric setting of the scenario{hint}")
    if not np.isfinite(value):
        raise InputError(where, None, name, f"{value!r} is not a finite number")
    lo, hi = allowed_range(name)
    if not lo <= value <= hi:
        raise InputError(where, None, name, f"{value!r} is outside the allowed range [{lo}, {hi}]")
    return int(round(value)) if _NUMERIC[name] == "int" else float(value)


def _number(text: str, where: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError(where, None, name, f"{text!r} is not a number") from None


@dataclass(frozen=True)
class ParamSpec:
    """A ``--param`` argument: a fixed value (low == high) or a range low:high."""

    name: str
    low: float
    high: float

    @property
    def fixed(self) -> bool:
        return self.low == self.high

    @property
    def kind(self) -> str:
        return _NUMERIC[self.name]

    def value(self, u: float) -> float | int:
        """The setting at position ``u`` in [0, 1] of the range (rounded for whole-number settings)."""
        return check_parameter(self.name, self.low + u * (self.high - self.low))


def parse_param(text: str, need_range: bool = False) -> ParamSpec:
    """Parse ``NAME=VALUE`` or ``NAME=LOW:HIGH`` (NAME a FleeSettings field); :class:`InputError` otherwise."""
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


def check_unique(specs: Sequence[ParamSpec]) -> None:
    """Each setting may be named once."""
    seen: set[str] = set()
    for s in specs:
        if s.name in seen:
            raise InputError("--param", None, s.name, "given more than once")
        seen.add(s.name)


def ranged_params(specs: Sequence[ParamSpec]) -> list[ParamSpec]:
    """The settings to vary (sensitivity, calibration): at least one, each once, each with a range."""
    params = list(specs)
    if not params:
        raise InputError("--param", None, "param", "give at least one NAME=LOW:HIGH")
    check_unique(params)
    for p in params:
        if p.fixed:
            raise InputError("--param", None, p.name, "needs a range LOW:HIGH")
    return params


def member_seeds(seed: int, n: int) -> list[np.random.SeedSequence]:
    """The SeedSequences of ``n`` members, spawned from one ensemble seed (member i always gets the same)."""
    if seed < 0:
        raise InputError("--seed", None, "seed", f"{seed} is negative")
    return np.random.SeedSequence(seed).spawn(n)


def run_seed(ss: np.random.SeedSequence) -> int:
    """The engine's integer seed for a member (63 bits drawn from its SeedSequence)."""
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def with_params(scenario: Scenario, params: Mapping[str, Any]) -> Scenario:
    """The scenario with some settings changed (names checked; the original is not touched). For an emigration
    scenario ``params`` are its named parameters, applied by reading its files again."""
    if not params:
        return scenario
    if scenario.model == "emigration":
        from crossings.ensemble.emigration import with_scenario_parameters

        return with_scenario_parameters(scenario, params)
    clean = {k: check_parameter(k, float(v)) for k, v in params.items()}
    return dataclasses.replace(scenario, settings=scenario.settings.replace(**clean))


def as_scenario(scenario: Scenario | str | Path) -> Scenario:
    """A frozen scenario from a scenario or a path to one."""
    if isinstance(scenario, Scenario):
        return scenario
    from crossings.api import load_scenario

    return load_scenario(scenario)


@dataclass
class MemberResult:
    """What one member hands back: its seed and parameters, its fit and (optionally) every daily series."""

    seed: int
    params: dict[str, float]
    days: int
    agents_final: int
    ard: dict[str, float]
    camp_sim: np.ndarray  # (days, observed camps) agents present, for fits on any part of the data
    series: dict[str, np.ndarray] | None = None  # name -> (days, n) int64, every stock and flow
    outputs: dict[str, float] = field(default_factory=dict)
    wall_seconds: float = 0.0  # the member's own time (not part of any reduction: it varies run to run)
    cpu_seconds: float = 0.0
    fit: Any = None  # emigration runs: the fit against observed.csv (crossings.ensemble.emigration.MemberFit)


def output_value(results: Any, spec: str) -> float:
    """A scalar output of a run: ``ard_rescaled``, ``ard_normal``, ``agents_final`` or ``SERIES@LOCATION``
    (a stock's value on the last day, or a flow summed over the run, at a named location)."""
    if spec in ("ard_rescaled", "ard_normal"):
        return float(results.ard().get(spec, float("nan")))
    if spec == "agents_final":
        return float(results.n_agents[-1]) if results.days else 0.0
    name, _, where = spec.partition("@")
    arr = results.series[name]
    info = results.schema.info(name)
    kind, dim = info.kind, info.dim
    if dim != "location":
        raise ValueError(f"output {spec!r}: only location series can be named")
    col = arr[:, results.scenario.locations.index(where)]
    return float(col[-1]) if kind == "stock" else float(col.sum())


def check_output(scenario: Scenario, spec: str) -> str:
    """``spec`` if :func:`output_value` can compute it for this scenario; :class:`InputError` otherwise."""
    if scenario.model == "emigration":
        from crossings.ensemble.emigration import check_emigration_output

        return check_emigration_output(scenario, spec)
    if spec in ("ard_rescaled", "ard_normal"):
        if scenario.observed is None or not scenario.observed.camps:
            raise InputError("--output", None, spec, "the scenario has no observed camp data to compute it from")
        return spec
    if spec == "agents_final":
        return spec
    name, at, where = spec.partition("@")
    from crossings.results.schema import PLACE_SERIES

    if not at or name not in PLACE_SERIES:
        raise InputError("--output", None, spec, "expected ard_rescaled, ard_normal, agents_final or "
                         f"SERIES@LOCATION with SERIES one of {', '.join(PLACE_SERIES)}")
    if where not in scenario.locations.name:
        raise InputError("--output", None, spec, f"no location named {where!r}")
    return spec


def run_member(scenario: Scenario | str | Path, params: Mapping[str, Any] | None, seed: int, *,
               days: int | None = None, rules: str | None = None, kernel: str = "compiled",
               keep_series: bool = True, outputs: Sequence[str] = ()) -> MemberResult:
    """Run one member: the scenario with ``params`` applied, simulated once with ``seed``.

    A pure function of its arguments (the same arguments give the same result on any machine). With
    ``keep_series`` the result carries every daily series (an emigration run: those of
    :data:`~crossings.ensemble.emigration.BAND_SERIES`, and always its fit); ``outputs`` names scalar outputs
    to compute."""
    import time

    from crossings.engine.simulation import Simulation

    t0, c0 = time.perf_counter(), time.process_time()
    params = dict(params or {})
    sc = with_params(as_scenario(scenario), params)
    res = Simulation(sc, seed=seed, rules=rules, days=days, kernel=kernel).run()
    if sc.model == "emigration":  # its fit against observed.csv and a few series for bands
        from crossings.ensemble.emigration import emigration_member

        return emigration_member(res, params, seed, keep_series, outputs, time.perf_counter() - t0,
                                 time.process_time() - c0)
    camps = res.camps
    return MemberResult(
        seed=int(seed),
        params=params,
        days=res.days,
        agents_final=int(res.n_agents[-1]) if res.days else 0,
        ard=res.ard(),
        camp_sim=np.ascontiguousarray(res.series["n_present"][:, camps]),
        series={k: np.ascontiguousarray(v) for k, v in res.series.items()} if keep_series else None,
        outputs={o: output_value(res, o) for o in outputs},
        wall_seconds=time.perf_counter() - t0,
        cpu_seconds=time.process_time() - c0,
    )
