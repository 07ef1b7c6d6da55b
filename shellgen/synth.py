"""Synthetic foot scans with known ground truth.

A parametric right foot is built in the foot frame (mm, z up, x heel to toe, +y medial):
an outline from anatomical control points, a plantar surface with a medial arch, a toe
crease and rounded edges, and for full-foot scans a dorsum, a lower leg or an ankle cut.
:func:`synth_scan` turns it into what a scanner would deliver — a foot, a plantar-only
surface or a foam-box impression — in either side, any units and any orientation, with
noise, outliers, floor and leg. Its :class:`Truth` holds the measures obtained by
applying shellgen's own definitions (:mod:`shellgen.analysis._measure`) to the exact,
noise-free model.

Examples
--------
>>> s = synth_scan("plantar", side="left", units="cm", seed=1)
>>> s.truth.side, s.truth.units
('left', 'cm')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from scipy import ndimage
from scipy.interpolate import splev, splprep
from scipy.spatial.transform import Rotation
from shapely import contains_xy
from shapely.geometry import Polygon

from shellgen._typing import BoolArray, FloatArray
from shellgen.analysis._analyze import SMOOTH_MM
from shellgen.analysis._grid import smooth
from shellgen.analysis._measure import measure
from shellgen.analysis._model import HeightField
from shellgen.limits import UNIT_TO_MM
from shellgen.scan import Kind, Side, Units

__all__ = ["FootModel", "SynthScan", "Truth", "foot_model", "synth_scan", "write_ply"]

#: Outline control points of a right foot, (x / L, y / L), counter-clockwise from the heel.
_OUTLINE = np.array(
    [
        (0.000, 0.000),
        (0.030, -0.092),
        (0.120, -0.128),
        (0.300, -0.150),
        (0.500, -0.178),
        (0.640, -0.212),
        (0.760, -0.190),
        (0.860, -0.140),
        (0.930, -0.075),
        (0.985, 0.000),
        (1.000, 0.050),
        (0.965, 0.118),
        (0.840, 0.152),
        (0.720, 0.168),
        (0.550, 0.128),
        (0.350, 0.110),
        (0.150, 0.118),
        (0.040, 0.082),
    ]
)


@dataclass(frozen=True)
class FootModel:
    """Parameters of a synthetic right foot (mm).

    Attributes
    ----------
    length_mm : float
        Heel to longest toe.
    width_scale : float
        Multiplies every half-width of the outline (1.0 = average foot).
    arch_rise_mm : float
        Rise of the medial arch surface at its peak, before the edge rounding.
    arch_apex_frac : float
        Where along the foot the arch peaks, fraction of length.
    arch_width_frac : float
        How far in from the medial edge the arch reaches, fraction of length.
    edge_radius_mm : float
        Radius of the rounded edge where the sole turns into the foot's side.
    dorsum_mm : float
        Height of the instep.
    """

    length_mm: float = 260.0
    width_scale: float = 1.0
    arch_rise_mm: float = 14.0
    arch_apex_frac: float = 0.45
    arch_width_frac: float = 0.17
    edge_radius_mm: float = 3.0
    dorsum_mm: float = 68.0


@dataclass(frozen=True)
class Truth:
    """Ground truth of a synthetic scan, measured on the exact model (foot frame, mm).

    ``to_scanner`` maps foot-frame mm to the scan's coordinates and units, mirroring
    included, like :attr:`shellgen.scan.Scan.to_scanner`.
    """

    side: Side
    kind: Kind
    units: Units
    foot_length_mm: float
    ball_width_mm: float
    heel_width_mm: float
    arch_length_mm: float
    arch_height_mm: float
    arch_apex_x_mm: float
    arch_index: float
    arch_type: str
    landmarks: dict[str, tuple[float, float]]
    to_scanner: FloatArray = field(repr=False)

    def as_json(self) -> dict[str, object]:
        """A JSON-ready dict (landmarks as lists, the transform as nested lists)."""
        out = dict(self.__dict__)
        out["landmarks"] = {k: [round(v[0], 3), round(v[1], 3)] for k, v in self.landmarks.items()}
        out["to_scanner"] = self.to_scanner.tolist()
        return out


@dataclass(frozen=True, eq=False)
class SynthScan:
    """Points as a scanner would deliver them, and their truth."""

    points: FloatArray
    truth: Truth


@dataclass(frozen=True, eq=False)
class _Foot:
    """The exact model on a fine grid: outline, signed inside distance, plantar heights."""

    model: FootModel
    outline: Polygon
    field: HeightField
    inside: BoolArray
    depth_mm: FloatArray


def _outline(model: FootModel) -> Polygon:
    pts = _OUTLINE * np.array([1.0, model.width_scale])
    pts = np.vstack([pts, pts[:1]])
    tck, _ = splprep([pts[:, 0], pts[:, 1]], s=0, per=True)
    x, y = splev(np.linspace(0, 1, 721)[:-1], tck)
    xy = np.column_stack([x, y])
    xy[:, 0] -= xy[:, 0].min()
    xy *= model.length_mm / xy[:, 0].max()
    return Polygon(xy)


def foot_model(model: FootModel | None = None, spacing_mm: float = 0.5) -> _Foot:
    """Evaluate the exact plantar surface of ``model`` on a grid (right foot, foot frame)."""
    model = model or FootModel()
    outline = _outline(model)
    L = model.length_mm
    x0, y0, x1, y1 = outline.bounds
    xs = np.arange(np.floor(x0) - 4, x1 + 4, spacing_mm)
    ys = np.arange(np.floor(y0) - 4, y1 + 4, spacing_mm)
    X, Y = np.meshgrid(xs, ys)
    inside = contains_xy(outline, X, Y)
    depth = ndimage.distance_transform_edt(inside) * spacing_mm

    # Medial edge y at every column, for the arch.
    y_med = np.where(inside, Y, -np.inf).max(axis=0)
    R = model.edge_radius_mm
    d = np.clip(depth, 0.0, R)
    z = R - np.sqrt(np.maximum(R * R - (R - d) ** 2, 0.0))

    u = (X / L - model.arch_apex_frac) / 0.3
    g = np.where(np.abs(u) < 1, np.cos(0.5 * np.pi * u) ** 4, 0.0)
    w = model.arch_width_frac * L
    t = np.clip((Y - (y_med[None, :] - w)) / w, 0.0, 1.0)
    z = z + model.arch_rise_mm * g * t**1.5

    crease_x = 0.80 * L
    z = z + 4.5 * np.exp(-(((X - crease_x) / 7.0) ** 2)) + 0.6 * (1 + np.tanh((X - crease_x) / 6))
    z = np.where(inside, z, np.nan)
    field_ = HeightField(float(xs[0]), float(ys[0]), spacing_mm, z)
    return _Foot(model, outline, field_, inside, depth)


def _truth_measures(foot: _Foot) -> dict[str, object]:
    """shellgen's definitions applied to the exact model, smoothed as ``analyze`` smooths."""
    f = foot.field
    smoothed = HeightField(f.x0_mm, f.y0_mm, f.spacing_mm, smooth(f.z_mm, SMOOTH_MM, f.spacing_mm))
    m = measure(smoothed, foot.inside)
    lm = m.landmarks
    return {
        "foot_length_mm": m.foot_length_mm,
        "ball_width_mm": m.ball_width_mm,
        "heel_width_mm": m.heel_width_mm,
        "arch_length_mm": m.arch_length_mm,
        "arch_height_mm": m.arch.height_mm,
        "arch_apex_x_mm": m.arch.apex_x_mm,
        "arch_index": m.arch.index,
        "arch_type": m.arch.type,
        "landmarks": {k: (float(v[0]), float(v[1])) for k, v in lm.__dict__.items()},
    }


def _surface_points(
    foot: _Foot, rng: np.random.Generator, spacing_mm: float, kind: Kind
) -> FloatArray:
    """Points on the model's surfaces for one scan kind, foot frame, mm (no floor)."""
    model = foot.model
    L = model.length_mm
    f = foot.field
    n = int(foot.outline.area / spacing_mm**2)
    x0, y0, x1, y1 = foot.outline.bounds
    xy = rng.uniform([x0, y0], [x1, y1], size=(int(n * 1.6), 2))
    xy = xy[contains_xy(foot.outline, xy[:, 0], xy[:, 1])]
    zp = f.sample(xy[:, 0], xy[:, 1])
    ok = np.isfinite(zp)
    plantar = np.column_stack([xy[ok], zp[ok]])

    ring = np.asarray(foot.outline.exterior.coords)
    seg = np.linalg.norm(np.diff(ring, axis=0), axis=1)
    per = np.concatenate([[0], np.cumsum(seg)])
    s = rng.uniform(0, per[-1], size=int(per[-1] / spacing_mm * 12))
    rim = np.column_stack([np.interp(s, per, ring[:, 0]), np.interp(s, per, ring[:, 1])])
    R = model.edge_radius_mm
    rim_z = _rim_heights(foot, rim)
    if kind == "plantar":
        walls = np.column_stack([rim, rng.uniform(rim_z, np.maximum(rim_z, 32.0))])
        return np.vstack([plantar, walls])
    if kind == "impression":
        return plantar

    # Dorsum: an elliptic dome over the outline, highest at the instep, with the ankle behind.
    frac = xy[:, 0] / L
    height = np.interp(
        frac,
        [0.0, 0.08, 0.25, 0.45, 0.70, 0.85, 1.0],
        [55, 85, 95, model.dorsum_mm, 42, 26, 16],
    )
    ymin, ymax = _half_widths(foot, xy[:, 0])
    yc, hw = 0.5 * (ymin + ymax), 0.5 * (ymax - ymin)
    r = np.clip(np.abs(xy[:, 1] - yc) / np.maximum(hw, 1e-6), 0, 1)
    zd = R + (height - R) * np.sqrt(np.clip(1 - r**4, 0, 1))
    dorsum = np.column_stack([xy, zd])
    walls = np.column_stack([rim, rng.uniform(rim_z, np.maximum(rim_z, R + 1.0))])
    return np.vstack([plantar, dorsum, walls])


def _rim_heights(foot: _Foot, rim: FloatArray) -> FloatArray:
    """Height of the sole's edge at rim points (nearest defined sole height), mm."""
    f = foot.field
    _, (ri, ci) = ndimage.distance_transform_edt(~foot.inside, return_indices=True)
    filled = HeightField(f.x0_mm, f.y0_mm, f.spacing_mm, f.z_mm[ri, ci])
    return filled.sample(rim[:, 0], rim[:, 1])


def _half_widths(foot: _Foot, x: FloatArray) -> tuple[FloatArray, FloatArray]:
    f = foot.field
    ys = f.ys_mm
    lo = np.where(foot.inside, ys[:, None], np.inf).min(axis=0)
    hi = np.where(foot.inside, ys[:, None], -np.inf).max(axis=0)
    ok = np.isfinite(lo)
    return np.interp(x, f.xs_mm[ok], lo[ok]), np.interp(x, f.xs_mm[ok], hi[ok])


def _leg(foot: _Foot, rng: np.random.Generator, spacing_mm: float, top_mm: float) -> FloatArray:
    """A tapering lower leg rising from the ankle, with the dorsum under it removed."""
    L = foot.model.length_mm
    n = int(2 * np.pi * 40 * (top_mm - 60) / spacing_mm**2 / 2)
    theta = rng.uniform(0, 2 * np.pi, n)
    z = rng.uniform(60.0, top_mm, n)
    scale = 1.0 + 0.35 * (z - 60) / max(top_mm - 60, 1.0)
    cx = 0.20 * L - 0.05 * (z - 60)
    return np.column_stack(
        [cx + 0.13 * L * scale * np.cos(theta), 0.11 * L * scale * np.sin(theta), z]
    )


def _floor(foot: _Foot, rng: np.random.Generator, spacing_mm: float) -> FloatArray:
    x0, y0, x1, y1 = foot.outline.bounds
    lo, hi = np.array([x0 - 60, y0 - 90]), np.array([x1 + 60, y1 + 90])
    n = int(np.prod(hi - lo) / (2 * spacing_mm) ** 2)
    xy = rng.uniform(lo, hi, size=(n, 2))
    xy = xy[~contains_xy(foot.outline.buffer(1.0), xy[:, 0], xy[:, 1])]
    return np.column_stack([xy, np.zeros(len(xy))])


def synth_scan(
    kind: Kind = "foot",
    *,
    side: Side = "right",
    units: Units = "mm",
    rotation: Literal["random", "none"] | FloatArray = "random",
    seed: int = 0,
    model: FootModel | None = None,
    noise_mm: float = 0.2,
    outlier_fraction: float = 0.005,
    floor: bool = False,
    leg: bool = False,
    ankle_cut_mm: float | None = 100.0,
    spacing_mm: float = 1.0,
) -> SynthScan:
    """A synthetic scan of one foot and its ground truth.

    Parameters
    ----------
    kind : {"foot", "plantar", "impression"}
        Full 3D foot (sole, sides, dorsum, ankle), plantar surface with low walls, or a foam
        impression (the sole pressed 25 mm into foam, with the box's flat surround).
    side : {"left", "right"}
        A left foot is the mirror image (y -> -y) of the right model.
    units : {"mm", "cm", "m", "in"}
        Units of the returned coordinates.
    rotation : "random", "none" or (3, 3) float
        Orientation of the scan: a uniformly random rotation (seeded), none, or given.
    seed : int
        Seeds every random step.
    model : FootModel, optional
        Foot parameters; the average foot when None.
    noise_mm : float
        Standard deviation of Gaussian noise on every coordinate, mm.
    outlier_fraction : float
        Fraction of extra points scattered in and around the scan's bounding box.
    floor : bool
        Add the floor the foot stands on (foot scans).
    leg : bool
        Add the lower leg up to 250 mm (foot scans); otherwise the foot is cut flat at
        ``ankle_cut_mm`` (or left open when that is None).
    spacing_mm : float
        Mean spacing of the surface samples, mm.
    """
    rng = np.random.default_rng(seed)
    foot = foot_model(model)
    sole_z_mm = 0.0  # where the sole's contact lies in the points' own frame
    truth_values = _truth_measures(foot)
    pts = _surface_points(foot, rng, spacing_mm, kind)
    if kind == "foot":
        if leg:
            ankle = pts[:, 2] > 60
            near_leg = ankle & (np.abs(pts[:, 0] - 0.2 * foot.model.length_mm) < 50)
            pts = np.vstack([pts[~near_leg], _leg(foot, rng, spacing_mm, 250.0)])
        elif ankle_cut_mm is not None:
            pts = pts[pts[:, 2] <= ankle_cut_mm]
            cap = pts[pts[:, 2] > ankle_cut_mm - 3][:, :2]
            if len(cap):
                centre, radius = cap.mean(axis=0), np.ptp(cap, axis=0) / 2
                k = int(np.pi * radius.prod() / spacing_mm**2)
                a, r = rng.uniform(0, 2 * np.pi, k), np.sqrt(rng.uniform(0, 1, k))
                disk = centre + np.column_stack([np.cos(a), np.sin(a)]) * r[:, None] * radius
                pts = np.vstack([pts, np.column_stack([disk, np.full(k, ankle_cut_mm)])])
        if floor:
            pts = np.vstack([pts, _floor(foot, rng, spacing_mm)])
    elif kind == "impression":
        press = 25.0
        sole_z_mm = -press
        sole = pts.copy()
        sole[:, 2] -= press
        walls = _impression_walls(foot, rng, spacing_mm, press)
        surround = _floor(foot, rng, spacing_mm / 1.5)
        pts = np.vstack([sole[sole[:, 2] < 0], walls, surround])

    pts = pts + rng.normal(0.0, noise_mm, pts.shape)
    n_out = int(outlier_fraction * len(pts))
    if n_out:
        lo, hi = pts.min(axis=0) - 40, pts.max(axis=0) + 40
        pts = np.vstack([pts, rng.uniform(lo, hi, size=(n_out, 3))])

    to_scanner = _scanner_transform(side, units, rotation, rng)
    homog = np.column_stack([pts, np.ones(len(pts))])
    out = (homog @ to_scanner.T)[:, :3]
    out = out[rng.permutation(len(out))]
    lift = np.eye(4)
    lift[2, 3] = sole_z_mm
    truth = Truth(
        side=side,
        kind=kind,
        units=units,
        to_scanner=to_scanner @ lift,
        **truth_values,  # type: ignore[arg-type]
    )
    return SynthScan(points=out, truth=truth)


def _impression_walls(
    foot: _Foot, rng: np.random.Generator, spacing_mm: float, press_mm: float
) -> FloatArray:
    ring = np.asarray(foot.outline.exterior.coords)
    seg = np.linalg.norm(np.diff(ring, axis=0), axis=1)
    per = np.concatenate([[0], np.cumsum(seg)])
    n = int(per[-1] * press_mm / spacing_mm**2)
    s = rng.uniform(0, per[-1], n)
    rim = np.column_stack([np.interp(s, per, ring[:, 0]), np.interp(s, per, ring[:, 1])])
    z = rng.uniform(_rim_heights(foot, rim) - press_mm, 0.0)
    return np.column_stack([rim, z])


def _scanner_transform(
    side: Side,
    units: Units,
    rotation: Literal["random", "none"] | FloatArray,
    rng: np.random.Generator,
) -> FloatArray:
    if isinstance(rotation, str):
        rot = (
            Rotation.random(random_state=int(rng.integers(2**31))).as_matrix()
            if rotation == "random"
            else np.eye(3)
        )
    else:
        rot = np.asarray(rotation, dtype=np.float64)
    mirror = np.diag([1.0, -1.0 if side == "left" else 1.0, 1.0])
    scale = 1.0 / UNIT_TO_MM[units]
    t = np.eye(4)
    t[:3, :3] = scale * rot @ mirror
    t[:3, 3] = rng.uniform(-300, 300, 3) * scale
    return t


def write_ply(path: str | Path, points: FloatArray) -> None:
    """Write points as a binary little-endian PLY (float32 x, y, z)."""
    data = np.ascontiguousarray(points, dtype="<f4")
    header = (
        "ply\nformat binary_little_endian 1.0\ncomment made by shellgen.synth\n"
        f"element vertex {len(data)}\nproperty float x\nproperty float y\nproperty float z\n"
        "end_header\n"
    )
    with open(path, "wb") as fh:
        fh.write(header.encode("ascii"))
        fh.write(data.tobytes())
