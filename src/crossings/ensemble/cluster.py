"""Members on Dask: a LocalCluster by default, any running Dask cluster with ``--scheduler tcp://host:port``.

The frozen scenario travels to the workers as the result of one small task (so Dask can recompute it if a
worker holding it dies); each member is one further task that runs one simulation. Results come back as
they finish and are handed on with their member index, so the caller can reduce them in member order
whatever the number of workers, the order of completion, or a worker lost on the way.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from crossings.ensemble.member import run_member
from crossings.errors import InputError
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
    with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
        cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                           dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL)
    c = distributed.Client(cluster)
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
