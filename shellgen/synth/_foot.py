"""The exact synthetic foot: a parametric right foot in the foot frame, and its truth.

A foot is an outline from anatomical control points (with slits between the toes when they
are separated) and a plantar height field over it: a rounded edge, a medial arch and a toe
crease. A standing foot's sole is flat where it bears weight. An unloaded foot (held in the
air, seated, a template) has no flattened patch: its heel pad and metatarsal heads are
rounded, the lateral midfoot lifts off, the sulcus stands high and the toes curl down,
possibly below the plane that is tangent under the heel pad and the metatarsal heads. That
plane is z = 0 in every model, so the truth is measured in the same frame ``prepare`` finds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage
from scipy.interpolate import PchipInterpolator, splev, splprep
from shapely import contains_xy
from shapely.geometry import LineString, Polygon

from shellgen._typing import BoolArray, FloatArray
from shellgen.analysis._analyze import SMOOTH_MM
from shellgen.analysis._grid import smooth
from shellgen.analysis._measure import measure
from shellgen.analysis._model import HeightField
from shellgen.scan import Kind, Side, Units

__all__ = ["Foot", "FootModel", "Truth", "foot_model", "truth_measures"]

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

#: Where the toes part (fraction of length), and the clefts between them as fractions of
#: the forefoot's width from the medial edge (hallux | 2nd | 3rd | 4th | 5th).
_TOE_WEB = 0.84
_TOE_CLEFTS = (0.37, 0.56, 0.72, 0.86)


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
    loaded : bool
        A weight-bearing foot (flattened heel and forefoot) when True; an unloaded one
        (rounded heel pad and metatarsal heads, lifted lateral midfoot) when False.
    toe_pad_mm : float
        Unloaded feet: height of the toe pads above the support plane (negative: curled
        below it).
    sulcus_mm : float
        Unloaded feet: height of the sulcus (under the toes' bases) above the plane.
    toe_gap_mm : float
        Width of the clefts between separated toes (0: toes together).
    """

    length_mm: float = 260.0
    width_scale: float = 1.0
    arch_rise_mm: float = 14.0
    arch_apex_frac: float = 0.45
    arch_width_frac: float = 0.17
    edge_radius_mm: float = 3.0
    dorsum_mm: float = 68.0
    loaded: bool = True
    toe_pad_mm: float = 0.0
    sulcus_mm: float = 8.0
    toe_gap_mm: float = 0.0


@dataclass(frozen=True)
class Truth:
    """Ground truth of a synthetic scan, measured on the exact model (foot frame, mm).

    ``to_scanner`` maps foot-frame mm to the scan's coordinates and units, mirroring
    included, like :attr:`shellgen.scan.Scan.to_scanner`. ``toes`` says whether the scan
    shows the toes (a partial scan may not); ``standing`` whether the foot bears weight.
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
    standing: bool = True
    toes: bool = True
    to_scanner: FloatArray = field(default_factory=lambda: np.eye(4), repr=False)

    def as_json(self) -> dict[str, object]:
        """A JSON-ready dict (landmarks as lists, the transform as nested lists)."""
        out = dict(self.__dict__)
        out["landmarks"] = {k: [round(v[0], 3), round(v[1], 3)] for k, v in self.landmarks.items()}
        out["to_scanner"] = self.to_scanner.tolist()
        return out


@dataclass(frozen=True, eq=False)
class Foot:
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
    outline = Polygon(xy)
    if model.toe_gap_mm > 0:
        outline = _part_toes(outline, model)
    return outline


def _part_toes(outline: Polygon, model: FootModel) -> Polygon:
    """The outline with a cleft of ``toe_gap_mm`` between each pair of toes, from the web to
    past the tips, fanning slightly outward like real toes."""
    L = model.length_mm
    x_web = _TOE_WEB * L
    cut = outline.intersection(LineString([(x_web + 8.0, -L), (x_web + 8.0, L)]))
    y_lo, y_hi = cut.bounds[1], cut.bounds[3]
    clefts = []
    for f in _TOE_CLEFTS:
        y = y_hi - f * (y_hi - y_lo)
        fan = 0.08 * (y - 0.5 * (y_lo + y_hi))
        line = LineString([(x_web, y), (L + 10.0, y + fan)])
        clefts.append(line.buffer(0.5 * model.toe_gap_mm, cap_style="flat"))
    parted = outline
    for c in clefts:
        parted = parted.difference(c)
    if isinstance(parted, Polygon):
        return parted
    return max(parted.geoms, key=lambda p: p.area)


def _unloaded_lift(
    model: FootModel, X: FloatArray, Y: FloatArray, yc: FloatArray, hw: FloatArray
) -> FloatArray:
    """How far an unloaded sole stands above the support plane, beyond a standing one's, mm.

    Zero at the heel pad's centre and under the first and fifth metatarsal heads (at 70 % of
    the half-width either side of the centre line), so that z = 0 is the plane tangent
    under those three. Behind the heel centre the heel rounds up (radius 40 mm); the
    midfoot lifts by up to 5 mm; across the heads the transverse arch stands 1.5 mm and the
    edges rise; ahead of the heads the sulcus rises to ``sulcus_mm`` and the toe pads come
    down to ``toe_pad_mm``; elsewhere across the foot the sole is convex (radius 45 mm at
    the heel to 220 mm at the toes).
    """
    L = model.length_mm
    xh = 0.13 * L
    x_ball = 0.69 * L + 0.04 * L * np.clip((Y - yc) / (0.15 * L), -1.0, 1.0)
    u = np.clip((X - xh) / (x_ball - xh), 0.0, 1.0)
    mid = 5.0 * np.sin(np.pi * u) ** 2
    heel = np.where(X < xh, (xh - X) ** 2 / (2.0 * 40.0), 0.0)
    ahead = np.maximum(X - x_ball, 0.0) / L
    pad, sulcus = model.toe_pad_mm, model.sulcus_mm
    toes = PchipInterpolator(
        [0.0, 0.06, 0.12, 0.20, 0.27, 0.40],
        [0.0, 0.45 * sulcus, sulcus, pad, pad + 2.0, pad + 9.0],
        extrapolate=True,
    )(np.minimum(ahead, 0.40))
    radius = np.interp(X / L, [0.0, 0.13, 0.45, 0.69, 1.0], [40.0, 45.0, 80.0, 120.0, 220.0])
    convex = (Y - yc) ** 2 / (2.0 * radius)
    v = np.abs(Y - yc) / np.maximum(hw, 1.0)
    heads = 1.5 * (v**2 - 0.49) ** 2 / 0.49**2 + 20.0 * np.maximum(v - 0.7, 0.0) ** 2
    near_heads = np.exp(-(((X - x_ball) / (0.06 * L)) ** 2))
    across = (1.0 - near_heads) * convex + near_heads * heads
    return np.asarray(heel + mid * (X >= xh) + toes + across)


def foot_model(model: FootModel | None = None, spacing_mm: float = 0.5) -> Foot:
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
    if model.loaded:
        z = z + 4.5 * np.exp(-(((X - crease_x) / 7.0) ** 2))
        z = z + 0.6 * (1 + np.tanh((X - crease_x) / 6))
    else:
        lo = np.where(inside, Y, np.inf).min(axis=0)
        hi = np.where(inside, Y, -np.inf).max(axis=0)
        ok = np.isfinite(lo)
        yc = np.interp(xs, xs[ok], 0.5 * (lo[ok] + hi[ok]))
        hw = np.interp(xs, xs[ok], 0.5 * (hi[ok] - lo[ok]))
        z = z + _unloaded_lift(
            model, X, Y, np.broadcast_to(yc[None, :], X.shape), np.broadcast_to(hw, X.shape)
        )
    z = np.where(inside, z, np.nan)
    field_ = HeightField(float(xs[0]), float(ys[0]), spacing_mm, z)
    return Foot(model, outline, field_, inside, depth)


def truth_measures(foot: Foot) -> dict[str, object]:
    """shellgen's definitions applied to the exact model, smoothed as ``analyze`` smooths.

    The foot's length is the outline's own (heel to toe tip, exact), not the extent of the
    model's grid cells, which falls short of it by up to a cell.
    """
    f = foot.field
    smoothed = HeightField(f.x0_mm, f.y0_mm, f.spacing_mm, smooth(f.z_mm, SMOOTH_MM, f.spacing_mm))
    x0, _, x1, _ = foot.outline.bounds
    m = measure(smoothed, foot.inside, length_mm=x1 - x0)
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
        "standing": foot.model.loaded,
    }


def half_widths(foot: Foot, x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Lateral and medial edge y of the model's outline at stations ``x``, mm."""
    f = foot.field
    ys = f.ys_mm
    lo = np.where(foot.inside, ys[:, None], np.inf).min(axis=0)
    hi = np.where(foot.inside, ys[:, None], -np.inf).max(axis=0)
    ok = np.isfinite(lo)
    return np.interp(x, f.xs_mm[ok], lo[ok]), np.interp(x, f.xs_mm[ok], hi[ok])


def rim_heights(foot: Foot, rim: FloatArray) -> FloatArray:
    """Height of the sole's edge at rim points (nearest defined sole height), mm."""
    f = foot.field
    _, (ri, ci) = ndimage.distance_transform_edt(~foot.inside, return_indices=True)
    filled = HeightField(f.x0_mm, f.y0_mm, f.spacing_mm, f.z_mm[ri, ci])
    return filled.sample(rim[:, 0], rim[:, 1])


def sole_samples(foot: Foot, rng: np.random.Generator, spacing_mm: float) -> FloatArray:
    """Points spread evenly over the plantar surface, foot frame, mm."""
    n = int(foot.outline.area / spacing_mm**2)
    x0, y0, x1, y1 = foot.outline.bounds
    xy = rng.uniform([x0, y0], [x1, y1], size=(int(n * 1.6), 2))
    xy = xy[contains_xy(foot.outline, xy[:, 0], xy[:, 1])]
    zp = foot.field.sample(xy[:, 0], xy[:, 1])
    ok = np.isfinite(zp)
    return np.column_stack([xy[ok], zp[ok]])


def rim_samples(foot: Foot, rng: np.random.Generator, count: int) -> FloatArray:
    """``count`` points spread evenly along the outline (every ring), (x, y), mm."""
    ring = np.asarray(foot.outline.exterior.coords)
    seg = np.linalg.norm(np.diff(ring, axis=0), axis=1)
    per = np.concatenate([[0], np.cumsum(seg)])
    s = rng.uniform(0, per[-1], size=count)
    return np.column_stack([np.interp(s, per, ring[:, 0]), np.interp(s, per, ring[:, 1])])


def perimeter_mm(foot: Foot) -> float:
    """Length of the outline, mm."""
    return float(foot.outline.exterior.length)
