"""Synthetic foot scans with known ground truth.

A parametric right foot is built in the foot frame (mm, z up, x heel to toe, +y medial;
:mod:`shellgen.synth._foot`): standing or unloaded, toes together or separated.
:func:`synth_scan` turns it into what a scanner would deliver — a foot, a plantar-only
surface or a foam-box impression (:mod:`shellgen.synth._foam`) — in either side, any units
or no true scale, any orientation, with noise, outliers, floor, leg, an open or closed
ankle, and what partial clinic scans show (:mod:`shellgen.synth._scene`): the toes out of
view, holes in the sole, a second foot or a hand beside it. Its :class:`Truth` holds the
measures obtained by applying shellgen's own definitions
(:mod:`shellgen.analysis._measure`) to the exact, noise-free model, in the frame whose
z = 0 is the plane tangent under the heel pad and the metatarsal heads.

Examples
--------
>>> s = synth_scan("plantar", side="left", units="cm", seed=1)
>>> s.truth.side, s.truth.units
('left', 'cm')
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
from scipy.spatial.transform import Rotation

from shellgen._typing import FloatArray
from shellgen.limits import UNIT_TO_MM
from shellgen.scan import Kind, Side, Units
from shellgen.synth import _scene
from shellgen.synth._foam import FoamBlock, foam_impression
from shellgen.synth._foot import Foot, FootModel, Truth, foot_model, truth_measures

__all__ = [
    "UPSIDE_DOWN",
    "FoamBlock",
    "Foot",
    "FootModel",
    "SynthScan",
    "Truth",
    "foot_model",
    "synth_scan",
    "unloaded",
    "write_ply",
]

Extra = Literal["none", "second_foot", "hand"]

#: A rotation that stores the scan upside down (-z up), as foam-box scans often are.
UPSIDE_DOWN: FloatArray = np.diag([1.0, -1.0, -1.0])


@dataclass(frozen=True, eq=False)
class SynthScan:
    """Points as a scanner would deliver them, and their truth."""

    points: FloatArray
    truth: Truth


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
    leg_top_mm: float = 250.0,
    ankle_cut_mm: float | None = 100.0,
    ankle_cap: bool = True,
    plantarflexion_deg: float = 0.0,
    foam: FoamBlock | None = None,
    toes_cut_frac: float | None = None,
    sole_holes: int = 0,
    extra: Extra = "none",
    scale: float | None = None,
    spacing_mm: float = 1.0,
) -> SynthScan:
    """A synthetic scan of one foot and its ground truth.

    Parameters
    ----------
    kind : {"foot", "plantar", "impression"}
        Full 3D foot (sole, sides, dorsum, ankle), plantar surface with low walls, or a foam
        impression (the sole pressed into a foam block, whose top fills the scan).
    side : {"left", "right"}
        A left foot is the mirror image (y -> -y) of the right model.
    units : {"mm", "cm", "m", "in"}
        Units of the returned coordinates.
    rotation : "random", "none" or (3, 3) float
        Orientation of the scan: a uniformly random rotation (seeded), none, or given (e.g.
        :data:`UPSIDE_DOWN`).
    seed : int
        Seeds every random step.
    model : FootModel, optional
        Foot parameters; the average standing foot when None.
    noise_mm : float
        Standard deviation of Gaussian noise on every coordinate, mm.
    outlier_fraction : float
        Fraction of extra points scattered in and around the scan's bounding box.
    floor : bool
        Add the floor the foot stands on (foot scans).
    leg : bool
        Add the lower leg up to ``leg_top_mm`` (foot scans); otherwise the foot is cut at
        ``ankle_cut_mm`` (or left whole up to the ankle when that is None).
    leg_top_mm : float
        Height of the leg's top, mm (about 350 is mid-calf).
    ankle_cap : bool
        Close the ankle cut with a flat cap (a closed mesh's cut); False leaves it open.
    plantarflexion_deg : float
        The foot pointed down from the leg: the ankle cut and the leg lean back this much.
    foam : FoamBlock, optional
        Impressions: how deep and tilted the foot went in, and what of the block shows.
    toes_cut_frac : float, optional
        Leave out everything ahead of this fraction of the foot's length (toes not scanned).
    sole_holes : int
        Holes (5-12 mm discs) in the scanned sole.
    extra : {"none", "second_foot", "hand"}
        Something else partly in view beside the foot.
    scale : float, optional
        No true scale: coordinates are millimetres times this instead of ``units``.
    spacing_mm : float
        Mean spacing of the surface samples, mm.
    """
    rng = np.random.default_rng(seed)
    foot = foot_model(model)
    truth_values = truth_measures(foot)
    if kind == "impression":
        pts, lift = foam_impression(foot, foam or FoamBlock(), rng, spacing_mm)
    else:
        pts, lift = _foot_scene(
            foot, rng, kind, spacing_mm, floor, leg, leg_top_mm, ankle_cut_mm, ankle_cap,
            plantarflexion_deg, sole_holes, extra,
        )  # fmt: skip
    if toes_cut_frac is not None:
        pts = _cut_toes_in_frame(foot, pts, lift, toes_cut_frac)

    pts = pts + rng.normal(0.0, noise_mm, pts.shape)
    n_out = int(outlier_fraction * len(pts))
    if n_out:
        lo, hi = pts.min(axis=0) - 40, pts.max(axis=0) + 40
        pts = np.vstack([pts, rng.uniform(lo, hi, size=(n_out, 3))])

    to_scanner = _scanner_transform(side, units, rotation, rng, scale)
    homog = np.column_stack([pts, np.ones(len(pts))])
    out = (homog @ to_scanner.T)[:, :3]
    out = out[rng.permutation(len(out))]
    truth = Truth(
        side=side,
        kind=kind,
        units=units,
        to_scanner=to_scanner @ lift,
        toes=toes_cut_frac is None,
        **truth_values,  # type: ignore[arg-type]
    )
    return SynthScan(points=out, truth=truth)


def _foot_scene(
    foot: Foot,
    rng: np.random.Generator,
    kind: Kind,
    spacing_mm: float,
    floor: bool,
    leg: bool,
    leg_top_mm: float,
    ankle_cut_mm: float | None,
    ankle_cap: bool,
    plantarflexion_deg: float,
    sole_holes: int,
    extra: Extra,
) -> tuple[FloatArray, FloatArray]:
    """Points of a foot or plantar scan in the foot frame, and the identity map."""
    pts = _scene.surface_points(foot, rng, spacing_mm, kind)
    if sole_holes:
        pts = _scene.punch_holes(foot, pts, rng, sole_holes)
    if kind == "foot":
        if leg:
            ankle = pts[:, 2] > 60
            near_leg = ankle & (np.abs(pts[:, 0] - 0.2 * foot.model.length_mm) < 50)
            legs = _scene.leg(foot, rng, spacing_mm, leg_top_mm, plantarflexion_deg)
            pts = np.vstack([pts[~near_leg], legs])
        elif ankle_cut_mm is not None:
            pts = _scene.ankle_cut(
                foot, pts, rng, spacing_mm, ankle_cut_mm, plantarflexion_deg, ankle_cap
            )
        if floor:
            pts = np.vstack([pts, _scene.floor(foot, rng, spacing_mm)])
    if extra == "second_foot":
        pts = np.vstack([pts, _scene.second_foot(foot, rng, spacing_mm, floor)])
    elif extra == "hand":
        pts = np.vstack([pts, _scene.hand(foot, rng, spacing_mm)])
    return pts, np.eye(4)


def _cut_toes_in_frame(
    foot: Foot, pts: FloatArray, to_frame: FloatArray, at_frac: float
) -> FloatArray:
    """``pts`` (in the frame ``to_frame`` maps the foot into) less what lies ahead of
    ``at_frac`` of the foot's length."""
    back = (pts - to_frame[:3, 3]) @ to_frame[:3, :3]
    keep = back[:, 0] <= at_frac * foot.model.length_mm
    return pts[keep]


def _scanner_transform(
    side: Side,
    units: Units,
    rotation: Literal["random", "none"] | FloatArray,
    rng: np.random.Generator,
    scale: float | None,
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
    k = scale if scale is not None else 1.0 / UNIT_TO_MM[units]
    t = np.eye(4)
    t[:3, :3] = k * rot @ mirror
    t[:3, 3] = rng.uniform(-300, 300, 3) * k
    return t


def unloaded(model: FootModel | None = None, **changes: Any) -> FootModel:
    """``model`` (the average foot by default) as an unloaded foot: toe pads 4 mm below the
    support plane, sulcus 9 mm above it, the sole turning into the foot's side over 8 mm
    (no weight flattens it), unless ``changes`` say otherwise."""
    base = replace(
        model or FootModel(), loaded=False, toe_pad_mm=-4.0, sulcus_mm=9.0, edge_radius_mm=8.0
    )
    return replace(base, **changes)


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
