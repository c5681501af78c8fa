"""Build the country outlines bundled with the report (src/crossings/report/data/countries.json).

Source: the npm package ``world-atlas`` (Natural Earth 1:50m Admin 0 countries as TopoJSON; Natural Earth is in
the public domain). The package is fetched with ``npm pack`` from the npm registry, its TopoJSON is decoded
here (no JavaScript tooling needed), each shared arc is simplified once (Douglas-Peucker, so neighbours keep a
common border), and the rings are written as delta-encoded integers in hundredths of a degree.

    python scripts/build_outlines.py            # fetches world-atlas@2 into a temporary directory
    python scripts/build_outlines.py --tgz FILE # uses an already downloaded package tarball
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np

PACKAGE = "world-atlas@2"
MEMBER = "package/countries-50m.json"
TOLERANCE = 0.03  # degrees: what the simplification may move a border (about 3 km)
UNIT = 100  # stored coordinates are integers in 1/UNIT degree
OUT = Path(__file__).resolve().parent.parent / "src" / "crossings" / "report" / "data" / "countries.json"


def fetch(workdir: Path) -> Path:
    """``npm pack`` the package into ``workdir`` and return the tarball's path."""
    res = subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=workdir, check=True, capture_output=True,
                         text=True)
    return workdir / res.stdout.strip().splitlines()[-1]


def decode_arcs(topo: dict) -> list[np.ndarray]:
    """The topology's arcs as (n, 2) arrays of lon/lat degrees (undoing quantisation and delta coding)."""
    scale = np.array(topo["transform"]["scale"], dtype=np.float64)
    shift = np.array(topo["transform"]["translate"], dtype=np.float64)
    return [np.cumsum(np.asarray(a, dtype=np.float64), axis=0) * scale + shift for a in topo["arcs"]]


def simplify(points: np.ndarray, tol: float) -> np.ndarray:
    """Douglas-Peucker with an explicit stack; the two end points are always kept."""
    n = len(points)
    if n <= 2:
        return points
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        a, b = points[i], points[j]
        seg = b - a
        inner = points[i + 1:j]
        length = float(np.hypot(*seg))
        if length == 0.0:
            dist = np.hypot(*(inner - a).T)
        else:
            dist = np.abs(seg[0] * (inner[:, 1] - a[1]) - seg[1] * (inner[:, 0] - a[0])) / length
        k = int(np.argmax(dist))
        if dist[k] > tol:
            m = i + 1 + k
            keep[m] = True
            stack.append((i, m))
            stack.append((m, j))
    return points[keep]


def ring(arcs: list[np.ndarray], refs: list[int]) -> np.ndarray:
    """Stitch a ring from arc references (``~i`` means arc ``i`` reversed)."""
    parts = []
    for r in refs:
        a = arcs[r] if r >= 0 else arcs[~r][::-1]
        parts.append(a if not parts else a[1:])
    return np.concatenate(parts)


def encode(points: np.ndarray) -> list[int]:
    """A ring as a flat list: first point, then differences, in 1/UNIT degree; repeated points dropped."""
    q = np.round(points * UNIT).astype(np.int64)
    same = np.zeros(len(q), dtype=bool)
    same[1:] = np.all(q[1:] == q[:-1], axis=1)
    q = q[~same]
    d = np.vstack([q[:1], np.diff(q, axis=0)])
    return d.reshape(-1).tolist()


def build(tgz: Path) -> dict:
    with tarfile.open(tgz) as tf:
        topo = json.load(tf.extractfile(MEMBER))
        licence = tf.extractfile("package/LICENSE").read().decode()
        version = json.load(tf.extractfile("package/package.json"))["version"]
    arcs = [simplify(a, TOLERANCE) for a in decode_arcs(topo)]
    countries = []
    for geom in topo["objects"]["countries"]["geometries"]:
        if geom.get("type") == "Polygon":
            polygons = [geom["arcs"]]
        elif geom.get("type") == "MultiPolygon":
            polygons = geom["arcs"]
        else:
            continue
        rings = []
        lo, hi = np.array([180.0, 90.0]), np.array([-180.0, -90.0])
        for poly in polygons:
            for refs in poly:
                pts = ring(arcs, refs)
                enc = encode(pts)
                if len(enc) < 8:  # fewer than four distinct points: vanished at this scale
                    continue
                rings.append(enc)
                lo, hi = np.minimum(lo, pts.min(axis=0)), np.maximum(hi, pts.max(axis=0))
        if rings:
            countries.append({"name": geom.get("properties", {}).get("name", ""), "id": geom.get("id", ""),
                              "bbox": [round(float(v), 2) for v in (*lo, *hi)], "rings": rings})
    return {
        "source": f"Natural Earth 1:50m Admin 0 countries, via the npm package world-atlas {version} "
                  f"({MEMBER.split('/')[-1]}); simplified to {TOLERANCE} degrees",
        "licence": "Natural Earth data: public domain. world-atlas packaging: " + licence.splitlines()[0],
        "unit": UNIT,
        "countries": countries,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tgz", type=Path, help="a world-atlas tarball already on disk")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = build(args.tgz or fetch(Path(tmp)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    print(f"wrote {args.out}: {len(data['countries'])} countries, {args.out.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
