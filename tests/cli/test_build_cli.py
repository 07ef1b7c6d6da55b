"""``shellgen build``: a scan in, validated STL/3MF/JSON/PNG out, with the promised exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import trimesh

from shellgen.cli import main

SCANS = Path(__file__).resolve().parents[2] / "scans"
PLANTAR = SCANS / "insoletilter_plantar_right_mm.obj"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    assert (
        main(["build", str(PLANTAR), "--profile", "standard", "-o", str(out), "--order", "A7"]) == 0
    )
    return out


def test_build_writes_stl_3mf_json_and_png(built: Path) -> None:
    names = sorted(p.name for p in built.iterdir())
    stem = PLANTAR.stem
    assert names == sorted(f"{stem}.{ext}" for ext in ("stl", "3mf", "json", "png"))
    assert not [p for p in built.iterdir() if p.name.startswith(".")]  # no temp files left


def test_the_stl_is_the_validated_solid_in_millimetres(built: Path) -> None:
    report = json.loads((built / f"{PLANTAR.stem}.json").read_text())
    mesh = trimesh.load(built / f"{PLANTAR.stem}.stl")
    assert mesh.is_watertight and mesh.is_winding_consistent
    checks = {c["name"]: c["value"] for c in report["validation"]["checks"]}
    assert mesh.volume / 1000.0 == pytest.approx(checks["volume_cm3"], rel=1e-4)
    # Underside on z = 0, heel at x near 0, a right shell (medial side +y) in millimetres.
    assert mesh.bounds[0][2] == pytest.approx(0.0, abs=0.05)
    length = mesh.bounds[1][0] - mesh.bounds[0][0]
    assert 150.0 < length < report["analysis"]["foot_length_mm"]


def test_the_report_holds_every_promised_key(built: Path) -> None:
    report = json.loads((built / f"{PLANTAR.stem}.json").read_text())
    assert {"analysis", "spec", "validation", "inputs", "version", "outputs", "timings_s"} <= set(
        report
    )
    assert report["validation"]["ok"] is True
    assert report["spec"]["thickness_mm"]["source"] in ("calibrated", "override")
    assert set(report["inputs"]) == {"scan_sha256", "profile_sha256"}
    assert report["analysis"]["side"] == "right"


def test_the_same_inputs_give_byte_identical_geometry(built: Path, tmp_path: Path) -> None:
    assert main(["build", str(PLANTAR), "-o", str(tmp_path), "--order", "A7"]) == 0
    for ext in ("stl", "3mf"):
        a = (built / f"{PLANTAR.stem}.{ext}").read_bytes()
        b = (tmp_path / f"{PLANTAR.stem}.{ext}").read_bytes()
        assert a == b


def test_a_left_foot_gives_a_left_shell(tmp_path: Path) -> None:
    left = SCANS / "myfeet_left_foot_m.stl"
    assert main(["build", str(left), "-o", str(tmp_path), "--order", "L1", "--format", "stl"]) == 0
    mesh = trimesh.load(tmp_path / f"{left.stem}.stl")
    assert mesh.is_watertight and mesh.volume > 0  # winding fixed after mirroring
    # The medial flange and the arch stand higher than the lateral flange: in a left shell's
    # file the medial side is toward -y, so the midfoot's highest vertices are there.
    v = mesh.vertices
    mid = v[(v[:, 0] > 80) & (v[:, 0] < 150)]
    high = mid[mid[:, 2] >= np.percentile(mid[:, 2], 95)]
    assert np.mean(high[:, 1]) < np.mean(mid[:, 1]) - 15


def test_a_failed_validation_exits_3_with_the_report_but_no_geometry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A full-length PP shell of this 274 mm foot does not fit the FDM printer's 250 mm bed.
    shipped = (SCANS.parent / "profiles" / "heavy_duty.toml").read_text()
    profile = tmp_path / "full_pp.toml"
    profile.write_text(shipped.replace('material = "PA12-MJF"', 'material = "PP"'))
    out = tmp_path / "out"
    code = main(["build", str(PLANTAR), "-p", str(profile), "-o", str(out), "--order", "H1"])
    assert code == 3
    assert "build_volume" in capsys.readouterr().err
    assert sorted(p.suffix for p in out.iterdir()) == [".json", ".png"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["build", "missing.stl"], "does not exist"),
        (["build", str(PLANTAR), "--profile", "no_such_profile"], "no_such_profile"),
        (["build", str(PLANTAR), "--format", "obj"], "--format"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*args, "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
    assert list(tmp_path.iterdir()) == []
