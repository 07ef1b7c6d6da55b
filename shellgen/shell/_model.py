"""The shell (a closed triangle mesh with its outline and spec) and the spec of its plan."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from shapely.geometry import Polygon

from shellgen._typing import FloatArray, IntArray
from shellgen.prescription import Extension
from shellgen.scan import Side
from shellgen.spec import ShellLength, ShellSpec

if TYPE_CHECKING:
    from shellgen.shell._plan import Plan

__all__ = ["PlanSpec", "Shell"]


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
    plan : Plan or None
        The shell seen from above that it was built on, for ``build(..., reuse=shell.plan)``
        (None for a shell made elsewhere).
    arch_gap_mm : float or None
        The largest amount the arch smoothing lowers the top (``Surfaces.arch_gap_mm``): the
        gap it leaves to the arch-scaled sole, mm (None for a shell made elsewhere).
    """

    vertices: FloatArray
    faces: IntArray
    side: Side
    spec: ShellSpec
    outline: Polygon
    thickness_mm: FloatArray
    plan: Plan | None = None
    arch_gap_mm: float | None = None


@dataclass(frozen=True)
class PlanSpec:
    """The spec values that fix the shell seen from above (see :class:`ShellSpec`, mm).

    ``extension`` and the shoe's limits are the prescription's
    (:class:`~shellgen.prescription.Prescription`).
    """

    shell_length: ShellLength
    heel_cup_depth_mm: float
    medial_flange_mm: float
    lateral_flange_mm: float
    rim_radius_mm: float
    flex_start_x_mm: float
    flex_taper_mm: float
    slot_count: int
    slot_width_mm: float
    slot_length_mm: float
    grid_spacing_mm: float
    label: str
    extension: Extension = "none"
    shoe_heel_width_mm: float = 0.0
    shoe_ball_width_mm: float = 0.0
    shoe_insole: tuple[tuple[float, float], ...] = ()
    lateral_forefoot_flange_mm: float = 0.0

    @classmethod
    def of(cls, spec: ShellSpec) -> PlanSpec:
        """The plan values of a full spec."""
        rx = spec.prescription
        return cls(
            **{
                f.name: getattr(rx, f.name)
                if f.name in _FROM_PRESCRIPTION
                else getattr(spec, f.name)
                for f in fields(cls)
            }
        )


#: The :class:`PlanSpec` values that are the prescription's.
_FROM_PRESCRIPTION = frozenset(
    {
        "extension",
        "shoe_heel_width_mm",
        "shoe_ball_width_mm",
        "shoe_insole",
        "lateral_forefoot_flange_mm",
    }
)
