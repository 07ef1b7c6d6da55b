"""The shell seen from above: outline, slots and heel seat (foot frame, mm).

The outline is the plantar region widened onto the side of the foot where the heel cup and
flanges rise (the rim band), trimmed to the shell length and smoothed; the relief slots are
holes in it; the heel seat is the part where the rearfoot post is solid.
"""

from __future__ import annotations

import logging

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon, box
from shapely.geometry.base import BaseGeometry

from shellgen._typing import FloatArray
from shellgen.analysis import Foot
from shellgen.errors import GeometryError
from shellgen.shell._mesh2d import resample_even
from shellgen.shell._model import PlanSpec
from shellgen.shell._zones import RimZones

__all__ = [
    "CUP_FADE_MM",
    "POST_END",
    "flex_start",
    "heel_seat",
    "largest_polygon",
    "outer_outline",
    "outline_with_slots",
    "outward_normals",
]

logger = logging.getLogger(__name__)

#: The three-quarter shell ends this far behind the metatarsal-head curve (mm).
MTH_CLEARANCE_MM = 5.0
#: The sulcus (toe crease) lies this fraction of foot length ahead of the metatarsal curve.
SULCUS_AHEAD = 0.08
#: Forward bulge of the metatarsal curve at its middle, as a fraction of the MTH1-MTH5 chord.
MTH_BULGE = 0.08
#: The plantar region is closed by this radius before the band is added, so that the band
#: offset cannot fold, and the widened outline by the second, so that steps of the band
#: where the plantar edge steps (a steep arch) are bridged (mm).
PLANTAR_CLOSING_MM = 8.0
OUTLINE_CLOSING_MM = 20.0
#: Smallest radius of the closing and opening that smooth the outline (mm).
OUTLINE_SMOOTHING_MM = 4.0
#: The band stops this far outside the foot's silhouette (footprint), mm.
FOOTPRINT_MARGIN_MM = 2.0
#: The heel cup rise fades to nothing this far in from the rim (mm); the solid heel seat
#: (the rearfoot post) starts there.
CUP_FADE_MM = 12.0
#: The rearfoot post (the solid heel seat) spans up to this fraction of foot length.
POST_END = 0.30
#: The first ray lies medial of the line parallel to x this fraction of the way from MTH1 to
#: MTH5 (between the 1st and 2nd heads); a first-ray cut-out starts this far behind MTH1 (mm).
FIRST_RAY_SPLIT = 0.25
FIRST_RAY_CUTOUT_BEHIND_MM = 15.0
#: Relief slots keep this clearance from the outline (mm).
SLOT_CLEARANCE_MM = 3.0
#: Before each closing shrinks it back, the widened outline is simplified within this
#: distance (mm): its arcs of many short segments made the inward buffer three times as
#: slow, for a change in the outline under 0.05 mm.
SIMPLIFY_MM = 0.02


def largest_polygon(geom: BaseGeometry, what: str) -> Polygon:
    """The largest polygon of a (multi)polygonal geometry, holes filled."""
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and g.area > 0]
    if not parts:
        raise GeometryError(f"the {what} is empty: check the scan's plantar region")
    return Polygon(max(parts, key=lambda p: p.area).exterior)


def outward_normals(ring: FloatArray) -> FloatArray:
    """Unit outward normals of a counter-clockwise ring sampled about evenly, (k, 2)."""
    tangent = np.roll(ring, -2, axis=0) - np.roll(ring, 2, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    return np.column_stack([tangent[:, 1], -tangent[:, 0]])


def outer_outline(foot: Foot, spec: PlanSpec, zones: RimZones) -> Polygon:
    """The shell outline without slots: plantar region, rim band, trimmed, smoothed.

    The plantar region (closed by ``PLANTAR_CLOSING_MM`` so the band offset cannot fold,
    opened by ``OUTLINE_SMOOTHING_MM`` to drop a real scan's jagged spurs) is widened along
    its outward normals by the rim band; notches narrower than ``OUTLINE_CLOSING_MM`` (where
    the band steps with the plantar edge) are bridged; the result is kept within the
    footprint (the foot's silhouette) plus ``FOOTPRINT_MARGIN_MM``, trimmed to
    ``spec.shell_length``, smoothed by a closing and an opening of radius
    ``max(rim_radius_mm, OUTLINE_SMOOTHING_MM)`` and kept within the footprint's margin
    again.
    """
    plantar = largest_polygon(foot.plantar_region, "plantar region")
    closed = plantar.buffer(PLANTAR_CLOSING_MM).buffer(-PLANTAR_CLOSING_MM)
    plantar = largest_polygon(
        closed.buffer(-OUTLINE_SMOOTHING_MM).buffer(OUTLINE_SMOOTHING_MM), "plantar region"
    )
    plantar = shapely.orient_polygons(plantar)
    ring = resample_even(np.asarray(plantar.exterior.coords), 1.0)
    widened = ring + outward_normals(ring) * zones.band_mm(ring[:, 0], ring[:, 1])[:, None]
    region = shapely.make_valid(Polygon(widened)).union(plantar)
    region = _shrink(region.buffer(OUTLINE_CLOSING_MM), OUTLINE_CLOSING_MM)
    region = region.intersection(foot.footprint.buffer(FOOTPRINT_MARGIN_MM))
    region = largest_polygon(region, "shell outline")
    trim = _length_trim(foot, spec)
    if trim is not None:
        region = largest_polygon(region.intersection(trim), "trimmed shell outline")
    r = max(spec.rim_radius_mm, OUTLINE_SMOOTHING_MM)
    smoothed = _shrink(region.buffer(r), 2.0 * r).buffer(r)
    # The closing fills notches of the footprint itself too (a sparse scan's ragged edge):
    # kept within the footprint's margin, the shell passes ``inside_outline`` by
    # construction.
    smoothed = smoothed.intersection(foot.footprint.buffer(FOOTPRINT_MARGIN_MM))
    return largest_polygon(smoothed, "smoothed shell outline")


def _shrink(region: BaseGeometry, distance_mm: float) -> BaseGeometry:
    """``region`` buffered inward by ``distance_mm``, simplified first by ``SIMPLIFY_MM``."""
    return region.simplify(SIMPLIFY_MM, preserve_topology=False).buffer(-distance_mm)


def _mth_curve(foot: Foot, shift_x_mm: float) -> FloatArray:
    """The metatarsal-head curve, shifted along x, extended far past both heads.

    A parabola through MTH5 and MTH1 bulging forward by ``MTH_BULGE`` of their distance at
    the middle (MTH2-4 lie ahead of the MTH1-MTH5 chord), continued along its end tangents.

    Returns
    -------
    (k, 2) float
        Points from far lateral to far medial, mm.
    """
    p5 = np.asarray(foot.landmarks.mth5, dtype=np.float64)
    p1 = np.asarray(foot.landmarks.mth1, dtype=np.float64)
    half = 0.5 * (p1 - p5)
    if half[1] <= 0:
        raise GeometryError(
            f"MTH1 {tuple(p1)} is not medial of MTH5 {tuple(p5)}: check the foot's landmarks"
        )
    forward = np.array([half[1], -half[0]]) / np.linalg.norm(half)
    bulge = MTH_BULGE * 2.0 * np.linalg.norm(half)
    reach = 1.0 + 250.0 / np.linalg.norm(half)
    u = np.linspace(-reach, reach, 121)
    shape = np.where(np.abs(u) <= 1.0, 1.0 - u * u, -2.0 * (np.abs(u) - 1.0))
    pts = 0.5 * (p1 + p5) + u[:, None] * half + (bulge * shape)[:, None] * forward
    pts[:, 0] += shift_x_mm
    return np.asarray(pts, dtype=np.float64)


def _length_trim(foot: Foot, spec: PlanSpec) -> Polygon | None:
    """The region the shell is kept in: behind where it ends, with the extension's change.

    None for a full-length shell without a cut-out. A Morton's extension keeps the first ray
    (medial of the ``FIRST_RAY_SPLIT`` line) at full length, a reverse Morton's the rest;
    a first-ray cut-out drops the first ray from ``FIRST_RAY_CUTOUT_BEHIND_MM`` behind MTH1.

    Raises
    ------
    GeometryError
        For a Morton's extension on a shell that is already full length.
    """
    far = 1000.0
    split_y = _first_ray_split_y(foot)
    medial = box(-far, split_y, far, far)
    if spec.shell_length == "full":
        if spec.extension in ("mortons", "reverse_mortons"):
            raise GeometryError(
                f"extension = {spec.extension!r} extends a shell to full length, but "
                "shell_length is already 'full'; allowed: a three_quarter or sulcus shell"
            )
        kept: Polygon | None = None
    else:
        if spec.shell_length == "three_quarter":
            shift = -MTH_CLEARANCE_MM
        else:
            shift = SULCUS_AHEAD * foot.foot_length_mm
        curve = _mth_curve(foot, shift)
        kept = Polygon(np.vstack([curve, [(-far, curve[-1, 1]), (-far, curve[0, 1])]]))
    if spec.extension == "mortons" and kept is not None:
        kept = largest_polygon(kept.union(medial), "Morton's extension")
    elif spec.extension == "reverse_mortons" and kept is not None:
        kept = largest_polygon(kept.union(box(-far, -far, far, split_y)), "reverse Morton's")
    elif spec.extension == "first_ray_cutout":
        start = foot.landmarks.mth1[0] - FIRST_RAY_CUTOUT_BEHIND_MM
        whole = kept if kept is not None else box(-far, -far, far, far)
        kept = largest_polygon(whole.difference(box(start, split_y, far, far)), "cut-out")
    return kept


def _first_ray_split_y(foot: Foot) -> float:
    """y of the line between the first ray and the second (``FIRST_RAY_SPLIT``), mm."""
    y1, y5 = foot.landmarks.mth1[1], foot.landmarks.mth5[1]
    return float(y1 - FIRST_RAY_SPLIT * (y1 - y5))


def _front_x(outer: Polygon, y_lo: float, y_hi: float) -> float:
    """The rearmost point of the outline's front edge between ``y_lo`` and ``y_hi``, x mm."""
    ys = np.linspace(y_lo, y_hi, 9)
    lines = shapely.linestrings(
        np.stack(
            [np.column_stack([np.full(9, -1e3), ys]), np.column_stack([np.full(9, 1e3), ys])], 1
        )
    )
    cuts = shapely.intersection(lines, outer)
    if shapely.is_empty(cuts).any():
        raise GeometryError(
            f"the outline does not span y {y_lo:.1f}..{y_hi:.1f} mm between the metatarsal "
            "heads: shorten slot_length_mm or check the MTH landmarks"
        )
    return float(shapely.bounds(cuts)[:, 2].min())


def _slot_span(foot: Foot, spec: PlanSpec) -> tuple[float, float]:
    """y range of the relief slots (10 mm without slots), centred between MTH1 and MTH5, mm.

    Beside a first-ray cut-out the slots end ``SLOT_CLEARANCE_MM`` (plus 1 mm for the
    cut-out's rounded corner) lateral of it.
    """
    y_mid = 0.5 * (foot.landmarks.mth1[1] + foot.landmarks.mth5[1])
    half = 0.5 * (spec.slot_length_mm if spec.slot_count else 10.0)
    y_hi = y_mid + half
    if spec.extension == "first_ray_cutout":
        y_hi = min(y_hi, _first_ray_split_y(foot) - SLOT_CLEARANCE_MM - 1.0)
    return y_mid - half, y_hi


def flex_start(outer: Polygon, foot: Foot, spec: PlanSpec) -> float:
    """Where the flex zone starts: the spec's x, or moved back so it ends inside the shell.

    The taper (and the slots in it) must end ``SLOT_CLEARANCE_MM`` before the front edge
    of the outline across the slot span; a three-quarter shell, which ends before the
    metatarsal heads, usually moves it back.
    """
    y_lo, y_hi = _slot_span(foot, spec)
    front = _front_x(outer, y_lo, y_hi)
    n = spec.slot_count
    reach = spec.flex_taper_mm
    if n:
        reach = max(reach, spec.flex_taper_mm * (n - 0.5) / n + 0.5 * spec.slot_width_mm)
    start = min(spec.flex_start_x_mm, front - SLOT_CLEARANCE_MM - reach)
    if start < spec.flex_start_x_mm:
        logger.info(
            "flex zone moved back from x = %.1f to %.1f mm to end inside the %s shell",
            spec.flex_start_x_mm,
            start,
            spec.shell_length,
        )
    return start


def _slot_polygons(foot: Foot, spec: PlanSpec, flex_start_mm: float) -> list[Polygon]:
    """Transverse relief slots with round ends, evenly spaced in the flex zone."""
    y_lo, y_hi = _slot_span(foot, spec)
    half_w = 0.5 * spec.slot_width_mm
    slots = []
    for i in range(spec.slot_count):
        x = flex_start_mm + spec.flex_taper_mm * (i + 0.5) / spec.slot_count
        axis = LineString([(x, y_lo + half_w), (x, y_hi - half_w)])
        slots.append(axis.buffer(half_w, quad_segs=16))
    return slots


def outline_with_slots(outer: Polygon, foot: Foot, spec: PlanSpec, flex_start_mm: float) -> Polygon:
    """The final outline: exterior resampled at the grid spacing (CCW), slot holes (CW)."""
    exterior = resample_even(np.asarray(outer.exterior.coords), spec.grid_spacing_mm)
    inner = Polygon(exterior).buffer(-SLOT_CLEARANCE_MM)
    holes = []
    step = min(spec.grid_spacing_mm, 0.35 * spec.slot_width_mm)
    for slot in _slot_polygons(foot, spec, flex_start_mm):
        if not inner.contains(slot):
            raise GeometryError(
                f"a {spec.slot_width_mm} x {spec.slot_length_mm} mm relief slot at x = "
                f"{slot.centroid.x:.1f} mm does not fit {SLOT_CLEARANCE_MM} mm inside the "
                "outline: use fewer or shorter slots"
            )
        holes.append(resample_even(np.asarray(slot.exterior.coords), step))
    return shapely.orient_polygons(Polygon(exterior, holes))


def heel_seat(outer: Polygon, length_mm: float) -> Polygon:
    """The solid heel seat: the outline inset by ``CUP_FADE_MM``, behind ``POST_END``."""
    seat = outer.buffer(-CUP_FADE_MM).intersection(box(-1e3, -1e3, POST_END * length_mm, 1e3))
    return largest_polygon(seat, "heel seat")
