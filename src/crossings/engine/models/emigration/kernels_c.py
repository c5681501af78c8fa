"""ctypes bindings of the emigration model's compiled rules (``engine/_emigration.c``, in the extension
``crossings.engine._kernels`` with the Flee model's kernels): route choice, travel with dispatch and arrival,
border queues, flights, departures' new rows, returns, stays that run out, onward moves, money and the day's
recording. Each takes the run's arrays through one context (:class:`EmCtx`) and gives the same bytes as its NumPy
twin (the vectorised rule) for the same seed."""

from __future__ import annotations

import ctypes
import importlib.util
import operator
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from crossings.engine.kernels import run_context
from crossings.engine.models.emigration.entry import ENTRY_STREAM
from crossings.engine.models.emigration.routes import is_priced
from crossings.engine.rng import day_key
from crossings.scenario.emigration import AIR
from crossings.scenario.model import DESTINATION

if TYPE_CHECKING:
    from crossings.engine.simulation import Simulation

_I8, _I16, _I32, _I64, _U64 = np.int8, np.int16, np.int32, np.int64, np.uint64
_F32, _F64, _B = np.float32, np.float64, np.bool_
# The pointer fields of the C struct EmCtx, in its order, with their dtypes.
AGENT_FIELDS = (
    ("id", _I32), ("loc", _I32), ("link", _I32), ("home", _I32), ("progress", _F32), ("route", _I32), ("hop", _I8),
    ("state", _I8), ("since", _I32), ("tries", _I16), ("wait_days", _I16), ("travel_mode", _I8), ("category", _I8),
    ("sex", _I8), ("age_band", _I8), ("savings", _F32), ("stay_country", _I8), ("entry_day", _I32),
    ("window_start", _I32), ("window_used", _I16), ("allowed_until", _I32), ("permit", _I8), ("avoid", _I8),
    ("broke", _I8), ("entered", _U64),
)
STOCK_FIELDS = tuple((n, _I64) for n in ("present", "on_link", "in_country", "queue", "seat_wait", "permits",
                                          "at_home"))
FLOW_FIELDS = tuple((n, _I64) for n in ("departures", "arrivals", "link_entries", "link_exits"))
EFLOW_FIELDS = tuple((n, _I64) for n in (
    "entries", "exits", "joins", "passages", "wait_sum", "gave_up", "turned_back", "seat_joins", "boarded",
    "missed_seat", "seat_gave_up", "border", "refused", "permits_ended", "returns", "returned_home",
    "travellers_back", "cat_returned", "first_arrivals", "emigrant_returns"))
FIXED_FIELDS = (
    ("country", _I32), ("link_country", _I32), ("link_src", _I32), ("link_dst", _I32), ("link_days", _F64),
    ("gated", _B), ("is_air", _B), ("gates", _I64), ("link_cost", _F64), ("cost_of_living", _F64),
    ("settle_ok", _B), ("round_trip", _B), ("origin_pos", _I64), ("abroad", _B), ("banned", _B),
    ("per_entry", _I64), ("window_max", _I64), ("window_len", _I64), ("visa_days", _I64), ("visa_p", _F64),
    ("visa_cost", _F64), ("visa_holders", _F64), ("path_start", _I64), ("by_origin", _I64), ("path_links", _I32),
    ("path_n_links", _I32), ("path_end", _I32), ("path_cost", _F64),
)
WORLD_NAMES = tuple(name for name, _ in STOCK_FIELDS) + (
    "country", "link_country", "link_days", "gated", "gates", "link_cost", "abroad", "banned", "per_entry",
    "window_max", "window_len", "visa_days", "visa_p", "visa_cost", "visa_holders", "path_cost")
CHANGING = tuple(n for n, _ in AGENT_FIELDS) + WORLD_NAMES + tuple(n for n, _ in FLOW_FIELDS + EFLOW_FIELDS)
POINTERS = AGENT_FIELDS + STOCK_FIELDS + FLOW_FIELDS + EFLOW_FIELDS + FIXED_FIELDS
DTYPES = dict(POINTERS)
PARAMS = (("entry_key", ctypes.c_uint64), ("visa_salt", ctypes.c_double), *((n, ctypes.c_int64) for n in (
    "n_paths", "n_gates", "n_links", "n_cat", "n_sex", "n_age")), *((n, ctypes.c_int32) for n in (
              "day", "policies", "fares", "priced", "route_tries", "queue_patience", "seat_patience",
              "no_seat_stays")))


class EmCtx(ctypes.Structure):
    """Mirror of the C struct ``EmCtx``: array pointers, then the day's parameters."""

    _fields_ = [(name, ctypes.c_void_p) for name, _ in POINTERS] + list(PARAMS)


def lib() -> ctypes.CDLL:
    """The project's C library with the emigration kernels' signatures set. The system loads it once per
    process; each run keeps its handle on its :class:`EmigrationKernels`, so no module-level state holds it."""
    spec = importlib.util.find_spec("crossings.engine._kernels")
    if spec is None or spec.origin is None:
        raise ImportError("the compiled kernels (crossings/engine/_kernels) are missing; reinstall crossings "
                          "with a C compiler available, or run with kernel='numpy'")
    lib = ctypes.CDLL(spec.origin)
    ctx, p64, vp = ctypes.POINTER(EmCtx), ctypes.POINTER(ctypes.c_int64), ctypes.c_void_p
    i64, u64 = ctypes.c_int64, ctypes.c_uint64
    sigs: dict[str, tuple[list[Any], Any]] = {
        "crossings_day_key": ([u64, i64], u64),
        "crossings_counter_uniforms": ([u64, vp, vp, i64, vp], None),
        "crossings_em_constants": ([p64], None),
        "crossings_em_eps": ([], ctypes.c_double),
        "crossings_em_ctx_size": ([], i64),
        "crossings_em_layout": ([p64], i64),
        "crossings_em_route_choice": ([ctx, i64, vp, i64, i64, vp, u64, vp, vp, i64, i64], i64),
        "crossings_em_travel": ([ctx, i64, vp], None),
        "crossings_em_border_queues": ([ctx, i64, vp, vp], i64),
        "crossings_em_flights": ([ctx, i64, vp, vp], i64),
        "crossings_em_go_home": ([ctx, vp, i64], None),
        "crossings_em_money": ([ctx, i64, vp, ctypes.c_float, vp, vp, vp, vp, vp], i64),
        "crossings_em_money_broke": ([ctx, vp, i64, vp, ctypes.c_double], None),
        "crossings_em_onward_came": ([ctx, i64, vp, vp, vp, vp], i64),
        "crossings_em_onward_set": ([ctx, vp, i64, vp, vp, vp, i64], None),
        "crossings_em_onward_due": ([ctx, i64, vp, vp, i64, vp, vp], i64),
        "crossings_em_returns_due": ([ctx, i64, vp, vp, vp, p64], i64),
        "crossings_em_returns_pass": ([ctx, vp, i64, vp, vp, vp, vp, vp, vp, ctypes.c_double, ctypes.c_double,
                                       ctypes.c_double, vp, vp, i64], i64),
        "crossings_em_returns_set": ([ctx, vp, i64, vp, vp, vp, vp, vp, vp, i64], None),
        "crossings_em_stays_scan": ([ctx, i64, vp, i64, vp], i64),
        "crossings_em_stays_choose": ([ctx, vp, i64, vp, vp, ctypes.c_double], i64),
        "crossings_em_stays_apply": ([ctx, vp, i64, vp, vp, i64], None),
        "crossings_em_departures_add": ([ctx, i64, i64, vp, vp, vp, vp, vp, vp], None),
        "crossings_copy_rows": ([i64, i64, vp, vp, vp], None),
        "crossings_em_tally": ([ctx, i64, vp, vp, vp, vp, vp, vp, vp, i64, vp, i64, vp, vp], i64),
    }
    for name, (args, res) in sigs.items():
        f = getattr(lib, name)
        f.argtypes = args
        f.restype = res
    return lib


_FROM_BUFFER, _ADDRESS_OF = ctypes.c_char.from_buffer, ctypes.addressof


def _addr(arr: np.ndarray) -> int:
    """The address of a contiguous array's data: ``arr.ctypes.data`` at a fifth of its cost (a kernel call passes a
    few fresh arrays a day); an array that is empty or read-only (no writable buffer) falls back to ``ctypes``."""
    try:
        return _ADDRESS_OF(_FROM_BUFFER(arr))
    except (TypeError, ValueError, BufferError):
        return arr.ctypes.data


def _ptr(name: str, arr: np.ndarray) -> int:
    if arr.dtype != DTYPES.get(name, arr.dtype) or not arr.flags.c_contiguous:
        raise TypeError(f"kernel array {name!r} must be a contiguous {np.dtype(DTYPES[name])} array, got {arr.dtype}")
    return _addr(arr)


class EmigrationKernels:
    """The compiled rules' context for one run: the library's handle, the arrays' pointers (refreshed whenever an
    array object changes: the agent table grows, a resumed run restores it), the run's parameters."""

    def __init__(self, sim: Simulation) -> None:
        sc = sim.scenario
        spec, w = sc.emigration, sim.world
        self.lib = lib()
        self.ctx = EmCtx()
        self._table: tuple[Any, ...] | None = None  # (agent table, its generation, routes) the pointers are for
        self._current: tuple[np.ndarray, ...] = ()
        self._get_cols = operator.itemgetter(*(name for name, _ in AGENT_FIELDS))
        self._get_world = operator.attrgetter(*WORLD_NAMES)
        self._get_flows = operator.attrgetter(*(name for name, _ in FLOW_FIELDS))
        self._get_eflows = operator.attrgetter(*(name for name, _ in EFLOW_FIELDS))
        self._buffer = np.empty(0, dtype=np.int64)
        self._work: dict[str, np.ndarray] = {}
        self._seen: tuple[Any, ...] | None = None  # (day, table, its generation, world) of the last update
        self._addresses: dict[str, tuple[tuple[int, ...], list[int], list[weakref.ref]]] = {}
        self._copies: dict[str, tuple[Any, ...]] = {}
        self._entry_key = sim.stream_key(ENTRY_STREAM)
        self._fixed = {
            "is_air": np.ascontiguousarray(spec.link_mode == AIR),
            "settle_ok": np.ascontiguousarray(w.abroad[w.country] & (sc.locations.kind == DESTINATION)),
            "link_src": sc.links.src, "link_dst": sc.links.dst, "cost_of_living": spec.cost_of_living,
            "round_trip": np.zeros(len(spec.category.names), dtype=bool) if spec.round_trip is None
            else np.ascontiguousarray(spec.round_trip, dtype=bool),
            "origin_pos": np.full(len(sc.locations), -1, dtype=np.int64),
        }
        self._fixed["origin_pos"][w.origins] = np.arange(len(w.origins))
        st = spec.settings
        c = self.ctx
        c.n_paths, c.n_gates, c.n_links = len(w.routes.days), len(w.queue), len(sc.links)
        c.n_cat, c.n_sex, c.n_age = w.at_home.shape[1:] if w.at_home.ndim == 4 else (0, 0, 0)
        c.policies, c.fares, c.priced = int(bool(spec.policies)), int(bool(spec.link_cost.any())), int(is_priced(spec))
        c.route_tries, c.queue_patience = int(st.route_tries), int(st.queue_patience_days)
        c.seat_patience, c.no_seat_stays = int(st.seat_patience_days), int(bool(st.no_seat_stays))

    def arrays(self, sim: Simulation) -> dict[str, np.ndarray]:
        """Every array the kernels read or write, by field name (agent columns: the table's full buffers)."""
        out = dict(zip(CHANGING, self._changing(sim), strict=True))
        p = sim.world.routes.paths
        out.update({"path_start": p.start, "by_origin": p.by_origin, "path_links": p.links,
                    "path_n_links": p.n_links, "path_end": p.end})
        out.update(self._fixed)
        return out

    def _changing(self, sim: Simulation) -> tuple[np.ndarray, ...]:
        """The arrays whose objects may change during a run (the agent table grows; a resumed run restores its
        state), in the order of ``CHANGING`` (attribute getters written in C)."""
        return self._get_cols(sim.agents.cols) + self._others(sim)

    def _others(self, sim: Simulation) -> tuple[np.ndarray, ...]:
        """The world's and the day's flows' arrays of ``CHANGING`` (a restored checkpoint replaces them)."""
        return self._get_world(sim.world) + self._get_flows(sim.flows) + self._get_eflows(sim.eflows)

    def update(self, sim: Simulation, day: int) -> EmCtx:
        """Point the context at ``sim``'s current arrays, set the day and return it. The arrays are looked at again
        once a day and whenever the agent table replaced its columns (``AgentTable.generation``): nothing else
        replaces them within a day (a restored checkpoint does so before the day starts)."""
        a = sim.agents
        if self._seen is not None and self._seen[0] == day and self._seen[1] is a and self._seen[2] == a.generation \
                and self._seen[3] is sim.world:
            return self.ctx
        # The agent columns are known by the table's generation, not held: a grown table's old buffers are freed at
        # once (held, every growth would take fresh pages). The world's and the flows' arrays are small and kept.
        table = (a, a.generation, sim.world.routes)
        current = self._others(sim)
        if self._table is None or not (all(map(operator.is_, table, self._table)) and table[1] == self._table[1]
                                       and len(current) == len(self._current)
                                       and all(map(operator.is_, current, self._current))):
            for name, arr in self.arrays(sim).items():
                setattr(self.ctx, name, _ptr(name, arr))
            self.ctx.visa_salt = sim.world.visa_salt
            self._table, self._current = table, current
        self.ctx.day = day
        self.ctx.entry_key = day_key(self._entry_key, day)
        self._seen = (day, a, a.generation, sim.world)
        return self.ctx

    def addresses(self, key: str, arrays: tuple[np.ndarray, ...]) -> list[int]:
        """The data addresses of ``arrays`` (the arguments of kernel ``key``), worked out again only when one of
        the array objects is not the one of the last call (known by weak references: an array replaced, e.g. a
        grown column, is freed, not held here)."""
        ids = tuple(map(id, arrays))
        have = self._addresses.get(key)
        if have is not None and have[0] == ids:  # the same live objects: an entry is dropped when one of them dies
            return have[1]
        cache = self._addresses

        def forget(ref: weakref.ref, key: str = key) -> None:  # one of the arrays was freed: its id may be reused
            entry = cache.get(key)
            if entry is not None and any(r is ref for r in entry[2]):
                del cache[key]

        have = cache[key] = (ids, [_addr(arr) for arr in arrays], [weakref.ref(arr, forget) for arr in arrays])
        return have[1]

    def address_array(self, key: str, arrays: tuple[np.ndarray, ...]) -> tuple[int, list[int]]:
        """The address of an array of the addresses of ``arrays`` (a kernel's ``void *const *``), and those
        addresses; cached as ``addresses``."""
        have = self.addresses(key, arrays)
        if len(have) == len(arrays):  # made for these arrays: the array and its address kept after them
            table = np.array(have, dtype=np.uint64)
            have += [table, _addr(table)]
        return have[-1], have

    def buffer(self, n: int, name: str = "") -> np.ndarray:
        """A reusable int64 work array of at least ``n`` elements (one per ``name``: rules run one at a time, so
        they share the default one; a rule needing two at once names the second)."""
        buf = self._work.get(name, self._buffer)
        if buf.size < n or name not in self._work:
            buf = self._work[name] = np.empty(max(n, 2 * buf.size, 1024), dtype=np.int64)
        return buf


def _start(sim: Simulation, day: int) -> tuple[EmigrationKernels, dict[str, np.ndarray], int, Any, ctypes.CDLL]:
    """What a compiled rule starts with: the run's context, the agent table's whole column buffers (the same
    objects all run long; the column views are made anew whenever the row count changes), the row count, the
    context pointed at today's arrays, and the library."""
    kc = context(sim)
    return kc, sim.agents.cols, len(sim.agents), ctypes.byref(kc.update(sim, day)), kc.lib


def context(sim: Simulation) -> EmigrationKernels:
    """The run's compiled context, made on the first compiled rule of the run."""
    return run_context(sim, "_emigration_kernels", EmigrationKernels)


def _check(rc: int, what: str) -> None:
    if rc < 0:
        raise MemoryError(f"the compiled {what} kernel could not allocate its work arrays")


def route_choice(sim: Simulation, day: int, stack: Any, n_c: int, cat_stride: int, dkey: int,
                 build: Callable[[np.ndarray], None], thresholds: np.ndarray, level_stride: int) -> np.ndarray:
    """Every agent needing a route draws one (the compiled twin of ``route_choice.group_codes`` and ``choose``),
    from the rows ``stack.lut[code]`` of ``stack.cdf`` with the route stream's day key ``dkey``; groups without
    a row yet are first given one by ``build(codes)``; ``thresholds`` (float64, sorted) and ``level_stride`` give
    the agents' visa levels (``route_choice.HolderLevels``). Returns the rows of those left without a route who
    must leave where they are (``route_choice.must_leave``), in order."""
    kc = context(sim)
    n_rows = len(sim.agents)
    out = kc.buffer(n_rows)
    thr = thresholds if thresholds.size else _NONE
    for _ in range(2):  # the second call finds every group built
        ctx = kc.update(sim, day)
        lut, cdf, out_, thr_ = kc.addresses("route_choice", (stack.lut, stack.cdf, out, thr))
        n = kc.lib.crossings_em_route_choice(ctypes.byref(ctx), n_rows, lut, n_c, cat_stride, cdf, dkey, out_,
                                             thr_, thresholds.size, level_stride)
        if n >= 0:
            return out[:n].copy()
        build(_sorted_unique(out[:-n]))
    raise RuntimeError("route choice: groups still without weights after building them")


def _sorted_unique(x: np.ndarray) -> np.ndarray:
    """``np.unique(x)`` for a 1-D integer array, without the import of ``numpy.ma`` that ``np.unique`` makes on its
    first call (8 ms of a run's start-up)."""
    s = np.sort(x)
    return s[np.concatenate(([True], s[1:] != s[:-1]))] if s.size else s


def travel(sim: Simulation, day: int) -> None:
    """The compiled travel rule for ``day``."""
    kc = context(sim)
    n_rows = len(sim.agents)
    kc.lib.crossings_em_travel(ctypes.byref(kc.update(sim, day)), n_rows, *kc.addresses("travel", (kc.buffer(n_rows),)))


def border_queues(sim: Simulation, day: int, gate_cap: np.ndarray) -> None:
    """The compiled border queues for ``day`` with today's capacity per gate (int64)."""
    _serve(sim, day, "crossings_em_border_queues", gate_cap, "border queue")


def flights(sim: Simulation, day: int, seats: np.ndarray) -> None:
    """The compiled flights for ``day`` with today's seats per link (int64; 0 while closed, −1 unlimited)."""
    _serve(sim, day, "crossings_em_flights", seats, "flights")


def _serve(sim: Simulation, day: int, kernel: str, limits: np.ndarray, what: str) -> None:
    """Run a kernel that serves waiters up to ``limits`` (converted to int64) today."""
    kc = context(sim)
    n_rows = len(sim.agents)
    lim = np.ascontiguousarray(limits, dtype=np.int64)  # (the same object while the rule's limits stay)
    _check(getattr(kc.lib, kernel)(ctypes.byref(kc.update(sim, day)), n_rows,
                                   *kc.addresses(kernel, (lim, kc.buffer(n_rows)))), what)


def go_home(sim: Simulation, idx: np.ndarray) -> None:
    """The compiled ``movement.go_home`` of agents ``idx`` (rows, at places, not queued or waiting for a seat)."""
    kc = context(sim)
    rows = np.ascontiguousarray(idx, dtype=np.int64)
    kc.lib.crossings_em_go_home(ctypes.byref(kc.update(sim, sim.today)), _addr(rows), rows.size)


# ---- rules that draw from sequential streams: the kernels scan and keep the books, Python draws -------------

def money(sim: Simulation, day: int, col: np.ndarray, per_day: np.float32, cheaper_share: float) -> None:
    """``money.Money.step`` compiled: the daily pass (net costs of rows that moved, savings less the net cost, never
    below 0) finds the settled agents abroad broke today, counted per country; each draws (money stream, in row
    order, as the NumPy twin) whether it looks for a cheaper place or goes home."""
    kc, c, n, ctx, lib = _start(sim, day)
    rows = kc.buffer(n)
    p = kc.addresses("money", (col, c["remote_income"], c["net_cost"], c["cost_loc"], rows, sim.eflows.broke))
    m = lib.crossings_em_money(ctx, n, p[0], float(per_day), *p[1:])
    if m:
        u = sim.rng["money"].random(m)
        lib.crossings_em_money_broke(ctx, p[4], m, _addr(u), cheaper_share)


def onward(sim: Simulation, day: int, h: np.ndarray, scale: np.ndarray, window: int) -> None:
    """``onward.Onward.step`` compiled, the exponential draws of its clocks taken from the onward stream in the
    NumPy twin's order (rows that came to a transit place, then rows whose day is today at one)."""
    kc, c, n, ctx, lib = _start(sim, day)
    rows = kc.buffer(n)
    loc_, day_, h_, rows_, scale_, onward_ = kc.addresses("onward", (c["onward_loc"], c["onward_day"], h, rows, scale,
                                                                      sim.eflows.onward))
    m = lib.crossings_em_onward_came(ctx, n, loc_, day_, h_, rows_)
    if m:
        e = sim.rng["onward"].standard_exponential(m)
        lib.crossings_em_onward_set(ctx, rows_, m, _addr(e), scale_, day_, day - 1)
    m = lib.crossings_em_onward_due(ctx, n, day_, h_, window, onward_, rows_)
    if m:
        e = sim.rng["onward"].standard_exponential(m)
        lib.crossings_em_onward_set(ctx, rows_, m, _addr(e), scale_, day_, day)


def returns(sim: Simulation, day: int, rule: Any) -> None:
    """``returns.Returns.step`` after its clocks are set up for today, compiled; the uniforms of the rows tested
    and the exponential draws of the next test days come from the returns stream in the NumPy twin's order."""
    kc, c, n, ctx, lib = _start(sim, day)
    due, settled = kc.buffer(n), kc.buffer(n, "second")
    place = rule.place if rule.place is not None else _NONE
    day_, due_, settled_, group_, income_, hm_, top_, place_ = kc.addresses(
        "returns", (c["return_day"], due, settled, c["return_group"], c["remote_income"], rule.hm, rule.top, place))
    n_s = ctypes.c_int64(0)
    m = lib.crossings_em_returns_due(ctx, n, day_, due_, settled_, ctypes.byref(n_s))
    if m == 0:
        return
    u = sim.rng["returns"].random(n_s.value) if n_s.value else _NONE
    m = lib.crossings_em_returns_pass(ctx, settled_, n_s.value, _addr(u), group_, income_, hm_, top_,
                                      place_ if rule.place is not None else None, float(rule.low),
                                      float(rule.days_low), rule.days_per_month, day_, due_, m)
    if m:
        returns_set(sim, due[:m], day, rule)


_NONE = np.zeros(1)  # stands for an absent array in the address cache


def returns_set(sim: Simulation, rows: np.ndarray, day: int, rule: Any) -> None:
    """The next test day of ``rows`` (int64, in order) after ``day`` (``Returns.draw`` compiled)."""
    kc, c, _, ctx, lib = _start(sim, sim.today)
    e = sim.rng["returns"].standard_exponential(rows.size)
    p = kc.addresses("returns_set", (rule.scale, rule.pos, rule.shape_arr, c["return_group"], c["return_day"]))
    lib.crossings_em_returns_set(ctx, _addr(rows), rows.size, _addr(e), *p, day)


def tally(sim: Simulation, t: Any) -> int:
    """``counters.Tally.sync`` compiled: the rows that changed since the last sync counted again; returns their
    number."""
    kc, c, n, ctx, lib = _start(sim, sim.today)
    w = sim.world
    p = kc.addresses("tally", (c["seen_loc"], c["seen_link"], c["seen_entry"], c["seen_stay"], t.emigrant_u8,
                               w.emigrants, t.calendar))
    rows = kc.buffer(n)
    q = kc.addresses("tally_reg", (w.registered, t.reg_used if t.reg_used is not None else _NONE, rows))
    return lib.crossings_em_tally(ctx, n, *p, t.calendar.shape[1], q[1] if t.reg_used is not None else None,
                                  t.last_day, q[0], q[2])


# The arrays of the stays kernels, in the order of _emigration.c's SA_* indices.
STAY_ARRAYS = ("permit_day", "permit_p", "permit_wait", "permit_cost", "permit_w", "permit_elig", "visa_run_w",
               "permit_days", "visa_run_link", "ok", "cost", "leaves", "weights", "overstays", "visa_runs",
               "applications", "granted", "permits_refused")


def stays(sim: Simulation, day: int, rule: Any) -> None:
    """``stays.StayLimits.step`` compiled; the uniforms of the choices and of the applications come from the stays
    stream in the NumPy twin's order."""
    kc, c, n, ctx, lib = _start(sim, day)
    w, f = sim.world, sim.eflows
    ok, cost, leaves = rule.places(sim)
    rows = kc.buffer(n)
    arrays = (c["permit_day"], w.permit_p, w.permit_wait, w.permit_cost, w.permit_w, w.permit_elig, w.visa_run_w,
              w.permit_days, w.visa_run_link, ok, cost, leaves, rule.weights, f.overstays, f.visa_runs,
              f.applications, f.granted, f.permits_refused, rows)
    sa, have = kc.address_array("stays", arrays)
    rows_ = have[len(arrays) - 1]
    on = int(rule.permits)
    m = lib.crossings_em_stays_scan(ctx, n, sa, on, rows_)
    if m == 0:
        return
    rng = sim.rng["stays"]
    u = rng.random(m)
    m = lib.crossings_em_stays_choose(ctx, rows_, m, _addr(u), sa, rule.salt)
    if m:
        u = rng.random(m)
        lib.crossings_em_stays_apply(ctx, rows_, m, _addr(u), sa, on)


def copy_rows(sim: Simulation, key: str, day: int, sources: tuple[np.ndarray, ...],
              targets: tuple[np.ndarray, ...]) -> None:
    """``target[day] = source`` for each pair in one call (the day's recording): the pairs of the same dtype,
    contiguous, are copied in C; others, if any, by NumPy. The plan is made again when an array object changes."""
    kc = context(sim)
    have = kc._copies.get(key)
    if have is None or not (all(map(operator.is_, sources, have[0])) and all(map(operator.is_, targets, have[1]))):
        fast, slow = [], []
        for src, dst in zip(sources, targets, strict=True):
            ok = (src.dtype == dst.dtype and dst.ndim == 2 and src.shape == dst.shape[1:] and src.flags.c_contiguous
                  and dst.flags.c_contiguous)
            (fast if ok else slow).append((src, dst))
        addr = np.array([[_addr(s), _addr(d), s.nbytes] for s, d in fast], dtype=np.int64).reshape(-1, 3)
        cols = tuple(np.ascontiguousarray(addr[:, j]) for j in range(3))  # sources, targets, sizes
        have = kc._copies[key] = (sources, targets, len(fast), cols, [_addr(col) for col in cols], slow)
    n, p, slow = have[2], have[4], have[5]
    kc.lib.crossings_copy_rows(n, day, *p)
    for src, dst in slow:
        dst[day] = src


def departures_add(sim: Simulation, day: int, first: int, cells: np.ndarray, shape: np.ndarray, mode: np.ndarray,
                   savings: np.ndarray, income: np.ndarray) -> None:
    """``departures.Departures.add`` compiled: the new rows from ``first`` on, one per leaver, from each one's
    subgroup (``cells``: flat indices over ``shape``, int64) and drawn attributes (int64 travel mode, float32
    savings and remote income); each counted where it appears."""
    kc = context(sim)
    c, w = sim.agents.cols, sim.world
    arrays = (w.origins, c["left_day"], c["remote_income"], sim.flows.spawned, sim.eflows.left_home,
              sim.eflows.cat_left)
    da, have = kc.address_array("departures", (*arrays, shape))
    kc.lib.crossings_em_departures_add(ctypes.byref(kc.update(sim, day)), first, cells.size, _addr(cells),
                                       have[len(arrays)], _addr(mode), _addr(savings),
                                       _addr(income), da)
