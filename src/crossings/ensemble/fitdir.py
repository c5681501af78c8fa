"""``crossings fit`` on an ensemble directory: its fit.csv read back and shown per row as the members' median and
5–95 %, whether the median is inside the accepted band (the source band widened ×1.25) and within ×1.5 of the
source band, whether the 5–95 % band meets the accepted one, and the counts per role. Nothing is run again."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from crossings.errors import InputError
from crossings.observed.fit import FACTOR, OUTPUT_ROLES, _fmt, _short, observed_text, within

ENSEMBLE_FILES = ("ensemble.json", "fit.csv")


def is_ensemble_dir(path: str | Path) -> bool:
    """True when ``path`` holds what ``crossings ensemble`` writes for a scenario with observations."""
    return all((Path(path) / f).is_file() for f in ENSEMBLE_FILES)


def _num(text: str) -> float | None:
    return float(text) if text not in ("", None) else None


def ensemble_fit(path: str | Path) -> dict[str, Any]:
    """The rows of the ensemble's fit.csv with the median, 5–95 %, inside, within ×1.5 and covered (the 5–95 %
    band meets the accepted band), and the summary per role; plus what ensemble.json says of the posterior."""
    root = Path(path)
    if not is_ensemble_dir(root):
        raise InputError(root, None, "directory", "not an ensemble directory with a fit (ensemble.json, fit.csv)")
    try:
        meta = json.loads((root / "ensemble.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(root / "ensemble.json", exc.lineno, "json", exc.msg) from None
    rows = []
    with (root / "fit.csv").open(newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            med = _num(r["simulated_q50"])
            value, low, high = _num(r["value"]), _num(r["low"]), _num(r["high"])
            scored = r["status"] == "scored" and med is not None
            rows.append({"line": int(r["line"]), "period_start": r["period_start"], "period_end": r["period_end"],
                         "country": r["destination_country"], "place": r["crossing_or_city"],
                         "measure": r["measure"], "observed": value, "low": low, "high": high, "role": r["role"],
                         "status": r["status"], "members_scored": int(r["members_scored"] or 0),
                         "median": med, "q05": _num(r["simulated_q05"]), "q95": _num(r["simulated_q95"]),
                         "inside": (r["median_inside"] == "yes") if scored else None,
                         "within_1_5": within(med, value, low, high, FACTOR) if scored else None,
                         "covered": (r["band_overlaps"] == "yes") if scored else None})
    return {"rows": rows, "summary": _summary(rows, meta)}


def _summary(rows: Sequence[dict[str, Any]], meta: dict[str, Any]) -> dict[str, Any]:
    by_role = {}
    for role in (*OUTPUT_ROLES, "input"):
        mine = [r for r in rows if r["role"] == role and r["inside"] is not None]
        if mine:
            by_role[role] = {"scored": len(mine), "inside": sum(r["inside"] for r in mine),
                             "within_1_5": sum(r["within_1_5"] for r in mine),
                             "covered": sum(r["covered"] for r in mine)}
    out = [r for r in rows if r["role"] in OUTPUT_ROLES and r["inside"] is not None]
    post = meta.get("posterior") or {}
    return {"members": meta.get("runs"), "scenario": meta.get("scenario"), "seed": meta.get("seed"),
            "scored": len(out), "inside": sum(r["inside"] for r in out),
            "within_1_5": sum(r["within_1_5"] for r in out), "covered": sum(r["covered"] for r in out),
            "by_role": by_role, "posterior_used": bool(post.get("used"))}


def ensemble_fit_text(data: dict[str, Any]) -> str:
    """The table ``crossings fit ENSEMBLE_DIR`` prints, with its closing counts."""
    head = ("line", "country", "place", "measure", "observed", "median", "5-95 %", "inside", "x1.5", "role")
    body = []
    for r in data["rows"]:
        yes = ("—" if r["inside"] is None else "yes" if r["inside"] else "no",
               "—" if r["within_1_5"] is None else "yes" if r["within_1_5"] else "no")
        band = f"{_fmt(r['q05'])}–{_fmt(r['q95'])}" if r["median"] is not None else r["status"]
        body.append((str(r["line"]), _short(r["country"], 16), _short(r["place"], 22), _short(r["measure"], 40),
                     observed_text(r), _fmt(r["median"]), band, *yes, r["role"]))
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    right = {0, 4, 5, 6}
    lines = ["  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in
                       enumerate(zip(row, widths, strict=True))).rstrip() for row in [head, *body]]
    s = data["summary"]
    roles = ", ".join(f"{k} {v['inside']}/{v['scored']}" for k, v in s["by_role"].items() if k in OUTPUT_ROLES)
    n = s["scored"]
    tail = (f"median of {s['members']} members: inside {s['inside']} of {n} output rows ({roles}); within ×1.5 "
            f"{s['within_1_5']} of {n}; 5-95 % band meets the accepted band for {s['covered']} of {n}")
    if s["posterior_used"]:
        tail += "; parameters drawn from the scenario's posterior"
    return "\n".join(lines) + "\n" + tail + "\n"
