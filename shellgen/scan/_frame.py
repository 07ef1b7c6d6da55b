"""Geometry of the foot frame: support plane, foot axis, heel, side.

Plain functions over point arrays. Functions whose name ends in ``_raw`` work in the
scan's own units and take their tolerances as fractions of the scan's size, because the
units are not known until the foot has been found and measured.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from shellgen._raster import foot_parts
from shellgen._typing import BoolArray, FloatArray, IntArray

__all__ = [
    "Footprint",
    "basis_from_up",
    "best_up_raw",
    "column_bounds",
    "footprint",
    "grid_cells",
    "grid_coords",
    "lowest_per_cell",
    "medial_sign",
    "refine_support",
    "robust_extent",
    "toe_sign",
    "voxel_groups",
    "voxel_representatives",
]


#: A cloud whose third principal spread is below this fraction of its first is a sheet.
SHEET_MAX_THICKNESS = 0.2
#: A direction whose lowest points reach this share of the cloud's spread along the same
#: line is as good a ground as any (:func:`_ground_reach`).
GROUND_REACH_FULL = 0.8
#: How many of the best-supported directions the reach reorders (of 600).
REACH_CANDIDATES = 60


def column_bounds(values: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Minimum and maximum of every column of an (n, d) array.

    Taken one column at a time: reducing a narrow C-ordered array over axis 0 is several
    times slower in NumPy.
    """
    lo = np.array([values[:, j].min() for j in range(values.shape[1])])
    hi = np.array([values[:, j].max() for j in range(values.shape[1])])
    return lo, hi


def robust_extent(points: FloatArray) -> float:
    """Size of a cloud: the widest 1st-99th percentile spread along its principal axes.

    Measured on an evenly strided sample of at most about 50 000 points.
    """
    sample = points[:: max(1, len(points) // 50000)]
    c = sample - np.array([np.median(sample[:, j]) for j in range(sample.shape[1])])
    _, _, vt = np.linalg.svd(c, full_matrices=False)
    proj = vt @ c.T  # one row per axis: the percentiles below run along contiguous rows
    lo, hi = np.percentile(proj, [1, 99], axis=1)
    return float(np.max(hi - lo))


def voxel_representatives(points: FloatArray, size: float) -> IntArray:
    """Index of one point per occupied voxel (the first in file order), sorted.

    Parameters
    ----------
    points : (n, 3) float
        Points in any units.
    size : float
        Voxel edge, same units.
    """
    packed, head, bits = _sorted_voxels(points, size)
    return np.sort(packed[head] & ((1 << bits) - 1))


def voxel_groups(points: FloatArray, size: float) -> tuple[IntArray, IntArray]:
    """The points grouped by voxel: each voxel's first point, and every point's voxel.

    Parameters
    ----------
    points : (n, 3) float
        Points in any units.
    size : float
        Voxel edge, same units.

    Returns
    -------
    first : (k,) int
        Index of the first point (in file order) of each occupied voxel, voxels in key order.
    inverse : (n,) int
        For every point, the position in ``first`` of its voxel.
    """
    packed, head, bits = _sorted_voxels(points, size)
    index = packed & ((1 << bits) - 1)
    inverse = np.empty(len(points), dtype=np.int64)
    inverse[index] = np.cumsum(head) - 1
    return index[head], inverse


def _sorted_voxels(points: FloatArray, size: float) -> tuple[IntArray, BoolArray, int]:
    """Voxel key and point index packed in one int64 (``key << bits | index``), sorted, with
    the head of each voxel's run marked. A plain sort of the packed pairs is several times
    cheaper than a stable argsort of the keys, and orders each run by file order."""
    flat, _ = grid_cells(points, size)
    bits = max(1, (len(points) - 1).bit_length())
    if int(flat.max()) >= 1 << (62 - bits):
        # Far outliers spread the keys too wide to pack: number the occupied voxels instead.
        flat = np.unique(flat, return_inverse=True)[1].ravel()
    packed = np.sort((flat << bits) | np.arange(len(points), dtype=np.int64))
    voxel = packed >> bits
    head = np.ones(len(packed), dtype=bool)
    head[1:] = voxel[1:] != voxel[:-1]
    return packed, head, bits


def grid_cells(points: FloatArray, size: float, pad: int = 0) -> tuple[IntArray, tuple[int, ...]]:
    """Cell of every point in a C-ordered grid of cubes (or squares) of edge ``size``.

    Parameters
    ----------
    points : (n, d) float
        Points in any units.
    size : float
        Cell edge, same units.
    pad : int
        Empty cells kept before the lowest and after the highest point along every axis.

    Returns
    -------
    flat : (n,) int
        Flat index of each point's cell.
    shape : tuple of int
        The grid's shape; the points' minimum lies in cell ``(pad, ..., pad)``.
    """
    cells, shape = grid_coords(points, size, pad)
    flat = cells[0]  # a fresh array, accumulated in place
    for c, n in zip(cells[1:], shape[1:], strict=True):
        flat *= n
        flat += c
    return flat, shape


def grid_coords(
    points: FloatArray, size: float, pad: int = 0
) -> tuple[list[IntArray], tuple[int, ...]]:
    """Cell index of every point along each axis of the grid of :func:`grid_cells`, and the
    grid's shape."""
    # Column by column: on an (n, 3) array this is several times faster than working on
    # whole rows (reductions over axis 0, (n, 3) temporaries); in place, as every new
    # temporary of a million points costs as much as the arithmetic in page faults.
    cells = []
    for j in range(points.shape[1]):
        column = points[:, j]
        offset = np.subtract(column, column.min())
        np.divide(offset, size, out=offset)
        # Truncation is the floor here: every coordinate minus the minimum is >= 0.
        index = offset.astype(np.int64)
        if pad:
            index += pad
        cells.append(index)
    shape = tuple(int(c.max()) + 1 + pad for c in cells)
    return cells, shape


def basis_from_up(up: FloatArray) -> FloatArray:
    """(3, 3) rows u, v, up: a right-handed orthonormal basis with ``up`` as third row."""
    x, y, z = (float(c) for c in up / np.linalg.norm(up))
    # u = helper x up with helper = e_x, or e_y when up is near e_x (written out: this runs
    # for every direction of the support search, where np.cross's overhead dominated).
    u = (0.0, -z, y) if abs(x) < 0.9 else (z, 0.0, -x)
    n = (u[0] ** 2 + u[1] ** 2 + u[2] ** 2) ** 0.5
    u = (u[0] / n, u[1] / n, u[2] / n)
    v = (y * u[2] - z * u[1], z * u[0] - x * u[2], x * u[1] - y * u[0])
    return np.array([u, v, (x, y, z)])


def lowest_per_cell(
    uv: FloatArray, h: FloatArray, cell: float
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Lowest height in each occupied cell of the (u, v) plane.

    Returns
    -------
    centres : (k, 2) float
        Cell centres.
    low : (k,) float
        Lowest ``h`` in each cell.
    which : (k,) int
        Index of the point that is lowest in each cell (the first in file order at a tie).
    """
    flat = _plane_cells(uv, cell)
    # Points grouped by cell, each cell's in file order (one sort of packed keys, several
    # times cheaper than a lexsort by cell and height); in each cell the first point at the
    # cell's lowest height is the one that a stable sort by height would put first.
    bits = max(1, (len(h) - 1).bit_length())
    if int(flat.max()) >= 1 << (62 - bits):
        flat = np.unique(flat, return_inverse=True)[1].ravel()  # too sparse to pack: renumber
    packed = np.sort((flat << bits) | np.arange(len(h), dtype=np.int64))
    index = packed & ((1 << bits) - 1)
    cell_of = packed >> bits
    starts = np.flatnonzero(np.r_[True, cell_of[1:] != cell_of[:-1]])
    heights = h[index]
    lowest = np.minimum.reduceat(heights, starts)
    at_lowest = np.flatnonzero(heights == np.repeat(lowest, np.diff(np.r_[starts, len(h)])))
    first = np.r_[True, cell_of[at_lowest[1:]] != cell_of[at_lowest[:-1]]]
    which = index[at_lowest[first]]
    return uv[which], h[which], which


def _plane_cells(uv: FloatArray, cell: float) -> IntArray:
    """Flat index of each point's cell in the grid of squares of side ``cell`` aligned
    with (u, v) = (0, 0), counted from the lowest occupied row and column."""
    a = np.floor(uv[:, 0] / cell).astype(np.int64)
    b = np.floor(uv[:, 1] / cell).astype(np.int64)
    a -= a.min()
    b -= b.min()
    return np.asarray(a * (int(b.max()) + 1) + b)


def _support_fraction(points: FloatArray, up: FloatArray, cell: float, tau: float) -> float:
    """Share of the silhouette seen along ``up`` whose lowest point is within ``tau`` of
    the supporting plane below the points. A foot standing on its sole scores high; seen
    from its side, its top or its ankle cut, far lower.

    A cell's lowest point is within ``tau`` exactly when the cell holds some point within
    ``tau``, so two occupancy counts give the share without finding any minimum.
    """
    basis = basis_from_up(up)
    proj = points @ basis.T
    h = proj[:, 2]
    k = max(1, len(h) // 1000)
    h = h - np.partition(h, k)[k]
    flat = _plane_cells(proj[:, :2], cell)
    occupied = np.count_nonzero(np.bincount(flat))
    supported = np.count_nonzero(np.bincount(flat[h < tau]))
    return supported / occupied


def _fibonacci_sphere(n: int) -> FloatArray:
    i = np.arange(n) + 0.5
    phi = np.arccos(1 - 2 * i / n)
    theta = np.pi * (1 + 5**0.5) * i
    return np.column_stack([np.cos(theta) * np.sin(phi), np.sin(theta) * np.sin(phi), np.cos(phi)])


def best_up_raw(points: FloatArray, extent: float) -> FloatArray:
    """The upward direction of a foot standing on its sole (scale-free search).

    A thin sheet (a plantar surface) is oriented by its normal. Anything else is searched:
    600 directions over the sphere are scored by :func:`_support_fraction` with a generous
    tolerance on a 4 000-point sample, and the best four refined on two finer cones with
    tighter tolerances on all the points. Tolerances are fractions of ``extent``.
    """
    cell, tau = extent / 60.0, extent / 35.0
    centred = points - points.mean(axis=0)
    _, sv, vt = np.linalg.svd(centred, full_matrices=False)
    if sv[2] < SHEET_MAX_THICKNESS * sv[0]:
        # A sheet (plantar scan): up is its normal, on the side its walls rise toward.
        return max((vt[2], -vt[2]), key=lambda d: _support_fraction(points, d, cell, tau))
    # Coarse: a generous tolerance keeps the score high within ~10 degrees of the truth,
    # so the sampled directions cannot step over it; then two finer cones.
    coarse = points[:: max(1, len(points) // 4000)]
    dirs = _fibonacci_sphere(600)
    scores = np.array([_support_fraction(coarse, d, cell, extent / 12.0) for d in dirs])
    # The reach reorders the best-supported directions (it costs a percentile each).
    best = np.argsort(scores)[::-1][:REACH_CANDIDATES]
    candidates = dirs[best[np.argsort(scores[best] * _ground_reach(coarse, dirs[best]))[::-1]]][:4]
    # The generous tolerance tells the sole's side; the tight ones of the refinement favour
    # flat patches (an ankle cut) over a rounded unloaded sole, so they only refine it.
    same_side = candidates @ candidates[0] > 0.5
    return _refine_up(points, candidates[same_side], cell, tau, extent)


def _ground_reach(points: FloatArray, dirs: FloatArray) -> FloatArray:
    """For each direction taken as up, how far its lowest tenth reaches along the ground:
    the 2nd-98th percentile spread of those points along their longest axis across ``up``,
    over the whole cloud's spread along the same axis, relative to ``GROUND_REACH_FULL``
    (1 at most).

    A foot on its sole, standing or not, touches the ground from heel to ball, most of the
    length of its silhouette; upside down on an ankle cut or its dorsum, or on its heel or
    toes, the same silhouette touches over a short stretch. An unloaded foot's rounded sole
    can have a lower support score than a flat ankle cut, not a longer reach. The whole
    cloud's spread is taken along the same axis so that a leg, rising above the foot, does
    not change it.
    """
    h = points @ dirs.T  # (n, k)
    lo, hi = np.percentile(h, [0.5, 99.5], axis=0)
    low = h <= lo + 0.1 * (hi - lo)
    reach = np.zeros(len(dirs))
    for k, d in enumerate(dirs):
        band = points[low[:, k]]
        if len(band) <= 10:
            continue
        plane = basis_from_up(d)[:2]
        flat = band @ plane.T
        flat -= flat.mean(axis=0)
        axis = np.linalg.svd(flat, full_matrices=False)[2][0] @ plane
        spread = np.ptp(np.percentile(points @ axis, [2, 98]))
        reach[k] = np.ptp(np.percentile(band @ axis, [2, 98])) / max(float(spread), 1e-12)
    return np.asarray(np.minimum(reach / GROUND_REACH_FULL, 1.0))


def _refine_up(
    points: FloatArray, candidates: FloatArray, cell: float, tau: float, extent: float
) -> FloatArray:
    """The best of ``candidates`` refined on two finer cones of support scores, each weighed
    by its :func:`_ground_reach`."""
    sample = points[:: max(1, len(points) // 4000)]
    for half_angle_deg, n, tol in ((10.0, 100, tau), (3.0, 40, extent / 60.0)):
        refined = []
        for d in candidates:
            cone = _cap(d, half_angle_deg, n)
            s = np.array([_support_fraction(points, c, cell, tol) for c in cone])
            k = int(np.argmax(s))
            reach = float(_ground_reach(sample, cone[k : k + 1])[0])
            refined.append((float(s[k]) * reach, k, cone[k]))
        refined.sort(key=lambda r: (-r[0], r[1]))
        candidates = np.array([r[2] for r in refined[:2]])
    return np.asarray(candidates[0])


def _cap(axis: FloatArray, half_angle_deg: float, n: int) -> FloatArray:
    """``n`` directions spread over the cap of ``half_angle_deg`` around ``axis`` (included)."""
    i = np.arange(n) + 0.5
    cos_t = 1 - (1 - np.cos(np.radians(half_angle_deg))) * i / n
    sin_t = np.sqrt(1 - cos_t**2)
    phi = np.pi * (1 + 5**0.5) * i
    local = np.column_stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t])
    return np.vstack([axis, local @ basis_from_up(axis)])


def refine_support(
    points: FloatArray, up: FloatArray, cell: float, taus: tuple[float, ...]
) -> tuple[FloatArray, float]:
    """Fit the support plane to the sole's low cells; return its up normal and offset.

    Each pass takes the lowest point of every (u, v) cell, keeps the cells within ``tau``
    of the current plane and fits a plane to them by least squares.

    Returns
    -------
    up : (3,) float
        Unit normal of the support plane, pointing into the foot.
    offset : float
        ``points @ up - offset`` is the height above the plane.
    """
    offset = 0.0
    for tau in taus:
        basis = basis_from_up(up)
        proj = points @ basis.T
        base = np.percentile(proj[:, 2], 0.1)
        _, low, which = lowest_per_cell(proj[:, :2], proj[:, 2] - base, cell)
        near = low < tau
        if near.sum() < 10:
            break
        q = proj[which[near]]
        a = np.column_stack([q[:, 0], q[:, 1], np.ones(near.sum())])
        coef, *_ = np.linalg.lstsq(a, q[:, 2], rcond=None)
        normal = np.array([-coef[0], -coef[1], 1.0])
        normal /= np.linalg.norm(normal)
        up = normal @ basis
        offset = float(coef[2] * normal[2])
    return up / np.linalg.norm(up), offset


@dataclass(frozen=True, eq=False)
class Footprint:
    """The foot's silhouette seen from above, rasterised in an (a, b) plane frame.

    Attributes
    ----------
    mask : (nb, na) bool
        Occupied cells after closing and hole filling, largest component.
    a0, b0, cell : float
        Coordinates of cell ``[0, 0]`` and the cell size.
    """

    mask: BoolArray
    a0: float
    b0: float
    cell: float

    def cells(self) -> FloatArray:
        """(k, 2) float: centres of the occupied cells."""
        rows, cols = np.nonzero(self.mask)
        return np.column_stack([self.a0 + cols * self.cell, self.b0 + rows * self.cell])


def footprint(ab: FloatArray, cell: float) -> Footprint:
    """Rasterise 2D points into a silhouette: closed by 2 cells, holes filled, spurs opened
    away, the largest part kept with the separate toes beside it (:func:`foot_parts`)."""
    lo, hi = column_bounds(ab)
    a0, b0 = lo - 3 * cell
    na, nb = (np.ceil((hi - lo) / cell) + 7).astype(int)
    cols = np.floor((ab[:, 0] - a0) / cell + 0.5).astype(int)
    rows = np.floor((ab[:, 1] - b0) / cell + 0.5).astype(int)
    mask = np.zeros((nb, na), dtype=bool)
    mask[rows, cols] = True
    mask = ndimage.binary_closing(mask, iterations=2)
    mask = ndimage.binary_fill_holes(mask)
    # An opening cuts off spurs one cell wide: stray points that the closing attached.
    mask = ndimage.binary_opening(mask)
    return Footprint(foot_parts(mask), float(a0), float(b0), cell)


def _widths(cells: FloatArray, length: float, lo: float, a: float, b: float) -> float:
    """Mean width (spread of the second coordinate) of slices between fractions a and b."""
    sel = cells[(cells[:, 0] >= lo + a * length) & (cells[:, 0] <= lo + b * length)]
    if len(sel) == 0:
        return 0.0
    bins = np.floor((sel[:, 0] - lo) / (length / 100.0)).astype(np.int64)
    order = np.argsort(bins, kind="stable")
    bins, ys = bins[order], sel[order, 1]
    starts = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
    return float(np.mean(np.maximum.reduceat(ys, starts) - np.minimum.reduceat(ys, starts)))


def toe_sign(cells: FloatArray, high: FloatArray | None) -> float:
    """+1 if the toes point toward +a (first coordinate), else -1.

    The forefoot is wider than the heel; and for a full foot, what stands high (ankle, leg)
    stands over the rear half.

    Parameters
    ----------
    cells : (k, 2) float
        Footprint cell centres, a along the foot's long axis.
    high : (m,) float or None
        a-coordinates of points standing high above the sole (None for a plantar scan).
    """
    lo, hi = cells[:, 0].min(), cells[:, 0].max()
    length = hi - lo
    rear = _widths(cells, length, lo, 0.05, 0.25)
    front = _widths(cells, length, lo, 0.60, 0.80)
    vote = (front - rear) / max(front + rear, 1e-9)
    if high is not None and len(high) >= 20:
        vote += 2.0 * (0.5 - (np.median(high) - lo) / length)
    return 1.0 if vote >= 0 else -1.0


def medial_sign(cells: FloatArray, low: FloatArray, length_mm: float) -> float:
    """+1 if the medial side (arch, big toe, first metatarsal head) is toward +y.

    Three cues, each scaled to about 1 for a typical foot and summed: the midfoot sole
    stands higher on the medial side (the arch); the toe tip lies medial of the axis; the
    medial ball edge (MTH1) lies further forward than the lateral one (MTH5).

    Parameters
    ----------
    cells : (k, 2) float
        Footprint cell centres in a frame with x along the axis from the heel (x = 0), mm.
    low : (k,) float
        Height of the sole above the support plane in each cell, mm.
    length_mm : float
        Foot length, mm.
    """
    x, y = cells[:, 0], cells[:, 1]
    mid = (x > 0.35 * length_mm) & (x < 0.6 * length_mm)
    arch = 0.0
    if mid.any():
        med, lat = mid & (y > 0), mid & (y < 0)
        if med.any() and lat.any():
            arch = (np.percentile(low[med], 75) - np.percentile(low[lat], 75)) / 4.0
    front = x > 0.92 * length_mm
    toe = float(np.mean(y[front])) / 6.0 if front.any() else 0.0
    fore = (x > 0.55 * length_mm) & (x < 0.85 * length_mm)
    ball = 0.0
    if fore.any():
        xf, yf = x[fore], y[fore]
        x_med = np.mean(xf[yf >= np.percentile(yf, 97)])
        x_lat = np.mean(xf[yf <= np.percentile(yf, 3)])
        ball = float(x_med - x_lat) / 12.0
    return 1.0 if arch + toe + ball >= 0 else -1.0
