"""The ``inside_outline`` check: the footprint seen from above against the foot's outline."""

from __future__ import annotations

from typing import Final

import numpy as np
import shapely
from shapely.geometry import Polygon

from shellgen._typing import BoolArray, FloatArray
from shellgen.validation._arrays import _CROSS_EPS, _ranges, _ranks, _typical
from shellgen.validation._columns import _MAX_CELLS_PER_FACE, _MIN_CELLS
from shellgen.validation._report import Check

__all__ = ["OUTLINE_MARGIN_MM", "_inside_outline_check"]


#: The shell's footprint may reach this far outside the foot outline, mm.
OUTLINE_MARGIN_MM: Final = 3.0

#: Area outside the buffered outline below this is rounding noise, mm^2.
_AREA_TOL_MM2: Final = 1e-6


def _inside_outline_check(
    corners: FloatArray, cross: FloatArray, lo: FloatArray, hi: FloatArray, outline: Polygon
) -> Check:
    """Area of the footprint (the up-facing faces seen from above) beyond the buffered outline.

    Only the faces that may reach outside (:func:`_maybe_outside`) are unioned with shapely.
    """
    allowed = outline.buffer(OUTLINE_MARGIN_MM)
    shapely.prepare(allowed)
    up = np.flatnonzero(cross[2] > 0.0)
    up = up[_maybe_outside(allowed, np.take(lo[:2], up, axis=1), np.take(hi[:2], up, axis=1))]
    rings = np.take(corners[:2], up, axis=2)[:, [0, 1, 2, 0]].transpose(2, 1, 0)
    footprint = shapely.polygons(np.ascontiguousarray(rings))
    outside = footprint[~shapely.contains(allowed, footprint)]
    area_mm2 = float(shapely.union_all(outside).difference(allowed).area) if len(outside) else 0.0
    ok = area_mm2 <= _AREA_TOL_MM2
    detail = (
        f"footprint within {OUTLINE_MARGIN_MM:g} mm of the foot outline"
        if ok
        else f"{area_mm2:.1f} mm2 of the footprint lies over {OUTLINE_MARGIN_MM:g} mm outside"
        " the foot outline: trim the outline"
    )
    return Check("inside_outline", ok, area_mm2, 0.0, "mm2", detail)


def _maybe_outside(region: Polygon, lo: FloatArray, hi: FloatArray) -> BoolArray:
    """(k,) bool: False for the triangles that certainly lie inside ``region``.

    (lo, hi) (2, k) are the triangles' bounding boxes. The region's boundary is marked on a
    raster of square cells (every cell it passes through); a triangle whose box touches no
    marked cell cannot cross the boundary, so it lies wholly on one side of it.
    """
    if not lo.shape[1]:
        return np.zeros(0, dtype=bool)
    coords, ring = shapely.get_coordinates(
        shapely.get_rings(shapely.get_parts(region)), return_index=True
    )
    same = ring[1:] == ring[:-1]
    p, q = coords[:-1][same].T, coords[1:][same].T
    origin = np.minimum(lo.min(axis=1), coords.min(axis=0, initial=np.inf))[:, None]
    top = np.maximum(hi.max(axis=1), coords.max(axis=0, initial=-np.inf))[:, None]
    cell_mm = _typical(np.maximum(hi[0] - lo[0], hi[1] - lo[1]))
    while np.prod((top - origin) / cell_mm + 2.0) > max(
        _MAX_CELLS_PER_FACE * lo.shape[1], _MIN_CELLS
    ):
        cell_mm *= 2.0
    dims = np.floor((top - origin)[:, 0] / cell_mm).astype(np.int64) + 2
    # boundary pieces no longer than half a cell: each box touches at most 2 x 2 cells
    length = np.sqrt(((q - p) ** 2).sum(axis=0))
    pieces = np.maximum(np.ceil(length / (0.5 * cell_mm)), 1).astype(np.int64)
    seg, k = _ranges(np.zeros(len(pieces), dtype=np.int64), pieces)
    step = (q - p)[:, seg] / pieces[seg]
    a = p[:, seg] + k * step
    b = p[:, seg] + (k + 1) * step
    margin_mm = _CROSS_EPS * (1.0 + float(np.abs(coords).max(initial=0.0)))
    start = np.floor((np.minimum(a, b) - margin_mm - origin) / cell_mm).astype(np.int64)
    end = np.floor((np.maximum(a, b) + margin_mm - origin) / cell_mm).astype(np.int64)
    marked = np.zeros(dims + 1, dtype=np.int64)  # cell (i, j) at [i + 1, j + 1]
    for i in (start[0], end[0]):
        for j in (start[1], end[1]):
            marked[i + 1, j + 1] = 1
    summed = marked.cumsum(axis=0).cumsum(axis=1)
    i0, j0 = np.floor((lo - origin) / cell_mm).astype(np.int64)
    i1, j1 = np.floor((hi - origin) / cell_mm).astype(np.int64) + 1
    crossed = summed[i1, j1] - summed[i0, j1] - summed[i1, j0] + summed[i0, j0] > 0
    # the others lie on the side of the centre of their lowest cell: test each cell once
    clear = np.flatnonzero(~crossed)
    cell = i0[clear] * (dims[1] + 1) + j0[clear]
    rank = _ranks(cell, np.argsort(cell))
    centre = np.empty((2, int(rank.max(initial=-1)) + 1))
    centre[:, rank] = np.stack([i0[clear], j0[clear]]) + 0.5
    centre = origin + centre * cell_mm
    crossed[clear] = ~shapely.contains_xy(region, centre[0], centre[1])[rank]
    return crossed
