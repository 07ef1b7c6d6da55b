"""``validate``: printability checks on a closed triangle mesh, each with a measured value.

Every check measures something (an edge count, a thickness in mm, a volume) and compares it
with a stated limit, in the way CadQuery's ``check()`` returns findings instead of raising.
:func:`validate` never raises on a bad mesh: it reports what is wrong, and ``export`` refuses a
failing report unless forced.

Topology is judged on vertex *positions*: vertices at the same coordinates are one vertex,
as every slicer merges them when it reads an STL.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any, Final, Protocol

import manifold3d
import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry import Polygon

from shellgen._typing import BoolArray, FloatArray, IntArray
from shellgen.materials import Material

__all__ = [
    "OUTLINE_MARGIN_MM",
    "WALL_GRID_MM",
    "Check",
    "MeshLike",
    "Report",
    "validate",
]

logger = logging.getLogger(__name__)


#: Spacing of the (x, y) grid on which wall thickness is sampled, mm.
WALL_GRID_MM: Final = 2.0

#: The shell's footprint may reach this far outside the foot outline, mm.
OUTLINE_MARGIN_MM: Final = 3.0

#: A face at least this far from vertical (|n_z|, the cosine of its slope) is a top or bottom
#: face; steeper faces are side walls. cos(84 deg): heel-cup walls are well under this.
_FLAT_MIN_NZ: Final = 0.1

#: Faces with less area than this are degenerate, mm^2.
_MIN_FACE_AREA_MM2: Final = 1e-8

#: Rays start this far inside the surface so that they do not hit their own face, mm.
_RAY_START_MM: Final = 1e-4

#: Length of the first ray cast for a wall; longer only when it meets nothing, mm.
_WALL_REACH_MM: Final = 25.0

#: Relative tolerance of the face-crossing tests.
_CROSS_EPS: Final = 1e-9

#: Area outside the buffered outline below this is rounding noise, mm^2.
_AREA_TOL_MM2: Final = 1e-6


class MeshLike(Protocol):
    """Anything with triangle-mesh arrays: a :class:`~shellgen.shell.Shell`, a trimesh."""

    @property
    def vertices(self) -> Any:
        """(n, 3) float vertex positions, mm."""

    @property
    def faces(self) -> Any:
        """(m, 3) int triangles indexing ``vertices``."""


@dataclass(frozen=True)
class Check:
    """One printability check.

    Attributes
    ----------
    name : str
        Check name, e.g. ``"min_wall_mm"``.
    ok : bool
        Whether ``value`` is within ``limit``.
    value : float
        What was measured (NaN when it could not be measured; ``detail`` says why).
    limit : float
        The limit ``value`` is held to; ``detail`` says in which direction.
    unit : str
        Unit of ``value`` and ``limit`` (``"mm"``, ``"edges"``, ...).
    detail : str
        One line for a person: where, how it was measured, what to do.
    """

    name: str
    ok: bool
    value: float
    limit: float
    unit: str
    detail: str

    def as_json(self) -> dict[str, object]:
        """``{name, ok, value, limit, unit, detail}``; NaN becomes None (valid JSON)."""
        return {
            "name": self.name,
            "ok": self.ok,
            "value": _json_number(self.value),
            "limit": _json_number(self.limit),
            "unit": self.unit,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Report:
    """The result of :func:`validate`: named checks in a fixed order.

    Attributes
    ----------
    checks : tuple of Check
        Every check that ran.
    """

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return all(c.ok for c in self.checks)

    @property
    def failed(self) -> tuple[str, ...]:
        """Names of the checks that failed, in report order."""
        return tuple(c.name for c in self.checks if not c.ok)

    def __getitem__(self, name: str) -> Check:
        """The check called ``name``.

        Raises
        ------
        KeyError
            If no check has that name.
        """
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def as_json(self) -> dict[str, object]:
        """``{"ok": bool, "checks": [{name, ok, value, limit, unit, detail}, ...]}``."""
        return {"ok": self.ok, "checks": [c.as_json() for c in self.checks]}


def validate(
    mesh: MeshLike,
    *,
    material: Material,
    foot_outline: Polygon | None = None,
    build_volume_mm: tuple[float, float, float] | None = None,
) -> Report:
    """Check that a closed triangle mesh will print.

    Parameters
    ----------
    mesh : Shell or trimesh.Trimesh or MeshLike
        ``vertices`` (n, 3) float, mm, and ``faces`` (m, 3) int, counter-clockwise seen from
        outside. A shell is checked in the foot frame of a right foot.
    material : Material
        Sets the minimum wall (``material.min_wall_mm``) and the density for the mass.
    foot_outline : Polygon, optional
        The foot's outline seen from above (x, y), mm, same frame as ``mesh``; when given, the
        shell's footprint must lie inside it buffered by :data:`OUTLINE_MARGIN_MM`.
    build_volume_mm : (3,) float, optional
        Printer build volume (x, y, z), mm; the part may be turned about z to fit. The
        material's process machine (``material.build_volume_mm``) when None.

    Returns
    -------
    Report
        ``watertight``, ``winding``, ``one_body``, ``degenerate_faces``, ``duplicate_faces``,
        ``self_intersections``, ``min_wall_mm``, ``build_volume``, ``volume_cm3``, ``mass_g``
        and, with a foot outline, ``inside_outline``.

    Examples
    --------
    >>> import trimesh
    >>> from shellgen.materials import material
    >>> report = validate(trimesh.creation.box((100, 50, 4)), material=material("PA12-MJF"))
    >>> report.ok, report["min_wall_mm"].value
    (True, 4.0)
    """
    vertices = np.asarray(mesh.vertices, dtype=np.float64).reshape(-1, 3)
    faces = np.asarray(mesh.faces, dtype=np.int64).reshape(-1, 3)
    _, merged = np.unique(vertices, axis=0, return_inverse=True)
    merged_faces = merged.reshape(-1)[faces]
    triangles = vertices[faces]
    cross = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    area_mm2 = 0.5 * np.linalg.norm(cross, axis=1)
    degenerate = _degenerate(merged_faces, area_mm2)
    signed_volume_mm3 = float(np.einsum("ij,ij->", triangles[:, 0], cross) / 6.0)
    boundary, inconsistent = _edge_defects(merged_faces)

    checks = [
        _watertight_check(boundary),
        _winding_check(inconsistent, signed_volume_mm3),
        _one_body_check(merged_faces),
        _count_check(
            "degenerate_faces",
            int(degenerate.sum()),
            "faces",
            "zero-area or repeated-vertex faces",
            np.flatnonzero(degenerate),
            triangles,
        ),
        _duplicate_faces_check(merged_faces, triangles),
        _self_intersections_check(triangles, merged_faces, degenerate),
        _min_wall_check(
            vertices, faces, merged, merged_faces, cross, area_mm2, material.min_wall_mm
        ),
        _build_volume_check(triangles, build_volume_mm or material.build_volume_mm),
        *_volume_checks(signed_volume_mm3, boundary == 0, material),
    ]
    if foot_outline is not None:
        checks.append(_inside_outline_check(triangles, cross, foot_outline))
    report = Report(tuple(checks))
    logger.debug("validated %d faces: failed %s", len(faces), report.failed or "none")
    return report


def _json_number(x: float) -> float | None:
    if isinstance(x, int):
        return x  # counts stay integers
    return float(x) if math.isfinite(x) else None


def _fmt_xyz(p: FloatArray) -> str:
    return f"({p[0]:.1f}, {p[1]:.1f}, {p[2]:.1f}) mm"


def _degenerate(merged_faces: IntArray, area_mm2: FloatArray) -> BoolArray:
    repeated = (
        (merged_faces[:, 0] == merged_faces[:, 1])
        | (merged_faces[:, 1] == merged_faces[:, 2])
        | (merged_faces[:, 2] == merged_faces[:, 0])
    )
    return repeated | (area_mm2 < _MIN_FACE_AREA_MM2)


def _edge_defects(merged_faces: IntArray) -> tuple[int, int]:
    """(edges not shared by exactly two faces, edges run twice in the same direction)."""
    half = merged_faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    half = half[half[:, 0] != half[:, 1]]
    n = int(merged_faces.max(initial=0)) + 1
    lo = half.min(axis=1)
    hi = half.max(axis=1)
    _, undirected_counts = np.unique(lo * n + hi, return_counts=True)
    _, directed_counts = np.unique(half[:, 0] * n + half[:, 1], return_counts=True)
    boundary = int(np.count_nonzero(undirected_counts != 2))
    inconsistent = int(np.count_nonzero(directed_counts > 1))
    return boundary, inconsistent


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


def _one_body_check(merged_faces: IntArray) -> Check:
    n = int(merged_faces.max(initial=0)) + 1
    rows = merged_faces[:, [0, 1, 2]].reshape(-1)
    cols = merged_faces[:, [1, 2, 0]].reshape(-1)
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    bodies = len(np.unique(labels[np.unique(merged_faces)])) if len(merged_faces) else 0
    detail = "one connected body" if bodies == 1 else f"{bodies} separate bodies: expected 1"
    return Check("one_body", bodies == 1, bodies, 1, "bodies", detail)


def _count_check(
    name: str,
    count: int,
    unit: str,
    what: str,
    where: IntArray,
    triangles: FloatArray,
) -> Check:
    if count == 0:
        return Check(name, True, 0, 0, unit, f"no {what}")
    first = _fmt_xyz(triangles[where[0]].mean(axis=0))
    return Check(name, False, count, 0, unit, f"{count} {what}, the first at {first}")


def _duplicate_faces_check(merged_faces: IntArray, triangles: FloatArray) -> Check:
    key = np.sort(merged_faces, axis=1)
    _, first, counts = np.unique(key, axis=0, return_index=True, return_counts=True)
    duplicates = int((counts - 1).sum())
    where = np.sort(first[counts > 1])
    return _count_check(
        "duplicate_faces", duplicates, "faces", "faces repeat another", where, triangles
    )


def _self_intersections_check(
    triangles: FloatArray, merged_faces: IntArray, degenerate: BoolArray
) -> Check:
    keep = np.flatnonzero(~degenerate)
    a, b = _candidate_pairs(triangles[keep], merged_faces[keep])
    hit = _triangles_cross(triangles[keep[a]], triangles[keep[b]])
    count = int(hit.sum())
    if count == 0:
        return Check("self_intersections", True, 0, 0, "pairs", "no two faces cross")
    i, j = keep[a[hit][0]], keep[b[hit][0]]
    where = _fmt_xyz(np.vstack([triangles[i], triangles[j]]).mean(axis=0))
    detail = f"{count} pairs of faces cross, the first near {where}: remove the overlap"
    return Check("self_intersections", False, count, 0, "pairs", detail)


def _candidate_pairs(triangles: FloatArray, faces: IntArray) -> tuple[IntArray, IntArray]:
    """Pairs (a < b) of triangles whose boxes overlap and that share no vertex.

    Broad phase on a uniform grid of cubes about the size of a typical triangle: every
    triangle is entered in each cell its bounding box touches, and triangles meeting in a
    cell are paired.
    """
    m = len(triangles)
    if m < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    lo = triangles.min(axis=1)
    hi = triangles.max(axis=1)
    cell_mm = max(float(np.median((hi - lo).max(axis=1))), 1e-6)
    while True:
        first = np.floor(lo / cell_mm).astype(np.int64)
        span = np.floor(hi / cell_mm).astype(np.int64) - first + 1
        per_tri = span.prod(axis=1)
        if per_tri.sum() <= 32 * m:
            break
        cell_mm *= 2.0  # a few huge faces: coarser cells keep the entry count bounded
    tri = np.repeat(np.arange(m), per_tri)
    k = np.arange(len(tri)) - np.repeat(np.cumsum(per_tri) - per_tri, per_tri)
    s = span[tri]
    cell = first[tri] + np.stack(
        [k % s[:, 0], (k // s[:, 0]) % s[:, 1], k // (s[:, 0] * s[:, 1])], 1
    )
    cell -= cell.min(axis=0)
    dims = cell.max(axis=0) + 1
    key = (cell[:, 0] * dims[1] + cell[:, 1]) * dims[2] + cell[:, 2]
    order = np.argsort(key, kind="stable")
    key = key[order]
    tri = tri[order]
    group_end = np.searchsorted(key, key, side="right")
    partners = group_end - np.arange(len(key)) - 1
    i = np.repeat(np.arange(len(key)), partners)
    j = i + 1 + np.arange(len(i)) - np.repeat(np.cumsum(partners) - partners, partners)
    a = tri[i]
    b = tri[j]
    apart = ~(faces[a][:, :, None] == faces[b][:, None, :]).any(axis=(1, 2))
    code = np.unique(np.minimum(a, b)[apart] * m + np.maximum(a, b)[apart])
    a = code // m
    b = code % m
    overlap = np.all(lo[a] <= hi[b], axis=1) & np.all(lo[b] <= hi[a], axis=1)
    return a[overlap], b[overlap]


def _triangles_cross(ta: FloatArray, tb: FloatArray) -> BoolArray:
    """(k,) bool: whether triangles ``ta[i]`` and ``tb[i]`` (sharing no vertex) meet.

    In a valid mesh, faces that share no vertex are disjoint, so touching counts too. A pair
    is rejected early when one triangle lies strictly on one side of the other's plane;
    otherwise an edge of one must pierce (or touch) the other. Coplanar overlaps are not
    found here (``duplicate_faces`` finds the common case).
    """
    maybe = _straddles(ta, tb) & _straddles(tb, ta)
    hit = np.zeros(len(ta), dtype=bool)
    ia = ta[maybe]
    ib = tb[maybe]
    meet = np.zeros(len(ia), dtype=bool)
    for tri_e, tri_f in ((ia, ib), (ib, ia)):
        for e0, e1 in ((0, 1), (1, 2), (2, 0)):
            meet |= _segment_meets(tri_e[:, e0], tri_e[:, e1], tri_f)
    hit[maybe] = meet
    return hit


def _straddles(tri: FloatArray, other: FloatArray) -> BoolArray:
    """Whether ``other`` reaches ``tri``'s plane and is not coplanar with it."""
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    side = np.einsum("ij,ikj->ik", normal, other - tri[:, None, 0])
    tol = (
        _CROSS_EPS
        * np.einsum("ij,ij->i", normal, normal)[:, None] ** 0.5
        * np.abs(other - tri[:, None, 0]).max(axis=(1, 2))[:, None]
    )
    above = side > tol
    below = side < -tol
    return (above | below).any(axis=1) & ~(above.all(axis=1) | below.all(axis=1))


def _segment_meets(p0: FloatArray, p1: FloatArray, tri: FloatArray) -> BoolArray:
    """Möller–Trumbore for segments ``p0 -> p1`` against triangles, boundaries included."""
    d = p1 - p0
    e1 = tri[:, 1] - tri[:, 0]
    e2 = tri[:, 2] - tri[:, 0]
    h = np.cross(d, e2)
    det = np.einsum("ij,ij->i", e1, h)
    scale = np.linalg.norm(d, axis=1) * np.linalg.norm(e1, axis=1) * np.linalg.norm(e2, axis=1)
    valid = np.abs(det) > 1e-12 * scale
    inv = np.divide(1.0, det, out=np.zeros_like(det), where=valid)
    s = p0 - tri[:, 0]
    u = inv * np.einsum("ij,ij->i", s, h)
    q = np.cross(s, e1)
    v = inv * np.einsum("ij,ij->i", d, q)
    t = inv * np.einsum("ij,ij->i", e2, q)
    eps = _CROSS_EPS
    return valid & (u >= -eps) & (v >= -eps) & (u + v <= 1 + eps) & (t >= -eps) & (t <= 1 + eps)


def _min_wall_check(
    vertices: FloatArray,
    faces: IntArray,
    merged: IntArray,
    merged_faces: IntArray,
    cross: FloatArray,
    area_mm2: FloatArray,
    min_wall_mm: float,
) -> Check:
    """Thickness along the inward normal, from top faces picked on a regular (x, y) grid.

    In each :data:`WALL_GRID_MM` cell (fixed to the frame's origin) the top-facing face whose
    centroid is nearest the cell centre casts a ray along its inward normal; the distance to
    the surface where the ray leaves the solid is the wall there. Rays that leave through a
    side wall (the rim's edge, not a wall) are skipped and counted.
    """
    name, unit = "min_wall_mm", "mm"
    solid = _to_manifold(vertices, merged, merged_faces)
    if solid is None:
        detail = "not measured: the mesh is not a closed, consistently wound surface"
        return Check(name, False, math.nan, min_wall_mm, unit, detail)
    normals = np.divide(
        cross, area_mm2[:, None] * 2.0, out=np.zeros_like(cross), where=area_mm2[:, None] > 0
    )
    centroids = vertices[faces].mean(axis=1)
    samples = _grid_samples(centroids, normals)
    span_mm = float(np.ptp(vertices, axis=0).max()) * 2.0 + 1.0
    walls: list[float] = []
    where: list[int] = []
    rim = 0
    for f in samples:
        origin = centroids[f] - _RAY_START_MM * normals[f]
        # a short ray first: manifold3d's search cost grows with the segment's length
        thickness = _first_exit_mm(solid, origin, normals[f], _WALL_REACH_MM)
        if thickness == math.inf:
            thickness = _first_exit_mm(solid, origin, normals[f], span_mm)
        if thickness is None or thickness == math.inf:
            rim += 1
            continue
        walls.append(thickness + _RAY_START_MM)
        where.append(int(f))
    if not walls:
        detail = f"not measured: none of {len(samples)} samples met an opposite surface"
        return Check(name, False, math.nan, min_wall_mm, unit, detail)
    k = int(np.argmin(walls))
    value = walls[k]
    ok = value >= min_wall_mm
    detail = (
        f"thinnest {value:.2f} mm (limit {min_wall_mm:g} mm) at {_fmt_xyz(centroids[where[k]])};"
        f" {len(walls)} samples on a {WALL_GRID_MM:g} mm grid, {rim} at the rim skipped"
    )
    return Check(name, ok, value, min_wall_mm, unit, detail)


def _to_manifold(
    vertices: FloatArray, merged: IntArray, merged_faces: IntArray
) -> manifold3d.Manifold | None:
    """The mesh as a manifold3d solid, or None when it is not a closed oriented 2-manifold."""
    positions = np.zeros((int(merged.max(initial=-1)) + 1, 3))
    positions[merged.reshape(-1)] = vertices
    mesh = manifold3d.Mesh64(
        vert_properties=np.ascontiguousarray(positions),
        tri_verts=np.ascontiguousarray(merged_faces, dtype=np.uint64),
    )
    solid = manifold3d.Manifold(mesh)
    if solid.status() != manifold3d.Error.NoError or solid.is_empty():
        return None
    return solid


def _grid_samples(centroids: FloatArray, normals: FloatArray) -> IntArray:
    """Indices of top-facing faces, one per (x, y) grid cell, in a deterministic order."""
    top = np.flatnonzero(normals[:, 2] > _FLAT_MIN_NZ)
    xy = centroids[top, :2]
    cell = np.floor(xy / WALL_GRID_MM).astype(np.int64)
    off_centre = np.linalg.norm(xy - (cell + 0.5) * WALL_GRID_MM, axis=1)
    order = np.lexsort((top, off_centre, cell[:, 1], cell[:, 0]))
    cell = cell[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = np.any(cell[1:] != cell[:-1], axis=1)
    return top[order[first]]


def _first_exit_mm(
    solid: manifold3d.Manifold, origin: FloatArray, normal: FloatArray, reach_mm: float
) -> float | None:
    """Distance to where the inward ray leaves the solid within ``reach_mm``.

    ``math.inf`` when the ray meets nothing that near; None when it leaves through a side
    wall (or enters the solid), which measures no wall.
    """
    for hit in solid.ray_cast(origin, origin - reach_mm * normal):
        position = np.asarray(hit.position)
        distance = float(np.linalg.norm(position - origin))
        if distance <= 0.0:
            continue
        hit_normal = np.asarray(hit.normal)
        if abs(hit_normal[2]) < _FLAT_MIN_NZ or float(hit_normal @ normal) >= 0.0:
            return None
        return distance
    return math.inf


def _build_volume_check(
    triangles: FloatArray, build_volume_mm: tuple[float, float, float]
) -> Check:
    extents = np.ptp(triangles.reshape(-1, 3), axis=0) if len(triangles) else np.zeros(3)
    bed_xy = np.sort(np.asarray(build_volume_mm[:2]))[::-1]
    part_xy = np.sort(extents[:2])[::-1]
    excess = np.append(part_xy - bed_xy, extents[2] - build_volume_mm[2])
    value = float(excess.max())
    ok = value <= 0.0
    size = " x ".join(f"{e:.1f}" for e in extents)
    bed = " x ".join(f"{e:g}" for e in build_volume_mm)
    detail = f"{size} mm in a {bed} mm build volume (value: largest excess, negative = margin)"
    return Check("build_volume", ok, value, 0.0, "mm", detail)


def _volume_checks(
    signed_volume_mm3: float, closed: bool, material: Material
) -> tuple[Check, Check]:
    volume_cm3 = signed_volume_mm3 / 1000.0
    mass_g = volume_cm3 * material.density_g_cm3
    note = "" if closed else " (mesh not closed: unreliable)"
    return (
        Check("volume_cm3", volume_cm3 > 0, volume_cm3, 0.0, "cm3", f"enclosed volume{note}"),
        Check(
            "mass_g",
            mass_g > 0,
            mass_g,
            0.0,
            "g",
            f"{material.name} at {material.density_g_cm3:g} g/cm3{note}",
        ),
    )


def _inside_outline_check(triangles: FloatArray, cross: FloatArray, outline: Polygon) -> Check:
    allowed = outline.buffer(OUTLINE_MARGIN_MM)
    shapely.prepare(allowed)
    up = triangles[cross[:, 2] > 0.0][:, :, :2]
    rings = np.concatenate([up, up[:, :1]], axis=1)
    footprint = shapely.polygons(rings)
    outside = footprint[~shapely.contains(allowed, footprint)]
    area_mm2 = float(shapely.union_all(outside).difference(allowed).area) if len(outside) else 0.0
    ok = area_mm2 <= _AREA_TOL_MM2
    detail = (
        f"footprint within {OUTLINE_MARGIN_MM:g} mm of the foot outline"
        if ok
        else f"{area_mm2:.1f} mm2 of the footprint lies over {OUTLINE_MARGIN_MM:g} mm outside"
        " the foot outline: trim the outline"
    )
    return Check("inside_outline", ok, area_mm2, 0.0, "mm2", detail)
