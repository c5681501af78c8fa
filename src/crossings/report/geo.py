"""Map geometry for the report: the bundled country outlines and a projection fitted to a scenario's places.

The outlines (``data/countries.json``) are Natural Earth's 1:50m countries, built by
``scripts/build_outlines.py``; rings are delta-encoded integers in 1/unit degree.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources

import numpy as np


def outlines() -> dict:
    """The bundled outlines file, decoded: ``{"source", "licence", "countries": [(name, bbox, rings)]}`` with each
    ring an (n, 2) float array of lon/lat degrees (a page decodes it once and passes it on)."""
    raw = json.loads(resources.files("crossings.report").joinpath("data/countries.json").read_text("utf-8"))
    unit = float(raw["unit"])
    countries = []
    for c in raw["countries"]:
        rings = [np.cumsum(np.asarray(r, dtype=np.float64).reshape(-1, 2), axis=0) / unit for r in c["rings"]]
        countries.append((c["name"], tuple(c["bbox"]), rings))
    return {"source": raw["source"], "licence": raw["licence"], "countries": countries}


@dataclass(frozen=True)
class Projection:
    """Equirectangular projection around the places' mean latitude, scaled into a ``width`` × ``height`` box.

    Good enough for the regional extent of a displacement scenario; ``bounds`` is the lon/lat window shown."""

    lon0: float
    lat0: float
    scale: float  # pixels per projected degree
    x0: float
    y0: float
    width: float
    height: float
    bounds: tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max

    def __call__(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = math.cos(math.radians(self.lat0))
        x = (np.asarray(lon, dtype=np.float64) - self.lon0) * k * self.scale + self.x0
        y = self.y0 - (np.asarray(lat, dtype=np.float64) - self.lat0) * self.scale
        return x, y


def fit(lon: np.ndarray, lat: np.ndarray, width: float = 760.0, height: float = 560.0,
        margin: float = 0.12) -> Projection:
    """A projection that shows every place with a margin (a fraction of the extent, at least half a degree)."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        lon, lat = np.array([0.0]), np.array([0.0])
    else:
        lon, lat = lon[ok], lat[ok]
    lat0 = float(np.clip((lat.min() + lat.max()) / 2, -80, 80))
    lon0 = float((lon.min() + lon.max()) / 2)
    k = math.cos(math.radians(lat0))
    span_x = max((lon.max() - lon.min()) * k, 0.5)
    span_y = max(lat.max() - lat.min(), 0.5)
    span_x += 2 * max(margin * span_x, 0.5)
    span_y += 2 * max(margin * span_y, 0.5)
    scale = min(width / span_x, height / span_y)
    half_lon = width / scale / k / 2
    half_lat = height / scale / 2
    bounds = (lon0 - half_lon, lat0 - half_lat, lon0 + half_lon, lat0 + half_lat)
    return Projection(lon0, lat0, scale, width / 2, height / 2, width, height, bounds)


def country_paths(proj: Projection, world: dict, tolerance_px: float = 0.6) -> list[dict]:
    """SVG path data for each country of ``world`` (:func:`outlines`) that overlaps the projection's window
    (coordinates rounded to 0.1 px; points closer than ``tolerance_px`` to the previous one are dropped)."""
    lo_lon, lo_lat, hi_lon, hi_lat = proj.bounds
    pad_lon, pad_lat = (hi_lon - lo_lon) * 0.5, (hi_lat - lo_lat) * 0.5
    out = []
    for name, (b0, b1, b2, b3), rings in world["countries"]:
        if b2 < lo_lon - pad_lon or b0 > hi_lon + pad_lon or b3 < lo_lat - pad_lat or b1 > hi_lat + pad_lat:
            continue
        parts = []
        best_area, label = 0.0, None
        for ring in rings:
            x, y = proj(ring[:, 0], ring[:, 1])
            # skip rings entirely far outside the view
            if x.max() < -proj.width or x.min() > 2 * proj.width or y.max() < -proj.height \
                    or y.min() > 2 * proj.height:
                continue
            pts = np.round(np.column_stack([x, y]), 1)
            keep = np.ones(len(pts), dtype=bool)
            last = pts[0]
            for i in range(1, len(pts) - 1):
                if abs(pts[i, 0] - last[0]) + abs(pts[i, 1] - last[1]) < tolerance_px:
                    keep[i] = False
                else:
                    last = pts[i]
            pts = pts[keep]
            if len(pts) < 3:
                continue
            area, cx, cy = _centroid(pts)
            if area > best_area:
                best_area, label = area, [round(cx, 1), round(cy, 1)]
            coords = " ".join(f"{_num(px)},{_num(py)}" for px, py in pts)
            parts.append(f"M{coords}Z")
        if parts:
            rec: dict = {"name": name, "d": "".join(parts)}
            if label is not None and 0 < label[0] < proj.width and 0 < label[1] < proj.height \
                    and best_area > 400:  # big enough on screen to carry a name
                rec["label"] = label
            out.append(rec)
    return out


def _num(v: float) -> str:
    s = f"{v:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _centroid(pts: np.ndarray) -> tuple[float, float, float]:
    """Area and centroid of a closed ring (shoelace formula); the mean of the points for degenerate rings."""
    x, y = pts[:, 0], pts[:, 1]
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y1 - x1 * y
    a = cross.sum() / 2
    if abs(a) < 1e-9:
        return 0.0, float(x.mean()), float(y.mean())
    return abs(float(a)), float(((x + x1) * cross).sum() / (6 * a)), float(((y + y1) * cross).sum() / (6 * a))
