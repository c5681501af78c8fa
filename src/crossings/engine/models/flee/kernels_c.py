"""ctypes bindings of the compiled move and travel phases (``_kernels.c``, built when the package is installed).

They take the same arrays as their NumPy twins in ``rules/move.py`` and ``rules/travel.py``.
"""

from __future__ import annotations

import ctypes
import importlib.util
from typing import TYPE_CHECKING

import numpy as np

from crossings.engine.kernels import run_context
from crossings.params.flee import ROUTES_CONTINUE
from crossings.scenario.model import TOWN

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation

_P = ctypes.c_void_p
_FIELDS = [
    "loc", "link", "progress", "route", "hop", "wake", "hops_done", "recent", "moved_today",
    "present", "on_link", "departures", "arrivals", "link_entries", "link_exits",
    "movechance", "is_camp", "is_town", "capacity", "score", "link_open", "path_open", "path_start",
    "path_links", "path_end", "path_base", "by_origin", "link_src", "link_dst", "link_dist", "link_speed",
    "link_walk",
]
_DTYPES = {
    "loc": np.int32, "link": np.int32, "progress": np.float32, "route": np.int32, "hop": np.int8,
    "wake": np.int32, "hops_done": np.int8, "recent": np.float32, "moved_today": np.float64,
    "present": np.int64, "on_link": np.int64, "departures": np.int64, "arrivals": np.int64,
    "link_entries": np.int64, "link_exits": np.int64, "movechance": np.float64, "is_camp": np.bool_,
    "is_town": np.bool_, "capacity": np.float64, "score": np.float64, "link_open": np.bool_,
    "path_open": np.bool_, "path_start": np.int64, "path_links": np.int32, "path_end": np.int32,
    "path_base": np.float64, "by_origin": np.int64, "link_src": np.int32, "link_dst": np.int32,
    "link_dist": np.float64, "link_speed": np.float64, "link_walk": np.float64,
}


class Ctx(ctypes.Structure):
    """Mirror of the C struct ``Ctx``: array pointers, then parameters."""

    _fields_ = [(name, _P) for name in _FIELDS] + [
        ("buffer", ctypes.c_double), ("weight_softening", ctypes.c_double), ("weight_power", ctypes.c_double),
        ("walk_speed", ctypes.c_double), ("max_speed", ctypes.c_double),
        ("continue_routes", ctypes.c_int32), ("any_walk", ctypes.c_int32), ("start_on_foot", ctypes.c_int32),
        ("avoid_short_stints", ctypes.c_int32),
    ]


def lib() -> ctypes.CDLL:
    """The shared library with its functions' signatures set. The system loads it once per process; each run
    keeps its handle on its :class:`KernelContext`, so no module-level state holds it."""
    spec = importlib.util.find_spec("crossings.engine._kernels")
    if spec is None or spec.origin is None:
        raise ImportError("the compiled kernels (crossings/engine/_kernels) are missing; reinstall crossings "
                          "with a C compiler available, or run with kernel='numpy'")
    lib = ctypes.CDLL(spec.origin)
    u64p = ctypes.POINTER(ctypes.c_uint64)
    for name in ("crossings_move_phase", "crossings_travel_phase"):
        f = getattr(lib, name)
        f.argtypes = [ctypes.POINTER(Ctx), ctypes.c_int64, ctypes.c_int32, u64p]
        f.restype = None
    lib.crossings_uniform.argtypes = [u64p]
    lib.crossings_uniform.restype = ctypes.c_double
    lib.crossings_wait.argtypes = [u64p, ctypes.c_double]
    lib.crossings_wait.restype = ctypes.c_int64
    lib.crossings_capmult.argtypes = [ctypes.POINTER(Ctx), ctypes.c_int32]
    lib.crossings_capmult.restype = ctypes.c_double
    return lib


def available() -> bool:
    """True if the compiled kernels are installed."""
    return importlib.util.find_spec("crossings.engine._kernels") is not None


def day_state(key: int, day: int) -> ctypes.c_uint64:
    """The RNG state for one rule (``key``) on one day."""
    return ctypes.c_uint64((key ^ ((day + 1) * 0xD1B54A32D192ED03)) & 0xFFFFFFFFFFFFFFFF)


class KernelContext:
    """The C context of one run: the library's handle, array pointers refreshed only when an array object
    changes (agent columns are the table's full buffers, which change only when the table grows), parameters
    set once."""

    def __init__(self, sim: Simulation) -> None:
        s = sim.settings
        links = sim.scenario.links
        self.lib = lib()
        self.ctx = Ctx()
        self._arrays: dict[str, np.ndarray] = {}
        self.ctx.buffer = float(s.capacity_buffer)
        self.ctx.weight_softening = float(s.weight_softening)
        self.ctx.weight_power = float(s.weight_power)
        self.ctx.walk_speed = float(s.max_walk_speed)
        self.ctx.max_speed = float(s.max_move_speed)
        self.ctx.continue_routes = int(sim.rules in ROUTES_CONTINUE)
        self.ctx.any_walk = int(bool((links.walk_probability > 0).any()))
        self.ctx.start_on_foot = int(s.start_on_foot)
        self.ctx.avoid_short_stints = int(s.avoid_short_stints)

    def update(self, sim: Simulation) -> Ctx:
        """Point the context at ``sim``'s current arrays and return it."""
        a, w, f = sim.agents, sim.world, sim.flows
        links = sim.scenario.links
        if sim.moved_today is None or len(sim.moved_today) < len(a):
            sim.moved_today = np.zeros(max(a.capacity, 1)) if sim.settings.avoid_short_stints else np.zeros(1)
        cols = a.cols
        arrays = {
            "loc": cols["loc"], "link": cols["link"], "progress": cols["progress"], "route": cols["route"],
            "hop": cols["hop"], "wake": cols["wake"], "hops_done": cols["hops_done"], "recent": cols["recent"],
            "moved_today": sim.moved_today, "present": w.present, "on_link": w.on_link,
            "departures": f.departures, "arrivals": f.arrivals, "link_entries": f.link_entries,
            "link_exits": f.link_exits, "movechance": w.movechance, "is_camp": w.is_camp(),
            "is_town": w.kind == TOWN, "capacity": w.capacity, "score": w.score, "link_open": w.link_open,
            "path_open": w.path_open, "path_start": w.paths.start, "path_links": w.paths.links,
            "path_end": w.paths.end, "path_base": w.path_base, "by_origin": w.paths.by_origin,
            "link_src": links.src, "link_dst": links.dst, "link_dist": links.distance, "link_speed": w.speed,
            "link_walk": links.walk_probability,
        }
        for name, arr in arrays.items():
            if self._arrays.get(name) is not arr:
                if arr.dtype != _DTYPES[name] or not arr.flags.c_contiguous:
                    raise TypeError(f"kernel array {name!r} must be a contiguous {np.dtype(_DTYPES[name])} array, "
                                    f"got {arr.dtype}")
                setattr(self.ctx, name, arr.ctypes.data)
                self._arrays[name] = arr
        return self.ctx


def _context(sim: Simulation) -> KernelContext:
    """The run's kernel context, made on the first compiled phase of the run."""
    return run_context(sim, "_kernel_context", KernelContext)


def move_phase(sim: Simulation, day: int) -> None:
    """Run the compiled move phase for ``day``."""
    state = day_state(sim.stream_key("move"), day)
    kc = _context(sim)
    kc.lib.crossings_move_phase(ctypes.byref(kc.update(sim)), len(sim.agents), day, ctypes.byref(state))


def travel_phase(sim: Simulation, day: int) -> None:
    """Run the compiled travel phase for ``day``."""
    state = day_state(sim.stream_key("travel"), day)
    kc = _context(sim)
    kc.lib.crossings_travel_phase(ctypes.byref(kc.update(sim)), len(sim.agents), day, ctypes.byref(state))
