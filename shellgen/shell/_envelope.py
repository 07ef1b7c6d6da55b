"""The ball envelope under the top surface: where the underside may be, given the thickness.

The pairs of mesh points close enough to matter depend on the plan only (up to
``NEIGHBOUR_REACH_MM`` apart, enough for every shell up to that thick), so a plan keeps them
and a rebuild only weighs them against the new heights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from shellgen._typing import FloatArray, IntArray

__all__ = ["NEIGHBOUR_REACH_MM", "Neighbours", "ball_envelope"]

#: Pairs of points up to this far apart are kept with a plan: the ball envelope of shells up
#: to this thick needs no other (a thicker shell finds its own), mm.
NEIGHBOUR_REACH_MM = 6.0


@dataclass(frozen=True, eq=False)
class Neighbours:
    """Every ordered pair (i, j) of distinct points less than ``reach_mm`` apart, by i.

    Attributes
    ----------
    reach_mm : float
        The largest distance kept, mm.
    i, j : (k,) int
        The pairs, sorted by ``i`` (each unordered pair appears both ways).
    gap2_mm2 : (k,) float
        Squared distance of each pair, mm^2.
    owners : (g,) int
        The distinct values of ``i``, in order.
    starts : (g,) int
        Where each owner's run of pairs starts.
    """

    reach_mm: float
    i: IntArray
    j: IntArray
    gap2_mm2: FloatArray
    owners: IntArray
    starts: IntArray

    @classmethod
    def of(cls, points: FloatArray, reach_mm: float) -> Neighbours:
        """The pairs of ``points`` ((n, 2), mm) less than ``reach_mm`` apart."""
        pairs = cKDTree(points).query_pairs(reach_mm, output_type="ndarray")
        i = np.concatenate([pairs[:, 0], pairs[:, 1]]).astype(np.int64)
        j = np.concatenate([pairs[:, 1], pairs[:, 0]]).astype(np.int64)
        order = np.argsort(i, kind="stable")
        i, j = i[order], j[order]
        owners, starts = np.unique(i, return_index=True)
        gap2 = np.sum((points[i] - points[j]) ** 2, axis=1)
        return cls(reach_mm, i, j, gap2, owners.astype(np.int64), starts.astype(np.int64))


def ball_envelope(
    points: FloatArray, top: FloatArray, t_mm: FloatArray, neighbours: Neighbours
) -> FloatArray:
    """Highest underside at each point that keeps every top sample at least ``t`` away.

    The lower envelope of balls of radius ``t`` (the thickness at the point) centred on the
    top surface sampled at the same points: ``min_q top(q) - sqrt(t^2 - |p - q|^2)`` over
    the points ``q`` within ``t``. On a smooth plate it lies just below the normal offset;
    on a crest tighter than the thickness it is the rounded underside a real offset has.

    Parameters
    ----------
    points : (n, 2) float
        Points, mm.
    top : (n,) float
        Top surface height at the points, mm.
    t_mm : (n,) float
        Thickness at the points, mm.
    neighbours : Neighbours
        The pairs of ``points`` within some reach; when the thickness exceeds it, the pairs
        within the thickness are found here instead.
    """
    reach = float(t_mm.max())
    if reach > neighbours.reach_mm:
        neighbours = Neighbours.of(points, reach)
    i, j = neighbours.i, neighbours.j
    t2 = t_mm[i] ** 2
    near = neighbours.gap2_mm2 < t2
    below = np.where(near, top[j] - np.sqrt(np.where(near, t2 - neighbours.gap2_mm2, 0.0)), np.inf)
    envelope = top - t_mm
    if len(i):
        lowest = np.minimum.reduceat(below, neighbours.starts)
        owners = neighbours.owners
        envelope[owners] = np.minimum(envelope[owners], lowest)
    return envelope
