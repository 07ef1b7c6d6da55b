"""The closed mesh: top, bottom (engraved) and wall faces over the 2D triangulation."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import MultiPolygon

from shellgen._typing import BoolArray, FloatArray, IntArray
from shellgen.errors import GeometryError
from shellgen.shell._mesh2d import Mesh2D
from shellgen.shell._surfaces import Heights

__all__ = ["assemble"]


def assemble(
    mesh: Mesh2D,
    heights: Heights,
    n_outline_rings: int,
    glyphs: MultiPolygon | None,
    depth_mm: float,
) -> tuple[FloatArray, IntArray, FloatArray]:
    """Top, bottom (engraved) and wall faces of the closed shell.

    Vertices: ``n`` top vertices, ``n`` bottom vertices, then a raised bottom copy of every
    glyph-ring vertex (the ceiling of the engraving). Walls: on every outline ring, from
    top to bottom; on every glyph ring, from the raised copy down to the bottom vertex.

    Returns
    -------
    vertices : (v, 3) float
    faces : (f, 3) int
        Outward (counter-clockwise seen from outside).
    thickness : (v,) float
        Thickness along the normal at each vertex, mm.
    """
    pts, tris = mesh.points, mesh.triangles
    top, bottom, cos_slope = heights.top, heights.bottom, heights.cos_slope
    n = len(pts)
    wall = top - bottom
    if wall.min() <= 0.05:
        raise GeometryError(
            f"the shell is {wall.min():.3f} mm thick at a vertex: the spec leaves no material; "
            "raise thickness_mm"
        )
    glyph_rings = mesh.rings[n_outline_rings:]
    in_glyph: BoolArray = np.zeros(n, dtype=bool)
    bottom_z = bottom.copy()
    raised = np.arange(n, dtype=np.int64) + n
    ring_ids = np.concatenate(glyph_rings) if glyph_rings else np.zeros(0, dtype=np.int64)
    if glyphs is not None:
        in_glyph = shapely.contains_xy(glyphs, pts[:, 0], pts[:, 1])
        in_glyph[ring_ids] = False  # on the outline: both levels, as separate vertices
        bottom_z = bottom + depth_mm * in_glyph
        raised[ring_ids] = 2 * n + np.arange(len(ring_ids))
    centroids = pts[tris].mean(axis=1)
    tri_in_glyph = (
        shapely.contains_xy(glyphs, centroids[:, 0], centroids[:, 1])
        if glyphs is not None
        else np.zeros(len(tris), dtype=bool)
    )
    low = tris + n
    high = raised[tris]
    bottom_tris = np.where(tri_in_glyph[:, None], high, low)[:, [0, 2, 1]]
    faces = [tris, bottom_tris]
    for ids in mesh.rings[:n_outline_rings]:
        a, b = ids, np.roll(ids, -1)
        faces.append(np.column_stack([a, a + n, b + n]))
        faces.append(np.column_stack([a, b + n, b]))
    for ids in glyph_rings:
        a, b = ids, np.roll(ids, -1)
        faces.append(np.column_stack([raised[a], a + n, b + n]))
        faces.append(np.column_stack([raised[a], b + n, raised[b]]))
    vertices = np.concatenate(
        [
            np.column_stack([pts, top]),
            np.column_stack([pts, bottom_z]),
            np.column_stack([pts[ring_ids], bottom[ring_ids] + depth_mm]),
        ]
    )
    thick = heights.thickness_mm
    engraved = thick - depth_mm * cos_slope
    thickness = np.concatenate([thick, np.where(in_glyph, engraved, thick), engraved[ring_ids]])
    return vertices, np.concatenate(faces).astype(np.int64), thickness
