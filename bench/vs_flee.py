"""Benchmark crossings against Flee 3.1: wall time and validation error (rescaled ARD) per conflict.

Usage: python bench/vs_flee.py [--conflicts mali2012,burundi2015,car2013,ssudan2014] [--seeds 5] [--json]
       [--data-dir ../shared/data/flee] [--flee-python PATH] [--flee-cache DIR] [--reuse-flee] [--flee-only]

Both simulators run as whole processes, timed with time.perf_counter around the subprocess. Each gets one
untimed warm-up first (crossings: a full run with seed 0; Flee: a 10-day run, since pure Python has no JIT to
warm up and a full warm-up would cost minutes). Then seeds 1..N; per conflict all Flee runs come first, then
crossings. ARD comes from each run's out.csv through crossings.observed.metrics for both simulators.
Every fresh Flee run is stored in --flee-cache/<conflict>/seed<N>/ (out.csv, meta.json, flee.log);
--reuse-flee uses those instead of rerunning and marks the figures as cached. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SRC = REPO / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

from crossings.observed.metrics import ard_from_out_csv  # noqa: E402

DEFAULT_CONFLICTS = ["mali2012", "burundi2015", "car2013", "ssudan2014"]
DEFAULT_DATA_DIR = REPO.parent / "shared" / "data" / "flee"
DEFAULT_FLEE_PYTHON = BENCH / ".cache" / "venv-flee" / "bin" / "python"
DEFAULT_FLEE_CACHE = BENCH / ".cache" / "flee"
CROSSINGS_OUT = BENCH / ".cache" / "crossings"
FLEE_RUNNER = BENCH / "flee_runner.py"
FLEE_WARMUP_DAYS = 10
CACHE_FORMAT = 1


@dataclass
class Run:
    """One timed simulator run (or a cached Flee run)."""

    seed: int
    wall_s: float
    ard_rescaled: float
    ard_normal: float
    cached: bool = False
    finished_at: str = ""
    out_csv: str = ""
    internal: dict[str, Any] = field(default_factory=dict)
    cpu_s: float | None = None  # user + system CPU seconds of the process (robust to other load)


class SimulatorError(RuntimeError):
    """A simulator process failed; the message says which command and why."""


def log(msg: str) -> None:
    """Progress line on stderr."""
    print(f"[vs_flee {datetime.now().strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def now_iso() -> str:
    """Current UTC time, ISO 8601, seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def scenario_digest(scenario: Path) -> str:
    """SHA-256 over every file (relative path and bytes) of a scenario directory."""
    h = hashlib.sha256()
    for p in sorted(q for q in scenario.rglob("*") if q.is_file()):
        h.update(str(p.relative_to(scenario)).encode())
        h.update(b"\0")
        h.update(p.read_bytes())
    return h.hexdigest()


def machine_info() -> dict[str, Any]:
    """Host facts worth keeping next to timings."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "host": platform.node(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }


def flee_versions(flee_python: Path) -> dict[str, str]:
    """Versions of flee, numpy and pandas in the Flee interpreter."""
    if not flee_python.exists():
        raise SimulatorError(f"no Flee interpreter at {flee_python}; create it as bench/README.md says")
    code = "import json, flee, numpy, pandas, sys; print(json.dumps({'flee': flee.__version__, "
    code += "'numpy': numpy.__version__, 'pandas': pandas.__version__, 'python': sys.version.split()[0]}))"
    res = subprocess.run([str(flee_python), "-c", code], capture_output=True, text=True)
    if res.returncode != 0:
        raise SimulatorError(f"cannot import flee with {flee_python}:\n{res.stderr.strip()[-2000:]}")
    return json.loads(res.stdout)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], log_path: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run cmd with stdout+stderr to log_path; (wall, CPU) seconds, or SimulatorError on a non-zero exit."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w", encoding="utf-8") as fh:
        c0 = _children_cpu()
        t0 = time.perf_counter()
        rc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env).returncode
        wall = time.perf_counter() - t0
        cpu = _children_cpu() - c0
    if rc != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-15:]
        raise SimulatorError(f"exit {rc}: {' '.join(cmd)}\n  " + "\n  ".join(tail))
    return wall, cpu


def flee_cmd(flee_python: Path, scenario: Path, seed: int, out: Path, days: int = 0) -> list[str]:
    """Command line of one Flee run."""
    cmd = [
        str(flee_python),
        str(FLEE_RUNNER),
        str(scenario),
        "--seed",
        str(seed),
        "--out",
        str(out),
        "--quiet",
    ]
    return cmd + (["--days", str(days)] if days > 0 else [])


def load_cached_flee(seed_dir: Path, digest: str) -> Run | None:
    """The cached Flee run in seed_dir if it is complete and made from the same scenario inputs."""
    meta_path, out = seed_dir / "meta.json", seed_dir / "out.csv"
    if not (meta_path.is_file() and out.is_file()):
        return None
    meta = json.loads(meta_path.read_text())
    if meta.get("format") != CACHE_FORMAT or meta.get("scenario_sha256") != digest:
        log(f"  cache {seed_dir} was made from other inputs; rerunning")
        return None
    ard = ard_from_out_csv(out)
    cpu = meta.get("cpu_s")
    log_file = seed_dir / "flee.log"
    if cpu is None and log_file.is_file():  # runs cached before CPU time was stored: the runner's own line
        m = re.search(r"cpu ([0-9.]+) s", log_file.read_text(errors="replace"))
        cpu = float(m.group(1)) if m else None
    return Run(
        seed=meta["seed"],
        wall_s=meta["wall_s"],
        ard_rescaled=ard["ard_rescaled"],
        ard_normal=ard["ard_normal"],
        cached=True,
        finished_at=meta["finished_at"],
        out_csv=str(out),
        cpu_s=cpu,
    )


def run_flee_seed(
    flee_python: Path, scenario: Path, seed: int, seed_dir: Path, digest: str, versions: dict[str, str]
) -> Run:
    """Run Flee fresh for one seed and store out.csv, meta.json and flee.log in seed_dir."""
    seed_dir.mkdir(parents=True, exist_ok=True)
    (seed_dir / "meta.json").unlink(missing_ok=True)
    out = seed_dir / "out.csv"
    started = now_iso()
    wall, cpu = timed(flee_cmd(flee_python, scenario, seed, out), seed_dir / "flee.log")
    finished = now_iso()
    meta = {
        "format": CACHE_FORMAT,
        "conflict": scenario.name,
        "seed": seed,
        "wall_s": wall,
        "cpu_s": cpu,
        "started_at": started,
        "finished_at": finished,
        "scenario": str(scenario),
        "scenario_sha256": digest,
        "versions": versions,
        "machine": machine_info(),
        "load_avg_at_end": os.getloadavg(),
    }
    tmp = seed_dir / "meta.json.part"
    tmp.write_text(json.dumps(meta, indent=2) + "\n")
    tmp.replace(seed_dir / "meta.json")
    ard = ard_from_out_csv(out)
    return Run(seed, wall, ard["ard_rescaled"], ard["ard_normal"], False, finished, str(out), cpu_s=cpu)


def flee_runs(args: argparse.Namespace, scenario: Path, seeds: list[int]) -> list[Run]:
    """All Flee runs of one conflict: cached ones (with --reuse-flee), then a warm-up and the fresh ones."""
    digest = scenario_digest(scenario)
    cache = args.flee_cache / scenario.name
    runs: dict[int, Run] = {}
    if args.reuse_flee:
        for seed in seeds:
            hit = load_cached_flee(cache / f"seed{seed}", digest)
            if hit is not None:
                runs[seed] = hit
                when = hit.finished_at
                log(f"  flee seed {seed}: cached ({when}), {hit.wall_s:.1f} s, ARD {hit.ard_rescaled:.4f}")
    todo = [s for s in seeds if s not in runs]
    if todo:
        versions = flee_versions(args.flee_python)
        with tempfile.TemporaryDirectory(prefix="vs-flee-warmup-") as tmp:
            log(f"  flee warm-up ({FLEE_WARMUP_DAYS} days, untimed)")
            warm = Path(tmp)
            timed(flee_cmd(args.flee_python, scenario, 0, warm / "out.csv", FLEE_WARMUP_DAYS), warm / "log")
        for seed in todo:
            log(f"  flee seed {seed}: running")
            run = run_flee_seed(args.flee_python, scenario, seed, cache / f"seed{seed}", digest, versions)
            runs[seed] = run
            log(f"  flee seed {seed}: {run.wall_s:.1f} s, ARD {run.ard_rescaled:.4f}")
    return [runs[s] for s in seeds]


def crossings_env() -> dict[str, str]:
    """Environment for crossings subprocesses: the repo's src/ first on PYTHONPATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(SRC), env.get("PYTHONPATH", "")] if p)
    return env


def crossings_cmd(scenario: Path, out_dir: Path, seed: int) -> list[str]:
    """Command line of one crossings run."""
    return [
        sys.executable,
        "-m",
        "crossings",
        "run",
        str(scenario),
        "--out",
        str(out_dir),
        "--seed",
        str(seed),
        "--quiet",
        "--no-report",  # Flee writes no report either: both are timed simulating and writing their results
    ]


def crossings_runs(scenario: Path, seeds: list[int]) -> list[Run]:
    """A full untimed warm-up (seed 0) and then one timed crossings run per seed."""
    env = crossings_env()
    base = CROSSINGS_OUT / scenario.name
    runs = []
    for seed in [0, *seeds]:
        out_dir = base / f"seed{seed}"
        shutil.rmtree(out_dir, ignore_errors=True)
        out_dir.mkdir(parents=True)
        log(f"  crossings seed {seed}{' (warm-up, untimed)' if seed == 0 else ''}: running")
        wall, cpu = timed(crossings_cmd(scenario, out_dir, seed), out_dir / "crossings.log", env)
        out_csv = out_dir / "out.csv"
        if not out_csv.is_file():
            raise SimulatorError(f"crossings wrote no {out_csv}")
        if seed == 0:
            continue
        summary_path = out_dir / "summary.json"
        summary = json.loads(summary_path.read_text()) if summary_path.is_file() else {}
        internal = {k: summary[k] for k in ("ard_rescaled", "ard_normal", "wall_seconds") if k in summary}
        ard = ard_from_out_csv(out_csv)
        runs.append(Run(seed, wall, ard["ard_rescaled"], ard["ard_normal"], False, now_iso(), str(out_csv), internal,
                        cpu_s=cpu))
        log(f"  crossings seed {seed}: {wall:.2f} s, ARD {ard['ard_rescaled']:.4f}")
    return runs


def mean_sd(values: list[float]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation (sd 0 for one value, None for none)."""
    if not values:
        return None, None
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def summarise(conflict: str, seeds: list[int], flee: list[Run], cross: list[Run]) -> dict[str, Any]:
    """One result record for a conflict (the --json object)."""
    f_wall, _ = mean_sd([r.wall_s for r in flee])
    c_wall, _ = mean_sd([r.wall_s for r in cross])
    f_cpu = mean_sd([r.cpu_s for r in flee])[0] if all(r.cpu_s is not None for r in flee) else None
    c_cpu = mean_sd([r.cpu_s for r in cross])[0] if all(r.cpu_s is not None for r in cross) else None
    f_ard, f_sd = mean_sd([r.ard_rescaled for r in flee])
    c_ard, c_sd = mean_sd([r.ard_rescaled for r in cross])
    f_norm, _ = mean_sd([r.ard_normal for r in flee])
    c_norm, _ = mean_sd([r.ard_normal for r in cross])
    cached = [r for r in flee if r.cached]
    return {
        "conflict": conflict,
        "seeds": seeds,
        "flee_wall_s": f_wall,
        "crossings_wall_s": c_wall,
        "ratio": f_wall / c_wall if f_wall and c_wall else None,
        "flee_cpu_s": f_cpu,
        "crossings_cpu_s": c_cpu,
        "cpu_ratio": f_cpu / c_cpu if f_cpu and c_cpu else None,
        "flee_ard": f_ard,
        "crossings_ard": c_ard,
        "flee_ard_sd": f_sd,
        "crossings_ard_sd": c_sd,
        "ard_diff": c_ard - f_ard if f_ard is not None and c_ard is not None else None,
        "flee_ard_normal": f_norm,
        "crossings_ard_normal": c_norm,
        "flee_cached": bool(cached),
        "flee_cached_seeds": [r.seed for r in cached],
        "flee_cached_timestamps": [r.finished_at for r in cached],
        "flee_runs": [asdict(r) for r in flee],
        "crossings_runs": [asdict(r) for r in cross],
    }


def fmt(x: float | None, spec: str) -> str:
    """Format a number, or '-' when missing."""
    return "-" if x is None else format(x, spec)


def print_table(results: list[dict[str, Any]]) -> None:
    """Human-readable summary on stdout."""
    head = f"{'conflict':<12} {'seeds':>5} {'flee s':>9} {'crossings s':>11} {'ratio':>7} "
    head += f"{'flee ARD (sd)':>16} {'crossings ARD (sd)':>19} {'diff':>8}"
    print(head)
    print("-" * len(head))
    notes = []
    for r in results:
        mark = "*" if r["flee_cached"] else " "
        f_ard = f"{fmt(r['flee_ard'], '.4f')} ({fmt(r['flee_ard_sd'], '.4f')})"
        c_ard = f"{fmt(r['crossings_ard'], '.4f')} ({fmt(r['crossings_ard_sd'], '.4f')})"
        print(
            f"{r['conflict']:<12} {len(r['seeds']):>5} {fmt(r['flee_wall_s'], '.1f'):>8}{mark} "
            f"{fmt(r['crossings_wall_s'], '.2f'):>11} {fmt(r['ratio'], '.1f'):>7} {f_ard:>16} {c_ard:>19} "
            f"{fmt(r['ard_diff'], '+.4f'):>8}"
        )
        if r["flee_cached"]:
            stamps = sorted(r["flee_cached_timestamps"])
            notes.append(
                f"* {r['conflict']}: Flee seeds {r['flee_cached_seeds']} from cache, run {stamps[0]} .. {stamps[-1]}"
            )
        for key in ("flee_error", "crossings_error"):
            if r.get(key):
                notes.append(f"! {r['conflict']} {key.split('_')[0]} failed: {r[key].splitlines()[0]}")
    for n in notes:
        print(n)
    print("ARD = mean rescaled averaged relative difference over days (sd over seeds); diff = crossings - flee.")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--conflicts", default=",".join(DEFAULT_CONFLICTS), help="comma-separated scenario names")
    p.add_argument("--seeds", type=int, default=5, help="timed seeds 1..N per simulator (default 5)")
    p.add_argument("--json", action="store_true", help="print a JSON list, one object per conflict")
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="directory holding the scenarios")
    p.add_argument("--flee-python", type=Path, default=DEFAULT_FLEE_PYTHON, help="interpreter with flee==3.1")
    p.add_argument("--flee-cache", type=Path, default=DEFAULT_FLEE_CACHE, help="where Flee runs are stored")
    p.add_argument("--reuse-flee", action="store_true", help="use cached Flee runs instead of rerunning them")
    p.add_argument("--flee-only", action="store_true", help="run (or reuse) Flee only; skip crossings")
    args = p.parse_args(argv)
    if args.seeds < 1:
        p.error("--seeds must be at least 1")
    args.data_dir = args.data_dir.resolve()
    args.flee_cache = args.flee_cache.resolve()
    args.flee_python = args.flee_python.absolute()
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print the table or JSON; exit 1 if any simulator failed."""
    args = parse_args(argv)
    conflicts = [c.strip() for c in args.conflicts.split(",") if c.strip()]
    seeds = list(range(1, args.seeds + 1))
    machine = machine_info()
    failed = False
    results = []
    for conflict in conflicts:
        scenario = args.data_dir / conflict
        if not (scenario / "simsetting.yml").is_file():
            log(f"{conflict}: no scenario at {scenario}")
            failed = True
            continue
        started = now_iso()
        flee: list[Run] = []
        cross: list[Run] = []
        errors: dict[str, str] = {}
        log(f"{conflict}: Flee 3.1, seeds {seeds[0]}..{seeds[-1]}")
        try:
            flee = flee_runs(args, scenario, seeds)
        except SimulatorError as exc:
            errors["flee_error"] = f"Flee run failed: {exc}"
            log(errors["flee_error"])
        if not args.flee_only:
            log(f"{conflict}: crossings, seeds {seeds[0]}..{seeds[-1]}")
            try:
                cross = crossings_runs(scenario, seeds)
            except SimulatorError as exc:
                errors["crossings_error"] = "crossings run failed: " + str(exc)
                log(errors["crossings_error"])
        failed = failed or bool(errors)
        rec = summarise(conflict, seeds, flee, cross)
        rec.update(errors)
        rec.update({"started_at": started, "finished_at": now_iso(), "machine": machine})
        results.append(rec)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_table(results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
