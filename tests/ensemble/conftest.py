"""Fixtures of the ensemble tier: real Dask clusters on loopback (a LocalCluster of two worker processes, and
a scheduler with two workers started as separate ``dask`` processes), and a command-line runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ensemble_helpers import DaskProcesses, dask_processes

pytest.importorskip("distributed", reason="the ensemble tier needs Dask: pip install -e '.[ensemble]'")
pytest.importorskip("SALib", reason="the ensemble tier needs SALib: pip install -e '.[ensemble]'")
pytest.importorskip("optuna", reason="the ensemble tier needs Optuna: pip install -e '.[ensemble]'")


@pytest.fixture(scope="module")
def remote_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskProcesses]:
    """A scheduler and two workers in their own processes, shared by a test module."""
    with dask_processes(tmp_path_factory.mktemp("dask")) as procs:
        yield procs


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled demo scenario (8 locations, 3 observed camps), written once."""
    from crossings.scenarios.demo import write_demo

    return write_demo(tmp_path_factory.mktemp("ens-demo") / "demo")
