"""``build``: the solid orthotic shell, watertight by construction (see DESIGN.md)."""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry import Polygon

from shellgen._typing import FloatArray, IntArray
from shellgen.scan import Side
from shellgen.spec import ShellSpec

__all__ = ["Shell"]


@dataclass(frozen=True, eq=False)
class Shell:
    """A closed triangle mesh of an orthotic shell, foot frame (right foot), mm.

    Attributes
    ----------
    vertices : (n, 3) float
        Vertex positions in the foot frame of a right foot, mm; underside on z = 0.
    faces : (m, 3) int
        Triangles, counter-clockwise seen from outside (outward normals).
    side : {"left", "right"}
        The patient's side; ``export`` mirrors a left shell back (y -> -y) and fixes winding.
    spec : ShellSpec
        The spec it was built from.
    outline : Polygon
        The shell seen from above (x, y), mm, with relief slots as holes.
    thickness_mm : (n,) float
        Shell thickness along the normal at every vertex (for colouring previews), mm.
    """

    vertices: FloatArray
    faces: IntArray
    side: Side
    spec: ShellSpec
    outline: Polygon
    thickness_mm: FloatArray
