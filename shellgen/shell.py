"""``build``: the solid orthotic shell, watertight by construction (see DESIGN.md).

The shell is a 2D region seen from above (its outline: the plantar region trimmed to length,
widened onto the side of the foot where the heel cup and flanges rise, with the relief slots
as holes) between two height fields, ``z_top`` and ``z_bot``. The outline is triangulated
once (:mod:`shellgen._mesh2d`); the top faces, the reversed bottom faces and vertical walls on
every boundary ring then close the solid. The label is engraved by raising ``z_bot`` inside
the glyphs, with vertical step walls on the glyph outlines.

Everything is in the foot frame of a right foot, millimetres: z up from the support plane,
x from the rearmost heel point toward the toes, +y medial.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import reduce

import numpy as np
import shapely
import shapely.affinity
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextPath
from scipy.ndimage import distance_transform_edt, map_coordinates
from scipy.spatial import cKDTree
from shapely.geometry import LineString, MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

from shellgen._mesh2d import Mesh2D, resample_even, resample_ring, triangulate
from shellgen._typing import BoolArray, FloatArray, IntArray
from shellgen.analysis import Foot, HeightField
from shellgen.errors import GeometryError
from shellgen.scan import Side
from shellgen.spec import ShellSpec

__all__ = ["Shell", "build"]

logger = logging.getLogger(__name__)

#: The three-quarter shell ends this far behind the metatarsal-head curve (mm).
MTH_CLEARANCE_MM = 5.0
#: The sulcus (toe crease) lies this fraction of foot length ahead of the metatarsal curve.
SULCUS_AHEAD = 0.08
#: Forward bulge of the metatarsal curve at its middle, as a fraction of the MTH1-MTH5 chord.
MTH_BULGE = 0.08
#: Widest band the outline reaches beyond the plantar region under the heel cup / flanges (mm).
CUP_BAND_MM = 8.0
FLANGE_BAND_MM = 10.0
#: A flange's band (and the fade of its rise) is this many times its height, up to the above.
FLANGE_BAND_PER_MM = 1.5
#: The plantar region is closed by this radius before the band is added, so that the band
#: offset cannot fold, and the widened outline by the second, so that steps of the band
#: where the plantar edge steps (a steep arch) are bridged (mm).
PLANTAR_CLOSING_MM = 8.0
OUTLINE_CLOSING_MM = 20.0
#: Smallest radius of the closing and opening that smooth the outline (mm).
OUTLINE_SMOOTHING_MM = 4.0
#: The band stops this far outside the foot's silhouette (footprint), mm.
FOOTPRINT_MARGIN_MM = 2.0
#: In the rim band the support may rise this much above the plantar edge, then no steeper
#: than the slope (dz/dr) beyond it.
BAND_MARGIN_MM = 1.0
BAND_MAX_SLOPE = 1.2
#: Width of the smooth minimum that caps the support in the rim band (mm), and of the knee
#: where the climb meets the rim height (wider, so the crest stays round).
SOFTMIN_MM = 0.5
RIM_KNEE_MM = 1.5
#: The heel cup rise fades to nothing this far in from the rim (mm); the solid heel seat
#: (the rearfoot post) starts there.
CUP_FADE_MM = 12.0
#: The heel cup wraps the rim behind these fractions of foot length (full, then fading).
CUP_END = (0.25, 0.38)
#: Flanges end this far (start and end of the fade) behind MTH1 (medial) and MTH5 (lateral).
FLANGE_END_BEHIND_MTH_MM = (60.0, 20.0)
#: The arch is scaled in the midfoot: weight rising over these fractions of foot length...
ARCH_RISE = (0.10, 0.30)
#: ...and falling from this fraction (or 20 mm before the MTH line) to the MTH line.
ARCH_FALL_START = 0.65
#: The rearfoot post spans the heel seat up to this fraction of foot length...
POST_END = 0.30
#: ...where the sole stands at most this high above the seat (mm): an arch rising inside
#: the seat is carried by a plate, not a solid block.
SEAT_CONTACT_MM = 3.0
#: Bevel at the front of the rearfoot post: rise a * u + b * u**2 (mm) at u mm ahead of
#: ``POST_END``: about 22 degrees at first, 60 degrees 25 mm ahead.
POST_BEVEL = (0.4, 0.032)
#: Relief slots keep this clearance from the outline (mm).
SLOT_CLEARANCE_MM = 3.0
#: Label cap height, and the smallest it may shrink to so that it fits (mm).
LABEL_CAP_HEIGHT_MM = (8.0, 5.0)
#: Label clearance from the edge of the solid heel seat (mm).
LABEL_CLEARANCE_MM = 2.0
#: Longest segment of a glyph outline in the triangulation (mm).
GLYPH_STEP_MM = 0.5
#: Samples (1 mm apart) over which the support along the plantar edge is averaged, so the
#: flange rim height follows it without steps where the nearest edge point jumps.
EDGE_SMOOTHING = 15
#: Nearest plantar-edge points, and the distance scale (beyond the nearest) over which
#: their support heights are blended for the rim height (mm).
EDGE_NEIGHBOURS = 8
EDGE_BLEND_MM = 4.0
#: Distance in from the rim beyond which nothing depends on it (cup fade, bands, rounding
#: all end before), mm.
RIM_REACH_MM = 25.0
#: Finite-difference step for surface slopes (mm).
SLOPE_STEP_MM = 1.0


@dataclass(frozen=True, eq=False)
class Shell:
    """A closed triangle mesh of an orthotic shell, foot frame (right foot), mm.

    Attributes
    ----------
    vertices : (n, 3) float
        Vertex positions in the foot frame of a right foot, mm; underside on z = 0.
    faces : (m, 3) int
        Triangles, counter-clockwise seen from outside (outward normals).
    side : {"left", "right"}
        The patient's side; ``export`` mirrors a left shell back (y -> -y) and fixes winding.
    spec : ShellSpec
        The spec it was built from.
    outline : Polygon
        The shell seen from above (x, y), mm, with relief slots as holes.
    thickness_mm : (n,) float
        Shell thickness along the normal at every vertex (for colouring previews), mm.
    """

    vertices: FloatArray
    faces: IntArray
    side: Side
    spec: ShellSpec
    outline: Polygon
    thickness_mm: FloatArray


def build(foot: Foot, spec: ShellSpec) -> Shell:
    """Build the solid shell for a foot from its calibrated spec.

    A pure function: the same foot and spec give byte-identical arrays.

    Parameters
    ----------
    foot : Foot
        The analysed foot (right-foot frame, mm).
    spec : ShellSpec
        Every number of the shell (thickness, arch, cup, flanges, post, flex zone, slots,
        label, mesh spacing).

    Returns
    -------
    Shell
        A closed, consistently outward-wound triangle mesh with its outline; genus equals
        ``spec.slot_count``.

    Raises
    ------
    GeometryError
        If the spec holds a value the builder cannot use, or the foot leaves no room for
        the outline, the slots or the label.

    Examples
    --------
    >>> shell = build(foot, spec)  # doctest: +SKIP
    >>> bool(shell.vertices[:, 2].min() == 0.0)  # doctest: +SKIP
    True
    """
    _check_spec(spec)
    zones = _RimZones.from_foot(foot, spec)
    outer = _outer_outline(foot, spec, zones)
    flex_start_mm = _flex_start(outer, foot, spec)
    outline = _outline_with_slots(outer, foot, spec, flex_start_mm)
    seat = _heel_seat(outer, foot.foot_length_mm)
    glyphs = _label_glyphs(spec.label, foot.scan.side, seat)

    rings = [np.asarray(outline.exterior.coords)[:-1]]
    rings += [np.asarray(hole.coords)[:-1] for hole in outline.interiors]
    glyph_polys = list(glyphs.geoms) if glyphs is not None else []
    for g in glyph_polys:
        rings.append(resample_ring(np.asarray(g.exterior.coords), GLYPH_STEP_MM))
        rings += [resample_ring(np.asarray(h.coords), GLYPH_STEP_MM) for h in g.interiors]
    mesh = triangulate(rings, outline, spec.grid_spacing_mm)

    surf = _Surfaces.make(foot, spec, zones, outer, seat, flex_start_mm)
    heights = surf.evaluate(mesh.points)
    n_outline_rings = 1 + len(outline.interiors)
    vertices, faces, thickness = _assemble(
        mesh, heights, n_outline_rings, glyphs, spec.label_depth_mm
    )
    logger.debug(
        "built shell: %d vertices, %d faces, heel lift %.2f mm",
        len(vertices),
        len(faces),
        heights.heel_lift_mm,
    )
    return Shell(
        vertices=vertices,
        faces=faces,
        side=foot.scan.side,
        spec=spec,
        outline=outline,
        thickness_mm=thickness,
    )


def _check_spec(spec: ShellSpec) -> None:
    """Refuse spec values the builder cannot turn into a solid."""
    checks = [
        ("thickness_mm", spec.thickness_mm, 0.3, 20.0),
        ("arch_height_mm", spec.arch_height_mm, 0.0, 60.0),
        ("heel_cup_depth_mm", spec.heel_cup_depth_mm, 0.0, 40.0),
        ("medial_flange_mm", spec.medial_flange_mm, 0.0, 40.0),
        ("lateral_flange_mm", spec.lateral_flange_mm, 0.0, 40.0),
        ("post_angle_deg", spec.post_angle_deg, -15.0, 15.0),
        ("flex_taper_mm", spec.flex_taper_mm, 1.0, 150.0),
        ("flex_thickness_ratio", spec.flex_thickness_ratio, 0.05, 1.0),
        ("rim_radius_mm", spec.rim_radius_mm, 0.0, 20.0),
        ("grid_spacing_mm", spec.grid_spacing_mm, 0.5, 10.0),
        ("label_depth_mm", spec.label_depth_mm, 0.0, 5.0),
        ("slot_count", spec.slot_count, 0, 12),
    ]
    for name, value, lo, hi in checks:
        if not lo <= value <= hi:
            raise GeometryError(
                f"spec {name} = {value} is outside [{lo}, {hi}]: fix the profile or override"
            )
    if spec.slot_count and not 0.5 <= spec.slot_width_mm < spec.slot_length_mm:
        raise GeometryError(
            f"slot {spec.slot_width_mm} x {spec.slot_length_mm} mm: need 0.5 mm <= width < "
            "length; fix slot_width_mm / slot_length_mm"
        )


def _smoothstep(x: FloatArray, lo: float | FloatArray, hi: float | FloatArray) -> FloatArray:
    """0 below ``lo``, 1 above ``hi``, a C1 cubic in between (``lo < hi``)."""
    u = np.clip((np.asarray(x, dtype=np.float64) - lo) / (np.asarray(hi) - lo), 0.0, 1.0)
    return np.asarray(u * u * (3.0 - 2.0 * u), dtype=np.float64)


def _flange_band(height_mm: float) -> float:
    """Width of the rim band of a flange of this height, mm."""
    return min(FLANGE_BAND_MM, FLANGE_BAND_PER_MM * height_mm)


def _softmin(a: FloatArray, b: FloatArray, width_mm: float) -> FloatArray:
    """Smooth minimum of two heights, at most ``width_mm * ln 2`` below ``min(a, b)``."""
    return np.asarray(-width_mm * np.logaddexp(-a / width_mm, -b / width_mm))


def _largest_polygon(geom: BaseGeometry, what: str) -> Polygon:
    """The largest polygon of a (multi)polygonal geometry, holes filled."""
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and g.area > 0]
    if not parts:
        raise GeometryError(f"the {what} is empty: check the scan's plantar region")
    return Polygon(max(parts, key=lambda p: p.area).exterior)


# ----------------------------------------------------------------------------- rim zones


@dataclass(frozen=True)
class _RimZones:
    """Where along the rim the heel cup and the flanges rise, and how high and wide.

    Weights are smooth functions of (x, y): the cup around the back of the heel, the medial
    and lateral flanges along the midfoot, each fading out before the metatarsal heads.
    """

    cup_end: tuple[float, float]
    medial_end: tuple[float, float]
    lateral_end: tuple[float, float]
    axis: tuple[float, float, float, float]
    cup_mm: float
    medial_mm: float
    lateral_mm: float

    @classmethod
    def from_foot(cls, foot: Foot, spec: ShellSpec) -> _RimZones:
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
        )

    def weights(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(cup, medial flange, lateral flange) weights in [0, 1], summing to at most 1."""
        cup = 1.0 - _smoothstep(x, *self.cup_end)
        x0, y0, x1, y1 = self.axis
        y_axis = y0 + (y1 - y0) * (x - x0) / (x1 - x0)
        medial_side = _smoothstep(y - y_axis, -8.0, 8.0)
        rest = 1.0 - cup
        medial = rest * medial_side * (1.0 - _smoothstep(x, *self.medial_end))
        lateral = rest * (1.0 - medial_side) * (1.0 - _smoothstep(x, *self.lateral_end))
        return cup, medial * (self.medial_mm > 0), lateral * (self.lateral_mm > 0)

    def band_mm(self, x: FloatArray, y: FloatArray) -> FloatArray:
        """How far the outline reaches beyond the plantar region onto the foot's side, mm."""
        cup, med, lat = self.weights(x, y)
        return np.asarray(
            cup * min(CUP_BAND_MM, self.cup_mm)
            + med * _flange_band(self.medial_mm)
            + lat * _flange_band(self.lateral_mm),
            dtype=np.float64,
        )


# ----------------------------------------------------------------------------- outline


def _outer_outline(foot: Foot, spec: ShellSpec, zones: _RimZones) -> Polygon:
    """The shell outline without slots: plantar region, rim band, trimmed, smoothed.

    The plantar region (closed by ``PLANTAR_CLOSING_MM`` so the band offset cannot fold,
    opened by ``OUTLINE_SMOOTHING_MM`` to drop a real scan's jagged spurs) is widened along
    its outward normals by the rim band; notches narrower than ``OUTLINE_CLOSING_MM`` (where
    the band steps with the plantar edge) are bridged; the result is kept within the
    footprint (the foot's silhouette) plus ``FOOTPRINT_MARGIN_MM``, trimmed to
    ``spec.shell_length`` and smoothed by a closing and an opening of radius
    ``max(rim_radius_mm, OUTLINE_SMOOTHING_MM)``.
    """
    plantar = _largest_polygon(foot.plantar_region, "plantar region")
    closed = plantar.buffer(PLANTAR_CLOSING_MM).buffer(-PLANTAR_CLOSING_MM)
    plantar = _largest_polygon(
        closed.buffer(-OUTLINE_SMOOTHING_MM).buffer(OUTLINE_SMOOTHING_MM), "plantar region"
    )
    plantar = shapely.orient_polygons(plantar)
    ring = resample_even(np.asarray(plantar.exterior.coords), 1.0)
    widened = ring + _outward_normals(ring) * zones.band_mm(ring[:, 0], ring[:, 1])[:, None]
    region = shapely.make_valid(Polygon(widened)).union(plantar)
    region = region.buffer(OUTLINE_CLOSING_MM).buffer(-OUTLINE_CLOSING_MM)
    region = region.intersection(foot.footprint.buffer(FOOTPRINT_MARGIN_MM))
    region = _largest_polygon(region, "shell outline")
    trim = _length_trim(foot, spec)
    if trim is not None:
        region = _largest_polygon(region.intersection(trim), "trimmed shell outline")
    r = max(spec.rim_radius_mm, OUTLINE_SMOOTHING_MM)
    return _largest_polygon(region.buffer(r).buffer(-2.0 * r).buffer(r), "smoothed shell outline")


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


def _length_trim(foot: Foot, spec: ShellSpec) -> Polygon | None:
    """The half-plane-like region behind where the shell ends, or None for full length."""
    if spec.shell_length == "full":
        return None
    if spec.shell_length == "three_quarter":
        shift = -MTH_CLEARANCE_MM
    else:
        shift = SULCUS_AHEAD * foot.foot_length_mm
    curve = _mth_curve(foot, shift)
    far = -1000.0
    return Polygon([*curve, (far, curve[-1, 1]), (far, curve[0, 1])])


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


def _slot_span(foot: Foot, spec: ShellSpec) -> tuple[float, float]:
    """y range of the relief slots (10 mm without slots), centred between MTH1 and MTH5, mm."""
    y_mid = 0.5 * (foot.landmarks.mth1[1] + foot.landmarks.mth5[1])
    half = 0.5 * (spec.slot_length_mm if spec.slot_count else 10.0)
    return y_mid - half, y_mid + half


def _flex_start(outer: Polygon, foot: Foot, spec: ShellSpec) -> float:
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


def _slot_polygons(foot: Foot, spec: ShellSpec, flex_start_mm: float) -> list[Polygon]:
    """Transverse relief slots with round ends, evenly spaced in the flex zone."""
    y_lo, y_hi = _slot_span(foot, spec)
    half_w = 0.5 * spec.slot_width_mm
    slots = []
    for i in range(spec.slot_count):
        x = flex_start_mm + spec.flex_taper_mm * (i + 0.5) / spec.slot_count
        axis = LineString([(x, y_lo + half_w), (x, y_hi - half_w)])
        slots.append(axis.buffer(half_w, quad_segs=16))
    return slots


def _outline_with_slots(
    outer: Polygon, foot: Foot, spec: ShellSpec, flex_start_mm: float
) -> Polygon:
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


def _heel_seat(outer: Polygon, length_mm: float) -> Polygon:
    """The solid heel seat: the outline inset by ``CUP_FADE_MM``, behind ``POST_END``."""
    seat = outer.buffer(-CUP_FADE_MM).intersection(box(-1e3, -1e3, POST_END * length_mm, 1e3))
    return _largest_polygon(seat, "heel seat")


# ----------------------------------------------------------------------------- label


def _label_lines(text: str, count: int) -> list[str]:
    """Split a label into ``count`` lines of about equal length, at separators if any."""
    lines = [text]
    for _ in range(count - 1):
        longest = max(range(len(lines)), key=lambda i: len(lines[i]))
        line = lines[longest]
        cuts = [i for i, ch in enumerate(line) if ch in " -_/" and 0 < i < len(line) - 1]
        cuts = cuts or list(range(len(line) - 1))
        if not cuts:
            break
        cut = min(cuts, key=lambda i: abs(i - len(line) / 2))
        head, tail = line[: cut + 1].strip(), line[cut + 1 :].strip()
        lines[longest : longest + 1] = [head, tail] if head and tail else [line]
    return lines


def _text_glyphs(lines: list[str], em: float) -> BaseGeometry:
    """Glyph regions of lines of text (DejaVu Sans Bold, em size ``em``), centred lines."""
    font = FontProperties(family="DejaVu Sans", weight="bold")
    parts: list[BaseGeometry] = []
    for k, line in enumerate(lines):
        outlines = TextPath((0.0, -1.2 * em * k), line, size=em, prop=font).to_polygons()
        rings = [Polygon(p) for p in map(np.asarray, outlines) if len(p) >= 4]
        glyphs = reduce(lambda a, b: a.symmetric_difference(b), rings)
        minx, _, maxx, _ = glyphs.bounds
        parts.append(shapely.affinity.translate(glyphs, -0.5 * (minx + maxx)))
    return shapely.union_all(parts)


def _label_glyphs(label: str, side: Side, seat: Polygon) -> MultiPolygon | None:
    """Glyph regions of the label, placed on the heel seat to read correctly from below.

    The text runs along +x (heel to toe). Seen from below a right shell shows +x to the
    right and -y up, so text "up" maps to -y; a left shell is mirrored back (y -> -y) by
    ``export``, so its text up maps to +y here and reads correctly from below after that.
    The label is set on one, two or three lines (split at separators), whichever gives the
    largest cap height up to ``LABEL_CAP_HEIGHT_MM[0]`` in the seat inset by
    ``LABEL_CLEARANCE_MM``; below ``LABEL_CAP_HEIGHT_MM[1]`` it does not fit.

    Returns
    -------
    MultiPolygon or None
        Glyph regions (holes are the counters), rings oriented with the glyph on the right
        (exterior clockwise); None for an empty label.

    Raises
    ------
    GeometryError
        If even three lines at the smallest cap height do not fit the heel seat.
    """
    text = " ".join(label.split())
    if not text:
        return None
    em = 100.0
    cap = 0.73 * em  # DejaVu Sans cap height
    room = seat.buffer(-LABEL_CLEARANCE_MM)
    cx, cy = room.centroid.x, room.centroid.y
    largest, smallest = LABEL_CAP_HEIGHT_MM
    best: tuple[float, BaseGeometry] | None = None
    for count in (1, 2, 3):
        glyphs = _text_glyphs(_label_lines(text, count), em)
        minx, miny, maxx, maxy = glyphs.bounds
        w0, h0 = maxx - minx, maxy - miny

        def fits(scale: float, w0: float = w0, h0: float = h0) -> bool:
            w, h = w0 * scale, h0 * scale
            return bool(room.contains(box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)))

        lo, hi = 0.0, largest / cap
        if fits(hi):
            lo = hi
        for _ in range(0 if lo else 12):  # bisect the largest scale whose box fits
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if fits(mid) else (lo, mid)
        if lo * cap >= smallest and (best is None or lo > best[0] + 1e-9):
            centred = shapely.affinity.translate(glyphs, -0.5 * (minx + maxx), -0.5 * (miny + maxy))
            best = (lo, centred)
        if lo >= largest / cap:
            break  # full size: more lines cannot do better
    if best is None:
        raise GeometryError(
            f"label {text!r} does not fit the heel seat ({room.bounds[2] - room.bounds[0]:.0f}"
            f" x {room.bounds[3] - room.bounds[1]:.0f} mm) on up to 3 lines at {smallest} mm "
            "text height: shorten the label"
        )
    scale, glyphs = best
    sign = -1.0 if side == "right" else 1.0

    def place(p: FloatArray) -> FloatArray:
        return np.column_stack([cx + p[:, 0] * scale, cy + sign * p[:, 1] * scale])

    placed = shapely.simplify(shapely.transform(glyphs, place), 0.04)
    parts = [g for g in getattr(placed, "geoms", [placed]) if isinstance(g, Polygon)]
    return shapely.orient_polygons(MultiPolygon(parts), exterior_cw=True)


# ----------------------------------------------------------------------------- surfaces


def _filled(field: HeightField) -> FloatArray:
    """The height-field grid with every NaN replaced by its nearest defined value, mm."""
    z = field.z_mm
    missing = ~np.isfinite(z)
    if missing.all():
        raise GeometryError("the plantar height field is empty: check the scan analysis")
    if not missing.any():
        return np.asarray(z, dtype=np.float64)
    idx = distance_transform_edt(missing, return_distances=False, return_indices=True)
    return np.asarray(z[tuple(idx)], dtype=np.float64)


@dataclass(frozen=True, eq=False)
class _Support:
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
    def make(cls, foot: Foot, spec: ShellSpec) -> _Support:
        """The support of this foot for this spec's arch height."""
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
        return cls(foot.plantar, _filled(foot.plantar), scale, band)

    def at(self, x: FloatArray, y: FloatArray) -> FloatArray:
        """Support height at points, mm (>= 0).

        Bilinear in the gap-filled height field (clamped at its border), multiplied by
        ``arch_scale`` with a weight that is 1 over the midfoot and ramps to 0 toward the
        heel and the metatarsal heads.
        """
        f = self.field
        rows = np.clip((y - f.y0_mm) / f.spacing_mm, 0, self.grid.shape[0] - 1)
        cols = np.clip((x - f.x0_mm) / f.spacing_mm, 0, self.grid.shape[1] - 1)
        z = map_coordinates(self.grid, [rows.ravel(), cols.ravel()], order=1).reshape(x.shape)
        a0, a1, b0, b1 = self.arch_band
        weight = _smoothstep(x, a0, a1) * (1.0 - _smoothstep(x, b0, b1))
        return np.asarray(np.maximum(z, 0.0) * (1.0 + weight * (self.arch_scale - 1.0)))


@dataclass(frozen=True, eq=False)
class _RimFrame:
    """Where points lie relative to the outline's rim and the plantar edge (mm).

    Attributes
    ----------
    rim_mm : (n,) float
        Distance in from the outline's rim (clipped at ``RIM_REACH_MM``).
    away : (n, 2) float
        Unit direction away from the rim (zero where clipped).
    edge_offset_mm : (n,) float
        Signed distance beyond the plantar region's edge, along the edge's outward normal at
        the nearest edge point: positive in the rim band, negative inside the plantar region.
    edge_normal : (n, 2) float
        That outward normal.
    edge_support : (n,) float
        Support height at the nearest edge point (0 far from the edge, where it is unused).
    """

    rim_mm: FloatArray
    away: FloatArray
    edge_offset_mm: FloatArray
    edge_normal: FloatArray
    edge_support: FloatArray

    def subset(self, mask: BoolArray) -> _RimFrame:
        """The look-up of the points selected by ``mask``."""
        return _RimFrame(
            self.rim_mm[mask],
            self.away[mask],
            self.edge_offset_mm[mask],
            self.edge_normal[mask],
            self.edge_support[mask],
        )

    def moved(self, shift: FloatArray) -> _RimFrame:
        """The same look-up for the points moved by ``shift`` ((n, 2), mm), to first order."""
        return replace(
            self,
            rim_mm=self.rim_mm + np.einsum("ij,ij->i", self.away, shift),
            edge_offset_mm=self.edge_offset_mm + np.einsum("ij,ij->i", self.edge_normal, shift),
        )


#: A height field over points given with their rim look-up: ``f(x, y, rim) -> z``, mm.
Surface = Callable[[FloatArray, FloatArray, _RimFrame], FloatArray]


@dataclass(frozen=True, eq=False)
class _Surfaces:
    """Everything ``z_top`` and ``z_bot`` depend on, for one foot and spec (mm, foot frame).

    Attributes
    ----------
    support : _Support
        The plantar surface, arch scaled.
    zones : _RimZones
        Heel cup and flange zones.
    rim_tree, rim_points
        Look-up of the outline's rim (resampled at 1 mm), for the distance in from the rim.
    edge_tree, edge_points, edge_normals, edge_support
        Look-up of the plantar-region edge: points (1 mm apart), outward normals, and the
        support height along it (averaged over ``EDGE_SMOOTHING`` mm).
    thickness_mm : float
        Full shell thickness, mm.
    flex : (start_x_mm, taper_mm, ratio)
        The forefoot flex zone.
    post_tan, post_ref_y, post_end_x
        Rearfoot post: tan(angle), the y where the posted plane is 0, the x where it ends.
    lift_ramp : (start_x_mm, end_x_mm)
        Where the seat lift eases from the heel lift to the forefoot thickness.
    rim_radius_mm : float
        Radius over which the top rolls down at the rim.
    label_depth_mm : float
        Engraving depth (0 without a label), kept under the heel on top of the thickness.
    heel_lift_mm : float
        Height of the heel seat above z = 0.
    """

    support: _Support
    zones: _RimZones
    rim_tree: cKDTree
    rim_points: FloatArray
    edge_tree: cKDTree
    edge_points: FloatArray
    edge_normals: FloatArray
    edge_support: FloatArray
    thickness_mm: float
    flex: tuple[float, float, float]
    post_tan: float
    post_ref_y: float
    post_end_x: float
    lift_ramp: tuple[float, float]
    rim_radius_mm: float
    label_depth_mm: float
    heel_lift_mm: float = 0.0

    @classmethod
    def make(
        cls,
        foot: Foot,
        spec: ShellSpec,
        zones: _RimZones,
        outer: Polygon,
        seat: Polygon,
        flex_start_mm: float,
    ) -> _Surfaces:
        """Precompute the look-ups and parameters, and choose the heel lift."""
        support = _Support.make(foot, spec)
        rim = resample_even(np.asarray(outer.exterior.coords), 1.0)
        plantar = shapely.orient_polygons(_largest_polygon(foot.plantar_region, "plantar region"))
        edge = resample_even(np.asarray(plantar.exterior.coords), 1.0)
        flex_end = flex_start_mm + spec.flex_taper_mm
        post_end = POST_END * foot.foot_length_mm
        ramp_start = float(np.clip(foot.landmarks.arch_apex[0], post_end, flex_end - 40.0))
        surf = cls(
            support=support,
            zones=zones,
            rim_tree=cKDTree(rim),
            rim_points=rim,
            edge_tree=cKDTree(edge),
            edge_points=edge,
            edge_normals=_outward_normals(edge),
            edge_support=_ring_average(support.at(edge[:, 0], edge[:, 1]), EDGE_SMOOTHING),
            thickness_mm=spec.thickness_mm,
            flex=(flex_start_mm, spec.flex_taper_mm, spec.flex_thickness_ratio),
            post_tan=float(np.tan(np.radians(spec.post_angle_deg))),
            post_ref_y=seat.bounds[3] if spec.post_angle_deg >= 0 else seat.bounds[1],
            post_end_x=post_end,
            lift_ramp=(ramp_start, flex_end),
            rim_radius_mm=spec.rim_radius_mm,
            label_depth_mm=spec.label_depth_mm if spec.label.strip() else 0.0,
        )
        return replace(surf, heel_lift_mm=surf.heel_lift_for(seat))

    def heel_lift_for(self, seat: Polygon) -> float:
        """The lowest heel lift that keeps the posted heel seat ``thickness`` (+ label) thick.

        Over the seat (sampled on a 2 mm grid and every 1 mm along its edge) the plate's
        underside, ``lift + plate`` of :meth:`top_above_seat`, must stand the engraving depth
        above the posted plane, so that the plane is the underside and the heel is solid.
        """
        minx, miny, maxx, maxy = seat.bounds
        gx, gy = np.meshgrid(np.arange(minx, maxx, 2.0), np.arange(miny, maxy, 2.0))
        inside = shapely.contains_xy(seat, gx, gy)
        edge = resample_even(np.asarray(seat.exterior.coords), 1.0)
        pts = np.concatenate([np.column_stack([gx[inside], gy[inside]]), edge])
        rim = self.rim_lookup(pts)
        _, plate, _ = self._offset(self.top_above_seat, pts, rim)
        floor = self.post_floor(pts[:, 0], pts[:, 1], rim.rim_mm)
        return self.label_depth_mm + max(self.thickness_mm, float((floor - plate).max()))

    def thickness(self, x: FloatArray) -> FloatArray:
        """Shell thickness along the normal, mm: full, tapering over the flex zone."""
        start, taper, ratio = self.flex
        return self.thickness_mm * (1.0 - (1.0 - ratio) * _smoothstep(x, start, start + taper))

    def top_above_seat(self, x: FloatArray, y: FloatArray, rim: _RimFrame) -> FloatArray:
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
        rim : _RimFrame
            Distances to the rim and the plantar edge at the points.
        """
        top = self.support.at(x, y)
        near = rim.rim_mm < RIM_REACH_MM
        top[near] = self._near_rim(top[near], x[near], y[near], rim.subset(near))
        return top

    def _near_rim(
        self, support: FloatArray, x: FloatArray, y: FloatArray, rim: _RimFrame
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
            + med * _softmin(edge_support + z.medial_mm, band, RIM_KNEE_MM)
            + lat * _softmin(edge_support + z.lateral_mm, band, RIM_KNEE_MM)
        ) / safe
        climb = edge_support + BAND_MARGIN_MM + BAND_MAX_SLOPE * beyond
        ceiling = _softmin(target, climb, RIM_KNEE_MM)
        cap = weight * _smoothstep(beyond, 0.0, 2.0)
        capped = support - cap * (support - _softmin(support, ceiling, SOFTMIN_MM))
        across = beyond / np.maximum(beyond + rim.rim_mm, 1e-9)  # 0 at the plantar edge, 1 at rim
        fade = cup * (1.0 - _smoothstep(rim.rim_mm, 0.0, CUP_FADE_MM))
        fade = fade + (med + lat) * _smoothstep(across, 0.0, 1.0)
        rise = fade * np.maximum(target - capped, 0.0)
        return np.asarray(capped + rise)

    def lift(self, x: FloatArray, heel_lift_mm: float) -> FloatArray:
        """Seat height above z = 0 along x: the heel lift, easing to the forefoot thickness.

        Constant from the heel to the arch apex (or the post end), then a smooth ramp to
        ``thickness(x)`` at the end of the flex zone, so the forefoot underside lies on z = 0.
        """
        front = self.thickness(x)
        return np.asarray(front + (heel_lift_mm - front) * (1.0 - _smoothstep(x, *self.lift_ramp)))

    def post_floor(self, x: FloatArray, y: FloatArray, rim_mm: FloatArray) -> FloatArray:
        """Lowest the underside may be under the heel: the posted plane on the seat, mm.

        The rearfoot post plane ``tan(angle) * (y_ref - y)`` (0 at the seat's medial edge,
        lateral side raised for a varus post) on the heel seat, rising beyond it (at 45 degrees
        toward the rim, by the ``POST_BEVEL`` ahead of ``POST_END``, and with the sole where it
        lifts more than ``SEAT_CONTACT_MM`` off the seat) so that the cup walls, an arch that
        starts early and the midfoot stay plates.
        """
        base = self.post_tan * (self.post_ref_y - y)
        ahead = np.maximum(x - self.post_end_x, 0.0)
        lifted = np.maximum(self.support.at(x, y) - SEAT_CONTACT_MM, 0.0)
        ramp = (
            np.maximum(CUP_FADE_MM - rim_mm, 0.0)
            + ahead * (POST_BEVEL[0] + POST_BEVEL[1] * ahead)
            + lifted
        )
        return np.asarray(np.maximum(base, 0.0) + ramp)

    def rim_lookup(self, points: FloatArray) -> _RimFrame:
        """Distances to the outline's rim and to the plantar edge at points (mm)."""
        rim_mm, away = _distance_to_ring(self.rim_tree, self.rim_points, points, RIM_REACH_MM)
        n = len(points)
        offset = np.full(n, -2.0 * RIM_REACH_MM)
        normal = np.zeros((n, 2))
        support = np.zeros(n)
        near = rim_mm < RIM_REACH_MM  # farther in, nothing uses the plantar edge
        k = len(self.edge_support)
        dist, idx = self.edge_tree.query(points[near], k=EDGE_NEIGHBOURS)
        normal[near] = self.edge_normals[idx[:, 0]]
        offset[near] = np.einsum(
            "ij,ij->i", points[near] - self.edge_points[idx[:, 0]], normal[near]
        )
        # the support along the edge, weighted over the nearest edge points within a few mm:
        # where the edge steps (a steep arch) the rim height blends instead of jumping
        weight = np.exp(-0.5 * ((dist - dist[:, :1]) / EDGE_BLEND_MM) ** 2)
        values = self.edge_support[np.minimum(idx, k - 1)]
        support[near] = (weight * values).sum(axis=1) / weight.sum(axis=1)
        return _RimFrame(rim_mm, away, offset, normal, support)

    def top(self, x: FloatArray, y: FloatArray, rim: _RimFrame) -> FloatArray:
        """``z_top``: seat lift plus :meth:`top_above_seat`, rolled down at the rim, mm.

        Within ``rim_radius_mm`` of the rim the top rolls down along a parabola by at most
        ``min(0.4 t, r^2 / 4t)`` (so the crest stays rounder than twice the thickness and
        the underside can follow it), and never below the plate thickness above z = 0.
        """
        plain = self.lift(x, self.heel_lift_mm) + self.top_above_seat(x, y, rim)
        t_mm = self.thickness(x)
        r = max(self.rim_radius_mm, 1e-9)
        roll = np.clip(1.0 - rim.rim_mm / r, 0.0, 1.0) ** 2
        depth = np.minimum(0.4 * t_mm, self.rim_radius_mm**2 / (4.0 * t_mm))
        return np.asarray(plain - np.minimum(depth * roll, np.maximum(plain - t_mm, 0.0)))

    def _sampled(
        self, surface: Surface, points: FloatArray, rim: _RimFrame
    ) -> tuple[FloatArray, tuple[FloatArray, FloatArray]]:
        """A surface and its gradient at points, the rim distances moved with each step."""
        x, y = points[:, 0], points[:, 1]

        def f(dx: float, dy: float) -> FloatArray:
            step = np.broadcast_to(np.array([dx, dy]), points.shape)
            return surface(x + dx, y + dy, rim.moved(step))

        return f(0.0, 0.0), _gradient(f)

    def _offset(
        self, surface: Surface, points: FloatArray, rim: _RimFrame
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """A surface, its offset by the thickness along the normal, and the slope cosine.

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
        top, (gx, gy) = self._sampled(surface, points, rim)
        norm = np.sqrt(1.0 + gx * gx + gy * gy)
        t_mm = self.thickness(points[:, 0])
        shift = (t_mm / norm)[:, None] * np.column_stack([-gx, -gy])
        top_s, (gx_s, gy_s) = self._sampled(surface, points + shift, rim.moved(shift))
        norm_s = np.sqrt(1.0 + gx_s * gx_s + gy_s * gy_s)
        miss_x = -shift[:, 0] - t_mm * gx_s / norm_s
        miss_y = -shift[:, 1] - t_mm * gy_s / norm_s
        offset = top_s - t_mm / norm_s + gx_s * miss_x + gy_s * miss_y
        return top, np.minimum(offset, top - t_mm), 1.0 / norm

    def evaluate(self, points: FloatArray) -> _Heights:
        """``z_top``, ``z_bot`` and the thickness along the normal at 2D points.

        The underside is the top offset by the local thickness along the normal (see
        :meth:`_offset`), kept at least the thickness from every top point (see
        :func:`_ball_envelope`: where the top bends tighter than the thickness the offset
        alone would come too close), and clipped below by the posted heel floor (a solid
        heel) and z = 0.

        Parameters
        ----------
        points : (n, 2) float
            Points inside the outline, mm.

        Returns
        -------
        _Heights
            Top and bottom heights, thickness along the normal, slope cosine, heel lift.
        """
        x, y = points[:, 0], points[:, 1]
        rim = self.rim_lookup(points)
        top, plate, cos_slope = self._offset(self.top, points, rim)
        plate = np.minimum(plate, _ball_envelope(points, top, self.thickness(x)))
        floor = self.post_floor(x, y, rim.rim_mm)
        bottom = np.maximum(np.minimum(plate, floor), 0.0)
        is_plate = bottom >= plate
        thickness = np.where(is_plate, self.thickness(x), (top - bottom) * cos_slope)
        return _Heights(top, bottom, thickness, cos_slope, self.heel_lift_mm)


@dataclass(frozen=True, eq=False)
class _Heights:
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


def _outward_normals(ring: FloatArray) -> FloatArray:
    """Unit outward normals of a counter-clockwise ring sampled about evenly, (k, 2)."""
    tangent = np.roll(ring, -2, axis=0) - np.roll(ring, 2, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    return np.column_stack([tangent[:, 1], -tangent[:, 0]])


def _ball_envelope(points: FloatArray, top: FloatArray, t_mm: FloatArray) -> FloatArray:
    """Highest underside at each point that keeps every top sample at least ``t`` away.

    The lower envelope of balls of radius ``t`` (the thickness at the point) centred on the
    top surface sampled at the same points: ``min_q top(q) - sqrt(t^2 - |p - q|^2)`` over
    the points ``q`` within ``t``. On a smooth plate it lies just below the normal offset;
    on a crest tighter than the thickness it is the rounded underside a real offset has.

    Parameters
    ----------
    points : (n, 2) float
        Points, mm.
    top : (n,) float
        Top surface height at the points, mm.
    t_mm : (n,) float
        Thickness at the points, mm.
    """
    pairs = cKDTree(points).query_pairs(float(t_mm.max()), output_type="ndarray")
    i = np.concatenate([pairs[:, 0], pairs[:, 1]])
    j = np.concatenate([pairs[:, 1], pairs[:, 0]])
    gap2 = np.sum((points[i] - points[j]) ** 2, axis=1)
    near = gap2 < t_mm[i] ** 2
    i, j, gap2 = i[near], j[near], gap2[near]
    envelope = top - t_mm
    np.minimum.at(envelope, i, top[j] - np.sqrt(t_mm[i] ** 2 - gap2))
    return envelope


def _ring_average(values: FloatArray, window: int) -> FloatArray:
    """Moving average of values around a closed ring, over ``window`` (odd) samples."""
    half = window // 2
    padded = np.concatenate([values[-half:], values, values[:half]])
    return np.convolve(padded, np.full(window, 1.0 / window), mode="valid")


def _distance_to_ring(
    tree: cKDTree, ring: FloatArray, points: FloatArray, reach_mm: float
) -> tuple[FloatArray, FloatArray]:
    """Distance from points to a closed polyline, and the unit direction away from it.

    The nearest ring vertex is found in ``tree``; the distance is then the exact one to
    the two segments on either side of it. Points farther than ``reach_mm`` get
    ``reach_mm`` and a zero direction (everything that uses the distance is constant there).

    Parameters
    ----------
    tree : cKDTree
        Tree of ``ring``.
    ring : (k, 2) float
        Ring vertices, mm, without closing repeat.
    points : (n, 2) float
        Query points, mm.
    reach_mm : float
        Distance beyond which the answer is clipped, mm.

    Returns
    -------
    distance : (n,) float
        mm, at most ``reach_mm``.
    away : (n, 2) float
        Unit vector from the nearest ring point to the point (zero when clipped).
    """
    _, idx = tree.query(points, distance_upper_bound=reach_mm + 2.0)
    k = len(ring)
    near = idx < k
    i = np.where(near, idx, 0)
    best = np.full(len(points), np.inf)
    foot = np.zeros_like(points)
    for j in ((i - 1) % k, (i + 1) % k):
        a, b = ring[i], ring[j]
        ab = b - a
        u = np.clip(np.einsum("ij,ij->i", points - a, ab) / np.einsum("ij,ij->i", ab, ab), 0, 1)
        closest = a + u[:, None] * ab
        d = np.linalg.norm(points - closest, axis=1)
        better = d < best
        best = np.where(better, d, best)
        foot = np.where(better[:, None], closest, foot)
    clipped = ~near | (best >= reach_mm)
    distance = np.where(clipped, reach_mm, best)
    away = np.where(clipped[:, None], 0.0, (points - foot) / np.maximum(best, 1e-9)[:, None])
    return distance, away


def _gradient(f: Callable[[float, float], FloatArray]) -> tuple[FloatArray, FloatArray]:
    """Central differences of ``f(dx, dy)`` with step ``SLOPE_STEP_MM``: (df/dx, df/dy)."""
    h = SLOPE_STEP_MM
    return (f(h, 0.0) - f(-h, 0.0)) / (2 * h), (f(0.0, h) - f(0.0, -h)) / (2 * h)


# ----------------------------------------------------------------------------- mesh


def _assemble(
    mesh: Mesh2D,
    heights: _Heights,
    n_outline_rings: int,
    glyphs: MultiPolygon | None,
    depth_mm: float,
) -> tuple[FloatArray, IntArray, FloatArray]:
    """Top, bottom (engraved) and wall faces of the closed shell.

    Vertices: ``n`` top vertices, ``n`` bottom vertices, then a raised bottom copy of every
    glyph-ring vertex (the ceiling of the engraving). Walls: on every outline ring, from
    top to bottom; on every glyph ring, from the raised copy down to the bottom vertex.

    Returns
    -------
    vertices : (v, 3) float
    faces : (f, 3) int
        Outward (counter-clockwise seen from outside).
    thickness : (v,) float
        Thickness along the normal at each vertex, mm.
    """
    pts, tris = mesh.points, mesh.triangles
    top, bottom, cos_slope = heights.top, heights.bottom, heights.cos_slope
    n = len(pts)
    wall = top - bottom
    if wall.min() <= 0.05:
        raise GeometryError(
            f"the shell is {wall.min():.3f} mm thick at a vertex: the spec leaves no material; "
            "raise thickness_mm"
        )
    glyph_rings = mesh.rings[n_outline_rings:]
    in_glyph: BoolArray = np.zeros(n, dtype=bool)
    bottom_z = bottom.copy()
    raised = np.arange(n, dtype=np.int64) + n
    ring_ids = np.concatenate(glyph_rings) if glyph_rings else np.zeros(0, dtype=np.int64)
    if glyphs is not None:
        in_glyph = shapely.contains_xy(glyphs, pts[:, 0], pts[:, 1])
        in_glyph[ring_ids] = False  # on the outline: both levels, as separate vertices
        bottom_z = bottom + depth_mm * in_glyph
        raised[ring_ids] = 2 * n + np.arange(len(ring_ids))
    centroids = pts[tris].mean(axis=1)
    tri_in_glyph = (
        shapely.contains_xy(glyphs, centroids[:, 0], centroids[:, 1])
        if glyphs is not None
        else np.zeros(len(tris), dtype=bool)
    )
    low = tris + n
    high = raised[tris]
    bottom_tris = np.where(tri_in_glyph[:, None], high, low)[:, [0, 2, 1]]
    faces = [tris, bottom_tris]
    for ids in mesh.rings[:n_outline_rings]:
        a, b = ids, np.roll(ids, -1)
        faces.append(np.column_stack([a, a + n, b + n]))
        faces.append(np.column_stack([a, b + n, b]))
    for ids in glyph_rings:
        a, b = ids, np.roll(ids, -1)
        faces.append(np.column_stack([raised[a], a + n, b + n]))
        faces.append(np.column_stack([raised[a], b + n, raised[b]]))
    vertices = np.concatenate(
        [
            np.column_stack([pts, top]),
            np.column_stack([pts, bottom_z]),
            np.column_stack([pts[ring_ids], bottom[ring_ids] + depth_mm]),
        ]
    )
    thick = heights.thickness_mm
    engraved = thick - depth_mm * cos_slope
    thickness = np.concatenate([thick, np.where(in_glyph, engraved, thick), engraved[ring_ids]])
    return vertices, np.concatenate(faces).astype(np.int64), thickness
