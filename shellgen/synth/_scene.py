"""What else a scanner sees around the foot, and what a partial scan misses (foot frame, mm).

The foot's own surfaces (sole, sides, dorsum), the floor around it, the leg, an ankle cut
(closed by a cap, or open), and the things a clinic's scans show that are not the foot: a
second foot or a hand partly in view, and holes in the sole. (Toes out of the scanned field
are cut in :func:`shellgen.synth.synth_scan`, in whatever frame the scene is in.)
"""

from __future__ import annotations

import numpy as np
from shapely import contains_xy

from shellgen._typing import FloatArray
from shellgen.scan import Kind
from shellgen.synth._foot import (
    Foot,
    half_widths,
    perimeter_mm,
    rim_heights,
    rim_samples,
    sole_samples,
)

__all__ = [
    "ankle_cut",
    "floor",
    "hand",
    "leg",
    "punch_holes",
    "second_foot",
    "surface_points",
]


def surface_points(
    foot: Foot, rng: np.random.Generator, spacing_mm: float, kind: Kind
) -> FloatArray:
    """Points on the model's surfaces for one scan kind, foot frame, mm (no floor).

    A plantar scan has the sole and low walls up to 32 mm; a foot scan the sole, the sides
    and the dorsum (an elliptic dome over the outline, highest at the instep, following the
    sole where an unloaded sole lifts).
    """
    model = foot.model
    L = model.length_mm
    plantar = sole_samples(foot, rng, spacing_mm)
    rim = rim_samples(foot, rng, int(perimeter_mm(foot) / spacing_mm * 12))
    R = model.edge_radius_mm
    rim_z = rim_heights(foot, rim)
    if kind == "plantar":
        walls = np.column_stack([rim, rng.uniform(rim_z, np.maximum(rim_z, 32.0))])
        return np.vstack([plantar, walls])

    xy = plantar[:, :2]
    frac = xy[:, 0] / L
    height = np.interp(
        frac,
        [0.0, 0.08, 0.25, 0.45, 0.70, 0.85, 1.0],
        [55, 85, 95, model.dorsum_mm, 42, 26, 16],
    )
    ymin, ymax = half_widths(foot, xy[:, 0])
    yc, hw = 0.5 * (ymin + ymax), 0.5 * (ymax - ymin)
    r = np.clip(np.abs(xy[:, 1] - yc) / np.maximum(hw, 1e-6), 0, 1)
    # The dorsum meets the sole's edge at the outline, and rises to the instep over it.
    zp = plantar[:, 2]
    zd = zp + 2.0 + np.maximum(height - zp, 6.0) * np.sqrt(np.clip(1 - r**4, 0, 1))
    dorsum = np.column_stack([xy, zd])
    walls = np.column_stack([rim, rng.uniform(rim_z, rim_z + R + 1.0)])
    return np.vstack([plantar, dorsum, walls])


def leg(
    foot: Foot, rng: np.random.Generator, spacing_mm: float, top_mm: float, lean_deg: float
) -> FloatArray:
    """A tapering lower leg rising from the ankle to ``top_mm``, leaning back by
    ``lean_deg`` (a plantarflexed foot), foot frame, mm."""
    L = foot.model.length_mm
    n = int(2 * np.pi * 40 * (top_mm - 60) / spacing_mm**2 / 2)
    theta = rng.uniform(0, 2 * np.pi, n)
    z = rng.uniform(60.0, top_mm, n)
    scale = 1.0 + 0.35 * (z - 60) / max(top_mm - 60, 1.0)
    cx = 0.20 * L - 0.05 * (z - 60) - np.tan(np.radians(lean_deg)) * (z - 60)
    return np.column_stack(
        [cx + 0.13 * L * scale * np.cos(theta), 0.11 * L * scale * np.sin(theta), z]
    )


def ankle_cut(
    foot: Foot,
    pts: FloatArray,
    rng: np.random.Generator,
    spacing_mm: float,
    cut_mm: float,
    lean_deg: float,
    cap: bool,
) -> FloatArray:
    """The foot cut at the ankle by a plane ``cut_mm`` high over the ankle (at 20 % of the
    length), square to a leg leaning back by ``lean_deg`` (so rising toward the toes);
    closed by a flat cap when ``cap``, else left open."""
    L = foot.model.length_mm
    t = np.tan(np.radians(lean_deg))
    level = pts[:, 2] - t * (pts[:, 0] - 0.2 * L)
    kept = pts[level <= cut_mm]
    if not cap:
        return kept
    rim = kept[level[level <= cut_mm] > cut_mm - 3][:, :2]
    if not len(rim):
        return kept
    centre, radius = rim.mean(axis=0), np.ptp(rim, axis=0) / 2
    k = int(np.pi * radius.prod() / spacing_mm**2)
    a, r = rng.uniform(0, 2 * np.pi, k), np.sqrt(rng.uniform(0, 1, k))
    disk = centre + np.column_stack([np.cos(a), np.sin(a)]) * r[:, None] * radius
    z = cut_mm + t * (disk[:, 0] - 0.2 * L)
    return np.vstack([kept, np.column_stack([disk, z])])


def floor(foot: Foot, rng: np.random.Generator, spacing_mm: float) -> FloatArray:
    """The floor around the foot at z = 0 (none under it), 60 mm beyond its toes and heel."""
    x0, y0, x1, y1 = foot.outline.bounds
    lo, hi = np.array([x0 - 60, y0 - 90]), np.array([x1 + 60, y1 + 90])
    n = int(np.prod(hi - lo) / (2 * spacing_mm) ** 2)
    xy = rng.uniform(lo, hi, size=(n, 2))
    xy = xy[~contains_xy(foot.outline.buffer(1.0), xy[:, 0], xy[:, 1])]
    return np.column_stack([xy, np.zeros(len(xy))])


def second_foot(
    foot: Foot, rng: np.random.Generator, spacing_mm: float, on_floor: bool
) -> FloatArray:
    """The patient's other foot beside this one, 25-60 mm away on the lateral side, with
    only its rear 35-60 % in the scanned field."""
    other = surface_points(foot, rng, spacing_mm, "foot")
    other = other[other[:, 2] <= 100.0]
    L = foot.model.length_mm
    other = other[other[:, 0] <= rng.uniform(0.35, 0.6) * L]
    gap = rng.uniform(25.0, 60.0)
    y0 = foot.outline.bounds[1]
    # Mirrored (a left foot beside a right one), its medial edge -y0 moved to y0 - gap.
    other[:, 1] = -other[:, 1] + 2.0 * y0 - gap
    other[:, 0] += rng.uniform(-30.0, 10.0)
    if not on_floor:
        other[:, 2] += rng.uniform(-5.0, 20.0)
    return other


def hand(foot: Foot, rng: np.random.Generator, spacing_mm: float) -> FloatArray:
    """A hand 15-35 mm beside the heel on the medial side, fingers along the foot: a palm
    (an ellipsoid of 90 x 80 x 28 mm) and four fingers (cylinders of radius 9 mm)."""
    L = foot.model.length_mm
    _, y_med = half_widths(foot, np.array([0.25 * L]))
    centre = np.array([0.25 * L, float(y_med[0]) + rng.uniform(15.0, 35.0) + 14.0, 55.0])
    n = int(4 * np.pi * 40**2 / spacing_mm**2)
    d = rng.normal(size=(n, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    palm = centre + d * np.array([45.0, 14.0, 40.0])
    fingers = []
    for k in range(4):
        m = int(2 * np.pi * 9 * 75 / spacing_mm**2)
        a, s = rng.uniform(0, 2 * np.pi, m), rng.uniform(0, 75.0, m)
        base = centre + np.array([40.0, 0.0, -30.0 + 20.0 * k])
        fingers.append(
            np.column_stack([base[0] + s, base[1] + 9 * np.cos(a), base[2] + 9 * np.sin(a)])
        )
    return np.vstack([palm, *fingers])


def punch_holes(foot: Foot, pts: FloatArray, rng: np.random.Generator, count: int) -> FloatArray:
    """Drop the sole's points (below 6 mm) within ``count`` discs of radius 5-12 mm, placed
    between 20 % and 85 % of the length: gaps the scanner did not see."""
    L = foot.model.length_mm
    keep = np.ones(len(pts), dtype=bool)
    low = pts[:, 2] < 6.0
    for _ in range(count):
        x = rng.uniform(0.2, 0.85) * L
        lo, hi = half_widths(foot, np.array([x]))
        y = rng.uniform(lo[0] + 10.0, hi[0] - 10.0)
        r = rng.uniform(5.0, 12.0)
        keep &= ~(low & (np.hypot(pts[:, 0] - x, pts[:, 1] - y) < r))
    return pts[keep]
