"""Named scenario parameters: scenario.yml's ``parameters:`` mapping gives each a value (and optionally the
range it may take and its source); any number in the scenario's CSV files or in its ``agents:`` and
``emigration:`` mappings may then be written ``$name``, ``NUMBER*$name`` or ``$name*NUMBER``, or more generally as a
product and quotient of numbers and parameters (``1/$days/$base``: a rate that is a stay of ``$days`` days whatever
another parameter is). Calibration, ensembles and what-if runs change a parameter by name instead of editing files."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crossings.errors import InputError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FACTOR = r"(?:[-+0-9.eE]+|\$[A-Za-z_][A-Za-z0-9_]*)"
_REF = re.compile(rf"^\s*{_FACTOR}(?:\s*[*/]\s*{_FACTOR})*\s*$")  # factors joined by * and /
_TOKEN = re.compile(rf"([*/])?\s*({_FACTOR})")  # one factor and the operator before it


@dataclass(frozen=True)
class Parameter:
    """One named parameter: its value in this run, the range calibration may search, and where it comes from."""

    name: str
    value: float
    low: float | None = None
    high: float | None = None
    source: str = ""


def _number(path: Path, line: int | None, field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(path, line, field, f"{value!r} is not a number")
    out = float(value)
    if not math.isfinite(out):
        raise InputError(path, line, field, f"{value!r} is not a finite number")
    return out


def read_parameters(path: Path, raw: Any, lines: Mapping[str, int],
                    overrides: Mapping[str, float] | None = None) -> dict[str, Parameter]:
    """The ``parameters:`` mapping of scenario.yml (``name: value`` or ``name: {value, low, high, source}``),
    with ``overrides`` (from --param, calibration or --set) replacing values; unknown overrides are errors."""
    return with_overrides(declare(path, raw, lines), overrides)


def declare(path: Path, raw: Any, lines: Mapping[str, int]) -> dict[str, Parameter]:
    """The parameters scenario.yml declares (its ``parameters:`` mapping), checked, with their file values."""
    out: dict[str, Parameter] = {}
    if raw is not None and not isinstance(raw, dict):
        raise InputError(path, lines.get("parameters"), "parameters", "must be a mapping of names to values")
    for name, spec in (raw or {}).items():
        key = f"parameters.{name}"
        line = lines.get(key, lines.get("parameters"))
        if not isinstance(name, str) or not _NAME.match(name):
            raise InputError(path, line, key, "a parameter name is letters, digits and _ (not first a digit)")
        out[name] = _declared(path, line, key, name, spec)
    return out


def _declared(path: Path, line: int | None, key: str, name: str, spec: Any) -> Parameter:
    """One entry of the ``parameters:`` mapping."""
    if not isinstance(spec, dict):
        return Parameter(name, _number(path, line, key, spec))
    unknown = set(spec) - {"value", "low", "high", "source", "note"}
    if unknown:
        raise InputError(path, line, key, f"unknown field {sorted(map(str, unknown))[0]!r} "
                         "(known: value, low, high, source, note)")
    if "value" not in spec:
        raise InputError(path, line, key, "missing value")
    value = _number(path, line, f"{key}.value", spec["value"])
    low = _number(path, line, f"{key}.low", spec["low"]) if spec.get("low") is not None else None
    high = _number(path, line, f"{key}.high", spec["high"]) if spec.get("high") is not None else None
    if low is not None and high is not None and low > high:
        raise InputError(path, line, key, f"low {low} is above high {high}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise InputError(path, line, key, f"value {value} is outside [{low}, {high}]")
    return Parameter(name, value, low, high, str(spec.get("source", "")))


def with_overrides(declared: Mapping[str, Parameter], overrides: Mapping[str, float] | None) -> dict[str, Parameter]:
    """``declared`` with the values of ``overrides`` (names must be declared; values finite numbers)."""
    out = dict(declared)
    for name, value in (overrides or {}).items():
        if name not in out:
            close = difflib.get_close_matches(name, list(out), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else \
                f" (it defines: {', '.join(sorted(out)) or 'none'})"
            raise InputError("--param", None, name, f"the scenario defines no parameter {name!r}{hint}")
        v = float(value)
        if not math.isfinite(v):
            raise InputError("--param", None, name, f"{value!r} is not a finite number")
        p = out[name]
        out[name] = Parameter(name, v, p.low, p.high, p.source)
    return out


def resolve(path: Path | str, line: int | None, field: str, text: str, params: Mapping[str, Parameter]) -> str:
    """``text`` with its ``$name`` references replaced by their numbers and the product and quotient taken
    (unchanged if it holds no ``$``)."""
    if "$" not in text:
        return text
    if not _REF.match(text):
        raise InputError(path, line, field, f"{text!r}: expected $name, NUMBER*$name or $name*NUMBER "
                         "(numbers and $names joined by * and /)")
    value = 1.0
    for op, token in _TOKEN.findall(text):
        word = token.lstrip("$")
        if token.startswith("$"):
            if word not in params:
                known = ", ".join(sorted(params)) or "none"
                raise InputError(path, line, field, f"unknown parameter ${word} (scenario.yml parameters: {known})")
            x = params[word].value
        else:
            try:
                x = float(word)
            except ValueError:
                raise InputError(path, line, field, f"{word!r} is not a number") from None
        if op == "/":
            if x == 0:
                raise InputError(path, line, field, f"{text!r}: division by zero ({word} is 0)")
            value /= x
        else:
            value *= x
    if not math.isfinite(value):
        raise InputError(path, line, field, f"{text!r} gives {value!r}, not a finite number")
    return repr(value)


def resolve_tree(path: Path, node: Any, params: Mapping[str, Parameter], where: str, lines: Mapping[str, int]) -> Any:
    """A YAML value (mapping, list or scalar) with every ``$name`` string replaced by its number."""
    if isinstance(node, dict):
        return {k: resolve_tree(path, v, params, f"{where}.{k}", lines) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve_tree(path, v, params, where, lines) for v in node]
    if isinstance(node, str) and "$" in node:
        line = lines.get(where) or lines.get(where.rsplit(".", 1)[0]) or lines.get(where.split(".", 1)[0])
        return float(resolve(path, line, where, node, params))
    return node
