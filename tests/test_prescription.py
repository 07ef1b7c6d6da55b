"""The prescription from the profile's ``[design]`` table (or an order's columns) to the spec."""

from __future__ import annotations

from pathlib import Path

import pytest
from feet import synthetic_foot

from shellgen._orders import read_orders
from shellgen.calibration import calibrate
from shellgen.errors import ProfileError
from shellgen.prescription import PRESCRIPTION_LIMITS, Prescription
from shellgen.profile import Design, Patient, Profile, load_profile, profile_path, with_fields

BASE = Profile(schema_version=1, name="base", patient=Patient(bodyweight_kg=70.0))


def test_every_prescription_number_is_a_design_key_with_its_range() -> None:
    for name, (low, high, unit) in PRESCRIPTION_LIMITS.items():
        key = "rearfoot_post_motion_deg" if name == "post_motion_deg" else name
        field = Design.model_fields[key]
        bounds = {k: getattr(m, k) for m in field.metadata for k in ("ge", "le") if hasattr(m, k)}
        assert bounds == {"ge": low, "le": high}
        assert key.endswith(f"_{unit}")
        assert low <= field.default <= high


def test_nothing_is_ordered_by_default() -> None:
    spec = calibrate(synthetic_foot(), BASE)
    assert spec.prescription.ordered() == []
    assert all(p.source == "default" for p in spec.prescription.provenance.values())


def test_design_keys_reach_the_spec_with_their_provenance() -> None:
    profile = with_fields(
        BASE,
        rearfoot_post_deg="-3.5",
        rearfoot_post_motion_deg="2",
        skive_depth_mm="3",
        met_pad_height_mm="4",
        met_pad_shape="bar",
    )
    spec = calibrate(synthetic_foot(), profile)
    rx = spec.prescription
    assert spec.post_angle_deg == -3.5
    assert spec.provenance["post_angle_deg"].source == "profile"
    assert (rx.post_motion_deg, rx.skive_depth_mm, rx.met_pad_height_mm) == (2.0, 3.0, 4.0)
    assert rx.ordered() == ["post_motion", "skive", "met_bar"]
    table = spec.as_json()
    assert table["skive_depth_mm"] == {
        "value": 3.0,
        "unit": "mm",
        "source": "profile",
        "rule": "[design] skive_depth_mm",
    }
    assert table["met_pad_shape"]["value"] == "bar"
    assert table["heel_lift_mm"]["source"] == "default"


def test_leg_rotation_proposes_a_varus_post_unless_the_design_sets_one() -> None:
    rotated = with_fields(BASE, leg_rotation_deg="20")
    assert calibrate(synthetic_foot(), rotated).post_angle_deg == pytest.approx(4.0)
    pinned = with_fields(rotated, rearfoot_post_deg="0")
    spec = calibrate(synthetic_foot(), pinned)
    assert spec.post_angle_deg == 0.0
    assert "leg rotation would give 4 deg" in spec.provenance["post_angle_deg"].rule


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("heel_lift_mm", "16", "from 0 to 15 mm"),
        ("rearfoot_post_motion_deg", "-1", "from 0 to 4 deg"),
        ("rearfoot_post_deg", "9", "from -8 to 8 deg"),
        ("met_pad_shape", "ring", "one of dome, bar"),
    ],
)
def test_a_bad_value_is_one_line_naming_field_value_and_range(
    key: str, value: str, allowed: str
) -> None:
    with pytest.raises(ProfileError) as caught:
        with_fields(BASE, **{key: value})
    message = str(caught.value)
    assert "\n" not in message
    assert f"design.{key} = {value!r}".replace("'", '"') in message
    assert allowed in message


def test_out_of_range_lists_each_bad_field() -> None:
    rx = Prescription(heel_lift_mm=20.0, skive_angle_deg=2.0)
    assert rx.out_of_range() == [
        ("skive_angle_deg", 2.0, 5.0, 30.0),
        ("heel_lift_mm", 20.0, 0.0, 15.0),
    ]


def test_the_extension_reaches_the_plan_and_a_full_shell_refuses_mortons() -> None:
    profile = with_fields(BASE, extension="first_ray_cutout", extension_thickness_mm="1.5")
    spec = calibrate(synthetic_foot(), profile)
    assert (spec.prescription.extension, spec.prescription.extension_thickness_mm) == (
        "first_ray_cutout",
        1.5,
    )
    assert spec.as_json()["extension"]["source"] == "profile"
    with pytest.raises(ProfileError) as caught:
        with_fields(BASE, extension="mortons", shell_length="full")
    assert str(caught.value) == (
        "profile 'base' with extension, shell_length: design.extension = 'mortons' extends a "
        "shell to full length, but shell_length is already 'full'; allowed: shell_length "
        "three_quarter or sulcus"
    )


def test_a_shoe_outline_file_is_read_scaled_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "insole.csv"
    path.write_text("x,y\n0,0\n100,-20\n200,0\n100,20\n")
    profile = with_fields(BASE, shoe_outline=str(path), shoe_outline_length_mm="250")
    spec = calibrate(synthetic_foot(), profile)
    insole = spec.prescription.shoe_insole
    assert insole == ((0.0, 0.0), (125.0, -25.0), (250.0, 0.0), (125.0, 25.0))
    row = spec.as_json()["shoe_insole"]
    assert row["value"] == [[0.0, 0.0], [125.0, -25.0], [250.0, 0.0], [125.0, 25.0]]
    assert row["rule"].endswith("4 points, scaled to 250 mm long")
    missing = with_fields(BASE, shoe_outline=str(tmp_path / "none.csv"))
    with pytest.raises(ProfileError, match=r"shoe_outline = .*none.csv.*: cannot read it"):
        calibrate(synthetic_foot(), missing)


@pytest.mark.parametrize(
    ("name", "ordered"),
    [
        ("pronated_runner", ["post_motion", "skive", "met_pad"]),
        ("plantar_fasciitis", ["heel_lift", "spur_relief"]),
    ],
)
def test_the_prescription_profiles_order_their_modifications(name: str, ordered: list[str]) -> None:
    spec = calibrate(synthetic_foot(), load_profile(profile_path(name)))
    assert spec.prescription.ordered() == ordered
    if name == "pronated_runner":
        assert (spec.post_angle_deg, spec.provenance["post_angle_deg"].source) == (4.0, "profile")


def test_the_readme_orders_example_carries_prescriptions_that_build(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("```csv\n", 1)[1].split("```", 1)[0]
    assert "rearfoot_post_deg" in block.splitlines()[0]
    root = Path(__file__).resolve().parents[1]
    orders_csv = tmp_path / "orders.csv"
    orders_csv.write_text(block.replace("scans/", f"{root}/scans/"), encoding="utf-8")
    orders = read_orders(orders_csv)
    assert [o.problem for o in orders] == [""] * 4
    ordered = []
    for order in orders:
        profile = with_fields(load_profile(profile_path(order.profile)), **dict(order.fields))
        ordered.append(calibrate(synthetic_foot(), profile).prescription.ordered())
    assert ordered == [
        ["post_motion", "skive", "met_pad"],
        ["skive", "met_pad", "shoe_fit"],
        ["heel_lift"],
        ["mortons"],
    ]


def test_an_extension_plate_too_thin_for_the_material_is_refused_in_the_profile() -> None:
    with pytest.raises(ProfileError) as caught:
        with_fields(BASE, material="PP", extension_thickness_mm="1.4")
    assert str(caught.value).endswith(
        "design.extension_thickness_mm = 1.4: thinner than PP can print as a plate; allowed: "
        "0 for none, or at least 1.5 mm"
    )


def test_a_met_pad_leaves_no_relief_slots_under_it() -> None:
    runner = load_profile(profile_path("runner"))
    assert calibrate(synthetic_foot(), runner).slot_count == 4
    spec = calibrate(synthetic_foot(), with_fields(runner, met_pad_height_mm="4"))
    assert spec.slot_count == 0
    assert spec.provenance["slot_count"].rule.endswith(
        "-> 4; a met pad lies over the flex zone -> 0"
    )
