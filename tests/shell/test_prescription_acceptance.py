"""Issue 14's acceptance: every modification, alone and as labs order them together, on every
shipped scan and each synthetic kind, gives a shell that passes every check (and slices).

The combinations: a pronated runner (varus post + medial skive + met pad) and a leg-length
case (heel lift + post), on every foot. Each modification alone runs on two of the feet in
turn (a sample, to keep the run short), at the top of its range. Slicing takes ~15 s a
shell: one shell of each combination is sliced.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from shellgen.analysis import Foot
from shellgen.calibration import calibrate
from shellgen.export import write_stl
from shellgen.profile import load_profile, profile_path, with_fields
from shellgen.shell import build
from shellgen.slicer import find_slicer, slice_check
from shellgen.validation import validate

REAL = ["myfeet_left_foot_m.stl", "myfeet_right_foot_m.stl", "insoletilter_plantar_right_mm.obj"]
SYNTHETIC = ["foot", "plantar", "impression"]
FEET = REAL + SYNTHETIC

COMBINATIONS = {
    "pronated_runner": {
        "rearfoot_post_deg": "4",
        "skive_depth_mm": "3",
        "skive_angle_deg": "20",
        "met_pad_height_mm": "5",
    },
    "leg_length": {"heel_lift_mm": "10", "rearfoot_post_deg": "3"},
}
#: Each modification alone, at or near the top of its range.
ALONE = {
    "valgus_post_with_motion": {"rearfoot_post_deg": "-6", "rearfoot_post_motion_deg": "4"},
    "forefoot_varus": {"forefoot_post_deg": "8"},
    "forefoot_valgus": {"forefoot_post_deg": "-8"},
    "skive": {"skive_depth_mm": "6", "skive_angle_deg": "30"},
    "heel_lift": {"heel_lift_mm": "15"},
    "spur_relief": {"spur_relief_depth_mm": "4", "spur_relief_diameter_mm": "25"},
    "met_pad": {"met_pad_height_mm": "8", "met_pad_offset_mm": "4"},
    "met_bar": {"met_pad_height_mm": "6", "met_pad_shape": "bar"},
    "mortons": {"extension": "mortons", "shell_length": "three_quarter"},
    "reverse_mortons": {
        "extension": "reverse_mortons",
        "shell_length": "sulcus",
        "extension_thickness_mm": "1.3",
    },
    "first_ray_cutout": {"extension": "first_ray_cutout", "shell_length": "sulcus"},
    "extension_plate": {"shell_length": "full", "extension_thickness_mm": "1.3"},
    "shoe_widths": {"shoe_heel_width_mm": "58", "shoe_ball_width_mm": "88"},
    "valgus_forefoot_with_flange": {
        "forefoot_post_deg": "-4",
        "lateral_forefoot_flange_mm": "6",
    },
}
CASES = [(f, name, fields) for f in FEET for name, fields in COMBINATIONS.items()] + [
    (FEET[(2 * i + k) % len(FEET)], name, fields)
    for i, (name, fields) in enumerate(ALONE.items())
    for k in range(2)
]
#: The cases take these in turn: a three-quarter, a sulcus and a full-length shell.
PROFILES = ["standard", "runner", "heavy_duty"]


@pytest.fixture(scope="module")
def feet(real_scan: Callable, synthetic: Callable) -> Callable[[str], Foot]:
    def get(name: str) -> Foot:
        if name in REAL:
            return real_scan(name)[1]
        return synthetic(name, "right", "mm", 3)[2]

    return get


@pytest.mark.parametrize(
    ("foot_name", "profile_name", "fields"),
    [
        pytest.param(f, PROFILES[i % len(PROFILES)], fields, id=f"{f}-{name}")
        for i, (f, name, fields) in enumerate(CASES)
    ],
)
def test_the_ordered_shell_passes_every_check(
    feet: Callable[[str], Foot], foot_name: str, profile_name: str, fields: dict[str, str]
) -> None:
    foot = feet(foot_name)
    profile = with_fields(load_profile(profile_path(profile_name)), **fields)
    spec = calibrate(foot, profile, order_id="RX14")
    shell = build(foot, spec)
    report = validate(shell, material=spec.material, foot_outline=foot.footprint)
    assert report.failed == ()


@pytest.mark.skipif(find_slicer() is None, reason="prusa-slicer is not installed")
@pytest.mark.parametrize(
    ("foot_name", "order"),
    [
        ("myfeet_right_foot_m.stl", "pronated_runner"),
        ("plantar", "leg_length"),
    ],
)
def test_the_ordered_shell_slices(
    feet: Callable[[str], Foot], tmp_path: Path, foot_name: str, order: str
) -> None:
    foot = feet(foot_name)
    profile = with_fields(load_profile(profile_path("runner")), **COMBINATIONS[order])
    spec = calibrate(foot, profile, order_id="RX14")
    shell = build(foot, spec)
    result = slice_check(write_stl(tmp_path / "rx.stl", shell.vertices, shell.faces))
    assert result.ok
    assert result.warnings == ()
