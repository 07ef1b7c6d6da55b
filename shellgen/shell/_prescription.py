"""The prescription's material on top of the shell: ``z_top`` raised (or hollowed) in place.

Forefoot post, medial heel skive, heel lift, heel spur relief and metatarsal pad or bar are
each a height field added to ``z_top`` over the shell's outline, after the underside has been
made from the plain top: the underside does not follow them, so what they add is solid
material (a post, a pad) and the forefoot keeps standing on the ground. A spur pocket takes
material away; the heel seat is solid, and the builder raises the seat by the pocket's depth
so that the wall under it keeps the thickness. The rearfoot post and its motion are the
underside's own (``Surfaces.post_floor``).

Placement rules (ours, from the landmarks of :class:`~shellgen.analysis.Landmarks`), all in
the foot frame of a right foot (mm, +y medial):

- the forefoot post rises from nothing ``FOREFOOT_RAMP_MM`` behind the more proximal
  metatarsal head to full tilt, measured from the forefoot's low edge (lateral for varus);
- the skive spans the heel seat, fading out toward the end of the rearfoot post;
- the heel lift is full behind ``LIFT_FULL_AHEAD_MM`` ahead of the heel centre and tapers to
  nothing at the arch apex;
- the spur pocket is centred ``SPUR_OFFSET_MM`` (forward, medial; scaled by foot length)
  from the heel centre, where the medial process of the calcaneal tubercle lies;
- the metatarsal pad's apex lies ``met_pad_offset_mm`` behind the middle of the MTH1-MTH5
  line, i.e. just proximal to the 2nd-4th heads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
import shapely.affinity
from shapely.geometry import Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from shellgen._typing import FloatArray
from shellgen.analysis import Foot
from shellgen.errors import GeometryError
from shellgen.prescription import Prescription
from shellgen.shell._outline import FIRST_RAY_CUTOUT_BEHIND_MM, FIRST_RAY_SPLIT, POST_END
from shellgen.shell._shoe import shoe_region
from shellgen.shell._smooth import smoothstep
from shellgen.shell._zones import FOREFOOT_FLANGE_STRIP

__all__ = ["Mark", "Modifications", "prescription_marks"]

#: Reference foot length for the placement offsets below, mm.
_REFERENCE_LENGTH_MM = 260.0
#: The forefoot post reaches full tilt this far behind the more proximal metatarsal head,
#: rising from nothing over the ramp before it (mm).
FOREFOOT_FULL_BEHIND_MM = 15.0
FOREFOOT_RAMP_MM = 30.0
#: The skive is full to this far ahead of the heel centre, then fades out by the post end.
SKIVE_FULL_AHEAD_MM = 10.0
#: The heel lift is full to this far ahead of the heel centre, then tapers into the arch.
LIFT_FULL_AHEAD_MM = 10.0
#: The spur pocket's centre from the heel centre, (forward, medial) mm for a 260 mm foot.
SPUR_OFFSET_MM = (8.0, 4.0)
#: The spur pocket keeps its full depth over this fraction of its radius.
SPUR_FLAT_FRACTION = 0.3


@dataclass(frozen=True)
class Modifications:
    """Where and how much each ordered modification adds to ``z_top`` (mm, foot frame).

    Attributes
    ----------
    rx : Prescription
        What was ordered.
    forefoot : (tan, low_edge_y, ramp_start_x, full_x)
        Forefoot post: tan of the angle (signed), y of the forefoot's low edge (0 there),
        and the x over which it rises to full tilt.
    skive : (tan, start_y, fade_start_x, fade_end_x)
        Skive: tan of its angle, the y where its plane leaves the seat, and its fade along x.
    lift : (start_x, end_x)
        Where the heel lift tapers from full to nothing.
    spur_centre : (x, y)
        Centre of the spur pocket.
    pad_apex : (x, y)
        Apex of the metatarsal pad.
    """

    rx: Prescription
    forefoot: tuple[float, float, float, float]
    skive: tuple[float, float, float, float]
    lift: tuple[float, float]
    spur_centre: tuple[float, float]
    pad_apex: tuple[float, float]

    @classmethod
    def make(cls, foot: Foot, rx: Prescription, outer: Polygon, seat: Polygon) -> Modifications:
        """Place the modifications on this foot and outline.

        Raises
        ------
        GeometryError
            If a spur pocket does not fit in the heel seat, or a pad's apex falls outside the
            outline.
        """
        lm = foot.landmarks
        scale = foot.foot_length_mm / _REFERENCE_LENGTH_MM
        full_x = min(lm.mth1[0], lm.mth5[0]) - FOREFOOT_FULL_BEHIND_MM
        ahead = outer.intersection(box(full_x, -1e3, 1e3, 1e3))
        low_y = ahead.bounds[1] if rx.forefoot_post_deg >= 0 else ahead.bounds[3]
        ff_tan = float(np.tan(np.radians(rx.forefoot_post_deg)))
        sk_tan = float(np.tan(np.radians(rx.skive_angle_deg)))
        edge_y = lm.heel_medial[1]
        post_end = POST_END * foot.foot_length_mm
        hc_x, hc_y = lm.heel_centre
        lift_start = hc_x + LIFT_FULL_AHEAD_MM
        spur = (hc_x + SPUR_OFFSET_MM[0] * scale, hc_y + SPUR_OFFSET_MM[1] * scale)
        mid = 0.5 * (np.asarray(lm.mth1) + np.asarray(lm.mth5))
        apex = (float(mid[0]) - rx.met_pad_offset_mm, float(mid[1]))
        mods = cls(
            rx=rx,
            forefoot=(ff_tan, float(low_y), full_x - FOREFOOT_RAMP_MM, full_x),
            skive=(
                sk_tan,
                edge_y - rx.skive_depth_mm / sk_tan,
                hc_x + SKIVE_FULL_AHEAD_MM,
                post_end,
            ),
            lift=(lift_start, max(lm.arch_apex[0], lift_start + 20.0)),
            spur_centre=spur,
            pad_apex=apex,
        )
        mods._check(seat, outer)
        return mods

    def _check(self, seat: Polygon, outer: Polygon) -> None:
        """Refuse a pocket outside the heel seat or a pad apex outside the outline."""
        rx = self.rx
        if rx.spur_relief_depth_mm > 0:
            disc = Point(self.spur_centre).buffer(0.5 * rx.spur_relief_diameter_mm)
            if not seat.buffer(1e-6).contains(disc):
                raise GeometryError(
                    f"spur_relief_diameter_mm = {rx.spur_relief_diameter_mm:g}: the pocket does "
                    "not fit in this heel seat; allowed: a smaller diameter (from 10 mm)"
                )
        if rx.met_pad_height_mm > 0 and not outer.contains(Point(self.pad_apex)):
            raise GeometryError(
                f"met_pad_offset_mm = {rx.met_pad_offset_mm:g}: the pad's apex "
                f"({self.pad_apex[0]:.0f}, {self.pad_apex[1]:.0f}) mm falls outside the shell; "
                "allowed: a larger offset (up to 25 mm), or a longer shell"
            )

    @property
    def spur_depth_mm(self) -> float:
        """How deep the spur pocket cuts into the heel seat, mm (0 without one)."""
        return self.rx.spur_relief_depth_mm

    def added(self, x: FloatArray, y: FloatArray) -> FloatArray:
        """The height every modification adds to ``z_top`` at points, mm (negative: a pocket).

        Parameters
        ----------
        x, y : (n,) float
            Points in the foot frame, mm.
        """
        rx = self.rx
        dz = np.zeros_like(x)
        if rx.forefoot_post_deg != 0.0:
            tan, low_y, start, full = self.forefoot
            dz += (
                np.abs(tan)
                * np.maximum(np.sign(tan) * (y - low_y), 0.0)
                * smoothstep(x, start, full)
            )
        if rx.skive_depth_mm > 0.0:
            tan, start_y, fade0, fade1 = self.skive
            wedge = np.minimum(tan * np.maximum(y - start_y, 0.0), rx.skive_depth_mm)
            dz += wedge * (1.0 - smoothstep(x, fade0, fade1))
        if rx.heel_lift_mm > 0.0:
            dz += rx.heel_lift_mm * (1.0 - smoothstep(x, *self.lift))
        if rx.spur_relief_depth_mm > 0.0:
            radius = 0.5 * rx.spur_relief_diameter_mm
            r = np.hypot(x - self.spur_centre[0], y - self.spur_centre[1])
            dz -= rx.spur_relief_depth_mm * (
                1.0 - smoothstep(r, SPUR_FLAT_FRACTION * radius, radius)
            )
        if rx.met_pad_height_mm > 0.0:
            u = (x - self.pad_apex[0]) / (0.5 * rx.met_pad_length_mm)
            v = (y - self.pad_apex[1]) / (0.5 * rx.met_pad_width_mm)
            rho = np.abs(u) if rx.met_pad_shape == "bar" else np.hypot(u, v)
            dz += rx.met_pad_height_mm * (1.0 - smoothstep(rho, 0.0, 1.0))
        return dz


@dataclass(frozen=True)
class Mark:
    """Where a modification is, for pictures: a region seen from above and a caption.

    Attributes
    ----------
    name : str
        The modification (as :meth:`Prescription.ordered` names it, or ``"rearfoot_post"``).
    caption : str
        What was ordered, e.g. ``"medial skive 3 mm at 20°"``.
    region : BaseGeometry
        Where it acts, foot frame of a right foot, mm.
    """

    name: str
    caption: str
    region: BaseGeometry


#: Least footprint area (mm^2) the shoe must cut off for the trim to be marked.
_TRIM_SHOWN_MM2 = 1.0


def prescription_marks(foot: Foot, rx: Prescription, post_angle_deg: float) -> list[Mark]:
    """Where each ordered modification lies on this foot, placed by the builder's own rules.

    Parameters
    ----------
    foot : Foot
        The analysed foot (right-foot frame, mm).
    rx : Prescription
        What was ordered.
    post_angle_deg : float
        The rearfoot post (``ShellSpec.post_angle_deg``; 0 for none).
    """
    lm = foot.landmarks
    scale = foot.foot_length_mm / _REFERENCE_LENGTH_MM
    hc_x, hc_y = lm.heel_centre
    post_end = POST_END * foot.foot_length_mm
    heel = Point(lm.heel_centre).buffer(0.5 * foot.heel_width_mm)
    sole = foot.footprint
    marks = []
    if post_angle_deg != 0.0:
        kind = "varus" if post_angle_deg > 0 else "valgus"
        motion = f", {rx.post_motion_deg:g}° motion" if rx.post_motion_deg > 0 else ""
        caption = f"{abs(post_angle_deg):g}° {kind} rearfoot post{motion}"
        marks.append(Mark("rearfoot_post", caption, heel))
    if rx.forefoot_post_deg != 0.0:
        kind = "varus" if rx.forefoot_post_deg > 0 else "valgus"
        full_x = min(lm.mth1[0], lm.mth5[0]) - FOREFOOT_FULL_BEHIND_MM
        region = sole.intersection(box(full_x, -1e3, 1e3, 1e3))
        marks.append(
            Mark("forefoot_post", f"{abs(rx.forefoot_post_deg):g}° {kind} forefoot post", region)
        )
    if rx.skive_depth_mm > 0.0:
        start_y = lm.heel_medial[1] - rx.skive_depth_mm / np.tan(np.radians(rx.skive_angle_deg))
        region = sole.intersection(box(-1e3, start_y, post_end, 1e3))
        caption = f"medial skive {rx.skive_depth_mm:g} mm at {rx.skive_angle_deg:g}°"
        marks.append(Mark("skive", caption, region))
    if rx.heel_lift_mm > 0.0:
        end_x = max(lm.arch_apex[0], hc_x + LIFT_FULL_AHEAD_MM + 20.0)
        region = sole.intersection(box(-1e3, -1e3, end_x, 1e3))
        marks.append(Mark("heel_lift", f"heel lift {rx.heel_lift_mm:g} mm", region))
    if rx.spur_relief_depth_mm > 0.0:
        centre = (hc_x + SPUR_OFFSET_MM[0] * scale, hc_y + SPUR_OFFSET_MM[1] * scale)
        region = Point(centre).buffer(0.5 * rx.spur_relief_diameter_mm)
        caption = (
            f"spur relief {rx.spur_relief_depth_mm:g} mm deep, "
            f"{rx.spur_relief_diameter_mm:g} mm wide"
        )
        marks.append(Mark("spur_relief", caption, region))
    if rx.met_pad_height_mm > 0.0:
        mid = 0.5 * (np.asarray(lm.mth1) + np.asarray(lm.mth5))
        apex = (float(mid[0]) - rx.met_pad_offset_mm, float(mid[1]))
        half_l = 0.5 * rx.met_pad_length_mm
        if rx.met_pad_shape == "bar":
            region = sole.intersection(box(apex[0] - half_l, -1e3, apex[0] + half_l, 1e3))
            caption = f"met bar {rx.met_pad_height_mm:g} mm"
        else:
            disc = Point(apex).buffer(1.0)
            region = shapely.affinity.scale(disc, half_l, 0.5 * rx.met_pad_width_mm)
            caption = f"met pad {rx.met_pad_height_mm:g} mm"
        marks.append(Mark("met_bar" if rx.met_pad_shape == "bar" else "met_pad", caption, region))
    if rx.lateral_forefoot_flange_mm > 0.0:
        mid_y = 0.5 * (lm.mth1[1] + lm.mth5[1])
        edge_y = mid_y - FOREFOOT_FLANGE_STRIP[0] * (mid_y - lm.mth5[1])
        region = sole.intersection(box(lm.mth5[0] - 20.0, -1e3, 1e3, edge_y))
        caption = f"lateral forefoot flange {rx.lateral_forefoot_flange_mm:g} mm"
        marks.append(Mark("lateral_forefoot_flange", caption, region))
    if rx.extension != "none":
        y1, y5 = lm.mth1[1], lm.mth5[1]
        split_y = y1 - FIRST_RAY_SPLIT * (y1 - y5)
        if rx.extension == "reverse_mortons":
            region = sole.intersection(box(lm.mth5[0], -1e3, 1e3, split_y))
        else:
            start = lm.mth1[0] - (
                FIRST_RAY_CUTOUT_BEHIND_MM if rx.extension == "first_ray_cutout" else 0.0
            )
            region = sole.intersection(box(start, split_y, 1e3, 1e3))
        caption = {
            "mortons": "Morton's extension",
            "reverse_mortons": "reverse Morton's extension",
            "first_ray_cutout": "first-ray cut-out",
        }[rx.extension]
        marks.append(Mark(rx.extension, caption, region))
    shoe = shoe_region(foot, rx)
    trimmed = sole.difference(shoe) if shoe is not None else None
    if trimmed is not None and trimmed.area > _TRIM_SHOWN_MM2:
        limits = [
            f"{name} {width:g} mm"
            for name, width in (("heel", rx.shoe_heel_width_mm), ("ball", rx.shoe_ball_width_mm))
            if width > 0.0
        ]
        limits += ["insole outline"] if rx.shoe_insole else []
        marks.append(Mark("shoe", f"trimmed to the shoe ({', '.join(limits)})", trimmed))
    return marks
