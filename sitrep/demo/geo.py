"""Plane geometry of the demo city: convex polygons, a Voronoi tiling by half-plane
clipping, and the conversion of a tiling to GeoJSON with shared vertices.

Pure Python and numpy (no shapely): every cell is the city outline (or its township's
cell) clipped by the perpendicular-bisector half-plane of every other seed, so cells
are convex and tile their parent exactly.
"""

from __future__ import annotations

import math
import random

import numpy as np

Point = tuple[float, float]
Polygon = list[Point]  # counter-clockwise, not closed (first vertex not repeated)

# Vertices closer than this (in the units of the polygon) are one vertex.
EPS = 1e-9


def area(poly: Polygon) -> float:
    """Signed area (shoelace); positive for counter-clockwise polygons."""
    s = 0.0
    n = len(poly)
    for i in range(n):
        x1, y1 = poly[i]
        x2, y2 = poly[(i + 1) % n]
        s += x1 * y2 - x2 * y1
    return s / 2.0


def centroid(poly: Polygon) -> Point:
    a = area(poly)
    cx = cy = 0.0
    n = len(poly)
    for i in range(n):
        x1, y1 = poly[i]
        x2, y2 = poly[(i + 1) % n]
        cross = x1 * y2 - x2 * y1
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    return (cx / (6 * a), cy / (6 * a))


def contains(poly: Polygon, p: Point, tol: float = 0.0) -> bool:
    """Whether point p is inside (or within tol of) the convex counter-clockwise polygon."""
    n = len(poly)
    for i in range(n):
        x1, y1 = poly[i]
        x2, y2 = poly[(i + 1) % n]
        cross = (x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1)
        if cross < -tol * math.hypot(x2 - x1, y2 - y1):
            return False
    return True


def convex_hull(points: list[Point]) -> Polygon:
    """Counter-clockwise convex hull (Andrew's monotone chain)."""
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def clip_half_plane(poly: Polygon, a: float, b: float, c: float) -> Polygon:
    """Sutherland-Hodgman: keep the part of poly where a*x + b*y <= c."""
    out: Polygon = []
    n = len(poly)
    for i in range(n):
        p = poly[i]
        q = poly[(i + 1) % n]
        fp = a * p[0] + b * p[1] - c
        fq = a * q[0] + b * q[1] - c
        if fp <= 0:
            out.append(p)
        if (fp < 0 < fq) or (fq < 0 < fp):
            t = fp / (fp - fq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return _dedupe(out)


def _dedupe(poly: Polygon) -> Polygon:
    out: Polygon = []
    for p in poly:
        if not out or math.hypot(p[0] - out[-1][0], p[1] - out[-1][1]) > EPS:
            out.append(p)
    if len(out) > 1 and math.hypot(out[0][0] - out[-1][0], out[0][1] - out[-1][1]) <= EPS:
        out.pop()
    return out


def voronoi_cells(outline: Polygon, seeds: list[Point]) -> list[Polygon]:
    """The Voronoi cell of every seed inside the convex outline: the cells tile it."""
    cells = []
    for i, (xi, yi) in enumerate(seeds):
        cell = list(outline)
        for j, (xj, yj) in enumerate(seeds):
            if i == j:
                continue
            # points nearer seed i than seed j: 2(xj-xi)x + 2(yj-yi)y <= |sj|^2 - |si|^2
            cell = clip_half_plane(
                cell, 2 * (xj - xi), 2 * (yj - yi), (xj * xj + yj * yj) - (xi * xi + yi * yi)
            )
            if not cell:
                break
        cells.append(cell)
    return cells


def random_point_in(poly: Polygon, rng: random.Random) -> Point:
    """A uniformly random point inside a convex polygon (fan triangulation)."""
    x0, y0 = poly[0]
    tris = []
    for i in range(1, len(poly) - 1):
        (x1, y1), (x2, y2) = poly[i], poly[i + 1]
        tris.append((abs((x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)), (x1, y1), (x2, y2)))
    total = sum(t[0] for t in tris)
    r = rng.random() * total
    for w, p1, p2 in tris:
        if r <= w:
            break
        r -= w
    u, v = rng.random(), rng.random()
    if u + v > 1:
        u, v = 1 - u, 1 - v
    return (x0 + u * (p1[0] - x0) + v * (p2[0] - x0), y0 + u * (p1[1] - y0) + v * (p2[1] - y0))


def spread_points(poly: Polygon, n: int, rng: random.Random, *, avoid: list[Point] = (),
                  candidates: int = 12, inset: float = 0.15) -> list[Point]:
    """n points inside poly, spread out (Mitchell's best candidate) so that Voronoi
    cells come out of similar size; `avoid` are points already placed elsewhere.

    Candidates are drawn from the polygon shrunk towards its centroid by `inset`, so
    no seed sits on the border (a border seed makes a sliver cell).
    """
    cx, cy = centroid(poly)
    inner = [(cx + (x - cx) * (1 - inset), cy + (y - cy) * (1 - inset)) for x, y in poly]
    placed: list[Point] = []
    others = list(avoid)
    for _ in range(n):
        best, best_d = None, -1.0
        for _ in range(candidates):
            p = random_point_in(inner, rng)
            d = min((math.hypot(p[0] - q[0], p[1] - q[1]) for q in placed + others), default=1e18)
            if d > best_d:
                best, best_d = p, d
        placed.append(best)
    return placed


def city_outline(rng: random.Random, width_km: float = 60.0, height_km: float = 50.0,
                 vertices: int = 16) -> Polygon:
    """A convex, irregular outline of about width x height km centred on (0, 0)."""
    pts = []
    for k in range(vertices):
        t = 2 * math.pi * (k + rng.uniform(-0.3, 0.3)) / vertices
        r = rng.uniform(0.86, 1.0)
        pts.append((r * width_km / 2 * math.cos(t), r * height_km / 2 * math.sin(t)))
    return convex_hull(pts)


# ------------------------------------------------------------ shared vertices, GeoJSON


def conform(polygons: list[Polygon], tol: float) -> list[Polygon]:
    """Insert into every edge the vertices of other polygons that lie on it.

    After this, neighbouring polygons have the same vertex sequence along every shared
    border, so rounding the coordinates moves both sides identically and the tiling stays
    exact (no slivers, areas still add up).
    """
    allv = np.array(sorted({p for poly in polygons for p in poly}), dtype=float)
    out = []
    for poly in polygons:
        new: Polygon = []
        n = len(poly)
        for i in range(n):
            a = np.array(poly[i])
            b = np.array(poly[(i + 1) % n])
            new.append(poly[i])
            ab = b - a
            L2 = float(ab @ ab)
            if L2 == 0:
                continue
            rel = allv - a
            t = rel @ ab / L2
            # distance from the line
            d = np.abs(rel[:, 0] * ab[1] - rel[:, 1] * ab[0]) / math.sqrt(L2)
            on = (d <= tol) & (t > 1e-9) & (t < 1 - 1e-9)
            if on.any():
                idx = np.nonzero(on)[0]
                for k in idx[np.argsort(t[idx])]:
                    new.append((float(allv[k, 0]), float(allv[k, 1])))
        out.append(_dedupe(new))
    return out


def round_polygon(poly: Polygon, digits: int = 5) -> Polygon:
    return _dedupe([(round(x, digits), round(y, digits)) for x, y in poly])


def geojson_polygon(poly: Polygon) -> dict:
    ring = [[x, y] for x, y in poly]
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}
