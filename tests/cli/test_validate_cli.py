"""``shellgen validate MESH``: a table or JSON of checks; exit 0 ok, 3 failed, 2 bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import trimesh

from shellgen.cli import main
from shellgen.export import write_3mf, write_stl


@pytest.fixture
def good_stl(tmp_path: Path) -> Path:
    plate = trimesh.creation.box((120.0, 60.0, 3.0))
    return write_stl(tmp_path / "plate.stl", plate.vertices, plate.faces)


@pytest.fixture
def open_stl(tmp_path: Path) -> Path:
    plate = trimesh.creation.box((120.0, 60.0, 3.0))
    return write_stl(tmp_path / "open.stl", plate.vertices, plate.faces[:-1])


def test_a_good_stl_prints_a_table_of_checks_and_exits_0(
    good_stl: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(good_stl)]) == 0

    out = capsys.readouterr().out
    assert "ok" in out.splitlines()[0]
    for name in ("watertight", "self_intersections", "min_wall_mm", "mass_g"):
        assert name in out
    assert "thinnest 3.00 mm" in out


def test_json_output_lists_each_check_with_its_measured_value(
    good_stl: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(good_stl), "--json", "--material", "PP"]) == 0

    data = json.loads(capsys.readouterr().out)
    checks = {c["name"]: c for c in data["checks"]}
    assert data["ok"] is True
    assert checks["min_wall_mm"]["value"] == pytest.approx(3.0, abs=1e-5)
    assert checks["min_wall_mm"]["limit"] == 1.2  # PP, printed by FDM
    assert checks["volume_cm3"]["value"] == pytest.approx(21.6, rel=1e-5)
    assert checks["mass_g"]["value"] == pytest.approx(21.6 * 0.90, rel=1e-5)


def test_a_3mf_is_read_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plate = trimesh.creation.box((120.0, 60.0, 3.0))
    path = write_3mf(tmp_path / "plate.3mf", plate.vertices, plate.faces, name="p", metadata={})

    assert main(["validate", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True


def test_a_mesh_that_fails_a_check_exits_3_and_names_the_check(
    open_stl: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(open_stl), "--json"]) == 3

    captured = capsys.readouterr()
    data = json.loads(captured.out)
    failed = [c["name"] for c in data["checks"] if not c["ok"]]
    assert data["ok"] is False
    assert failed == ["watertight", "min_wall_mm"]
    assert captured.err.strip() == (
        f"shellgen: {open_stl} failed validation (watertight, min_wall_mm): it may not print"
    )


def test_a_failed_table_says_failed(open_stl: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(open_stl)]) == 3
    out = capsys.readouterr().out
    assert "FAILED" in out.splitlines()[0]
    assert "FAIL" in next(line for line in out.splitlines() if "watertight" in line)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.stl"], "no such file"),
        (["garbage.stl"], "cannot read"),
        (["plate.stl", "--material", "unobtainium"], "unknown material 'unobtainium'"),
    ],
)
def test_a_bad_file_or_material_exits_2_with_one_line(
    good_stl: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    directory = good_stl.parent
    (directory / "garbage.stl").write_bytes(b"not an stl")
    argv = ["validate", str(directory / args[0]), *args[1:]]

    assert main(argv) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
