"""Controls come from the profile schema; a change is validated before it reaches the shell."""

from __future__ import annotations

from typing import get_args

import pytest
from feet import synthetic_foot

from shellgen.calibration import calibrate
from shellgen.errors import ProfileError
from shellgen.profile import (
    Activity,
    Design,
    MaterialName,
    Override,
    Patient,
    Profile,
    load_profile,
    profile_path,
)
from shellgen.studio import CONTROLS, apply, source_of, value_of
from shellgen.studio._controls import control, controls_for


@pytest.fixture(scope="module")
def standard() -> Profile:
    return load_profile(profile_path("standard"))


def test_every_schema_key_has_a_control_in_schema_order() -> None:
    ids = [c.id for c in CONTROLS]
    expected = [
        f"{section}.{key}"
        for section, model in (("patient", Patient), ("design", Design), ("override", Override))
        for key in model.model_fields
    ]
    assert ids == expected
    assert [c.key for c in controls_for("override")] == list(Override.model_fields)


def test_a_number_is_a_slider_with_range_step_and_unit() -> None:
    weight = control("patient.bodyweight_kg")
    assert (weight.kind, weight.unit, weight.minimum, weight.maximum) == ("number", "kg", 20, 250)
    assert weight.step == 0.5 and not weight.optional and weight.label == "Bodyweight"
    assert weight.allowed == "a number from 20 to 250 kg"
    rotation = control("patient.leg_rotation_deg")
    assert (rotation.unit, rotation.minimum, rotation.maximum) == ("deg", -30, 30)
    fill = control("design.arch_fill_fraction")
    assert (fill.unit, fill.step, fill.minimum, fill.maximum) == ("", 0.01, 0.5, 1.2)


def test_an_exclusive_bound_starts_one_step_inside() -> None:
    ratio = control("override.flex_thickness_ratio")  # gt=0, le=1
    assert ratio.minimum == pytest.approx(0.01) and ratio.maximum == 1.0


def test_a_whole_number_steps_by_one_and_an_override_may_be_unset() -> None:
    slots = control("override.slot_count")
    assert slots.integer and slots.step == 1 and slots.optional
    assert control("override.thickness_mm").optional
    assert (control("override.thickness_mm").minimum, control("override.thickness_mm").maximum) == (
        1.0,
        8.0,
    )


def test_choices_are_selects_with_the_schema_literals() -> None:
    assert control("patient.activity").kind == "choice"
    assert control("patient.activity").choices == get_args(Activity)
    assert control("design.material").choices == get_args(MaterialName)


def test_arch_flexibility_is_a_class_or_a_measured_drop_in_mm() -> None:
    flex = control("patient.arch_flexibility")
    assert flex.kind == "choice_or_number"
    assert flex.choices == ("rigid", "semi_rigid", "flexible")
    assert (flex.unit, flex.minimum, flex.maximum) == ("mm", 0.0, 25.0)


def test_the_label_is_text_of_at_most_32_characters() -> None:
    label = control("design.label")
    assert (label.kind, label.max_length) == ("text", 32)


def test_a_value_as_a_browser_sends_it_is_applied(standard: Profile) -> None:
    assert apply(standard, "patient.bodyweight_kg", 82.5).patient.bodyweight_kg == 82.5
    assert apply(standard, "patient.bodyweight_kg", " 82.5 ").patient.bodyweight_kg == 82.5
    assert apply(standard, "patient.arch_flexibility", "8").patient.arch_flexibility == 8.0
    assert apply(standard, "patient.arch_flexibility", "rigid").patient.arch_flexibility == "rigid"
    assert apply(standard, "override.slot_count", 2.0).override.slot_count == 2
    assert apply(standard, "design.label", "{order}").design.label == "{order}"


def test_slider_float_noise_is_rounded_away(standard: Profile) -> None:
    changed = apply(standard, "override.thickness_mm", 3.9999999999999996)
    assert changed.override.thickness_mm == 4.0


def test_applying_keeps_untouched_keys_unset(standard: Profile) -> None:
    changed = apply(standard, "override.thickness_mm", 3.2)
    assert changed.override.model_fields_set == {"thickness_mm"}
    assert changed.design.model_fields_set == standard.design.model_fields_set
    assert changed.patient == standard.patient


def test_an_override_is_unpinned_by_nothing(standard: Profile) -> None:
    pinned = apply(standard, "override.thickness_mm", 3.2)
    for nothing in (None, "", "  "):
        assert apply(pinned, "override.thickness_mm", nothing).override.thickness_mm is None


@pytest.mark.parametrize(
    ("control_id", "value", "message"),
    [
        (
            "patient.bodyweight_kg",
            "300",
            "profile 'standard': patient.bodyweight_kg = 300.0: out of range; "
            "allowed: a number from 20 to 250 kg",
        ),
        (
            "patient.bodyweight_kg",
            "abc",
            "profile 'standard': patient.bodyweight_kg = 'abc': not a number; "
            "allowed: a number from 20 to 250 kg",
        ),
        ("patient.bodyweight_kg", "nan", "not a number"),
        ("patient.bodyweight_kg", True, "not a number"),
        ("patient.bodyweight_kg", None, "not a number"),
        (
            "override.thickness_mm",
            1.5,
            "override.thickness_mm = 1.5: below the loaded minimum wall of PA12-MJF; "
            "allowed: at least 2.0 mm",
        ),
        ("override.slot_count", 2.5, "not a whole number"),
        ("patient.activity", "jogging", "not one of the choices"),
        ("design.label", "{x}", "unknown placeholder {x}"),
        ("design.label", "", "too short"),
        ("patient.height_mm", 1.0, "unknown setting"),
    ],
)
def test_a_value_not_allowed_is_refused_with_one_line(
    standard: Profile, control_id: str, value: object, message: str
) -> None:
    with pytest.raises(ProfileError) as caught:
        apply(standard, control_id, value)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_sources_say_profile_default_calibrated_or_override(standard: Profile) -> None:
    foot = synthetic_foot()
    spec = calibrate(foot, standard)
    assert source_of(standard, spec, control("patient.bodyweight_kg")) == "profile"
    assert source_of(standard, spec, control("design.rim_radius_mm")) == "default"
    assert source_of(standard, spec, control("override.thickness_mm")) == "calibrated"
    assert source_of(standard, spec, control("override.grid_spacing_mm")) == "default"
    pinned = apply(standard, "override.thickness_mm", 3.2)
    assert source_of(pinned, calibrate(foot, pinned), control("override.thickness_mm")) == (
        "override"
    )
    assert value_of(pinned, control("override.thickness_mm")) == 3.2
    assert value_of(standard, control("override.thickness_mm")) is None
