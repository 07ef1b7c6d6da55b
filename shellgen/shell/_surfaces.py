"""``z_top`` and ``z_bot``: the shell's two height fields over its outline (foot frame, mm).

``z_top`` follows the plantar support (arch scaled), rises at the rim into the heel cup and
flanges, and is lifted to the heel seat; ``z_bot`` is ``z_top`` offset by the local thickness
along the surface normal, clipped below by the posted heel floor and z = 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import shapely

from shellgen._typing import FloatArray
from shellgen.analysis import Foot
from shellgen.shell._envelope import Neighbours, ball_envelope
from shellgen.shell._outline import CUP_FADE_MM, POST_END
from shellgen.shell._plan import Plan
from shellgen.shell._prescription import Modifications
from shellgen.shell._rim import RIM_REACH_MM, RimFrame, RimPoints
from shellgen.shell._smooth import smoothstep, softmin
from shellgen.shell._support import Support
from shellgen.shell._zones import RimZones
from shellgen.spec import ShellSpec

__all__ = ["Heights", "Surfaces"]

#: In the rim band the support may rise this much above the plantar edge, then no steeper
#: than the slope (dz/dr) beyond it.
BAND_MARGIN_MM = 1.0
BAND_MAX_SLOPE = 1.2
#: Width of the smooth minimum that caps the support in the rim band (mm), and of the knee
#: where the climb meets the rim height (wider, so the crest stays round).
SOFTMIN_MM = 0.5
RIM_KNEE_MM = 1.5
#: Where the sole stands more than this above the heel seat (mm), the post is not solid:
#: an arch rising inside the seat is carried by a plate, not a solid block.
SEAT_CONTACT_MM = 3.0
#: Bevel at the front of the rearfoot post: rise a * u + b * u**2 (mm) at u mm ahead of
#: ``POST_END``: about 22 degrees at first, 60 degrees 25 mm ahead.
POST_BEVEL = (0.4, 0.032)
#: Finite-difference step for surface slopes (mm).
SLOPE_STEP_MM = 1.0
#: Where a surface is sampled around each point for its value and slope: the point, then
#: +x, -x, +y, -y by ``SLOPE_STEP_MM`` (central differences).
_STENCIL = (
    (0.0, 0.0),
    (SLOPE_STEP_MM, 0.0),
    (-SLOPE_STEP_MM, 0.0),
    (0.0, SLOPE_STEP_MM),
    (0.0, -SLOPE_STEP_MM),
)

#: A height field over points given with their rim look-up: ``f(x, y, rim) -> z``, mm.
Surface = Callable[[FloatArray, FloatArray, RimFrame], FloatArray]


@dataclass(frozen=True, eq=False)
class Heights:
    """The two surfaces at the 2D vertices.

    Attributes
    ----------
    top, bottom : (n,) float
        ``z_top`` and ``z_bot`` (before engraving), mm.
    thickness_mm : (n,) float
        Thickness along the normal: the plate thickness where the underside is the offset
        plate, else the distance from the underside point to the top's tangent plane, mm.
    cos_slope : (n,) float
        Cosine of the top surface's slope.
    heel_lift_mm : float
        Height of the heel seat above z = 0, mm.
    """

    top: FloatArray
    bottom: FloatArray
    thickness_mm: FloatArray
    cos_slope: FloatArray
    heel_lift_mm: float


@dataclass(frozen=True, eq=False)
class Surfaces:
    """Everything ``z_top`` and ``z_bot`` depend on, for one foot and spec (mm, foot frame).

    Attributes
    ----------
    support : Support
        The plantar surface, arch scaled.
    zones : RimZones
        Heel cup and flange zones.
    edge_support : (k,) float
        The support along the plantar edge (see ``RimLookup.edge_support``), mm.
    thickness_mm : float
        Full shell thickness, mm.
    flex : (start_x_mm, taper_mm, ratio)
        The forefoot flex zone.
    post_tan, post_ref_y, post_end_x
        Rearfoot post: tan(angle), the y of the seat's low edge (medial for a varus post),
        the x where it ends.
    post_drop_mm : float
        How far the posted plane is lowered below its line through ``post_ref_y`` so that
        its lowest point on the built underside lies on z = 0 (:meth:`post_drop_for`).
    post_facet : (tan, width_mm)
        Rearfoot post motion: tan of the (unsigned) angle of the facet along the post's low
        edge, and the facet's width across (0 without motion).
    mods : Modifications
        The prescription's material on top (forefoot post, skive, lift, pocket, pad).
    lift_ramp : (start_x_mm, end_x_mm)
        Where the seat lift eases from the heel lift to the forefoot thickness.
    rim_radius_mm : float
        Radius over which the top rolls down at the rim.
    label_depth_mm : float
        Engraving depth (0 without a label), kept under the heel on top of the thickness.
    heel_lift_mm : float
        Height of the heel seat above z = 0.
    """

    support: Support
    zones: RimZones
    edge_support: FloatArray
    thickness_mm: float
    flex: tuple[float, float, float]
    post_tan: float
    post_ref_y: float
    post_end_x: float
    lift_ramp: tuple[float, float]
    rim_radius_mm: float
    label_depth_mm: float
    mods: Modifications
    post_facet: tuple[float, float] = (0.0, 0.0)
    post_drop_mm: float = 0.0
    heel_lift_mm: float = 0.0

    @classmethod
    def make(cls, foot: Foot, spec: ShellSpec, layout: Plan) -> Surfaces:
        """Precompute the look-ups and parameters, and choose the heel lift."""
        support = Support.make(foot, spec, layout.plantar_heights)
        edge = layout.rim.edge_points
        support = support.with_edge_relief(edge, layout.rim.edge_support(support))
        seat = layout.seat
        flex_end = layout.flex_start_mm + spec.flex_taper_mm
        post_end = POST_END * foot.foot_length_mm
        ramp_start = float(np.clip(foot.landmarks.arch_apex[0], post_end, flex_end - 40.0))
        rx = spec.prescription
        facet_deg = max(abs(spec.post_angle_deg) - rx.post_motion_deg, 0.0)
        seat_width = seat.bounds[3] - seat.bounds[1]
        surf = cls(
            support=support,
            zones=layout.zones,
            edge_support=layout.rim.edge_support(support),
            thickness_mm=spec.thickness_mm,
            flex=(layout.flex_start_mm, spec.flex_taper_mm, _end_ratio(spec)),
            post_tan=float(np.tan(np.radians(spec.post_angle_deg))),
            post_ref_y=seat.bounds[3] if spec.post_angle_deg >= 0 else seat.bounds[1],
            post_end_x=post_end,
            lift_ramp=(ramp_start, flex_end),
            rim_radius_mm=spec.rim_radius_mm,
            label_depth_mm=spec.label_depth_mm if spec.label.strip() else 0.0,
            mods=Modifications.make(foot, rx, layout.outer, seat),
            post_facet=(
                (float(np.tan(np.radians(facet_deg))), seat_width / 3.0)
                if rx.post_motion_deg > 0.0 and spec.post_angle_deg != 0.0
                else (0.0, 0.0)
            ),
        )
        if surf.post_tan != 0.0:
            surf = replace(surf, post_drop_mm=surf.post_drop_for(layout))
        return replace(surf, heel_lift_mm=surf.heel_lift_for(layout.seat_points, layout.seat_rim))

    def post_drop_for(self, layout: Plan) -> float:
        """How far to lower the posted plane so that the built heel seat rests on z = 0, mm.

        The plane through the seat's extreme low-edge point (``post_ref_y``) touches the seat
        only there, where the cup fade (``CUP_FADE_MM``) begins and no vertex lies: the
        nearest are a few millimetres in, so the underside's lowest point under the heel
        stood ``tan(angle)`` times that above the plate (0.15 mm on the seat, 0.3 mm behind
        x = 60 mm, with a 4 degree post on the synthetic test foot) and the shell rested on
        its forefoot alone. Lowered by the
        floor's least height over the vertices on the seat, it rests on them.
        """
        points = layout.mesh.points
        on_seat = shapely.contains_xy(layout.seat, points[:, 0], points[:, 1])
        if not on_seat.any():
            return 0.0
        rim = layout.vertex_rim.frame(self.edge_support).subset(on_seat)
        seat = points[on_seat]
        return float(self.post_floor(seat[:, 0], seat[:, 1], rim.rim_mm).min())

    def heel_lift_for(self, points: FloatArray, near: RimPoints) -> float:
        """The lowest heel lift that keeps the posted heel seat ``thickness`` (+ label) thick.

        Over the seat (``points``: the plan's seat samples, with ``near`` their rim look-up)
        the plate's underside, ``lift + plate`` of :meth:`top_above_seat`, must stand the
        engraving depth (and a spur pocket's depth) above the posted plane, so that the plane
        is the underside and the heel is solid.
        """
        rim = near.frame(self.edge_support)
        thickness = self.thickness(points[:, 0])
        _, plate, _ = self._offset(self.top_above_seat, points, rim, thickness)
        floor = self.post_floor(points[:, 0], points[:, 1], rim.rim_mm)
        relief = self.label_depth_mm + self.mods.spur_depth_mm
        return relief + max(self.thickness_mm, float((floor - plate).max()))

    def thickness(self, x: FloatArray) -> FloatArray:
        """Shell thickness along the normal, mm: full, tapering over the flex zone."""
        start, taper, ratio = self.flex
        return self.thickness_mm * (1.0 - (1.0 - ratio) * smoothstep(x, start, start + taper))

    def top_above_seat(self, x: FloatArray, y: FloatArray, rim: RimFrame) -> FloatArray:
        """``z_top`` minus the seat lift: support plus the heel cup and flange rise, mm.

        At the rim the top reaches the rim target: the heel cup depth above the heel seat,
        or the plantar-edge height plus the flange height; it blends back into the support
        inward: the cup over ``CUP_FADE_MM`` from the rim, a flange across the band between the
        rim and the plantar edge (so it is gone at the edge, where the arch apex keeps its
        height). In the band the support follows the foot's side up, but (smoothly capped)
        never above the target nor steeper than ``BAND_MAX_SLOPE`` from the plantar edge: the
        side of a foot goes vertical, which a wall meshed at a few mm cannot follow. Farther
        than ``RIM_REACH_MM`` from the rim it is the support.

        Parameters
        ----------
        x, y : (n,) float
            Points, mm.
        rim : RimFrame
            Distances to the rim and the plantar edge at the points.
        """
        top = self.support.at(x, y)
        near = rim.rim_mm < RIM_REACH_MM
        top[near] = self._near_rim(top[near], x[near], y[near], rim.subset(near))
        return top

    def _near_rim(
        self, support: FloatArray, x: FloatArray, y: FloatArray, rim: RimFrame
    ) -> FloatArray:
        """:meth:`top_above_seat` for points near the rim, given the support there (mm)."""
        edge_support = rim.edge_support
        z = self.zones
        cup, med, lat = z.weights(x, y)
        weight = cup + med + lat
        safe = np.maximum(weight, 1e-9)
        beyond = np.maximum(rim.edge_offset_mm, 0.0)
        # a flange rises no steeper than BAND_MAX_SLOPE across the band that is there
        band = edge_support + BAND_MARGIN_MM + BAND_MAX_SLOPE * (beyond + rim.rim_mm)
        target = (
            cup * np.maximum(z.cup_mm, edge_support)
            + med * softmin(edge_support + z.medial_mm, band, RIM_KNEE_MM)
            + lat * softmin(edge_support + z.lateral_height(x), band, RIM_KNEE_MM)
        ) / safe
        climb = edge_support + BAND_MARGIN_MM + BAND_MAX_SLOPE * beyond
        ceiling = softmin(target, climb, RIM_KNEE_MM)
        cap = weight * smoothstep(beyond, 0.0, 2.0)
        capped = support - cap * (support - softmin(support, ceiling, SOFTMIN_MM))
        across = beyond / np.maximum(beyond + rim.rim_mm, 1e-9)  # 0 at the plantar edge, 1 at rim
        fade = cup * (1.0 - smoothstep(rim.rim_mm, 0.0, CUP_FADE_MM))
        fade = fade + (med + lat) * smoothstep(across, 0.0, 1.0)
        rise = fade * np.maximum(target - capped, 0.0)
        return np.asarray(capped + rise)

    def post_floor(self, x: FloatArray, y: FloatArray, rim_mm: FloatArray) -> FloatArray:
        """Lowest the underside may be under the heel: the posted plane on the seat, mm.

        The rearfoot post plane ``tan(angle) * (y_ref - y)`` (0 at the seat's medial edge,
        lateral side raised for a varus post) on the heel seat, rising beyond it (at 45 degrees
        toward the rim, by the ``POST_BEVEL`` ahead of ``POST_END``, and with the sole where it
        lifts more than ``SEAT_CONTACT_MM`` off the seat) so that the cup walls, an arch that
        starts early and the midfoot stay plates. With post motion, the facet along the
        plane's low edge (a third of the seat wide) is ground flatter, to ``post_facet``'s
        angle, and the whole underside lowered so the low edge stays on 0. The plane is
        lowered by ``post_drop_mm``, so that the seat's vertices rest on z = 0.
        """
        base = self.post_tan * (self.post_ref_y - y)
        facet_tan, facet_mm = self.post_facet
        if facet_mm > 0.0:
            steep = abs(self.post_tan)
            across = np.sign(self.post_tan) * (self.post_ref_y - y)  # in from the low edge
            facet = steep * facet_mm + facet_tan * (across - facet_mm)
            base = np.maximum(base, facet) - facet_mm * (steep - facet_tan)
        ahead = np.maximum(x - self.post_end_x, 0.0)
        lifted = np.maximum(self.support.at(x, y) - SEAT_CONTACT_MM, 0.0)
        ramp = (
            np.maximum(CUP_FADE_MM - rim_mm, 0.0)
            + ahead * (POST_BEVEL[0] + POST_BEVEL[1] * ahead)
            + lifted
        )
        return np.asarray(np.maximum(base - self.post_drop_mm, 0.0) + ramp)

    def top(self, x: FloatArray, y: FloatArray, rim: RimFrame) -> FloatArray:
        """``z_top``: seat lift plus :meth:`top_above_seat`, rolled down at the rim, mm.

        The seat lift is the heel lift from the heel to the arch apex (or the post end), then
        eases to ``thickness(x)`` at the end of the flex zone, so that the forefoot underside
        lies on z = 0. Within ``rim_radius_mm`` of the rim the top rolls down along a parabola
        by at most ``min(0.4 t, r^2 / 4t)`` (so the crest stays rounder than twice the
        thickness and the underside can follow it), and never below the plate thickness
        above z = 0.
        """
        t_mm = self.thickness(x)
        ease = 1.0 - smoothstep(x, *self.lift_ramp)
        plain = t_mm + (self.heel_lift_mm - t_mm) * ease + self.top_above_seat(x, y, rim)
        r = max(self.rim_radius_mm, 1e-9)
        roll = np.clip(1.0 - rim.rim_mm / r, 0.0, 1.0) ** 2
        depth = np.minimum(0.4 * t_mm, self.rim_radius_mm**2 / (4.0 * t_mm))
        return np.asarray(plain - np.minimum(depth * roll, np.maximum(plain - t_mm, 0.0)))

    def _offset(
        self, surface: Surface, points: FloatArray, rim: RimFrame, t_mm: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """A surface, its offset by the thickness ``t_mm`` along the normal, the slope cosine.

        The top point ``s = p + t n_xy(p)`` offsets to ``q = s - t n(s)``, whose horizontal
        position misses ``p`` by ``p - q_xy``; the offset surface's tangent plane at ``q``
        (parallel to the surface's at ``s``) carries it to ``p``. On a plane this is the
        vertical offset ``t / cos(slope)``; unlike that, it stays right where the surface
        curves (the sides of the arch). The offset never comes closer than ``t`` below.

        Returns
        -------
        surface, offset, cos_slope : (n,) float
            Heights at the points, mm, and the cosine of the surface slope there.
        """
        top, (gx, gy) = _sampled(surface, points, rim)
        norm = np.sqrt(1.0 + gx * gx + gy * gy)
        shift = (t_mm / norm)[:, None] * np.column_stack([-gx, -gy])
        top_s, (gx_s, gy_s) = _sampled(surface, points + shift, rim.moved(shift))
        norm_s = np.sqrt(1.0 + gx_s * gx_s + gy_s * gy_s)
        miss_x = -shift[:, 0] - t_mm * gx_s / norm_s
        miss_y = -shift[:, 1] - t_mm * gy_s / norm_s
        offset = top_s - t_mm / norm_s + gx_s * miss_x + gy_s * miss_y
        return top, np.minimum(offset, top - t_mm), 1.0 / norm

    def arch_gap_mm(self, layout: Plan) -> float:
        """The largest amount the arch smoothing lowers ``z_top`` at the plan's vertices, mm.

        The top as built against the top on the unsmoothed support (``Support.unsmoothed``,
        the arch-scaled sole, with its own plantar-edge heights), same heel lift: where the
        top is the support, the gap the smoothing leaves to the arch-scaled sole.
        """
        raw_support = self.support.unsmoothed()
        raw = replace(self, support=raw_support, edge_support=layout.rim.edge_support(raw_support))
        x, y = layout.mesh.points[:, 0], layout.mesh.points[:, 1]
        near = layout.vertex_rim
        lowered = raw.top(x, y, near.frame(raw.edge_support)) - self.top(
            x, y, near.frame(self.edge_support)
        )
        return float(lowered.max(initial=0.0))

    def evaluate(self, points: FloatArray, near: RimPoints, neighbours: Neighbours) -> Heights:
        """``z_top``, ``z_bot`` and the thickness along the normal at 2D points.

        The underside is the top offset by the local thickness along the normal (see
        :meth:`_offset`), kept at least the thickness from every top point (see
        ``ball_envelope``: where the top bends tighter than the thickness the offset alone
        would come too close), and clipped below by the posted heel floor (a solid heel) and
        z = 0. The prescription's material (see :class:`Modifications`) is then added to
        the top only, so it is solid.

        Parameters
        ----------
        points : (n, 2) float
            Points inside the outline, mm.
        near : RimPoints
            Where they lie relative to the rim and the plantar edge.
        neighbours : Neighbours
            Pairs of the points near each other (for the ball envelope).

        Returns
        -------
        Heights
            Top and bottom heights, thickness along the normal, slope cosine, heel lift.
        """
        x, y = points[:, 0], points[:, 1]
        t_mm = self.thickness(x)
        rim = near.frame(self.edge_support)
        top, plate, cos_slope = self._offset(self.top, points, rim, t_mm)
        plate = np.minimum(plate, ball_envelope(points, top, t_mm, neighbours))
        floor = self.post_floor(x, y, rim.rim_mm)
        bottom = np.maximum(np.minimum(plate, floor), 0.0)
        added = self.mods.added(x, y)
        is_plate = (bottom >= plate) & (added == 0.0)
        top = top + added
        thickness = np.where(is_plate, t_mm, (top - bottom) * cos_slope)
        return Heights(top, bottom, thickness, cos_slope, self.heel_lift_mm)


def _end_ratio(spec: ShellSpec) -> float:
    """Thickness at the end of the flex zone over full: the extension plate's, if given."""
    plate_mm = spec.prescription.extension_thickness_mm
    return plate_mm / spec.thickness_mm if plate_mm > 0.0 else spec.flex_thickness_ratio


def _sampled(
    surface: Surface, points: FloatArray, rim: RimFrame
) -> tuple[FloatArray, tuple[FloatArray, FloatArray]]:
    """A surface and its gradient (central differences) at points ((n, 2), mm).

    The surface is evaluated once, at every point of ``_STENCIL`` around every point, with
    the rim distances moved with each step.
    """
    x, y = points[:, 0], points[:, 1]
    frames = [rim.moved(np.broadcast_to(np.array(step), points.shape)) for step in _STENCIL]
    z = surface(
        np.concatenate([x + dx for dx, _ in _STENCIL]),
        np.concatenate([y + dy for _, dy in _STENCIL]),
        RimFrame.stacked(frames),
    )
    at, x_plus, x_minus, y_plus, y_minus = np.split(z, len(_STENCIL))
    h2 = 2.0 * SLOPE_STEP_MM
    return at, ((x_plus - x_minus) / h2, (y_plus - y_minus) / h2)
