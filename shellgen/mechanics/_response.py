"""``respond``: a shell's bench test and, given a patient, its response to their load."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from shapely.geometry import LineString, Point, Polygon

from shellgen._typing import FloatArray, IntArray
from shellgen.analysis._model import Point2
from shellgen.errors import GeometryError
from shellgen.materials import Material
from shellgen.mechanics._elements import wedge_layout, wedges
from shellgen.mechanics._fem import SEAT_MM, PlanCache, model, peak_stress_mpa, scaled, solve
from shellgen.mechanics._loads import (
    BENCH_FORCE_N,
    MEDIAL_MIDFOOT_AREA_MM2,
    bench_test,
    patient_load,
)
from shellgen.mechanics._seat import bed_heights_mm
from shellgen.mechanics._solid import Solid, settle, solid_of_mesh
from shellgen.shell import Shell

__all__ = [
    "LAYERS",
    "SPACING_MM",
    "Patient",
    "Response",
    "lateral_midfoot_mm",
    "respond",
    "solid_of_shell",
]

#: Plan spacing (mm) and element layers through the thickness of the mechanics mesh. One
#: layer of quadratic wedges bends a plate exactly (linear strain through it: a second
#: layer changed the synthetic shell's bench deflection by 1.1 %). Bench deflection of the
#: synthetic foot's sulcus shell (3 mm PA12) against spacing, wedges (mm): 6 0.789, 5 0.795,
#: 4 0.709, 3.5 0.710, 3 0.670, 2.5 0.694, 2 0.643, 1.5 0.656; quadratic tetrahedra 3 0.655,
#: 2 0.631. It converges slowly and not monotonically (the edge of the held underside is a
#: singular line, and which underside nodes rest within :data:`SEAT_MM` changes with the
#: remesh): halving 3 mm changes it by 2.1 % (to 1.5 mm), 4 mm by 9 %, hence 3 mm.
SPACING_MM = 3.0
LAYERS = 1


@dataclass(frozen=True)
class Patient:
    """Who stands on the shell: body weight and the activity's load relative to walking.

    Attributes
    ----------
    bodyweight_kg : float
        Body weight, kg.
    load_vs_walking : float
        Peak load of the profile's activity relative to walking (1 for walking).
    """

    bodyweight_kg: float
    load_vs_walking: float = 1.0


@dataclass(frozen=True, eq=False)
class Response:
    """The shell's linear-elastic response; the patient's fields are None without a patient.

    Attributes
    ----------
    apex_mm : (2,) float
        Arch apex the loads are centred on (x, y), foot frame, mm.
    bench_force_n : float
        Bench test force, N.
    bench_deflection_mm : float
        Bench test: mean downward displacement of the loaded top surface, mm.
    bench_stiffness_n_per_mm : float
        ``bench_force_n / bench_deflection_mm``, N/mm.
    bench_peak_stress_mpa : float
        Peak von Mises stress in the bench test, MPa (exceeded in 0.1 % of the volume:
        :func:`~shellgen.mechanics._fem.peak_stress_mpa`).
    load_n : float or None
        Midfoot load at walking (medial + lateral), N.
    deflection_mm : float or None
        Mean downward displacement of the medial midfoot (arch) load area at walking, mm.
    activity_load_n, activity_deflection_mm : float or None
        The same at the profile's activity load (the response is linear in the load).
    peak_stress_mpa : float or None
        Peak von Mises stress at the activity load, MPa.
    safety_factor : float or None
        The material's fatigue limit for a pulsating load (zero to the peak at every step,
        :attr:`~shellgen.materials.Material.pulsating_limit_mpa`) over ``peak_stress_mpa``.
    clearance_mm : float or None
        Height left between the arch plate's underside and the plate (insole) at its highest
        point under the arch load area, at the activity load, mm.
    dofs : int
        Degrees of freedom of the model.
    plan_points_mm : (n, 2) float
        Plan vertices of the mechanics mesh (x, y), foot frame, mm.
    plan_triangles : (m, 3) int
        Its plan triangles.
    deflection_map_mm : (n,) float
        Downward displacement of the top surface at each plan vertex, mm: under the
        patient's activity load, or the bench load without a patient.
    """

    apex_mm: Point2
    bench_force_n: float
    bench_deflection_mm: float
    bench_stiffness_n_per_mm: float
    bench_peak_stress_mpa: float
    load_n: float | None
    deflection_mm: float | None
    activity_load_n: float | None
    activity_deflection_mm: float | None
    peak_stress_mpa: float | None
    safety_factor: float | None
    clearance_mm: float | None
    dofs: int
    plan_points_mm: FloatArray
    plan_triangles: IntArray
    deflection_map_mm: FloatArray


def solid_of_shell(shell: Shell, spacing_mm: float = SPACING_MM) -> Solid:
    """The shell as a solid between two height fields, remeshed in plan at ``spacing_mm``."""
    return solid_of_mesh(shell.vertices, shell.faces, spacing_mm, outline=shell.outline)


def lateral_midfoot_mm(outline: Polygon, apex_mm: Point2, radius_mm: float) -> Point2:
    """Centre of the lateral midfoot load: at the apex's x, ``radius_mm`` in from the lateral
    (-y) edge of the outline, mm."""
    x = apex_mm[0]
    cut = outline.intersection(LineString([(x, -1e4), (x, 1e4)]))
    if cut.is_empty:
        raise GeometryError(f"the arch apex x = {x:.1f} mm is off the shell seen from above")
    return (x, float(cut.bounds[1]) + radius_mm)


def respond(
    solid: Solid,
    mat: Material,
    apex_mm: Point2,
    patient: Patient | None = None,
    bench_force_n: float = BENCH_FORCE_N,
    layers: int = LAYERS,
    cache: PlanCache | None = None,
) -> Response:
    """Bench test and (given a patient) patient load of a solid standing on z = 0.

    A solid resting on one side of the arch only is first tipped onto the plate
    (:func:`~shellgen.mechanics._solid.settle`: a heel seat built floating above z = 0 comes
    down onto it). It then rests on its beds (:mod:`shellgen.mechanics._seat`): the plate,
    and under a posted heel the post's own plane, as the wedge a lab fits under it.

    Parameters
    ----------
    solid : Solid
        The shell (:func:`solid_of_shell` or :func:`~shellgen.mechanics.solid_of_mesh`).
    mat : Material
        Its material (modulus, Poisson's ratio, fatigue limit).
    apex_mm : (2,) float
        Arch apex landmark (x, y), foot frame, mm.
    patient : Patient, optional
        Body weight and activity; without it only the bench test runs.
    bench_force_n : float
        Bench test force, N.
    layers : int
        Element layers through the thickness.
    cache : PlanCache, optional
        Kept between calls on the same plan mesh (a calibration's trial thicknesses of one
        shell): its wedge layout (node order), stiffness pattern and symbolic factorisation
        are reused.

    Raises
    ------
    GeometryError
        If the apex is off the shell, or the shell would be a cantilever.
    """
    if not solid.outline.contains(Point(apex_mm)):
        x0, y0, x1, y1 = solid.outline.bounds
        raise GeometryError(
            f"the arch apex ({apex_mm[0]:.1f}, {apex_mm[1]:.1f}) mm is off the shell, which "
            f"spans x {x0:.0f}..{x1:.0f}, y {y0:.0f}..{y1:.0f} mm: give a point on it"
        )
    solid = settle(solid, apex_mm, SEAT_MM)
    kept = (PlanCache() if cache is None else cache).kept(solid.points, solid.triangles, layers)
    if "layout" not in kept:
        kept["layout"] = wedge_layout(solid.points, solid.triangles, layers)
    elements = wedges(solid, layers, kept["layout"])
    bed = bed_heights_mm(
        solid.points, solid.bottom_mm, SEAT_MM, apex_mm[0], elements.nodes_mm[:, :2]
    )
    m = model(elements, mat.modulus_gpa * 1000.0, mat.poisson_ratio, kept, bed)
    sol = solve(m, bench_test(apex_mm, bench_force_n))
    (bench,) = sol.patches
    bench_stress = peak_stress_mpa(m, sol.u)
    top_uz = 3 * elements.top_of_plan + 2
    deflection_map = -sol.u[top_uz]
    fields: dict[str, float | None] = dict.fromkeys(
        (
            "load_n",
            "deflection_mm",
            "activity_load_n",
            "activity_deflection_mm",
            "peak_stress_mpa",
            "safety_factor",
            "clearance_mm",
        )
    )
    if patient is not None:
        radius = math.sqrt(MEDIAL_MIDFOOT_AREA_MM2 / math.pi)
        lateral = lateral_midfoot_mm(solid.outline, apex_mm, radius)
        walking_case = patient_load(apex_mm, lateral, patient.bodyweight_kg)
        walking = solve(m, walking_case)
        activity = scaled(walking, patient.load_vs_walking)
        stress = peak_stress_mpa(m, activity.u)
        under = np.hypot(*(solid.points - np.asarray(apex_mm)).T) <= radius
        bottom_uz = activity.u[3 * elements.bottom_of_plan + 2]
        clearance = solid.bottom_mm[under] + bottom_uz[under]
        deflection_map = -activity.u[top_uz]
        load = sum(p.force_n for p in walking_case.patches)
        fields = {
            "load_n": load,
            "deflection_mm": walking.patches[0].mean_deflection_mm,
            "activity_load_n": load * patient.load_vs_walking,
            "activity_deflection_mm": activity.patches[0].mean_deflection_mm,
            "peak_stress_mpa": stress,
            "safety_factor": mat.pulsating_limit_mpa / stress if stress > 0 else math.inf,
            "clearance_mm": float(clearance.max()) if clearance.size else 0.0,
        }
    return Response(
        apex_mm=apex_mm,
        bench_force_n=bench_force_n,
        bench_deflection_mm=bench.mean_deflection_mm,
        bench_stiffness_n_per_mm=bench_force_n / bench.mean_deflection_mm,
        bench_peak_stress_mpa=bench_stress,
        dofs=len(m.free),
        plan_points_mm=solid.points,
        plan_triangles=solid.triangles,
        deflection_map_mm=deflection_map,
        **fields,
    )
