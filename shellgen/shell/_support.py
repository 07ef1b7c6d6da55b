"""The plantar support: the foot's sole the shell carries, arch scaled and smoothed (mm).

The supported arch is a smooth medial longitudinal arch, not a fin (issue 13): along x, in
the arch band only, every crest narrower than a parabola ``ARCH_CREST_FRACTION`` of foot
length wide at half the supported arch height is cut down to one (a grey opening, which only
ever lowers the sole), both in the sole's rows under the plantar region
(:meth:`Support.make`) and along the plantar edge that the flanges and the rim band are built
from (:meth:`Support.with_edge_relief`). The heel seat and the forefoot keep total contact;
how far the top comes down is the shell's ``arch_gap_mm``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
import shapely
from scipy.ndimage import distance_transform_edt, grey_opening, map_coordinates

from shellgen._typing import FloatArray
from shellgen.analysis import Foot, HeightField
from shellgen.errors import GeometryError
from shellgen.shell._smooth import smoothstep
from shellgen.spec import ShellSpec

__all__ = ["ARCH_CREST_FRACTION", "Support", "crest_opening", "filled_heights"]

logger = logging.getLogger(__name__)

#: The arch is scaled in the midfoot: weight rising over these fractions of foot length...
ARCH_RISE = (0.10, 0.30)
#: ...and falling from this fraction (or 20 mm before the MTH line) to the MTH line.
ARCH_FALL_START = 0.65
#: The supported arch's crest is at least this fraction of foot length long (along x) at
#: half the supported arch height below its top: 45 mm on a 265 mm foot. A normal medial
#: longitudinal arch spans the navicular region, 40-60 mm wide at half its height on an
#: adult foot (the synthetic test feet: 50 mm on the 260 mm foot of ``tests/feet.py``,
#: 57 mm on ``shellgen.synth``'s), so a normal arch passes untouched, while the narrow
#: crest a real scan's plantar edge can make (the my-feet left scan: 5 to 17 mm and back
#: within some 30 mm) is cut down to a smooth arch. A fraction, so that a child's foot
#: keeps its own arch.
ARCH_CREST_FRACTION = 0.17
#: The crest is opened under the plantar region, fading out this far beyond its edge, mm.
SOLE_FADE_MM = 5.0
#: Where the plantar edge is lowered by ``d`` mm, the support around it is lowered too,
#: fading out over ``d / EDGE_RELIEF_SLOPE`` mm (smoothstep: its steepest is 1.5 times this):
#: the my-feet left scan's 6 mm notch fades over 15 mm, as steep as the sole's own arch.
EDGE_RELIEF_SLOPE = 0.4
#: Drops smaller than this are not spread (below any print's resolution), mm.
DROP_MIN_MM = 0.01
#: Along the plantar edge the crest is opened on bins this long in x, mm (the edge is
#: sampled 1 mm apart, so that every bin between a chain's ends holds a sample).
EDGE_BIN_MM = 1.0


@dataclass(frozen=True, eq=False)
class Support:
    """The plantar surface the shell supports, arch scaled and smoothed along x (mm).

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
    crest_mm : float
        The stated crest length: ``ARCH_CREST_FRACTION`` of foot length, mm (0: no smoothing).
    crest_radius_mm : float
        Radius of the parabola that opens the crest (see :func:`crest_opening`), mm; 0 when
        the support is not smoothed.
    relief : (ny, nx) float
        How far the smoothing lowers the arch-scaled sole at every grid node (>= 0), mm:
        the rows' opening (:meth:`make`), and the plantar edge's once
        :meth:`with_edge_relief` has run (``Surfaces.make`` runs it).
    """

    field: HeightField
    grid: FloatArray
    arch_scale: float
    arch_band: tuple[float, float, float, float]
    crest_mm: float
    crest_radius_mm: float
    relief: FloatArray

    @classmethod
    def make(cls, foot: Foot, spec: ShellSpec, filled: FloatArray) -> Support:
        """The support of this foot for this spec's arch height, its rows' crests opened.

        ``filled`` is :func:`filled_heights` of the foot's plantar field (made once per foot).
        The arch-scaled sole is opened along x by :func:`crest_opening` with the parabola of
        :func:`crest_radius` (``crest_mm`` wide at half ``spec.arch_height_mm``), under the
        arch weight and the plantar region (beyond its edge, where the rim band's cap
        governs the top, fading out over ``SOLE_FADE_MM``).
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
        crest_mm = ARCH_CREST_FRACTION * length
        radius = crest_radius(crest_mm, spec.arch_height_mm)
        f = foot.plantar
        weight = _arch_weight(f.xs_mm, band)
        scaled = np.maximum(filled, 0.0) * (1.0 + weight * (scale - 1.0))
        relief = np.zeros_like(scaled)
        if radius > 0.0:
            opened = crest_opening(scaled, f.spacing_mm, radius, crest_mm)
            relief = weight * _under_sole(foot) * (scaled - opened)
        return cls(f, filled, scale, band, crest_mm, radius, relief)

    def plantar_at(self, x: FloatArray, y: FloatArray) -> FloatArray:
        """The arch-scaled sole at points, before smoothing, mm (>= 0).

        Bilinear in the gap-filled height field (clamped at its border), multiplied by
        ``arch_scale`` with a weight that is 1 over the midfoot and ramps to 0 toward the
        heel and the metatarsal heads.

        Parameters
        ----------
        x, y : (n,) float
            Points in the foot frame, mm.
        """
        z = self._bilinear(self.grid, x, y)
        weight = _arch_weight(x, self.arch_band)
        return np.asarray(np.maximum(z, 0.0) * (1.0 + weight * (self.arch_scale - 1.0)))

    def at(self, x: FloatArray, y: FloatArray) -> FloatArray:
        """Support height at points, mm (>= 0): :meth:`plantar_at` less the ``relief``.

        The relief is interpolated bilinearly from non-negative nodes, so the support is
        never above the arch-scaled sole, and it is 0 wherever the arch weight is
        (heel seat and forefoot: total contact).

        Parameters
        ----------
        x, y : (n,) float
            Points in the foot frame, mm.
        """
        lowered = self.plantar_at(x, y) - self._bilinear(self.relief, x, y)
        return np.asarray(np.maximum(lowered, 0.0))

    def with_edge_relief(self, ring: FloatArray, heights: FloatArray) -> Support:
        """This support, lowered where the plantar edge's crests are opened along x.

        The edge of the plantar region (where the sole is no steeper than 45 degrees) can
        reach up a steep arch for a few millimetres, a notch that made the flange (whose rim
        height follows the edge) a fin though the sole itself is a broad arch (the my-feet
        left scan: the edge rose from 5 to 17 mm and back within 30 mm). The ring is cut at
        its rearmost and foremost points into two chains (medial, lateral); along each, the
        heights are binned in x (``EDGE_BIN_MM``, the lowest of a bin: the lower envelope,
        so that where the edge runs across x, up and down a notch, the notch is opened as a
        whole) and opened by :func:`crest_opening`; each sample's drop to the opened height
        (under the arch weight) is spread into the ``relief`` around it (see
        ``EDGE_RELIEF_SLOPE``), so that the support itself, and with it the top and the edge
        heights the rim is built from, come down together: lowering the edge heights alone
        left a valley between the notch and the flange.

        Parameters
        ----------
        ring : (k, 2) float
            The plantar edge, a closed ring sampled about 1 mm apart (no closing repeat).
        heights : (k,) float
            This support along it (averaged along the ring), mm.
        """
        if self.crest_radius_mm <= 0.0 or len(ring) < 3:
            return self
        rear, front = int(np.argmin(ring[:, 0])), int(np.argmax(ring[:, 0]))
        order = np.roll(np.arange(len(ring)), -rear)
        split = (front - rear) % len(ring)
        drop = np.zeros(len(ring))
        for chain in (order[: split + 1], order[split:]):
            x, z = ring[chain, 0], heights[chain]
            bins = np.floor((x - x.min()) / EDGE_BIN_MM).astype(np.int64)
            low = np.full(int(bins.max()) + 1, np.inf)
            np.minimum.at(low, bins, z)
            opened = crest_opening(
                _fill_empty(low), EDGE_BIN_MM, self.crest_radius_mm, self.crest_mm
            )
            cut = np.maximum(z - opened[bins], 0.0) * _arch_weight(x, self.arch_band)
            drop[chain] = np.maximum(drop[chain], cut)
        return replace(self, relief=self._spread(ring, drop))

    def _spread(self, ring: FloatArray, drop: FloatArray) -> FloatArray:
        """``relief`` with each ring sample's ``drop`` spread around it (the largest kept), mm.

        A drop ``d`` fades to 0 over ``d / EDGE_RELIEF_SLOPE`` mm from its sample (smoothstep,
        flat at the sample), so the lowered support is as smooth as the sole at the edge.
        """
        f = self.field
        relief = self.relief.copy()
        xs, ys = f.xs_mm, f.ys_mm
        for (px, py), d in zip(ring[drop > DROP_MIN_MM], drop[drop > DROP_MIN_MM], strict=True):
            reach = max(d / EDGE_RELIEF_SLOPE, f.spacing_mm)
            cols = slice(np.searchsorted(xs, px - reach), np.searchsorted(xs, px + reach))
            rows = slice(np.searchsorted(ys, py - reach), np.searchsorted(ys, py + reach))
            gx, gy = np.meshgrid(xs[cols], ys[rows])
            fade = 1.0 - smoothstep(np.hypot(gx - px, gy - py), 0.0, reach)
            relief[rows, cols] = np.maximum(relief[rows, cols], d * fade)
        return relief

    def unsmoothed(self) -> Support:
        """The same support without the crest smoothing: the arch-scaled sole itself."""
        return replace(self, crest_mm=0.0, crest_radius_mm=0.0, relief=np.zeros_like(self.relief))

    def _bilinear(self, grid: FloatArray, x: FloatArray, y: FloatArray) -> FloatArray:
        """A grid like ``self.grid`` at points, bilinear, clamped at its border (mm)."""
        f = self.field
        rows = np.clip((y - f.y0_mm) / f.spacing_mm, 0, grid.shape[0] - 1)
        cols = np.clip((x - f.x0_mm) / f.spacing_mm, 0, grid.shape[1] - 1)
        z = map_coordinates(grid, [rows.ravel(), cols.ravel()], order=1)
        return np.asarray(z.reshape(np.shape(x)), dtype=np.float64)


def crest_radius(crest_mm: float, arch_height_mm: float) -> float:
    """Radius of the parabola ``crest_mm`` wide at ``arch_height_mm / 2`` below its apex, mm.

    ``z = -u**2 / (2 R)`` is ``h / 2`` down at ``u = L / 2`` for ``R = L**2 / (4 h)``. An arch
    under 1 mm is treated as 1 mm (a flatter arch has no crest to cut). 0 when ``crest_mm``
    is 0 (no smoothing).
    """
    if crest_mm <= 0.0:
        return 0.0
    return crest_mm**2 / (4.0 * max(arch_height_mm, 1.0))


def crest_opening(
    z: FloatArray, spacing_mm: float, radius_mm: float, crest_mm: float
) -> FloatArray:
    """Grey opening of heights along their last axis (x) by a parabola of ``radius_mm``.

    The result is the upper envelope of all the parabolas ``c - (x - x0)**2 / (2 R)``
    (within ``crest_mm`` of their apex) that fit under ``z``: never above ``z``, equal to
    it wherever ``z`` is as broad as such a parabola (valleys, flats and broad arches), and
    every crest narrower is cut down to one. A crest of the result is thus at least as
    wide as the parabola at every depth below its top: ``crest_mm`` at half the arch height
    for :func:`crest_radius`. An opening, not a smoothing filter (Gaussian, spline), because
    a filter lowers a crest's peak and raises its flanks above the sole, pressing into the
    foot; the opening only ever removes material under the foot. ``scipy.ndimage``'s grey
    opening with a non-flat structuring element does it.

    Parameters
    ----------
    z : (..., nx) float
        Heights on a regular grid along the last axis, mm.
    spacing_mm : float
        Grid spacing along x, mm.
    radius_mm : float
        Radius of curvature of the parabola at its apex, mm.
    crest_mm : float
        The structuring element reaches this far either side of its apex, mm.

    Returns
    -------
    (..., nx) float
        The opened heights, mm, ``<= z``.
    """
    half = max(round(crest_mm / spacing_mm), 1)
    u_mm = spacing_mm * np.arange(-half, half + 1, dtype=np.float64)
    shape = (1,) * (np.ndim(z) - 1) + (len(u_mm),)
    structure = (-(u_mm**2) / (2.0 * radius_mm)).reshape(shape)
    opened = grey_opening(z, structure=structure, footprint=np.ones(shape, dtype=bool))
    return np.asarray(np.minimum(opened, z), dtype=np.float64)


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


def _arch_weight(x: FloatArray, band: tuple[float, float, float, float]) -> FloatArray:
    """Where the arch is supported: 0 at the heel, rising to 1, 1 over the midfoot, 0 ahead."""
    a0, a1, b0, b1 = band
    return np.asarray(smoothstep(x, a0, a1) * (1.0 - smoothstep(x, b0, b1)))


def _under_sole(foot: Foot) -> FloatArray:
    """1 on the plantar region's grid nodes, fading to 0 ``SOLE_FADE_MM`` beyond its edge.

    Beyond the plantar edge the top is the rim's (capped at the edge's opened height, see
    :meth:`Support.along_edge`); the side of the foot there is left alone.
    """
    f = foot.plantar
    gx, gy = np.meshgrid(f.xs_mm, f.ys_mm)
    inside = shapely.contains_xy(foot.plantar_region, gx, gy)
    beyond_mm = distance_transform_edt(~inside) * f.spacing_mm
    return np.asarray(1.0 - smoothstep(beyond_mm, 0.0, SOLE_FADE_MM))


def _fill_empty(values: FloatArray) -> FloatArray:
    """Infinite entries replaced by linear interpolation between the finite ones."""
    ok = np.isfinite(values)
    if ok.all():
        return values
    i = np.arange(len(values))
    return np.asarray(np.interp(i, i[ok], values[ok]))
