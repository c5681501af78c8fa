"""Issue 22 item 6, the machine's faults: a full disk while a run writes its outputs is one line and exit 1 with
the earlier run's files in --out exactly as they were (the new set is written into a hidden staging folder and
renamed in only once complete); a Dask cluster whose workers fail to start is one line and exit 1; an
unreachable --scheduler is one line and exit 2. The commands run in-process (``crossings.cli.main.main``)."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import crossings.files
from crossings.cli.main import main
from crossings.files import STAGE_PREFIX, staging, swap_in
from crossings.scenarios.emigration_demo import write_emigration_demo


def cli(*args: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(list(args))
    return rc, err.getvalue()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_emigration_demo(tmp_path_factory.mktemp("faults") / "exodus-mini")


@pytest.mark.parametrize("fail_at", [0, 1, 3, 5])  # the first file, a Parquet table, observations.csv, summary.json
def test_a_full_disk_while_writing_is_exit_1_with_the_earlier_outputs_intact(tmp_path, demo, monkeypatch, fail_at):
    out = tmp_path / "out"
    rc, err = cli("run", str(demo), "--out", str(out), "--days", "10", "--quiet")
    assert rc == 0, err
    before = snapshot(out)
    assert "summary.json" in before and "report.html" in before
    real = crossings.files.atomic_write
    calls = []

    def full_disk(path: Path, write) -> None:
        calls.append(Path(path).name)
        if len(calls) > fail_at:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, write)

    monkeypatch.setattr(crossings.files, "atomic_write", full_disk)
    rc, err = cli("run", str(demo), "--out", str(out), "--days", "12", "--seed", "3", "--quiet")
    assert rc == 1, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert "No space left on device" in err and str(out) in err, err
    assert len(calls) == fail_at + 1, calls
    assert snapshot(out) == before, "the earlier run's files must stay exactly as they were"
    assert not list(out.glob(f"{STAGE_PREFIX}*")), "the staging folder must be removed"


def test_a_full_disk_writing_into_a_new_out_leaves_no_folder(tmp_path, demo, monkeypatch):
    def full_disk(path: Path, write) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(crossings.files, "atomic_write", full_disk)
    out = tmp_path / "new" / "out"
    rc, err = cli("run", str(demo), "--out", str(out), "--days", "5", "--quiet")
    assert rc == 1 and len(err.splitlines()) == 1, err
    assert not out.exists()


def test_the_swap_moves_the_marker_last_and_removes_stale_files(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for name, text in (("summary.json", "old"), ("a.parquet", "old"), ("stale.csv", "old"), ("mine.txt", "mine")):
        (out / name).write_text(text)
    moved = []
    with staging(out) as stage:
        for name in ("summary.json", "a.parquet", "b.parquet"):
            (stage / name).write_text("new")
        real = os.replace

        def spy(src, dst):
            moved.append(Path(dst).name)
            real(src, dst)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(os, "replace", spy)
            swap_in(stage, out, "summary.json", ["stale.csv", "missing.csv"])
    assert moved[-1] == "summary.json" and sorted(moved) == ["a.parquet", "b.parquet", "summary.json"]
    assert sorted(p.name for p in out.iterdir()) == ["a.parquet", "b.parquet", "mine.txt", "summary.json"]
    assert (out / "a.parquet").read_text() == "new" and (out / "mine.txt").read_text() == "mine"


def test_a_killed_runs_staging_folder_is_removed_by_the_next_write(tmp_path, demo):
    out = tmp_path / "out"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    left = out / f"{STAGE_PREFIX}{dead}.abc.part"
    left.mkdir(parents=True)
    (left / "summary.json").write_text("{")
    rc, err = cli("run", str(demo), "--out", str(out), "--days", "5", "--quiet", "--no-report")
    assert rc == 0, err
    assert not left.exists() and not list(out.glob(".*")), sorted(p.name for p in out.iterdir())


def test_workers_that_fail_to_start_are_exit_1_in_one_line(tmp_path, demo, monkeypatch):
    distributed = pytest.importorskip("distributed")

    def nanny_fails(*args, **kwargs):
        raise RuntimeError("Nanny failed to start.\nmore detail on a second line")

    monkeypatch.setattr(distributed, "LocalCluster", nanny_fails)
    out = tmp_path / "ens"
    rc, err = cli("ensemble", str(demo), "--members", "2", "--days", "5", "--out", str(out), "--quiet")
    assert rc == 1, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert "Nanny failed to start" in err and "workers failed to start" in err, err
    assert not out.exists() or not any(out.iterdir()), sorted(p.name for p in out.iterdir())


def test_an_unreachable_scheduler_is_exit_2_in_one_line(tmp_path, demo):
    pytest.importorskip("distributed")
    out = tmp_path / "ens"
    rc, err = cli("ensemble", str(demo), "--members", "2", "--days", "5", "--out", str(out), "--quiet",
                  "--scheduler", "tcp://127.0.0.1:1")
    assert rc == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert "--scheduler" in err and "tcp://127.0.0.1:1" in err, err
    assert not out.exists() or not any(out.iterdir()), sorted(p.name for p in out.iterdir())


def test_a_full_disk_while_an_ensemble_writes_leaves_the_earlier_one_intact(tmp_path, demo, monkeypatch):
    pytest.importorskip("distributed")
    out = tmp_path / "ens"
    args = ("ensemble", str(demo), "--members", "2", "--workers", "1", "--days", "10", "--out", str(out),
            "--quiet")
    rc, err = cli(*args)
    assert rc == 0, err
    before = snapshot(out)
    assert "ensemble.json" in before and any(k.startswith("bands/") for k in before), sorted(before)
    real = crossings.files.atomic_write
    calls = []

    def full_disk(path: Path, write) -> None:
        calls.append(Path(path).name)
        if len(calls) > 3:  # after the bands' first tables
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, write)

    monkeypatch.setattr(crossings.files, "atomic_write", full_disk)
    import crossings.ensemble.ensemble as ens

    monkeypatch.setattr(ens, "atomic_write", full_disk)
    rc, err = cli(*args, "--seed", "7")
    assert rc == 1 and len(err.splitlines()) == 1 and "No space left on device" in err, err
    assert snapshot(out) == before
    assert not list(out.glob(f"{STAGE_PREFIX}*"))
    monkeypatch.undo()
    rc, err = cli(*args, "--seed", "7")
    assert rc == 0, err
    after = snapshot(out)
    assert sorted(after) == sorted(before) and after != before  # the new ensemble replaced the whole set
