"""Tolerances and limits, kept in one place.

Tests and validators import these names rather than repeating numbers, in the way
``trimesh.constants.tol`` holds trimesh's tolerances.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

__all__ = [
    "ARCH_INDEX_HIGH_MAX",
    "ARCH_INDEX_LOW_MIN",
    "ARCH_WINDOW",
    "CONTACT_THRESHOLD_MM",
    "FLAT_SOLE_MIN",
    "FOOT_LENGTH_RANGE_MM",
    "MIN_POINTS",
    "PLANTAR_MAX_SLOPE_DEG",
    "SUPPORT_ZONES",
    "UNIT_TO_MM",
]

#: Millimetres per scanner unit, for every unit shellgen reads.
UNIT_TO_MM: Final = MappingProxyType({"mm": 1.0, "cm": 10.0, "m": 1000.0, "in": 25.4})

#: A plausible foot length, child to large adult (mm). Units are detected only where exactly
#: one unit puts the measured length inside this range.
FOOT_LENGTH_RANGE_MM: Final = (100.0, 350.0)

#: Fewest finite points a scan must keep to be analysed.
MIN_POINTS: Final = 500

#: The plantar region is where the sole's slope is at most this (steeper is the foot's side).
PLANTAR_MAX_SLOPE_DEG: Final = 45.0

#: Height above the support plane within which the sole counts as in contact (mm).
CONTACT_THRESHOLD_MM: Final = 3.0

#: Arch height is the medial-profile maximum between these fractions of foot length.
ARCH_WINDOW: Final = (0.30, 0.70)

#: Arch index cut-offs (Cavanagh & Rodgers 1987): high arch at or below, low arch at or above.
ARCH_INDEX_HIGH_MAX: Final = 0.21
ARCH_INDEX_LOW_MIN: Final = 0.26

#: The heel pad and the metatarsal heads, as fractions of the foot's length from the heel:
#: where a foot stands on the support plane.
SUPPORT_ZONES: Final = ((0.03, 0.30), (0.55, 0.80))

#: A weight-bearing sole: of its ``SUPPORT_ZONES`` cells within 3 mm of the support plane,
#: at least this share lie within 1 mm (a flattened patch); a rounded, unloaded sole has a
#: third as much.
FLAT_SOLE_MIN: Final = 0.55
