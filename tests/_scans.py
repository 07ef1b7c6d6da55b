"""Types of the scan fixtures in conftest.py, and the tolerances both the prepare and the
analysis specifications hold the foot to."""

from __future__ import annotations

from collections.abc import Callable

from shellgen.analysis import Foot
from shellgen.scan import RawScan, Scan
from shellgen.synth import SynthScan

Synthetic = Callable[..., tuple[SynthScan, Scan, Foot]]
ToRaw = Callable[..., RawScan]
RealScan = Callable[[str], tuple[Scan, Foot]]

KINDS = ("foot", "plantar", "impression")


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
