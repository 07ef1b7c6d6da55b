"""Calibration profiles: loading, validation messages, round trips and templates."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shellgen.errors import ProfileError
from shellgen.materials import MATERIALS
from shellgen.profile import (
    Design,
    MaterialName,
    Override,
    Patient,
    Profile,
    load_profile,
    profile_path,
    profile_template,
    save_profile,
    shipped_profiles,
    with_fields,
    write_profile_template,
)
from shellgen.spec import ShellSpec

SHIPPED = (
    "standard",
    "runner",
    "heavy_duty",
    "cavus",
    "flexible_flatfoot",
    "child",
    "pronated_runner",
    "plantar_fasciitis",
)

VALID = """\
schema_version = 1
name = "t"

[patient]
bodyweight_kg = 80.0
activity = "walking"

[design]
material = "PP"
"""


def write(tmp_path: Path, text: str, name: str = "p.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the shipped profiles --------------------------------------------------------------


def test_the_required_profiles_are_shipped() -> None:
    assert set(SHIPPED) <= set(shipped_profiles())


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_profile_loads_by_name_and_is_named_after_its_file(name: str) -> None:
    path = profile_path(name)
    assert path.name == f"{name}.toml"
    assert load_profile(path).name == name


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_profile_sets_every_patient_key(name: str) -> None:
    profile = load_profile(profile_path(name))
    assert profile.patient.model_fields_set == set(Patient.model_fields)


# --- contracts with the rest of shellgen ----------------------------------------------


def test_material_choices_are_the_material_catalogue() -> None:
    assert set(get_args(MaterialName)) == set(MATERIALS)


def test_override_keys_are_exactly_the_numeric_spec_fields() -> None:
    numeric = {
        f.name for f in dataclasses.fields(ShellSpec) if f.type in ("float", "int", float, int)
    }
    assert set(Override.model_fields) == numeric


def test_patient_and_design_keys_do_not_collide() -> None:
    # with_fields finds a key's section by its name alone
    assert not set(Patient.model_fields) & set(Design.model_fields)


# --- loading --------------------------------------------------------------------------


def test_missing_design_keys_take_their_defaults_and_are_not_marked_set(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, VALID))
    assert profile.patient.bodyweight_kg == 80.0
    assert profile.design.material == "PP"
    assert profile.design.grid_spacing_mm == 2.0
    assert profile.design.heel_cup_depth_mm == 12.0
    assert profile.design.label == "{order}-{side}"
    assert profile.design.model_fields_set == {"material"}
    assert profile.override == Override()


def test_a_measured_arch_drop_is_a_number(tmp_path: Path) -> None:
    text = VALID.replace('activity = "walking"', "arch_flexibility = 11.5")
    assert load_profile(write(tmp_path, text)).patient.arch_flexibility == 11.5


def test_an_integer_is_accepted_where_a_number_is_expected(tmp_path: Path) -> None:
    text = VALID.replace("80.0", "80")
    assert load_profile(write(tmp_path, text)).patient.bodyweight_kg == 80.0


def test_a_profile_is_frozen(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, VALID))
    with pytest.raises(ValueError, match="frozen"):
        profile.patient.bodyweight_kg = 90.0


# --- bad input: one line naming the file, the key, the value and what is allowed --------

BAD = [
    pytest.param(
        VALID.replace("80.0", "300.0"),
        ["patient.bodyweight_kg", "300.0", "out of range", "from 20 to 250 kg"],
        id="out-of-range",
    ),
    pytest.param(
        VALID.replace("80.0", '"80"'),
        ["patient.bodyweight_kg", '"80"', "wrong type", "from 20 to 250 kg"],
        id="wrong-type-text-for-number",
    ),
    pytest.param(
        VALID.replace("80.0", "true"),
        ["patient.bodyweight_kg", "true", "wrong type"],
        id="wrong-type-bool-for-number",
    ),
    pytest.param(
        VALID.replace("bodyweight_kg", "bodywieght_kg"),
        ["unknown key patient.bodywieght_kg", "80.0", "bodyweight_kg", "activity"],
        id="unknown-key",
    ),
    pytest.param(
        VALID + "\n[overide]\nthickness_mm = 3.0\n",
        ["unknown key overide", "[override]", "[patient]"],
        id="unknown-table",
    ),
    pytest.param(
        VALID + "\n[override]\nthickness = 3.0\n",
        ["unknown key override.thickness", "thickness_mm", "post_angle_deg"],
        id="unknown-override-key",
    ),
    pytest.param(
        VALID.replace('"PP"', '"PLA"'),
        ["design.material", '"PLA"', "PA12-MJF, PA11-SLS, PP, TPU-95A"],
        id="unknown-material",
    ),
    pytest.param(
        VALID.replace('"walking"', '"jogging"'),
        ["patient.activity", '"jogging"', "sedentary, walking, running, high_impact"],
        id="unknown-activity",
    ),
    pytest.param(
        VALID.replace('activity = "walking"', "arch_flexibility = 40.0"),
        ["patient.arch_flexibility", "40.0", "rigid, semi_rigid, flexible", "0 to 25 mm"],
        id="arch-drop-out-of-range",
    ),
    pytest.param(
        VALID.replace("bodyweight_kg = 80.0\n", ""),
        ["patient.bodyweight_kg is missing", "from 20 to 250 kg"],
        id="missing-weight",
    ),
    pytest.param(
        VALID.replace("schema_version = 1", "schema_version = 2"),
        ["schema_version", "2", "one of 1"],
        id="schema-version",
    ),
    pytest.param(
        VALID + 'label = "{patient}"\n',
        ["design.label", '"{patient}"', "unknown placeholder {patient}"],
        id="label-placeholder",
    ),
    pytest.param(
        VALID + "grid_spacing_mm = 0.1\n",
        ["design.grid_spacing_mm", "0.1", "from 0.5 to 5 mm"],
        id="grid-too-fine",
    ),
    pytest.param(
        VALID + "\n[override]\nslot_count = 2.5\n",
        ["override.slot_count", "2.5", "wrong type", "whole number from 0 to 10"],
        id="override-wrong-type",
    ),
    pytest.param(
        VALID + "\n[override]\npost_angle_deg = 9.0\n",
        ["override.post_angle_deg", "9.0", "from -8 to 8 deg"],
        id="override-beyond-hard-limit",
    ),
    pytest.param(
        VALID + "\n[override]\nthickness_mm = 1.5\n",
        ["override.thickness_mm = 1.5", "PP", "at least 2.0 mm"],
        id="override-below-material-wall",
    ),
    pytest.param(
        VALID.replace('name = "t"', 'name = "t"\ndesign = 3').replace(
            '[design]\nmaterial = "PP"', ""
        ),
        ["design", "wrong type", "[design] table"],
        id="table-expected",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD)
def test_a_bad_profile_is_one_line_naming_file_key_value_and_allowed(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    for part in expected:
        assert part in message


def test_bad_toml_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("activity = ", "activity "))
    with pytest.raises(ProfileError, match=r"bad TOML.*line 6") as info:
        load_profile(path)
    assert str(path) in str(info.value)


def test_a_missing_file_says_which_and_lists_the_shipped_names(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"no such profile file.*standard"):
        load_profile(tmp_path / "nope.toml")


# --- saving and round trips -----------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_a_saved_then_loaded_shipped_profile_is_equal(tmp_path: Path, name: str) -> None:
    original = load_profile(profile_path(name))
    save_profile(original, tmp_path / "copy.toml")
    again = load_profile(tmp_path / "copy.toml")
    assert again == original
    assert again.design.model_fields_set == original.design.model_fields_set


@settings(max_examples=40, deadline=None)
@given(
    weight=st.floats(20.0, 250.0),
    flexibility=st.one_of(
        st.sampled_from(["rigid", "semi_rigid", "flexible"]), st.floats(0.0, 25.0)
    ),
    rotation=st.floats(-30.0, 30.0),
    fill=st.floats(0.5, 1.2),
    material=st.sampled_from(sorted(MATERIALS)),
    thickness=st.none() | st.floats(2.0, 8.0),
    label=st.text(st.characters(codec="utf-8", exclude_characters="{}"), min_size=1, max_size=20),
)
def test_any_profile_saved_then_loaded_is_equal(
    tmp_path_factory: pytest.TempPathFactory,
    weight: float,
    flexibility: str | float,
    rotation: float,
    fill: float,
    material: str,
    thickness: float | None,
    label: str,
) -> None:
    original = Profile.model_validate(
        {
            "schema_version": 1,
            "name": "h",
            "description": "round trip",
            "patient": {
                "bodyweight_kg": weight,
                "arch_flexibility": flexibility,
                "leg_rotation_deg": rotation,
            },
            "design": {"material": material, "arch_fill_fraction": fill, "label": label},
            "override": {} if thickness is None else {"thickness_mm": thickness},
        }
    )
    path = tmp_path_factory.mktemp("rt") / "p.toml"
    save_profile(original, path)
    assert load_profile(path) == original


def test_saving_replaces_a_file_and_leaves_no_temporary_behind(tmp_path: Path) -> None:
    path = write(tmp_path, "old contents")
    save_profile(load_profile(profile_path("runner")), path)
    assert load_profile(path).name == "runner"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.toml"]


# --- with_fields (batch orders) -------------------------------------------------------


def test_with_fields_reads_text_values_as_csv_gives_them() -> None:
    base = load_profile(profile_path("standard"))
    changed = with_fields(
        base, bodyweight_kg="95.5", arch_flexibility="8.5", material="PP", activity="running"
    )
    assert changed.patient.bodyweight_kg == 95.5
    assert changed.patient.arch_flexibility == 8.5
    assert changed.design.material == "PP"
    assert changed.patient.activity == "running"
    assert changed.patient.forefoot_mobility == base.patient.forefoot_mobility
    assert base.patient.bodyweight_kg == 70.0  # the original is untouched


def test_with_fields_keeps_unset_design_keys_as_defaults() -> None:
    base = load_profile(profile_path("standard"))
    changed = with_fields(base, grid_spacing_mm=1.0)
    assert changed.design.model_fields_set == base.design.model_fields_set | {"grid_spacing_mm"}


def test_with_fields_rejects_an_unknown_key() -> None:
    base = load_profile(profile_path("standard"))
    with pytest.raises(ProfileError, match=r"unknown key weight_kg = 80.*bodyweight_kg"):
        with_fields(base, weight_kg=80)


def test_with_fields_rejects_a_bad_value_with_key_and_range() -> None:
    base = load_profile(profile_path("standard"))
    with pytest.raises(ProfileError, match=r"patient.bodyweight_kg = \"heavy\".*20 to 250 kg"):
        with_fields(base, bodyweight_kg="heavy")


# --- finding profiles -----------------------------------------------------------------


def test_a_name_is_looked_up_in_the_current_directory_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "profiles").mkdir()
    local = write(tmp_path / "profiles", VALID, "standard.toml")
    monkeypatch.chdir(tmp_path)
    assert profile_path("standard").resolve() == local.resolve()
    assert profile_path("runner").parent.name == "profiles"  # falls back to the shipped one


def test_a_path_is_taken_as_given(tmp_path: Path) -> None:
    assert profile_path(tmp_path / "x.toml") == tmp_path / "x.toml"


def test_an_unknown_name_lists_the_shipped_ones() -> None:
    with pytest.raises(ProfileError, match=r"'nonesuch' not found.*cavus.*standard"):
        profile_path("nonesuch")


# --- templates ------------------------------------------------------------------------


def test_the_template_is_a_valid_profile_with_every_key_set() -> None:
    text = profile_template("clinic_a")
    data = tomllib.loads(text)
    assert set(data["patient"]) == set(Patient.model_fields)
    assert set(data["design"]) == set(Design.model_fields)
    assert data["override"] == {}
    profile = Profile.model_validate(data, strict=True)
    assert profile.name == "clinic_a"
    assert profile.design == Design()
    assert profile.patient == Patient(bodyweight_kg=75.0)


def test_the_template_comments_every_key_with_what_it_allows() -> None:
    lines = profile_template("x").splitlines()
    for model in (Patient, Design, Override):
        for key in model.model_fields:
            at = next(i for i, line in enumerate(lines) if line.lstrip("# ").startswith(f"{key} ="))
            assert lines[at - 1].startswith("#   allowed: ")
            assert lines[at - 2].startswith("# ")


def test_writing_a_template_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    path = write_profile_template("mine", tmp_path)
    assert path == tmp_path / "mine.toml"
    assert load_profile(path).name == "mine"
    with pytest.raises(ProfileError, match="already exists; pass --force"):
        write_profile_template("mine", tmp_path)
    path.write_text("changed")
    write_profile_template("mine", tmp_path, force=True)
    assert load_profile(path).name == "mine"


@pytest.mark.parametrize("name", ["", "../evil", "a b", "x/y"])
def test_a_template_name_must_be_a_plain_file_name(name: str) -> None:
    with pytest.raises(ProfileError, match="not allowed"):
        profile_template(name)
