"""Checkpoints: everything a run needs to continue from the end of a day, as ``state.npz`` (arrays) and
``checkpoint.json`` (everything else) in ``OUT/checkpoint/``. No pickle: NumPy arrays of plain dtypes and JSON.

What is saved: the agent table's columns (the rows in use, and its capacity), the world's arrays and flags
(the candidate paths and routes are rebuilt from the scenario, which the digest guarantees is unchanged), each
rule's own state (``Rule.checkpoint_state``, e.g. the spawn rule's refugee debt; caches are rebuilt), the
results recorded so far, the NumPy generators' bit_generator states (the compiled kernels draw from streams
keyed by seed, rule and day, so they need nothing), the run's parameters and the crossings version.

A checkpoint is written into a temporary directory and renamed into place; the previous one is moved aside
first and deleted only once the new one is in place, so a kill at any moment leaves one complete checkpoint
(``checkpoint/``, or ``checkpoint.old/`` if the kill fell between the two renames).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from crossings._version import __version__
from crossings.engine.resources import available_bytes
from crossings.engine.state import AgentTable
from crossings.errors import InputError

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation
    from crossings.results import Results

FORMAT = "crossings-checkpoint/1"
# the range of each stored counter of a checkpoint's state (next_day: up to the run's days)
STATE_RANGES = {"next_day": (1, 10**8), "agent_steps": (0, 2**62), "agents.n": (0, 2**40),
                "agents.capacity": (0, 2**40)}
DIRNAME = "checkpoint"
OLD = "checkpoint.old"
META = "checkpoint.json"
ARRAYS = "state.npz"


def scenario_digest(root: Path, exclude: Path | None = None) -> str:
    """SHA-256 over the relative path and bytes of every file under the scenario directory ``root`` (sorted),
    skipping ``exclude`` (the output directory, when it lies inside the scenario directory)."""
    root = Path(root).resolve()
    skip = Path(exclude).resolve() if exclude is not None else None
    if skip is not None and (skip == root or root.is_relative_to(skip)):
        skip = None  # the scenario lives inside the output directory (the demo): nothing to skip
    h = hashlib.sha256()
    files = sorted(p for p in root.rglob("*") if p.is_file() and (skip is None or not p.is_relative_to(skip)))
    for p in files:
        rel = p.relative_to(root).as_posix().encode()
        data = p.read_bytes()
        h.update(len(rel).to_bytes(8, "little") + rel + len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


# ---- capture and restore ---------------------------------------------------------------------------------

def _plain(v: Any) -> Any:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v)
    return v


def capture(sim: Simulation, res: Results, next_day: int, agent_steps: int) -> tuple[dict[str, np.ndarray],
                                                                                        dict[str, Any]]:
    """The state of ``sim`` and ``res`` after day ``next_day - 1``: (arrays, JSON-able state)."""
    arrays: dict[str, np.ndarray] = {}
    a = sim.agents
    for name in a.columns:
        arrays[f"agents.{name}"] = a.cols[name][: a.n]
    world: dict[str, Any] = {}
    for f in dataclasses.fields(sim.world):
        v = getattr(sim.world, f.name)
        if isinstance(v, np.ndarray):
            arrays[f"world.{f.name}"] = v
        elif v is None or isinstance(v, (bool, int, float, np.bool_, np.integer, np.floating)):
            world[f.name] = _plain(v)
        # anything else (candidate paths, routes) is fixed and rebuilt from the scenario
    for name, arr in res.series.items():
        arrays[f"results.{name}"] = arr
    arrays["results.n_agents"] = res.n_agents
    arrays["results.refugee_debt"] = res.refugee_debt
    sim_state, sim_arrays = sim.model.checkpoint_state(sim)
    arrays.update({f"sim.{k}": v for k, v in sim_arrays.items()})
    rules: dict[str, Any] = {}
    for i, r in enumerate(sim.plan):
        st = r.checkpoint_state()
        for k, v in st.items():
            if isinstance(v, np.ndarray):
                arrays[f"rule{i}.{k}"] = v
            else:
                rules.setdefault(f"{i}:{r.name}", {})[k] = _plain(v)
    state = {
        "next_day": int(next_day),
        "agent_steps": int(agent_steps),
        "agents": {"n": int(a.n), "capacity": int(a.capacity)},
        "world": world,
        "sim": sim_state,
        "rules": rules,
        "rng": {name: g.bit_generator.state for name, g in sim.rng.items()},
    }
    return arrays, state


def restore(sim: Simulation, res: Results, arrays: dict[str, np.ndarray], state: dict[str, Any]) -> tuple[int, int]:
    """Put a captured state back into a freshly set-up ``sim`` (``Simulation._setup`` has run) and freshly
    allocated ``res``; returns (the next day to run, agent steps so far)."""
    def take(name: str, like: np.ndarray | None = None) -> np.ndarray:
        if name not in arrays:
            raise ValueError(f"checkpoint lacks {name}")
        arr = np.array(arrays[name], copy=True)
        if like is not None and (arr.dtype != like.dtype or arr.shape != like.shape):
            raise ValueError(f"checkpoint array {name} is {arr.dtype}{arr.shape}, expected {like.dtype}{like.shape}")
        return np.ascontiguousarray(arr)

    ag = state["agents"]
    table = AgentTable(capacity=ag["capacity"], columns=sim.agents.columns)
    table.add(ag["n"])
    for name in table.columns:
        table.cols[name][: ag["n"]] = take(f"agents.{name}", table.cols[name][: ag["n"]])
    sim.agents = table
    w = sim.world
    for f in dataclasses.fields(w):
        v = getattr(w, f.name)
        key = f"world.{f.name}"
        if key in arrays:
            setattr(w, f.name, take(key, v if isinstance(v, np.ndarray) else None))
        elif f.name in state["world"]:
            setattr(w, f.name, state["world"][f.name])
    for name, arr in res.series.items():
        arr[...] = take(f"results.{name}", arr)
    res.n_agents[...] = take("results.n_agents", res.n_agents)
    res.refugee_debt[...] = take("results.refugee_debt", res.refugee_debt)
    sim.model.restore_state(sim, state["sim"], {k[4:]: take(k) for k in arrays if k.startswith("sim.")})
    for i, r in enumerate(sim.plan):
        st = dict(state["rules"].get(f"{i}:{r.name}", {}))
        prefix = f"rule{i}."
        st.update({k[len(prefix):]: take(k) for k in arrays if k.startswith(prefix)})
        r.restore_state(st)
    if set(state["rng"]) != set(sim.rng):
        raise ValueError(f"checkpoint random streams {sorted(state['rng'])} differ from the run's {sorted(sim.rng)}")
    for name, g in sim.rng.items():
        g.bit_generator.state = state["rng"][name]
    return int(state["next_day"]), int(state["agent_steps"])


# ---- files -----------------------------------------------------------------------------------------------

def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save(out: Path, sim: Simulation, res: Results, next_day: int, agent_steps: int, params: dict[str, Any]) -> Path:
    """Write a checkpoint of the state after day ``next_day - 1`` into ``out/checkpoint`` (atomically)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    arrays, state = capture(sim, res, next_day, agent_steps)
    meta = {"format": FORMAT, "crossings_version": __version__, "params": params, "state": state}
    tmp = Path(tempfile.mkdtemp(prefix=f".{DIRNAME}.", suffix=".part", dir=out))
    try:
        with open(tmp / ARRAYS, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        with open(tmp / META, "w", encoding="utf-8") as fh:
            json.dump(meta, fh, indent=1, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        _fsync(tmp)
        final, old = out / DIRNAME, out / OLD
        if final.exists():
            if old.exists():
                shutil.rmtree(old)
            os.rename(final, old)
        os.rename(tmp, final)
        _fsync(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(out / OLD, ignore_errors=True)
    return final


def remove(out: Path) -> None:
    """Delete the checkpoints in ``out`` (and temporary ones a killed run left)."""
    out = Path(out)
    for p in (out / DIRNAME, out / OLD, *out.glob(f".{DIRNAME}.*.part")):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)


class Checkpoint:
    """A checkpoint read from disk: its metadata and arrays (loaded without pickle)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        meta_path = self.directory / META
        try:
            self.meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(meta_path, None, "checkpoint", f"cannot be read ({exc.__class__.__name__})") from None
        if not isinstance(self.meta, dict) or self.meta.get("format") != FORMAT or \
                not isinstance(self.meta.get("params"), dict) or not isinstance(self.meta.get("state"), dict):
            raise InputError(meta_path, None, "format", f"not a {FORMAT} checkpoint")
        self.params: dict[str, Any] = self.meta["params"]
        self.state: dict[str, Any] = self.meta["state"]
        self._arrays: dict[str, np.ndarray] | None = None

    @property
    def arrays(self) -> dict[str, np.ndarray]:
        if self._arrays is None:
            try:
                with np.load(self.directory / ARRAYS, allow_pickle=False) as z:
                    self._arrays = {k: z[k] for k in z.files}
            except (OSError, ValueError, zipfile.BadZipFile) as exc:
                raise InputError(self.directory / ARRAYS, None, "checkpoint",
                                 f"cannot be read ({exc.__class__.__name__})") from None
        return self._arrays

    def check_version(self) -> None:
        """Refuse a checkpoint written by another version of crossings."""
        v = self.meta.get("crossings_version")
        if v != __version__:
            raise InputError(self.directory / META, None, "crossings_version",
                             f"checkpoint written by crossings {v}, this is {__version__}; rerun from the start")

    def check_scenario(self, root: Path, out: Path | None) -> None:
        """Refuse a scenario whose files changed since the checkpoint was written."""
        if scenario_digest(root, out) != self.params.get("scenario_digest"):
            raise InputError(root, None, "scenario", "its files changed since the checkpoint was written; "
                             "rerun from the start")

    def check_state(self, days: int, row_bytes: int = 0) -> None:
        """Refuse stored counters outside their ranges (:data:`STATE_RANGES`; a tampered or damaged file), and an
        agent table of ``row_bytes`` a row that would not fit in the memory available, before anything is
        allocated from them."""
        st = self.state
        values = {"next_day": st.get("next_day"), "agent_steps": st.get("agent_steps"),
                  **{f"agents.{k}": v for k, v in (st.get("agents") or {}).items()}}
        for key, (lo, hi) in STATE_RANGES.items():
            v = values.get(key)
            top = days if key == "next_day" else hi
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= top:
                raise InputError(self.directory / META, None, f"state.{key}",
                                 f"{v!r} is not a valid stored value ({lo}..{top}); rerun from the start")
        if values["agents.n"] > values["agents.capacity"]:
            raise InputError(self.directory / META, None, "state.agents.n", "more agents than the table holds; "
                             "rerun from the start")
        have = available_bytes()
        if have is not None and values["agents.capacity"] * row_bytes > have:
            raise InputError(self.directory / META, None, "state.agents.capacity", f"{values['agents.capacity']:,} "
                             "agents do not fit in the memory available; rerun from the start")

    def restore(self, sim: Simulation, res: Results) -> tuple[int, int]:
        """Load this checkpoint into ``sim`` and ``res`` (see :func:`restore`)."""
        self.check_state(sim.days, sum(np.dtype(dt).itemsize for dt, _ in sim.agents.columns.values()))
        try:
            return restore(sim, res, self.arrays, self.state)
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(self.directory, None, "checkpoint", f"does not fit this run ({exc})") from None


def find(out: Path) -> Checkpoint:
    """The last complete checkpoint in ``out`` (``InputError`` if there is none)."""
    out = Path(out)
    for name in (DIRNAME, OLD):
        if (out / name / META).is_file() and (out / name / ARRAYS).is_file():
            return Checkpoint(out / name)
    if not out.is_dir():
        raise InputError(out, None, "--resume", "no such output directory")
    raise InputError(out, None, "--resume", f"no checkpoint in {out / DIRNAME} (was the run started with "
                     "--checkpoint-every N, and had it reached day N?)")


def run_params(sim: Simulation, scenario_path: Path, out: Path, every: int,
               digest: str | None = None) -> dict[str, Any]:
    """What a checkpoint records about its run: the scenario (as given, absolute, and the digest of its files),
    seed, rules, kernel, days and the checkpoint interval."""
    path = Path(scenario_path)
    return {"scenario": str(path), "scenario_abs": str(path.resolve()), "seed": sim.seed, "rules": sim.rules,
            "kernel": sim.kernel, "days": sim.days, "checkpoint_every": int(every),
            "scenario_digest": digest if digest is not None else scenario_digest(path, out)}


class Checkpointer:
    """Called by :meth:`Simulation.run` after each day: every ``every`` days (not after the last one) saves a
    checkpoint into ``out``."""

    def __init__(self, out: Path, every: int, params: dict[str, Any]) -> None:
        self.out = Path(out)
        self.every = int(every)
        self.params = params

    def __call__(self, sim: Simulation, res: Results, days_done: int, agent_steps: int) -> None:
        if self.every > 0 and days_done % self.every == 0 and days_done < sim.days:
            save(self.out, sim, res, days_done, agent_steps, self.params)
