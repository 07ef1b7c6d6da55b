"""A foam-box impression of the exact foot, as clinics scan it.

The foot is pressed into a rectangular foam block, heel deepest: a rigid motion of the foot
(tilted by ``tilt_deg`` so the toes go in less deep, then lowered until the heel pad is
``depth_mm`` below the block's top). What stays below the top is the cavity: the sole as
its floor, the foot's sides as steep walls. The top fills the scan to the block's edges
except over the cavity, and the sulcus and the clefts between separated toes stay at the
top as foam ridges, so the toes leave separate pits. The block's side walls and part of
its bottom may be in the scan too.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from shapely import contains_xy

from shellgen._typing import FloatArray
from shellgen.synth._foot import Foot, perimeter_mm, rim_heights, rim_samples, sole_samples

__all__ = ["FoamBlock", "foam_impression"]


@dataclass(frozen=True)
class FoamBlock:
    """How the foot was pressed into the foam, and what of the block was scanned (mm).

    Attributes
    ----------
    depth_mm : float
        Depth of the heel pad below the block's top.
    tilt_deg : float
        The foot's tilt, toes up: the forefoot goes in this much less steeply.
    margin_mm : float
        Foam left around the foot's outline on every side.
    walls : bool
        The block's four side walls are in the scan.
    bottom_fraction : float
        Share of the block's bottom in the scan (0: none).
    block_depth_mm : float
        The block's height from bottom to top.
    bow_mm : float
        How far the block's top bows down from its middle to its far ends (foam is not
        flat; the impression itself is not moved).
    """

    depth_mm: float = 25.0
    tilt_deg: float = 0.0
    margin_mm: float = 40.0
    walls: bool = False
    bottom_fraction: float = 0.0
    block_depth_mm: float = 80.0
    bow_mm: float = 0.0


def foam_from_foot(foot: Foot, block: FoamBlock) -> FloatArray:
    """(4, 4) rigid map from the foot frame to the foam frame (top at z = 0, z up), mm."""
    phi = -np.radians(block.tilt_deg)
    c, s = np.cos(phi), np.sin(phi)
    rot = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    heel = rot @ np.array([0.13 * foot.model.length_mm, 0.0, 0.0])
    out = np.eye(4)
    out[:3, :3] = rot
    out[:3, 3] = [0.0, 0.0, -block.depth_mm - heel[2]]
    return out


def foam_impression(
    foot: Foot, block: FoamBlock, rng: np.random.Generator, spacing_mm: float
) -> tuple[FloatArray, FloatArray]:
    """Points of the impression scan in the foam frame, and the foot-to-foam map.

    Returns
    -------
    points : (n, 3) float
        Cavity floor, cavity walls, the block's top (and walls, bottom), foam frame, mm.
    foam_from_foot : (4, 4) float
        Rigid map from the foot frame into the foam frame.
    """
    to_foam = foam_from_foot(foot, block)
    rot, shift = to_foam[:3, :3], to_foam[:3, 3]

    sole = sole_samples(foot, rng, spacing_mm) @ rot.T + shift
    rim = rim_samples(foot, rng, int(perimeter_mm(foot) * 60.0 / spacing_mm**2))
    base = rim_heights(foot, rim)
    walls = np.column_stack([rim, rng.uniform(base, base + 60.0)]) @ rot.T + shift
    cavity = np.vstack([sole[sole[:, 2] < 0.0], walls[walls[:, 2] < 0.0]])

    x0, y0, x1, y1 = foot.outline.bounds
    m = block.margin_mm
    lo, hi = np.array([x0 - m, y0 - m]), np.array([x1 + m, y1 + m])
    xy = rng.uniform(lo, hi, size=(int(np.prod(hi - lo) / spacing_mm**2), 2))
    # A top point is foam unless the foot went below the top there.
    back = np.column_stack([xy, np.zeros(len(xy))]) - shift
    back = back @ rot  # into the foot frame (the inverse rotation), on the top's level
    z_sole = foot.field.sample(back[:, 0], back[:, 1])
    inside = contains_xy(foot.outline, back[:, 0], back[:, 1])
    pressed = inside & np.isfinite(z_sole)
    pressed[pressed] = (np.column_stack([back[pressed, :2], z_sole[pressed]]) @ rot.T + shift)[
        :, 2
    ] < 0.0
    foam = xy[~pressed]
    centre, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
    bow = block.bow_mm * (((foam - centre) / half[0]) ** 2 * np.array([1.0, 0.5])).sum(axis=1)
    top = np.column_stack([foam, -bow])
    parts = [cavity, top]

    t = block.block_depth_mm
    if block.walls:
        parts.append(_block_walls(lo, hi, t, rng, spacing_mm))
    if block.bottom_fraction > 0:
        n = int(block.bottom_fraction * np.prod(hi - lo) / spacing_mm**2)
        span = hi - lo
        start = lo + rng.uniform(0, 1 - block.bottom_fraction) * np.array([span[0], 0.0])
        size = span * np.array([block.bottom_fraction, 1.0])
        bxy = start + rng.uniform(0, 1, size=(n, 2)) * size
        parts.append(np.column_stack([bxy, np.full(n, -t)]))
    return np.vstack(parts), to_foam


def _block_walls(
    lo: FloatArray, hi: FloatArray, depth_mm: float, rng: np.random.Generator, spacing_mm: float
) -> FloatArray:
    """Points on the four vertical sides of the block, from its top (z = 0) to its bottom."""
    corners = np.array([lo, [hi[0], lo[1]], hi, [lo[0], hi[1]], lo])
    sides = []
    for a, b in itertools.pairwise(corners):
        n = int(np.linalg.norm(b - a) * depth_mm / spacing_mm**2)
        u = rng.uniform(0, 1, n)[:, None]
        sides.append(np.column_stack([a + u * (b - a), rng.uniform(-depth_mm, 0.0, n)]))
    return np.vstack(sides)
