"""Derive the app's compact map files from the official outlines (run by hand, output committed).

    python -m tools.derive_geo ../shared/data

Reads, where they are (never copied):
- `geo/departements-version-simplifiee.geojson` (96 metropolitan départements, IGN Admin
  Express 2018 via gregoiredavid/france-geojson, Licence Ouverte);
- `geo/departements-2025-avec-drom.geojson` (the five overseas départements, COG 2025 via
  anct-carto/superposeur-V2, Licence Ouverte);
- `qpv2024/centroide-4326_qpv.geojson` (one point per commune hosting a QPV, ANCT, Licence
  Ouverte): only the commune code and its position are kept, no QPV.

Writes `q2030/geodata/departements.json` (GeoJSON, properties `code`, `nom`) and
`q2030/geodata/communes.json` (`{insee: [x, y]}`), both in one plane drawn by Altair with the
"identity" projection (no download, no tile server):
- x = longitude x cos(46.5°), y = latitude, so that metropolitan France keeps its shape;
- each overseas département is scaled into a box of its own in a column west of the
  Bay of Biscay (an inset, as on every official map), its communes with it;
- each ring is simplified (Douglas-Peucker, 0.006, about 600 m), rounded to 0.01 (about
  1 km) and its repeated points dropped: at the scale of the national map (about 80 px per
  unit) a border drawn twice differs by less than a pixel.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "q2030" / "geodata"
METRO_COS = math.cos(math.radians(46.5))
DIGITS = 2
TOLERANCE = 0.006  # Douglas-Peucker, in the plane's units (about 600 m)
# Overseas insets: (centre x, centre y, box size) in the plane of the metropolitan map.
INSET_BOX = 1.5
INSETS = {
    "971": (-5.6, 50.4),
    "972": (-5.6, 48.6),
    "973": (-5.6, 46.8),
    "974": (-5.6, 45.0),
    "976": (-5.6, 43.2),
}

Point = tuple[float, float]
Transform = Callable[[float, float], Point]


def _metro(lon: float, lat: float) -> Point:
    return lon * METRO_COS, lat


def _inset_transform(code: str, rings: list[list[list[float]]]) -> Transform:
    """Scale an overseas département into its inset box (same scale on both axes)."""
    lons = [p[0] for ring in rings for p in ring]
    lats = [p[1] for ring in rings for p in ring]
    cos = math.cos(math.radians((min(lats) + max(lats)) / 2))
    width = (max(lons) - min(lons)) * cos
    height = max(lats) - min(lats)
    scale = INSET_BOX / max(width, height)
    mid_lon, mid_lat = (min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2
    cx, cy = INSETS[code]

    def transform(lon: float, lat: float) -> Point:
        return cx + (lon - mid_lon) * cos * scale, cy + (lat - mid_lat) * scale

    return transform


def _douglas_peucker(points: list[Point], tolerance: float) -> list[Point]:
    """Ramer-Douglas-Peucker: keep the points farther than `tolerance` from the simplified line."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        length = math.hypot(x2 - x1, y2 - y1)
        farthest, index = 0.0, -1
        for i in range(first + 1, last):
            x, y = points[i]
            if length == 0:
                distance = math.hypot(x - x1, y - y1)
            else:
                distance = abs((x2 - x1) * (y1 - y) - (x1 - x) * (y2 - y1)) / length
            if distance > farthest:
                farthest, index = distance, i
        if index >= 0 and farthest > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def _round_ring(ring: list[list[float]], transform: Transform) -> list[list[float]] | None:
    out: list[list[float]] = []
    simplified = _douglas_peucker([transform(p[0], p[1]) for p in ring], TOLERANCE)
    for x, y in simplified:
        point = [round(x, DIGITS), round(y, DIGITS)]
        if not out or out[-1] != point:
            out.append(point)
    if len(out) < 4:  # a ring smaller than the rounding step: dropped
        return None
    if out[0] != out[-1]:
        out.append(out[0])
    return out


def _polygons(geometry: dict[str, Any]) -> list[list[list[list[float]]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    return list(geometry["coordinates"])


def _feature(code: str, nom: str, geometry: dict[str, Any], transform: Transform) -> dict[str, Any]:
    polygons = []
    for polygon in _polygons(geometry):
        exterior = _round_ring(polygon[0], transform)
        if exterior is None:  # an islet smaller than the rounding step
            continue
        holes = [r for r in (_round_ring(ring, transform) for ring in polygon[1:]) if r is not None]
        polygons.append([exterior, *holes])
    return {
        "type": "Feature",
        "properties": {"code": code, "nom": nom},
        "geometry": {"type": "MultiPolygon", "coordinates": polygons},
    }


def derive(data: Path) -> None:
    metro = json.loads((data / "geo" / "departements-version-simplifiee.geojson").read_text(encoding="utf-8"))
    drom = json.loads((data / "geo" / "departements-2025-avec-drom.geojson").read_text(encoding="utf-8"))
    features = [
        _feature(f["properties"]["code"], f["properties"]["nom"], f["geometry"], _metro) for f in metro["features"]
    ]
    transforms: dict[str, Transform] = {}
    for f in drom["features"]:
        code = f["properties"]["insee_dep"]
        if code not in INSETS:
            continue
        rings = [ring for polygon in _polygons(f["geometry"]) for ring in polygon]
        transforms[code] = _inset_transform(code, rings)
        features.append(_feature(code, f["properties"]["lib_dep"], f["geometry"], transforms[code]))
    features.sort(key=lambda f: f["properties"]["code"])
    communes = json.loads((data / "qpv2024" / "centroide-4326_qpv.geojson").read_text(encoding="utf-8"))
    positions: dict[str, list[float]] = {}
    for f in communes["features"]:
        insee = f["properties"]["insee_com"]
        lon, lat = f["geometry"]["coordinates"][:2]
        transform = transforms.get(insee[:3], _metro) if insee.startswith("97") else _metro
        x, y = transform(lon, lat)
        positions[insee] = [round(x, 3), round(y, 3)]
    OUT.mkdir(parents=True, exist_ok=True)
    collection = {"type": "FeatureCollection", "features": features}
    (OUT / "departements.json").write_text(json.dumps(collection, separators=(",", ":")), encoding="utf-8")
    (OUT / "communes.json").write_text(
        json.dumps(dict(sorted(positions.items())), separators=(",", ":")), encoding="utf-8"
    )
    for name in ("departements.json", "communes.json"):
        print(f"{name} : {(OUT / name).stat().st_size / 1024:.0f} Ko")
    print(f"{len(features)} départements, {len(positions)} communes")


if __name__ == "__main__":
    derive(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"))
