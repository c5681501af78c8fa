"""Agent-steps per second and bytes of state per agent on a synthetic graph, at 10^6 and 10^7 agents.

A grid of towns with conflict zones along one edge and camps along the other; all agents appear on day 0
at the conflict zones (spawning from the observed total, no day-0 camp pre-population) and walk across.

    python bench/scale.py [--agents 1000000,10000000] [--days 30] [--kernel compiled|numpy] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path


def write_grid(root: Path, agents: int, days: int, side: int = 12) -> Path:
    """Write a side×side grid scenario in Flee format whose day-0 total is ``agents``."""
    inp, src = root / "input_csv", root / "source_data"
    inp.mkdir(parents=True)
    src.mkdir()
    rows, conflicts, camps = [], [], []
    for i in range(side):
        for j in range(side):
            name = f"L{i}_{j}"
            if j == 0:
                kind, pop = "conflict_zone", 100000
                conflicts.append(name)
            elif j == side - 1:
                kind, pop = "camp", 0
                camps.append(name)
            else:
                kind, pop = "town", 10000
            country = "Home" if j < side - 1 else "Away"
            rows.append(f"{name},r,{country},{i * 0.1},{j * 0.1},{kind},0,{pop}")
    (inp / "locations.csv").write_text("#name,region,country,lat,lon,type,conflict_date,pop\n" + "\n".join(rows) + "\n")
    routes = []
    for i in range(side):
        for j in range(side):
            if j + 1 < side:
                routes.append(f"L{i}_{j},L{i}_{j + 1},{60 + 7 * ((i + j) % 5)}")
            if i + 1 < side:
                routes.append(f"L{i}_{j},L{i + 1}_{j},{80 + 11 * ((i * j) % 4)}")
    (inp / "routes.csv").write_text("#a,b,d\n" + "\n".join(routes) + "\n")
    (inp / "closures.csv").write_text("#type,a,b,start,end\n")
    ones = ",".join("1" for _ in conflicts)
    body = "".join(f"{t},{ones}\n" for t in range(days))
    (inp / "conflicts.csv").write_text("#Day," + ",".join(conflicts) + "\n" + body)
    start = dt.date(2020, 1, 1)
    (inp / "sim_period.csv").write_text(f"StartDate,{start}\nLength,{days}\n")
    (src / "data_layout.csv").write_text("total,refugees.csv\n" + "".join(f"{c},c.csv\n" for c in camps))
    (src / "refugees.csv").write_text(f"Date,n\n{start},{agents}\n")
    (src / "c.csv").write_text(f"Date,n\n{start},0\n")
    (root / "simsetting.yml").write_text("spawn_rules:\n  insert_day0: False\nmove_rules:\n  max_move_speed: 200\n"
                                         "  conflict_weight: 0.25\n  camp_weight: 2.0\n")
    return root


def measure(agents: int, days: int, kernel: str) -> dict:
    """Run the grid once and return throughput and memory figures."""
    import crossings as cx

    with tempfile.TemporaryDirectory() as tmp:
        sc = cx.load_scenario(write_grid(Path(tmp) / "grid", agents, days))
        sim = cx.Simulation(sc, seed=1, kernel=kernel)
        t0 = time.perf_counter()
        res = sim.run()
        wall = time.perf_counter() - t0
    return {
        "agents": int(res.n_agents[-1]), "days": days, "kernel": kernel, "wall_s": round(wall, 3),
        "agent_steps": res.agent_steps, "agent_steps_per_s": round(res.agent_steps / wall),
        "bytes_per_agent_state": res.bytes_per_agent,
        "peak_rss_bytes_per_agent": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / agents, 1),
        "moves": int(res.series["new_link_entries"].sum()),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", default="1000000,10000000")
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--kernel", default="compiled", choices=("compiled", "numpy"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out = [measure(int(n), args.days, args.kernel) for n in args.agents.split(",")]
    if args.json:
        print(json.dumps({"machine": platform.processor() or platform.machine(), "results": out}, indent=2))
    else:
        for r in out:
            print(f"{r['agents']:>11,d} agents x {r['days']} days, {r['kernel']}: {r['wall_s']:8.2f} s, "
                  f"{r['agent_steps_per_s'] / 1e6:7.2f} M agent-steps/s, {r['bytes_per_agent_state']} B state/agent, "
                  f"peak RSS {r['peak_rss_bytes_per_agent']} B/agent, {r['moves']:,d} link entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
