"""Conforming Delaunay triangulation of a polygon with holes and extra constraint rings.

``build`` triangulates the shell outline once, seen from above: boundary rings resampled at
about the grid spacing, interior points on a regular grid, and every ring segment an edge of
the triangulation, so that side walls can be stood on the rings and engraved glyph outlines
can be stepped.

The method is conforming Delaunay: the Delaunay triangulation of all points (scipy's Qhull)
is checked for every ring segment; a missing segment (one crossed by another edge) is split
at its midpoint and the triangulation redone, until every segment is present. Grid points are
kept at least 0.6 spacing from every ring, so a segment no longer than the spacing has an
empty diametral circle (it is a Gabriel edge, hence a Delaunay edge) unless another ring comes
close; the few such segments are the ones split. A frame of far points keeps the rings off the
convex hull (where Qhull would join collinear boundary points into flat triangles). Triangles
are then kept where their centroid lies in the domain. Splitting only adds points on the
rings, so the rings given are the boundary of the result, in their order and orientation.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import Delaunay, cKDTree
from shapely.geometry import Polygon

from shellgen._typing import FloatArray, IntArray
from shellgen.errors import GeometryError

__all__ = ["Mesh2D", "resample_even", "resample_ring", "triangulate"]

#: Fewest interior-grid spacings a grid point keeps from any ring.
_GRID_CLEARANCE = 0.6
#: Fixed pseudo-random wobble of grid points, in spacings: a perfect grid is a degenerate
#: (cocircular) Delaunay input that Qhull triangulates three times slower.
_GRID_WOBBLE = 1e-4
#: Most rounds of segment splitting before giving up.
_MAX_SPLIT_ROUNDS = 12


@dataclass(frozen=True, eq=False)
class Mesh2D:
    """A planar triangulation whose edges include every constraint ring.

    Attributes
    ----------
    points : (n, 2) float
        Vertex positions (x, y), mm: the ring vertices first, ring after ring, then the
        interior grid points.
    triangles : (m, 3) int
        Counter-clockwise triangles (seen from +z) covering the domain.
    rings : tuple of (k,) int
        For every constraint ring, in the order given, its vertex indices in ring order
        (closed implicitly: the last vertex joins the first); same orientation as given.
    """

    points: FloatArray
    triangles: IntArray
    rings: tuple[IntArray, ...]


def resample_ring(coords: FloatArray, max_step_mm: float) -> FloatArray:
    """Resample a closed ring so that no segment is longer than ``max_step_mm``.

    Every original vertex is kept; long segments are divided evenly.

    Parameters
    ----------
    coords : (k, 2) float
        Ring vertices, mm, with or without the closing repeat of the first vertex.
    max_step_mm : float
        Longest segment allowed, mm.

    Returns
    -------
    (j, 2) float
        Ring vertices without the closing repeat, same orientation.
    """
    ring = np.asarray(coords, dtype=np.float64)[:, :2]
    if len(ring) > 1 and np.array_equal(ring[0], ring[-1]):
        ring = ring[:-1]
    nxt = np.roll(ring, -1, axis=0)
    pieces = np.maximum(np.ceil(np.linalg.norm(nxt - ring, axis=1) / max_step_mm), 1).astype(int)
    start = np.repeat(ring, pieces, axis=0)
    step = np.repeat((nxt - ring) / pieces[:, None], pieces, axis=0)
    offsets = np.arange(pieces.sum()) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    return np.asarray(start + step * offsets[:, None], dtype=np.float64)


def resample_even(coords: FloatArray, step_mm: float) -> FloatArray:
    """Resample a closed ring at equal arc-length steps of about ``step_mm``.

    Parameters
    ----------
    coords : (k, 2) float
        Ring vertices, mm, with or without the closing repeat of the first vertex.
    step_mm : float
        Wanted spacing along the ring, mm; the ring length is divided into a whole number
        (at least 3) of equal steps.

    Returns
    -------
    (j, 2) float
        Ring vertices without the closing repeat, same orientation, starting at the first
        vertex given.
    """
    ring = np.asarray(coords, dtype=np.float64)[:, :2]
    if not np.array_equal(ring[0], ring[-1]):
        ring = np.vstack([ring, ring[:1]])
    along = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(ring, axis=0), axis=1))])
    count = max(int(np.ceil(along[-1] / step_mm)), 3)
    at = np.linspace(0.0, along[-1], count, endpoint=False)
    return np.column_stack([np.interp(at, along, ring[:, 0]), np.interp(at, along, ring[:, 1])])


def _grid_points(
    domain: Polygon, rings: Sequence[FloatArray], spacing_mm: float, coarse: Polygon | None = None
) -> FloatArray:
    """Points of the regular grid (multiples of the spacing) inside the domain, clear of rings;
    inside ``coarse``, only those of the grid twice as wide (multiples of twice the spacing,
    which are points of the first: the two grids meet without slivers)."""
    grid = _plain_grid(domain, rings, spacing_mm)
    if coarse is None or coarse.is_empty:
        return grid
    shapely.prepare(coarse)
    wide = _plain_grid(domain, rings, 2.0 * spacing_mm)
    return np.concatenate(
        [
            grid[~shapely.contains_xy(coarse, grid[:, 0], grid[:, 1])],
            wide[shapely.contains_xy(coarse, wide[:, 0], wide[:, 1])],
        ]
    )


def _plain_grid(domain: Polygon, rings: Sequence[FloatArray], spacing_mm: float) -> FloatArray:
    minx, miny, maxx, maxy = domain.bounds
    xs = spacing_mm * np.arange(np.ceil(minx / spacing_mm), np.floor(maxx / spacing_mm) + 1)
    ys = spacing_mm * np.arange(np.ceil(miny / spacing_mm), np.floor(maxy / spacing_mm) + 1)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    shapely.prepare(domain)
    inside = shapely.contains_xy(domain, gx, gy)
    gx, gy = gx[inside], gy[inside]
    fine = 0.2 * spacing_mm
    dense = np.concatenate([resample_ring(r, fine) for r in rings])
    reach = (_GRID_CLEARANCE + 0.1) * spacing_mm
    dist, _ = cKDTree(dense).query(np.column_stack([gx, gy]), distance_upper_bound=reach)
    clear = dist >= reach
    grid = np.column_stack([gx[clear], gy[clear]])
    k = np.arange(len(grid), dtype=np.float64)
    wobble = np.column_stack([np.sin(12.9898 * k), np.sin(78.233 * k)])
    return np.asarray(grid + _GRID_WOBBLE * spacing_mm * wobble, dtype=np.float64)


def _missing_segments(tri: Delaunay, ring_ids: Sequence[IntArray], n: int) -> list[IntArray]:
    """For each ring, the positions ``i`` whose segment (i, i + 1) is not a Delaunay edge."""
    s = tri.simplices.astype(np.int64)
    a = np.concatenate([s[:, 0], s[:, 1], s[:, 2]])
    b = np.concatenate([s[:, 1], s[:, 2], s[:, 0]])
    keys = np.sort(np.minimum(a, b) * n + np.maximum(a, b))
    a = np.concatenate(ring_ids)
    b = np.concatenate([np.roll(ids, -1) for ids in ring_ids])
    seg = np.minimum(a, b) * n + np.maximum(a, b)
    pos = np.minimum(np.searchsorted(keys, seg), len(keys) - 1)
    present = keys[pos] == seg
    bounds = np.cumsum([0, *(len(ids) for ids in ring_ids)])
    return [np.flatnonzero(~present[lo:hi]) for lo, hi in itertools.pairwise(bounds)]


def triangulate(
    rings: Sequence[FloatArray], domain: Polygon, spacing_mm: float, coarse: Polygon | None = None
) -> Mesh2D:
    """Triangulate ``domain`` with every ring segment as an edge and a regular interior grid.

    Parameters
    ----------
    rings : sequence of (k, 2) float
        Constraint rings, mm, without closing repeat: the domain's exterior and holes (already
        resampled, e.g. with :func:`resample_ring`), and any extra closed rings lying strictly
        inside the domain (engraving outlines). Rings must not touch or cross each other.
    domain : Polygon
        The region to cover (exterior and holes are among ``rings``).
    spacing_mm : float
        Interior grid spacing, mm.
    coarse : Polygon, optional
        Where the interior grid is twice as wide (it should keep a few spacings from the
        rings, which keep their own spacing).

    Returns
    -------
    Mesh2D
        The triangulation.

    Raises
    ------
    GeometryError
        If a ring segment cannot be made a Delaunay edge (rings touching or crossing).
    """
    work = [np.asarray(r, dtype=np.float64) for r in rings]
    grid = _grid_points(domain, work, spacing_mm, coarse)
    minx, miny, maxx, maxy = domain.bounds
    pad = 10.0 * spacing_mm
    xs, ys = (
        [minx - pad, 0.5 * (minx + maxx), maxx + pad],
        [miny - pad, 0.5 * (miny + maxy), maxy + pad],
    )
    frame = np.array([(x, y) for x in xs for y in ys if (x, y) != (xs[1], ys[1])])
    for _ in range(_MAX_SPLIT_ROUNDS):
        sizes = [len(r) for r in work]
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        points = np.concatenate([*work, grid, frame])
        ring_ids = [s + np.arange(k, dtype=np.int64) for s, k in zip(starts, sizes, strict=True)]
        tri = Delaunay(points)
        if len(tri.coplanar):
            raise GeometryError(
                f"{len(tri.coplanar)} duplicate triangulation points in the shell outline: "
                "rings touch each other; report this outline as a bug"
            )
        missing = _missing_segments(tri, ring_ids, len(points))
        if not any(len(m) for m in missing):
            break
        for k, m in enumerate(missing):
            if len(m):
                r = work[k]
                mids = 0.5 * (r[m] + r[(m + 1) % len(r)])
                work[k] = np.insert(r, m + 1, mids, axis=0)
    else:
        count = sum(len(m) for m in missing)
        raise GeometryError(
            f"{count} outline segments could not be made triangulation edges after "
            f"{_MAX_SPLIT_ROUNDS} rounds: rings touch or cross; smooth the outline"
        )
    simplices = tri.simplices.astype(np.int64)
    corners = points[simplices]
    centroids = corners.mean(axis=1)
    keep = shapely.contains_xy(domain, centroids[:, 0], centroids[:, 1])
    simplices, corners = simplices[keep], corners[keep]
    d1, d2 = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
    area2 = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
    if np.abs(area2).min() < 1e-9 * spacing_mm**2:
        raise GeometryError(
            "the outline triangulation has a degenerate triangle: rings nearly touch; "
            "report this outline as a bug"
        )
    simplices = np.where((area2 < 0)[:, None], simplices[:, [0, 2, 1]], simplices)
    return Mesh2D(points=points[: -len(frame)], triangles=simplices, rings=tuple(ring_ids))
