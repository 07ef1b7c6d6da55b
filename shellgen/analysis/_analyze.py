"""``analyze``: measure a prepared scan."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
from scipy import ndimage

from shellgen._raster import foot_parts
from shellgen._typing import BoolArray, IntArray
from shellgen.analysis._grid import (
    drop_spikes,
    fill_gaps,
    lowest_surface,
    smooth,
)
from shellgen.analysis._measure import measure
from shellgen.analysis._model import Foot, HeightField
from shellgen.errors import ScanError
from shellgen.scan import Scan

__all__ = ["analyze"]

#: Grid spacing of the plantar height field, mm ...
GRID_MM = 1.0
#: ... and for a sparse scan, one in whose footprint fewer than ``SPARSE_OCCUPANCY`` of
#: the 1 mm cells hold a point (a point every 2 mm or so; scans of 1 mm spacing fill 70 %
#: to 98 %): there a synthetic foot had its arch off by up to 20 mm, on this grid 1.5 mm.
SPARSE_GRID_MM = 2.0
SPARSE_OCCUPANCY = 0.5
#: Light smoothing so that scanner noise does not move the medial edge, mm.
SMOOTH_MM = 1.5
#: The band at the footprint's edge left out of the measures, in whole cells: one ring of
#: the 1 mm field, none of the 2 mm one (mm). Measured on synthetic scans: with the ring
#: in, standing full feet read their arch 0.8 mm high on average (0.06 mm without it); a
#: sparse scan's 2 mm field reads it 0.9 mm low without its ring (0.03 mm with it).
EDGE_BAND_MM = 1.0
#: Separate toes (a foam impression's toe pits, parted toes) are joined to the sole over
#: gaps up to twice this, mm: ridges of foam between the pits, clefts between toes.
TOE_BRIDGE_MM = 6.0


def analyze(scan: Scan, *, spacing_mm: float | None = None) -> Foot:
    """Measure the plantar surface, outlines, landmarks and arch of a prepared scan.

    Parameters
    ----------
    scan : Scan
        A prepared scan (foot frame, mm, right foot).
    spacing_mm : float, optional
        Grid spacing of the plantar height field, mm; ``GRID_MM``, or ``SPARSE_GRID_MM``
        for a sparse scan, when None.

    Returns
    -------
    Foot
        The plantar height field (per cell, the points near its lowest that do not stand
        over the sole; gaps filled, smoothed with a 1.5 mm Gaussian) over the footprint,
        and every measure defined in :func:`shellgen.analysis._measure.measure`, taken on
        the field less the band ``EDGE_BAND_MM`` at the footprint's edge.

    Examples
    --------
    >>> from shellgen.synth import synth_scan
    >>> from shellgen.scan import RawScan, ScanSource, prepare
    >>> s = synth_scan("plantar", seed=2, rotation="none")
    >>> raw = RawScan(s.points, None, len(s.points), ScanSource("s", "xyz", "", 0, 0, 0))
    >>> foot = analyze(prepare(raw))
    >>> abs(foot.foot_length_mm - s.truth.foot_length_mm) < 4
    True
    """
    raw_field, counts = lowest_surface(scan.points, spacing_mm or GRID_MM)
    mask = _silhouette(counts)
    if spacing_mm is None:
        spacing_mm = GRID_MM
        if (counts[mask] > 0).mean() < SPARSE_OCCUPANCY:
            spacing_mm = SPARSE_GRID_MM
            raw_field, counts = lowest_surface(scan.points, spacing_mm)
            mask = _silhouette(counts)
    mask = _join_toes(foot_parts(mask), spacing_mm)
    if mask.sum() * spacing_mm**2 < 2000.0:
        raise ScanError(
            f"{scan.source.path}: the footprint covers only {mask.sum() * spacing_mm**2:.0f} mm^2;"
            " this is too small for a foot: check the units"
        )
    z = fill_gaps(drop_spikes(np.where(mask, raw_field.z_mm, np.nan), mask), mask)
    z = smooth(z, SMOOTH_MM, spacing_mm)
    field = HeightField(raw_field.x0_mm, raw_field.y0_mm, spacing_mm, z)
    # Any point makes a cell part of the footprint, so the outline crosses its outermost
    # cells; what of the foot's side stays in them (its foot, and what noise keeps within
    # reach of it) lifts the sole's edge there and, through the smoothing, next to it.
    # Slopes, regions and the arch are measured on the field less that band.
    rim_cells = int(EDGE_BAND_MM // spacing_mm)
    if rim_cells:
        z = np.where(ndimage.binary_erosion(mask, iterations=rim_cells), z, np.nan)
    m = measure(
        HeightField(field.x0_mm, field.y0_mm, spacing_mm, z),
        mask,
        length_mm=scan.given_length_mm,
    )
    return Foot(scan=scan, plantar=field, **{f.name: getattr(m, f.name) for f in fields(m)})


def _silhouette(counts: IntArray) -> BoolArray:
    """The cells seen from below: occupied ones, closed by two cells, holes filled, spurs
    opened away."""
    mask = ndimage.binary_closing(counts > 0, iterations=2)
    return np.asarray(ndimage.binary_opening(ndimage.binary_fill_holes(mask)))


def _join_toes(mask: BoolArray, spacing_mm: float) -> BoolArray:
    """The footprint with its separate toe parts joined to the sole and to each other.

    A closing of radius ``TOE_BRIDGE_MM`` fills the ridges and clefts between them, but only
    ahead of the rear of the foremost fifth of the sole's own part (the toe region): the
    closing must not widen the footprint anywhere else, and it joins no more than the
    outline of the parts already spans.
    """
    n = ndimage.label(mask, structure=np.ones((3, 3)))[1]
    if n < 2:
        return mask
    cols = np.flatnonzero(mask.any(axis=0))
    front = int(cols[0] + 0.8 * (cols[-1] - cols[0]))
    r = max(1, round(TOE_BRIDGE_MM / spacing_mm))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    closed = ndimage.binary_closing(mask, structure=xx**2 + yy**2 <= r * r, border_value=0)
    joined = mask.copy()
    joined[:, front:] = closed[:, front:]
    return np.asarray(ndimage.binary_fill_holes(joined))
