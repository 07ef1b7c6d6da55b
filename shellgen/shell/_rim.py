"""Where points lie relative to the outline's rim and the plantar region's edge (mm).

The heel cup and flanges rise between the plantar edge and the rim; the top surface needs,
at every point, the distance in from the rim and the offset beyond the plantar edge, with
their directions (so that they can be moved with a point to first order) and the support
height along the edge.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import Polygon

from shellgen._typing import BoolArray, FloatArray, IntArray
from shellgen.analysis import Foot
from shellgen.shell._mesh2d import resample_even
from shellgen.shell._outline import largest_polygon, outward_normals
from shellgen.shell._support import Support

__all__ = ["RIM_REACH_MM", "RimFrame", "RimLookup", "RimPoints"]

#: Samples (1 mm apart) over which the support along the plantar edge is averaged, so the
#: flange rim height follows it without steps where the nearest edge point jumps.
EDGE_SMOOTHING = 15
#: Nearest plantar-edge points, and the distance scale (beyond the nearest) over which
#: their support heights are blended for the rim height (mm). 24 samples (mm of edge), so
#: that where the edge notches (a steep arch) a rim point blends both sides of the notch:
#: with 8, all on the notch's nearer side, the flange stepped 4.5 mm within 2 mm (my-feet
#: left scan, x = 127 mm).
EDGE_NEIGHBOURS = 24
EDGE_BLEND_MM = 4.0
#: Distance in from the rim beyond which nothing depends on it (cup fade, bands, rounding
#: all end before), mm.
RIM_REACH_MM = 25.0


@dataclass(frozen=True, eq=False)
class RimFrame:
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

    @classmethod
    def stacked(cls, frames: list[RimFrame]) -> RimFrame:
        """The look-ups of several point sets, one after the other."""
        return cls(
            np.concatenate([f.rim_mm for f in frames]),
            np.concatenate([f.away for f in frames]),
            np.concatenate([f.edge_offset_mm for f in frames]),
            np.concatenate([f.edge_normal for f in frames]),
            np.concatenate([f.edge_support for f in frames]),
        )

    def subset(self, mask: BoolArray) -> RimFrame:
        """The look-up of the points selected by ``mask``."""
        return RimFrame(
            self.rim_mm[mask],
            self.away[mask],
            self.edge_offset_mm[mask],
            self.edge_normal[mask],
            self.edge_support[mask],
        )

    def moved(self, shift: FloatArray) -> RimFrame:
        """The same look-up for the points moved by ``shift`` ((n, 2), mm), to first order."""
        return replace(
            self,
            rim_mm=self.rim_mm + np.einsum("ij,ij->i", self.away, shift),
            edge_offset_mm=self.edge_offset_mm + np.einsum("ij,ij->i", self.edge_normal, shift),
        )


@dataclass(frozen=True, eq=False)
class RimPoints:
    """Where fixed points lie relative to the rim and the plantar edge, before any heights.

    Everything of a :class:`RimFrame` that is geometry of the outline and the plantar edge,
    with the nearest edge points and their blending weights, so that the frame for a given
    support along the edge costs one weighted sum (see :meth:`frame`).

    Attributes
    ----------
    rim_mm, away, edge_offset_mm, edge_normal
        As in :class:`RimFrame`.
    edge_index : (n, EDGE_NEIGHBOURS) int
        The nearest plantar-edge samples (0 far from the rim, where the weights are 0).
    edge_weight : (n, EDGE_NEIGHBOURS) float
        Their blending weights, summing to 1 within ``RIM_REACH_MM`` of the rim, else 0.
    """

    rim_mm: FloatArray
    away: FloatArray
    edge_offset_mm: FloatArray
    edge_normal: FloatArray
    edge_index: IntArray
    edge_weight: FloatArray

    def frame(self, edge_support: FloatArray) -> RimFrame:
        """The rim frame of these points for the support heights along the plantar edge (mm)."""
        support = np.einsum("ij,ij->i", self.edge_weight, edge_support[self.edge_index])
        return RimFrame(self.rim_mm, self.away, self.edge_offset_mm, self.edge_normal, support)


@dataclass(frozen=True, eq=False)
class RimLookup:
    """The outline's rim and the plantar edge, sampled 1 mm apart, ready for look-ups.

    Attributes
    ----------
    rim_tree, rim_points
        The outline's exterior (without closing repeat) and its tree.
    edge_tree, edge_points, edge_normals
        The plantar region's exterior (counter-clockwise): points, tree, outward normals.
    """

    rim_tree: cKDTree
    rim_points: FloatArray
    edge_tree: cKDTree
    edge_points: FloatArray
    edge_normals: FloatArray

    @classmethod
    def make(cls, outer: Polygon, foot: Foot) -> RimLookup:
        """The look-up of an outline's rim and of the foot's plantar edge."""
        rim = resample_even(np.asarray(outer.exterior.coords), 1.0)
        plantar = shapely.orient_polygons(largest_polygon(foot.plantar_region, "plantar region"))
        edge = resample_even(np.asarray(plantar.exterior.coords), 1.0)
        return cls(
            rim_tree=cKDTree(rim),
            rim_points=rim,
            edge_tree=cKDTree(edge),
            edge_points=edge,
            edge_normals=outward_normals(edge),
        )

    def edge_support(self, support: Support) -> FloatArray:
        """Support height along the plantar edge, averaged over ``EDGE_SMOOTHING`` mm."""
        edge = self.edge_points
        return _ring_average(support.at(edge[:, 0], edge[:, 1]), EDGE_SMOOTHING)

    def points(self, points: FloatArray) -> RimPoints:
        """Distances to the outline's rim and to the plantar edge at points ((n, 2), mm)."""
        rim_mm, away = _distance_to_ring(self.rim_tree, self.rim_points, points, RIM_REACH_MM)
        n = len(points)
        offset = np.full(n, -2.0 * RIM_REACH_MM)
        normal = np.zeros((n, 2))
        index = np.zeros((n, EDGE_NEIGHBOURS), dtype=np.int64)
        weight = np.zeros((n, EDGE_NEIGHBOURS))
        near = rim_mm < RIM_REACH_MM  # farther in, nothing uses the plantar edge
        dist, idx = self.edge_tree.query(points[near], k=EDGE_NEIGHBOURS)
        normal[near] = self.edge_normals[idx[:, 0]]
        offset[near] = np.einsum(
            "ij,ij->i", points[near] - self.edge_points[idx[:, 0]], normal[near]
        )
        # the support along the edge, weighted over the nearest edge points within a few mm:
        # where the edge steps (a steep arch) the rim height blends instead of jumping
        w = np.exp(-0.5 * ((dist - dist[:, :1]) / EDGE_BLEND_MM) ** 2)
        weight[near] = w / w.sum(axis=1, keepdims=True)
        index[near] = np.minimum(idx, len(self.edge_points) - 1)
        return RimPoints(rim_mm, away, offset, normal, index, weight)


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
