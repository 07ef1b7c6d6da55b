"""Calibration by mechanics: the thickness solved for a target arch deflection (issue 13).

On the analytic synthetic foot (tests/feet.py), at a coarse 6 mm mechanics mesh to stay cheap.
"""

from __future__ import annotations

import re

import pytest
from feet import synthetic_foot

from shellgen.analysis import Foot
from shellgen.calibration import (
    DEFLECTION_TOL,
    SAFETY_FACTOR_MIN,
    MechanicsFit,
    calibrate,
    deflection_target_mm,
    thickness_by_mechanics,
)
from shellgen.errors import ProfileError
from shellgen.mechanics._targets import DEFLECTION_MM_PER_KG
from shellgen.profile import Profile, load_profile, profile_path, with_fields

SPACING_MM = 6.0


@pytest.fixture(scope="module")
def foot() -> Foot:
    return synthetic_foot()


def fit_for(foot: Foot, profile: Profile) -> MechanicsFit:
    return thickness_by_mechanics(foot, calibrate(foot, profile), profile, SPACING_MM)


@pytest.fixture(scope="module")
def standard() -> Profile:
    return load_profile(profile_path("standard"))


@pytest.fixture(scope="module")
def fit(foot: Foot, standard: Profile) -> MechanicsFit:
    return fit_for(foot, standard)


def test_target_is_mccormicks_shell_on_the_reference_foot_per_kilogram() -> None:
    per_kg = DEFLECTION_MM_PER_KG[("neutral", "below_75kg")][2]
    assert deflection_target_mm(60.0, "normal", "semi_rigid") == pytest.approx(60.0 * per_kg)
    cavoid = DEFLECTION_MM_PER_KG[("cavoid", "from_75kg")][2]
    assert deflection_target_mm(90.0, "high", "semi_rigid") == pytest.approx(90.0 * cavoid)
    # a flexible arch gets less deflection (more support), a rigid one more
    flexible = deflection_target_mm(60.0, "normal", "flexible")
    rigid = deflection_target_mm(60.0, "normal", "rigid")
    assert flexible < deflection_target_mm(60.0, "normal", "semi_rigid") < rigid


def test_solved_shell_meets_the_target_or_is_thickened_for_fatigue(fit: MechanicsFit) -> None:
    r = fit.response
    assert r.safety_factor >= SAFETY_FACTOR_MIN
    assert fit.spec.material.min_loaded_wall_mm <= fit.spec.thickness_mm <= 6.0
    if "thickened" in fit.provenance:
        # thickened past the target's thickness: stiffer than the target asks
        assert r.deflection_mm < fit.target_deflection_mm
        assert r.safety_factor == pytest.approx(SAFETY_FACTOR_MIN, rel=0.05)
    else:
        assert r.deflection_mm == pytest.approx(fit.target_deflection_mm, rel=DEFLECTION_TOL)


def test_provenance_says_target_load_result_and_thickness(fit: MechanicsFit) -> None:
    pattern = r"FE: target (\d+\.\d\d) mm at (\d+) N, (\d+\.\d\d) mm with (\d+\.\d\d) mm PA12-MJF"
    match = re.match(pattern, fit.provenance)
    assert match, fit.provenance
    assert float(match[1]) == pytest.approx(fit.target_deflection_mm, abs=0.005)
    assert float(match[2]) == pytest.approx(fit.response.load_n, abs=0.5)
    assert float(match[4]) == pytest.approx(fit.spec.thickness_mm, abs=0.005)


def test_a_heavier_patient_gets_a_thicker_shell(
    foot: Foot, standard: Profile, fit: MechanicsFit
) -> None:
    heavy = fit_for(foot, with_fields(standard, bodyweight_kg=100.0))
    assert heavy.spec.thickness_mm > fit.spec.thickness_mm
    assert heavy.response.safety_factor >= SAFETY_FACTOR_MIN


def test_tpu_is_refused_for_a_rigid_shell_with_the_reason(foot: Foot, standard: Profile) -> None:
    tpu = with_fields(standard, material="TPU-95A")
    with pytest.raises(ProfileError, match=r"TPU-95A \(0.05 GPa\) cannot make a rigid shell"):
        fit_for(foot, tpu)


MCCORMICK_TOL_MM = 0.25


@pytest.fixture(scope="module")
def reference_feet() -> dict[str, Foot]:
    """The reference feet the targets were derived on (scripts/deflection_targets.py)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    from deflection_targets import FEET, reference_foot

    return {posture: reference_foot(model) for posture, model in FEET.items()}


@pytest.mark.parametrize(
    ("posture", "weight_class"),
    [(p, w) for p in ("neutral", "cavoid") for w in ("below_75kg", "from_75kg")],
)
def test_mccormicks_shells_are_the_thickness_that_meets_the_deflection_target(
    reference_feet: dict[str, Foot], posture: str, weight_class: str
) -> None:
    """PP, walking, semi-rigid, on the reference foot: the deflection target is met at
    McCormick's thickness (4.0/4.5 mm neutral, 3.0/4.0 mm cavoid at 60/90 kg), at the
    default mechanics mesh the targets were derived on."""
    mccormick_mm, weight_kg, _ = DEFLECTION_MM_PER_KG[(posture, weight_class)]
    foot = reference_feet[posture]
    assert foot.arch.type == ("high" if posture == "cavoid" else "normal")
    profile = with_fields(load_profile(profile_path("standard")), material="PP")
    profile = with_fields(profile, bodyweight_kg=weight_kg)
    fit = thickness_by_mechanics(foot, calibrate(foot, profile), profile)
    assert fit.deflection_thickness_mm == pytest.approx(mccormick_mm, abs=MCCORMICK_TOL_MM)
    # fatigue: the safety factor of 2 at the activity load is always kept
    assert fit.response.safety_factor >= SAFETY_FACTOR_MIN


@pytest.mark.parametrize(
    "ordered", [{"leg_rotation_deg": 12.0}, {"skive_depth_mm": 4.0}, {"met_pad_height_mm": 5.0}]
)
def test_a_modification_is_in_the_shell_the_thickness_is_solved_on(
    foot: Foot, standard: Profile, fit: MechanicsFit, ordered: dict[str, float]
) -> None:
    """Issue 14: calibration owns what the mechanics says. The FE runs on the modified
    shell (a post on its bed, a skive's or pad's material), so the solved thickness is the
    modified shell's own: the plain shell at that thickness responds otherwise."""
    import dataclasses

    from shellgen.mechanics import Patient, respond, solid_of_shell
    from shellgen.shell import build

    modified = fit_for(foot, with_fields(standard, **ordered))
    assert modified.response.safety_factor >= SAFETY_FACTOR_MIN
    who = Patient(standard.patient.bodyweight_kg)
    again = respond(
        solid_of_shell(build(foot, modified.spec), SPACING_MM),
        modified.spec.material,
        foot.landmarks.arch_apex,
        who,
    )
    assert again.deflection_mm == pytest.approx(modified.response.deflection_mm, rel=1e-6)
    plain = dataclasses.replace(fit.spec, thickness_mm=modified.spec.thickness_mm)
    plain_there = respond(
        solid_of_shell(build(foot, plain), SPACING_MM),
        plain.material,
        foot.landmarks.arch_apex,
        who,
    )
    assert plain_there.bench_stiffness_n_per_mm != pytest.approx(
        modified.response.bench_stiffness_n_per_mm, rel=0.01
    )


def test_the_next_thickness_lies_on_the_power_law_through_the_trials() -> None:
    """A deflection going exactly as t^-2.7: from two trials either side of the target, or
    both on one side, the next thickness meets it; from one trial the assumed slope is used,
    and a measured slope outside the believed range is held to it."""
    from shellgen.calibration import _thickness_for

    def deflection(t: float) -> float:
        return 2.0 * t**-2.7

    target = deflection(3.1)
    either_side = [(2.5, deflection(2.5)), (4.0, deflection(4.0))]
    one_side = [(4.0, deflection(4.0)), (5.0, deflection(5.0))]
    for tried in (either_side, one_side):
        assert _thickness_for(tried, target, (-4.0, -0.5), -2.5) == pytest.approx(3.1, rel=1e-9)
    one = [(4.0, deflection(4.0))]
    assert _thickness_for(one, target, (-4.0, -0.5), -2.5) == pytest.approx(
        4.0 * (target / deflection(4.0)) ** (1 / -2.5)
    )
    steep = [(4.0, deflection(4.0)), (4.2, deflection(4.0) / 2.0)]  # slope -14: held to -4
    assert _thickness_for(steep, target, (-4.0, -0.5), -2.5) == pytest.approx(
        4.0 * (target / deflection(4.0)) ** (1 / -4.0)
    )
