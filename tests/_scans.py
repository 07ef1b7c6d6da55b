"""Types of the scan fixtures in conftest.py, the synthetic foot variants, and the tolerances
both the prepare and the analysis specifications hold the foot to."""

from __future__ import annotations

from collections.abc import Callable

from shellgen.analysis import Foot
from shellgen.scan import RawScan, Scan
from shellgen.synth import FootModel, SynthScan

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
