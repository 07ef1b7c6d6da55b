"""The ``self_intersections`` check: candidate pairs from the column index, less what the
tiling proves apart, put through an exact triangle-triangle test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shellgen._typing import BoolArray, FloatArray, IntArray
from shellgen.validation._arrays import _CROSS_EPS, _cross, _dot
from shellgen.validation._columns import (
    _DOWN,
    _DOWN_STEP,
    _FACINGS,
    _FLAT_UP,
    _OTHER,
    _STEEP_UP,
    _UP_STEP,
    _column_query,
    _Columns,
)
from shellgen.validation._report import Check, _fmt_xyz

__all__ = ["_self_intersections_check", "_triangles_cross"]


def _candidate_pairs(
    columns: _Columns, facing: IntArray, tiled: tuple[bool, bool]
) -> tuple[IntArray, IntArray]:
    """Pairs (a, b) of indexed faces whose boxes overlap, each pair once.

    Each face looks only among the facings it may cross (a range of blocks). When the up-
    facing faces tile (``tiled``, see :func:`_tiling_steps`), two of them can only meet at a
    vertical step: an up-facing face looks among the down-facing ones, and a face at a step
    among those at a step too. Likewise down. An up-facing face above every down-facing face
    around it looks nowhere; a vertical face below every up-facing one skips those.
    """
    all_facing = facing
    facing = facing[columns.face]
    up = facing <= _STEEP_UP
    down = facing == _DOWN
    start = np.select(
        [up, facing == _UP_STEP, down, facing == _DOWN_STEP],
        [_DOWN if tiled[0] else _FLAT_UP, _UP_STEP, _DOWN, _DOWN_STEP],
        _FLAT_UP,
    )
    end = np.where(facing == _OTHER, _FACINGS, _OTHER)
    end[down & tiled[1]] = _DOWN
    highest_down, lowest_up = _heights_nearby(columns, all_facing)
    if tiled[0]:
        end[up & (columns.lo[2] > highest_down)] = _DOWN
    start[(facing == _OTHER) & (columns.hi[2] < lowest_up)] = _DOWN
    ask = np.flatnonzero(end > start)
    a, b, first = _column_query(
        columns,
        np.take(columns.lo[:2], ask, axis=1),
        np.take(columns.hi[:2], ask, axis=1),
        (start[ask], end[ask]),
    )
    a = np.take(ask, a)
    group = np.maximum(facing, _STEEP_UP)
    # a pair within a group is found from both sides; y and z are tested on what is left
    lo, hi = columns.lo[0], columns.hi[0]
    first &= (np.take(group, a) != np.take(group, b)) | (a < b)
    first &= (np.take(lo, a) <= np.take(hi, b)) & (np.take(lo, b) <= np.take(hi, a))
    pair = np.flatnonzero(first)
    a, b = np.take(a, pair), np.take(b, pair)
    keep = np.ones(len(a), dtype=bool)
    for axis in (1, 2):
        lo, hi = columns.lo[axis], columns.hi[axis]
        keep &= (np.take(lo, a) <= np.take(hi, b)) & (np.take(lo, b) <= np.take(hi, a))
    return a[keep], b[keep]


def _heights_nearby(columns: _Columns, facing: IntArray) -> tuple[FloatArray, FloatArray]:
    """For each indexed face, (the top of the highest down-facing face, the bottom of the
    lowest up-facing face) among those its query may return, mm.

    Those are the faces entered in the 3 x 3 cells around the face's first cell; a face that
    spans more cells gets (+inf, -inf), which rules out nothing.
    """
    facing = facing[columns.face][columns.entry_face]
    down = (facing == _DOWN) | (facing == _DOWN_STEP)
    up = facing <= _UP_STEP
    starts = columns.block_start[::_FACINGS]
    filled = np.flatnonzero(np.diff(starts) > 0)
    di, dj = columns.dims
    nearby = []
    for mine, height in ((down, columns.hi[2]), (up, -columns.lo[2])):
        value = np.where(mine, height[columns.entry_face], -np.inf)
        best = np.full(di * dj, -np.inf)
        best[filled] = np.maximum.reduceat(value, starts[filled]) if len(filled) else []
        padded = np.pad(best.reshape(di, dj), 1, constant_values=-np.inf)
        around = padded[1:-1, 1:-1].copy()
        for i in range(3):
            for j in range(3):
                np.maximum(around, padded[i : i + di, j : j + dj], out=around)
        nearby.append(np.where(columns.wide, np.inf, around.reshape(-1)[columns.first_cell]))
    return nearby[0], -nearby[1]


def _self_intersections_check(
    corners: FloatArray,
    merged_faces: IntArray,
    columns: _Columns,
    facing: IntArray,
    tiled: tuple[bool, bool],
) -> Check:
    """Pairs of faces that share no vertex and still meet.

    Candidates are the pairs whose boxes overlap (:func:`_candidate_pairs`), less the pairs
    of up-facing (down-facing) faces when those are proven to tile (:func:`_tiling_steps`).
    """
    a, b = _candidate_pairs(columns, facing, tiled)
    a, b = np.take(columns.face, np.minimum(a, b)), np.take(columns.face, np.maximum(a, b))
    vertex_a, vertex_b = np.take(merged_faces.T, a, axis=1), np.take(merged_faces.T, b, axis=1)
    apart = np.ones(len(a), dtype=bool)
    for i in range(3):
        for j in range(3):
            apart &= vertex_a[i] != vertex_b[j]
    a, b = a[apart], b[apart]
    hit = _triangles_cross(np.take(corners, a, axis=2), np.take(corners, b, axis=2))
    a, b = a[hit], b[hit]
    if not len(a):
        return Check("self_intersections", True, 0, 0, "pairs", "no two faces cross")
    first = np.lexsort((b, a))[0]
    pair = np.concatenate([corners[:, :, a[first]], corners[:, :, b[first]]], axis=1)
    where = _fmt_xyz(pair.mean(axis=1))
    detail = f"{len(a)} pairs of faces cross, the first near {where}: remove the overlap"
    return Check("self_intersections", False, len(a), 0, "pairs", detail)


def _triangles_cross(ta: FloatArray, tb: FloatArray) -> BoolArray:
    """(k,) bool: whether triangles ``ta[..., i]`` and ``tb[..., i]`` (3 axes, 3 corners, k),
    sharing no vertex, meet.

    In a valid mesh, faces that share no vertex are disjoint, so touching counts too. A pair
    is rejected early when one triangle lies strictly on one side of the other's plane;
    otherwise an edge of one must pierce (or touch) the other. Coplanar overlaps are not
    found here (``duplicate_faces`` finds the common case).
    """
    maybe = np.flatnonzero(_straddles(ta, tb))
    maybe = maybe[_straddles(np.take(tb, maybe, axis=2), np.take(ta, maybe, axis=2))]
    ia = np.take(ta, maybe, axis=2)
    ib = np.take(tb, maybe, axis=2)
    meet = np.zeros(len(maybe), dtype=bool)
    for tri_e, tri_f in ((ia, ib), (ib, ia)):
        sides = _Sides.of(tri_f)
        for e0, e1 in ((0, 1), (1, 2), (2, 0)):
            meet |= _segment_meets(tri_e[:, e0], tri_e[:, e1], sides)
    hit = np.zeros(ta.shape[2], dtype=bool)
    hit[maybe] = meet
    return hit


def _straddles(tri: FloatArray, other: FloatArray) -> BoolArray:
    """Whether ``other`` reaches ``tri``'s plane and is not coplanar with it."""
    normal = _cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    offset = [other[:, c] - tri[:, 0] for c in range(3)]
    reach = np.maximum.reduce([np.abs(o).max(axis=0) for o in offset])
    tol = _CROSS_EPS * np.sqrt(_dot(normal, normal)) * reach
    side = [_dot(normal, o) for o in offset]
    above = [s > tol for s in side]
    below = [s < -tol for s in side]
    some_above = above[0] | above[1] | above[2]
    some_below = below[0] | below[1] | below[2]
    off_plane = some_above | some_below
    one_side = (above[0] & above[1] & above[2]) | (below[0] & below[1] & below[2])
    return off_plane & ~one_side


@dataclass(frozen=True)
class _Sides:
    """Triangles (3, 3, k) as a corner and the two sides from it, for :func:`_segment_meets`.

    Attributes
    ----------
    corner : (3, k) float
        The first corner of each triangle, mm.
    e1, e2 : (3, k) float
        The sides from the first corner to the second and to the third, mm.
    e1_sq, e2_sq : (k,) float
        Their squared lengths, mm^2.
    """

    corner: FloatArray
    e1: FloatArray
    e2: FloatArray
    e1_sq: FloatArray
    e2_sq: FloatArray

    @classmethod
    def of(cls, tri: FloatArray) -> _Sides:
        e1 = tri[:, 1] - tri[:, 0]
        e2 = tri[:, 2] - tri[:, 0]
        return cls(tri[:, 0], e1, e2, _dot(e1, e1), _dot(e2, e2))


def _segment_meets(p0: FloatArray, p1: FloatArray, tri: _Sides) -> BoolArray:
    """Möller–Trumbore for segments ``p0 -> p1`` (3, k) against triangles, edges included."""
    d = p1 - p0
    e1, e2 = tri.e1, tri.e2
    h = _cross(d, e2)
    det = _dot(e1, h)
    scale = np.sqrt(_dot(d, d) * tri.e1_sq * tri.e2_sq)
    valid = np.abs(det) > 1e-12 * scale
    inv = np.divide(1.0, det, out=np.zeros_like(det), where=valid)
    s = p0 - tri.corner
    u = inv * _dot(s, h)
    q = _cross(s, e1)
    v = inv * _dot(d, q)
    t = inv * _dot(e2, q)
    eps = _CROSS_EPS
    return valid & (u >= -eps) & (v >= -eps) & (u + v <= 1 + eps) & (t >= -eps) & (t <= 1 + eps)
