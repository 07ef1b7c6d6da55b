"""The shell seen from above: outline, slots, heel seat, label and their triangulation.

All of it depends on the foot and on the few spec values of :class:`PlanSpec` only, never on
the heights (thickness, arch, post, flex ratio, engraving depth), and it is about two thirds
of the time a build takes (the outline's buffers, the triangulation). So a plan is made once
per foot and plan spec and kept while the foot lives (the last ``PLANS_PER_FOOT`` of them):
a rebuild after a change of the heights (the studio's thickness or arch slider) starts from
it. A plan is a pure function of its inputs: reusing one changes no byte of the shell.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np
from shapely.geometry import MultiPolygon, Polygon

from shellgen.analysis import Foot
from shellgen.shell._label import GLYPH_STEP_MM, label_glyphs
from shellgen.shell._mesh2d import Mesh2D, resample_ring, triangulate
from shellgen.shell._model import PlanSpec
from shellgen.shell._outline import flex_start, heel_seat, outer_outline, outline_with_slots
from shellgen.shell._zones import RimZones

__all__ = ["Plan", "plan"]

#: Plans kept per foot (the most recent), for as long as the foot is referenced elsewhere.
PLANS_PER_FOOT = 8


@dataclass(frozen=True, eq=False)
class Plan:
    """The shell seen from above, foot frame of a right foot (mm).

    Attributes
    ----------
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
    """

    zones: RimZones
    outer: Polygon
    outline: Polygon
    flex_start_mm: float
    seat: Polygon
    glyphs: MultiPolygon | None
    mesh: Mesh2D

    @property
    def n_outline_rings(self) -> int:
        """How many of the mesh's rings are the outline's (exterior and slot holes)."""
        return 1 + len(self.outline.interiors)


_plans: weakref.WeakKeyDictionary[Foot, dict[PlanSpec, Plan]] = weakref.WeakKeyDictionary()
_plans_lock = threading.Lock()


def plan(foot: Foot, spec: PlanSpec) -> Plan:
    """The plan of a shell for this foot, made once per foot and plan spec.

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
    with _plans_lock:
        made = _plans.get(foot, {}).get(spec)
    if made is not None:
        return made
    made = _make_plan(foot, spec)
    with _plans_lock:
        kept = _plans.setdefault(foot, {})
        kept[spec] = made
        for old in list(kept)[:-PLANS_PER_FOOT]:
            del kept[old]
    return made


def _make_plan(foot: Foot, spec: PlanSpec) -> Plan:
    """The outline, slots, seat, label and triangulation for a foot (see :class:`Plan`)."""
    zones = RimZones.from_foot(foot, spec)
    outer = outer_outline(foot, spec, zones)
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
    return Plan(zones, outer, outline, flex_start_mm, seat, glyphs, mesh)
