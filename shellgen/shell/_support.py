"""The plantar support: the foot's sole the shell carries, with the arch scaled (mm)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import distance_transform_edt, map_coordinates

from shellgen._typing import FloatArray
from shellgen.analysis import Foot, HeightField
from shellgen.errors import GeometryError
from shellgen.shell._smooth import smoothstep
from shellgen.spec import ShellSpec

__all__ = ["Support", "filled_heights"]

logger = logging.getLogger(__name__)

#: The arch is scaled in the midfoot: weight rising over these fractions of foot length...
ARCH_RISE = (0.10, 0.30)
#: ...and falling from this fraction (or 20 mm before the MTH line) to the MTH line.
ARCH_FALL_START = 0.65


@dataclass(frozen=True, eq=False)
class Support:
    """The plantar surface the shell supports, with the arch scaled to the target (mm).

    Attributes
    ----------
    field : HeightField
        The foot's plantar height field (grid geometry).
    grid : (ny, nx) float
        Its heights with gaps filled from the nearest defined value, mm.
    arch_scale : float
        ``spec.arch_height_mm / foot.arch.height_mm``.
    arch_band : (4,) float
        x where the arch weight starts rising, reaches 1, starts falling, reaches 0, mm.
    """

    field: HeightField
    grid: FloatArray
    arch_scale: float
    arch_band: tuple[float, float, float, float]

    @classmethod
    def make(cls, foot: Foot, spec: ShellSpec, filled: FloatArray) -> Support:
        """The support of this foot for this spec's arch height.

        ``filled`` is :func:`filled_heights` of the foot's plantar field (made once per foot).
        """
        length = foot.foot_length_mm
        measured = foot.arch.height_mm
        if measured < 1.0:
            raise GeometryError(
                f"measured arch height {measured:.2f} mm is too flat to scale to "
                f"{spec.arch_height_mm} mm: check the scan's plantar surface"
            )
        scale = spec.arch_height_mm / measured
        if not 0.25 <= scale <= 4.0:
            logger.warning("arch scale %.2f clipped to [0.25, 4]", scale)
            scale = float(np.clip(scale, 0.25, 4.0))
        mth_x = 0.5 * (foot.landmarks.mth1[0] + foot.landmarks.mth5[0])
        fall_start = min(ARCH_FALL_START * length, mth_x - 20.0)
        band = (ARCH_RISE[0] * length, ARCH_RISE[1] * length, fall_start, mth_x)
        return cls(foot.plantar, filled, scale, band)

    def at(self, x: FloatArray, y: FloatArray) -> FloatArray:
        """Support height at points, mm (>= 0).

        Bilinear in the gap-filled height field (clamped at its border), multiplied by
        ``arch_scale`` with a weight that is 1 over the midfoot and ramps to 0 toward the
        heel and the metatarsal heads.

        Parameters
        ----------
        x, y : (n,) float
            Points in the foot frame, mm.
        """
        f = self.field
        rows = np.clip((y - f.y0_mm) / f.spacing_mm, 0, self.grid.shape[0] - 1)
        cols = np.clip((x - f.x0_mm) / f.spacing_mm, 0, self.grid.shape[1] - 1)
        z = map_coordinates(self.grid, [rows.ravel(), cols.ravel()], order=1).reshape(x.shape)
        a0, a1, b0, b1 = self.arch_band
        weight = smoothstep(x, a0, a1) * (1.0 - smoothstep(x, b0, b1))
        return np.asarray(np.maximum(z, 0.0) * (1.0 + weight * (self.arch_scale - 1.0)))


def filled_heights(field: HeightField) -> FloatArray:
    """The height-field grid with every NaN replaced by its nearest defined value, mm."""
    z = field.z_mm
    missing = ~np.isfinite(z)
    if missing.all():
        raise GeometryError("the plantar height field is empty: check the scan analysis")
    if not missing.any():
        return np.asarray(z, dtype=np.float64)
    idx = distance_transform_edt(missing, return_distances=False, return_indices=True)
    return np.asarray(z[tuple(idx)], dtype=np.float64)
