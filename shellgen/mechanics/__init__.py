"""``mechanics``: the built shell's linear-elastic response (DESIGN.md, issue 13).

The shell stands on a rigid frictionless plate (its underside on z = 0 held vertically, free
to slide) and is loaded from above: in the bench test by 200 N over the top within 20 mm in
plan of the arch apex, the same for every shell; for the patient by their midfoot loads
(McCormick 2013, Table 7) at walking and, scaled, at their activity. The solid is the shell's
true 3D geometry, remeshed in plan and extruded into one layer of 15-node quadratic wedges.

Modules: ``_solid`` (the shell as a solid between two height fields, and its tetrahedra),
``_elements`` (the quadratic wedges, and the quadratic tetrahedra kept as reference),
``_loads`` (load cases as data), ``_fem`` (stiffness, supports, solver, the
:class:`PlanCache` a calibration keeps between trial thicknesses), ``_response``
(:func:`respond` and :class:`Response`).
"""

from shellgen.mechanics._fem import SEAT_MM, PlanCache
from shellgen.mechanics._loads import (
    BENCH_FORCE_N,
    BENCH_RADIUS_MM,
    LoadCase,
    Patch,
    bench_test,
    patient_load,
)
from shellgen.mechanics._response import (
    LAYERS,
    SPACING_MM,
    Patient,
    Response,
    respond,
    solid_of_shell,
)
from shellgen.mechanics._solid import Solid, arch_apex_mm, settle, solid_of_mesh, tetrahedra

__all__ = [
    "BENCH_FORCE_N",
    "BENCH_RADIUS_MM",
    "LAYERS",
    "SEAT_MM",
    "SPACING_MM",
    "LoadCase",
    "Patch",
    "Patient",
    "PlanCache",
    "Response",
    "Solid",
    "arch_apex_mm",
    "bench_test",
    "patient_load",
    "respond",
    "settle",
    "solid_of_mesh",
    "solid_of_shell",
    "tetrahedra",
]
