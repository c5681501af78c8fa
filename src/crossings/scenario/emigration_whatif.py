"""The what-if texts of emigration scenarios (``--set 'event: close Upper Lars from 2022-09-22'``; the syntax is in
docs/whatif.md), parsed against the scenario they change into :class:`~crossings.scenario.whatif.Edits`: rows of
events.csv or policies.csv, a changed row of crossings.csv, a value of scenario.yml's ``emigration:`` mapping or a
parameter override. Names and dates are checked here, with one-line errors naming the ``--set`` text; the rows are
checked by the normal reader when the edited scenario is built."""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from crossings.errors import InputError
from crossings.params.emigration import FIELDS, read_settings
from crossings.scenario.emigration import AIR, CROSSING_COLUMNS, ROAD
from crossings.scenario.model import KIND_NAMES, Scenario
from crossings.scenario.whatif import Edits, Replacement, label, set_error

KINDS = ("event", "policy", "capacity", "setting", "param")
_KIND_ALIASES = MappingProxyType({
    "event": "event", "events": "event", "policy": "policy", "policies": "policy", "capacity": "capacity",
    "capacities": "capacity", "setting": "setting", "settings": "setting", "param": "param", "params": "param",
    "parameter": "param", "parameters": "param"})
_MODES = MappingProxyType({"car": "car", "cars": "car", "foot": "foot", "pedestrian": "foot", "pedestrians": "foot"})
_EVERY = ("*", "all", "every", "any", "both")
_FILTERS = MappingProxyType({"for": "category", "from": "origin", "sex": "sex", "age": "age_band",
                             "age_band": "age_band"})
_SEPARATORS = ("-", "–", "—", "to", "<->", "->", "<>")
_ONE_WAY = ("to", "->", "→")  # between the two ends of a road closed one way
_POLICY_KEYS = MappingProxyType({
    "p": "probability", "prob": "probability", "probability": "probability", "cost": "cost_usd", "cost_usd": "cost_usd",
    "fee": "cost_usd", "usd": "cost_usd", "wait": "waiting_days", "waiting": "waiting_days",
    "waiting_days": "waiting_days", "days": "days", "window": "window_days", "window_days": "window_days",
    "weight": "weight", "w": "weight", "eligible": "eligible", "holders": "holders"})
# per policy: the columns it takes, and how many days it takes without a key (visa_free 30, stay_limit 90/180)
_POLICY_FORMS = MappingProxyType({
    "visa_free": (("days", "weight"), "DAYS [weight=W]"),
    "registration": (("days",), "DAYS"),
    "stay_limit": (("days", "window_days"), "DAYS/WINDOW"),
    "tourist_ban": ((), ""),
    "visa": (("probability", "cost_usd", "days", "holders"), "p=PROB cost=USD [days=N] [holders=SHARE]"),
    "residence_permit": (("probability", "waiting_days", "cost_usd", "days", "weight", "eligible"),
                         "p=PROB wait=DAYS [cost=USD] [days=N] [weight=W] [eligible=SHARE]"),
})
# the columns a header made for rows a --set adds names first
_REQUIRED = MappingProxyType({"events.csv": ("date", "event", "target"),
                              "policies.csv": ("date", "until", "country", "policy")})
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


class _Parser:
    """Turns one --set text at a time into edits, checking names and dates against the original scenario."""

    def __init__(self, sc: Scenario) -> None:
        spec = sc.emigration
        assert spec is not None
        self.spec = spec
        locs = sc.locations
        self.kind = {locs.name[i]: KIND_NAMES[int(locs.kind[i])] for i in range(len(locs))}
        self.country = dict(zip(locs.name, locs.country, strict=True))
        self.first = sc.start_date
        self.last = sc.date_of(sc.length - 1)
        home = {spec.countries[int(c)] for c in spec.home_countries}
        self.abroad = [c for c in spec.countries if c not in home]
        self.home = sorted(home)
        self.flights: dict[str, set[str]] = {}  # where each place flies to
        self.roads: dict[str, set[str]] = {}  # where a road leads from each place
        for k in range(len(sc.links)):
            a, b = locs.name[int(sc.links.src[k])], locs.name[int(sc.links.dst[k])]
            mode = int(spec.link_mode[k])
            if mode in (ROAD, AIR):
                (self.flights if mode == AIR else self.roads).setdefault(a, set()).add(b)
        self.parameters = [str(p[0]) for p in getattr(sc, "parameters", ())]
        self.plan = Edits(replace={"crossings.csv": Replacement(CROSSING_COLUMNS[:2], CROSSING_COLUMNS[2])})
        self.text = ""

    # ---- helpers --------------------------------------------------------------------------------------

    def err(self, fld: str, problem: str) -> InputError:
        return set_error(self.text, fld, problem)

    def pick(self, fld: str, words: Sequence[str], pool: Iterable[str], what: str, every: bool = False) -> str:
        """The name in ``pool`` that ``words`` mean (``*`` for every one if ``every``), or a one-line error."""
        given = " ".join(words).strip("'\"")
        if not given:
            raise self.err(fld, f"missing the {what.split(' ', 1)[-1]}")
        if every and given.lower() in _EVERY:
            return "*"
        pool = list(pool)
        hits = [n for n in pool if norm(n) == norm(given)]
        hits = [n for n in hits if n == given] or hits
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise self.err(fld, f"{given!r} matches {', '.join(map(repr, hits))}; write the name exactly")
        return self.unknown(fld, given, pool, what)

    def unknown(self, fld: str, given: str, pool: Sequence[str], what: str) -> Any:
        by_norm = {norm(n): n for n in pool}
        close = difflib.get_close_matches(norm(given), list(by_norm), n=1, cutoff=0.6)
        if close:
            hint = f" (did you mean {by_norm[close[0]]!r}?)"
        elif pool and len(pool) <= 12:
            hint = f" (known: {', '.join(pool)})"
        else:
            hint = ""
        raise self.err(fld, f"no {what} named {given!r}{hint}")

    def place(self, fld: str, words: Sequence[str], kinds: tuple[str, ...], what: str) -> str:
        """A location of one of ``kinds`` named by ``words``."""
        given = " ".join(words).strip("'\"")
        if not given:
            raise self.err(fld, f"missing the {what.split(' ', 1)[-1]}")
        hits = [n for n in self.kind if norm(n) == norm(given)]
        good = [n for n in hits if self.kind[n] in kinds]
        good = [n for n in good if n == given] or good
        if len(good) == 1:
            return good[0]
        if len(good) > 1:
            raise self.err(fld, f"{given!r} matches {', '.join(map(repr, good))}; write the name exactly")
        if hits:
            k = self.kind[hits[0]]
            raise self.err(fld, f"{hits[0]!r} is {'an' if k[0] in 'aeiou' else 'a'} {k}, not {what}")
        return self.unknown(fld, given, [n for n in self.kind if self.kind[n] in kinds], what.split(" ", 1)[-1])

    def date(self, fld: str, value: str, after: dt.date | None = None) -> dt.date:
        """A YYYY-MM-DD date in the scenario's period (``until`` may be the day after its last day)."""
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise self.err(fld, f"{value!r} is not a date in YYYY-MM-DD form")
        try:
            d = dt.date.fromisoformat(value)
        except ValueError:
            raise self.err(fld, f"{value!r} is not a valid YYYY-MM-DD date") from None
        end = self.last + dt.timedelta(days=1) if after is not None else self.last
        if not self.first <= d <= end:
            raise self.err(fld, f"{value} is outside the scenario's period {self.first}..{self.last}")
        if after is not None and d <= after:
            raise self.err(fld, f"{value} is not after the from date {after}")
        return d

    def period(self, tokens: list[str], required: bool = True) -> tuple[list[str], str, str]:
        """Split the trailing ``from DATE [until DATE]`` off ``tokens``: (the rest, date, until)."""
        rest, given = list(tokens), {}
        while len(rest) >= 2 and rest[-2].lower() in ("from", "until") and \
                (rest[-2].lower() == "until" or re.match(r"\d", rest[-1])):
            kw = rest[-2].lower()
            if kw in given:
                raise self.err("date", f"'{kw}' given twice")
            given[kw] = rest[-1]
            rest = rest[:-2]
        if "from" not in given:
            if "until" in given or not required:
                if required:
                    raise self.err("date", "'until DATE' needs 'from DATE' (write: ... from DATE until DATE)")
                return rest, "", ""
            if any(re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", t) for t in rest):
                raise self.err("date", "the period 'from DATE [until DATE]' must come last")
            raise self.err("date", "missing 'from DATE' at the end (a date YYYY-MM-DD in the scenario's period "
                                   f"{self.first}..{self.last})")
        start = self.date("date", given["from"])
        until = self.date("until", given["until"], after=start).isoformat() if "until" in given else ""
        return rest, start.isoformat(), until

    def add_row(self, file: str, row: dict[str, str]) -> None:
        self.plan.rows.setdefault(file, []).append((self.text, row))
        self.plan.required[file] = _REQUIRED[file]

    # ---- the forms ------------------------------------------------------------------------------------

    def parse(self, text: str) -> None:
        """Add the edits of one --set text to the plan (``InputError`` naming it if it is not understood)."""
        self.text = text
        head, sep, body = text.partition(":")
        kind = _KIND_ALIASES.get(head.strip().lower())
        if not sep or kind is None:
            close = difflib.get_close_matches(head.strip().lower(), list(_KIND_ALIASES), n=1)
            hint = f" (did you mean '{_KIND_ALIASES[close[0]]}:'?)" if sep and close else ""
            raise self.err("kind", f"expected 'KIND: ...' with KIND one of {', '.join(KINDS)}{hint}")
        body = re.sub(r"\s*=\s*", "=", body.strip())
        body = re.sub(r"\s*/\s*", "/", body)
        tokens = body.split()
        if not tokens:
            raise self.err(kind, "nothing after the colon")
        getattr(self, f"_{kind}")(tokens)

    def _event(self, tokens: list[str]) -> None:
        verb = tokens[0].lower()
        forms = ("close CROSSING, bar car|foot at CROSSING, close flights A - B, close road A -> B, departures xN, "
                 "returns xN, capacity CROSSING [car|foot] xN")
        if verb == "close":
            rest, date, until = self.period(tokens[1:])
            lead = [t.lower() for t in rest[:2]]
            if lead[:1] in (["flights"], ["flight"]) or lead == ["air", "route"]:
                self._flights(rest[2 if lead == ["air", "route"] else 1:], date, until)
                return
            if lead[:1] == ["road"]:
                self._road(rest[1:], date, until)
                return
            target = self.place("target", rest, ("crossing",), "a crossing")
            self.add_row("events.csv", {"date": date, "until": until, "event": "close_crossing", "target": target})
        elif verb == "bar":
            rest, date, until = self.period(tokens[1:])
            if not rest or rest[0].lower() not in _MODES:
                got = repr(rest[0]) if rest else "nothing"
                raise self.err("other", f"expected car or foot after 'bar', got {got}")
            if len(rest) < 2 or rest[1].lower() != "at":
                raise self.err("target", "expected 'bar car|foot at CROSSING'")
            target = self.place("target", rest[2:], ("crossing",), "a crossing")
            self.add_row("events.csv", {"date": date, "until": until, "event": "bar_mode", "target": target,
                                        "other": _MODES[rest[0].lower()]})
        elif verb in ("departures", "departure", "returns", "return"):
            self._hazard("departure_hazard" if verb.startswith("departure") else "return_hazard", tokens[1:])
        elif verb == "capacity":
            self._capacity_event(tokens[1:])
        else:
            close = difflib.get_close_matches(verb, ["close", "bar", "departures", "returns", "capacity"], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise self.err("event", f"unknown event {tokens[0]!r}{hint}; expected one of: {forms}")

    def _multiplier(self, tokens: Sequence[str]) -> float | None:
        """A multiplier written as one token (``x20``, ``×20``, ``*20``, ``20x``) or two (``x 20``, ``times 20``);
        None if ``tokens`` is neither, a one-line error if it is negative or not finite."""
        if len(tokens) == 1:
            m = re.fullmatch(rf"[x×*]({_NUMBER})|({_NUMBER})[x×]", tokens[0])
        elif len(tokens) == 2 and tokens[0].lower() in ("x", "×", "*", "times"):
            m = re.fullmatch(rf"()({_NUMBER})", tokens[1])
        else:
            return None
        if m is None:
            return None
        value = float(m.group(1) or m.group(2))
        if not math.isfinite(value) or value < 0:
            raise self.err("value", f"{value:g} is not a non-negative multiplier")
        return value

    def _capacity_event(self, tokens: list[str]) -> None:
        """``capacity CROSSING [car|foot] xN from DATE [until DATE]``: a dated multiplier of a crossing's capacity."""
        rest, date, until = self.period(tokens)
        syntax = "expected 'capacity CROSSING [car|foot] xN from DATE [until DATE]'"
        used = 1
        value = self._multiplier(rest[-1:])
        if value is None:
            value, used = self._multiplier(rest[-2:]), 2
        if value is None:
            got = repr(rest[-1]) if rest else "nothing"
            raise self.err("value", f"{syntax}; got {got} where the multiplier (like x0.5) goes")
        words = rest[:-used]
        mode = "*"
        if words and words[-1].lower() in _MODES:
            mode = _MODES[words[-1].lower()]
            words = words[:-1]
        target = self.place("target", words, ("crossing",), "a crossing")
        self.add_row("events.csv", {"date": date, "until": until, "event": "capacity", "target": target,
                                    "other": mode, "value": _num(value)})

    def _ends(self, rest: list[str], seps: tuple[str, ...], syntax: str, links: dict[str, set[str]], what: str,
              missing: str) -> tuple[str, str]:
        """The two places ``A SEP B`` of ``rest`` that ``links`` joins (A a key, B among its values); ``missing``
        formats the error if they are not joined ({a}, {b} quoted, {a_plain}, and {goes}: where A leads)."""
        at = [i for i, t in enumerate(rest) if t.lower() in seps]
        if len(at) != 1 or at[0] in (0, len(rest) - 1):
            raise self.err("other", f"expected {syntax}")
        i = at[0]
        a = self.pick("target", rest[:i], list(links), what)
        b = self.pick("other", rest[i + 1:], self.kind, "place")
        if b not in links[a]:
            raise self.err("other", missing.format(a=repr(a), b=repr(b), a_plain=a, goes=", ".join(sorted(links[a]))))
        return a, b

    def _flights(self, rest: list[str], date: str, until: str) -> None:
        a, b = self._ends(rest, _SEPARATORS, "'close flights A - B' (or 'A to B') naming the two ends of an air "
                          "route", self.flights, "airport with flights", "no air route between {a} and {b} (flights "
                          "from {a_plain} go to {goes})")
        self.add_row("events.csv", {"date": date, "until": until, "event": "close_air_route", "target": a,
                                    "other": b})

    def _road(self, rest: list[str], date: str, until: str) -> None:
        """``close road A -> B from DATE [until DATE]``: the road from A to B closes that way only."""
        a, b = self._ends(rest, _ONE_WAY, "'close road A -> B' (or 'A to B') naming the start and end of a road",
                          self.roads, "place with roads", "no road from {a} to {b} (roads from {a_plain} go to "
                          "{goes})")
        self.add_row("events.csv", {"date": date, "until": until, "event": "close_road", "target": a, "other": b})

    def _hazard(self, event: str, tokens: list[str]) -> None:
        rest, date, until = self.period(tokens)
        what = "departures" if event == "departure_hazard" else "returns"
        used = 1
        value = self._multiplier(rest[:1])
        if value is None:
            value, used = self._multiplier(rest[:2]), 2
        if value is None:
            got = repr(rest[0]) if rest else "nothing"
            raise self.err("value", f"expected a multiplier like x20 after '{what}', got {got}")
        row = {"date": date, "until": until, "event": event, "target": "*", "other": "*", "value": _num(value)}
        seen: set[str] = set()
        i = used
        while i < len(rest):
            kw = rest[i].lower()
            if kw not in _FILTERS:
                raise self.err("syntax", f"unexpected {rest[i]!r} (after the multiplier: [for CATEGORY] "
                                         "[from ORIGIN] [sex S] [age BAND], then from DATE [until DATE])")
            j = i + 1
            while j < len(rest) and rest[j].lower() not in _FILTERS:
                j += 1
            words, key = rest[i + 1:j], _FILTERS[kw]
            if key in seen:
                raise self.err(key, f"'{kw}' given twice")
            seen.add(key)
            if key == "origin":
                if len(words) == 1 and words[0].lower() in _EVERY:
                    row["target"] = "*"
                else:
                    row["target"] = self.place("target", words, ("origin",), "an origin")
            elif key == "category":
                row["other"] = self.pick("other", words, self.spec.category.names, "category", every=True)
            elif key == "sex":
                row["sex"] = self.pick("sex", words, self.spec.sex.names, "sex", every=True)
            else:
                row["age_band"] = self.pick("age_band", words, self.spec.age_band.names, "age band", every=True)
            i = j
        self.add_row("events.csv", row)

    def _policy(self, tokens: list[str]) -> None:
        rest, date, until = self.period(tokens)
        names = {norm(p): p for p in _POLICY_FORMS}
        at, width = -1, 0
        for i in range(len(rest)):
            if i + 1 < len(rest) and norm(rest[i] + " " + rest[i + 1]) in names:
                at, width = i, 2
                break
            if norm(rest[i]) in names:
                at, width = i, 1
                break
        if at < 0:
            raise self.err("policy", f"expected 'COUNTRY POLICY ...' with POLICY one of {', '.join(_POLICY_FORMS)}")
        policy = names[norm(" ".join(rest[at:at + width]))]
        country = self._country(rest[:at])
        takes, positional = _POLICY_FORMS[policy]
        form = positional.split(" ")[0]  # the positional part: DAYS or DAYS/WINDOW (or nothing)
        row = {"date": date, "until": until, "country": country, "policy": policy}
        args = rest[at + width:]
        if form in ("DAYS", "DAYS/WINDOW") and args and "=" not in args[0]:
            first = args.pop(0)
            parts = first.split("/") if "/" in first else [first]
            if form == "DAYS/WINDOW" and len(parts) == 1 and len(args) >= 2 and args[0].lower() == "in":
                parts = [first, args[1]]
                args = args[2:]
            if args and args[0].lower() in ("days", "d"):
                args.pop(0)
            n_pos = 2 if form == "DAYS/WINDOW" else 1
            if len(parts) != n_pos:
                raise self.err("days", f"expected {policy} {positional}, got {first!r}")
            row.update(zip(takes[:n_pos], parts, strict=True))
        for a in args:
            key, eq, value = a.partition("=")
            col = _POLICY_KEYS.get(key.lower())
            if not eq or not value:
                raise self.err("syntax", f"unexpected {a!r} (a {policy} policy takes {positional or 'nothing'})")
            if col is None or col not in takes:
                raise self.err(col or key, f"a {policy} policy takes no {key!r} (write: {policy} {positional})"
                               if positional else f"a {policy} policy takes no {key!r}")
            if col in row:
                raise self.err(col, f"{key!r} given twice")
            if value.startswith("$") and value[1:2].isdigit():
                value = value[1:]
            if value.endswith("%") and col == "probability":
                try:
                    value = _num(float(value[:-1]) / 100)
                except ValueError:
                    raise self.err(col, f"{value!r} is not a percentage") from None
            row[col] = value
        required = {"visa": ("probability", "cost_usd"), "residence_permit": ("probability", "waiting_days")}
        positional_cols = takes[:2 if form == "DAYS/WINDOW" else 1] if form.startswith("DAYS") else ()
        for col in required.get(policy, positional_cols):
            if col not in row:
                raise self.err(col, f"a {policy} policy needs {col} (write: {policy} {positional})")
        self.add_row("policies.csv", row)

    def _country(self, words: list[str]) -> str:
        given = " ".join(words).strip("'\"")
        if not given:
            raise self.err("country", "missing the country before the policy")
        if norm(given) in {norm(c) for c in self.home}:
            raise self.err("country", f"{given!r} holds origins; entry policies apply to countries abroad")
        places = [n for n in self.kind if norm(n) == norm(given)]
        if places and norm(self.country[places[0]]) != norm(given):
            raise self.err("country", f"{places[0]!r} is a place; policies apply to countries (did you mean "
                                      f"{self.country[places[0]]!r}?)")
        return self.pick("country", words, self.abroad, "country abroad")

    def _capacity(self, tokens: list[str]) -> None:
        if any(t.lower() in ("from", "until") for t in tokens):
            raise self.err("date", "'capacity:' sets crossings.csv's capacity for the whole run; for a dated change "
                                   "write 'event: capacity CROSSING [car|foot] xN from DATE [until DATE]'")
        if len(tokens) < 3:
            raise self.err("syntax", "expected 'capacity: CROSSING car|foot N'")
        if tokens[-2].lower() not in _MODES:
            raise self.err("mode", f"expected car or foot before the capacity, got {tokens[-2]!r} (write: "
                                   "'capacity: CROSSING car|foot N')")
        crossing = self.place("crossing", tokens[:-2], ("crossing",), "a crossing")
        mode = _MODES[tokens[-2].lower()]
        value: str | None = tokens[-1]
        if value.lower() in ("unlimited", "none", "inf"):
            value = None
        elif not re.fullmatch(r"\d+", value):
            raise self.err("capacity_per_day", f"{value!r} is not a whole number ≥ 0 of people per day (or "
                                               "'unlimited')")
        key = (crossing, mode)
        changes = self.plan.replace["crossings.csv"].changes
        if key in changes:
            raise self.err("capacity_per_day", f"{crossing} by {mode} is also set by {label(changes[key][0])}")
        changes[key] = (self.text, value)

    def _name_value(self, tokens: list[str], what: str) -> tuple[str, str]:
        text = " ".join(tokens)
        name, eq, value = text.partition("=")
        if not eq:
            parts = text.split()
            if len(parts) != 2:
                raise self.err("syntax", f"expected '{what}: NAME=VALUE'")
            name, value = parts
        name, value = name.strip(), value.strip()
        if not name or not value or " " in name or " " in value:
            raise self.err("syntax", f"expected '{what}: NAME=VALUE'")
        return name, value

    def _number(self, fld: str, value: str) -> float:
        try:
            x = float(value)
        except ValueError:
            raise self.err(fld, f"{value!r} is not a number") from None
        if not math.isfinite(x):
            raise self.err(fld, f"{value!r} is not a finite number")
        return x

    def _setting(self, tokens: list[str]) -> None:
        name, value = self._name_value(tokens, "setting")
        name = name.removeprefix("emigration.")
        if name not in FIELDS:
            close = difflib.get_close_matches(name, FIELDS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(FIELDS)})"
            raise self.err(f"emigration.{name}", f"unknown setting{hint}")
        x = self._number(f"emigration.{name}", value)
        number: float = int(x) if x.is_integer() and "." not in value and "e" not in value.lower() else x
        try:
            read_settings(Path(label(self.text)), {name: number}, {})
        except InputError as exc:
            raise self.err(exc.field, exc.problem) from None
        settings = self.plan.mappings.setdefault("emigration", {})
        if name in settings:
            raise self.err(f"emigration.{name}", f"also set by {label(settings[name][0])}")
        settings[name] = (self.text, number)

    def _param(self, tokens: list[str]) -> None:
        name, value = self._name_value(tokens, "param")
        name = name.removeprefix("$")
        if name not in self.parameters:
            close = difflib.get_close_matches(name, self.parameters, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else \
                f" (it defines: {', '.join(self.parameters)})" if self.parameters else ""
            raise self.err("param", f"the scenario defines no parameter {name!r}{hint}")
        if name in self.plan.params:
            raise self.err("param", f"{name!r} is also set by {label(self.plan.params[name][0])}")
        self.plan.params[name] = (self.text, self._number(f"parameters.{name}", value))


def parse_sets(base: Scenario, sets: Sequence[str]) -> Edits:
    """The edits the --set texts ``sets`` make to the emigration scenario ``base`` (InputError naming a text that
    is not understood)."""
    parser = _Parser(base)
    for text in sets:
        parser.parse(text)
    return parser.plan


def norm(name: str) -> str:
    """A place or value name for matching: case-insensitive, spaces, underscores and hyphens alike."""
    return re.sub(r"[\s_\-]+", " ", name.strip().strip("'\"").lower()).strip()


def _num(x: float) -> str:
    """A number as written into a CSV cell (integers without a decimal point)."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 2**53 else repr(float(x))
