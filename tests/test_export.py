"""``export``: mirrored back for left feet, STL/3MF/JSON atomic and byte-identical."""

from __future__ import annotations

import hashlib
import logging
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest
import trimesh
from _shapes import rounded_slab, shell_like

import shellgen.export
from shellgen._lib3mf import SHELLGEN_NAMESPACE, read_3mf
from shellgen.analysis import HeightField
from shellgen.errors import GeometryError, ProfileError, ScanError
from shellgen.export import (
    atomic_open,
    export_shell,
    mirror_to_side,
    read_mesh,
    write_3mf,
    write_json,
    write_stl,
)
from shellgen.materials import material
from shellgen.render import render_preview
from shellgen.scan import Side
from shellgen.validation import validate

PA12 = material("PA12-MJF")
CORE = "{http://schemas.microsoft.com/3dmanufacturing/core/2015/02}"


def signed_volume(vertices: np.ndarray, faces: np.ndarray) -> float:
    t = vertices[faces]
    return float(np.einsum("ij,ij->", t[:, 0], np.cross(t[:, 1], t[:, 2])) / 6.0)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# mirror_to_side


def test_mirroring_a_left_shell_negates_y_and_keeps_normals_pointing_out() -> None:
    shell = shell_like()
    vertices, faces = mirror_to_side(shell.vertices, shell.faces, "left")

    assert np.array_equal(vertices[:, 1], -shell.vertices[:, 1])
    assert signed_volume(vertices, faces) == pytest.approx(
        signed_volume(shell.vertices, shell.faces)
    )
    assert signed_volume(vertices, faces) > 0
    mirrored = trimesh.Trimesh(vertices, faces, process=False)
    normals, centres = mirrored.face_normals, mirrored.triangles_center
    underside = np.all(vertices[faces][:, :, 2] == 0.0, axis=1)
    assert np.allclose(normals[underside], [0.0, 0.0, -1.0])
    assert normals[np.argmax(centres[:, 0]), 0] > 0.9  # the toe end faces +x
    assert normals[np.argmin(centres[:, 1]), 1] < -0.9  # the medial side faces -y
    assert validate(mirrored, material=PA12).ok


def test_a_right_shell_is_not_mirrored_and_mirroring_twice_is_the_identity() -> None:
    vertices, faces = rounded_slab(spacing_mm=8.0)

    right_v, right_f = mirror_to_side(vertices, faces, "right")
    twice_v, twice_f = mirror_to_side(*mirror_to_side(vertices, faces, "left"), "left")

    assert np.array_equal(right_v, vertices) and np.array_equal(right_f, faces)
    assert np.array_equal(twice_v, vertices) and np.array_equal(twice_f, faces)


# STL


def test_an_stl_round_trip_keeps_volume_and_face_count(tmp_path: Path) -> None:
    vertices, faces = rounded_slab(spacing_mm=8.0)
    path = write_stl(tmp_path / "slab.stl", vertices, faces)

    read = read_mesh(path)

    assert path.stat().st_size == 84 + 50 * len(faces)
    assert len(read.faces) == len(faces)
    assert read.is_watertight
    assert read.volume == pytest.approx(signed_volume(vertices, faces), rel=1e-6)


def test_stl_bytes_are_identical_run_to_run_and_the_header_has_no_time(tmp_path: Path) -> None:
    vertices, faces = rounded_slab(spacing_mm=8.0)
    a = write_stl(tmp_path / "a.stl", vertices, faces)
    b = write_stl(tmp_path / "b.stl", vertices, faces)

    assert sha(a) == sha(b)
    assert a.read_bytes()[:80].rstrip() == b"shellgen binary STL, units mm"


# 3MF


def test_a_3mf_round_trip_keeps_volume_name_unit_and_metadata(tmp_path: Path) -> None:
    vertices, faces = rounded_slab(spacing_mm=8.0)
    meta = {"scan_sha256": "ab" * 32, "Title": "R & L <test>", "shellgen_version": "0.1.0"}
    path = write_3mf(tmp_path / "slab.3mf", vertices, faces, name="order-7 R", metadata=meta)

    read = read_mesh(path)
    model = read_3mf(path, strict=True)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()

    assert read.volume == pytest.approx(signed_volume(vertices, faces), rel=1e-6)
    assert names == sorted(names) == ["3D/3dmodel.model", "[Content_Types].xml", "_rels/.rels"]
    assert model.warnings == []
    assert model.unit == "millimeter"
    assert [o.name for o in model.objects] == ["order-7 R"]
    assert model.metadata == {
        "Title": "R & L <test>",
        f"{SHELLGEN_NAMESPACE}:scan_sha256": "ab" * 32,
        f"{SHELLGEN_NAMESPACE}:shellgen_version": "0.1.0",
    }


def test_3mf_metadata_names_are_qualified_by_shellgens_namespace_in_the_xml(
    tmp_path: Path,
) -> None:
    vertices, faces = rounded_slab(spacing_mm=8.0)
    path = write_3mf(tmp_path / "s.3mf", vertices, faces, name="s", metadata={"side": "left"})

    with zipfile.ZipFile(path) as archive:
        xml = archive.read("3D/3dmodel.model").decode("utf-8")
    model = ElementTree.fromstring(xml)
    (entry,) = model.findall(f"{CORE}metadata")
    prefix, local = str(entry.get("name")).split(":")

    assert (local, entry.text) == ("side", "left")
    assert f'xmlns:{prefix}="{SHELLGEN_NAMESPACE}"' in xml


def test_3mf_bytes_are_identical_run_to_run_with_fixed_zip_dates(tmp_path: Path) -> None:
    vertices, faces = rounded_slab(spacing_mm=8.0)
    kwargs = {"name": "slab", "metadata": {"b": "2", "a": "1"}}
    a = write_3mf(tmp_path / "a.3mf", vertices, faces, **kwargs)  # type: ignore[arg-type]
    b = write_3mf(tmp_path / "b.3mf", vertices, faces, **kwargs)  # type: ignore[arg-type]
    c = write_3mf(tmp_path / "c.3mf", vertices + 1.0, faces, **kwargs)  # type: ignore[arg-type]

    assert sha(a) == sha(b) != sha(c)
    with zipfile.ZipFile(a) as archive:
        dates = {i.date_time for i in archive.infolist()}
    assert len(dates) == 1 and dates.pop()[0] == 1980  # one fixed date, not the clock


# atomic writes


def test_a_write_that_fails_midway_leaves_no_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.stl"
    with pytest.raises(RuntimeError, match="disk full"), atomic_open(target) as fh:
        fh.write(b"half a file")
        raise RuntimeError("disk full")

    assert files_in(tmp_path) == []


def test_a_failed_write_leaves_the_previous_file_as_it_was(tmp_path: Path) -> None:
    vertices, faces = rounded_slab(spacing_mm=8.0)
    target = write_stl(tmp_path / "out.stl", vertices, faces)
    before = sha(target)

    with pytest.raises(RuntimeError), atomic_open(target) as fh:
        fh.write(b"garbage")
        raise RuntimeError("crash")

    assert sha(target) == before
    assert files_in(tmp_path) == ["out.stl"]


def test_a_3mf_writer_failing_midway_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vertices, faces = rounded_slab(spacing_mm=8.0)
    written: list[Path] = []

    def failing_writer(path: Path, *args: object) -> None:
        path.write_bytes(b"PK\x03\x04 half a package")
        written.append(path)
        raise OSError("no space left on device")

    monkeypatch.setattr(shellgen.export, "write_3mf_model", failing_writer)
    with pytest.raises(OSError, match="no space"):
        write_3mf(tmp_path / "x.3mf", vertices, faces, name="x", metadata={})

    assert len(written) == 1  # it did fail midway, after writing part of the file
    assert files_in(tmp_path) == []


def test_written_files_are_readable_by_others(tmp_path: Path) -> None:
    vertices, faces = rounded_slab(spacing_mm=8.0)
    path = write_stl(tmp_path / "slab.stl", vertices, faces)

    assert path.stat().st_mode & 0o777 == 0o644


# JSON


def test_json_is_sorted_indented_and_keeps_floats_as_they_are(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "r.json", {"b": 0.1 + 0.2, "a": np.float64(1.5), "c": np.arange(2)}
    )

    text = path.read_text()
    assert text == '{\n  "a": 1.5,\n  "b": 0.30000000000000004,\n  "c": [\n    0,\n    1\n  ]\n}\n'


def test_json_refuses_nan_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_json(tmp_path / "r.json", {"value": float("nan")})

    assert files_in(tmp_path) == []


# read_mesh


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.stl", None, "no such file"),
        ("scan.obj", b"v 0 0 0\n", "not stl or 3mf"),
        ("garbage.stl", b"this is not a mesh at all", "cannot read"),
        ("empty.3mf", b"PK\x05\x06" + b"\x00" * 18, "cannot read"),
    ],
)
def test_read_mesh_says_in_one_line_what_is_wrong_with_a_bad_file(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)

    with pytest.raises(ScanError, match=message) as info:
        read_mesh(path)

    assert "\n" not in str(info.value)


# export_shell


def test_export_shell_writes_a_left_shell_mirrored_back_in_both_formats(tmp_path: Path) -> None:
    shell = shell_like("left")
    report = validate(shell, material=PA12)

    written = export_shell(shell, report, tmp_path / "out", "p1-L", metadata={"scan_sha256": "x"})

    assert sorted(written) == ["3mf", "stl"]
    assert files_in(tmp_path / "out") == ["p1-L.3mf", "p1-L.stl"]
    for path in written.values():
        read = read_mesh(path)
        assert read.volume == pytest.approx(signed_volume(shell.vertices, shell.faces), rel=1e-5)
        # the arch (medial, +y on the right-foot frame) is on -y for the left foot
        assert read.bounds[0, 1] == pytest.approx(-shell.vertices[:, 1].max(), abs=1e-4)


def test_export_shell_refuses_a_failed_report_and_writes_nothing(tmp_path: Path) -> None:
    shell = shell_like()
    report = validate(shell, material=PA12, build_volume_mm=(100.0, 100.0, 100.0))

    with pytest.raises(GeometryError, match="build_volume"):
        export_shell(shell, report, tmp_path, "p2", metadata={})

    assert files_in(tmp_path) == []


def test_export_shell_forced_writes_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shell = shell_like()
    report = validate(shell, material=PA12, build_volume_mm=(100.0, 100.0, 100.0))

    with caplog.at_level(logging.WARNING, logger="shellgen.export"):
        written = export_shell(
            shell, report, tmp_path, "p3", formats=("stl",), force=True, metadata={}
        )

    assert list(written) == ["stl"] and written["stl"].is_file()
    assert "validation failed: build_volume" in caplog.text


def test_export_shell_rejects_an_unknown_format(tmp_path: Path) -> None:
    shell = shell_like()
    with pytest.raises(ProfileError, match="obj"):
        export_shell(
            shell, validate(shell, material=PA12), tmp_path, "p4", formats=("obj",), metadata={}
        )


# preview


def plantar_over(shell_length_mm: float) -> HeightField:
    xs, ys = np.arange(-4.0, shell_length_mm + 40.0, 2.0), np.arange(-46.0, 46.0, 2.0)
    x, y = np.meshgrid(xs, ys)
    z = 4.0 + 0.02 * (x - 90.0) ** 2 / 10.0
    z[np.hypot((x - 110.0) / 120.0, y / 44.0) > 1.0] = np.nan
    return HeightField(float(xs[0]), float(ys[0]), 2.0, z)


@pytest.mark.parametrize(("side", "with_plantar"), [("right", False), ("left", True)])
def test_the_preview_is_a_png_with_the_same_bytes_every_time(
    tmp_path: Path, side: Side, with_plantar: bool
) -> None:
    shell = shell_like(side, spacing_mm=4.0)
    plantar = plantar_over(180.0) if with_plantar else None

    a = render_preview(shell, tmp_path / "a.png", plantar=plantar)
    b = render_preview(shell, tmp_path / "b.png", plantar=plantar)

    data = a.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert sha(a) == sha(b)
    assert b"tIME" not in data and b"Software" not in data
    assert files_in(tmp_path) == ["a.png", "b.png"]
