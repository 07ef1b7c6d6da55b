"""The shell as a solid for the mechanics: a plan triangulation between two height fields.

A shell, ours or one made elsewhere, is single-valued in z: seen from above it is a region
between a top and a bottom height field (DESIGN.md). The mechanics remeshes that region at
its own spacing (coarser than the build's grid: quadratic tetrahedra need fewer nodes), reads
the two heights off the shell's triangles, and extrudes every plan triangle into prisms, each
split into three tetrahedra.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import ConvexHull, cKDTree
from shapely.geometry import MultiPolygon, Polygon

from shellgen._typing import FloatArray, IntArray
from shellgen.errors import GeometryError
from shellgen.shell._mesh2d import resample_even, triangulate

__all__ = [
    "APEX_INSET_MM",
    "SEAT_MM",
    "Solid",
    "arch_apex_mm",
    "plan_outline",
    "solid_of_mesh",
    "tetrahedra",
]

#: Underside within this height of z = 0 rests on the plate, mm (a rounding tolerance:
#: the bench deflection of a real shell changes by 40 % between 0.05 and 0.5).
SEAT_MM = 0.05
#: The plan mesh is twice as coarse where the underside rests on the plate this many
#: spacings or more inside the edge of the resting area: held there, the shell hardly
#: strains. On the synthetic foot's sulcus and full-length shells at 3 mm, 8 and 12 % fewer
#: dofs (resting area 33 and 38 % of the plan) with the same bench and walking deflections
#: and peak stress to 0.1 %; the edge of the resting area is a singular line that wants the
#: fine mesh (coarsening within 6 mm of it moved the bench deflection by 8 %).
_COARSE_INSIDE_SPACINGS = 2.0
#: Thinnest wall the mechanics meshes, mm: thinner columns are lifted to it (a printed shell
#: has none; a mesh from elsewhere might).
_MIN_WALL_MM = 0.2
#: Longest step along the outline, mm: the rim (where the cup and flanges rise and the
#: underside leaves the plate) keeps its shape whatever the interior spacing.
_RING_STEP_MM = 2.5
#: The arch apex of a shell without landmarks is sought this far or more inside its rim, mm
#: (nearer the rim the heel cup and flanges lift the underside too).
APEX_INSET_MM = 10.0
#: A shell's wall is at most this thick over half its plan, mm (ours: about 3 mm; a solid
#: block, a foot or a ball is much thicker).
_MAX_MEDIAN_WALL_MM = 15.0
#: Triangles searched around each plan point when reading heights off a surface.
_NEAREST_TRIANGLES = 24
#: Face normals with |n_z| below this are side walls, neither top nor bottom.
_WALL_NZ = 1e-3


@dataclass(frozen=True, eq=False)
class Solid:
    """A solid between two height fields over a plan triangulation, foot frame, mm.

    Attributes
    ----------
    points : (n, 2) float
        Plan vertices (x, y), mm.
    triangles : (m, 3) int
        Counter-clockwise plan triangles.
    top_mm : (n,) float
        Height of the top surface at each plan vertex, mm.
    bottom_mm : (n,) float
        Height of the underside at each plan vertex, mm (below ``top_mm``).
    outline : Polygon
        The region the triangles cover, mm.
    """

    points: FloatArray
    triangles: IntArray
    top_mm: FloatArray
    bottom_mm: FloatArray
    outline: Polygon


def plan_outline(vertices: FloatArray, faces: IntArray) -> Polygon:
    """The largest region a closed mesh covers seen from above (x, y), mm.

    Raises
    ------
    GeometryError
        If the mesh covers no area seen from above.
    """
    tri = vertices[faces][:, :, :2]
    cross = (tri[:, 1, 0] - tri[:, 0, 0]) * (tri[:, 2, 1] - tri[:, 0, 1]) - (
        tri[:, 1, 1] - tri[:, 0, 1]
    ) * (tri[:, 2, 0] - tri[:, 0, 0])
    keep = np.abs(cross) > 1e-9
    covered = shapely.union_all(shapely.polygons(tri[keep])).buffer(0.01).buffer(-0.01)
    parts = list(covered.geoms) if isinstance(covered, MultiPolygon) else [covered]
    parts = [p for p in parts if isinstance(p, Polygon) and not p.is_empty]
    if not parts:
        raise GeometryError("the mesh covers no area seen from above: it is not a shell")
    return max(parts, key=lambda p: p.area)


def _heights_on(
    vertices: FloatArray, faces: IntArray, query: FloatArray, lowest: bool
) -> FloatArray:
    """Height of the given (single-valued) surface triangles above each plan point, mm.

    A point is located among the nearest triangles (by centroid) and interpolated
    barycentrically; one that no triangle covers (a rounding miss on the rim) takes the
    height of the nearest triangle's nearest corner.
    """
    tri = vertices[faces]
    centroids = tri[:, :, :2].mean(axis=1)
    k = min(_NEAREST_TRIANGLES, len(faces))
    _, idx = cKDTree(centroids).query(query, k=k)
    idx = idx.reshape(len(query), k)
    a, b, c = (tri[idx, i] for i in range(3))  # (q, k, 3)
    v0, v1 = b[..., :2] - a[..., :2], c[..., :2] - a[..., :2]
    v2 = query[:, None, :] - a[..., :2]
    det = v0[..., 0] * v1[..., 1] - v0[..., 1] * v1[..., 0]
    det = np.where(np.abs(det) < 1e-12, np.nan, det)
    s = (v2[..., 0] * v1[..., 1] - v2[..., 1] * v1[..., 0]) / det
    t = (v0[..., 0] * v2[..., 1] - v0[..., 1] * v2[..., 0]) / det
    inside = (s >= -1e-7) & (t >= -1e-7) & (s + t <= 1 + 1e-7)
    z = a[..., 2] + s * (b[..., 2] - a[..., 2]) + t * (c[..., 2] - a[..., 2])
    z = np.where(inside, z, np.inf if lowest else -np.inf)
    best = z.min(axis=1) if lowest else z.max(axis=1)
    missed = ~np.isfinite(best)
    if missed.any():
        corners = tri[idx[missed, 0]]  # (j, 3, 3)
        d = np.linalg.norm(corners[:, :, :2] - query[missed, None, :], axis=2)
        best[missed] = corners[np.arange(len(corners)), d.argmin(axis=1), 2]
    return np.asarray(best, dtype=np.float64)


def _resting_inside(down: FloatArray, spacing_mm: float) -> Polygon:
    """Where the underside (its downward triangles, (m, 3, 3) mm) rests on the plate, seen
    from above, :data:`_COARSE_INSIDE_SPACINGS` spacings inside the edge of the resting area.
    Resting is within :data:`SEAT_MM` of the underside's lowest point: a shell standing
    above z = 0 is brought down onto the plate before it is loaded."""
    lowest = down[:, :, 2].min() if len(down) else 0.0
    flat = down[(down[:, :, 2] <= lowest + SEAT_MM).all(axis=1)][:, :, :2]
    if not len(flat):
        return Polygon()
    resting = shapely.union_all(shapely.polygons(flat)).buffer(0.01)
    return shapely.buffer(resting, -_COARSE_INSIDE_SPACINGS * spacing_mm - 0.01)


def solid_of_mesh(
    vertices: FloatArray,
    faces: IntArray,
    spacing_mm: float,
    outline: Polygon | None = None,
) -> Solid:
    """Rebuild a closed shell mesh as a solid between two height fields, remeshed in plan.

    The top surface is the faces looking up, the underside the faces looking down; where
    several lie over a point (an engraving's ceiling over the underside) the highest top and
    the lowest underside count. The plan is triangulated at ``spacing_mm``.

    Parameters
    ----------
    vertices : (n, 3) float
        Mesh vertices, foot frame (or any frame with z up and the underside on z = 0), mm.
    faces : (m, 3) int
        Outward triangles.
    spacing_mm : float
        Plan spacing of the mechanics mesh, mm.
    outline : Polygon, optional
        The shell seen from above, if known (slots as holes); else found from the faces.

    Raises
    ------
    GeometryError
        If the mesh has no faces looking up or down, its top is not above its underside, or
        it is too thick to be a shell.
    """
    tri = vertices[faces]
    nz = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])[:, 2]
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    up, down = nz > _WALL_NZ * area, nz < -_WALL_NZ * area
    if not up.any() or not down.any():
        raise GeometryError(
            "the mesh has no faces looking both up and down: it is not a closed shell"
        )
    region = plan_outline(vertices, faces) if outline is None else outline
    step = min(spacing_mm, _RING_STEP_MM)
    rings = [resample_even(np.asarray(region.exterior.coords), step)]
    rings += [resample_even(np.asarray(h.coords), step) for h in region.interiors]
    mesh = triangulate(rings, region, spacing_mm, coarse=_resting_inside(tri[down], spacing_mm))
    top = _heights_on(vertices, faces[up], mesh.points, lowest=False)
    bottom = _heights_on(vertices, faces[down], mesh.points, lowest=True)
    wall = top - bottom
    if np.median(wall) <= 0.0:
        raise GeometryError(
            f"the mesh's top lies below its underside (median wall {np.median(wall):.2f} mm): "
            "is it inside out?"
        )
    if np.median(wall) > _MAX_MEDIAN_WALL_MM:
        raise GeometryError(
            f"the mesh is {np.median(wall):.0f} mm thick over half its plan: not a shell (a "
            f"shell's wall is a few mm, at most {_MAX_MEDIAN_WALL_MM:g} over half of it)"
        )
    top = np.maximum(top, bottom + _MIN_WALL_MM)
    return Solid(mesh.points, mesh.triangles, top, bottom, region)


def tetrahedra(solid: Solid, layers: int) -> tuple[FloatArray, IntArray]:
    """Extrude the solid into ``layers`` prisms through the thickness, three tetrahedra each.

    Each prism is split by the rule "every quad face's diagonal starts at its lowest node
    number" (nodes numbered plan vertex + layer * n), so neighbouring prisms share their
    diagonals and the tetrahedra conform.

    Returns
    -------
    nodes : (n * (layers + 1), 3) float
        Node positions, mm: layer ``k`` at ``bottom + k / layers * (top - bottom)``.
    tets : (3 * m * layers, 4) int
        Positively oriented tetrahedra.
    """
    n = len(solid.points)
    frac = np.linspace(0.0, 1.0, layers + 1)
    z = solid.bottom_mm[None, :] + frac[:, None] * (solid.top_mm - solid.bottom_mm)[None, :]
    nodes = np.column_stack([np.tile(solid.points, (layers + 1, 1)), z.ravel()])
    a, b, c = np.sort(solid.triangles, axis=1).T
    tets = []
    for k in range(layers):
        lo, hi = k * n, (k + 1) * n
        tets += [
            np.column_stack([a + lo, b + lo, c + lo, c + hi]),
            np.column_stack([a + lo, b + lo, b + hi, c + hi]),
            np.column_stack([a + lo, a + hi, b + hi, c + hi]),
        ]
    t = np.concatenate(tets)
    p = nodes[t]
    vol = np.einsum("ij,ij->i", np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]), p[:, 3] - p[:, 0])
    t[vol < 0] = t[vol < 0][:, [1, 0, 2, 3]]
    return nodes, np.asarray(t, dtype=np.int64)


def arch_apex_mm(solid: Solid) -> tuple[float, float]:
    """The arch apex of a shell without landmarks: where its underside is highest, mm.

    Under the arch the shell is a thin raised plate; under the heel and forefoot it rests on
    the plate. The apex is the plan vertex with the highest underside among those at least
    :data:`APEX_INSET_MM` inside the outline (the cup and flanges raise the underside at the
    rim).

    Raises
    ------
    GeometryError
        If the shell is nowhere that far inside its rim.
    """
    depth = shapely.distance(solid.outline.boundary, shapely.points(solid.points))
    inner = np.flatnonzero(depth >= APEX_INSET_MM)
    if not len(inner):
        raise GeometryError(
            f"the shell is nowhere {APEX_INSET_MM:.0f} mm inside its rim: no arch to find; "
            "give the apex"
        )
    best = inner[np.argmax(solid.bottom_mm[inner])]
    return float(solid.points[best, 0]), float(solid.points[best, 1])


def settle(solid: Solid, load_mm: tuple[float, float], seat_mm: float) -> Solid:
    """Stand the solid on the plate as a rigid body would if it rests on one side of the load.

    A solid does not always touch z = 0 on both sides of the arch: a posted heel seat is
    built tilted and rests on the plate at the few vertices of its low edge
    (:meth:`shellgen.shell._surfaces.Surfaces.post_drop_for`), which the plan remesh need not
    sample (its nearest points on the synthetic test foot with a 4 degree post stand 0.14 mm
    up); a mesh from elsewhere may float. Pressed at the arch, such a shell tips about its
    forefoot until it rests on the facet of its underside's convex hull below the load's x
    at the middle of the resting underside's width. That facet's plane is subtracted from
    both height fields (a shear, which for these angles, about 0.1 degree, differs from the
    rotation by a part in a million). A shell whose underside within ``seat_mm`` of the
    plate already spans the load's x is unchanged (tipping sideways is what the held plate
    stops: see :mod:`shellgen.mechanics._fem`).

    Raises
    ------
    GeometryError
        If the load is not above the shell's underside.
    """
    resting = solid.bottom_mm <= seat_mm
    x = solid.points[resting, 0]
    if resting.any() and x.min() <= load_mm[0] <= x.max():
        return solid
    ys = solid.points[resting, 1] if resting.any() else solid.points[:, 1]
    load_mm = (load_mm[0], float(0.5 * (ys.min() + ys.max())))
    under = np.column_stack([solid.points, solid.bottom_mm])
    hull = ConvexHull(under)
    down = hull.equations[:, 2] < -1e-9
    q = np.asarray(load_mm, dtype=np.float64)
    for simplex, eq in zip(hull.simplices[down], hull.equations[down], strict=True):
        a, b, c = under[simplex]
        m = np.column_stack([b[:2] - a[:2], c[:2] - a[:2]])
        if abs(np.linalg.det(m)) < 1e-12:
            continue
        s, t = np.linalg.solve(m, q - a[:2])
        if s >= -1e-9 and t >= -1e-9 and s + t <= 1 + 1e-9:
            nx, ny, nz, d = eq
            plane = -(nx * solid.points[:, 0] + ny * solid.points[:, 1] + d) / nz
            if np.abs(plane).max() < 1e-9:
                return solid
            bottom = np.maximum(solid.bottom_mm - plane, 0.0)
            return Solid(solid.points, solid.triangles, solid.top_mm - plane, bottom, solid.outline)
    raise GeometryError(
        f"the load at ({q[0]:.1f}, {q[1]:.1f}) mm is not above the shell's underside"
    )
