"""The ``build_volume``, ``volume_cm3`` and ``mass_g`` checks."""

from __future__ import annotations

import numpy as np

from shellgen._typing import FloatArray
from shellgen.materials import Material
from shellgen.validation._report import Check

__all__ = ["_build_volume_check", "_volume_checks"]


def _build_volume_check(
    lo: FloatArray, hi: FloatArray, build_volume_mm: tuple[float, float, float]
) -> Check:
    extents = hi.max(axis=1) - lo.min(axis=1) if lo.shape[1] else np.zeros(3)
    bed_xy = np.sort(np.asarray(build_volume_mm[:2]))[::-1]
    part_xy = np.sort(extents[:2])[::-1]
    excess = np.append(part_xy - bed_xy, extents[2] - build_volume_mm[2])
    value = float(excess.max())
    ok = value <= 0.0
    size = " x ".join(f"{e:.1f}" for e in extents)
    bed = " x ".join(f"{e:g}" for e in build_volume_mm)
    detail = f"{size} mm in a {bed} mm build volume (value: largest excess, negative = margin)"
    return Check("build_volume", ok, value, 0.0, "mm", detail)


def _volume_checks(
    signed_volume_mm3: float, closed: bool, material: Material
) -> tuple[Check, Check]:
    volume_cm3 = signed_volume_mm3 / 1000.0
    mass_g = volume_cm3 * material.density_g_cm3
    note = "" if closed else " (mesh not closed: unreliable)"
    return (
        Check("volume_cm3", volume_cm3 > 0, volume_cm3, 0.0, "cm3", f"enclosed volume{note}"),
        Check(
            "mass_g",
            mass_g > 0,
            mass_g,
            0.0,
            "g",
            f"{material.name} at {material.density_g_cm3:g} g/cm3{note}",
        ),
    )
