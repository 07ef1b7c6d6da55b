"""Every scan kind, side and real scan, with every shipped profile, gives a printable shell.

This is the acceptance of the shell capability end to end: analysed feet (synthetic of every
kind and side, and the real sample scans) calibrated with each shipped profile, built,
validated, exported; a sample of the files is sliced in PrusaSlicer without warnings.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from shellgen.analysis import Foot
from shellgen.calibration import calibrate
from shellgen.export import export_shell
from shellgen.profile import load_profile, profile_path, shipped_profiles
from shellgen.scan import Scan
from shellgen.shell import build
from shellgen.slicer import find_slicer, slice_check
from shellgen.validation import validate

PROFILES = shipped_profiles()
REAL = ("myfeet_left_foot_m.stl", "myfeet_right_foot_m.stl", "insoletilter_plantar_right_mm.obj")
SYNTHETIC = [
    (kind, side) for kind in ("foot", "plantar", "impression") for side in ("right", "left")
]


def _check(foot: Foot, profile_name: str) -> None:
    spec = calibrate(foot, load_profile(profile_path(profile_name)), order_id="T1")
    shell = build(foot, spec)
    report = validate(shell, material=spec.material, foot_outline=foot.footprint)
    assert report.ok, [(c.name, c.value, c.limit, c.detail) for c in report.checks if not c.ok]


def test_every_shipped_profile_is_tested() -> None:
    assert set(PROFILES) >= {
        "standard",
        "runner",
        "heavy_duty",
        "cavus",
        "flexible_flatfoot",
        "child",
        "pronated_runner",
        "plantar_fasciitis",
    }


@pytest.mark.parametrize("profile_name", PROFILES)
@pytest.mark.parametrize("name", REAL)
def test_real_scans_give_valid_shells(
    real_scan: Callable[[str], tuple[Scan, Foot]], name: str, profile_name: str
) -> None:
    _, foot = real_scan(name)
    _check(foot, profile_name)


@pytest.mark.parametrize("profile_name", PROFILES)
@pytest.mark.parametrize(("kind", "side"), SYNTHETIC)
def test_synthetic_scans_give_valid_shells(
    synthetic: Callable[..., tuple[object, Scan, Foot]], kind: str, side: str, profile_name: str
) -> None:
    _, _, foot = synthetic(kind, side, "mm", 3)
    _check(foot, profile_name)


@pytest.mark.skipif(find_slicer() is None, reason="prusa-slicer is not installed")
@pytest.mark.parametrize("name", REAL)
def test_exported_files_slice_without_warnings(
    real_scan: Callable[[str], tuple[Scan, Foot]], name: str, tmp_path: Path
) -> None:
    _, foot = real_scan(name)
    spec = calibrate(foot, load_profile(profile_path("standard")), order_id="S1")
    shell = build(foot, spec)
    report = validate(shell, material=spec.material, foot_outline=foot.footprint)
    files = export_shell(shell, report, tmp_path, "shell", metadata={"test": "slice"})
    for fmt in ("stl", "3mf"):
        result = slice_check(files[fmt], bed_mm=spec.material.build_volume_mm)
        assert result.ok and result.warnings == (), (fmt, result.warnings)
