"""A session caches the analysed foot; every profile change rebuilds from it, as build would."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import trimesh
from feet import synthetic_foot

from shellgen.analysis import Foot
from shellgen.cli import main
from shellgen.profile import Profile, load_profile, profile_path, save_profile
from shellgen.scan import Scan
from shellgen.studio import Workspace, apply, check, export, profile_toml, revise, start

PLANTAR = "insoletilter_plantar_right_mm.obj"
SCANS = Path(__file__).resolve().parents[2] / "scans"


@pytest.fixture(scope="module")
def standard() -> Profile:
    return load_profile(profile_path("standard"))


@pytest.fixture(scope="module")
def foot() -> Foot:
    return synthetic_foot()


def test_the_shell_volume_and_mass_are_those_of_its_mesh(foot: Foot, standard: Profile) -> None:
    session = start(foot, standard, "scans/synthetic.xyz")
    mesh = trimesh.Trimesh(session.shell.vertices, session.shell.faces, process=False)
    assert mesh.is_watertight
    assert session.volume_cm3 == pytest.approx(mesh.volume / 1000.0, rel=1e-9)
    assert session.mass_g == pytest.approx(session.volume_cm3 * 1.01)  # PA12-MJF, g/cm^3
    assert session.stem == "synthetic"
    assert session.build_ms > 0.0


def test_a_thicker_pin_rebuilds_a_bigger_shell_from_the_same_foot(
    foot: Foot, standard: Profile
) -> None:
    session = start(foot, standard, "s.xyz")
    thicker = revise(session, apply(standard, "override.thickness_mm", 5.0))
    assert thicker.foot is session.foot  # cached, never analysed again
    assert thicker.spec.thickness_mm == 5.0 and session.spec.thickness_mm < 5.0
    assert thicker.volume_cm3 > session.volume_cm3 * 1.1
    assert np.array_equal(thicker.shell.faces, session.shell.faces)  # same triangulation


def test_more_body_weight_means_a_thicker_heavier_shell(foot: Foot, standard: Profile) -> None:
    light = start(foot, apply(standard, "patient.bodyweight_kg", 55.0), "s.xyz")
    heavy = revise(light, apply(standard, "patient.bodyweight_kg", 110.0))
    assert heavy.spec.thickness_mm > light.spec.thickness_mm
    assert heavy.mass_g > light.mass_g


def test_check_is_the_validation_build_would_run(foot: Foot, standard: Profile) -> None:
    session = start(foot, standard, "s.xyz")
    report = check(session)
    assert report.ok
    assert report["volume_cm3"].value == pytest.approx(session.volume_cm3, rel=1e-9)
    assert "inside_outline" in {c.name for c in report.checks}


def test_the_profile_text_is_what_save_profile_writes(standard: Profile, tmp_path: Path) -> None:
    changed = apply(standard, "override.thickness_mm", 3.4)
    save_profile(changed, tmp_path / "p.toml")
    assert (tmp_path / "p.toml").read_text(encoding="utf-8") == profile_toml(changed)


def test_export_writes_what_shellgen_build_writes(
    real_scan: Callable[[str], tuple[Scan, Foot]], standard: Profile, tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    (root / "profiles").mkdir(parents=True)
    workspace = Workspace.open(root)
    profile = apply(standard, "override.thickness_mm", 3.4)
    saved = workspace.save_profile(profile, "standard")
    _, foot = real_scan(PLANTAR)
    result = export(start(foot, profile, f"scans/{PLANTAR}"), workspace)

    stem = Path(PLANTAR).stem
    out = root / "output"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{stem}.{ext}" for ext in ("stl", "3mf", "json", "png")
    )
    assert result.outputs["stl"] == out / f"{stem}.stl"
    cli_out = tmp_path / "cli"
    assert main(["build", str(SCANS / PLANTAR), "--profile", str(saved), "-o", str(cli_out)]) == 0
    for ext in ("stl", "3mf"):
        assert (out / f"{stem}.{ext}").read_bytes() == (cli_out / f"{stem}.{ext}").read_bytes()
    ours = json.loads((out / f"{stem}.json").read_text())
    theirs = json.loads((cli_out / f"{stem}.json").read_text())
    for key in ("spec", "validation", "inputs", "version"):
        assert ours[key] == theirs[key]
