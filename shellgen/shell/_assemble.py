"""The closed mesh: top, bottom (engraved) and wall faces over the 2D triangulation."""

from __future__ import annotations

import numpy as np

from shellgen._typing import FloatArray, IntArray
from shellgen.errors import GeometryError
from shellgen.shell._plan import Plan
from shellgen.shell._surfaces import Heights

__all__ = ["assemble"]


def assemble(
    layout: Plan, heights: Heights, depth_mm: float
) -> tuple[FloatArray, IntArray, FloatArray]:
    """Top, bottom (engraved ``depth_mm`` inside the plan's glyphs) and wall faces.

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
    mesh, n_outline_rings = layout.mesh, layout.n_outline_rings
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
    in_glyph, tri_in_glyph = layout.vertex_in_glyph, layout.triangle_in_glyph
    bottom_z = bottom + depth_mm * in_glyph
    raised = np.arange(n, dtype=np.int64) + n
    ring_ids = np.concatenate(glyph_rings) if glyph_rings else np.zeros(0, dtype=np.int64)
    raised[ring_ids] = 2 * n + np.arange(len(ring_ids))
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
