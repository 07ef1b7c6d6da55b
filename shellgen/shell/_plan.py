"""The shell seen from above: outline, slots, heel seat, label and their triangulation.

All of it depends on the foot and on the few spec values of :class:`PlanSpec` only, never on
the heights (thickness, arch, post, flex ratio, engraving depth), and it is most of the time a
build takes (the outline's buffers, the triangulation, the distances from every vertex to the
rim). A shell keeps its plan (``Shell.plan``); ``build(foot, spec, reuse=shell.plan)`` starts
from it when it fits, so a rebuild after a change of the heights (the studio's thickness or
arch slider) skips it. A plan is a pure function of its inputs: reusing one changes no byte
of the shell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon

from shellgen._typing import BoolArray, FloatArray
from shellgen.analysis import Foot
from shellgen.shell._envelope import NEIGHBOUR_REACH_MM, Neighbours
from shellgen.shell._label import GLYPH_STEP_MM, label_glyphs
from shellgen.shell._mesh2d import Mesh2D, resample_even, resample_ring, triangulate
from shellgen.shell._model import PlanSpec
from shellgen.shell._outline import flex_start, heel_seat, outer_outline, outline_with_slots
from shellgen.shell._rim import RimLookup, RimPoints
from shellgen.shell._shoe import ShoeTrim, fit_to_shoe, shoe_region
from shellgen.shell._support import filled_heights
from shellgen.shell._zones import RimZones
from shellgen.spec import ShellSpec

__all__ = ["Plan", "plan"]

#: Spacing of the grid over the heel seat on which the heel lift is chosen (plus every 1 mm
#: along the seat's edge), mm.
SEAT_GRID_MM = 2.0


@dataclass(frozen=True, eq=False)
class Plan:
    """The shell seen from above, foot frame of a right foot (mm).

    Attributes
    ----------
    foot : Foot
        The foot it was made for.
    spec : PlanSpec
        The spec values it was made for.
    zones : RimZones
        Where the heel cup and the flanges rise.
    outer : Polygon
        The outline without slots.
    outline : Polygon
        The final outline: exterior resampled at the grid spacing (counter-clockwise),
        relief slots as holes (clockwise).
    flex_start_mm : float
        Where the forefoot flex zone starts, x mm (moved back to fit a short shell).
    seat : Polygon
        The solid heel seat.
    glyphs : MultiPolygon or None
        The label's glyph regions on the seat (None without a label).
    mesh : Mesh2D
        The triangulation of the outline: its rings are the outline's exterior and holes,
        then every glyph ring. Its arrays are read-only (plans are shared).
    rim : RimLookup
        The outline's rim and the foot's plantar edge.
    vertex_rim : RimPoints
        Where the mesh's points lie relative to the rim and the plantar edge.
    seat_points : (k, 2) float
        Where the heel lift is checked: the seat on a ``SEAT_GRID_MM`` grid and its edge, mm.
    seat_rim : RimPoints
        Where those lie relative to the rim and the plantar edge.
    plantar_heights : (ny, nx) float
        The foot's plantar height field with its gaps filled (see ``filled_heights``), mm.
    neighbours : Neighbours
        Pairs of mesh points up to ``NEIGHBOUR_REACH_MM`` apart (for the ball envelope).
    vertex_in_glyph : (n,) bool
        Mesh points strictly inside a glyph (engraved; glyph outlines are not).
    triangle_in_glyph : (m,) bool
        Triangles inside a glyph.
    shoe_trim : ShoeTrim or None
        What fitting the shoe cut off the outline (None without a shoe limit).
    """

    foot: Foot
    spec: PlanSpec
    zones: RimZones
    outer: Polygon
    outline: Polygon
    flex_start_mm: float
    seat: Polygon
    glyphs: MultiPolygon | None
    mesh: Mesh2D
    rim: RimLookup
    vertex_rim: RimPoints
    seat_points: FloatArray
    seat_rim: RimPoints
    plantar_heights: FloatArray
    neighbours: Neighbours
    vertex_in_glyph: BoolArray
    triangle_in_glyph: BoolArray
    shoe_trim: ShoeTrim | None = None

    @property
    def n_outline_rings(self) -> int:
        """How many of the mesh's rings are the outline's (exterior and slot holes)."""
        return 1 + len(self.outline.interiors)

    def fits(self, foot: Foot, spec: ShellSpec) -> bool:
        """Whether this is the plan of ``foot`` (the same object) for ``spec``."""
        return self.foot is foot and self.spec == PlanSpec.of(spec)


def plan(foot: Foot, spec: PlanSpec) -> Plan:
    """The plan of a shell: outline, slots, seat, label, triangulation and rim distances.

    Parameters
    ----------
    foot : Foot
        The analysed foot (right-foot frame, mm).
    spec : PlanSpec
        The spec values the plan depends on.

    Raises
    ------
    GeometryError
        If the foot leaves no room for the outline, the slots or the label.
    """
    zones = RimZones.from_foot(foot, spec)
    outer = outer_outline(foot, spec, zones)
    shoe = shoe_region(foot, spec)
    shoe_trim = None
    if shoe is not None:
        outer, shoe_trim = fit_to_shoe(outer, shoe)
    flex_start_mm = flex_start(outer, foot, spec)
    outline = outline_with_slots(outer, foot, spec, flex_start_mm)
    seat = heel_seat(outer, foot.foot_length_mm)
    glyphs = label_glyphs(spec.label, foot.scan.side, seat)
    rings = [np.asarray(outline.exterior.coords)[:-1]]
    rings += [np.asarray(hole.coords)[:-1] for hole in outline.interiors]
    for g in glyphs.geoms if glyphs is not None else []:
        rings.append(resample_ring(np.asarray(g.exterior.coords), GLYPH_STEP_MM))
        rings += [resample_ring(np.asarray(h.coords), GLYPH_STEP_MM) for h in g.interiors]
    mesh = triangulate(rings, outline, spec.grid_spacing_mm)
    for array in (mesh.points, mesh.triangles, *mesh.rings):
        array.flags.writeable = False
    rim = RimLookup.make(outer, foot)
    seat_points = _seat_points(seat)
    in_glyph, tri_in_glyph = _in_glyphs(mesh, 1 + len(outline.interiors), glyphs)
    return Plan(
        foot=foot,
        spec=spec,
        zones=zones,
        outer=outer,
        outline=outline,
        flex_start_mm=flex_start_mm,
        seat=seat,
        glyphs=glyphs,
        mesh=mesh,
        rim=rim,
        vertex_rim=rim.points(mesh.points),
        seat_points=seat_points,
        seat_rim=rim.points(seat_points),
        plantar_heights=filled_heights(foot.plantar),
        neighbours=Neighbours.of(mesh.points, NEIGHBOUR_REACH_MM),
        vertex_in_glyph=in_glyph,
        triangle_in_glyph=tri_in_glyph,
        shoe_trim=shoe_trim,
    )


def _in_glyphs(
    mesh: Mesh2D, n_outline_rings: int, glyphs: MultiPolygon | None
) -> tuple[BoolArray, BoolArray]:
    """Mesh points strictly inside a glyph (not on a glyph ring), and triangles inside one."""
    if glyphs is None:
        return np.zeros(len(mesh.points), dtype=bool), np.zeros(len(mesh.triangles), dtype=bool)
    pts = mesh.points
    inside = shapely.contains_xy(glyphs, pts[:, 0], pts[:, 1])
    for ids in mesh.rings[n_outline_rings:]:
        inside[ids] = False  # on an outline: both levels, as separate vertices
    centroids = pts[mesh.triangles].mean(axis=1)
    return inside, shapely.contains_xy(glyphs, centroids[:, 0], centroids[:, 1])


def _seat_points(seat: Polygon) -> FloatArray:
    """The heel seat on a ``SEAT_GRID_MM`` grid, and its edge every 1 mm ((k, 2), mm)."""
    minx, miny, maxx, maxy = seat.bounds
    gx, gy = np.meshgrid(np.arange(minx, maxx, SEAT_GRID_MM), np.arange(miny, maxy, SEAT_GRID_MM))
    inside = shapely.contains_xy(seat, gx, gy)
    edge = resample_even(np.asarray(seat.exterior.coords), 1.0)
    return np.concatenate([np.column_stack([gx[inside], gy[inside]]), edge])
