"""Raster helpers: points to height fields and masks, masks to shapely polygons."""

from __future__ import annotations

import itertools

import contourpy
import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree
from shapely.geometry import MultiPolygon, Polygon
from shapely.ops import unary_union

from shellgen._typing import BoolArray, FloatArray, IntArray
from shellgen.analysis._model import HeightField

__all__ = [
    "cell_indices",
    "drop_spikes",
    "fill_gaps",
    "lowest_surface",
    "mask_to_polygons",
    "over_a_lower_point",
    "smooth",
]

#: A point lies over another surface (the foot's side over the sole's edge, the dorsum over
#: the sole) when one of its ``STACK_NEIGHBOURS`` nearest points in plan lies below it more
#: steeply than ``STACK_STEEPNESS`` (rise over run, about 72 degrees), by more than
#: ``STACK_TOLERANCE_MM`` beyond that: a margin for scanner noise on two sole points close
#: in plan. The sole's own rounded edge is less steep than that and stays.
STACK_NEIGHBOURS = 8
STACK_STEEPNESS = 3.0
STACK_TOLERANCE_MM = 0.5
#: ... looked for within this distance of the silhouette's edge, mm.
STACK_REACH_MM = 6.0


def cell_indices(
    points_xy: FloatArray, x0_mm: float, y0_mm: float, spacing_mm: float, shape: tuple[int, int]
) -> tuple[IntArray, IntArray, BoolArray]:
    """Grid cell (row, col) of each point, and whether it falls inside the grid.

    Parameters
    ----------
    points_xy : (n, 2) float
        Points in the foot frame, mm.
    x0_mm, y0_mm, spacing_mm : float
        Grid node ``[0, 0]`` and spacing; a cell is centred on its node.
    shape : (ny, nx)
        Grid shape.
    """
    cols = np.floor((points_xy[:, 0] - x0_mm) / spacing_mm + 0.5).astype(np.int64)
    rows = np.floor((points_xy[:, 1] - y0_mm) / spacing_mm + 0.5).astype(np.int64)
    inside = (rows >= 0) & (rows < shape[0]) & (cols >= 0) & (cols < shape[1])
    return rows, cols, inside


def over_a_lower_point(points: FloatArray, query: FloatArray) -> BoolArray:
    """Whether each query point lies over another surface of the scan, seen from below.

    A vertical wall (the foot's side where it meets the sole's edge) and the dorsum stand
    over the sole: a cell that the outline crosses catches them as well as the sole, and
    their heights, averaged in, lift the sole's edge by 1-3 mm where the arch is read.
    A point counts as over a lower one when one of its ``STACK_NEIGHBOURS`` nearest points
    in plan lies below it by more than ``STACK_STEEPNESS`` times their distance in plan
    plus ``STACK_TOLERANCE_MM``. Of a vertical wall, what stands more than about 1.5 mm
    over its foot goes (below that, noise in plan keeps the points within the steepness),
    and its foot stays: it is the sole's edge. The band of ``lowest_surface`` cannot tell
    them apart, and a plain nearest-neighbour query is all this needs.

    Parameters
    ----------
    points : (n, 3) float
        The scan's points in the foot frame, mm.
    query : (m, 3) float
        Points to test (some of ``points``), mm.

    Returns
    -------
    (m,) bool
        True where a query point lies over a lower point of ``points``.
    """
    k = min(STACK_NEIGHBOURS, len(points))
    dist, idx = cKDTree(points[:, :2]).query(query[:, :2], k=k)
    drop = query[:, 2, None] - points[idx, 2]
    return np.asarray((drop > STACK_STEEPNESS * dist + STACK_TOLERANCE_MM).any(axis=1))


def lowest_surface(
    points: FloatArray, spacing_mm: float, margin_mm: float = 6.0, band_mm: float = 2.5
) -> tuple[HeightField, IntArray]:
    """The underside of the scan as a height field: per cell, the mean height of the points
    within ``band_mm`` of the cell's lowest point that do not lie over a lower point
    (:func:`over_a_lower_point`; within ``STACK_REACH_MM`` of the silhouette's edge).

    Parameters
    ----------
    points : (n, 3) float
        Points in the foot frame, mm.
    spacing_mm : float
        Grid spacing, mm.
    margin_mm : float
        Empty border kept around the points' extent, mm.
    band_mm : float
        Points this close above a cell's lowest point are averaged, mm.

    Returns
    -------
    field : HeightField
        Underside height per cell; NaN where a cell holds no point.
    counts : (ny, nx) int
        Points per cell, every point counted: the silhouette seen from below.
    """
    lo = points[:, :2].min(axis=0) - margin_mm
    hi = points[:, :2].max(axis=0) + margin_mm
    x0 = float(np.floor(lo[0] / spacing_mm) * spacing_mm)
    y0 = float(np.floor(lo[1] / spacing_mm) * spacing_mm)
    nx = int(np.ceil((hi[0] - x0) / spacing_mm)) + 1
    ny = int(np.ceil((hi[1] - y0) / spacing_mm)) + 1
    rows, cols, inside = cell_indices(points[:, :2], x0, y0, spacing_mm, (ny, nx))
    flat = rows[inside] * nx + cols[inside]
    pz = points[inside, 2]
    low = np.full(ny * nx, np.inf)
    np.minimum.at(low, flat, pz)
    # Mean of the points near the cell's lowest: unbiased on a sloping sole, where the
    # minimum alone reads low, and blind to the foot's top above; less the points near it
    # that stand over the sole (the foot's side at the edge).
    near = pz <= low[flat] + band_mm
    counts = np.bincount(flat, minlength=ny * nx).reshape(ny, nx)
    # The foot's side stands over the sole near the silhouette's edge only: looked for there,
    # among a quarter or so of the points.
    seen = ndimage.binary_fill_holes(ndimage.binary_closing(counts > 0, iterations=2))
    reach = max(1, int(np.ceil(STACK_REACH_MM / spacing_mm)))
    rim = (seen & ~ndimage.binary_erosion(seen, iterations=reach)).ravel()
    look = near & rim[flat]
    candidates = points[inside][look]
    near[look] = ~over_a_lower_point(candidates, candidates)
    total = np.bincount(flat[near], weights=pz[near], minlength=ny * nx)
    n_near = np.bincount(flat[near], minlength=ny * nx)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(n_near > 0, total / n_near, np.nan)
    return HeightField(x0, y0, spacing_mm, z.reshape(ny, nx)), counts


def drop_spikes(z_mm: FloatArray, region: BoolArray, tolerance_mm: float = 1.0) -> FloatArray:
    """Blank interior cells that stand above the lower envelope of their neighbours.

    A cell that caught no sole point but a point of the foot's top reads the top's height.
    A grey opening (3 x 3 minimum, then maximum) keeps ramps and removes such narrow upward
    spikes; cells more than three cells inside ``region`` that stand above the opening by
    more than ``tolerance_mm`` become NaN. Cells near the rim are left alone: there the
    foot's side legitimately rises steeply.

    Parameters
    ----------
    z_mm : (ny, nx) float
        Lowest height per cell, NaN where empty.
    region : (ny, nx) bool
        The footprint.
    tolerance_mm : float
        How far above the opening a cell may stand, mm.
    """
    known = np.isfinite(z_mm)
    eroded = ndimage.minimum_filter(np.where(known, z_mm, np.inf), size=3, mode="nearest")
    opened = ndimage.maximum_filter(
        np.where(np.isfinite(eroded), eroded, -np.inf), size=3, mode="nearest"
    )
    interior = ndimage.binary_erosion(region, iterations=3)
    with np.errstate(invalid="ignore"):
        spike = known & interior & (z_mm > opened + tolerance_mm)
    return np.where(spike, np.nan, z_mm)


def fill_gaps(z_mm: FloatArray, region: BoolArray) -> FloatArray:
    """Fill NaN cells inside ``region`` from their nearest defined cells, then relax.

    Nearest-value filling followed by a few Jacobi (Laplace) sweeps over the filled cells
    only, so that holes get smooth, bounded values and defined cells never move.

    Parameters
    ----------
    z_mm : (ny, nx) float
        Heights with NaN gaps.
    region : (ny, nx) bool
        Cells that must end up defined.

    Returns
    -------
    (ny, nx) float
        Heights defined on ``region`` (and wherever ``z_mm`` was), NaN elsewhere.
    """
    known = np.isfinite(z_mm)
    if not known.any():
        return np.full_like(z_mm, np.nan)
    _, (ri, ci) = ndimage.distance_transform_edt(~known, return_indices=True)
    filled = z_mm[ri, ci]
    holes = region & ~known
    if holes.any():
        for _ in range(30):
            avg = 0.25 * (
                np.roll(filled, 1, 0)
                + np.roll(filled, -1, 0)
                + np.roll(filled, 1, 1)
                + np.roll(filled, -1, 1)
            )
            filled = np.where(holes, avg, filled)
    return np.where(region | known, filled, np.nan)


def smooth(z_mm: FloatArray, sigma_mm: float, spacing_mm: float) -> FloatArray:
    """Gaussian smoothing that ignores NaN cells and keeps them NaN.

    Parameters
    ----------
    z_mm : (ny, nx) float
        Heights, NaN where undefined.
    sigma_mm : float
        Standard deviation of the Gaussian, mm.
    spacing_mm : float
        Grid spacing, mm.
    """
    known = np.isfinite(z_mm)
    sigma = sigma_mm / spacing_mm
    num = ndimage.gaussian_filter(np.where(known, z_mm, 0.0), sigma, mode="constant")
    den = ndimage.gaussian_filter(known.astype(np.float64), sigma, mode="constant")
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    return np.where(known, out, np.nan)


def mask_to_polygons(
    mask: BoolArray, x0_mm: float, y0_mm: float, spacing_mm: float, min_area_mm2: float = 4.0
) -> MultiPolygon:
    """Outline of the cells of ``mask`` as polygons in the foot frame, mm.

    The boundary is the 0.5 iso-line of the mask, so an outline passes half-way between
    inside and outside cell centres.
    """
    padded = np.pad(mask.astype(np.float64), 1)
    gen = contourpy.contour_generator(
        z=padded, line_type=contourpy.LineType.Separate, fill_type=contourpy.FillType.OuterOffset
    )
    polys: list[Polygon] = []
    for points, offsets in zip(*gen.filled(0.5, 2.0), strict=True):
        rings = [
            np.column_stack(
                (
                    x0_mm + (points[a:b, 0] - 1) * spacing_mm,
                    y0_mm + (points[a:b, 1] - 1) * spacing_mm,
                )
            )
            for a, b in itertools.pairwise(offsets)
        ]
        poly = Polygon(rings[0], [r for r in rings[1:] if len(r) >= 4])
        if not poly.is_valid:
            poly = poly.buffer(0)
        if poly.area >= min_area_mm2:
            polys.append(poly)
    merged = unary_union(polys) if polys else MultiPolygon()
    if isinstance(merged, Polygon):
        return MultiPolygon([merged])
    if isinstance(merged, MultiPolygon):
        return merged
    return MultiPolygon([g for g in getattr(merged, "geoms", []) if isinstance(g, Polygon)])
