"""The default scenario's benchmark: one ``crossings run russia2022`` as a fresh process, the engine's time per
rule in this process, and a 100-member ensemble of it on a 2-worker LocalCluster, with wall and CPU time, members
per minute and the machine's load at the time.

    python bench/russia2022.py [--repeat 3] [--members 100] [--workers 2] [--seed 0] [--skip-run]
                               [--with-report] [--skip-engine] [--skip-ensemble] [--json bench/results/russia2022.json]

The engine part runs ``Simulation(russia2022, seed).run()`` ``--repeat`` times in this process and keeps the
fastest: per rule its seconds (``Simulation.timings``) and ns per agent-day (÷ the run's agent-days, every row
of every day), the rules' total, and the rest of the loop (recording, retiring returned rows) apart.

Every measurement is a whole ``crossings`` process started from this Python (the ``crossings`` script next to
it, else ``python -m crossings``): wall time from ``time.perf_counter`` around it, CPU time (user + system) of
the process and every process it waited for (the ensemble's Dask workers included) from ``os.wait4``. The load
average is read from /proc/loadavg and ``uptime`` before and after each one, because the machine may be shared:
a load above the number of cores means the figures measure the competition as much as crossings.
Targets: one run < 60 s; 100 members < 10 min.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TARGET_RUN_S = 60.0
TARGET_ENSEMBLE_S = 600.0


def crossings_command() -> list[str]:
    """How to start crossings: the installed script beside this Python, else ``python -m crossings``."""
    script = Path(sys.executable).with_name("crossings")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "crossings"]


def load() -> dict[str, Any]:
    """The 1, 5 and 15 minute load averages, the runnable/total tasks, and the ``uptime`` line."""
    parts = Path("/proc/loadavg").read_text().split()
    try:
        up = subprocess.run(["uptime"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        up = ""
    return {"load1": float(parts[0]), "load5": float(parts[1]), "load15": float(parts[2]), "tasks": parts[3],
            "uptime": up, "at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


def timed(cmd: list[str]) -> dict[str, Any]:
    """Run ``cmd`` to completion: wall seconds, CPU seconds (user, system: the process and its reaped
    descendants), peak RSS of the largest of them, exit code, and the load before and after."""
    before = load()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    out = proc.stdout.read() if proc.stdout else ""
    err = proc.stderr.read() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {shlex.join(cmd)}\n{err[-2000:]}")
    return {"command": shlex.join(cmd), "wall_s": round(wall, 3), "cpu_user_s": round(ru.ru_utime, 3),
            "cpu_sys_s": round(ru.ru_stime, 3), "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
            "max_rss_mb": round(ru.ru_maxrss / 1024, 1), "load_before": before, "load_after": load(),
            "stdout_tail": out[-500:], "stderr_tail": err[-500:]}


def precompile() -> None:
    """Byte-compile the crossings this interpreter imports, as an ordinary installation has it: with an editable
    install and PYTHONDONTWRITEBYTECODE set (as in some sandboxes) no .pyc is ever written, and every fresh
    process would compile about 80 modules again (0.17 s), which is not the program's time."""
    import compileall

    import crossings

    compileall.compile_dir(str(Path(crossings.__file__).parent), quiet=1)


def bench_run(repeat: int, seed: int, tmp: Path, report: bool = False) -> dict[str, Any]:
    """``crossings run russia2022 --quiet --no-report`` as a fresh process (issue 19's measure), ``repeat`` times
    (results written; with ``report`` the run report too, without ``--no-report``), byte-compiled first."""
    precompile()
    runs = []
    for i in range(repeat):
        out = tmp / f"run{i}"
        r = timed([*crossings_command(), "run", "russia2022", "--seed", str(seed), "--out", str(out), "--quiet",
                   *(() if report else ("--no-report",))])
        summary = json.loads((out / "summary.json").read_text())
        r.update({"engine_wall_s": summary.get("wall_seconds"), "agents_final": summary.get("agents_final"),
                  "days": summary.get("days"), "fit": (summary.get("fit") or {}).get("summary")})
        runs.append(r)
        shutil.rmtree(out, ignore_errors=True)
    walls = sorted(r["wall_s"] for r in runs)
    cpus = sorted(r["cpu_s"] for r in runs)
    return {"repeat": repeat, "runs": runs, "wall_s": {"min": walls[0], "median": walls[len(walls) // 2],
                                                       "max": walls[-1]},
            "cpu_s": {"min": cpus[0], "median": cpus[len(cpus) // 2], "max": cpus[-1]},
            "target_s": TARGET_RUN_S, "meets_target": walls[-1] < TARGET_RUN_S}


def bench_engine(repeat: int, seed: int) -> dict[str, Any]:
    """``Simulation(russia2022, seed).run()`` in this process, ``repeat`` times: the fastest run's time per rule
    (seconds and ns per agent-day), the rules' total and the rest of the loop; and each run's wall seconds."""
    import crossings as cx

    sc = cx.load_scenario("russia2022")
    runs = []
    for _ in range(repeat):
        sim = cx.Simulation(sc, seed=seed)
        t0 = time.perf_counter()
        res = sim.run()
        runs.append((time.perf_counter() - t0, dict(sim.timings), res.agent_steps))
    wall, timings, steps = min(runs, key=lambda r: r[0])
    rules = sum(timings.values())
    per = max(steps, 1) / 1e9
    return {"repeat": repeat, "walls_s": [round(r[0], 3) for r in runs], "wall_s": round(wall, 3),
            "agent_days": steps, "ns_per_agent_day": round(wall / per, 1), "rules_s": round(rules, 3),
            "rules_ns_per_agent_day": round(rules / per, 1), "rest_s": round(wall - rules, 3),
            "rest_ns_per_agent_day": round((wall - rules) / per, 1),
            "rule_s": {k: round(v, 4) for k, v in timings.items()},
            "rule_ns_per_agent_day": {k: round(v / per, 1) for k, v in timings.items()}}


def bench_ensemble(members: int, workers: int, seed: int, tmp: Path) -> dict[str, Any]:
    """``crossings ensemble russia2022 --members N --workers W`` as a fresh process (cluster start included)."""
    out = tmp / "ensemble"
    r = timed([*crossings_command(), "ensemble", "russia2022", "--members", str(members), "--workers", str(workers),
               "--seed", str(seed), "--out", str(out), "--quiet"])
    doc = json.loads((out / "ensemble.json").read_text())
    ms = doc.get("member_seconds", {})
    r.update({"members": members, "workers": workers, "members_per_minute": round(members / r["wall_s"] * 60, 2),
              "ensemble_wall_s": doc.get("wall_seconds"), "member_wall_sum_s": ms.get("wall_sum"),
              "member_cpu_sum_s": ms.get("cpu_sum"), "fit": doc.get("fit", {}).get("by_role"),
              "loss_calibration": doc.get("fit", {}).get("loss", {}).get("calibration"),
              "files": sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()),
              "target_s": TARGET_ENSEMBLE_S, "meets_target": r["wall_s"] < TARGET_ENSEMBLE_S})
    if ms.get("cpu_sum") and r["wall_s"]:
        r["workers_busy_share"] = round(ms["wall_sum"] / (workers * doc["wall_seconds"]), 3)
    return r


def machine() -> dict[str, Any]:
    """What the figures were measured on: CPU, cores, Python, and the version and commit of the crossings this
    interpreter imports (the one ``crossings_command`` runs; bench/vs_flee.py is not imported, as it puts this
    repository's src/ first on sys.path, which need not be what this interpreter has installed)."""
    import platform

    import crossings

    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    except OSError:
        pass
    root = Path(crossings.__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
        dirty = bool(subprocess.run(["git", "-C", str(root), "status", "--porcelain"], capture_output=True,
                                    text=True, timeout=10).stdout.strip())
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "", False
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "crossings_version": crossings.__version__, "crossings_path": str(root), "commit": commit,
            "working_tree_modified": dirty}


def markdown(doc: dict[str, Any]) -> str:
    """The figures as a RESULTS.md section (the caller appends it)."""
    m = doc["machine"]
    n = doc.get("ensemble", {}).get("members", "?")
    tree = ", modified tree" if m["working_tree_modified"] else ""
    lines = [f"## The default scenario (russia2022): one run and a {n}-member ensemble", "",
             f"Measured {doc['created']} on {m['cpu']}, {m['cores']} cores, Python {m['python']}, "
             f"crossings {m['crossings_version']} (commit {m['commit']}{tree}).",
             "", "```bash", f"python bench/russia2022.py {doc['arguments']}", "```", ""]
    if "run" in doc:
        run = doc["run"]
        lines += ["| run | wall s | CPU s | engine s | load before → after (1 min) |", "|---|---|---|---|---|"]
        for i, r in enumerate(run["runs"]):
            lines.append(f"| {i + 1} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['engine_wall_s']} | "
                         f"{r['load_before']['load1']:.2f} → {r['load_after']['load1']:.2f} |")
        lines += ["", f"Command: `{run['runs'][0]['command']}`. Target < {TARGET_RUN_S:.0f} s: "
                  f"{'met' if run['meets_target'] else 'NOT met'} (slowest {run['wall_s']['max']:.2f} s).", ""]
    if "engine" in doc:
        g = doc["engine"]
        lines += [f"Engine in process (fastest of {g['repeat']}): {g['wall_s']:.2f} s for {g['agent_days']:,} "
                  f"agent-days = {g['ns_per_agent_day']:.0f} ns per agent-day; rules {g['rules_s']:.2f} s "
                  f"({g['rules_ns_per_agent_day']:.0f} ns), the rest of the loop {g['rest_s']:.2f} s "
                  f"({g['rest_ns_per_agent_day']:.0f} ns).", "", "| rule | s | ns per agent-day |", "|---|---|---|"]
        lines += [f"| {k} | {v:.3f} | {g['rule_ns_per_agent_day'][k]:.1f} |" for k, v in g["rule_s"].items()]
        lines.append("")
    if "ensemble" in doc:
        e = doc["ensemble"]
        lines += ["| members | workers | wall s | CPU s (all processes) | members' CPU s | members/min | load before "
                  "→ after (1 min) |", "|---|---|---|---|---|---|---|",
                  f"| {e['members']} | {e['workers']} | {e['wall_s']:.1f} | {e['cpu_s']:.1f} | "
                  f"{e['member_cpu_sum_s']} | {e['members_per_minute']:.1f} | {e['load_before']['load1']:.2f} → "
                  f"{e['load_after']['load1']:.2f} |", "",
                  f"Command: `{e['command']}`. Target < {TARGET_ENSEMBLE_S / 60:.0f} min: "
                  f"{'met' if e['meets_target'] else 'NOT met'}.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, write the JSON, print the Markdown section."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="fresh `crossings run` processes (default 3)")
    ap.add_argument("--members", type=int, default=100, help="ensemble members (default 100)")
    ap.add_argument("--workers", type=int, default=2, help="ensemble workers (default 2)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-run", action="store_true")
    ap.add_argument("--with-report", action="store_true", help="the fresh runs also write the run report")
    ap.add_argument("--skip-engine", action="store_true")
    ap.add_argument("--skip-ensemble", action="store_true")
    ap.add_argument("--json", default=str(REPO / "bench" / "results" / "russia2022.json"),
                    help="where to write the figures (default bench/results/russia2022.json)")
    args = ap.parse_args(argv)
    doc: dict[str, Any] = {"created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                           "arguments": shlex.join(argv if argv is not None else sys.argv[1:]),
                           "machine": machine(), "crossings_command": shlex.join(crossings_command())}
    with tempfile.TemporaryDirectory(prefix="crossings-bench-russia2022-") as tmp_name:
        tmp = Path(tmp_name)
        if not args.skip_run:
            doc["run"] = bench_run(args.repeat, args.seed, tmp, args.with_report)
            print(f"run: wall {doc['run']['wall_s']}, CPU {doc['run']['cpu_s']}", file=sys.stderr)
        if not args.skip_engine:
            doc["engine"] = bench_engine(args.repeat, args.seed)
            g = doc["engine"]
            print(f"engine: {g['wall_s']} s, {g['ns_per_agent_day']} ns per agent-day (rules "
                  f"{g['rules_ns_per_agent_day']})", file=sys.stderr)
        if not args.skip_ensemble:
            doc["ensemble"] = bench_ensemble(args.members, args.workers, args.seed, tmp)
            e = doc["ensemble"]
            print(f"ensemble: wall {e['wall_s']} s, CPU {e['cpu_s']} s, {e['members_per_minute']} members/min",
                  file=sys.stderr)
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(markdown(doc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
