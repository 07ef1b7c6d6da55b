"""Where along the rim the heel cup and the flanges rise, and how far the outline reaches.

Weights are smooth functions of (x, y) in the foot frame of a right foot (mm, +y medial).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shellgen._typing import FloatArray
from shellgen.analysis import Foot
from shellgen.shell._model import PlanSpec
from shellgen.shell._smooth import smoothstep

__all__ = ["RimZones"]

#: Widest band the outline reaches beyond the plantar region under the heel cup / flanges (mm).
CUP_BAND_MM = 8.0
FLANGE_BAND_MM = 10.0
#: A flange's band (and the fade of its rise) is this many times its height, up to the above.
FLANGE_BAND_PER_MM = 1.5
#: The heel cup wraps the rim behind these fractions of foot length (full, then fading).
CUP_END = (0.25, 0.38)
#: Flanges end this far (start and end of the fade) behind MTH1 (medial) and MTH5 (lateral).
FLANGE_END_BEHIND_MTH_MM = (60.0, 20.0)
#: The lateral forefoot flange rises where the lateral flange fades, on the outer strip of
#: the forefoot only: from this fraction of the way from the foot's axis to MTH5 (nothing)
#: to the second (full), so that a shell's front edge stays low but for its lateral corner.
FOREFOOT_FLANGE_STRIP = (0.55, 0.85)


def _flange_band(height_mm: float) -> float:
    """Width of the rim band of a flange of this height, mm."""
    return min(FLANGE_BAND_MM, FLANGE_BAND_PER_MM * height_mm)


@dataclass(frozen=True)
class RimZones:
    """Where along the rim the heel cup and the flanges rise, and how high and wide.

    Weights are smooth functions of (x, y): the cup around the back of the heel, the medial
    and lateral flanges along the midfoot, each fading out before the metatarsal heads, and
    the lateral forefoot flange (``forefoot_lateral_mm``, 0 for none) taking over from the
    lateral flange along the lateral forefoot.
    """

    cup_end: tuple[float, float]
    medial_end: tuple[float, float]
    lateral_end: tuple[float, float]
    axis: tuple[float, float, float, float]
    cup_mm: float
    medial_mm: float
    lateral_mm: float
    forefoot_lateral_mm: float = 0.0
    mth5_offset_mm: float = 1.0

    @classmethod
    def from_foot(cls, foot: Foot, spec: PlanSpec) -> RimZones:
        """Zones for this foot (foot length, metatarsal heads, heel centre) and spec."""
        length = foot.foot_length_mm
        lm = foot.landmarks
        back, front = FLANGE_END_BEHIND_MTH_MM
        mid_x = 0.5 * (lm.mth1[0] + lm.mth5[0])
        mid_y = 0.5 * (lm.mth1[1] + lm.mth5[1])
        return cls(
            cup_end=(CUP_END[0] * length, CUP_END[1] * length),
            medial_end=(lm.mth1[0] - back, lm.mth1[0] - front),
            lateral_end=(lm.mth5[0] - back, lm.mth5[0] - front),
            axis=(lm.heel_centre[0], lm.heel_centre[1], mid_x, mid_y),
            cup_mm=spec.heel_cup_depth_mm,
            medial_mm=spec.medial_flange_mm,
            lateral_mm=spec.lateral_flange_mm,
            forefoot_lateral_mm=spec.lateral_forefoot_flange_mm,
            mth5_offset_mm=max(mid_y - lm.mth5[1], 1.0),
        )

    def weights(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(cup, medial flange, lateral flange) weights in [0, 1], summing to at most 1.

        The lateral weight covers the lateral forefoot flange too; :meth:`lateral_height`
        says how high the lateral rim rises where.
        """
        cup = 1.0 - smoothstep(x, *self.cup_end)
        x0, y0, x1, y1 = self.axis
        y_axis = y0 + (y1 - y0) * (x - x0) / (x1 - x0)
        medial_side = smoothstep(y - y_axis, -8.0, 8.0)
        rest = 1.0 - cup
        medial = rest * medial_side * (1.0 - smoothstep(x, *self.medial_end))
        ahead = smoothstep(x, *self.lateral_end)
        lateral = rest * (1.0 - medial_side) * (1.0 - ahead) * (self.lateral_mm > 0)
        if self.forefoot_lateral_mm > 0:
            lo, hi = FOREFOOT_FLANGE_STRIP
            strip = smoothstep((y_axis - y) / self.mth5_offset_mm, lo, hi)
            lateral = lateral + rest * (1.0 - medial_side) * ahead * strip
        return cup, medial * (self.medial_mm > 0), lateral

    def lateral_height(self, x: FloatArray) -> FloatArray:
        """Height of the lateral rim above the plantar edge: the flange, then the forefoot's."""
        if self.forefoot_lateral_mm <= 0:
            return np.full_like(x, self.lateral_mm, dtype=np.float64)
        ahead = smoothstep(x, *self.lateral_end)
        if self.lateral_mm <= 0:
            return np.full_like(x, self.forefoot_lateral_mm, dtype=np.float64)
        return np.asarray(self.lateral_mm + (self.forefoot_lateral_mm - self.lateral_mm) * ahead)

    def band_mm(self, x: FloatArray, y: FloatArray) -> FloatArray:
        """How far the outline reaches beyond the plantar region onto the foot's side, mm."""
        cup, med, lat = self.weights(x, y)
        lateral_band = np.minimum(FLANGE_BAND_MM, FLANGE_BAND_PER_MM * self.lateral_height(x))
        return np.asarray(
            cup * min(CUP_BAND_MM, self.cup_mm)
            + med * _flange_band(self.medial_mm)
            + lat * lateral_band,
            dtype=np.float64,
        )
