"""Measures of a plantar height field: outlines, landmarks, lengths and the arch.

Every definition lives here once. ``analyze`` applies them to a scan; ``shellgen.synth``
applies the same functions to its exact model to get ground truth.
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy import ndimage
from shapely.geometry import MultiPolygon, Polygon

from shellgen._raster import largest_component
from shellgen._typing import BoolArray, FloatArray
from shellgen.analysis._grid import mask_to_polygons
from shellgen.analysis._model import Arch, ArchType, HeightField, Landmarks, Measures
from shellgen.limits import (
    ARCH_INDEX_HIGH_MAX,
    ARCH_INDEX_LOW_MIN,
    ARCH_WINDOW,
    CONTACT_THRESHOLD_MM,
    FLAT_SOLE_MIN,
    PLANTAR_MAX_SLOPE_DEG,
    SUPPORT_ZONES,
)

__all__ = ["arch_type", "measure"]

#: Heel breadth is taken at this fraction of foot length (shoe-last practice).
HEEL_STATION = 0.16
#: Search windows (fractions of foot length) for the metatarsal heads on the outline.
MTH1_WINDOW = (0.62, 0.82)
MTH5_WINDOW = (0.55, 0.72)
#: Contact this far (fraction of foot length) ahead of MTH1 counts as toes.
TOE_CLIP = 0.12
#: Running-mean window along x of the outline before its bulges are located (mm).
BULGE_WINDOW_MM = 15.0
#: Running-mean windows along x of the medial edge's height and of its position (mm): the
#: edge's y changes slowly along the arch, and a cell's step in it is noise.
EDGE_WINDOW_MM = 9.0
EDGE_Y_WINDOW_MM = 21.0
#: The apex parabola is fitted to the profile's top within this fraction of its height.
APEX_TOP_FRACTION = 0.15
#: Contact area (mm^2) that heel and forefoot must each reach for a standing scan.
STANDING_MIN_CONTACT_MM2 = 400.0


def arch_type(index: float) -> ArchType:
    """Arch type from the arch index (Cavanagh & Rodgers 1987).

    ``high`` at or below :data:`~shellgen.limits.ARCH_INDEX_HIGH_MAX` (0.21), ``low`` at or
    above :data:`~shellgen.limits.ARCH_INDEX_LOW_MIN` (0.26), else ``normal``.

    Examples
    --------
    >>> arch_type(0.23)
    'normal'
    """
    if index <= ARCH_INDEX_HIGH_MAX:
        return "high"
    if index >= ARCH_INDEX_LOW_MIN:
        return "low"
    return "normal"


def _chords(poly: Polygon, xs: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Lowest and highest y of the polygon on each vertical line x = xs (NaN if missed)."""
    miny, maxy = poly.bounds[1] - 1.0, poly.bounds[3] + 1.0
    lines = shapely.linestrings(
        np.stack(
            [
                np.column_stack([xs, np.full_like(xs, miny)]),
                np.column_stack([xs, np.full_like(xs, maxy)]),
            ],
            axis=1,
        )
    )
    cuts = shapely.intersection(lines, poly)
    bounds = shapely.bounds(cuts)
    return bounds[:, 1], bounds[:, 3]


def _extreme_station(xs: FloatArray, ys: FloatArray, sign: float) -> tuple[float, float]:
    """Where the outline bulges furthest toward ``sign * y``, and the outline's y there.

    The outline's ``y(x)`` is first averaged over ``BULGE_WINDOW_MM`` along x, so that the
    station of a broad, shallow bulge (the ball's edges) does not wander with noise; the
    station is the mean x of where the averaged curve is within 0.5 mm of its extreme.
    """
    step = float(xs[1] - xs[0]) if len(xs) > 1 else 1.0
    smooth_v = ndimage.uniform_filter1d(
        sign * ys, size=max(1, round(BULGE_WINDOW_MM / step)), mode="nearest"
    )
    near = smooth_v >= smooth_v.max() - 0.5
    x = float(np.mean(xs[near]))
    return x, float(np.interp(x, xs, ys))


def _polygon(mask: BoolArray, field: HeightField) -> MultiPolygon:
    return mask_to_polygons(mask, field.x0_mm, field.y0_mm, field.spacing_mm)


def _largest(polys: MultiPolygon) -> Polygon:
    if polys.is_empty:
        return Polygon()
    return max(polys.geoms, key=lambda p: p.area)


def measure(
    field: HeightField, footprint_mask: BoolArray, *, length_mm: float | None = None
) -> Measures:
    """Apply shellgen's definitions to a plantar height field.

    Parameters
    ----------
    field : HeightField
        Plantar surface (lightly smoothed, gaps filled) in the foot frame, mm; defined on
        ``footprint_mask``.
    footprint_mask : (ny, nx) bool
        Grid cells inside the foot's silhouette seen from below.
    length_mm : float, optional
        The foot's length when the scan does not show the toes (given, mm): every station
        that is a fraction of the length is taken of it, and the toe tip lies that far
        ahead of the heel. None: the footprint's length.

    Returns
    -------
    Measures
        Outlines, landmarks, lengths and the arch (definitions in the issue and DESIGN.md:
        plantar region = slope at most 45 degrees; arch height = maximum of the medial arch
        profile between 30 % and 70 % of foot length; arch index after Cavanagh & Rodgers).
    """
    h = field.spacing_mm
    xs, ys = field.xs_mm, field.ys_mm
    z = np.where(footprint_mask, field.z_mm, np.nan)
    footprint = _largest(_polygon(footprint_mask, field))
    # The outline runs half a cell beyond the centres of the extreme cells, and the foot's
    # extreme points lie anywhere in those cells: the centres are its unbiased ends.
    x_min, _, x_max, _ = footprint.bounds
    x_min, x_max = x_min + 0.5 * h, x_max - 0.5 * h
    length = x_max - x_min if length_mm is None else length_mm

    # Chords across the foot at every station: ball and heel widths, MTH landmarks.
    stations = np.arange(np.ceil(x_min), np.floor(x_max) + 1e-9, 0.5)
    lo, hi = _chords(footprint, stations)
    width = hi - lo
    ball_width = float(np.nanmax(width))
    heel_x = x_min + HEEL_STATION * length
    (h_lo,), (h_hi,) = _chords(footprint, np.array([heel_x]))
    frac = (stations - x_min) / length

    def window(a: float, b: float) -> BoolArray:
        return np.asarray((frac >= a) & (frac <= b) & np.isfinite(width))

    w1, w5 = window(*MTH1_WINDOW), window(*MTH5_WINDOW)
    mth1 = _extreme_station(stations[w1], hi[w1], 1.0)
    mth5 = _extreme_station(stations[w5], lo[w5], -1.0)
    # The tip's y is the middle of the chord 3 mm behind the front: the raster's last
    # column, a cell or two wide, moves with the scan's position.
    tip_lo, tip_hi = _chords(footprint, np.array([x_max - 3.0]))
    toe_tip = (float(x_min + length), float(0.5 * (tip_lo[0] + tip_hi[0])))

    # Plantar region: where the sole is no steeper than 45 degrees.
    gy, gx = np.gradient(z, h)
    slope = np.hypot(gx, gy)
    slope_ok = footprint_mask & np.isfinite(slope)
    slope_ok[slope_ok] = slope[slope_ok] <= np.tan(np.radians(PLANTAR_MAX_SLOPE_DEG))
    heel_cell = (
        round((0.5 * (h_lo + h_hi) - field.y0_mm) / h),
        round((heel_x - field.x0_mm) / h),
    )
    plantar_mask = ndimage.binary_fill_holes(
        largest_component(ndimage.binary_opening(slope_ok), heel_cell)
    )
    plantar_mask = np.asarray(plantar_mask & footprint_mask)
    plantar_region = _largest(_polygon(plantar_mask, field))

    # Medial arch profile: height at the medial edge of the plantar region, per station.
    profile_x, edge_y, profile_z = _medial_profile(z, plantar_mask, slope, xs, ys)
    rel = (profile_x - x_min) / length
    in_window = (rel >= ARCH_WINDOW[0]) & (rel <= ARCH_WINDOW[1]) & np.isfinite(profile_z)
    arch_height = float(np.max(profile_z[in_window]))
    in_arch = np.where(in_window, profile_z, -np.inf)
    apex_x = _cap_vertex(profile_x, in_arch, max(1.0, APEX_TOP_FRACTION * arch_height))
    apex = (apex_x, float(np.interp(apex_x, profile_x, edge_y)))

    # Contact region and the arch index (toes excluded).
    contact_mask = np.asarray(
        footprint_mask & (np.nan_to_num(z, nan=np.inf) <= CONTACT_THRESHOLD_MM)
    )
    contact_region = _polygon(contact_mask, field)
    index = _arch_index(contact_mask, xs, mth1[0], length, h)
    area = h * h
    heel_contact = contact_mask[:, xs <= x_min + 0.3 * length].sum() * area
    fore_contact = contact_mask[:, (xs >= x_min + 0.55 * length) & (xs <= mth1[0] + 0.1 * length)]
    standing = bool(
        heel_contact >= STANDING_MIN_CONTACT_MM2
        and fore_contact.sum() * area >= STANDING_MIN_CONTACT_MM2
        and _flattened(z, xs, x_min, length)
    )

    landmarks = Landmarks(
        heel_centre=(float(heel_x), float(0.5 * (h_lo + h_hi))),
        heel_medial=(float(heel_x), float(h_hi)),
        heel_lateral=(float(heel_x), float(h_lo)),
        mth1=mth1,
        mth5=mth5,
        arch_apex=apex,
        toe_tip=toe_tip,
    )
    return Measures(
        footprint=footprint,
        plantar_region=plantar_region,
        contact_region=contact_region,
        standing=standing,
        landmarks=landmarks,
        foot_length_mm=float(length),
        ball_width_mm=ball_width,
        heel_width_mm=float(h_hi - h_lo),
        arch_length_mm=float(mth1[0] - x_min),
        arch=Arch(
            height_mm=arch_height,
            apex_x_mm=apex[0] - x_min,
            index=index,
            type=arch_type(index),
            profile_x_mm=profile_x - x_min,
            profile_z_mm=profile_z,
        ),
    )


def _flattened(z: FloatArray, xs: FloatArray, x_min: float, length: float) -> bool:
    """Whether the sole bears weight: of its heel and ball (``SUPPORT_ZONES``)
    cells within 3 mm of the support plane, at least ``FLAT_SOLE_MIN`` lie within 1 mm.

    A loaded sole is flattened into a contact patch; an unloaded one is rounded, and the
    area under a height grows with the height (a third as much within 1 mm as within 3 mm
    under a bowl).
    """
    rel = (xs - x_min) / length
    zone = np.zeros(len(rel), dtype=bool)
    for lo, hi in SUPPORT_ZONES:
        zone |= (rel >= lo) & (rel <= hi)
    zz = np.nan_to_num(z[:, zone], nan=np.inf)
    within3 = int((zz <= 3.0).sum())
    return within3 > 0 and int((zz <= 1.0).sum()) >= FLAT_SOLE_MIN * within3


def _medial_profile(
    z: FloatArray, region: BoolArray, slope: FloatArray, xs: FloatArray, ys: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Stations x, medial edge y and height there, for every column the region covers.

    The edge lies between the region's last cell and the next one out; it is placed where
    the slope, interpolated linearly between the two cells, reaches 45 degrees, and the
    height is interpolated to the same point. A running mean along x (``EDGE_WINDOW_MM``)
    keeps the raster steps of the region's edge out of the profile.
    """
    h = ys[1] - ys[0]
    cols = np.flatnonzero(region.any(axis=0))
    rows = region.shape[0] - 1 - np.argmax(region[::-1, cols], axis=0)
    nxt = np.minimum(rows + 1, region.shape[0] - 1)
    limit = np.tan(np.radians(PLANTAR_MAX_SLOPE_DEG))
    s0, s1 = slope[rows, cols], slope[nxt, cols]
    z0, z1 = z[rows, cols], z[nxt, cols]
    ok = np.isfinite(s1) & np.isfinite(z1) & (s1 > s0) & (nxt > rows)
    t = np.zeros(len(cols))
    t[ok] = np.clip((limit - s0[ok]) / (s1[ok] - s0[ok]), 0.0, 1.0)
    edge_y = ys[rows] + t * h
    edge_z = np.where(ok, z0 + t * (z1 - z0), z0)
    window = max(1, round(EDGE_WINDOW_MM / h))
    y_window = max(1, round(EDGE_Y_WINDOW_MM / h))
    return (
        xs[cols],
        ndimage.uniform_filter1d(edge_y, size=y_window, mode="nearest"),
        ndimage.uniform_filter1d(edge_z, size=window, mode="nearest"),
    )


def _cap_vertex(x: FloatArray, v: FloatArray, depth: float) -> float:
    """x of the top of a cap-shaped curve ``v(x)``: the vertex of a parabola fitted to it.

    The cap is the contiguous run of stations around the maximum of ``v`` (NaN and -inf
    excluded) within ``depth`` of it. A broad, flat top has no single highest station, and
    its argmax wanders with noise; the fitted vertex does not. Falls back to the middle of
    the run when the fit is not a cap.
    """
    vv = np.where(np.isfinite(v), v, -np.inf)
    k = int(np.argmax(vv))
    top = vv >= vv[k] - depth
    lo = k
    while lo > 0 and top[lo - 1]:
        lo -= 1
    hi = k
    while hi < len(top) - 1 and top[hi + 1]:
        hi += 1
    xs, vs = x[lo : hi + 1], vv[lo : hi + 1]
    if hi - lo >= 4:
        a, b, _ = np.polyfit(xs - xs.mean(), vs, 2)
        if a < 0:
            return float(np.clip(xs.mean() - b / (2 * a), xs[0], xs[-1]))
    return float(0.5 * (xs[0] + xs[-1]))


def _arch_index(
    contact: BoolArray, xs: FloatArray, mth1_x: float, length: float, spacing: float
) -> float:
    """Cavanagh & Rodgers arch index of a contact mask.

    Toes are excluded: contact components lying wholly ahead of MTH1, and any contact more
    than ``TOE_CLIP`` of foot length ahead of MTH1. The remaining footprint, from its
    rearmost to its foremost contact, is split in equal thirds along x; the index is the
    middle third's contact area over the total.
    """
    labels, n = ndimage.label(contact)
    keep = contact & (xs[None, :] <= mth1_x + TOE_CLIP * length)
    for lab in range(1, n + 1):
        cols = np.flatnonzero((labels == lab).any(axis=0))
        if xs[cols].min() > mth1_x:
            keep &= labels != lab
    cols = np.flatnonzero(keep.any(axis=0))
    if cols.size == 0:
        return 0.0
    a, b = xs[cols].min() - 0.5 * spacing, xs[cols].max() + 0.5 * spacing
    third = (b - a) / 3.0
    per_col = keep.sum(axis=0).astype(np.float64)
    total = per_col.sum()
    mid = per_col[(xs >= a + third) & (xs < a + 2 * third)].sum()
    return float(mid / total) if total > 0 else 0.0
