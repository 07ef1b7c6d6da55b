"""``analyze``: measure a prepared scan."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
from scipy import ndimage

from shellgen.analysis._grid import (
    drop_spikes,
    fill_gaps,
    largest_component,
    lowest_surface,
    smooth,
)
from shellgen.analysis._measure import measure
from shellgen.analysis._model import Foot, HeightField
from shellgen.errors import ScanError
from shellgen.scan import Scan

__all__ = ["analyze"]

#: Grid spacing of the plantar height field, mm.
GRID_MM = 1.0
#: Light smoothing so that scanner noise does not move the medial edge, mm.
SMOOTH_MM = 1.5


def analyze(scan: Scan, *, spacing_mm: float = GRID_MM) -> Foot:
    """Measure the plantar surface, outlines, landmarks and arch of a prepared scan.

    Parameters
    ----------
    scan : Scan
        A prepared scan (foot frame, mm, right foot).
    spacing_mm : float
        Grid spacing of the plantar height field, mm.

    Returns
    -------
    Foot
        The plantar height field (lowest point per cell, gaps filled, smoothed with a
        1.5 mm Gaussian) over the footprint, and every measure defined in
        :func:`shellgen.analysis._measure.measure`.

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
    raw_field, counts = lowest_surface(scan.points, spacing_mm)
    occupied = counts > 0
    mask = ndimage.binary_closing(occupied, iterations=2)
    mask = ndimage.binary_opening(ndimage.binary_fill_holes(mask))
    mask = largest_component(mask)
    if mask.sum() * spacing_mm**2 < 2000.0:
        raise ScanError(
            f"{scan.source.path}: the footprint covers only {mask.sum() * spacing_mm**2:.0f} mm^2;"
            " this is too small for a foot: check the units"
        )
    z = fill_gaps(drop_spikes(np.where(mask, raw_field.z_mm, np.nan), mask), mask)
    z = smooth(z, SMOOTH_MM, spacing_mm)
    field = HeightField(raw_field.x0_mm, raw_field.y0_mm, spacing_mm, z)
    m = measure(field, mask)
    return Foot(scan=scan, plantar=field, **{f.name: getattr(m, f.name) for f in fields(m)})
