"""Shared fixtures: synthetic Flee-format scenarios written into tmp_path, and the shared reference data.

``write_flee_scenario`` writes every file of a Flee scenario (input_csv/, source_data/, simsetting.yml)
from Python lists, so a test can build a graph whose answer is known by hand. The four reference
conflicts live outside the repository (``<repo>/../shared/data/flee``, or ``$CROSSINGS_SHARED/data/flee``);
tests that need them are skipped with a clear reason when they are absent.
"""

from __future__ import annotations

import datetime as dt
import inspect
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

import crossings as cx

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """The shared directory beside the repository (``$CROSSINGS_SHARED`` overrides it)."""
    env = os.environ.get("CROSSINGS_SHARED")
    return Path(env) if env else (REPO / ".." / "shared").resolve()


def flee_data_dir(name: str) -> Path:
    """A reference Flee scenario directory, or skip the test with the reason if it is missing."""
    path = shared_dir() / "data" / "flee" / name
    if not (path / "input_csv" / "locations.csv").is_file():
        pytest.skip(f"shared Flee scenario {name!r} not found at {path} (set CROSSINGS_SHARED to the shared/ "
                    "directory that holds data/flee/)")
    return path


def flee_reference_file(name: str) -> Path:
    """A file of Flee 3.1's own reference results, or skip the test if it is missing."""
    path = shared_dir() / "data" / "flee-reference" / name
    if not path.is_file():
        pytest.skip(f"Flee reference file {name!r} not found at {path} (set CROSSINGS_SHARED)")
    return path


# ---- synthetic scenarios --------------------------------------------------------------------------------

DEFAULT_SETTINGS: dict[str, dict[str, Any]] = {
    "log_levels": {"agent": 0, "link": 0},
    "spawn_rules": {"insert_day0": True},
    "move_rules": {
        "max_move_speed": 200.0,
        "max_walk_speed": 35.0,
        "camp_weight": 1.0,
        "conflict_weight": 0.25,
        "conflict_movechance": 1.0,
        "camp_movechance": 0.001,
        "default_movechance": 0.3,
        "awareness_level": 1,
        "capacity_buffer": 0.9,
    },
    "optimisations": {"hasten": 1},
}

START = dt.date(2020, 1, 1)


def day_to_date(day: int | str, start: dt.date = START) -> str:
    """A day offset as a YYYY-MM-DD string (strings are passed through unchanged)."""
    if isinstance(day, str):
        return day
    return (start + dt.timedelta(days=day)).isoformat()


def write_flee_scenario(
    root: Path,
    locations: Sequence[Sequence[Any]],
    routes: Sequence[Sequence[Any]],
    *,
    route_columns: Sequence[str] = (),
    closures: Iterable[Sequence[Any]] = (),
    conflicts: Mapping[str, Sequence[float]] | None = None,
    start: dt.date = START,
    length: int = 10,
    total: Sequence[tuple[int | str, float]] = ((0, 0),),
    camps: Mapping[str, Sequence[tuple[int | str, float]]] | None = None,
    corrections: Iterable[tuple[str, int | str]] = (),
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    simsetting_text: str | None = None,
) -> Path:
    """Write a complete Flee-format scenario into ``root`` and return ``root``.

    * ``locations``: rows ``(name, country, location_type, population[, conflict_date])``; region is the
      name, latitude/longitude are 0. For camps ``population`` is the capacity (0 = unlimited).
    * ``routes``: rows ``(name1, name2, distance[, forced_redirection, extra...])``; ``route_columns`` names
      the columns after ``forced_redirection`` (e.g. ``["max_move_speed"]``).
    * ``closures``: rows ``(type, name1, name2, start, end)``.
    * ``conflicts``: intensity per day for each named location; by default every ``conflict_zone`` row has
      intensity 1 from its conflict_date on and 0 before.
    * ``total``: the refugees.csv series as ``(day or date, count)``; ``camps``: the same per camp (camps not
      given get a single zero point on day 0).
    * ``corrections``: registration corrections ``(camp, day or date)``.
    * ``settings``: per-section overrides merged into ``DEFAULT_SETTINGS``; ``simsetting_text`` replaces the
      whole simsetting.yml.
    """
    root = Path(root)
    inp, src = root / "input_csv", root / "source_data"
    inp.mkdir(parents=True, exist_ok=True)
    src.mkdir(parents=True, exist_ok=True)

    rows = []
    for row in locations:
        name, country, kind, pop = row[:4]
        cdate = row[4] if len(row) > 4 else 0
        rows.append(f"{name},{name},{country},0.0,0.0,{kind},{cdate},{pop}")
    (inp / "locations.csv").write_text(
        "#name,region,country,latitude,longitude,location_type,conflict_date,population\n" + "\n".join(rows) + "\n"
    )

    head = ["#name1", "name2", "distance", "forced_redirection", *route_columns]
    lines = [",".join(head)]
    for r in routes:
        cells = [str(x) for x in r]
        if len(cells) == 3:
            cells.append("0")
        lines.append(",".join(cells))
    (inp / "routes.csv").write_text("\n".join(lines) + "\n")

    (inp / "closures.csv").write_text(
        "#closure_type,name1,name2,closure_start,closure_end\n"
        + "".join(",".join(str(x) for x in c) + "\n" for c in closures)
    )

    if conflicts is None:
        conflicts = {
            row[0]: [1.0 if t >= (row[4] if len(row) > 4 else 0) else 0.0 for t in range(length)]
            for row in locations if "conflict" in str(row[2]).lower()
        }
    names = list(conflicts)
    clines = ["#Day," + ",".join(names)] if names else ["#Day"]
    n_rows = max([len(v) for v in conflicts.values()], default=length)
    for t in range(n_rows):
        clines.append(",".join([str(t)] + [f"{conflicts[n][t]:g}" for n in names]))
    (inp / "conflicts.csv").write_text("\n".join(clines) + "\n")

    (inp / "sim_period.csv").write_text(f"StartDate,{start.isoformat()}\nLength,{length}\n")
    (inp / "registration_corrections.csv").write_text(
        "".join(f"{c},{day_to_date(d, start)}\n" for c, d in corrections)
    )

    def series(points: Sequence[tuple[int | str, float]]) -> str:
        return "Date,Count\n" + "".join(f"{day_to_date(d, start)},{v:g}\n" for d, v in points)

    camp_names = [row[0] for row in locations if "camp" in str(row[2]).lower()]
    camps = dict(camps or {})
    layout = ["total,refugees.csv"]
    (src / "refugees.csv").write_text(series(total))
    for i, name in enumerate(camp_names):
        fname = f"camp{i}.csv"
        layout.append(f"{name},{fname}")
        (src / fname).write_text(series(camps.get(name, [(0, 0)])))
    (src / "data_layout.csv").write_text("\n".join(layout) + "\n")

    if simsetting_text is None:
        merged = {k: dict(v) for k, v in DEFAULT_SETTINGS.items()}
        for section, values in (settings or {}).items():
            merged.setdefault(section, {}).update(values)
        simsetting_text = yaml.safe_dump(merged, sort_keys=False)
    (root / "simsetting.yml").write_text(simsetting_text)
    return root


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``scenario_dir(locations, routes, **kw)`` writes a scenario under tmp_path, returns its path."""
    counter = iter(range(10**6))

    def make(locations: Sequence[Sequence[Any]], routes: Sequence[Sequence[Any]], **kw: Any) -> Path:
        return write_flee_scenario(tmp_path / f"scenario{next(counter)}", locations, routes, **kw)

    return make


@pytest.fixture
def make_scenario(scenario_dir: Callable[..., Path]) -> Callable[..., Any]:
    """Factory: like ``scenario_dir`` but returns the loaded :class:`Scenario`."""

    def make(locations: Sequence[Sequence[Any]], routes: Sequence[Sequence[Any]], **kw: Any) -> Any:
        return cx.load_scenario(scenario_dir(locations, routes, **kw))

    return make


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled demo scenario, written once per session."""
    from crossings.scenarios.demo import write_demo

    return write_demo(tmp_path_factory.mktemp("demo") / "demo")


# Full runs of the reference conflicts are the slowest thing in the suite: run each once per session.
_FULL_RUNS: dict[tuple[str, int, str], Any] = {}


def full_reference_run(name: str, seed: int = 1, rules: str = "flee31") -> Any:
    """Results of a full run of a shared reference scenario (cached for the session; skips if absent)."""
    key = (name, seed, rules)
    if key not in _FULL_RUNS:
        _FULL_RUNS[key] = cx.run(cx.load_scenario(flee_data_dir(name)), seed=seed, rules=rules)
    return _FULL_RUNS[key]


@pytest.fixture
def flee_data() -> Callable[[str], Path]:
    """``flee_data(name)``: path of a shared reference scenario (the test is skipped if it is absent)."""
    return flee_data_dir


@pytest.fixture
def flee_reference() -> Callable[[str], Path]:
    """``flee_reference(file)``: path of a file of Flee 3.1's reference results (skips if absent)."""
    return flee_reference_file


@pytest.fixture
def reference_run() -> Callable[..., Any]:
    """``reference_run(name, seed=1, rules="flee31")``: a cached full run of a shared reference scenario."""
    return full_reference_run


# ---- engine variants -------------------------------------------------------------------------------------


def engine_kernels() -> list[str | None]:
    """The engine's kernel variants (compiled and NumPy twins) if it offers a choice, else [None]."""
    from crossings.engine import simulation

    kernels = getattr(simulation, "KERNELS", None)
    if kernels and "kernel" in inspect.signature(cx.Simulation).parameters:
        return list(kernels)
    return [None]


@pytest.fixture(params=engine_kernels(), ids=lambda k: f"kernel-{k or 'default'}")
def simulate(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """``simulate(scenario, seed=0, rules=None, days=None, check=True)`` with each engine kernel in turn.

    ``check=True`` by default: the engine asserts every day that its stocks equal the agent census.
    """
    kernel = request.param

    def run(sc: Any, seed: int = 0, rules: str | None = None, days: int | None = None, check: bool = True) -> Any:
        kw = {} if kernel is None else {"kernel": kernel}
        return cx.Simulation(sc, seed=seed, rules=rules, days=days, check=check, **kw).run()

    return run


# ---- synthetic emigration scenarios (native format, model: emigration) ----------------------------------


def write_emigration_scenario(
    root: Path,
    locations: Sequence[Sequence[Any]],
    routes: Sequence[Sequence[Any]],
    departures: Sequence[Sequence[Any]],
    *,
    crossings: Sequence[Sequence[Any]] = (),
    events: Sequence[Sequence[Any]] = (),
    agents: Mapping[str, Any] | None = None,
    emigration: Mapping[str, Any] | None = None,
    days: int = 10,
    start: dt.date = START,
) -> Path:
    """Write a native ``model: emigration`` scenario into ``root`` and return ``root``.

    * ``locations``: rows ``(name, kind, country, population[, attractiveness])``.
    * ``routes``: rows ``(from, to, mode, distance_km, duration_days, seats_per_day)`` (use "" for empty).
    * ``departures``: rows ``(origin, category, daily_hazard)``; ``crossings``: ``(crossing, mode, capacity)``.
    * ``events``: rows ``(date or day, until or day or "", event, target, other, value[, sex, age_band])``.
    * ``agents``/``emigration``: the scenario.yml mappings (defaults: cars only, one category ``all``).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    meta = {"format": "crossings-native/1", "model": "emigration", "name": root.name,
            "start_date": start.isoformat(), "days": days, "home_country": locations[0][2]}
    meta["agents"] = dict(agents) if agents is not None else {"travel_mode": {"car": 1.0}}
    if emigration:
        meta["emigration"] = dict(emigration)
    (root / "scenario.yml").write_text(yaml.safe_dump(meta, sort_keys=False))

    def table(name: str, head: str, rows: Iterable[Sequence[Any]]) -> None:
        (root / name).write_text(head + "\n" + "".join(",".join(str(c) for c in r) + "\n" for r in rows))

    table("locations.csv", "name,kind,country,population,attractiveness",
          [(r[0], r[1], r[2], r[3], r[4] if len(r) > 4 else "") for r in locations])
    table("routes.csv", "from,to,mode,distance_km,duration_days,seats_per_day",
          [tuple(r) + ("",) * (6 - len(r)) for r in routes])
    table("departures.csv", "origin,category,daily_hazard", departures)
    if crossings:
        table("crossings.csv", "crossing,mode,capacity_per_day", crossings)
    if events:
        rows = []
        for r in events:
            date = day_to_date(r[0], start)
            until = "" if r[1] == "" else day_to_date(r[1], start)
            rows.append((date, until, *r[2:], *([""] * (8 - len(r)))))
        table("events.csv", "date,until,event,target,other,value,sex,age_band", rows)
    return root


@pytest.fixture
def emigration_scenario(tmp_path: Path) -> Callable[..., Any]:
    """Factory: ``emigration_scenario(locations, routes, departures, **kw)`` writes and loads a scenario."""
    counter = iter(range(10**6))

    def make(locations: Sequence[Sequence[Any]], routes: Sequence[Sequence[Any]],
             departures: Sequence[Sequence[Any]], **kw: Any) -> Any:
        return cx.load_scenario(write_emigration_scenario(tmp_path / f"emigration{next(counter)}", locations,
                                                          routes, departures, **kw))

    return make


# ---- editing scenario files and reading their errors ------------------------------------------------------


def _replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"test setup: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def _scenario_error(root: Path) -> Any:
    with pytest.raises(cx.InputError) as info:
        cx.load_scenario(root)
    return info.value


@pytest.fixture
def replace_once() -> Callable[[Path, str, str], None]:
    """``replace_once(path, old, new)``: replace the first ``old`` in a file (asserting it is there)."""
    return _replace_once


@pytest.fixture
def scenario_error() -> Callable[[Path], Any]:
    """``scenario_error(root)``: the InputError that loading the scenario at ``root`` must raise."""
    return _scenario_error


@pytest.fixture
def native_run_with_text(tmp_path: Path) -> Callable[[str, str], Path]:
    """``native_run_with_text(note, source)``: the demo converted to the native format, every location given
    ``note`` and every event ``source``, run for 30 days; returns the run directory."""
    import csv

    from crossings.api import convert, write_run
    from crossings.scenarios.demo import write_demo

    def make(note: str, source: str) -> Path:
        native = convert(write_demo(tmp_path / "flee"), tmp_path / "native")
        for name, col, value in (("locations.csv", "note", note), ("events.csv", "source", source)):
            path = native / name
            with open(path, newline="", encoding="utf-8") as fh:
                rows = [r for r in csv.reader(fh) if r and not r[0].startswith("#")]
            rows[0].append(col)
            for r in rows[1:]:
                r.append(value)
            with open(path, "w", newline="", encoding="utf-8") as fh:
                csv.writer(fh).writerows(rows)
        write_run(cx.run(cx.load_scenario(native), seed=0, days=30), tmp_path / "run")
        return tmp_path / "run"

    return make


@pytest.fixture(scope="session")
def local_client() -> Iterator[object]:
    """A Dask client on a LocalCluster of two single-threaded worker processes (loopback only)."""
    import logging

    import distributed

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL)
    client = distributed.Client(cluster)
    yield client
    for name in ("distributed", "tornado"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    client.close()
    cluster.close()
