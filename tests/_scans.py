"""Types of the scan fixtures in conftest.py, the synthetic foot variants, and the tolerances
both the prepare and the analysis specifications hold the foot to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from shellgen.analysis import Foot, analyze
from shellgen.scan import RawScan, Scan, ScanSource, prepare
from shellgen.synth import UPSIDE_DOWN, FoamBlock, FootModel, SynthScan, synth_scan, unloaded

Synthetic = Callable[..., tuple[SynthScan, Scan, Foot]]
ToRaw = Callable[..., RawScan]
RealScan = Callable[[str], tuple[Scan, Foot]]

KINDS = ("foot", "plantar", "impression")

#: The synthetic foot and its variants in length, arch and width.
FOOT_MODELS = {
    "default": FootModel(),
    "230mm": FootModel(length_mm=230.0),
    "290mm": FootModel(length_mm=290.0),
    "arch8": FootModel(arch_rise_mm=8.0),
    "arch20": FootModel(arch_rise_mm=20.0),
    "narrow0.9": FootModel(width_scale=0.9),
    "wide1.1": FootModel(width_scale=1.1),
}


def lengths_and_landmarks(foot: Foot, *, skip: tuple[str, ...] = ()) -> dict[str, float]:
    """Lengths, widths and every landmark's x and y but those in ``skip`` (foot frame, mm)."""
    out = {
        "foot_length_mm": foot.foot_length_mm,
        "ball_width_mm": foot.ball_width_mm,
        "heel_width_mm": foot.heel_width_mm,
        "arch_length_mm": foot.arch_length_mm,
    }
    for name, (x, y) in foot.landmarks.as_dict().items():
        if name not in skip:
            out[f"{name}.x"], out[f"{name}.y"] = x, y
    return out


#: Foot length within 1.5 %, ball width within 4 % of the truth.
LENGTH_TOL = 0.015
BALL_WIDTH_TOL = 0.04


def raw_points(points: np.ndarray, name: str) -> RawScan:
    """Points as a loaded scan named ``name``."""
    return RawScan(points, None, len(points), ScanSource(name, "xyz", "", len(points), 0, 0))


def _foam(seed: int, **kw: Any) -> dict[str, Any]:
    block = FoamBlock(
        depth_mm=30.0 + 3 * seed % 16,
        tilt_deg=seed % 5,
        margin_mm=15.0 + 5.0 * (seed % 6),
        walls=True,
        bottom_fraction=0.5,
        bow_mm=float(seed % 4),
    )
    return dict(kind="impression", foam=block, spacing_mm=0.8, noise_mm=0.25, **kw)


#: Every kind of scan a clinic sends, as a function of the seed: ``synth_scan`` keywords.
CLINIC_KINDS: dict[str, Any] = {
    "foam-block": lambda s: _foam(s, model=unloaded(toe_gap_mm=3.0)),
    "foam-upside-down-no-scale": lambda s: dict(
        kind="impression",
        model=unloaded(),
        foam=FoamBlock(depth_mm=40.0, tilt_deg=4.0, walls=True),
        rotation=UPSIDE_DOWN,
        scale=0.37,
    ),
    "unloaded-open-ankle": lambda s: dict(
        kind="foot", model=unloaded(), ankle_cap=False, plantarflexion_deg=20.0
    ),
    "unloaded-curled-separated-toes": lambda s: dict(
        kind="foot",
        model=unloaded(toe_gap_mm=3.0, toe_pad_mm=-7.0),
        ankle_cap=False,
        plantarflexion_deg=30.0,
    ),
    "unloaded-held-by-hand": lambda s: dict(
        kind="foot", model=unloaded(), extra="hand", ankle_cap=False
    ),
    "toes-out-of-view": lambda s: dict(kind="foot", toes_cut_frac=0.83, floor=True),
    "holes-in-sole": lambda s: dict(kind="plantar", sole_holes=4),
    "second-foot-in-view": lambda s: dict(kind="foot", extra="second_foot"),
    "standing-with-floor": lambda s: dict(kind="foot", floor=True),
    "leg-to-mid-calf": lambda s: dict(kind="foot", leg=True, leg_top_mm=350.0),
}
UNITS = ("mm", "cm", "m")


def clinic_scan(name: str, seed: int) -> SynthScan:
    """The clinic kind ``name`` with seed ``seed``: odd seeds left feet, units cycling
    through ``UNITS`` (millimetres, times 0.37, for a scan with no true scale)."""
    kw = CLINIC_KINDS[name](seed)
    kind = kw.pop("kind")
    units = UNITS[seed % 3] if "scale" not in kw else "mm"
    side = "left" if seed % 2 else "right"
    return synth_scan(kind, side=side, units=units, seed=seed, **kw)


def clinic_length_mm(synth: SynthScan, name: str) -> float | None:
    """The ``--length-mm`` a lab gives for clinic kind ``name``: the foot's length when the
    scan shows no toes or has no true scale, else None (measured)."""
    truth = synth.truth
    return truth.foot_length_mm if not truth.toes or "no-scale" in name else None


def clinic_foot(name: str, seed: int) -> Foot:
    """The clinic kind ``name`` (:func:`clinic_scan`) prepared and analysed as a lab would."""
    synth = clinic_scan(name, seed)
    given = clinic_length_mm(synth, name)
    return analyze(prepare(raw_points(synth.points, f"{name}.xyz"), length_mm=given))
