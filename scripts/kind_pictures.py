"""Regenerate ``docs/kinds/*.png``: each clinic kind's analysis, as ``shellgen analyze --plot``.

The scans are the clinic kinds of ``tests/_scans.py`` (seed 1: a left foot in cm), written as
XYZ files and analysed through the command line, with ``--length-mm`` where the scan has no
toes or no true scale, exactly as a lab would run it.

Run: ``python scripts/kind_pictures.py`` (about a minute).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

from shellgen.cli import main as shellgen

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "kinds"
#: The kinds the README shows.
SHOWN = (
    "foam-block",
    "foam-upside-down-no-scale",
    "unloaded-curled-separated-toes",
    "unloaded-held-by-hand",
    "toes-out-of-view",
    "holes-in-sole",
    "second-foot-in-view",
    "leg-to-mid-calf",
)


def main() -> int:
    sys.path.insert(0, str(ROOT / "tests"))
    from _scans import clinic_length_mm, clinic_scan

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in SHOWN:
            synth = clinic_scan(name, 1)
            scan = Path(tmp) / f"{name}.xyz"
            np.savetxt(scan, synth.points, fmt="%.5f")
            args = ["analyze", str(scan), "--plot", str(OUT / f"{name}.png")]
            given = clinic_length_mm(synth, name)
            if given is not None:
                args += ["--length-mm", f"{given:g}"]
            if shellgen(args) != 0:
                return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
