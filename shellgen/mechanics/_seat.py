"""Where a shell rests: the flat beds under its underside (foot frame, mm).

A shell on a flat insole rests where its underside touches z = 0. A posted shell does not:
its rearfoot post tilts the heel seat's underside by the post angle (the posted plane,
:meth:`shellgen.shell._surfaces.Surfaces.post_floor`), and on a flat plate it would touch
along its low edge only: a line support, whose stress grows without bound as the mesh is
refined. In a shoe the post is what the heel stands on: the lab grinds it, or fits a wedge
under it, to sit flat. So the mechanics rests a shell on its *beds*, one on each side of
the load (behind it the heel seat, ahead of it the forefoot): of the planes of that side's
lower convex envelope within :data:`BED_TILT_MAX_DEG` of level, the one that carries the
most of it (at least :data:`BED_MIN_NODES` nodes). A node rests where it lies within the
seat tolerance of its bed: the plate z = 0 for an unposted shell, so nothing changes there.
A side without a bed rests where it touches z = 0. (The envelope of the whole underside at
once would bridge from the heel's back edge to the forefoot, under a seat tilted sideways.)

The lower convex envelope is taken from scipy's ``ConvexHull`` (Qhull) of the underside's
vertices; the facets are grouped into planes here (Qhull splits one plane into many
triangles), which no library does for us.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from shellgen._typing import BoolArray, FloatArray

__all__ = [
    "BED_MIN_NODES",
    "BED_TILT_MAX_DEG",
    "PLATE_PREFERENCE",
    "bed_heights_mm",
    "resting_nodes",
]

#: Steepest bed, degrees from level: above the steepest post a lab orders (10 degrees) and
#: well below the heel cup's and flanges' walls, whose envelope facets must not hold them.
BED_TILT_MAX_DEG = 12.0
#: Fewest underside nodes a plane must carry to be a bed: a plane through a handful of
#: nodes is a line or point contact, not a place the shell stands on.
BED_MIN_NODES = 12
#: A tilted plane is the bed rather than the plate z = 0 only if it carries this many times
#: the plate's nodes: a posted seat carries its whole area where the plate holds its low
#: edge, while a plane tilted a tenth of a degree off a flat forefoot also sweeps up the
#: first millimetres of the rise beyond it and would otherwise win by a few nodes.
PLATE_PREFERENCE = 2.0
#: Two envelope facets lie in one plane when their normals differ by less than this
#: (radians) and each one's plane passes within the seat tolerance of the other's centroid.
_SAME_PLANE_RAD = math.radians(0.25)


def resting_nodes(
    points_mm: FloatArray, bottom_mm: FloatArray, seat_mm: float, load_x_mm: float
) -> BoolArray:
    """Which underside nodes rest on a bed (module docstring).

    Parameters
    ----------
    points_mm : (n, 2) float
        Plan positions (x, y), foot frame, mm.
    bottom_mm : (n,) float
        Height of the underside at each, mm.
    seat_mm : float
        A node within this height of a bed rests on it, mm (a rounding tolerance).
    load_x_mm : float
        x of the load (the arch apex): beds are sought behind it and ahead of it apart.

    Returns
    -------
    (n,) bool
        True where the node rests (on a side without a bed: where it touches z = 0).
    """
    bed = bed_heights_mm(points_mm, bottom_mm, seat_mm, load_x_mm, points_mm)
    return np.asarray(bottom_mm - bed <= seat_mm)


def bed_heights_mm(
    points_mm: FloatArray,
    bottom_mm: FloatArray,
    seat_mm: float,
    load_x_mm: float,
    query_mm: FloatArray,
) -> FloatArray:
    """Height of the bed under each query point, mm: the plane of the bed on its side of
    the load, or the plate z = 0 on a side without one (a three-quarter shell behind a heel
    lift touches the plate along its distal edge only: a line, which the plate holds).

    Parameters
    ----------
    points_mm, bottom_mm, seat_mm, load_x_mm
        The underside's plan vertices and heights, as :func:`resting_nodes`.
    query_mm : (k, 2) float
        Plan positions asked about (a quadratic element's underside nodes), mm.
    """
    heights = np.full(len(query_mm), np.nan)
    sides = (points_mm[:, 0] < load_x_mm, points_mm[:, 0] >= load_x_mm)
    asked = (query_mm[:, 0] < load_x_mm, query_mm[:, 0] >= load_x_mm)
    for side, here in zip(sides, asked, strict=True):
        a, b, c = _bed_plane(points_mm[side], bottom_mm[side], seat_mm) or (0.0, 0.0, 0.0)
        heights[here] = a * query_mm[here, 0] + b * query_mm[here, 1] + c
    return heights


def _bed_plane(
    points_mm: FloatArray, bottom_mm: FloatArray, seat_mm: float
) -> tuple[float, float, float] | None:
    """The bed of these underside nodes as ``z = a x + b y + c`` (mm), or None (the plate):
    of the planes of their lower convex envelope within :data:`BED_TILT_MAX_DEG` of level,
    the one with the most nodes within ``seat_mm`` of it (a ramp's narrow strip of facets,
    as steep as a post, carries far fewer than the seat), if it has :data:`BED_MIN_NODES`
    and :data:`PLATE_PREFERENCE` times as many as the plate z = 0."""
    if len(points_mm) < BED_MIN_NODES:
        return None
    cloud = np.column_stack([points_mm, bottom_mm])
    try:
        hull = ConvexHull(cloud)
    except QhullError:  # all in one plane: a flat plate
        return _plane_of(cloud)
    normals, offsets = hull.equations[:, :3], hull.equations[:, 3]
    level = normals[:, 2] < -math.cos(math.radians(BED_TILT_MAX_DEG))
    taken = np.zeros(len(normals), dtype=bool)
    centre = cloud[hull.simplices].mean(axis=1)
    on_plate = int((bottom_mm <= seat_mm).sum())
    best, carried = None, BED_MIN_NODES - 1
    for f in np.flatnonzero(level):
        if taken[f]:
            continue
        taken |= (
            level
            & (np.arccos(np.clip(normals @ normals[f], -1.0, 1.0)) < _SAME_PLANE_RAD)
            & (np.abs(centre @ normals[f] + offsets[f]) <= seat_mm)
        )
        on = int(((cloud @ normals[f] + offsets[f]) / normals[f, 2] <= seat_mm).sum())
        if on > max(carried, PLATE_PREFERENCE * on_plate):
            (nx, ny, nz), d = normals[f], offsets[f]
            best, carried = (-nx / nz, -ny / nz, -d / nz), on
    return best


def _plane_of(cloud: FloatArray) -> tuple[float, float, float]:
    """Least-squares plane ``z = a x + b y + c`` through coplanar points, mm."""
    design = np.column_stack([cloud[:, 0], cloud[:, 1], np.ones(len(cloud))])
    (a, b, c), *_ = np.linalg.lstsq(design, cloud[:, 2], rcond=None)
    return float(a), float(b), float(c)
