"""Side-by-side A/B of whole ``crossings run`` processes from two or more installed checkouts.

    python bench/compare_checkouts.py --checkouts /work/bench-before,/work/main \\
        [--scenarios russia2022,../shared/data/flee/mali2012] [--repeat 5] [--seed 0] [--json FILE]

Each checkout is a directory with its own virtualenv (``.venv/bin/crossings``, installed from that checkout).
For every scenario the checkouts' runs are interleaved (A, B, A, B, ...) after one untimed warm-up each, so
that a change in the machine's load falls on both alike. Every run is
``crossings run SCENARIO --seed N --out TMP --quiet --no-report`` as a fresh process: wall time from
``time.perf_counter`` around it and CPU time (user + system) from ``os.wait4``. The table gives the medians
and the ratio of each checkout's median to the first one's; CPU time is the figure to quote on a shared
machine, because it does not count the time spent waiting for a core. The load average is printed before
and after. Outputs of the runs are compared too: the files of each run are hashed (``summary.json`` without
its timing fields is left out) and the table says whether each checkout's outputs equal the first one's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages of the machine."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one process run to completion; raises if it fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def outputs_digest(out: Path) -> str:
    """One digest of a run's output files; summary.json is left out (it holds timings and versions)."""
    h = hashlib.sha256()
    for path in sorted(p for p in out.rglob("*") if p.is_file() and p.name != "summary.json"):
        h.update(path.relative_to(out).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def git_head(checkout: Path) -> str:
    """The short commit a checkout is at."""
    res = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True)
    return res.stdout.strip() or "?"


def main(argv: list[str] | None = None) -> int:
    """Run the A/B and print a Markdown table (and write JSON with every run if asked)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkouts", required=True, help="comma-separated checkout directories, first = reference")
    ap.add_argument("--scenarios", default="russia2022")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    checkouts = [Path(c).resolve() for c in args.checkouts.split(",")]
    for c in checkouts:
        if not (c / ".venv" / "bin" / "crossings").is_file():
            print(f"error: {c}: no .venv/bin/crossings (install the checkout into its own venv)", file=sys.stderr)
            return 2
    report: dict[str, Any] = {"checkouts": {str(c): git_head(c) for c in checkouts}, "load_before": loadavg(),
                              "repeat": args.repeat, "seed": args.seed, "scenarios": {}}
    print(f"load before: {report['load_before']}", file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory(prefix="crossings-ab-") as tmp:
        for scenario in args.scenarios.split(","):
            runs: dict[Path, list[tuple[float, float]]] = {c: [] for c in checkouts}
            digests: dict[Path, str] = {}
            for i in range(args.repeat + 1):
                for c in checkouts:
                    out = Path(tmp) / Path(scenario).name / f"{c.name}-{i}"
                    cmd = [str(c / ".venv" / "bin" / "crossings"), "run", scenario, "--seed", str(args.seed),
                           "--out", str(out), "--quiet", "--no-report"]
                    wall, cpu = timed(cmd)
                    if i == 0:
                        digests[c] = outputs_digest(out)
                    else:
                        runs[c].append((wall, cpu))
                    print(f"{Path(scenario).name} {c.name} run {i}: {wall:.2f} s wall, {cpu:.2f} s CPU",
                          file=sys.stderr)
            ref = checkouts[0]
            ref_wall = statistics.median(w for w, _ in runs[ref])
            ref_cpu = statistics.median(u for _, u in runs[ref])
            report["scenarios"][scenario] = {str(c): {"runs": runs[c], "digest": digests[c]} for c in checkouts}
            for c in checkouts:
                wall = statistics.median(w for w, _ in runs[c])
                cpu = statistics.median(u for _, u in runs[c])
                rows.append((Path(scenario).name, f"{c.name} ({report['checkouts'][str(c)]})", wall, cpu,
                             ref_wall / wall, ref_cpu / cpu, "yes" if digests[c] == digests[ref] else "no"))
    report["load_after"] = loadavg()
    print(f"load after: {report['load_after']}", file=sys.stderr)
    print("| scenario | checkout | median wall s | median CPU s | speed-up, wall | speed-up, CPU | outputs as first |")
    print("|---|---|---|---|---|---|---|")
    for name, who, wall, cpu, rw, rc, same in rows:
        print(f"| {name} | {who} | {wall:.3f} | {cpu:.3f} | {rw:.2f} | {rc:.2f} | {same} |")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
