"""Helpers of the ensemble tier: Dask scheduler and worker processes on loopback, and a command runner."""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class DaskProcesses:
    """A scheduler and workers run as separate processes, as on a real cluster."""

    address: str
    scheduler: subprocess.Popen
    workers: list[subprocess.Popen] = field(default_factory=list)

    def kill_worker(self, i: int) -> None:
        """SIGKILL worker i (no clean shutdown: as if its machine died)."""
        os.kill(self.workers[i].pid, signal.SIGKILL)
        self.workers[i].wait(timeout=30)


def _stop(p: subprocess.Popen) -> None:
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=15)


@contextlib.contextmanager
def dask_processes(tmp: Path, n_workers: int = 2) -> Iterator[DaskProcesses]:
    """Start ``dask scheduler`` and ``n_workers`` ``dask worker`` processes (no nanny) on 127.0.0.1."""
    import distributed

    tmp.mkdir(parents=True, exist_ok=True)
    sfile = tmp / "scheduler.json"
    log = open(tmp / "dask.log", "w")  # noqa: SIM115 - closed below
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    sched = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                              "--port", "0", "--no-dashboard", "--dashboard-address", "127.0.0.1:0",
                              "--scheduler-file", str(sfile)],
                             stdout=log, stderr=log, env=env)
    procs = DaskProcesses("", sched)
    try:
        deadline = time.monotonic() + 60
        while not sfile.is_file() or not sfile.read_text().strip():
            if sched.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dask scheduler did not start: {(tmp / 'dask.log').read_text()[-2000:]}")
            time.sleep(0.1)
        time.sleep(0.1)
        procs.address = json.loads(sfile.read_text())["address"]
        for i in range(n_workers):
            procs.workers.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file", str(sfile), "--nthreads",
                 "1", "--no-nanny", "--no-dashboard", "--dashboard-address", "127.0.0.1:0", "--host", "127.0.0.1",
                 "--name", f"w{i}"],
                stdout=log, stderr=log, env=env))
        with distributed.Client(procs.address, timeout="30s") as c:
            c.wait_for_workers(n_workers, timeout=60)
        yield procs
    finally:
        for w in procs.workers:
            _stop(w)
        _stop(sched)
        log.close()


def cli(argv: list[str]) -> int:
    """Run a ``crossings`` command in-process, through crossings.cli.main once the ensemble commands are
    wired into it, else through the ensemble module's own parsers with main's error handling."""
    import crossings.cli.main as main_mod

    if "ensemble" in inspect.getsource(main_mod):
        return main_mod.main(argv)
    from crossings.cli.ensemble import add_parsers, run
    from crossings.errors import InputError

    p = argparse.ArgumentParser(prog="crossings")
    sub = p.add_subparsers(dest="command", required=True)
    add_parsers(sub)
    args = p.parse_args(argv)
    try:
        return run(args)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return 2
