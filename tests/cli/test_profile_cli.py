"""``shellgen profile check|new`` and ``shellgen calibrate``: exit codes and output."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import MultiPolygon, Polygon

from shellgen.analysis import Arch, Foot, HeightField, Landmarks
from shellgen.cli import main
from shellgen.profile import load_profile
from shellgen.scan import Scan, ScanSource, Side


def test_check_a_shipped_profile(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "check", "standard"]) == 0
    assert capsys.readouterr().out.strip() == "standard: ok (standard)"


def test_check_a_bad_profile_prints_one_line_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('schema_version = 1\nname = "b"\n[patient]\nbodyweight_kg = 400.0\n')
    assert main(["profile", "check", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"shellgen: {path}: patient.bodyweight_kg = 400.0: out of range; "
        "allowed: a number from 20 to 250 kg"
    )


def test_check_bad_toml_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("schema_version = 1\n[patient\n")
    assert main(["profile", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "line 2" in err
    assert "Traceback" not in err


def test_new_writes_a_template_that_checks_ok(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["profile", "new", "clinic", "-o", str(tmp_path)]) == 0
    path = tmp_path / "clinic.toml"
    assert load_profile(path).name == "clinic"
    assert main(["profile", "check", str(path)]) == 0
    assert f"{path}: ok (clinic)" in capsys.readouterr().out


def test_new_writes_into_profiles_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["profile", "new", "mine"]) == 0
    assert load_profile(tmp_path / "profiles" / "mine.toml").name == "mine"


def test_new_refuses_to_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "clinic.toml"
    path.write_text("keep me")
    assert main(["profile", "new", "clinic", "-o", str(tmp_path)]) == 2
    assert "already exists; pass --force" in capsys.readouterr().err
    assert path.read_text() == "keep me"
    assert main(["profile", "new", "clinic", "-o", str(tmp_path), "--force"]) == 0
    assert load_profile(path).name == "clinic"


def fake_foot(path: str, side: Side) -> Foot:
    """A 260 mm right or left foot; MTH5 at x 165 mm, arch 15 mm, normal arch."""
    source = ScanSource(path, "stl", "0" * 64, 1000, 0, 500)
    scan = Scan(
        np.zeros((1, 3)), side, "foot", True, True, "mm", "detected", 1.0, np.eye(4),
        0, 0, 0, source,
    )  # fmt: skip
    outline = Polygon([(0, -45), (260, -45), (260, 50), (0, 50)])
    landmarks = Landmarks((30, 0), (30, 25), (30, -25), (185, 35), (165, -38), (100, 30), (260, 10))
    arch = Arch(15.0, 100.0, 0.23, "normal", np.zeros(3), np.zeros(3))
    plantar = HeightField(0.0, -50.0, 2.0, np.zeros((50, 140)))
    return Foot(
        scan=scan,
        plantar=plantar,
        footprint=outline,
        plantar_region=outline,
        contact_region=MultiPolygon([outline]),
        standing=True,
        landmarks=landmarks,
        foot_length_mm=260.0,
        ball_width_mm=98.0,
        heel_width_mm=62.0,
        arch_length_mm=185.0,
        arch=arch,
    )


@pytest.fixture
def fake_pipeline(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """Stand in for ``shellgen.pipeline.analyze_file``; record how it was called."""
    calls: list[dict[str, object]] = []

    def analyze_file(path: str, **options: object) -> Foot:
        calls.append({"path": path, **options})
        return fake_foot(path, "left" if options["side"] == "left" else "right")

    module = types.ModuleType("shellgen.pipeline")
    module.analyze_file = analyze_file  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "shellgen.pipeline", module)
    return calls


def test_calibrate_prints_the_spec_as_json(
    fake_pipeline: list[dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["calibrate", "scans/A77.stl", "--profile", "runner", "--json", "--side", "left"])
    assert code == 0
    table = json.loads(capsys.readouterr().out)
    for name in (
        "thickness_mm",
        "arch_height_mm",
        "post_angle_deg",
        "heel_cup_depth_mm",
        "flex_start_x_mm",
        "flex_thickness_ratio",
    ):
        assert set(table[name]) == {"value", "unit", "source", "rule"}
    assert table["label"]["value"] == "RUN-A77-L"
    assert table["slot_count"] == {
        "value": 4,
        "unit": "1",
        "source": "calibrated",
        "rule": table["slot_count"]["rule"],
    }
    assert table["flex_start_x_mm"]["value"] == 155.0
    assert fake_pipeline == [
        {"path": "scans/A77.stl", "units": None, "side": "left", "kind": "auto", "length_mm": None}
    ]


def test_calibrate_prints_a_table_without_json(
    fake_pipeline: list[dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["calibrate", "s.ply", "-p", "standard", "--order", "X1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    thickness = next(line for line in lines if line.startswith("thickness_mm"))
    assert "calibrated" in thickness and "McCormick 2013" in thickness
    assert any(line.startswith("label") and "X1-R" in line for line in lines)


def test_calibrate_with_an_unknown_profile_exits_2_before_reading_the_scan(
    fake_pipeline: list[dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["calibrate", "s.ply", "--profile", "nonesuch"]) == 2
    assert "'nonesuch' not found" in capsys.readouterr().err
    assert fake_pipeline == []
