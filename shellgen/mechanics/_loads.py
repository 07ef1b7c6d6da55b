"""Load cases as data: the bench test and the patient's midfoot load.

Both stand the shell on a rigid flat plate (its underside on z = 0 held vertically, free to
slide) and press vertical loads, each spread evenly over the top surface within a circle in
plan (see :mod:`shellgen.mechanics._fem` for the supports).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shellgen.analysis._model import Point2

__all__ = [
    "BENCH_FORCE_N",
    "BENCH_RADIUS_MM",
    "GRAVITY_M_S2",
    "LATERAL_MIDFOOT_BW",
    "MEDIAL_MIDFOOT_AREA_MM2",
    "MEDIAL_MIDFOOT_BW",
    "LoadCase",
    "Patch",
    "bench_test",
    "patient_load",
]

#: The bench test's force (N) and the plan radius around the arch apex it is spread over (mm).
BENCH_FORCE_N = 200.0
BENCH_RADIUS_MM = 20.0
GRAVITY_M_S2 = 9.81
#: McCormick, Bonanno & Landorf 2013, Table 7 (custom orthosis, walking): peak force under
#: the medial midfoot 14.9 % BW over 23.3 cm^2, under the lateral midfoot 25.4 % BW. These are
#: measured forces in walking, fractions of body weight (not of the 1.2 BW peak ground
#: reaction); an activity scales them by its peak ground reaction over walking's
#: (:data:`shellgen.calibration.ACTIVITY_LOAD`).
MEDIAL_MIDFOOT_BW = 0.149
MEDIAL_MIDFOOT_AREA_MM2 = 2330.0
LATERAL_MIDFOOT_BW = 0.254


@dataclass(frozen=True)
class Patch:
    """A vertical force spread evenly over the top surface within a circle seen from above.

    Attributes
    ----------
    centre_mm : (2,) float
        Circle centre (x, y), foot frame, mm.
    radius_mm : float
        Circle radius in plan, mm.
    force_n : float
        Total downward force, N.
    """

    centre_mm: Point2
    radius_mm: float
    force_n: float


@dataclass(frozen=True)
class LoadCase:
    """Loads pressing the shell onto the plate; deflection is reported under the first patch.

    Attributes
    ----------
    name : str
        ``"bench"`` or ``"patient"``.
    patches : tuple of Patch
        The loads; the first is the one whose mean deflection is reported.
    """

    name: str
    patches: tuple[Patch, ...]


def bench_test(apex_mm: Point2, force_n: float = BENCH_FORCE_N) -> LoadCase:
    """The bench test: ``force_n`` (200 N) over the top within 20 mm in plan of the apex.

    The same for every shell, so that a lab can repeat it on a testing machine (the shell on a
    rigid frictionless plate, a flat-ended soft indenter over the arch) and another FE code can
    check it.
    """
    return LoadCase("bench", (Patch(apex_mm, BENCH_RADIUS_MM, force_n),))


def patient_load(
    apex_mm: Point2,
    lateral_midfoot_mm: Point2,
    bodyweight_kg: float,
    load_vs_walking: float = 1.0,
) -> LoadCase:
    """The foot's midfoot load on the shell at the peak of a step.

    The medial midfoot carries 14.9 % BW over 23.3 cm^2 (a circle of radius 27.2 mm centred on
    the arch apex); the lateral midfoot 25.4 % BW over a circle of the same size centred at
    ``lateral_midfoot_mm`` (McCormick 2013, Table 7, walking with a custom orthosis). An
    activity changes the load, not where it is: ``load_vs_walking`` scales both (running about
    2.5 BW against walking's 1.2 BW, Keller 1996).

    Parameters
    ----------
    apex_mm, lateral_midfoot_mm : (2,) float
        Centres of the medial and lateral midfoot loads, foot frame, mm.
    bodyweight_kg : float
        Body weight, kg.
    load_vs_walking : float
        The activity's peak load relative to walking (1 for walking).
    """
    radius = math.sqrt(MEDIAL_MIDFOOT_AREA_MM2 / math.pi)
    weight_n = bodyweight_kg * GRAVITY_M_S2 * load_vs_walking
    return LoadCase(
        "patient",
        (
            Patch(apex_mm, radius, MEDIAL_MIDFOOT_BW * weight_n),
            Patch(lateral_midfoot_mm, radius, LATERAL_MIDFOOT_BW * weight_n),
        ),
    )
