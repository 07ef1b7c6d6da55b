"""``shellgen mechanics``: the bench test on a shell file, rebuilt as a solid from its mesh."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import trimesh
from feet import shell_spec, synthetic_foot

from shellgen.cli import main
from shellgen.mechanics import SPACING_MM, respond, solid_of_shell
from shellgen.shell import Shell, build


@pytest.fixture(scope="module")
def shell() -> Shell:
    return build(synthetic_foot(), shell_spec("sulcus", post_angle_deg=0.0))


@pytest.fixture(scope="module")
def stl(shell: Shell, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mech") / "shell.stl"
    # moved and lifted: the command stands the shell on the plate, whatever its frame offset
    trimesh.Trimesh(shell.vertices + np.array([0.0, 0.0, 7.0]), shell.faces).export(path)
    return path


def test_bench_on_a_file_finds_the_arch_and_matches_the_shell_it_was_exported_from(
    shell: Shell, stl: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["mechanics", str(stl), "--json", "--force-n", "150"]) == 0
    data = json.loads(capsys.readouterr().out)
    # found from the underside: the synthetic foot's arch apex landmark is at (110, 34.2)
    assert data["apex_source"].startswith("found")
    apex = tuple(data["apex_mm"])
    assert np.hypot(apex[0] - 110.0, apex[1] - 34.2) < 5.0
    # the file knows no outline (found from its faces) and was lifted: the same shell
    direct = respond(solid_of_shell(shell, SPACING_MM), shell.spec.material, apex, None, 150.0)
    assert data["force_n"] == 150.0
    assert data["deflection_mm"] == pytest.approx(direct.bench_deflection_mm, rel=0.02)
    assert data["stiffness_n_per_mm"] == pytest.approx(150.0 / data["deflection_mm"])


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--apex", "110;30", "--apex '110;30' is not X,Y"),
        ("--apex", "500,500", "arch apex (500.0, 500.0) mm is off the shell"),
        ("--force-n", "-3", "--force-n -3 is not a force"),
        ("--material", "Steel", "unknown material 'Steel'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    stl: Path, option: str, value: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["mechanics", str(stl), option, value]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1


def test_a_mesh_that_is_not_a_shell_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ball.stl"
    trimesh.creation.icosphere(subdivisions=3, radius=40.0).export(path)
    assert main(["mechanics", str(path)]) == 2
    err = capsys.readouterr().err
    assert "not a shell" in err
    assert len(err.strip().splitlines()) == 1


def test_calibrate_with_mechanics_solves_the_thickness_and_adds_the_response(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys
    import types

    pipeline = types.ModuleType("shellgen.pipeline")
    pipeline.analyze_file = lambda path, **options: synthetic_foot()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "shellgen.pipeline", pipeline)
    monkeypatch.setattr("shellgen.mechanics.SPACING_MM", 6.0)  # cheap mesh for the test
    assert main(["calibrate", "foot.stl", "-p", "standard", "--json", "--mechanics"]) == 0
    table = json.loads(capsys.readouterr().out)
    keys = (
        "target_deflection_mm",
        "deflection_mm",
        "activity_deflection_mm",
        "bench_stiffness_n_per_mm",
        "peak_stress_mpa",
        "safety_factor",
    )
    for key in keys:
        assert table[key]["source"] == "mechanics"
        assert table[key]["value"] > 0
    assert table["thickness_mm"]["rule"].startswith("FE: target")
    assert table["safety_factor"]["value"] >= 2.0
    stiffness = table["bench_stiffness_n_per_mm"]["value"]
    assert 10.0 < stiffness < 10_000.0
