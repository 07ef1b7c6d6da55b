"""Shoe fit: the outline limited to the shoe the shell is made for (foot frame, mm).

The shoe is given either by its largest widths at the heel and at the ball, or by its insole
outline (points in mm, x from heel to toe, +y medial, see :mod:`shellgen.shoe`), or both; the
shell's outline is cut to what they allow, and what was cut is measured (:class:`ShoeTrim`).

Placement (ours): the width limits are centred on the foot's axis from the heel centre to the
middle of the MTH1-MTH5 line, the heel width held behind the heel centre and the ball width
ahead of the ball, linear in between. An insole is placed with its rearmost point on the
rearmost point of the foot (x = 0) and its middle at the heel centre's x on the heel
centre.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import shapely
import shapely.affinity
from shapely.geometry import LineString, Polygon

from shellgen.analysis import Foot
from shellgen.errors import GeometryError

__all__ = ["ShoeLimits", "ShoeTrim", "fit_to_shoe", "shoe_region"]

logger = logging.getLogger(__name__)

#: The outline is cut this far inside the shoe, so that resampling its rim stays inside (mm).
SHOE_INSET_MM = 0.1
#: How far the width limits reach behind and ahead of the foot (mm).
_REACH_MM = 1000.0


class ShoeLimits(Protocol):
    """The shoe's limits, as a :class:`~shellgen.shell._model.PlanSpec` or a
    :class:`~shellgen.prescription.Prescription` carries them (mm)."""

    @property
    def shoe_heel_width_mm(self) -> float: ...
    @property
    def shoe_ball_width_mm(self) -> float: ...
    @property
    def shoe_insole(self) -> tuple[tuple[float, float], ...]: ...


@dataclass(frozen=True)
class ShoeTrim:
    """What the shoe took off the outline.

    Attributes
    ----------
    area_mm2 : float
        Area cut off, mm^2 (0 when the outline fitted).
    depth_mm : float
        Farthest the cut reaches into the outline, mm.
    x_range_mm : (x_min, x_max)
        Where along the foot the cuts lie, mm (NaN when nothing was cut).
    """

    area_mm2: float
    depth_mm: float
    x_range_mm: tuple[float, float]

    def describe(self) -> str:
        """One line for a report, e.g. ``"trimmed 85 mm2, up to 2.1 mm deep, x 140-200 mm"``."""
        if self.area_mm2 <= 0.0:
            return "fits the shoe, nothing trimmed"
        lo, hi = self.x_range_mm
        return (
            f"trimmed {self.area_mm2:.0f} mm2 to fit the shoe, up to {self.depth_mm:.1f} mm deep, "
            f"at x {lo:.0f}-{hi:.0f} mm"
        )


def shoe_region(foot: Foot, spec: ShoeLimits) -> Polygon | None:
    """The region the shoe allows, or None when no shoe limit is given."""
    parts = []
    if spec.shoe_heel_width_mm > 0.0 or spec.shoe_ball_width_mm > 0.0:
        parts.append(_width_limit(foot, spec.shoe_heel_width_mm, spec.shoe_ball_width_mm))
    if spec.shoe_insole:
        parts.append(_placed_insole(foot, np.asarray(spec.shoe_insole, dtype=np.float64)))
    if not parts:
        return None
    region = parts[0]
    for part in parts[1:]:
        region = region.intersection(part)
    return region if isinstance(region, Polygon) else None


def fit_to_shoe(outline: Polygon, shoe: Polygon) -> tuple[Polygon, ShoeTrim]:
    """The outline cut to the shoe, and what was cut.

    Raises
    ------
    GeometryError
        If the shoe leaves less than half of the outline (the wrong shoe, or the wrong units).
    """
    kept = outline.intersection(shoe.buffer(-SHOE_INSET_MM))
    parts = [g for g in getattr(kept, "geoms", [kept]) if isinstance(g, Polygon) and g.area > 0]
    if not parts or max(p.area for p in parts) < 0.5 * outline.area:
        raise GeometryError(
            f"the shoe keeps {kept.area / outline.area:.0%} of the shell's outline: check the "
            "shoe widths or the insole outline and its length (shoe_outline_length_mm)"
        )
    fitted = Polygon(max(parts, key=lambda p: p.area).exterior)
    cut = outline.difference(fitted)
    if cut.area < 1e-6:  # nothing cut: keep the outline as it was, vertex for vertex
        return outline, ShoeTrim(0.0, 0.0, (float("nan"), float("nan")))
    ring = np.asarray(outline.exterior.coords)
    outside = ~shapely.contains_xy(fitted.buffer(1e-6), ring[:, 0], ring[:, 1])
    depth = float(shapely.distance(shapely.points(ring[outside]), fitted.exterior).max())
    lo, _, hi, _ = cut.bounds
    trim = ShoeTrim(float(cut.area), depth, (float(lo), float(hi)))
    logger.info("shoe fit: %s", trim.describe())
    return fitted, trim


def _width_limit(foot: Foot, heel_mm: float, ball_mm: float) -> Polygon:
    """The band the shoe's widths allow, along the foot's axis (0 width: no limit there)."""
    lm = foot.landmarks
    hx, hy = lm.heel_centre
    bx = 0.5 * (lm.mth1[0] + lm.mth5[0])
    by = 0.5 * (lm.mth1[1] + lm.mth5[1])
    heel = heel_mm if heel_mm > 0.0 else _REACH_MM
    ball = ball_mm if ball_mm > 0.0 else _REACH_MM
    xs = np.array([-_REACH_MM, hx, bx, _REACH_MM])
    half = 0.5 * np.array([heel, heel, ball, ball])
    centre = hy + (by - hy) * (xs - hx) / (bx - hx)
    lateral = np.column_stack([xs, centre - half])
    medial = np.column_stack([xs, centre + half])
    return Polygon(np.vstack([lateral, medial[::-1]]))


def _placed_insole(foot: Foot, points: np.ndarray) -> Polygon:
    """The insole outline moved onto the foot: rearmost point at x = 0, heel centred."""
    insole = shapely.make_valid(Polygon(points))
    if insole.area <= 0.0:
        raise GeometryError("the shoe's insole outline encloses no area: check its points")
    hx, hy = foot.landmarks.heel_centre
    moved = shapely.affinity.translate(insole, xoff=-insole.bounds[0])
    across = moved.intersection(LineString([(hx, -1e4), (hx, 1e4)]))
    mid = 0.5 * (across.bounds[1] + across.bounds[3]) if not across.is_empty else 0.0
    placed = shapely.affinity.translate(moved, yoff=hy - mid)
    return placed if isinstance(placed, Polygon) else Polygon(placed.convex_hull)
