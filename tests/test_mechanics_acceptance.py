"""Every shipped profile, calibrated by mechanics, meets its target or stops at a bound with
the reason, keeps a safety factor of 2 and passes every check (issue 13).

A sample of the sweep ``scripts/mechanics_sweep.py`` runs in full: each shipped profile on a
sample scan (``scans/``, rotating) and on a clinic kind (rotating), at the default mechanics
mesh the targets were derived on.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from _scans import CLINIC_KINDS, clinic_foot

from shellgen.analysis import Foot
from shellgen.calibration import (
    DEFLECTION_TOL,
    SAFETY_FACTOR_MIN,
    calibrate,
    thickness_by_mechanics,
)
from shellgen.pipeline import analyze_file
from shellgen.profile import load_profile, profile_path, shipped_profiles
from shellgen.shell import build
from shellgen.validation import validate

SCANS = sorted((Path(__file__).resolve().parent.parent / "scans").glob("*.[os][bt][jl]"))
KINDS = list(CLINIC_KINDS)
PROFILES = shipped_profiles()
#: Measured, not met: the insoleTilter plantar scan's full-length shell floats its curled-up
#: forefoot 1.5-11 mm over the plate and rests on two lateral points; under heavy_duty's
#: 120 kg high-impact load the stress there leaves a safety factor of 1.08 at 6 mm of PA12.
#: And heavy_duty (120 kg, high impact: 2.6 body weights) on the synthetic leg-to-mid-calf
#: foot: 15.0 MPa at 6 mm of PA12, a safety factor of 1.53. No printable material reaches 2
#: there; calibration says so and suggests a stiffer, stronger material.
KNOWN_MISSES = {
    ("insoletilter_plantar_right_mm.obj", "heavy_duty"),
    ("leg-to-mid-calf", "heavy_duty"),
}


@cache
def _foot(name: str) -> Foot:
    if name in KINDS:
        return clinic_foot(name, 1)
    return analyze_file(Path(__file__).resolve().parent.parent / "scans" / name)


def _cases() -> list[object]:
    cases = []
    for i, profile in enumerate(PROFILES):
        for foot in (SCANS[i % len(SCANS)].name, KINDS[(3 * i) % len(KINDS)]):
            marks = []
            if (foot, profile) in KNOWN_MISSES:
                marks = [pytest.mark.xfail(strict=True, reason="see KNOWN_MISSES")]
            cases.append(pytest.param(foot, profile, id=f"{profile}-{foot}", marks=marks))
    return cases


@pytest.mark.parametrize(("foot_name", "profile_name"), _cases())
def test_a_shipped_profile_calibrated_by_mechanics_meets_its_target_safely(
    foot_name: str, profile_name: str
) -> None:
    foot = _foot(foot_name)
    profile = load_profile(profile_path(profile_name))
    fit = thickness_by_mechanics(foot, calibrate(foot, profile, order_id="C1"), profile)
    r = fit.response
    assert r.deflection_mm is not None and r.safety_factor is not None
    on_target = abs(r.deflection_mm / fit.target_deflection_mm - 1.0) <= DEFLECTION_TOL
    at_wall = f"at the {fit.spec.material.min_loaded_wall_mm:g} mm loaded minimum wall"
    thickened = "thickened for a safety factor"
    if not on_target:  # a bound, with its reason
        assert at_wall in fit.provenance or thickened in fit.provenance, fit.provenance
        if thickened in fit.provenance:
            assert r.deflection_mm < fit.target_deflection_mm  # stiffer than asked, for fatigue
    assert r.safety_factor >= SAFETY_FACTOR_MIN
    shell = build(foot, fit.spec)
    report = validate(shell, material=fit.spec.material, foot_outline=foot.footprint)
    assert report.ok, report.failed
