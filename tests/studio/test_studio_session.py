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
from shellgen.calibration import ACTIVITY_LOAD, deflection_target_mm
from shellgen.cli import main
from shellgen.profile import Profile, load_profile, profile_path, save_profile
from shellgen.scan import Scan
from shellgen.studio import (
    MECHANICS_SPACING_MM,
    Session,
    Workspace,
    apply,
    check,
    export,
    mechanics,
    profile_toml,
    revise,
    start,
)

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


# --- mechanics (issue 13): the numbers that follow every change -------------------------


@pytest.fixture(scope="module")
def pinned(foot: Foot, standard: Profile) -> Session:
    """A 3 mm shell of the synthetic foot, whose thickness no patient value changes."""
    return start(foot, apply(standard, "override.thickness_mm", 3.0), "s.xyz")


def test_the_session_delivers_the_mechanics_numbers_on_the_coarse_mesh(
    pinned: Session, foot: Foot
) -> None:
    m = mechanics(pinned)
    r = m.response
    assert m.spacing_mm == MECHANICS_SPACING_MM == 6.0
    assert m.solve_ms > 0.0
    patient = pinned.profile.patient
    assert m.target_deflection_mm == deflection_target_mm(
        patient.bodyweight_kg, foot.arch.type, patient.arch_flexibility
    )
    assert r.apex_mm == foot.landmarks.arch_apex
    assert r.load_n is not None and r.deflection_mm is not None and r.safety_factor is not None
    # McCormick's midfoot loads at walking: 14.9 % + 25.4 % of body weight
    assert r.load_n == pytest.approx(patient.bodyweight_kg * 9.81 * (0.149 + 0.254), rel=0.01)
    assert 0.01 < r.deflection_mm < 5.0  # a 3 mm nylon arch plate sinks a fraction of a mm
    assert r.activity_deflection_mm == pytest.approx(r.deflection_mm)  # the profile walks
    assert r.bench_stiffness_n_per_mm == pytest.approx(200.0 / r.bench_deflection_mm)
    assert r.deflection_map_mm.shape == (len(r.plan_points_mm),)
    assert r.deflection_map_mm.max() >= r.activity_deflection_mm  # the map holds the mean


def test_heavier_means_more_deflection_in_proportion_on_the_same_shell(
    pinned: Session, standard: Profile
) -> None:
    light = mechanics(pinned).response
    heavier = revise(pinned, apply(pinned.profile, "patient.bodyweight_kg", 2 * 70.0))
    assert np.array_equal(heavier.shell.vertices, pinned.shell.vertices)  # thickness pinned
    heavy = mechanics(heavier).response
    ratio = 140.0 / pinned.profile.patient.bodyweight_kg
    assert heavy.deflection_mm == pytest.approx(ratio * light.deflection_mm, rel=1e-6)  # linear
    assert heavy.safety_factor == pytest.approx(light.safety_factor / ratio, rel=1e-6)
    assert heavy.bench_stiffness_n_per_mm == pytest.approx(light.bench_stiffness_n_per_mm)
    running = mechanics(revise(pinned, apply(pinned.profile, "patient.activity", "running")))
    assert running.response.activity_deflection_mm == pytest.approx(
        ACTIVITY_LOAD["running"] * light.deflection_mm, rel=1e-6
    )


def test_a_thicker_shell_deflects_less_and_is_stiffer(pinned: Session) -> None:
    thin = mechanics(pinned).response
    thick = mechanics(revise(pinned, apply(pinned.profile, "override.thickness_mm", 4.5))).response
    assert thick.deflection_mm < 0.8 * thin.deflection_mm
    assert thick.bench_stiffness_n_per_mm > 1.25 * thin.bench_stiffness_n_per_mm
    assert thick.peak_stress_mpa < thin.peak_stress_mpa
