"""``prepare``: clean a raw scan and put it into the foot frame, millimetres."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError, cKDTree

from shellgen._raster import largest_component
from shellgen._typing import BoolArray, FloatArray, IntArray
from shellgen.errors import ScanError
from shellgen.limits import (
    FLAT_SOLE_MIN,
    FOOT_LENGTH_RANGE_MM,
    MIN_POINTS,
    SUPPORT_ZONES,
    UNIT_TO_MM,
)
from shellgen.scan._frame import (
    Footprint,
    basis_from_up,
    best_up_raw,
    footprint,
    grid_cells,
    grid_coords,
    lowest_per_cell,
    medial_sign,
    refine_support,
    robust_extent,
    toe_sign,
    voxel_groups,
    voxel_representatives,
)
from shellgen.scan._model import Kind, RawScan, Scan, Side, Units

__all__ = ["prepare"]

log = logging.getLogger(__name__)

#: Scans with more points than this are first thinned to one point per voxel of
#: ``extent / DOWNSAMPLE_VOXELS`` (about 1.2 mm for a foot on a floor or in a foam block,
#: 0.9 mm without): the density of a 1 mm scan, at which the 1 mm analysis meets its
#: accuracy. Every later step then costs about the same for a 1 M- or a 5 M-point scan.
DOWNSAMPLE_ABOVE = 200_000
DOWNSAMPLE_VOXELS = 300.0
#: Strays off the surface are sought among one point per voxel of ``extent / STRAY_VOXELS``.
STRAY_VOXELS = 300.0
#: Points higher than this fraction of foot length are leg, not foot.
LEG_CROP = 0.36
#: A scan this flat (height over length) is a plantar scan, not a whole foot.
PLANTAR_MAX_HEIGHT_RATIO = 0.24
#: Plausible shape of a foot's footprint.
ELONGATION_RANGE = (1.8, 4.2)
HEEL_BALL_MAX_RATIO = 0.9
#: RANSAC counts each plane's inliers on about this many points.
RANSAC_SAMPLE = 4000
#: Most cells (a byte each) of the grid that screens points before the test for strays
#: floating off the surface; a cloud needing more has every point tested.
SCREEN_MAX_CELLS = 1 << 24


#: A foam block's cavity: the parts of the scan lying under holes in the block's top plane
#: (at least this share of their cells), on one side of it.
CAVITY_MIN_IN_HOLES = 0.8
#: How many of the largest planes are tried as a foam block's top: a block's six faces
#: (with a narrow margin of foam around the foot, its long walls outweigh its top).
BLOCK_PLANES = 6
#: A block's faces each hold at least this share of the scan's (thinned) points: with its
#: side walls and bottom in view, its top (the opening cut out of it) may hold under 15 %.
BLOCK_PLANE_MIN = 0.05
#: A floor around a standing foot holds at least this share of the (thinned) points.
FLOOR_MIN = 0.15
#: A foam block's opening covers at least this share of its top (holes included) ...
CAVITY_MIN_OPENING = 0.1
#: ... and at most this share: foam stands around it on every side (a plane cutting
#: through a foot, a ring around a hole, is no block's top).
CAVITY_MAX_OPENING = 0.75
#: At least this share of the points off a block's top, over it, lie on the cavity's side.
CAVITY_ONE_SIDE = 0.9
#: The foam around the opening is at least this many cells (of ``extent / 100``) wide.
FOAM_MIN_MARGIN_CELLS = 3
#: A cavity part smaller than this share of the largest is debris, not a toe pit.
CAVITY_MIN_PART = 0.003
#: Two bodies are two whole feet (refused) when the second has this share of the first's
#: points; a smaller one (a second foot or a hand partly in view) is dropped.
SECOND_BODY_MAX = 0.8
#: The toes are in the scan when the footprint's front (94-98 % of its length) is at most
#: this share of its widest; a foot cut short of its toes ends nearly as wide as its ball.
TOE_FRONT_MAX = 0.6


@dataclass(frozen=True, eq=False)
class _Surround:
    """A large plane around the object: the floor under a foot or a foam block's top.

    ``normal`` points from the plane toward the foot's sole side: up from a floor, and out
    of the foam (from the cavity toward the top) for a block. ``cavity`` marks the points
    of a block's impression (None for a floor).
    """

    normal: FloatArray
    offset: float
    cavity: BoolArray | None


def prepare(
    raw: RawScan,
    *,
    units: str | None = None,
    side: str = "auto",
    kind: str = "auto",
    length_mm: float | None = None,
) -> Scan:
    """Clean a scan and express it as a right foot in the foot frame, mm.

    Parameters
    ----------
    raw : RawScan
        The scan as loaded.
    units : {"mm", "cm", "m", "in"}, optional
        Scanner units; detected from the foot's size when None.
    side : {"auto", "left", "right"}
        The foot's side; detected from the arch, toes and ball line when "auto".
    kind : {"auto", "foot", "plantar", "impression"}
        What the scan shows; detected when "auto".
    length_mm : float, optional
        Known foot length, for scans with no true scale; overrides ``units``.

    Returns
    -------
    Scan
        Points in the foot frame: z = 0 the support plane, x from the rearmost heel point
        along the heel-centre to second-toe axis, +y medial; left feet mirrored.

    Raises
    ------
    ScanError
        When the options are invalid or the scan is not one usable foot.

    Examples
    --------
    >>> from shellgen.synth import synth_scan
    >>> from shellgen.scan import RawScan, ScanSource
    >>> s = synth_scan("foot", side="left", units="m", seed=3)
    >>> src = ScanSource("synthetic", "xyz", "", len(s.points), 0, 0)
    >>> scan = prepare(RawScan(s.points, None, len(s.points), src))
    >>> scan.side, scan.units, scan.kind
    ('left', 'm', 'foot')
    """
    name = raw.source.path
    _check_options(name, units, side, kind, length_mm)
    pts = raw.points
    extent = robust_extent(pts)
    if not np.isfinite(extent) or extent <= 0:
        raise ScanError(f"{name}: all points coincide; this is not a foot scan")
    thinned = None
    if len(pts) > DOWNSAMPLE_ABOVE:
        # Denser than the 1 mm analysis needs: one point per voxel of about 1 mm.
        thinned = extent / DOWNSAMPLE_VOXELS
        pts = pts[voxel_representatives(pts, thinned)]
    keep = _dense_clusters(pts, extent)
    n_outliers = int((~keep).sum())
    pts = pts[keep]
    _require_points(name, len(pts), "after removing outliers")

    surround = _find_surround(pts, extent, name)
    n_floor = 0
    if surround is None:
        keep = _near_surface(pts, extent / STRAY_VOXELS, thinned)
        n_outliers += int((~keep).sum())
        pts = pts[keep]
        _require_points(name, len(pts), "after removing outliers")
    elif surround.cavity is not None:
        if kind not in ("auto", "impression"):
            log.info("%s: a foam block was found, but --kind %s was given", name, kind)
        # The cavity's parts (main impression, toe pits) were chosen whole; strays near its
        # surface go now.
        n_floor = int((~surround.cavity).sum())
        pts = pts[surround.cavity]
        _require_points(name, len(pts), "after removing the foam block")
        keep = _near_surface(pts, robust_extent(pts) / STRAY_VOXELS, thinned)
        n_outliers += int((~keep).sum())
        pts = pts[keep]
    else:
        d = pts @ surround.normal - surround.offset
        thr = extent / 250.0
        # Strays and debris are found among the points above the floor, without it: the
        # floor would hide them, and would keep floor points under them as sole.
        above = np.flatnonzero(d > thr)
        clean = _dense_clusters(pts[above], robust_extent(pts[above]))
        clean[clean] = _near_surface(pts[above[clean]], extent / STRAY_VOXELS, thinned)
        foot = np.zeros(len(pts), dtype=bool)
        foot[above[clean]] = True
        body = _floor_mask(pts, surround.normal, foot, np.abs(d) <= thr)
        n_outliers += int((~clean).sum())
        n_floor = len(pts) - int(body.sum()) - int((~clean).sum())
        pts = pts[body]
    _require_points(name, len(pts), "after removing the floor or surround")
    if surround is None or surround.cavity is None:
        keep = _largest_object(pts, extent, name)
        n_outliers += int((~keep).sum())
        pts = pts[keep]

    ds = pts[voxel_representatives(pts, extent / 150.0)]
    if len(ds) > 12000:
        ds = ds[np.random.default_rng(0).choice(len(ds), 12000, replace=False)]
    cell = extent / 120.0
    if surround is not None and surround.cavity is None:
        # The floor the foot stands on is the support plane; a plane fitted to the sole's
        # low cells would lean toward the arch.
        up, offset = surround.normal, surround.offset
    else:
        up = surround.normal if surround is not None else best_up_raw(ds, extent)
        up, offset = refine_support(ds, up, cell, (extent / 35, extent / 60, extent / 90))

    # Provisional frame in scan units: height h, long axis a, across b.
    basis = basis_from_up(up)
    proj = pts @ basis.T
    h = proj[:, 2] - offset
    length_raw, frame, front = _axis_raw(proj[:, :2], h, cell)
    toes = front <= TOE_FRONT_MAX
    found_kind = _detect_kind(h, length_raw, surround)
    final_kind: Kind = found_kind if kind == "auto" else cast(Kind, kind)
    units_found, mm_per_unit, source = _scale(name, length_raw, units, length_mm, toes)

    # Foot frame in mm: rotate into (a, b, h), scale, crop the leg, refine the axis, set the
    # heel at x = 0; an unloaded sole is then set on the plane tangent under heel and ball.
    rot = np.vstack([frame[0] @ basis[:2], frame[1] @ basis[:2], basis[2]])
    forward = _affine(mm_per_unit * rot, np.array([0.0, 0.0, -offset * mm_per_unit]))
    p = _apply(forward, pts)
    crop = p[:, 2] <= LEG_CROP * length_raw * mm_per_unit
    n_leg = int((~crop).sum())
    p = p[crop]
    _require_points(name, len(p), "after cropping the leg")
    p, step = _refine_axis(p)
    forward = step @ forward
    tangent = _tangent_support(p, float(np.ptp(p[:, 0])))
    if tangent is not None:
        p = _apply(tangent, p)
        p, step = _refine_axis(p)
        forward = step @ tangent @ forward
    length = float(np.ptp(p[:, 0]))
    crop = p[:, 2] <= LEG_CROP * length
    n_leg += int((~crop).sum())
    p = p[crop]

    found_side = _detect_side(p, length)
    final_side: Side = found_side if side == "auto" else cast(Side, side)
    mirror = _affine(np.diag([1.0, -1.0, 1.0]) if final_side == "left" else np.eye(3))
    p = _apply(mirror, p)
    forward = mirror @ forward
    _check_foot_shape(name, p, length, toes)
    if not toes and length_mm is None:
        raise ScanError(
            f"{name}: the scan shows no toes (its front is {front:.0%} as wide as its widest, "
            f"a foot's toes taper to under {TOE_FRONT_MAX:.0%}), so the foot's length cannot be "
            "measured; give --length-mm (and --units if the scan has no true scale)"
        )
    return Scan(
        points=np.ascontiguousarray(p),
        side=final_side,
        kind=final_kind,
        kind_detected=kind == "auto",
        side_detected=side == "auto",
        units=units_found,
        units_source=source,
        mm_per_unit=mm_per_unit,
        to_scanner=np.asarray(np.linalg.inv(forward), dtype=np.float64),
        n_outliers_removed=n_outliers,
        n_floor_removed=n_floor,
        n_leg_removed=n_leg,
        source=raw.source,
        toes=bool(toes),
        given_length_mm=length_mm,
    )


def _affine(rot: FloatArray, shift: FloatArray | None = None) -> FloatArray:
    """(4, 4) homogeneous map ``p -> rot @ p + shift``."""
    out = np.eye(4)
    out[:3, :3] = rot
    if shift is not None:
        out[:3, 3] = shift
    return out


def _apply(transform: FloatArray, points: FloatArray) -> FloatArray:
    """``transform`` (4, 4) applied to (n, 3) points."""
    return np.asarray(points @ transform[:3, :3].T + transform[:3, 3])


def _check_options(
    name: str, units: str | None, side: str, kind: str, length_mm: float | None
) -> None:
    if units is not None and units not in UNIT_TO_MM:
        raise ScanError(f"{name}: unknown units {units!r}: use one of mm, cm, m, in")
    if side not in ("auto", "left", "right"):
        raise ScanError(f"{name}: unknown side {side!r}: use auto, left or right")
    if kind not in ("auto", "foot", "plantar", "impression"):
        raise ScanError(f"{name}: unknown kind {kind!r}: use auto, foot, plantar or impression")
    if length_mm is not None and not 50.0 <= length_mm <= 500.0:
        raise ScanError(f"{name}: --length-mm {length_mm} is not a foot length: give 50-500 mm")


def _require_points(name: str, n: int, when: str) -> None:
    if n < MIN_POINTS:
        raise ScanError(
            f"{name}: only {n} points are left {when}; a foot scan needs at least {MIN_POINTS}"
        )


def _dense_clusters(points: FloatArray, extent: float) -> BoolArray:
    """Points whose coarse voxel (``extent / 120``) belongs to a large cluster of voxels that
    each have at least three occupied neighbours: isolated strays and small debris go."""
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    (i, j, k), shape = grid_coords(points, extent / 120.0, pad=1)
    occupied = np.zeros(shape, dtype=np.uint8)
    occupied[i, j, k] = 1
    solid = (occupied > 0) & (_box_sum(occupied) >= 4)
    # Label only the box around the solid cells: strays make the grid several times larger.
    (i0, i1), (j0, j1), (k0, k1) = (
        _nonzero_span(np.asarray(solid.any(axis=other))) for other in ((1, 2), (0, 2), (0, 1))
    )
    labels, n = ndimage.label(solid[i0:i1, j0:j1, k0:k1], structure=np.ones((3, 3, 3)))
    if n == 0:
        return np.zeros(len(points), dtype=bool)
    inside = (i >= i0) & (i < i1) & (j >= j0) & (j < j1) & (k >= k0) & (k < k1)
    of_point = np.zeros(len(points), dtype=np.int64)
    of_point[inside] = labels[i[inside] - i0, j[inside] - j0, k[inside] - k0]
    sizes = np.bincount(of_point, minlength=n + 1)
    sizes[0] = 0
    big = sizes >= 0.02 * sizes.max()
    return np.asarray(big[of_point])


def _nonzero_span(flags: BoolArray) -> tuple[int, int]:
    """First and one past the last True of a 1D array ((0, 0) when none is)."""
    where = np.flatnonzero(flags)
    return (int(where[0]), int(where[-1]) + 1) if len(where) else (0, 0)


def _box_sum(grid: NDArray[np.integer[Any]]) -> NDArray[np.integer[Any]]:
    """Sum over the 3 x 3 (x 3) block around every cell of a grid (itself included), in
    the grid's dtype, as one running sum per axis; cells outside the grid count as zero."""
    total = grid
    for axis in range(grid.ndim):
        head = tuple(slice(1, None) if a == axis else slice(None) for a in range(grid.ndim))
        tail = tuple(slice(None, -1) if a == axis else slice(None) for a in range(grid.ndim))
        summed = total.copy()
        summed[head] += total[tail]
        summed[tail] += total[head]
        total = summed
    return total


def _near_surface(points: FloatArray, vox: float, thinned: float | None = None) -> BoolArray:
    """Points lying on the scanned surface, not floating just off it.

    A stray point a few millimetres off the skin shares its coarse voxel neighbourhood with
    the surface, but its nearest neighbours are several times further away than a surface
    point's. One representative per fine voxel (``vox``) is tested, and every point follows
    its voxel. A representative is a stray when

    - the mean distance to its 6 nearest representatives is above 3 times the median (over
      an even sample of at most about 4 000); those with six others in the 3 x 3 x 3 block
      of cells of side ``limit / (2 sqrt 3)`` around them pass without a query, as those six
      lie within ``limit``;
    - or, in a scan thinned to one point per voxel of edge ``thinned`` (None: not thinned),
      no other representative lies within two such voxels. A dense scan's surface holds a
      point in every voxel it crosses; the first test, scaled by the thinned spacing, lets
      strays 2.5 to 3.5 mm off the skin through, this one does not.
    """
    if len(points) < 10:
        return np.ones(len(points), dtype=bool)
    first, inverse = voxel_groups(points, vox)
    reps = points[first]
    if len(reps) < 10:
        return np.ones(len(points), dtype=bool)
    tree = cKDTree(reps, balanced_tree=False)  # the same answers, built in half the time
    sample = reps[:: max(1, len(reps) // 4000)]
    limit = 3.0 * float(np.median(tree.query(sample, k=7)[0][:, 1:].mean(axis=1)))
    check = _block_counts(reps, limit / (2.0 * np.sqrt(3.0))) < 7
    ok = np.ones(len(reps), dtype=bool)
    if check.any():
        spread = tree.query(reps[check], k=7)[0][:, 1:].mean(axis=1)
        ok[check] = spread <= limit
    if thinned is not None:
        reach = 2.0 * thinned
        ok &= tree.query(reps, k=2, distance_upper_bound=reach)[0][:, 1] <= reach
    return np.asarray(ok[inverse])


def _block_counts(points: FloatArray, cell: float) -> IntArray:
    """Points in the 3 x 3 x 3 block of cells of side ``cell`` around each point, itself
    included, counting at most 7 a cell; 0 for all when the grid would exceed
    ``SCREEN_MAX_CELLS`` cells."""
    span = np.ptp(points, axis=0)
    if not cell > 0 or np.prod(span / cell + 3.0) > SCREEN_MAX_CELLS:
        return np.zeros(len(points), dtype=np.int64)
    flat, shape = grid_cells(points, cell, pad=1)
    cells, count = np.unique(flat, return_counts=True)
    # Counts capped at 7 tell the same, and 27 of them fit in a byte.
    grid = np.zeros(int(np.prod(shape)), dtype=np.uint8)
    grid[cells] = np.minimum(count, 7)
    return _box_sum(grid.reshape(shape)).ravel()[flat].astype(np.int64)


def _ransac_plane(
    points: FloatArray, threshold: float, iterations: int = 400
) -> tuple[FloatArray, float, BoolArray]:
    """The plane with most inliers (seeded RANSAC, then a least-squares refit).

    Hypotheses are counted on an even sample of about ``RANSAC_SAMPLE`` points; the winner's
    inliers among all points are refitted.
    """
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(points), size=(iterations, 3))
    a, b, c = points[idx[:, 0]], points[idx[:, 1]], points[idx[:, 2]]
    normals = np.cross(b - a, c - a)
    norms = np.linalg.norm(normals, axis=1)
    ok = norms > 1e-12
    normals, a = normals[ok] / norms[ok, None], a[ok]
    offsets = np.einsum("ij,ij->i", normals, a)
    sample = points[:: max(1, len(points) // RANSAC_SAMPLE)]
    best_count, best = -1, 0
    for i in range(0, len(normals), 50):
        d = np.abs(sample @ normals[i : i + 50].T - offsets[i : i + 50])
        counts = (d < threshold).sum(axis=0)
        j = int(np.argmax(counts))
        if counts[j] > best_count:
            best_count, best = int(counts[j]), i + j
    n, off = normals[best], offsets[best]
    inl = np.abs(points @ n - off) < threshold
    q = points[inl]
    centroid = q.mean(axis=0)
    _, _, vt = np.linalg.svd(q - centroid, full_matrices=False)
    n = vt[2] if vt[2] @ n >= 0 else -vt[2]
    off = float(n @ centroid)
    return n, off, np.abs(points @ n - off) < threshold


def _covered_area(xy: FloatArray, cell: float) -> float:
    """Area of the cells of side ``cell`` that hold at least two points (strays ignored)."""
    keys = np.floor((xy - xy.min(axis=0)) / cell).astype(np.int64)
    _, counts = np.unique(keys[:, 0] * (keys[:, 1].max() + 1) + keys[:, 1], return_counts=True)
    return float((counts >= 2).sum()) * cell * cell


def _surrounds(plane_xy: FloatArray, body_xy: FloatArray, extent: float) -> bool:
    """Whether a plane reaches around a body on at least three sides and outsizes it.

    A floor or a foam box's top does; the flat contact patch of a sole, which lies inside
    the foot's own outline, does not.
    """
    p_lo, p_hi = np.percentile(plane_xy, [1, 99], axis=0)
    b_lo, b_hi = np.percentile(body_xy, [1, 99], axis=0)
    margin = extent / 40.0
    sides = int((b_lo - p_lo > margin).sum() + (p_hi - b_hi > margin).sum())
    cell = extent / 60.0
    return sides >= 3 and _covered_area(plane_xy, cell) >= _covered_area(body_xy, cell)


def _find_surround(points: FloatArray, extent: float, name: str) -> _Surround | None:
    """A dominant plane that reaches around the rest: a floor, or a foam block's top.

    A block's top has holes (the impression's opening, the toe pits) with the cavity under
    them, and the block's side walls and bottom outside them (:func:`_cavity`); a floor
    surrounds a foot that stands on it (:func:`_surrounds`).
    """
    ds = points[voxel_representatives(points, extent / 150.0)]
    n, off, inl = _ransac_plane(ds, extent / 250.0)
    if inl.mean() < BLOCK_PLANE_MIN:
        return None
    body = ~inl
    if body.sum() < 0.02 * len(ds):
        raise ScanError(
            f"{name}: the scan is a flat surface with nothing on it; scan the foot itself"
        )
    # A foam block's top, or one of its side walls, which can hold as many points as a
    # top whose middle is the opening: the block is sought on its largest planes.
    rest, plane = ds, (n, off, inl)
    for _ in range(BLOCK_PLANES):
        # A flat top first; a top that bows (foam, photogrammetry) if the plane finds none.
        found = _cavity(points, plane[0], plane[1], extent, bowed=False) or _cavity(
            points, plane[0], plane[1], extent, bowed=True
        )
        if found is not None:
            cavity, side = found
            # The sole side of a block is its top: the normal points out of the foam.
            return _Surround(-side * plane[0], -side * plane[1], cavity)
        rest = rest[~plane[2]]
        if len(rest) < 0.15 * len(ds):
            break
        plane = _ransac_plane(rest, extent / 250.0)
        if plane[2].sum() < BLOCK_PLANE_MIN * len(ds):
            break
    if inl.mean() < FLOOR_MIN:
        return None
    basis = basis_from_up(n)
    plane_xy = (ds[inl] @ basis.T)[:, :2]
    body_xy = (ds[body] @ basis.T)[:, :2]
    if not _surrounds(plane_xy, body_xy, extent):
        return None
    d = ds[body] @ n - off
    if (d > 0).mean() < 0.5:
        n, off = -n, -off
    return _Surround(n, off, None)


def _cavity(
    points: FloatArray, normal: FloatArray, offset: float, extent: float, *, bowed: bool
) -> tuple[BoolArray, float] | None:
    """The impression in a foam block whose top is the plane ``(normal, offset)``, or, when
    ``bowed``, the quadratic surface closest to it (:func:`_bowed_top_heights`).

    The top's inliers are rasterised in the plane (cells of ``extent / 100``); its holes,
    grown by two cells to take in the cavity's rim and walls that lean, are where the foot
    went in. The points off
    the plane are split into connected parts (voxels of ``extent / 120``); a part is the
    cavity's when at least ``CAVITY_MIN_IN_HOLES`` of its points lie over the holes. The
    block's side walls stand outside the holes and its bottom mostly under the top, so
    neither passes; nor does a foot standing on a floor, whose flattened sole is part of
    the plane.

    Returns
    -------
    (cavity, side) or None
        The cavity's points (the largest qualifying part of at least 1 % of the points off
        the plane, and the parts on its side of at least ``CAVITY_MIN_PART`` of its size:
        the toe pits) and the side of the plane it is on
        (+1 or -1 along ``normal``); None when the top's holes cover less than
        ``CAVITY_MIN_OPENING`` or more than ``CAVITY_MAX_OPENING`` of it, or no part
        qualifies.
    """
    thr = extent / 250.0
    uv = (points @ basis_from_up(normal).T)[:, :2]
    d = points @ normal - offset
    if bowed:
        d = _bowed_top_heights(uv, d, thr)
    on = np.abs(d) <= thr
    (ci, cj), shape = grid_coords(uv, extent / 100.0, pad=2)
    top = np.zeros(shape, dtype=bool)
    top[ci[on], cj[on]] = True
    # A block's top is one piece of foam around the opening: its largest part.
    top = largest_component(ndimage.binary_closing(top))
    filled = ndimage.binary_fill_holes(top)
    opening_cells = filled & ~top
    opening = float(opening_cells.sum()) / max(float(filled.sum()), 1.0)
    if not CAVITY_MIN_OPENING <= opening <= CAVITY_MAX_OPENING:
        return None
    # Foam stands around the opening on every side, not a rim one cell wide (a standing
    # sole's contact ring around its arch).
    inner = ndimage.binary_erosion(filled, iterations=FOAM_MIN_MARGIN_CELLS)
    if (opening_cells & ~inner).sum() > 0.02 * opening_cells.sum():
        return None
    holes = ndimage.binary_dilation(filled & ~top, iterations=2)
    off = np.flatnonzero(~on)
    (i, j, k), vshape = grid_coords(points[off], extent / 120.0, pad=1)
    occupied = np.zeros(vshape, dtype=bool)
    occupied[i, j, k] = True
    labels, n = ndimage.label(occupied, structure=np.ones((3, 3, 3)))
    part = labels[i, j, k]
    size = np.bincount(part, minlength=n + 1).astype(np.float64)
    in_holes = np.bincount(part, weights=holes[ci[off], cj[off]], minlength=n + 1)
    side = np.bincount(part, weights=np.sign(d[off]), minlength=n + 1)
    size[0] = 0.0
    ok = (size >= 0.01 * len(off)) & (in_holes >= CAVITY_MIN_IN_HOLES * np.maximum(size, 1.0))
    if not ok.any():
        return None
    main = int(np.argmax(np.where(ok, size, 0.0)))
    sign = 1.0 if side[main] > 0 else -1.0
    # Nothing stands on a block's top: what lies over it is on the cavity's side (the
    # cavity, the block's walls and bottom). A plane that slices a foot has foot on both.
    over = filled[ci[off], cj[off]]
    if (sign * d[off][over] > 0).mean() < CAVITY_ONE_SIDE:
        return None
    parts = (in_holes >= CAVITY_MIN_IN_HOLES * np.maximum(size, 1.0)) & (side * sign > 0)
    parts &= size >= CAVITY_MIN_PART * size[main]
    cavity = np.zeros(len(points), dtype=bool)
    cavity[off] = parts[part]
    return cavity, sign


def _bowed_top_heights(uv: FloatArray, d: FloatArray, tolerance: float) -> FloatArray:
    """Heights above a block's top when the top bows (foam, photogrammetry: a few mm over
    the block): ``d`` (heights above its plane) less a quadratic surface in the plane's
    coordinates ``uv``, fitted to the points within four times ``tolerance`` of the plane,
    then within twice and once ``tolerance`` of the last fit.

    A plane leaves a top bowed by more than its tolerance in pieces, and the opening no
    longer stands in one piece of foam.
    """
    out = d
    for band in (4.0, 2.0, 1.0):
        on = np.abs(out) <= band * tolerance
        if on.sum() < 50:
            return d
        u, v = uv[:, 0], uv[:, 1]
        terms = np.column_stack([np.ones_like(u), u, v, u * u, u * v, v * v])
        coef, *_ = np.linalg.lstsq(terms[on], d[on], rcond=None)
        out = d - terms @ coef
    return np.asarray(out)


def _floor_mask(
    points: FloatArray, normal: FloatArray, above: BoolArray, low: BoolArray
) -> BoolArray:
    """Keep the foot: the points standing above the floor, and the floor-level points under
    the foot.

    A floor-level point (``low``) belongs to the sole when, seen from above along
    ``normal``, it lies inside the silhouette of the points standing above the floor
    (``above``): their :func:`footprint` in cells of twice their median spacing, gaps
    closed and holes filled. Floor points just outside the foot's edge, which a test of
    distance to the nearest foot point kept, stay out.
    """
    uv = (points @ basis_from_up(normal).T)[:, :2]
    foot = uv[above]
    tree = cKDTree(foot, balanced_tree=False)  # the same answers, built in half the time
    spacing = float(np.median(tree.query(foot[:: max(1, len(foot) // 5000)], k=2)[0][:, 1]))
    keep = above.copy()
    keep[low] = _in_mask(footprint(foot, 2.0 * spacing), uv[low])
    return keep


def _largest_object(points: FloatArray, extent: float, name: str) -> BoolArray:
    """The points of the largest separate body (cells of ``extent / 50``).

    A smaller body beside it (a second foot or a hand partly in view) is dropped; two bodies
    of about the same size (``SECOND_BODY_MAX``) are two feet, which is refused.
    """
    flat, shape = grid_cells(points, extent / 50.0)
    grid = np.bincount(flat, minlength=int(np.prod(shape))).reshape(shape)
    labels, n = ndimage.label(grid > 0, structure=np.ones((3, 3, 3)))
    if n < 2:
        return np.ones(len(points), dtype=bool)
    sizes = np.bincount(labels.ravel(), weights=grid.ravel())
    sizes[0] = 0
    order = np.argsort(sizes)[::-1]
    if sizes[order[1]] > SECOND_BODY_MAX * sizes[order[0]]:
        raise ScanError(
            f"{name}: the scan holds two separate bodies of about the same size "
            f"({sizes[order[0]]:.0f} and {sizes[order[1]]:.0f} points; two feet?); "
            "scan or crop one foot per file"
        )
    return np.asarray(labels.ravel()[flat] == order[0])


def _axis_raw(ab: FloatArray, h: FloatArray, cell: float) -> tuple[float, FloatArray, float]:
    """Foot length (scan units), a 2D frame (rows a heel to toe, b across) and the front's
    width over the widest (:func:`_front_ratio`).

    Measured on the points below ``LEG_CROP`` of the length, which is found by repeating
    the measure: a leg, leaning back from a plantarflexed foot, would lengthen the foot.
    """
    low = np.ones(len(h), dtype=bool)
    for _ in range(5):
        fp = footprint(ab[low], cell)
        cells = fp.cells()
        c = cells - cells.mean(axis=0)
        _, _, vt = np.linalg.svd(c, full_matrices=False)
        a_axis = vt[0]
        along = cells @ a_axis
        length = float(np.ptp(along)) + cell
        lower = h <= LEG_CROP * length
        if lower.sum() < MIN_POINTS or np.array_equal(lower, low):
            break
        low = lower
    tall = h > 0.25 * length
    high = (ab[tall] @ a_axis) if tall.sum() >= 20 else None
    if h.max() < PLANTAR_MAX_HEIGHT_RATIO * length:
        high = None
    across = cells @ vt[1]
    sign = toe_sign(np.column_stack([along, across]), high)
    a_axis = sign * a_axis
    b_axis = np.array([-a_axis[1], a_axis[0]])
    return length, np.vstack([a_axis, b_axis]), _front_ratio(sign * along, across, length)


def _front_ratio(along: FloatArray, across: FloatArray, length: float) -> float:
    """Width of the footprint's front (94-98 % of its length) over its widest (2 % long
    slices): about 0.3-0.5 where the toes taper to the longest one, near 1 where the scan
    stops short of the toes."""
    x = (along - along.min()) / length
    bins = np.minimum((x * 50).astype(np.int64), 49)
    lo = np.full(50, np.inf)
    hi = np.full(50, -np.inf)
    np.minimum.at(lo, bins, across)
    np.maximum.at(hi, bins, across)
    width = np.where(np.isfinite(lo), hi - lo, 0.0)
    return float(width[47:49].mean() / max(width.max(), 1e-12))


def _detect_kind(h: FloatArray, length: float, surround: _Surround | None) -> Kind:
    if surround is not None and surround.cavity is not None:
        return "impression"
    height = float(np.percentile(h, 99.5))
    return "plantar" if height < PLANTAR_MAX_HEIGHT_RATIO * length else "foot"


def _scale(
    name: str,
    length_raw: float,
    units: str | None,
    length_mm: float | None,
    toes: bool,
) -> tuple[Units, float, Literal["detected", "given", "length"]]:
    """Units and mm per scan unit, and how they were found.

    With the toes in view, a known foot length (``length_mm``) gives the scale of a scan
    with none. Without them the scan's length is not the foot's: the scale comes from the
    units (given, or detected from what length there is), and ``prepare`` asks for the
    foot's length once the rest is known to be a foot.
    """
    lo, hi = FOOT_LENGTH_RANGE_MM
    fits = [u for u, k in UNIT_TO_MM.items() if lo <= length_raw * k <= hi]
    if length_mm is not None and toes:
        return cast(Units, fits[0] if len(fits) == 1 else "mm"), length_mm / length_raw, "length"
    if units is not None:
        k = UNIT_TO_MM[units]
        if not 0.5 * lo <= length_raw * k <= 1.5 * hi:
            raise ScanError(
                f"{name}: with --units {units} the foot would be {length_raw * k:.0f} mm long; "
                "check the units, or give --length-mm"
            )
        return cast(Units, units), k, "given"
    if len(fits) == 1:
        return cast(Units, fits[0]), UNIT_TO_MM[fits[0]], "detected"
    if not fits:
        raise ScanError(
            f"{name}: the foot is {length_raw:.4g} scan units long, which is no plausible foot "
            f"length ({lo:.0f}-{hi:.0f} mm) in mm, cm, m or in; give --units or --length-mm"
        )
    options = ", ".join(f"{length_raw * UNIT_TO_MM[u]:.0f} mm if {u}" for u in fits)
    raise ScanError(f"{name}: the units are ambiguous ({options}); give --units {'|'.join(fits)}")


def _refine_axis(p: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Turn about z so x runs from the heel centre to the forefoot centre; heel at x = 0.

    The heel centre is the centroid of the footprint between 5 % and 20 % of its length,
    the forefoot reference the centroid beyond 75 %, which lies on the second ray.

    Returns the points and the (4, 4) map applied to them.
    """
    rot_total = np.eye(3)
    for _ in range(3):
        length = float(np.ptp(p[:, 0]))
        foot = p[p[:, 2] < LEG_CROP * length]
        fp = footprint(foot[:, :2], 1.5)
        cells = fp.cells()
        x0 = cells[:, 0].min()
        rel = (cells[:, 0] - x0) / np.ptp(cells[:, 0])
        heel = cells[(rel >= 0.05) & (rel <= 0.20)].mean(axis=0)
        fore = cells[rel >= 0.75].mean(axis=0)
        d = fore - heel
        ang = np.arctan2(d[1], d[0])
        c, s = np.cos(-ang), np.sin(-ang)
        r = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        p = p @ r.T
        rot_total = r @ rot_total
    length = float(np.ptp(p[:, 0]))
    foot = p[p[:, 2] < LEG_CROP * length]
    fp = footprint(foot[:, :2], 1.0)
    cells = fp.cells()
    heel_y = cells[(cells[:, 0] - cells[:, 0].min()) < 0.2 * np.ptp(cells[:, 0])][:, 1].mean()
    # The rearmost heel point: the rearmost point of the foot itself (strays are outside
    # the footprint), not a cell centre, so that x = 0 does not snap to the raster.
    rear_x = float(foot[_in_mask(fp, foot[:, :2]), 0].min())
    shift = np.array([-rear_x, -heel_y, 0.0])
    return p + shift, _affine(rot_total, shift)


def _tangent_support(p: FloatArray, length: float) -> FloatArray | None:
    """The map that sets an unloaded sole on the plane tangent under its heel and ball.

    The sole's lowest heights on 2 mm cells (median of each 3 x 3 block, against noise) in
    the heel and ball zones (``SUPPORT_ZONES``) are the candidates: the
    support plane is the facet of their lower convex hull under the point between them at
    45 % of the length, the way a rigid foot would rest on the ground. A weight-bearing
    sole, whose flattened patch lies mostly within 1 mm of that plane (``FLAT_SOLE_MIN``),
    stands on the plane fitted to that patch instead: the coarse support search, in scan
    units and blind to which cells are contact, leaves it up to 1 mm high and tilted.

    Parameters
    ----------
    p : (n, 3) float
        The foot in its provisional frame, mm (heel at x = 0, z up).
    length : float
        Foot length, mm.

    Returns
    -------
    (4, 4) float or None
        Rotation and shift that put the support plane at z = 0; None when the zones hold
        too few cells to tell.
    """
    x = p[:, 0]
    zone = np.zeros(len(x), dtype=bool)
    for lo, hi in SUPPORT_ZONES:
        zone |= (x >= lo * length) & (x <= hi * length)
    q = p[zone]
    if len(q) < 50:
        return None
    centres, low, _ = lowest_per_cell(q[:, :2], q[:, 2], 2.0)
    ij = np.round((centres - centres.min(axis=0)) / 2.0).astype(np.int64)
    grid = np.full(tuple(ij.max(axis=0) + 1), np.inf)
    grid[ij[:, 0], ij[:, 1]] = low
    filtered = ndimage.median_filter(grid, size=3, mode="constant", cval=np.inf)
    z = filtered[ij[:, 0], ij[:, 1]]
    ok = np.isfinite(z)
    pts = np.column_stack([centres[ok], z[ok]])
    if len(pts) < 10:
        return None
    try:
        hull = ConvexHull(pts)
    except QhullError:
        return None
    query = np.array([0.45 * length, float(np.median(pts[:, 1]))])
    plane = None
    for simplex, eq in zip(hull.simplices, hull.equations, strict=True):
        if eq[2] > -0.5:
            continue
        tri = pts[simplex, :2]
        if _in_triangle(query, tri):
            plane = eq
            break
    if plane is None:
        return None
    # The facet's outward normal points down: up . p = plane[3] on it, and above it beyond.
    up = -plane[:3]
    height = pts @ up - plane[3]
    near3 = height <= 3.0
    offset = float(plane[3])
    if near3.sum() and (height <= 1.0).sum() >= FLAT_SOLE_MIN * near3.sum():
        # A weight-bearing sole: the plane of its flattened contact patch, fitted to the
        # cells that lie on it (within 1 mm, then 0.5 mm of the last fit).
        for band in (1.0, 0.5):
            on = height <= band
            if on.sum() < 10:
                break
            a = np.column_stack([pts[on, :2], np.ones(int(on.sum()))])
            coef, *_ = np.linalg.lstsq(a, pts[on, 2], rcond=None)
            up = np.array([-coef[0], -coef[1], 1.0]) / np.hypot(1.0, np.hypot(*coef[:2]))
            offset = float(coef[2] * up[2])
            height = pts @ up - offset
    return _affine(_rotation_onto_z(up), np.array([0.0, 0.0, -offset]))


def _in_triangle(q: FloatArray, tri: FloatArray) -> bool:
    """Whether the 2D point ``q`` lies in the triangle ``tri`` (3, 2), edges included."""
    a, b, c = tri
    m = np.column_stack([b - a, c - a])
    if abs(np.linalg.det(m)) < 1e-12:
        return False
    u, v = np.linalg.solve(m, q - a)
    return bool(u >= -1e-9 and v >= -1e-9 and u + v <= 1 + 1e-9)


def _rotation_onto_z(up: FloatArray) -> FloatArray:
    """The smallest rotation taking the unit vector ``up`` onto +z (Rodrigues)."""
    up = up / np.linalg.norm(up)
    axis = np.cross(up, [0.0, 0.0, 1.0])
    s, c = float(np.linalg.norm(axis)), float(up[2])
    if s < 1e-12:
        return np.eye(3)
    k = axis / s
    kx = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + s * kx + (1 - c) * kx @ kx


def _detect_side(p: FloatArray, length: float) -> Side:
    fp = footprint(p[:, :2], 2.0)
    centres, low, _ = lowest_per_cell(p[:, :2], p[:, 2], 2.0)
    inside = _in_mask(fp, centres)
    return "right" if medial_sign(centres[inside], low[inside], length) > 0 else "left"


def _in_mask(fp: Footprint, xy: FloatArray) -> BoolArray:
    cols = np.floor((xy[:, 0] - fp.a0) / fp.cell + 0.5).astype(int)
    rows = np.floor((xy[:, 1] - fp.b0) / fp.cell + 0.5).astype(int)
    ok = (rows >= 0) & (rows < fp.mask.shape[0]) & (cols >= 0) & (cols < fp.mask.shape[1])
    out = np.zeros(len(xy), dtype=bool)
    out[ok] = fp.mask[rows[ok], cols[ok]]
    return out


def _check_foot_shape(name: str, p: FloatArray, length: float, toes: bool) -> None:
    """Refuse what cannot be a foot, naming the measured property, its value and what to try.

    A foot's footprint is ``ELONGATION_RANGE`` times as long as its ball is wide (from 1.5
    when the toes are out of view), and its heel is narrower than its ball.
    """
    fp = footprint(p[:, :2], 1.5)
    cells = fp.cells()
    x = cells[:, 0] - cells[:, 0].min()

    def width(a: float, b: float) -> float:
        sel = cells[(x >= a * length) & (x <= b * length)]
        return float(np.ptp(sel[:, 1])) if len(sel) else 0.0

    ball = max(width(0.55, 0.85), 1e-9)
    heel = width(0.10, 0.22)
    elong = length / ball
    lo = ELONGATION_RANGE[0] if toes else 1.5
    hint = "if it is a foot, give --kind (foot, plantar or impression) and check --units"
    if not lo <= elong <= ELONGATION_RANGE[1]:
        raise ScanError(
            f"{name}: this does not look like a foot: its footprint is {elong:.1f} times as long "
            f"as wide (a foot is {lo}-{ELONGATION_RANGE[1]}); {hint}"
        )
    if heel / ball > HEEL_BALL_MAX_RATIO:
        raise ScanError(
            f"{name}: this does not look like a foot: its heel is {heel / ball:.0%} as wide as "
            f"its forefoot ({heel:.0f} vs {ball:.0f} mm; a foot's is under "
            f"{HEEL_BALL_MAX_RATIO:.0%}); {hint}"
        )
