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
#: Foot length within 1.5 %, ball width within 4 % of the truth.
LENGTH_TOL = 0.015
BALL_WIDTH_TOL = 0.04
