"""The ``min_wall_mm`` check: rays cast along the inward normal from a regular (x, y) grid of
top faces, through the column index."""

from __future__ import annotations

import math
from typing import Final

import numpy as np

from shellgen._typing import BoolArray, FloatArray, IntArray
from shellgen.validation._arrays import _CROSS_EPS, _cross, _dot, _sort_order
from shellgen.validation._columns import (
    _FACINGS,
    _FLAT_UP,
    _FLAT_UP_MIN_NZ,
    _STEEP_UP,
    _column_query,
    _Columns,
)
from shellgen.validation._report import Check, _fmt_xyz
from shellgen.validation._topology import _Edges

__all__ = ["WALL_GRID_MM", "_min_wall_check"]


#: Spacing of the (x, y) grid on which wall thickness is sampled, mm.
WALL_GRID_MM: Final = 2.0

#: A face at least this far from vertical (|n_z|, the cosine of its slope) is a top or bottom
#: face; steeper faces are side walls. cos(84 deg): heel-cup walls are well under this.
_FLAT_MIN_NZ: Final = 0.1

#: Rays start this far inside the surface so that they do not hit their own face, mm.
_RAY_START_MM: Final = 1e-4


def _min_wall_check(
    corners: FloatArray,
    cross: FloatArray,
    area_mm2: FloatArray,
    edges: _Edges,
    columns: _Columns,
    min_wall_mm: float,
    embedded: bool,
) -> Check:
    """Thickness along the inward normal, from top faces picked on a regular (x, y) grid.

    In each :data:`WALL_GRID_MM` cell (fixed to the frame's origin) the top-facing face whose
    centroid is nearest the cell centre casts a ray along its inward normal; the distance to
    the surface where the ray leaves the solid is the wall there. Rays whose first face is a
    side wall (the rim's edge, not a wall) or one they enter through are skipped and counted.
    ``embedded``: no two faces cross, so that the first face a ray meets is one it leaves
    through, and faces it would enter through need not be tested.
    """
    name, unit = "min_wall_mm", "mm"
    if edges.twin is None or not np.isfinite(corners).all():
        detail = "not measured: the mesh is not a closed, consistently wound surface"
        return Check(name, False, math.nan, min_wall_mm, unit, detail)
    normals = np.divide(cross, 2.0 * area_mm2, out=np.zeros_like(cross), where=area_mm2 > 0)
    centroids = corners.mean(axis=1)
    samples = _grid_samples(centroids, normals)
    inward = -np.take(normals, samples, axis=1)
    origins = np.take(centroids, samples, axis=1) + _RAY_START_MM * inward
    size_mm = columns.hi.max(axis=1, initial=0.0) - columns.lo.min(axis=1, initial=0.0)
    reach_mm = float(size_mm.max()) * 2.0 + 1.0
    distance, hit = _first_hits(corners, normals, columns, origins, inward, reach_mm, embedded)
    hit_normal = (
        np.take(normals, columns.face[hit], axis=1)
        if len(columns.face)
        else np.zeros((3, len(hit)))
    )
    # the first face a ray meets must be one it leaves through, and not a side wall
    wall = (hit >= 0) & (np.abs(hit_normal[2]) >= _FLAT_MIN_NZ) & (_dot(hit_normal, inward) > 0.0)
    rim = len(samples) - int(wall.sum())
    if not wall.any():
        detail = f"not measured: none of {len(samples)} samples met an opposite surface"
        return Check(name, False, math.nan, min_wall_mm, unit, detail)
    walls = distance[wall] + _RAY_START_MM
    k = int(np.argmin(walls))
    value = float(walls[k])
    ok = value >= min_wall_mm
    where = centroids[:, samples[wall][k]]
    detail = (
        f"thinnest {value:.2f} mm (limit {min_wall_mm:g} mm) at {_fmt_xyz(where)};"
        f" {int(wall.sum())} samples on a {WALL_GRID_MM:g} mm grid, {rim} at the rim skipped"
    )
    return Check(name, ok, value, min_wall_mm, unit, detail)


def _grid_samples(centroids: FloatArray, normals: FloatArray) -> IntArray:
    """Indices of top-facing faces, one per (x, y) grid cell, in a deterministic order.

    In each cell, the face whose centroid is nearest the cell's centre (then the lowest index).
    """
    top = np.flatnonzero(normals[2] > _FLAT_MIN_NZ)
    if not len(top):
        return top
    x, y = centroids[0, top], centroids[1, top]
    i = np.floor(x / WALL_GRID_MM).astype(np.int64)
    j = np.floor(y / WALL_GRID_MM).astype(np.int64)
    dx = x - (i + 0.5) * WALL_GRID_MM
    dy = y - (j + 0.5) * WALL_GRID_MM
    off_centre = np.sqrt(dx * dx + dy * dy)
    i -= i.min()
    j -= j.min()
    rows = int(j.max()) + 1
    order = _sort_order(i * rows + j, (int(i.max()) + 1) * rows)
    cell = (i * rows + j)[order]
    off_centre = off_centre[order]
    start = np.flatnonzero(np.diff(cell, prepend=-1))
    nearest = np.minimum.reduceat(off_centre, start)
    tied = np.flatnonzero(off_centre == np.repeat(nearest, np.diff(start, append=len(cell))))
    first = tied[np.diff(cell[tied], prepend=-1) != 0]
    return top[order[first]]


def _first_hits(
    corners: FloatArray,
    normals: FloatArray,
    columns: _Columns,
    origins: FloatArray,
    directions: FloatArray,
    reach_mm: float,
    exits_only: bool,
) -> tuple[FloatArray, IntArray]:
    """The first face each ray meets within ``reach_mm``: (distance mm, indexed face or -1).

    Rays (3, r) have unit ``directions``. With ``exits_only``, only the faces a ray would
    leave a solid through (normal along the ray) are tested. A ray advances in pieces that
    cover about a cell seen from above (all of it at once when it is near vertical), then
    twice as much each time; the faces that may lie across a piece seen from above are
    tested, and a ray stops in the first piece in which it meets a face. Ties go to the
    lowest face.
    """
    rays = origins.shape[1]
    distance = np.full(rays, np.inf)
    hit = np.full(rays, -1, dtype=np.int64)
    # leaving, a ray close to straight down cannot pass a face close to straight up
    steep = exits_only & (-directions[2] >= _FLAT_UP_MIN_NZ)
    facings = (np.where(steep, _STEEP_UP, _FLAT_UP), np.full(rays, _FACINGS))
    across = np.hypot(directions[0], directions[1])  # seen from above, per mm along the ray
    plane = _dot(normals, corners[:, 0])  # n . x of the points x of each face's plane
    near_mm = np.zeros(rays)
    far_mm = np.minimum(reach_mm, columns.cell_mm / np.maximum(across, 1e-9))
    margin_mm = _CROSS_EPS * (1.0 + reach_mm + float(np.abs(origins).max(initial=0.0)))
    active = np.arange(rays)
    while len(active):
        o = np.take(origins, active, axis=1)
        d = np.take(directions, active, axis=1)
        near, far = near_mm[active], far_mm[active]
        ends = np.stack([o[:2] + near * d[:2], o[:2] + far * d[:2]])
        ray, face, _ = _column_query(  # a face met twice is met at the same distance
            columns,
            ends.min(axis=0) - margin_mm,
            ends.max(axis=0) + margin_mm,
            (facings[0][active], facings[1][active]),
        )
        # faces whose plane the ray crosses within the piece, inside their box
        mesh_face = np.take(columns.face, face)
        n = np.take(normals, mesh_face, axis=1)
        ray_o = np.take(o, ray, axis=1)
        ray_d = np.take(d, ray, axis=1)
        along = _dot(n, ray_d)
        t = np.divide(
            np.take(plane, mesh_face) - _dot(n, ray_o),
            along,
            out=np.full_like(along, -1.0),
            where=along != 0,
        )
        keep = (
            ((along > 0.0) if exits_only else (along != 0.0)) & (t > 0.0) & (t <= np.take(far, ray))
        )
        for axis in (0, 1):
            at = ray_o[axis] + t * ray_d[axis]
            keep &= (at >= np.take(columns.lo[axis], face) - margin_mm) & (
                at <= np.take(columns.hi[axis], face) + margin_mm
            )
        kept = np.flatnonzero(keep)
        tri = np.take(corners, np.take(mesh_face, kept), axis=2)
        met = kept[_ray_meets(np.take(ray_o, kept, axis=1), np.take(ray_d, kept, axis=1), tri)]
        ray, face, t = ray[met], face[met], t[met]
        nearest = np.full(len(active), np.inf)
        np.minimum.at(nearest, ray, t)
        tied = t == nearest[ray]
        lowest = np.full(len(active), len(columns.face))
        np.minimum.at(lowest, ray[tied], face[tied])
        found = np.isfinite(nearest)
        distance[active[found]] = nearest[found]
        hit[active[found]] = lowest[found]
        active = active[~found & (far < reach_mm)]
        near_mm[active], far_mm[active] = (
            far_mm[active],
            np.minimum(reach_mm, 3.0 * far_mm[active] - 2.0 * near_mm[active]),
        )
    return distance, hit


def _ray_meets(origin: FloatArray, direction: FloatArray, tri: FloatArray) -> BoolArray:
    """Möller–Trumbore: whether the lines of rays (3, k) pass through triangles (3, 3, k),
    edges included (the distance along them is the plane's)."""
    e1 = tri[:, 1] - tri[:, 0]
    e2 = tri[:, 2] - tri[:, 0]
    h = _cross(direction, e2)
    det = _dot(e1, h)
    valid = np.abs(det) > 1e-12 * np.sqrt(_dot(e1, e1) * _dot(e2, e2))
    inv = np.divide(1.0, det, out=np.zeros_like(det), where=valid)
    s = origin - tri[:, 0]
    u = inv * _dot(s, h)
    v = inv * _dot(direction, _cross(s, e1))
    eps = _CROSS_EPS
    return valid & (u >= -eps) & (v >= -eps) & (u + v <= 1 + eps)
