"""Which way each face faces, and the proof that the up (down) faces tile their footprint
seen from above, so that faces of the same side need not be paired."""

from __future__ import annotations

import numpy as np
import shapely

from shellgen._typing import BoolArray, FloatArray, IntArray
from shellgen.validation._arrays import _dot, _ranks, _row_ids
from shellgen.validation._columns import (
    _DOWN,
    _DOWN_STEP,
    _FLAT_UP,
    _FLAT_UP_MIN_NZ,
    _OTHER,
    _STEEP_UP,
    _UP_STEP,
)

__all__ = ["_facings"]


def _facings(
    corners: FloatArray, cross: FloatArray, merged_faces: IntArray, twin: IntArray | None
) -> tuple[IntArray, tuple[bool, bool]]:
    """The facing of every face (for the column index), and whether the up (down) faces are
    proven to tile (:func:`_tiling_steps`); the faces at vertical steps of a tiling get a
    facing of their own. The down faces of a shell have the same boundary seen from above
    as its up faces: that boundary's loops are then tested once.
    """
    up = cross[2]
    flat = (up > 0.0) & (up * up >= _FLAT_UP_MIN_NZ**2 * _dot(cross, cross))
    facing = np.select([flat, up > 0.0, up < 0.0], [_FLAT_UP, _STEEP_UP, _DOWN], _OTHER)
    tiled = [False, False]
    if twin is not None:
        twin_face = twin // 3
        proven: FloatArray | None = None
        for k, (sign, step) in enumerate(((1.0, _UP_STEP), (-1.0, _DOWN_STEP))):
            found = _tiling_steps(corners, merged_faces, twin_face, sign * up > 0.0, sign, proven)
            if found is not None:
                tiled[k] = True
                facing[found[0]], proven = step, found[1]
    return facing, (tiled[0], tiled[1])


def _tiling_steps(
    corners: FloatArray,
    merged_faces: IntArray,
    twin_face: IntArray,
    member: BoolArray,
    sign: float,
    proven: FloatArray | None,
) -> tuple[IntArray, FloatArray] | None:
    """The faces ``member`` at vertical steps, when the others are proven not to meet, and
    their boundary seen from above: directed segments (x0, y0, x1, y1) (s, 4), mm, in
    lexicographic order.

    ``proven`` is such a boundary already proven to be simple loops
    (:func:`_simple_single_loops`), or None; the same boundary is not tested again.

    Seen from above, the faces facing up (``sign`` 1; down: -1, reversed) are counter-
    clockwise triangles. The number of them over a point of the (x, y) plane is the winding
    number around it of the sum of their edges, seen from above, where the edges shared by
    two faces cancel, and so do two edges seen from above as one segment run both ways (the
    two sides of a vertical step, such as an engraved label). When what is left is simple,
    disjoint loops that wind 0 or 1 times around every point, the faces tile their footprint
    like a planar triangulation: two of them can only meet in space if, seen from above, they
    share a vertex, which they do not share in space. That happens only at vertical steps,
    where two vertices lie one over the other.

    Returns None (nothing proven) whenever the loops are not that simple.
    """
    if not member.any():
        return np.zeros(0, dtype=np.int64), np.zeros((0, 4))
    half = np.flatnonzero(np.repeat(member, 3) & ~member[twin_face])
    if not len(half):
        return None
    f, i = np.divmod(half, 3)
    j = (i + 1) % 3
    xy = np.concatenate([corners[:2, i, f], corners[:2, j, f]], axis=1).T
    point = _row_ids(xy)  # boundary vertices seen from above
    vertex = np.concatenate([merged_faces[f, i], merged_faces[f, j]])
    start, end = np.split(point, 2)
    if sign < 0.0:
        start, end = end, start
    points = int(point.max()) + 1
    key = np.minimum(start, end) * points + np.maximum(start, end)
    index = _ranks(key, np.argsort(key))
    net = np.bincount(index, np.where(start < end, 1.0, -1.0))  # both ways cancel
    if np.any(np.abs(net) > 1.0):
        return None
    segment = np.zeros(len(net), dtype=np.int64)
    segment[index] = key
    lower, upper = np.divmod(segment[net != 0.0], points)
    forward = net[net != 0.0] > 0.0
    first, second = np.where(forward, lower, upper), np.where(forward, upper, lower)
    ordered = np.sort(first)
    if np.any(ordered[1:] == ordered[:-1]):
        return None  # a vertex starts two boundary edges: loops touch
    where = np.zeros((points, 2))
    where[point] = xy
    segments = np.stack([where[first], where[second]], axis=1)
    boundary = segments.reshape(-1, 4)[np.lexsort(segments.reshape(-1, 4).T[::-1])]
    same = proven is not None and np.array_equal(boundary, proven)
    if not (same or _simple_single_loops(segments)):
        return None
    vertices = int(vertex.max()) + 1
    pairs = np.sort(point * vertices + vertex)
    pairs = pairs[np.diff(pairs, prepend=-1) != 0]
    over = np.bincount(pairs // vertices, minlength=points) > 1  # several vertices, one point
    stacked = np.zeros(int(merged_faces.max()) + 1, dtype=bool)
    stacked[vertex[over[point]]] = True
    at_step = (
        stacked[merged_faces[:, 0]] | stacked[merged_faces[:, 1]] | stacked[merged_faces[:, 2]]
    )
    return np.flatnonzero(member & at_step), boundary


def _simple_single_loops(segments: FloatArray) -> bool:
    """Whether directed segments (s, 2, 2) form simple, disjoint loops, each point of the
    plane wound around 0 or 1 times."""
    merged = shapely.line_merge(
        shapely.multilinestrings(shapely.linestrings(segments)), directed=True
    )
    loops = shapely.get_parts(merged)
    if not (shapely.is_closed(loops).all() and shapely.is_simple(shapely.multilinestrings(loops))):
        return False
    coords, loop = shapely.get_coordinates(loops, return_index=True)
    inner = loop[1:] == loop[:-1]
    a, b, seg_loop = coords[:-1][inner], coords[1:][inner], loop[:-1][inner]
    turns = np.sign(np.bincount(seg_loop, a[:, 0] * b[:, 1] - b[:, 0] * a[:, 1]))
    probe = coords[np.flatnonzero(np.diff(loop, prepend=-1))]  # a vertex of each loop
    outside = _winding_numbers(probe, a, b, seg_loop)
    inside = outside + turns
    return bool(np.all((outside >= 0) & (outside <= 1) & (inside >= 0) & (inside <= 1)))


def _winding_numbers(
    points: FloatArray, a: FloatArray, b: FloatArray, seg_loop: IntArray
) -> IntArray:
    """(r,) int: winding number around ``points[i]`` of the directed segments a -> b that
    are not on loop ``i`` (crossing rule on a ray towards +x)."""
    px = points[:, :1]
    py = points[:, 1:]
    left = (b[:, 0] - a[:, 0]) * (py - a[:, 1]) - (px - a[:, 0]) * (b[:, 1] - a[:, 1])
    upward = (a[:, 1] <= py) & (b[:, 1] > py) & (left > 0.0)
    downward = (b[:, 1] <= py) & (a[:, 1] > py) & (left < 0.0)
    other = seg_loop[None, :] != np.arange(len(points))[:, None]
    return ((upward.astype(np.int64) - downward) * other).sum(axis=1)
