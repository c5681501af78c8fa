"""Flee's ``simsetting.yml``: the keys Flee 3.1 (and later) reads, typed, with Flee 3.1's defaults.

Source of every default: flee-model.md §1.10 (Flee 3.1's reader). Keys that Flee 3.1 or Flee 3.2 reads but
crossings does not implement are accepted; when set to a value that would change a Flee run they produce a
one-line notice saying what Flee would do with it. Two keys exist only since Flee 3.2 and mean something there
that Flee 3.1 ignores (``capacity_scaling``, ``sum_from_camps``): the rule set of a run decides which meaning it
uses (:func:`for_rules`). Any other key is an error naming the file, line and key (so a typo such as
``camp_wieght`` cannot silently fall back to a default).
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from crossings.errors import InputError
from crossings.files import compose_yaml


@dataclass(frozen=True)
class FleeSettings:
    """The parameters of Flee's rules that crossings implements (units: km, km/day, probability/day)."""

    max_move_speed: float = 360.0  # km/day; Flee 3.1 default
    max_walk_speed: float = 35.0  # km/day
    camp_weight: float = 1.0
    conflict_weight: float = 0.31622776601683794  # 1/sqrt(10), Flee 3.1 default
    foreign_weight: float = 1.0
    conflict_movechance: float = 1.0
    camp_movechance: float = 0.001
    idpcamp_movechance: float = 0.1
    default_movechance: float = 0.3
    awareness_level: int = 1
    capacity_buffer: float = 0.9
    softening: float = 10.0  # km added to every route length
    weight_softening: float = 0.0
    weight_power: float = 1.0
    distance_power: float = 1.0
    avoid_short_stints: bool = False
    start_on_foot: bool = False
    movechance_pop_base: float = 10000.0
    movechance_pop_scale_factor: float = 0.0
    insert_day0: bool = True
    conflict_zone_spawning_only: bool = True
    conflict_spawn_decay: tuple[float, ...] | None = None
    conflict_spawn_decay_interval: int = 30  # days per decay bin (fixed at 30 in 3.1)
    hasten: int = 1
    capacity_scaling: float = 1.0  # Flee 3.2: camp capacity × this in the capacity multiplier (3.1 ignores it)
    # Flee 3.2: daily new agents follow the sum of the camp series, not refugees.csv (3.1 ignores it);
    # None: the rule set's default (True under flee32, False under flee31 and crossings)
    sum_from_camps: bool | None = None
    # Conflict-driven spawning (Flee's spawn_rules.conflict_driven_spawning, #69/#88): off keeps Flee 3.1's
    # data-driven spawning; on, each conflict zone spawns k × intensity (× population for pop_ratio) × decay a day
    conflict_driven_spawning: bool = False
    conflict_spawn_mode: str = "constant"  # constant, poisson or pop_ratio (CHOICES)
    displaced_per_conflict_day: float | None = None  # k; None: 500 (constant, poisson) or 0.01 (pop_ratio)
    # Returns home (Flee #76, DFlee's "Returning home"): the daily chance that an agent away from a home whose
    # conflict has ended goes back; 0 (Flee 3.1: nobody returns) turns the rule off
    return_home_chance: float = 0.0
    # Camp capacity that grows: each day every limited camp gains this share of its initial capacity (0: fixed)
    capacity_growth_rate: float = 0.0
    # Flee's log_levels.idp_totals: out.csv's IDP columns even without an IDP camp (they are there with one)
    idp_totals: bool = False
    notices: tuple[str, ...] = field(default=(), compare=False)
    # (attribute, "file:line") of every key the simsetting.yml sets, for notices that name where a key was set
    given: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    # settings a parameter set after reading (an ensemble's or a calibration's --param): the calibrated defaults of
    # --rules crossings replace the values read from a scenario's files, never these (calibrated_defaults)
    pinned: tuple[str, ...] = field(default=(), compare=False)

    def replace(self, **changes: Any) -> FleeSettings:
        """A copy with some parameters changed (unknown names raise ``TypeError``)."""
        return dataclasses.replace(self, **changes)

    def with_parameters(self, **changes: Any) -> FleeSettings:
        """A copy with some parameters set by a parameter (``--param``, a posterior's draw): changed and pinned, so
        that a rule set's calibrated defaults leave them as set."""
        return dataclasses.replace(self, **changes, pinned=tuple(sorted({*self.pinned, *changes})))


# (section, yaml key) -> FleeSettings attribute, for keys crossings implements.
_IMPLEMENTED: dict[tuple[str, str], str] = {
    ("move_rules", "max_move_speed"): "max_move_speed",
    ("move_rules", "max_walk_speed"): "max_walk_speed",
    ("move_rules", "camp_weight"): "camp_weight",
    ("move_rules", "conflict_weight"): "conflict_weight",
    ("move_rules", "foreign_weight"): "foreign_weight",
    ("move_rules", "conflict_movechance"): "conflict_movechance",
    ("move_rules", "camp_movechance"): "camp_movechance",
    ("move_rules", "idpcamp_movechance"): "idpcamp_movechance",
    ("move_rules", "default_movechance"): "default_movechance",
    ("move_rules", "awareness_level"): "awareness_level",
    ("move_rules", "capacity_buffer"): "capacity_buffer",
    ("move_rules", "softening"): "softening",
    ("move_rules", "weight_softening"): "weight_softening",
    ("move_rules", "weight_power"): "weight_power",
    ("move_rules", "distance_power"): "distance_power",
    ("move_rules", "avoid_short_stints"): "avoid_short_stints",
    ("move_rules", "start_on_foot"): "start_on_foot",
    ("move_rules", "movechance_pop_base"): "movechance_pop_base",
    ("move_rules", "movechance_pop_scale_factor"): "movechance_pop_scale_factor",
    ("spawn_rules", "insert_day0"): "insert_day0",
    ("spawn_rules", "conflict_zone_spawning_only"): "conflict_zone_spawning_only",
    ("spawn_rules", "conflict_spawn_decay"): "conflict_spawn_decay",
    ("spawn_rules", "conflict_spawn_decay_interval"): "conflict_spawn_decay_interval",
    ("spawn_rules", "sum_from_camps"): "sum_from_camps",
    ("spawn_rules", "conflict_driven_spawning"): "conflict_driven_spawning",  # a mapping in Flee (_spawn_mapping)
    ("move_rules", "capacity_scaling"): "capacity_scaling",
    ("optimisations", "hasten"): "hasten",
    ("log_levels", "idp_totals"): "idp_totals",
    ("move_rules", "return_home_chance"): "return_home_chance",
    ("move_rules", "capacity_growth_rate"): "capacity_growth_rate",
}
META_FIELDS = ("notices", "given", "pinned")  # FleeSettings fields that are not parameters of the rules
OPTIONAL_FLAGS = ("sum_from_camps",)  # true, false, or unset (the rule set's default)

_ANY = object()  # "any value given changes a Flee run": a notice whenever the key is set
# Keys Flee 3.1 or Flee 3.2 reads that crossings does not implement: (the value at which ignoring the key changes
# nothing, or None if no value changes anything, or _ANY; what Flee does with it, for the notice).
_ACCEPTED: dict[tuple[str, str], tuple[Any, str]] = {
    ("log_levels", "agent"): (None, ""),  # Flee's own log files; crossings writes its own tables
    ("log_levels", "link"): (None, ""),
    ("log_levels", "camp"): (None, ""),
    ("log_levels", "conflict"): (None, ""),
    ("log_levels", "init"): (None, ""),
    ("log_levels", "granularity"): (None, ""),
    ("move_rules", "max_crossing_speed"): (None, ""),  # read by 3.1 and 3.2 but never used
    ("move_rules", "stay_close_to_home"): (False, "multiply each destination's score by 1/max(1, d)^"
                                           "home_distance_power, d the distance from the agent's location"),
    ("move_rules", "home_distance_power"): (None, ""),  # used only with stay_close_to_home (refused above)
    ("move_rules", "use_pop_for_loc_weight"): (False, "weight non-camp destinations by their population^"
                                               "pop_power_for_loc_weight"),
    ("move_rules", "pop_power_for_loc_weight"): (None, ""),  # used only with use_pop_for_loc_weight
    ("move_rules", "use_v1_rules"): (False, "replace speed, camp and conflict weights by Flee 1's (200 km/day, "
                                     "2, 0.25) and turn off short-stint avoidance and walking"),
    ("move_rules", "children_avoid_hazards"): (False, "let agents under 19 square their destination scores"),
    ("move_rules", "boys_take_risk"): (False, "let males over 14 ignore the safety of destinations"),
    ("move_rules", "match_camp_ethnicity"): (False, "weight camps by the share of agents of the same ethnicity"),
    ("move_rules", "match_town_ethnicity"): (False, "weight towns by the share of agents of the same ethnicity"),
    ("move_rules", "match_conflict_ethnicity"): (False, "weight conflict zones by the share of agents of the "
                                                 "same ethnicity"),
    ("move_rules", "match_camp_religion"): (False, "weight camps by the share of agents of the same religion"),
    ("move_rules", "elderly_avoid_hazards"): (False, "let elderly agents avoid conflict zones more strongly"),
    ("move_rules", "women_avoid_hazards"): (False, "let women avoid conflict zones more strongly"),
    ("move_rules", "pruning_threshold"): (_ANY, "drop candidate routes whose weight is below the best "
                                          "one's divided by this threshold"),
    ("move_rules", "fixed_routes"): (False, "choose routes from pre-computed per-location route tables"),
    ("move_rules", "use_economic_pull"): (False, "multiply foreign scores by 1 + trade volume + HDI^2"),
    ("move_rules", "two_system_decision_making"): (False, "split decisions into fast and deliberate ones, with "
                                                   "social connections"),
    ("move_rules", "flee_when_starving"): (False, "raise move chances where food security is low"),
    ("move_rules", "avoid_food_deprived_locations"): (False, "lower the scores of food-deprived destinations"),
    ("move_rules", "food_security_weight"): (None, ""),  # used only with the food-security rules above
    ("spawn_rules", "take_from_population"): (False, "take each new agent from its spawn location's "
                                              "population, so places that spawned many spawn fewer"),
    ("spawn_rules", "flood_driven_spawning"): (_ANY, "spawn agents from flood levels"),
    ("spawn_rules", "read_from_agents_csv_file"): (False, "start with the agents listed in agents.csv"),
    ("spawn_rules", "empty_camps_on_day0"): (False, "start with every camp empty instead of its day-0 count"),
    ("spawn_rules", "camps_are_sinks"): (False, "keep agents in camps for good (documented; Flee cannot "
                                         "enable it, the key it reads is misspelt)"),
    ("spawn_rules", "camps_are_sicks"): (False, "keep agents in camps for good"),
    ("optimisations", "pruning_threshold"): (_ANY, "drop candidate routes whose weight is below the best "
                                             "one's divided by this threshold"),
    ("", "number_of_steps"): (None, ""),  # the period comes from sim_period.csv (and --days)
    ("", "conflict_input_file"): (None, ""),  # crossings reads input_csv/conflicts.csv
    ("", "flood_level_input_file"): (_ANY, "read flood levels for the flood rules"),
    ("", "flood_rules"): (_ANY, "apply the flood rules (DFlee)"),
    ("", "demographics"): (None, ""),  # attributes that change nothing without the attribute rules above
}

_SECTIONS = ("log_levels", "spawn_rules", "move_rules", "optimisations")


def _norm(key: str) -> str:
    """Flee's YAML keys are snake_case; a few in HEAD are CamelCase. Compare case-insensitively."""
    out = []
    for i, ch in enumerate(key):
        if ch.isupper() and i > 0 and not key[i - 1].isupper() and key[i - 1] != "_":
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def _known_in(section: str) -> list[str]:
    return [k for (s, k) in list(_IMPLEMENTED) + list(_ACCEPTED) if s == section]


class _SafeLineLoader(yaml.SafeLoader):
    """A safe YAML loader (no language-specific tags) that keeps line numbers of mapping keys."""


def _compose(path: Path, text: str) -> yaml.Node | None:
    return compose_yaml(path, text, _SafeLineLoader)  # size, depth, anchors and aliases checked first


def _reject_foreign_tags(path: Path, node: yaml.Node) -> None:
    """Refuse any node carrying a tag outside YAML's own (e.g. ``!!python/object``), wherever it stands."""
    tag = node.tag or ""
    if not tag.startswith("tag:yaml.org,2002:") or tag.startswith("tag:yaml.org,2002:python"):
        raise InputError(path, node.start_mark.line + 1, "yaml", f"tag {tag!r} is not allowed")
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            _reject_foreign_tags(path, k)
            _reject_foreign_tags(path, v)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            _reject_foreign_tags(path, v)


def _value(path: Path, node: yaml.Node) -> Any:
    """Build the Python value of a YAML node with the safe constructor (language tags are errors)."""
    try:
        return yaml.SafeLoader("").construct_document(node)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(path, node.start_mark.line + 1, "yaml", str(problem)) from None
    except (ValueError, OverflowError) as exc:  # e.g. a date like 2022-13-45, which YAML reads as a timestamp
        raise InputError(path, node.start_mark.line + 1, "yaml", str(exc).splitlines()[0]) from None


def _convert(path: Path, line: int, key: str, value: Any, default: Any) -> Any:
    """Convert a YAML value to the type of the default; errors name file, line and key."""
    if key in OPTIONAL_FLAGS and default is None:
        return None if value is None else _convert(path, line, key, value, False)
    if key in CHOICES:
        text = str(value).strip().lower() if isinstance(value, str) else None
        if text not in CHOICES[key]:
            raise InputError(path, line, key, f"{value!r} is not one of {', '.join(CHOICES[key])}")
        return text
    if key == "displaced_per_conflict_day" and default is None:
        return None if value is None else _convert(path, line, key, value, 0.0)
    if key == "conflict_spawn_decay":
        if value is None or value is False:
            return None
        if not isinstance(value, list) or not value:
            raise InputError(path, line, key, "must be a non-empty list of numbers")
        try:
            out = tuple(float(v) for v in value)
        except (TypeError, ValueError):
            raise InputError(path, line, key, "must be a list of numbers") from None
        lo, hi = RANGES[key]
        if not all(lo <= v <= hi for v in out):
            raise InputError(path, line, key, f"every decay factor must be in [{lo}, {hi}] (none negative)")
        return out
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if key == "idp_totals" and isinstance(value, int):  # a log level: 0 off, any other level on
            return value > 0
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise InputError(path, line, key, f"{value!r} is not true or false")
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                isinstance(value, float) and not (math.isfinite(value) and value.is_integer())):
            raise InputError(path, line, key, f"{value!r} is not a whole number")
        return int(value)
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            try:
                value = float(str(value).strip())
            except ValueError:
                raise InputError(path, line, key, f"{value!r} is not a number") from None
        try:
            value = float(value)
        except OverflowError:  # an integer beyond the range of floats
            raise InputError(path, line, key, f"{value!r} is too large") from None
        if not math.isfinite(value):
            raise InputError(path, line, key, f"{value!r} is not a finite number")
        return value
    return value


_TINY = 1e-9  # speeds must be positive: at 0 km/day nobody ever arrives
_BIG = 1e6  # speeds and distances far beyond any Flee scenario's (a finite bound: 1e308 is refused)
_WEIGHT = 1e12  # location weights: tests force a route with a camp weight of 1e9
# The range of every numeric setting (tests/unit/test_input_ranges.py checks each field of FleeSettings has one).
RANGES: dict[str, tuple[float, float]] = {
    "max_move_speed": (_TINY, _BIG),  # km/day
    "max_walk_speed": (_TINY, _BIG),
    "weight_softening": (0.0, _WEIGHT),
    "camp_weight": (0.0, _WEIGHT),
    "conflict_weight": (0.0, _WEIGHT),
    "foreign_weight": (0.0, _WEIGHT),
    "conflict_movechance": (0.0, 1.0),
    "camp_movechance": (0.0, 1.0),
    "idpcamp_movechance": (0.0, 1.0),
    "default_movechance": (0.0, 1.0),
    "awareness_level": (1, 6),
    "capacity_buffer": (0.0, 1.0),
    "softening": (0.0, _BIG),  # km
    "weight_power": (-10.0, 10.0),  # exponents: beyond ±10 the weights overflow or vanish
    "distance_power": (-10.0, 10.0),
    "hasten": (1, _BIG),
    "conflict_spawn_decay_interval": (1, 100_000),  # days
    "conflict_spawn_decay": (0.0, _BIG),  # each factor of the list
    "movechance_pop_base": (1e-12, 1e12),
    # an exponent on (population / base); beyond ±5 the move chance overflows to inf or 0 (fuzzing found it)
    "movechance_pop_scale_factor": (-5.0, 5.0),
    "capacity_scaling": (0.0, _BIG),  # 0 makes every camp unlimited, as a capacity below 1 does in Flee
    "displaced_per_conflict_day": (0.0, 1e9),  # agents per unit of intensity (× population for pop_ratio) a day
    "return_home_chance": (0.0, 1.0),  # probability per day
    "capacity_growth_rate": (0.0, 10.0),  # share of the initial capacity added per day
}
# Settings that take one of a few words
CHOICES: dict[str, tuple[str, ...]] = {"conflict_spawn_mode": ("constant", "poisson", "pop_ratio")}
# Flee's default k of conflict-driven spawning by mode (flee-model.md §1.3)
DISPLACED_DEFAULT = {"constant": 500.0, "poisson": 500.0, "pop_ratio": 0.01}
# true or false (sum_from_camps may also be left unset)
FLAGS = ("avoid_short_stints", "start_on_foot", "insert_day0", "conflict_zone_spawning_only", "sum_from_camps",
         "conflict_driven_spawning", "idp_totals")


_SPAWN_KEYS = {"spawn_mode": "conflict_spawn_mode", "displaced_per_conflict_day": "displaced_per_conflict_day"}


def _spawn_mapping(path: Path, line: int, where: str, value: Any) -> dict[str, Any]:
    """Flee's ``spawn_rules.conflict_driven_spawning``: a mapping (``spawn_mode``, ``displaced_per_conflict_day``)
    whose presence turns the rule on, as Flee reads it; true or false also accepted, empty or null is off."""
    if value is None or isinstance(value, bool | str):
        return {"conflict_driven_spawning": _convert(path, line, where, value or False, False)}
    if not isinstance(value, dict):
        raise InputError(path, line, where, "must be a mapping (spawn_mode, displaced_per_conflict_day) or true")
    out: dict[str, Any] = {"conflict_driven_spawning": True}
    for k, v in value.items():
        attr = _SPAWN_KEYS.get(_norm(str(k)))
        if attr is None:
            raise InputError(path, line, f"{where}.{k}", f"not a key of it; known keys: {', '.join(_SPAWN_KEYS)}")
        conv = _convert(path, line, attr, v, getattr(FleeSettings(), attr))
        if attr in RANGES and conv is not None and not RANGES[attr][0] <= conv <= RANGES[attr][1]:
            raise InputError(path, line, f"{where}.{k}", f"{conv!r} is outside the allowed range {RANGES[attr]}")
        out[attr] = conv
    return out


def read_simsetting(path: str | Path, base: FleeSettings | None = None) -> FleeSettings:
    """Read a Flee ``simsetting.yml`` into :class:`FleeSettings`; raise :class:`InputError` on any problem."""
    path = Path(path)
    base = base or FleeSettings()
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(path, None, "file", "missing") from None
    except UnicodeDecodeError:
        raise InputError(path, None, "encoding", "not valid UTF-8") from None
    root = _compose(path, text)
    if root is None:
        return base
    _reject_foreign_tags(path, root)
    if not isinstance(root, yaml.MappingNode):
        raise InputError(path, root.start_mark.line + 1, "yaml", "the file must be a mapping of sections")
    changes: dict[str, Any] = {}
    notices: list[str] = []
    given: dict[str, str] = {}

    def handle(section: str, key_node: yaml.Node, value_node: yaml.Node) -> None:
        line = key_node.start_mark.line + 1
        raw_key = str(key_node.value)
        key = _norm(raw_key)
        where = (f"{section}.{raw_key}" if section else raw_key) or "key"
        value = _value(path, value_node)
        if (section, key) == ("spawn_rules", "conflict_driven_spawning"):
            spawning = _spawn_mapping(path, line, where, value)
            changes.update(spawning)
            given.update({k: f"{path}:{line}" for k in spawning})
            return
        if (section, key) in _IMPLEMENTED:
            attr = _IMPLEMENTED[(section, key)]
            conv = _convert(path, line, key, value, getattr(FleeSettings(), attr))
            if attr in RANGES and conv is not None and not isinstance(conv, tuple):
                lo, hi = RANGES[attr]
                if not lo <= conv <= hi:
                    raise InputError(path, line, where, f"{conv!r} is outside the allowed range [{lo}, {hi}]")
            changes[attr] = conv
            given[attr] = f"{path}:{line}"
            return
        if (section, key) in _ACCEPTED:
            harmless, effect = _ACCEPTED[(section, key)]
            if harmless is _ANY and value not in (None, False, {}, []) or \
                    harmless not in (None, _ANY) and value != harmless:
                notices.append(f"{path}:{line}: {where}: not implemented by crossings, ignored (Flee would "
                               f"{effect})")
            return
        known = _known_in(section)
        close = difflib.get_close_matches(key, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f"; known keys: {', '.join(sorted(known))}"
        raise InputError(path, line, where, f"not a key any Flee version reads{hint}")

    for key_node, value_node in root.value:
        key = str(key_node.value)
        if key in _SECTIONS:
            if value_node.tag == "tag:yaml.org,2002:null":
                continue
            if not isinstance(value_node, yaml.MappingNode):
                raise InputError(path, key_node.start_mark.line + 1, key, "must be a mapping of settings")
            for k, v in value_node.value:
                handle(key, k, v)
        else:
            handle("", key_node, value_node)
    return dataclasses.replace(base, **changes, notices=tuple(notices), given=tuple(given.items()))


# The rule sets: Flee 3.1's, Flee 3.2's, Flee 3.1's with its bugs corrected and the scenario's own settings
# (``fixes``), and those same rules with the calibrated defaults of six settings (``crossings``)
RULE_SETS = ("flee31", "flee32", "fixes", "crossings")
# Rule sets in which a planned route continues with certainty (Flee 3.1's bug, corrected by Flee 3.2 and crossings)
ROUTES_CONTINUE = ("flee32", "fixes", "crossings")
# What each rule set makes of the settings whose meaning differs between Flee 3.1 and Flee 3.2 (for summary.json)
SETTINGS_MEANING = {"flee31": "Flee 3.1", "flee32": "Flee 3.2",
                    "fixes": "Flee 3.2 for keys set, Flee 3.1 defaults",
                    "crossings": "Flee 3.2 for keys set, Flee 3.1 defaults"}

# The calibrated defaults of --rules crossings: the posterior medians of the ABC-SMC fit of six settings on the four
# shared conflicts (calibration/flee/README.md), read from the packaged copy of calibration/flee/posterior.json
CALIBRATED_DIR = Path(__file__).with_name("calibrated")
CALIBRATED_SOURCE = "calibration/flee/posterior.json"  # where the packaged copy comes from, in the repository
CALIBRATED_RULES = "crossings"  # the rule set whose defaults they are


@dataclass(frozen=True)
class CalibratedDefaults:
    """The six calibrated settings (``values``: FleeSettings field -> posterior median) and the provenance a run
    records: the packaged posterior.json and its SHA-256."""

    values: tuple[tuple[str, float], ...]
    path: Path
    sha256: str

    def record(self, s: FleeSettings) -> dict[str, Any]:
        """What summary.json keeps of them for a run whose settings before the defaults were ``s``: the source,
        the digest, the values used, each key replaced (old -> new) and the keys a parameter kept."""
        pinned = set(s.pinned)
        return {"rules": CALIBRATED_RULES, "source": CALIBRATED_SOURCE,
                "packaged": f"crossings/params/{self.path.parent.name}/{self.path.name}", "sha256": self.sha256,
                "what": "posterior medians (simsetting_of_medians) of the ABC-SMC fit of six Flee settings on the "
                        "four shared conflicts; they replace the scenario's values (--rules fixes keeps them)",
                "values": dict(self.values),
                "replaced": {k: [getattr(s, k), v] for k, v in self.values if k not in pinned},
                "kept_as_set_by_a_parameter": sorted(k for k, _ in self.values if k in pinned)}


def calibrated_defaults() -> CalibratedDefaults:
    """The calibrated defaults of ``--rules crossings``, read from the packaged posterior.json (its
    ``simsetting_of_medians``); read at each call (a few kilobytes), so nothing is cached at module level."""
    path = CALIBRATED_DIR / "posterior.json"
    data = path.read_bytes()
    medians = json.loads(data)["simsetting_of_medians"]
    values = tuple((_IMPLEMENTED[(section, key)], float(v)) for section, keys in medians.items()
                   for key, v in keys.items())
    return CalibratedDefaults(values, path, hashlib.sha256(data).hexdigest())


def _calibrated_notice(replaced: dict[str, list[Any]], cal: CalibratedDefaults) -> str | None:
    """The one line saying which keys the calibrated defaults replaced (``replaced``: key -> [old, new], as
    :meth:`CalibratedDefaults.record` gives them), and from which posterior."""
    if not replaced:
        return None
    keys = ", ".join(f"{k} {old:g} -> {new:g}" for k, (old, new) in replaced.items())
    return (f"--rules crossings: calibrated defaults replace {keys} (posterior medians of {CALIBRATED_SOURCE}, "
            f"sha256 {cal.sha256[:12]}; an ensemble draws them from that posterior instead; --rules fixes keeps "
            "the scenario's values)")
# Keys whose meaning differs between Flee 3.1 and 3.2: the value at which 3.1 behaves the same, and what 3.2 does
_FLEE32_ONLY: dict[str, tuple[Any, str]] = {
    "capacity_scaling": (1.0, "multiplies every camp's capacity by it in the capacity multiplier"),
    "sum_from_camps": (False, "spawns new agents from the day-on-day change of the sum of the camp series "
                              "instead of refugees.csv"),
}
_FIXED_IN_31 = {"conflict_spawn_decay_interval": 30}  # Flee 3.1 reads no such key: the interval is 30 days
# Settings of crossings' own optional rules, which no Flee version has: (value that keeps Flee, what it does)
_NOT_IN_FLEE = {"return_home_chance": (0.0, "sends agents home once their home's conflict has ended"),
                "capacity_growth_rate": (0.0, "lets camp capacities grow day by day")}


def for_rules(s: FleeSettings, rules: str) -> tuple[FleeSettings, tuple[str, ...]]:
    """The settings a run under rule set ``rules`` uses, and a notice for each key read with a meaning that
    differs between Flee versions: under ``flee31`` a Flee 3.2-only key is ignored as Flee 3.1 ignores it;
    under ``flee32`` an unset ``sum_from_camps`` is True (Flee 3.2's default); ``fixes`` applies keys as
    written with Flee 3.1's defaults, and ``crossings`` then replaces six of them by the calibrated
    defaults (:func:`calibrated_defaults`), except those a parameter set (``s.pinned``)."""
    where = dict(s.given)
    notes: list[str] = []
    changes: dict[str, Any] = {}
    if rules == CALIBRATED_RULES:
        cal = calibrated_defaults()
        replaced = cal.record(s)["replaced"]  # the keys no parameter pinned, [old, new]
        changes.update((k, new) for k, (_, new) in replaced.items())
        note = _calibrated_notice(replaced, cal)
        notes.extend([note] if note else [])
    if s.sum_from_camps is None:
        changes["sum_from_camps"] = rules == "flee32"
    if rules == "flee31":
        for attr, (same, effect) in _FLEE32_ONLY.items():
            value = getattr(s, attr)
            if value is not None and value != same:
                notes.append(f"{where.get(attr, 'settings')}: {attr}: {value!r} is a Flee 3.2 setting (3.2 "
                             f"{effect}); --rules flee31 ignores it as Flee 3.1 does (--rules flee32 applies it)")
                changes[attr] = same
        for attr, fixed in _FIXED_IN_31.items():
            value = getattr(s, attr)
            if value != fixed:
                notes.append(f"{where.get(attr, 'settings')}: {attr}: {value!r} is read only after Flee 3.1 "
                             f"(3.1 always uses {fixed}); crossings applies it under every rule set")
    if rules == "flee31" and s.conflict_driven_spawning and s.conflict_spawn_mode == "poisson":
        notes.append(f"{where.get('conflict_spawn_mode', 'settings')}: conflict_spawn_mode: 'poisson' stops "
                     "Flee 3.1 (it compares the lower-cased mode with 'Poisson'); crossings draws Poisson counts as "
                     "Flee 3.2 does")
    if rules in ("flee31", "flee32"):
        for attr, (same, effect) in _NOT_IN_FLEE.items():
            value = getattr(s, attr)
            if value != same:
                notes.append(f"{where.get(attr, 'settings')}: {attr}: {value!r} is no Flee setting (it {effect}); "
                             f"crossings applies it under every rule set, so this run is not Flee's")
    return dataclasses.replace(s, **changes), tuple(notes)
