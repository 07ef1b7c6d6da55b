"""Calibrate every shipped profile by mechanics on every scan and synthetic kind (issue 13).

For each foot (every scan in ``../shared/scans`` and ``scans/``, and one of each clinic kind
of ``tests/_scans.py``) and each shipped profile: solve the thickness by mechanics, build,
validate, and print one row: the thickness by rule and by mechanics, the arch deflection
against its target, the safety factor, whether every check passed, and the provenance's
reason when the thickness stopped at a bound. Exits 1 if any row misses the acceptance
(deflection within 5 % of target or a bound with its reason, safety factor >= 2, all checks
pass), or errs.

Run: ``python scripts/mechanics_sweep.py [--scans-only]`` (a few minutes).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

from shellgen.analysis import Foot
from shellgen.calibration import (
    DEFLECTION_TOL,
    SAFETY_FACTOR_MIN,
    calibrate,
    thickness_by_mechanics,
)
from shellgen.errors import ShellgenError
from shellgen.pipeline import analyze_file
from shellgen.profile import load_profile, profile_path, shipped_profiles
from shellgen.shell import build
from shellgen.validation import validate

ROOT = Path(__file__).resolve().parent.parent
SCANS = [
    *sorted((ROOT.parent / "shared" / "scans").glob("*/*.stl")),
    *sorted((ROOT.parent / "shared" / "scans").glob("*/plantar_right.obj")),
    *sorted((ROOT / "scans").glob("*.stl")),
    *sorted((ROOT / "scans").glob("*.obj")),
]


def feet(scans_only: bool) -> Iterator[tuple[str, Foot]]:
    """(name, analysed foot) for every scan, then one of each synthetic clinic kind."""
    for path in SCANS:
        yield path.name, analyze_file(path)
    if scans_only:
        return
    sys.path.insert(0, str(ROOT / "tests"))
    from _scans import CLINIC_KINDS, clinic_foot

    for name in CLINIC_KINDS:
        yield name, clinic_foot(name, 1)


def main() -> int:
    failures = 0
    for foot_name, foot in feet("--scans-only" in sys.argv):
        for profile_name in shipped_profiles():
            profile = load_profile(profile_path(profile_name))
            start = time.perf_counter()
            row = f"{foot_name[:30]:30s} {profile_name:18s}"
            try:
                spec = calibrate(foot, profile, order_id="C1")
                fit = thickness_by_mechanics(foot, spec, profile)
                shell = build(foot, fit.spec)
                report = validate(shell, material=fit.spec.material, foot_outline=foot.footprint)
            except ShellgenError as err:
                failures += 1
                print(f"{row} ERROR {err}")
                continue
            r = fit.response
            on_target = abs(r.deflection_mm / fit.target_deflection_mm - 1.0) <= DEFLECTION_TOL
            bound = ";" in fit.provenance
            ok = (on_target or bound) and r.safety_factor >= SAFETY_FACTOR_MIN and report.ok
            failures += not ok
            reason = fit.provenance.split(";", 1)[1].strip() if bound else ""
            print(
                f"{row} {'ok  ' if ok else 'MISS'} rule {spec.thickness_mm:.2f} -> "
                f"{fit.spec.thickness_mm:.2f} mm, arch {r.deflection_mm:.2f}/"
                f"{fit.target_deflection_mm:.2f} mm, SF {r.safety_factor:.2f}, checks "
                f"{'pass' if report.ok else ','.join(report.failed)}, "
                f"{time.perf_counter() - start:.1f} s {reason}"
            )
    print(f"{failures} rows miss the acceptance")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
