"""``pip install .`` on a machine without a C compiler (issue 21): the build skips the compiled kernels
(``CC=/bin/false`` makes every compile fail) and the installed ``crossings`` runs a Flee conflict and the default
scenario for 30 days on the NumPy twins, saying so once. The package is installed from a copy of the sources
into a fresh virtual environment; its dependencies come from the package index (pip's cache makes that quick
after the first time)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def _sources(into: Path) -> Path:
    """The files ``pip install .`` needs, without build products (no .so, no egg-info, no caches)."""
    for name in ("pyproject.toml", "setup.py", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, into / name)
    shutil.copytree(REPO / "src", into / "src",
                    ignore=shutil.ignore_patterns("*.so", "__pycache__", "*.egg-info", "build"))
    return into


def _run(cmd: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=1500)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n" \
                                 f"{proc.stderr[-3000:]}"
    return proc


def test_pip_install_without_a_compiler_runs_on_the_numpy_kernels(tmp_path: Path, flee_data) -> None:
    mali = flee_data("mali2012")
    (tmp_path / "sources").mkdir()
    src = _sources(tmp_path / "sources")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / "bin"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PIP_REQUIRE"))}
    env.update({"CC": "/bin/false", "CXX": "/bin/false", "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
                "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    proc = _run([str(bin_dir / "pip"), "install", "--quiet", str(src)], env, tmp_path)
    probe = _run([str(bin_dir / "python"), "-c", "import importlib.util, crossings; "
                  "print(importlib.util.find_spec('crossings.engine._kernels') is None, crossings.__file__)"],
                 env, tmp_path)
    missing, where = probe.stdout.split()
    assert missing == "True", "CC=/bin/false must leave the compiled kernels unbuilt"
    assert Path(where).resolve().is_relative_to(env_dir.resolve()), f"crossings imported from {where}"
    runs = {"mali2012": [str(mali), "--seed", "1"], "russia2022": []}
    for name, args in runs.items():
        out = tmp_path / "out" / name
        proc = _run([str(bin_dir / "crossings"), "run", *args, "--days", "30", "--out", str(out), "--no-report"],
                    env, tmp_path)
        assert [ln for ln in proc.stderr.splitlines() if ln.startswith("kernel:")] == [
            "kernel: NumPy (the compiled kernels were not built at install: no C compiler then)"], proc.stderr
        summary = json.loads((out / "summary.json").read_text())
        assert summary["days"] == 30 and summary["agents_final"] > 0, name
        assert summary["kernel"] == "numpy", f"{name}: summary.json must record the kernel the run used"
