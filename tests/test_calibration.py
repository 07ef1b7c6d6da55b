"""``calibrate``: the rules, their anchors, hard limits and provenance."""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Any, get_args

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from shapely.geometry import MultiPolygon, Polygon

from shellgen.analysis import Arch, ArchType, Foot, HeightField, Landmarks
from shellgen.calibration import (
    ACTIVITY_LOAD,
    MASS_FRACTION,
    THICKNESS_MAX_MM,
    arch_drop_mm,
    arch_flexibility_factor,
    arch_height_mm,
    calibrate,
    flex_thickness_ratio,
    heel_cup_depth_mm,
    load_factor,
    material_factor,
    post_angle_deg,
    relief_slot_count,
    shell_thickness_mm,
    weight_thickness_mm,
)
from shellgen.errors import ProfileError, ScanError
from shellgen.materials import MATERIALS
from shellgen.profile import (
    Activity,
    ForefootMobility,
    Profile,
    load_profile,
    profile_path,
    with_fields,
)
from shellgen.scan import Scan, ScanSource
from shellgen.spec import ShellSpec

SHIPPED = ("standard", "runner", "heavy_duty", "cavus", "flexible_flatfoot", "child")
ACTIVITIES: tuple[Activity, ...] = get_args(Activity)
MOBILITIES: tuple[ForefootMobility, ...] = get_args(ForefootMobility)
FLEXIBILITIES: tuple[str | float, ...] = ("rigid", "semi_rigid", "flexible", 0.0, 5.0, 9.0, 25.0)
ARCH_TYPES: tuple[ArchType, ...] = ("high", "normal", "low")
PP = MATERIALS["PP"]


def make_foot(
    *,
    arch_type: ArchType = "normal",
    arch_height_mm: float = 15.0,
    length_mm: float = 260.0,
    side: str = "right",
    path: str = "scans/A1001.stl",
) -> Foot:
    """A plausible measured foot: length 260 mm, MTH1 at x 185, MTH5 at x 165, ball 98 mm."""
    k = length_mm / 260.0
    source = ScanSource(path, "stl", "0" * 64, 1000, 0, 500)
    scan = Scan(
        points=np.zeros((1, 3)),
        side=side,  # type: ignore[arg-type]
        kind="foot",
        kind_detected=True,
        side_detected=True,
        units="mm",
        units_source="detected",
        mm_per_unit=1.0,
        to_scanner=np.eye(4),
        n_outliers_removed=0,
        n_floor_removed=0,
        n_leg_removed=0,
        source=source,
    )
    outline = Polygon([(0, -45 * k), (length_mm, -45 * k), (length_mm, 50 * k), (0, 50 * k)])
    return Foot(
        scan=scan,
        plantar=HeightField(0.0, -50.0, 2.0, np.zeros((50, 140))),
        footprint=outline,
        plantar_region=outline,
        contact_region=MultiPolygon([outline]),
        standing=True,
        landmarks=Landmarks(
            heel_centre=(30 * k, 0.0),
            heel_medial=(30 * k, 25 * k),
            heel_lateral=(30 * k, -25 * k),
            mth1=(185 * k, 35 * k),
            mth5=(165 * k, -38 * k),
            arch_apex=(100 * k, 30 * k),
            toe_tip=(length_mm, 10 * k),
        ),
        foot_length_mm=length_mm,
        ball_width_mm=98.0 * k,
        heel_width_mm=62.0 * k,
        arch_length_mm=185.0 * k,
        arch=Arch(arch_height_mm, 100 * k, 0.23, arch_type, np.zeros(3), np.zeros(3)),
    )


def make_profile(
    patient: dict[str, Any] | None = None,
    design: dict[str, Any] | None = None,
    override: dict[str, Any] | None = None,
) -> Profile:
    return Profile.model_validate(
        {
            "schema_version": 1,
            "name": "test",
            "patient": {"bodyweight_kg": 70.0, **(patient or {})},
            "design": design or {},
            "override": override or {},
        }
    )


# --- thickness: McCormick 2013 and plate bending ---------------------------------------


@pytest.mark.parametrize(
    ("arch_type", "weight_kg", "table_mm"),
    [
        ("normal", 60.0, 4.0),
        ("normal", 90.0, 4.5),
        ("low", 60.0, 4.0),
        ("low", 90.0, 4.5),
        ("high", 60.0, 3.0),
        ("high", 90.0, 4.0),
    ],
)
def test_reference_case_reproduces_mccormicks_table(
    arch_type: ArchType, weight_kg: float, table_mm: float
) -> None:
    # PP, walking, semi-rigid arch: the conditions of the table
    spec = calibrate(
        make_foot(arch_type=arch_type),
        make_profile({"bodyweight_kg": weight_kg}, {"material": "PP"}),
    )
    assert spec.thickness_mm == pytest.approx(table_mm, abs=0.25)
    assert spec.thickness_mm == pytest.approx(table_mm, abs=0.02)  # closer than required


def test_the_table_step_is_centred_at_75_kg() -> None:
    assert weight_thickness_mm(75.0, "normal") == pytest.approx(4.25, abs=0.01)
    assert weight_thickness_mm(75.0, "high") == pytest.approx(3.5, abs=0.01)


def test_thickness_keeps_rising_beyond_the_table_as_load_to_the_third() -> None:
    # far outside 50-100 kg the curve is the table value times (w / table edge)^(1/3)
    assert weight_thickness_mm(200.0, "normal") == pytest.approx(4.5 * 2 ** (1 / 3), rel=0.01)
    assert weight_thickness_mm(25.0, "normal") == pytest.approx(4.0 * 0.5 ** (1 / 3), rel=0.01)


@settings(max_examples=200, deadline=None)
@given(
    w=st.floats(20.0, 249.0),
    dw=st.floats(0.01, 50.0),
    arch_type=st.sampled_from(ARCH_TYPES),
)
def test_weight_thickness_strictly_rises_with_bodyweight(
    w: float, dw: float, arch_type: ArchType
) -> None:
    assert weight_thickness_mm(min(w + dw, 250.0), arch_type) > weight_thickness_mm(w, arch_type)


def test_a_cavoid_foot_gets_a_thinner_shell_than_a_neutral_one() -> None:
    for w in np.linspace(20.0, 250.0, 47):
        assert weight_thickness_mm(w, "high") < weight_thickness_mm(w, "normal")
        assert weight_thickness_mm(w, "low") == weight_thickness_mm(w, "normal")


def test_load_factor_is_the_cube_root_of_the_stated_load() -> None:
    assert ACTIVITY_LOAD == {"sedentary": 0.8, "walking": 1.0, "running": 1.6, "high_impact": 2.2}
    assert load_factor("walking") == 1.0
    assert load_factor("running") == pytest.approx(1.6 ** (1 / 3))
    factors = [load_factor(a) for a in ("sedentary", "walking", "running", "high_impact")]
    assert factors == sorted(factors)


def test_material_factor_gives_equal_bending_stiffness_to_pp() -> None:
    for mat in MATERIALS.values():
        t = material_factor(mat)
        # E t^3 is the same as for polypropylene at t = 1
        assert mat.modulus_gpa * t**3 == pytest.approx(PP.modulus_gpa)
    assert material_factor(MATERIALS["PA12-MJF"]) == pytest.approx(0.920, abs=5e-4)


def test_arch_flexibility_maps_navicular_drop_smoothly() -> None:
    assert arch_flexibility_factor("semi_rigid") == 1.0
    assert arch_flexibility_factor("rigid") < 0.92  # a rigid arch: a more flexible shell
    assert arch_flexibility_factor("flexible") > 1.08  # a flexible arch: a stiffer shell
    assert arch_flexibility_factor("rigid") == arch_flexibility_factor(3.0)
    assert arch_flexibility_factor("flexible") == arch_flexibility_factor(12.0)
    drops = np.linspace(0.0, 25.0, 251)
    factors = np.array([arch_flexibility_factor(float(d)) for d in drops])
    assert np.all(np.diff(factors) > 0)
    assert np.max(np.abs(np.diff(factors))) < 0.01  # no jumps between bands
    assert 0.88 < factors.min() and factors.max() < 1.12


@pytest.mark.parametrize("activity", ACTIVITIES)
@pytest.mark.parametrize("flexibility", FLEXIBILITIES)
@pytest.mark.parametrize("arch_type", ARCH_TYPES)
def test_thickness_rises_with_weight_and_falls_with_stiffness(
    activity: Activity, flexibility: str | float, arch_type: ArchType
) -> None:
    weights = np.linspace(20.0, 250.0, 93)
    by_modulus = sorted(MATERIALS.values(), key=lambda m: m.modulus_gpa)
    table = np.array(
        [
            [shell_thickness_mm(w, arch_type, activity, flexibility, m) for w in weights]  # type: ignore[arg-type]
            for m in by_modulus
        ]
    )
    assert np.all(np.diff(table, axis=1) >= 0)  # heavier: never thinner
    assert np.all(np.diff(table, axis=0) <= 0)  # stiffer material: never thicker


@pytest.mark.parametrize("flexibility", FLEXIBILITIES)
def test_thickness_rises_with_load(flexibility: str | float) -> None:
    for w, mat, arch_type in itertools.product((30.0, 75.0, 140.0), MATERIALS.values(), ARCH_TYPES):
        row = [shell_thickness_mm(w, arch_type, a, flexibility, mat) for a in ACTIVITIES]  # type: ignore[arg-type]
        assert row == sorted(row)


def test_a_flexible_arch_gets_a_stiffer_shell() -> None:
    def t(flex: str) -> float:
        return shell_thickness_mm(70.0, "normal", "walking", flex, PP)  # type: ignore[arg-type]

    assert t("rigid") < t("semi_rigid") < t("flexible")


def test_no_rule_goes_below_the_material_minimum_wall() -> None:
    # every material x activity x weight 20-250 kg x flexibility x arch type x mobility
    foot = make_foot()
    checked = 0
    for mat, activity, flexibility, arch_type, mobility in itertools.product(
        MATERIALS.values(), ACTIVITIES, FLEXIBILITIES, ARCH_TYPES, MOBILITIES
    ):
        for w in np.linspace(20.0, 250.0, 24):
            t = shell_thickness_mm(float(w), arch_type, activity, flexibility, mat)  # type: ignore[arg-type]
            assert mat.min_loaded_wall_mm <= t <= THICKNESS_MAX_MM
            ratio = flex_thickness_ratio(mobility, t, mat)
            assert 0 < ratio <= 1
            assert ratio * t >= mat.min_wall_mm - 1e-12
            checked += 1
    assert checked == 4 * 4 * 7 * 3 * 3 * 24
    # and through calibrate, at the thin extreme
    spec = calibrate(
        foot,
        make_profile(
            {
                "bodyweight_kg": 20.0,
                "activity": "sedentary",
                "arch_flexibility": "rigid",
                "forefoot_mobility": "mobile",
            },
            {"material": "PA12-MJF"},
        ),
    )
    assert spec.thickness_mm == pytest.approx(2.25, abs=0.01)  # the thinnest any patient gets
    assert spec.flex_thickness_ratio * spec.thickness_mm >= MATERIALS["PA12-MJF"].min_wall_mm


def test_the_ratio_is_raised_only_when_the_flex_zone_would_be_too_thin() -> None:
    assert flex_thickness_ratio("mobile", 4.0, PP) == 0.55
    assert flex_thickness_ratio("mobile", 2.0, PP) == pytest.approx(1.2 / 2.0)
    assert flex_thickness_ratio("stiff", 4.0, PP) > flex_thickness_ratio("normal", 4.0, PP)


def test_thickness_is_capped_at_6_mm() -> None:
    t = shell_thickness_mm(250.0, "normal", "high_impact", "flexible", MATERIALS["TPU-95A"])
    assert t == THICKNESS_MAX_MM


# --- the other rules ------------------------------------------------------------------


def test_an_unloaded_captures_arch_is_supported_as_captured_times_the_fill() -> None:
    foot = dataclasses.replace(make_foot(arch_height_mm=18.0), standing=False)
    for fill in (0.5, 0.8, 1.0, 1.2):
        spec = calibrate(foot, make_profile(design={"arch_fill_fraction": fill}))
        assert spec.arch_height_mm == pytest.approx(fill * 18.0)
        assert "unloaded capture, as captured" in spec.provenance["arch_height_mm"].rule
    assert arch_height_mm(-1.0, 1.0) == 0.0  # a foot with no arch gets a flat top


@pytest.mark.parametrize(
    ("flexibility", "drop_mm"),
    [("rigid", 3.0), ("semi_rigid", 7.0), ("flexible", 12.0), (9.5, 9.5)],
)
def test_a_weight_bearing_scans_arch_is_raised_by_half_its_drop_toward_mass(
    flexibility: str | float, drop_mm: float
) -> None:
    foot = make_foot(arch_height_mm=18.0)  # standing
    for fill in (0.8, 1.0):
        profile = make_profile({"arch_flexibility": flexibility}, {"arch_fill_fraction": fill})
        spec = calibrate(foot, profile)
        assert spec.arch_height_mm == pytest.approx(fill * (18.0 + MASS_FRACTION * drop_mm))
        # never above the foot's estimated unloaded arch (the loaded one plus its drop)
        assert spec.arch_height_mm / fill <= 18.0 + drop_mm
        assert f"MASS {MASS_FRACTION:g} x {drop_mm:g} mm arch drop" in (
            spec.provenance["arch_height_mm"].rule
        )
    pinned = calibrate(foot, make_profile(override={"arch_height_mm": 16.0}))
    assert pinned.arch_height_mm == 16.0  # overridable


@settings(max_examples=100, deadline=None)
@given(a=st.floats(-30.0, 30.0), b=st.floats(-30.0, 30.0))
def test_post_angle_is_monotonic_in_leg_rotation_and_within_0_to_6_deg(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert 0.0 <= post_angle_deg(low) <= post_angle_deg(high) <= 6.0


def test_post_angle_values() -> None:
    assert post_angle_deg(-15.0) == 0.0  # external rotation: no post
    assert post_angle_deg(0.0) == 0.0
    assert post_angle_deg(20.0) == pytest.approx(4.0)  # the common 4 degree post
    assert post_angle_deg(30.0) == 6.0


def test_heel_cup_and_flanges_scale_with_foot_length() -> None:
    profile = make_profile(design={"heel_cup_depth_mm": 15.0, "medial_flange_mm": 10.0})
    big = calibrate(make_foot(length_mm=300.0), profile)
    ref = calibrate(make_foot(length_mm=260.0), profile)
    assert ref.heel_cup_depth_mm == 15.0
    assert ref.medial_flange_mm == 10.0
    assert ref.lateral_flange_mm == 4.0  # the default
    assert big.heel_cup_depth_mm == pytest.approx(15.0 * 300 / 260)
    assert big.medial_flange_mm == pytest.approx(10.0 * 300 / 260)
    assert big.lateral_flange_mm == pytest.approx(4.0 * 300 / 260)


def test_heel_cup_stays_within_8_to_25_mm() -> None:
    assert heel_cup_depth_mm(8.0, 120.0) == 8.0
    assert heel_cup_depth_mm(25.0, 340.0) == 25.0
    assert heel_cup_depth_mm(12.0, 260.0) == 12.0


def test_flex_zone_starts_10_mm_behind_the_more_proximal_metatarsal_head() -> None:
    spec = calibrate(make_foot(), make_profile())
    assert spec.flex_start_x_mm == pytest.approx(165.0 - 10.0)
    small = calibrate(make_foot(length_mm=208.0), make_profile())
    assert small.flex_start_x_mm == pytest.approx(0.8 * 165.0 - 8.0)


def test_a_more_mobile_forefoot_gets_a_longer_thinner_flex_zone() -> None:
    specs = [
        calibrate(make_foot(), make_profile({"forefoot_mobility": m}, {"material": "PP"}))
        for m in ("stiff", "normal", "mobile")
    ]
    tapers = [s.flex_taper_mm for s in specs]
    ratios = [s.flex_thickness_ratio for s in specs]
    assert tapers == sorted(tapers) and len(set(tapers)) == 3
    assert ratios == sorted(ratios, reverse=True) and len(set(ratios)) == 3


@pytest.mark.parametrize(
    ("material", "mobility", "length", "count"),
    [
        ("PA12-MJF", "mobile", "sulcus", 4),
        ("PA12-MJF", "normal", "full", 3),
        ("PP", "normal", "sulcus", 3),
        ("PA12-MJF", "stiff", "sulcus", 0),  # a stiff forefoot needs no hinge
        ("TPU-95A", "mobile", "full", 0),  # a soft material bends anyway
        ("PA12-MJF", "mobile", "three_quarter", 0),  # nothing past the heads to hinge
    ],
)
def test_relief_slots(material: str, mobility: ForefootMobility, length: Any, count: int) -> None:
    assert relief_slot_count(MATERIALS[material], mobility, length) == count
    spec = calibrate(
        make_foot(),
        make_profile(
            {"forefoot_mobility": mobility}, {"material": material, "shell_length": length}
        ),
    )
    assert spec.slot_count == count
    # the slot size is in the spec even without slots
    assert 2.0 <= spec.slot_width_mm <= 3.0
    assert spec.slot_length_mm == pytest.approx(98.0 / 2)
    assert spec.slot_count * spec.slot_width_mm * 2 <= spec.flex_taper_mm  # slots fit the taper


# --- labels ---------------------------------------------------------------------------


def test_label_uses_the_order_id_or_the_scan_stem_and_the_side() -> None:
    profile = make_profile()
    assert calibrate(make_foot(side="left"), profile).label == "A1001-L"
    assert calibrate(make_foot(), profile, order_id="ORD-7").label == "ORD-7-R"
    custom = make_profile(design={"label": "X {side} {order}"})
    assert calibrate(make_foot(), custom, order_id="9").label == "X R 9"


# --- provenance and overrides ---------------------------------------------------------

NUMERIC = [f.name for f in dataclasses.fields(ShellSpec) if f.type in ("float", "int")]


def test_every_field_has_a_provenance_and_the_json_names_the_required_ones() -> None:
    spec = calibrate(make_foot(), load_profile(profile_path("runner")))
    assert set(NUMERIC) | {"material", "shell_length", "label"} == set(spec.provenance)
    table = spec.as_json()
    for name in (
        "thickness_mm",
        "arch_height_mm",
        "post_angle_deg",
        "heel_cup_depth_mm",
        "flex_start_x_mm",
        "flex_thickness_ratio",
        "slot_count",
        "slot_width_mm",
        "slot_length_mm",
        "flex_taper_mm",
    ):
        row = table[name]
        assert set(row) == {"value", "unit", "source", "rule"}
        assert row["source"] in ("profile", "calibrated", "override", "default")
    assert table["thickness_mm"]["unit"] == "mm"
    assert table["post_angle_deg"]["unit"] == "deg"
    assert table["flex_thickness_ratio"]["unit"] == "1"


def test_the_thickness_rule_names_its_inputs() -> None:
    spec = calibrate(make_foot(), make_profile({"bodyweight_kg": 75.0}))
    p = spec.provenance["thickness_mm"]
    assert p.source == "calibrated"
    for part in (
        "McCormick 2013",
        "75 kg",
        "normal arch",
        "load(walking 1)^(1/3)=1.000",
        "(E_PP/E)^(1/3)=0.920 (PA12-MJF)",
        "semi_rigid",
    ):
        assert part in p.rule


def test_design_keys_are_profile_when_set_and_default_when_not() -> None:
    spec = calibrate(make_foot(), make_profile(design={"grid_spacing_mm": 1.0}))
    assert spec.grid_spacing_mm == 1.0
    assert spec.provenance["grid_spacing_mm"].source == "profile"
    assert spec.provenance["rim_radius_mm"].source == "default"
    assert spec.provenance["material"].source == "default"
    assert spec.as_json()["material"]["source"] == "default"


def test_an_override_pins_a_number_and_says_what_the_rule_gave() -> None:
    spec = calibrate(
        make_foot(), make_profile(override={"thickness_mm": 3.2, "post_angle_deg": 5.0})
    )
    assert spec.thickness_mm == 3.2
    assert spec.post_angle_deg == 5.0
    p = spec.provenance["thickness_mm"]
    assert p.source == "override"
    assert "the rule gave 3.732" in p.rule  # 70 kg, PA12-MJF
    assert spec.provenance["arch_height_mm"].source == "calibrated"


def test_every_numeric_field_can_be_overridden() -> None:
    pins = {
        "thickness_mm": 3.3,
        "arch_height_mm": 11.0,
        "heel_cup_depth_mm": 20.0,
        "medial_flange_mm": 9.0,
        "lateral_flange_mm": 2.0,
        "post_angle_deg": 2.5,
        "flex_start_x_mm": 150.0,
        "flex_taper_mm": 30.0,
        "flex_thickness_ratio": 0.5,
        "slot_count": 2,
        "slot_width_mm": 3.0,
        "slot_length_mm": 40.0,
        "rim_radius_mm": 1.0,
        "grid_spacing_mm": 1.5,
        "label_depth_mm": 1.2,
    }
    assert set(pins) == set(NUMERIC)
    spec = calibrate(make_foot(), make_profile(override=pins))
    for name, value in pins.items():
        assert getattr(spec, name) == value
        assert spec.provenance[name].source == "override"
    assert isinstance(spec.slot_count, int)


def test_an_overridden_thickness_sets_the_flex_ratio_floor() -> None:
    spec = calibrate(
        make_foot(),
        make_profile({"forefoot_mobility": "mobile"}, {"material": "PP"}, {"thickness_mm": 2.0}),
    )
    assert spec.flex_thickness_ratio == pytest.approx(1.2 / 2.0)


def test_an_override_that_thins_the_flex_zone_below_the_minimum_wall_is_refused() -> None:
    profile = make_profile(
        design={"material": "PP"}, override={"thickness_mm": 2.0, "flex_thickness_ratio": 0.4}
    )
    with pytest.raises(ProfileError, match=r"below the minimum wall of PP.*at least 0.600"):
        calibrate(make_foot(), profile)


def test_an_overridden_thickness_below_the_loaded_wall_is_refused() -> None:
    # (load_profile turns this into a ProfileError naming the file: see test_profile.py)
    with pytest.raises(ValidationError, match=r"override.thickness_mm = 1.8.*at least 2.0 mm"):
        make_profile(override={"thickness_mm": 1.8})


# --- the shipped profiles -------------------------------------------------------------


def expected_spec(profile: Profile, foot: Foot) -> dict[str, object]:
    """What each profile field should become, straight from the rules."""
    p, d = profile.patient, profile.design
    mat = MATERIALS[d.material]
    k = foot.foot_length_mm / 260.0
    thickness = shell_thickness_mm(
        p.bodyweight_kg, foot.arch.type, p.activity, p.arch_flexibility, mat
    )
    out: dict[str, object] = {
        "material": d.material,
        "shell_length": d.shell_length,
        "thickness_mm": thickness,
        "arch_height_mm": d.arch_fill_fraction
        * (foot.arch.height_mm + MASS_FRACTION * arch_drop_mm(profile.patient.arch_flexibility)),
        "heel_cup_depth_mm": min(max(d.heel_cup_depth_mm * k, 8.0), 25.0),
        "medial_flange_mm": d.medial_flange_mm * k,
        "lateral_flange_mm": d.lateral_flange_mm * k,
        "post_angle_deg": min(max(0.2 * p.leg_rotation_deg, 0.0), 6.0),
        "flex_thickness_ratio": flex_thickness_ratio(p.forefoot_mobility, thickness, mat),
        "slot_count": relief_slot_count(mat, p.forefoot_mobility, d.shell_length),
        "rim_radius_mm": d.rim_radius_mm,
        "grid_spacing_mm": d.grid_spacing_mm,
        "label_depth_mm": d.label_depth_mm,
        "label": d.label.format(order="A1001", side="R"),
    }
    for name, value in profile.override.model_dump(exclude_none=True).items():
        out[name] = value
    return out


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("arch_type", ["normal", "high"])
def test_a_shipped_profile_reaches_the_spec_as_its_rules_say(
    name: str, arch_type: ArchType
) -> None:
    profile = load_profile(profile_path(name))
    foot = make_foot(arch_type=arch_type, length_mm=200.0 if name == "child" else 260.0)
    spec = calibrate(foot, profile)
    for field, value in expected_spec(profile, foot).items():
        got = spec.material.name if field == "material" else getattr(spec, field)
        assert got == (pytest.approx(value) if isinstance(value, float) else value), field
    mat = spec.material
    assert mat.min_loaded_wall_mm <= spec.thickness_mm <= 6.0
    assert spec.thickness_mm * spec.flex_thickness_ratio >= mat.min_wall_mm


def changed(value: Any, key: str) -> Any:
    """Another valid value for a profile key."""
    alternatives: dict[str, Any] = {
        "activity": {"walking": "running"},
        "forefoot_mobility": {"normal": "mobile", "mobile": "stiff", "stiff": "normal"},
        "arch_flexibility": {"semi_rigid": "flexible", "rigid": "flexible", "flexible": "rigid"},
        "material": {"PA12-MJF": "PP", "PA11-SLS": "TPU-95A", "PP": "PA11-SLS"},
        "shell_length": {"three_quarter": "full", "sulcus": "three_quarter", "full": "sulcus"},
    }
    if key == "arch_flexibility" and isinstance(value, float):
        return value - 8.0
    if key in alternatives:
        return alternatives[key].get(value, "walking" if key == "activity" else None)
    if key == "label":
        return "Z-" + value
    if isinstance(value, float):
        bumps = {
            "arch_fill_fraction": 0.1,
            "label_depth_mm": 0.2,
            "grid_spacing_mm": 0.5,
            "leg_rotation_deg": 10.0,
        }
        return value + bumps.get(key, 2.0)
    raise AssertionError(key)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_field_of_a_shipped_profile_changes_the_spec(name: str) -> None:
    profile = load_profile(profile_path(name))
    foot = make_foot()
    base = calibrate(foot, profile).as_json()
    keys = [*profile.patient.model_fields_set, *profile.design.model_fields_set]
    assert len(keys) >= 11  # every patient key and the main design keys
    for key in keys:
        section = profile.patient if key in profile.patient.model_fields_set else profile.design
        new = changed(getattr(section, key), key)
        assert new is not None, key
        after = calibrate(foot, with_fields(profile, **{key: new})).as_json()
        moved = {n for n in base if base[n]["value"] != after[n]["value"]}
        # a field feeding only an overridden number is still reported in its rule
        reported = {
            n
            for n in base
            if base[n]["source"] == "override" and base[n]["rule"] != after[n]["rule"]
        }
        assert moved or reported, f"{name}: changing {key} to {new!r} changed nothing"


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_profiles_are_sensible(name: str) -> None:
    profile = load_profile(profile_path(name))
    spec = calibrate(make_foot(), profile)
    assert 2.0 <= spec.thickness_mm <= 6.0
    assert 8.0 <= spec.heel_cup_depth_mm <= 25.0
    assert 0.0 <= spec.post_angle_deg <= 6.0
    # at most the foot's estimated unloaded arch (its measured 15 mm, standing, plus the drop)
    assert 0.0 < spec.arch_height_mm <= 15.0 + arch_drop_mm(profile.patient.arch_flexibility)


def test_the_cavus_and_flatfoot_profiles_differ_where_they_should() -> None:
    foot = make_foot()
    cavus = calibrate(foot, load_profile(profile_path("cavus")))
    flat = calibrate(foot, load_profile(profile_path("flexible_flatfoot")))
    assert cavus.lateral_flange_mm > cavus.medial_flange_mm
    assert flat.medial_flange_mm > flat.lateral_flange_mm
    assert flat.post_angle_deg > cavus.post_angle_deg == 0.0


# --- bad feet -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"length_mm": 2.6}, r"foot length 2.6 mm is outside 100-350 mm.*--units"),
        ({"arch_height_mm": math.nan}, r"arch height is nan"),
    ],
)
def test_an_unusable_foot_is_a_scan_error(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ScanError, match=message):
        calibrate(make_foot(**kwargs), make_profile())  # type: ignore[arg-type]
