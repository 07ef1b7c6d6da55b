"""Edges and faces on merged vertices: the ``watertight``, ``winding``, ``one_body``,
``degenerate_faces`` and ``duplicate_faces`` checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from shellgen._typing import BoolArray, FloatArray, IntArray
from shellgen.validation._arrays import _sort_order
from shellgen.validation._report import Check, _fmt_xyz

__all__ = [
    "_Edges",
    "_count_check",
    "_degenerate",
    "_duplicate_faces_check",
    "_edges",
    "_one_body_check",
    "_watertight_check",
    "_winding_check",
]


#: Faces with less area than this are degenerate, mm^2.
_MIN_FACE_AREA_MM2: Final = 1e-8


def _degenerate(merged_faces: IntArray, area_mm2: FloatArray) -> BoolArray:
    repeated = (
        (merged_faces[:, 0] == merged_faces[:, 1])
        | (merged_faces[:, 1] == merged_faces[:, 2])
        | (merged_faces[:, 2] == merged_faces[:, 0])
    )
    return repeated | (area_mm2 < _MIN_FACE_AREA_MM2)


@dataclass(frozen=True)
class _Edges:
    """The edges of a mesh (on merged vertices), sorted.

    Half-edge ``3 f + i`` runs from corner ``i`` to corner ``i + 1`` of face ``f``.

    Attributes
    ----------
    boundary : int
        Edges not shared by exactly two faces.
    inconsistent : int
        Edges run twice in the same direction.
    lo, hi : (h,) int
        Lower and higher vertex of every half-edge that joins two different vertices,
        ordered by edge.
    twin : (3 m,) int or None
        The opposite half-edge of each half-edge; None unless the mesh is closed (no
        boundary or inconsistent edges, no collapsed half-edges).
    """

    boundary: int
    inconsistent: int
    lo: IntArray
    hi: IntArray
    twin: IntArray | None


def _edges(merged_faces: IntArray) -> _Edges:
    start = merged_faces.reshape(-1)
    end = merged_faces[:, [1, 2, 0]].reshape(-1)
    n = int(merged_faces.max(initial=0)) + 1
    half = np.flatnonzero(start != end)
    key = (np.minimum(start, end) * n + np.maximum(start, end)) * 2 + (start > end)
    key = key[half]
    order = _sort_order(key, 2 * n * n)
    directed = key[order]
    boundary = int(np.count_nonzero(_run_lengths(directed >> 1) != 2))
    inconsistent = int(np.count_nonzero(_run_lengths(directed) > 1))
    lo, hi = np.divmod(directed >> 1, n)
    if boundary or inconsistent or len(half) < len(start) or not len(half):
        return _Edges(boundary, inconsistent, lo, hi, None)
    order = half[order]
    twin = np.empty(len(start), dtype=np.int64)
    twin[order[0::2]] = order[1::2]  # each edge is its two opposite half-edges, in a row
    twin[order[1::2]] = order[0::2]
    return _Edges(boundary, inconsistent, lo, hi, twin)


def _run_lengths(ordered: IntArray) -> IntArray:
    """Lengths of the runs of equal values in a sorted array."""
    starts = np.flatnonzero(np.diff(ordered, prepend=ordered[:1] - 1))
    return np.diff(starts, append=len(ordered))


def _watertight_check(boundary: int) -> Check:
    detail = (
        "every edge is shared by exactly two faces"
        if boundary == 0
        else f"{boundary} edges are open or shared by more than two faces: close the mesh"
    )
    return Check("watertight", boundary == 0, boundary, 0, "edges", detail)


def _winding_check(inconsistent: int, signed_volume_mm3: float) -> Check:
    outward = signed_volume_mm3 > 0.0
    ok = inconsistent == 0 and outward
    if inconsistent:
        detail = f"{inconsistent} edges are run twice the same way: fix the face order"
    elif not outward:
        detail = f"normals point inward (signed volume {signed_volume_mm3:.1f} mm3): reverse faces"
    else:
        detail = f"consistent, outward (signed volume {signed_volume_mm3:.1f} mm3)"
    return Check("winding", ok, inconsistent, 0, "edges", detail)


def _one_body_check(merged_faces: IntArray, edges: _Edges) -> Check:
    n = int(merged_faces.max(initial=0)) + 1
    start = np.searchsorted(edges.lo, np.arange(n + 1))  # edges.lo is sorted: a CSR graph
    graph = csr_matrix((np.ones(len(edges.hi), dtype=np.int8), edges.hi, start), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    used = np.zeros(n, dtype=bool)
    used[merged_faces.reshape(-1)] = True
    bodies = int(np.count_nonzero(np.bincount(labels[used], minlength=1)))
    detail = "one connected body" if bodies == 1 else f"{bodies} separate bodies: expected 1"
    return Check("one_body", bodies == 1, bodies, 1, "bodies", detail)


def _count_check(
    name: str,
    count: int,
    unit: str,
    what: str,
    where: IntArray,
    corners: FloatArray,
) -> Check:
    if count == 0:
        return Check(name, True, 0, 0, unit, f"no {what}")
    first = _fmt_xyz(corners[:, :, where[0]].mean(axis=1))
    return Check(name, False, count, 0, unit, f"{count} {what}, the first at {first}")


def _duplicate_faces_check(merged_faces: IntArray, corners: FloatArray) -> Check:
    n = int(merged_faces.max(initial=0)) + 1
    x, y, z = merged_faces.T
    a = np.minimum(np.minimum(x, y), z)  # each face's vertex ids in order: a <= b <= c
    c = np.maximum(np.maximum(x, y), z)
    b = x + y + z - a - c
    if n**3 < 2**63:
        key = (a * n + b) * n + c
        order = _sort_order(key, n**3)
        repeats = key[order[1:]] == key[order[:-1]]
    else:
        order = np.lexsort((c, b, a))
        repeats = (a[order[1:]] == a[order[:-1]]) & (b[order[1:]] == b[order[:-1]])
        repeats &= c[order[1:]] == c[order[:-1]]
    where = np.sort(order[:-1][repeats])[:1]  # sorted stably: a group's first is its lowest
    return _count_check(
        "duplicate_faces", int(repeats.sum()), "faces", "faces repeat another", where, corners
    )
