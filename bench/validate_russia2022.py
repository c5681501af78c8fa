"""Issue 20's "Done when" measures for russia2022, on the median of an ensemble: the share of the shared output
rows (roles calibration and validation of observed.csv) within the widened band and within a factor of 1.5, the
rows set aside as not modelled (with reasons), the named checks (PASS/FAIL with their numbers) and the 90 %
intervals' coverage, calibration and validation rows apart.

    python bench/validate_russia2022.py [--members 20] [--workers 2] [--seed 0] [--scenario russia2022]
                                        [--param NAME=LOW:HIGH ...] [--json FILE]

The ensemble is ``crossings.api.ensemble`` on a LocalCluster of ``--workers`` processes. The named checks that no
row of observed.csv covers (Armenia's emigrants in mid-2023, Kazakhstan's net flow on 3 and 4 Oct 2022, the
Upper Lars queue, returns by 1 Jul 2024) are extra rows appended to a temporary copy of the scenario's
observed.csv (CHECK_ROWS, lines after the shared ones), so every member scores them and the ensemble's fit gives
their median and 5–95 % band like any row; the measures on the shared rows count lines 2..N of the original file
only. Not a test: the figures are statistical and take minutes (about 3 s of CPU a member in Dec 2026).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import crossings as cx
from crossings import api
from crossings.observed import FACTOR, OUTPUT_ROLES, WIDEN, source_band, within

EMIGRANTS = "dissident+war_objector+staying_out"  # the categories that are not round-trip travellers
TOLERANCE = 0.25  # Serbia's permits by 15 May 2023: within ±25 % of 30,000 (issue 20)

# Why each row of observed.csv whose role is not_modelled is set aside (line -> reason).
NOT_MODELLED = {
    23: "firms registered: the model has people, not businesses",
    31: "the price of a bicycle at the border: prices are not an output",
    55: "firms and sole proprietors registered: businesses are not modelled",
    71: "firms registered: businesses are not modelled",
    72: "firms and entrepreneurs registered: businesses are not modelled",
    73: "businesses opened: not modelled",
    74: "staff of one employer (Yandex): occupations and employers are not modelled",
    75: "engineers relocated by one employer (Luxoft): employers are not modelled",
    76: "census of ethnic Russians: ethnicity and census residence are not modelled",
    82: "homes bought: property is not modelled",
    101: "Rosstat departures include foreign labour migrants leaving Russia, who are not in the model",
    102: "IT specialists abroad: occupations are not modelled",
    111: "return migration's share of GDP growth: the economy is not modelled",
    123: "the price of a place in the queue: prices are not an output",
}


@dataclass(frozen=True)
class CheckRow:
    """An extra row scored by every member: a key, its period, its sim and the figure it is held against."""

    key: str
    start: str
    end: str
    sim: str
    measure: str
    value: float | None = None
    low: float | None = None
    high: float | None = None


CHECK_ROWS = (
    CheckRow("armenia_emigrants_2023", "2023-07-28", "", "emigrants(country=Armenia)",
             "emigrants in Armenia, mid-2023 (Re:Russia 110,000: note of obs row 93)", 110000),
    CheckRow("armenia_stock_2023", "2023-07-28", "", "stock(country=Armenia)",
             "people present in Armenia, mid-2023 (shown beside the emigrants)", 110000),
    CheckRow("kz_net_1003", "2022-10-03", "", "net(country=Kazakhstan)",
             "entries - exits, Kazakhstan, 3 Oct 2022 (obs row 37: 7,000 - 11,000)", -4000),
    CheckRow("kz_net_1004", "2022-10-04", "", "net(country=Kazakhstan)",
             "entries - exits, Kazakhstan, 4 Oct 2022 (obs row 38: 7,800 - 10,500)", -2700),
    CheckRow("kz_exits_1003", "2022-10-03", "", "exits(country=Kazakhstan)", "exits, Kazakhstan, 3 Oct 2022", 11000),
    CheckRow("kz_exits_1004", "2022-10-04", "", "exits(country=Kazakhstan)", "exits, Kazakhstan, 4 Oct 2022", 10500),
    CheckRow("lars_queue_sep", "2022-09-01", "2022-09-20", "queue(crossing=Upper_Lars)",
             "Upper Lars queue, mean of 1-20 Sep 2022 (the September baseline)", 1),
    CheckRow("lars_queue_1005", "2022-10-05", "", "queue(crossing=Upper_Lars)", "Upper Lars queue, 5 Oct 2022", 1),
    CheckRow("returns_2024", "2022-02-24", "2024-07-01", f"returned_share(category={EMIGRANTS})",
             "share of emigrants back by 1 Jul 2024 (surveys 8-15 %: obs rows 104-106)", None, 0.08, 0.15),
)


def parameter_source(res: object) -> str:
    """Where the members' parameter values came from: the scenario's posterior (how many parameters drawn, from
    how many particles) or the scenario's own values."""
    post = getattr(res, "posterior", None)
    if post and post.get("used"):
        drawn = getattr(res, "drawn", [])
        return (f"{len(drawn)} parameters drawn from the scenario's posterior ({post.get('particles')} particles, "
                f"{post.get('provenance', {}).get('method', '?')})")
    return "the scenario's own parameter values" + (f" ({post.get('why')})" if post and post.get("why") else "")


def scenario_with_checks(scenario: str, tmp: Path) -> tuple[Path, int, dict[int, CheckRow]]:
    """A copy of ``scenario``'s directory whose observed.csv has CHECK_ROWS appended; the number of the last
    line of the original file and the extra rows by line."""
    src = Path(cx.load_scenario(scenario).path)
    dst = tmp / src.name
    shutil.copytree(src, dst)
    path = dst / "observed.csv"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    last = len(lines)
    header = next(csv.reader([lines[0]]))
    out = [text if text.endswith("\n") else text + "\n"]
    extra = {}
    for i, c in enumerate(CHECK_ROWS):
        cells = {"date_or_period_start": c.start, "period_end": c.end, "destination_country": "check",
                 "crossing_or_city": "", "measure": c.measure, "value": _num(c.value), "low": _num(c.low),
                 "high": _num(c.high), "sim": c.sim, "role": "validation", "note": "bench/validate_russia2022.py"}
        row = [cells.get(h, "") for h in header]
        buf = _csv_line(row)
        out.append(buf)
        extra[last + 1 + i] = c
    path.write_text("".join(out), encoding="utf-8")
    return dst, last, extra


def _num(x: float | None) -> str:
    return "" if x is None else repr(x) if not float(x).is_integer() else str(int(x))


def _csv_line(cells: Sequence[str]) -> str:
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue()


def fmt(x: float | None) -> str:
    """A number for the text: thousands separated, 3 significant digits below 10."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if abs(x) >= 10:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def band_text(lo: float, hi: float) -> str:
    return f"[{fmt(lo)}, {fmt(hi)}]"


def covers(q05: float, q95: float, value: float | None, low: float | None, high: float | None) -> bool:
    """Whether the 90 % interval [q05, q95] meets the source band (contains a value alone, reaches the open side
    of a one-sided row)."""
    lo, hi = source_band(value, low, high)
    return q05 <= hi and q95 >= lo


def measures(rows: Sequence[dict[str, Any]], last: int) -> dict[str, Any]:
    """The shared rows' measures on the median, by role: scored, inside the widened band, within ×1.5, 90 %
    interval covering the observation; the output rows set aside and the input rows."""
    shared = [r for r in rows if r["line"] <= last]
    out: dict[str, Any] = {"roles": {}, "set_aside": [], "inputs": 0}
    for role in OUTPUT_ROLES:
        mine = [r for r in shared if r["role"] == role]
        scored = [r for r in mine if r["members_scored"]]
        inside = [r for r in scored if within(r["simulated_q50"], r["value"], r["low"], r["high"], WIDEN)]
        loose = [r for r in scored if within(r["simulated_q50"], r["value"], r["low"], r["high"], FACTOR)]
        cov = [r for r in scored if covers(r["simulated_q05"], r["simulated_q95"], r["value"], r["low"], r["high"])]
        out["roles"][role] = {"rows": len(mine), "scored": len(scored), "inside": len(inside),
                              "within_1_5": len(loose), "covered_90": len(cov),
                              "outside_lines": [r["line"] for r in scored if r not in inside]}
        out["set_aside"] += [(r["line"], f"{role} row not scored: {r['status']}") for r in mine
                             if not r["members_scored"]]
    for r in shared:
        if r["role"] == "not_modelled":
            out["set_aside"].append((r["line"], NOT_MODELLED.get(r["line"], "no reason recorded: " + r["measure"])))
        elif r["role"] == "input":
            out["inputs"] += 1
    scored = sum(v["scored"] for v in out["roles"].values())
    out["scored"] = scored
    out["inside"] = sum(v["inside"] for v in out["roles"].values())
    out["within_1_5"] = sum(v["within_1_5"] for v in out["roles"].values())
    return out


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def named_checks(rows: Sequence[dict[str, Any]], extra: dict[int, CheckRow], ppa: float) -> list[tuple[str, bool,
                                                                                                       str]]:
    """Issue 20's named checks on the median: (name, passed, the numbers)."""
    by_line = {r["line"]: r for r in rows}
    by_key = {c.key: by_line[line] for line, c in extra.items()}

    def med(r: dict[str, Any]) -> float:
        return math.nan if not r["members_scored"] else float(r["simulated_q50"])

    out: list[tuple[str, bool, str]] = []
    r93 = by_line[93]
    lo, hi = source_band(r93["value"], r93["low"], r93["high"])
    m = med(r93)
    wlo, whi = lo / WIDEN, hi * WIDEN
    out.append(("emigrants abroad on 28 Jul 2023 within row 93's band widened ×1.25", wlo <= m <= whi,
                f"median {fmt(m)} against {band_text(wlo, whi)} (row 93: {fmt(lo)}-{fmt(hi)})"))

    parts = []
    ok = True
    for label, r in (("stock 12 Sep 2022 (row 53)", by_line[53]), ("net arrivals 2022 (row 54)", by_line[54]),
                     ("emigrants 28 Jul 2023 (110,000)", by_key["armenia_emigrants_2023"])):
        m = med(r)
        good = within(m, r["value"], r["low"], r["high"], FACTOR)
        ok &= good
        a, b = source_band(r["value"], r["low"], r["high"])
        parts.append(f"{label} {fmt(m)} against {band_text(a / FACTOR, b * FACTOR)} {'ok' if good else 'off'}")
    parts.append(f"(people present 28 Jul 2023: {fmt(med(by_key['armenia_stock_2023']))})")
    out.append(("Armenia's stock and net arrivals within ×1.5", ok, "; ".join(parts)))

    r62 = by_line[62]
    m = med(r62)
    a, b = 30000 * (1 - TOLERANCE), 30000 * (1 + TOLERANCE)
    out.append(("Serbia's permits granted by 15 May 2023 within ±25 % of 30,000 (row 62)", a <= m <= b,
                f"median {fmt(m)} against {band_text(a, b)}"))

    r66 = by_line[66]
    m = med(r66)
    lo, hi = source_band(r66["value"], r66["low"], r66["high"])
    out.append(("Serbia's people present on 20 Feb 2025 within 80,000-110,000 widened ×1.25 (row 66)",
                lo / WIDEN <= m <= hi * WIDEN, f"median {fmt(m)} against {band_text(lo / WIDEN, hi * WIDEN)}"))

    nets = [(d, med(by_key[f"kz_net_{d}"]), med(by_key[f"kz_exits_{d}"])) for d in ("1003", "1004")]
    entries = {"1003": med(by_line[37]), "1004": med(by_line[38])}
    out.append(("Kazakhstan's exits above its entries on 3 and 4 Oct 2022", all(n < 0 for _, n, _ in nets),
                "; ".join(f"{d[2:]} Oct: entries {fmt(entries[d])}, exits {fmt(x)}, median entries - exits {fmt(n)}"
                          for d, n, x in nets)))

    base = med(by_key["lars_queue_sep"])
    q = med(by_key["lars_queue_1005"])
    limit = base * WIDEN + ppa
    out.append(("Upper Lars queue back to its September baseline by 5 Oct 2022", q <= limit,
                f"median queue on 5 Oct {fmt(q)} people against the 1-20 Sep mean {fmt(base)} (widened ×1.25, plus "
                f"one agent of {fmt(ppa)} people: ≤ {fmt(limit)})"))

    r = by_key["returns_2024"]
    m = med(r)
    lo, hi = source_band(r["value"], r["low"], r["high"])
    out.append(("returns by 1 Jul 2024 within the surveys' 8-15 % widened ×1.25", lo / WIDEN <= m <= hi * WIDEN,
                f"median share back {m:.3f} against [{lo / WIDEN:.3f}, {hi * WIDEN:.3f}]"))
    return out


def lars_back_on(result: Any, base: float, ppa: float) -> str | None:
    """The first day after the median queue at Upper Lars (car + foot, from the ensemble's quantiles) peaks in
    21 Sep - 31 Oct 2022 on which it is back under its baseline widened ×1.25 plus one agent (None: no such
    series)."""
    import datetime as dt

    import numpy as np

    q = result.quantiles.get("n_queue")
    dim = result.schema.dims.get("gate")
    if q is None or dim is None:
        return None
    cols = [i for i, name in enumerate(dim.labels) if str(name).startswith("Upper_Lars/")]
    if not cols:
        return None
    med = np.asarray(q[2])[:, cols].sum(axis=1) * ppa
    start = result.scenario.start_date
    d0, d1 = ((dt.date(2022, m, d) - start).days for m, d in ((9, 21), (10, 31)))
    peak = d0 + int(np.argmax(med[d0:d1 + 1]))
    for d in range(peak, len(med)):
        if med[d] <= base * WIDEN + ppa:
            return (start + dt.timedelta(days=d)).isoformat() + f" (peak {fmt(float(med[peak]))} people on " \
                f"{(start + dt.timedelta(days=peak)).isoformat()})"
    return "never in the run"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--members", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scenario", default="russia2022")
    ap.add_argument("--param", action="append", default=[], help="as crossings ensemble --param (repeatable)")
    ap.add_argument("--json", help="also write the measures as JSON to this file")
    ap.add_argument("--no-posterior", action="store_true",
                    help="the scenario's own parameter values even when it keeps a posterior (posterior.csv)")
    args = ap.parse_args(argv)
    load0 = Path("/proc/loadavg").read_text().split()[:3]
    t0, c0 = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory(prefix="validate-r22-") as tmp:
        path, last, extra = scenario_with_checks(args.scenario, Path(tmp))
        sc = cx.load_scenario(path)
        params = api.parse_params(args.param, sc) if args.param else []
        res = api.ensemble(sc, args.members, seed=args.seed, params=params, workers=args.workers,
                           posterior=not args.no_posterior)
    wall = time.perf_counter() - t0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_client = time.process_time() - c0
    cpu_members = float(res.member_seconds[:, 1].sum()) if res.member_seconds is not None else math.nan
    load1 = Path("/proc/loadavg").read_text().split()[:3]
    rows = res.fit.rows
    ppa = float(sc.people_per_agent)
    m = measures(rows, last)
    checks = named_checks(rows, extra, ppa)
    base = next(r for r in rows if extra.get(r["line"]) and extra[r["line"]].key == "lars_queue_sep")
    back = lars_back_on(res, float(base["simulated_q50"] or 0.0), ppa)

    p = print
    p(f"russia2022 validation (issue 20): {args.members} members, seed {args.seed}, {args.workers} workers"
      + (f", params {' '.join(args.param)}" if args.param else "") + f", {parameter_source(res)}")
    p(f"wall {wall:.0f} s; CPU {cpu_members:.0f} s in members (user+sys of the client {cpu_client:.0f} s, reaped "
      f"workers {children.ru_utime + children.ru_stime:.0f} s); load {' '.join(load0)} before, {' '.join(load1)} after")
    p("")
    p(f"Shared output rows (roles calibration and validation), on the median of {args.members} members:")
    n = m["scored"]
    share = m["inside"] / n if n else math.nan
    loose = m["within_1_5"] / n if n else math.nan
    p(f"  within the source band widened ×1.25: {m['inside']} of {n} = {share:.0%}   (target ≥ 80 %) "
      f"{_verdict(share >= 0.8)}")
    p(f"  within a factor of 1.5:               {m['within_1_5']} of {n} = {loose:.0%}   (target ≥ 90 %) "
      f"{_verdict(loose >= 0.9)}")
    for role, v in m["roles"].items():
        k = max(v["scored"], 1)
        p(f"    {role:<11} {v['scored']:>3} scored: widened {v['inside']:>3} ({v['inside'] / k:.0%}), "
          f"×1.5 {v['within_1_5']:>3} ({v['within_1_5'] / k:.0%})")
    p(f"  set aside as not modelled: {len(m['set_aside'])} (target ≤ 14) {_verdict(len(m['set_aside']) <= 14)}; "
      f"input rows counted apart: {m['inputs']}")
    for line, why in m["set_aside"]:
        p(f"    row {line}: {why}")
    p("")
    p("Named checks (on the median):")
    for name, ok, text in checks:
        p(f"  {_verdict(ok)}  {name}: {text}")
    p(f"        (median Upper Lars queue first back under that limit on: {back})")
    p("")
    p("90 % intervals (5-95 % of the members) meeting the observation's source band:")
    for role in ("validation", "calibration"):
        v = m["roles"][role]
        s = v["covered_90"] / v["scored"] if v["scored"] else math.nan
        target = " (target 80-95 %) " + _verdict(0.8 <= s <= 0.95) if role == "validation" else ""
        p(f"  {role:<11} {v['covered_90']} of {v['scored']} = {s:.0%}{target}")
    if args.json:
        doc = {"members": args.members, "seed": args.seed, "workers": args.workers, "params": args.param,
               "wall_seconds": round(wall, 1), "cpu_seconds_members": round(cpu_members, 1), "load_before": load0,
               "load_after": load1, "measures": {k: v for k, v in m.items()},
               "checks": [{"name": a, "pass": b, "numbers": c} for a, b, c in checks], "lars_back_on": back}
        Path(args.json).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] if len(sys.argv) > 1 else None))
