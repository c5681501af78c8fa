"""Members on Dask: a LocalCluster by default, any running Dask cluster with ``--scheduler tcp://host:port``.

The frozen scenario travels to the workers as the result of one small task (so Dask can recompute it if a
worker holding it dies); each member is one further task that runs one simulation. Results come back as
they finish and are handed on with their member index, so the caller can reduce them in member order
whatever the number of workers, the order of completion, or a worker lost on the way.

A large ensemble runs members in batches instead (:func:`map_batches`): a batch's series stay on its worker, which
reduces them to a :class:`~crossings.ensemble.summary.BatchSummary` on bins fixed by a pilot (the first members
by index), so the client receives a fixed-size summary per batch and never a member's series.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from crossings.ensemble.member import MemberResult, run_member
from crossings.ensemble.summary import BatchSummary, Edges, Layout, edges_from, summarise
from crossings.errors import InputError, MachineError
from crossings.scenario.model import Scenario


def need_dask() -> None:
    """Raise a one-line :class:`InputError` when Dask is not installed."""
    try:
        # deferred: Dask takes a second to import, and only members need it
        import distributed  # noqa: F401
    except ImportError:
        raise InputError("crossings", None, "ensemble", "needs Dask: pip install 'crossings[ensemble]'") from None


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def open_client(workers: int | None = None, scheduler: str | None = None, client: Any = None) -> Iterator[Any]:
    """A Dask client: ``client`` itself if given, else one connected to ``scheduler``, else to a new
    LocalCluster of ``workers`` single-threaded worker processes on loopback (closed on exit)."""
    if client is not None:
        yield client
        return
    need_dask()
    import distributed  # deferred: Dask takes a second to import, and only members need it

    if scheduler is not None:
        try:
            c = distributed.Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError("--scheduler", None, scheduler, f"cannot connect: {str(exc).splitlines()[0]}") \
                from None
        try:
            yield c
        finally:
            c.close()
        return
    n = default_workers() if workers is None else workers
    if n < 1:
        raise InputError("--workers", None, "workers", f"{n} is not a positive number of workers")
    import dask  # deferred: Dask takes a second to import, and only members need it

    # Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536, so glibc hands freed memory back to the system at
    # once; a member allocates and frees arrays of every agent each day, and the page faults that follow cost
    # it about a fifth more CPU time (russia2022). The members' workers keep glibc's own (adaptive) threshold.
    env = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ", {}).items()
           if k != "MALLOC_TRIM_THRESHOLD_"}
    try:
        with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
            cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                               dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL)
    except Exception as exc:  # noqa: BLE001 - e.g. "Nanny failed to start" (a worker killed while starting)
        raise MachineError("LocalCluster", f"{n} Dask workers failed to start: "
                           f"{(str(exc).splitlines() or [type(exc).__name__])[0]}") from None
    try:
        c = distributed.Client(cluster)
    except Exception as exc:  # noqa: BLE001 - the cluster's scheduler gone before the client connects
        cluster.close()
        raise MachineError("LocalCluster", f"cannot connect to the local cluster: "
                           f"{(str(exc).splitlines() or [type(exc).__name__])[0]}") from None
    try:
        yield c
    finally:
        # Workers shutting down log lost heartbeats; nothing the user needs to see.
        quiet = [logging.getLogger(n) for n in ("distributed", "tornado")]
        levels = [lg.level for lg in quiet]
        for lg in quiet:
            lg.setLevel(logging.CRITICAL)
        try:
            c.close()
            cluster.close()
        finally:
            for lg, lv in zip(quiet, levels, strict=True):
                lg.setLevel(lv)


def describe(client: Any, scheduler: str | None = None, given: Any = None) -> str:
    """Where members run, for messages: the kind of cluster and its number of workers."""
    n = len(client.nthreads())
    kind = f"scheduler {scheduler}" if scheduler else ("the given client" if given is not None else "a LocalCluster")
    return f"{kind} with {n} worker{'s' if n != 1 else ''}"


def _thaw(payload: bytes) -> Scenario:
    return pickle.loads(payload)


def _member(scenario: Scenario, params: Mapping[str, Any], seed: int, kw: Mapping[str, Any]) -> Any:
    return run_member(scenario, params, seed, **kw)


def map_members(client: Any, scenario: Scenario, params: Sequence[Mapping[str, Any]], seeds: Sequence[int],
                progress: Callable[[int, int], None] | None = None, **kw: Any) -> Iterator[tuple[int, Any]]:
    """Run member i = ``run_member(scenario, params[i], seeds[i], **kw)`` on the cluster; yield ``(i, result)``
    as members finish (any order). A member whose worker dies is run again elsewhere by Dask."""
    from distributed import as_completed  # deferred: Dask takes a second to import, and only members need it

    if len(params) != len(seeds):
        raise ValueError("one parameter mapping per seed")
    total = len(seeds)
    if progress is not None:
        progress(0, total)
    if not total:
        return
    payload = pickle.dumps(scenario, protocol=pickle.HIGHEST_PROTOCOL)
    token = hashlib.sha256(payload).hexdigest()[:16]
    sc_future = client.submit(_thaw, payload, key=f"crossings-scenario-{token}", pure=False)
    batch = uuid.uuid4().hex[:12]
    futures = [client.submit(_member, sc_future, dict(p), int(s), dict(kw), key=f"crossings-member-{batch}-{i}",
                             pure=False) for i, (p, s) in enumerate(zip(params, seeds, strict=True))]
    index = {f.key: i for i, f in enumerate(futures)}
    done = 0
    try:
        for fut, result in as_completed(futures, with_results=True):
            i = index[fut.key]
            fut.release()
            done += 1
            if progress is not None:
                progress(done, total)
            yield i, result
    finally:
        for f in futures:
            f.release()
        sc_future.release()


# ---- members in batches, reduced on the workers ------------------------------------------------------------------

@dataclass
class _Batch:
    """A batch of members on its worker: their results without series, and the series as one (members, cells)
    array."""

    members: list[MemberResult]
    layout: Layout
    x: np.ndarray


def _run_batch(scenario: Scenario, params: Sequence[Mapping[str, Any]], seeds: Sequence[int],
               kw: Mapping[str, Any]) -> _Batch:
    """Run a batch of members on a worker; their series stay there, stacked, for :func:`_reduce_batch`."""
    results = [run_member(scenario, p, s, **kw) for p, s in zip(params, seeds, strict=True)]
    first = results[0].series
    assert first is not None
    layout = Layout.of(first)
    x = np.stack([layout.flat(r.series or {}) for r in results])
    for r in results:
        r.series = None
    return _Batch(results, layout, x)


def _batch_range(batch: _Batch) -> tuple[Layout, np.ndarray, np.ndarray]:
    """A pilot batch's smallest and largest value per cell (two vectors travel, not the series)."""
    return batch.layout, batch.x.min(axis=0), batch.x.max(axis=0)


def _pilot_edges(bins: int, *ranges: tuple[Layout, np.ndarray, np.ndarray]) -> Edges:
    """The bins of every cell from the pilot batches' ranges (min and max: the same in any order)."""
    layout = ranges[0][0]
    if any(r[0] != layout for r in ranges):
        raise RuntimeError("members of the pilot kept other series (or other shapes) than the first member")
    vmin = np.minimum.reduce([r[1] for r in ranges])
    vmax = np.maximum.reduce([r[2] for r in ranges])
    return edges_from(vmin, vmax, bins)


def _reduce_batch(batch: _Batch, edges: Edges) -> tuple[list[MemberResult], Layout, BatchSummary]:
    """A batch's members without series and its summary on the pilot's bins: what the client receives."""
    return batch.members, batch.layout, summarise(batch.x, edges)


def batch_bounds(total: int, pilot: int, size: int) -> list[tuple[int, int]]:
    """Member index ranges [start, stop) of the batches: the pilot's members (the first ``pilot``) in batches of
    ``size``, then the rest. The reductions do not depend on it (only the pilot's members set the bins)."""
    if size < 1 or not 1 <= pilot <= total:
        raise ValueError(f"batches of {size} with a pilot of {pilot} of {total} members")
    cuts = [*range(0, pilot, size), *range(pilot, total, size), total]
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def map_batches(client: Any, scenario: Scenario, params: Sequence[Mapping[str, Any]], seeds: Sequence[int], *,
                pilot: int, bins: int, size: int, progress: Callable[[int, int], None] | None = None,
                **kw: Any) -> Iterator[tuple[int, list[MemberResult], Layout, BatchSummary, Edges]]:
    """Run the members in batches (member i = ``run_member(scenario, params[i], seeds[i], keep_series=True,
    **kw)``), each batch's series reduced on its worker on bins set by the first ``pilot`` members; yield
    ``(first member index, members without series, layout, summary, the bins)`` as batches finish (any
    order)."""
    from distributed import as_completed  # deferred: Dask takes a second to import, and only members need it

    if len(params) != len(seeds):
        raise ValueError("one parameter mapping per seed")
    total = len(seeds)
    if progress is not None:
        progress(0, total)
    bounds = batch_bounds(total, pilot, size)
    payload = pickle.dumps(scenario, protocol=pickle.HIGHEST_PROTOCOL)
    token = hashlib.sha256(payload).hexdigest()[:16]
    sc_future = client.submit(_thaw, payload, key=f"crossings-scenario-{token}", pure=False)
    tag = uuid.uuid4().hex[:12]
    kw = {**kw, "keep_series": True}
    runs = [client.submit(_run_batch, sc_future, [dict(p) for p in params[a:b]], [int(s) for s in seeds[a:b]], kw,
                          key=f"crossings-batch-{tag}-{a}", pure=False) for a, b in bounds]
    ranges = [client.submit(_batch_range, f, key=f"crossings-range-{tag}-{a}", pure=False, priority=2)
              for f, (a, _) in zip(runs, bounds, strict=True) if a < pilot]
    edges = client.submit(_pilot_edges, bins, *ranges, key=f"crossings-edges-{tag}", pure=False, priority=2)
    reduced = [client.submit(_reduce_batch, f, edges, key=f"crossings-reduce-{tag}-{a}", pure=False, priority=1)
               for f, (a, _) in zip(runs, bounds, strict=True)]
    first = {f.key: i for i, f in enumerate(reduced)}
    done = 0
    bins_of: Edges | None = None
    try:
        for fut, (members, layout, summary) in as_completed(reduced, with_results=True):
            j = first[fut.key]
            fut.release()
            runs[j].release()
            if bins_of is None:
                bins_of = edges.result()  # once: the same bins serve every batch
            done += len(members)
            if progress is not None:
                progress(done, total)
            yield bounds[j][0], members, layout, summary, bins_of
    finally:
        for f in (*reduced, *runs, *ranges, edges, sc_future):
            f.release()
