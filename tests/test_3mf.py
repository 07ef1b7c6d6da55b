"""Every 3MF shellgen writes, read back by lib3mf (the 3MF Consortium's reference) in strict mode.

Single shells from ``export_shell`` and build plates from ``plate_shells``: no reader
warning, unit mm, every object manifold and oriented (lib3mf's check and manifold3d's),
named, metadata round-tripped in shellgen's namespace, a left shell still a left shell.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import manifold3d
import numpy as np
import pytest
from _shapes import rounded_slab
from feet import shell_spec, synthetic_foot

from shellgen._lib3mf import SHELLGEN_NAMESPACE, Object3MF, read_3mf
from shellgen.export import export_shell, mirror_to_side, write_3mf
from shellgen.materials import material
from shellgen.plate import Part, plate_shells
from shellgen.scan import Side
from shellgen.shell import Shell, build
from shellgen.slicer import find_slicer, slice_check
from shellgen.validation import validate

PA12 = material("PA12-MJF")


def signed_volume(vertices: np.ndarray, faces: np.ndarray) -> float:
    t = vertices[faces]
    return float(np.einsum("ij,ij->", t[:, 0], np.cross(t[:, 1], t[:, 2])) / 6.0)


def assert_closed_and_oriented(obj: Object3MF) -> None:
    solid = manifold3d.Manifold(
        manifold3d.Mesh(
            vert_properties=obj.vertices.astype(np.float32),
            tri_verts=obj.faces.astype(np.uint32),
        )
    )
    assert obj.manifold_and_oriented
    assert solid.status() == manifold3d.Error.NoError
    assert signed_volume(obj.vertices, obj.faces) > 0  # outward normals
    assert solid.volume() == pytest.approx(signed_volume(obj.vertices, obj.faces), rel=1e-6)


@pytest.fixture(scope="module")
def shells() -> dict[Side, Shell]:
    """Three-quarter shells of the synthetic foot, one per side, engraved with their side."""
    built: dict[Side, Shell] = {}
    for side in ("left", "right"):
        spec = shell_spec("three_quarter", slot_count=1, post_angle_deg=4.0, label=side[0])
        built[side] = build(synthetic_foot(side), spec)
    return built


@pytest.mark.parametrize("side", ["left", "right"])
def test_an_exported_shell_reads_strictly_closed_named_in_mm_with_its_metadata(
    shells: dict[Side, Shell], side: Side, tmp_path: Path
) -> None:
    shell = shells[side]
    meta = {"scan_sha256": "5a" * 32, "Application": "shellgen 0.1.0", "label": "P7 & <x>"}
    written = export_shell(
        shell, validate(shell, material=PA12), tmp_path, f"P7-{side}", metadata=meta
    )

    model = read_3mf(written["3mf"], strict=True)

    assert model.warnings == []
    assert model.unit == "millimeter"
    (obj,) = model.objects
    assert obj.name == f"P7-{side}"
    assert_closed_and_oriented(obj)
    assert model.metadata == {
        "Application": "shellgen 0.1.0",
        f"{SHELLGEN_NAMESPACE}:label": "P7 & <x>",
        f"{SHELLGEN_NAMESPACE}:scan_sha256": "5a" * 32,
        f"{SHELLGEN_NAMESPACE}:side": side,
    }
    assert obj.vertices[:, 2].min() == pytest.approx(0.0, abs=1e-5)  # underside on z = 0
    volume = signed_volume(shell.vertices, shell.faces)
    assert signed_volume(obj.vertices, obj.faces) == pytest.approx(volume, rel=1e-5)


def test_a_left_shell_in_3mf_is_the_right_shell_mirrored_with_its_arch_toward_minus_y(
    shells: dict[Side, Shell], tmp_path: Path
) -> None:
    shell = shells["left"]
    export_shell(shell, validate(shell, material=PA12), tmp_path, "L", metadata={})
    (obj,) = read_3mf(tmp_path / "L.3mf").objects
    expected, _ = mirror_to_side(shell.vertices, shell.faces, "left")

    assert np.abs(obj.vertices - expected).max() < 1e-4  # float32 in the file
    # the medial arch rises on +y of the right-foot frame: on -y in a left shell's file
    arch = obj.vertices[:, 2] > np.percentile(obj.vertices[:, 2], 95)
    assert np.median(obj.vertices[arch, 1]) < 0.0
    assert signed_volume(obj.vertices, obj.faces) > 0.0


def test_a_plate_holds_one_named_closed_object_per_shell_and_reads_strictly(
    shells: dict[Side, Shell], tmp_path: Path
) -> None:
    parts = []
    for name, side in (("A-L", "left"), ("A-R", "right")):
        vertices, faces = mirror_to_side(shells[side].vertices, shells[side].faces, side)
        parts.append(Part(name, vertices, faces))
    plate_shells(parts, tmp_path / "plate.3mf", bed_mm=(250.0, 210.0), gap_mm=5.0)

    model = read_3mf(tmp_path / "plate.3mf", strict=True)

    assert model.warnings == []
    assert model.unit == "millimeter"
    assert [o.name for o in model.objects] == ["A-L", "A-R"]
    for obj, part in zip(model.objects, parts, strict=True):
        assert_closed_and_oriented(obj)
        assert signed_volume(obj.vertices, obj.faces) == pytest.approx(
            signed_volume(part.vertices, part.faces), rel=1e-5
        )
        assert obj.vertices[:, :2].min() >= 2.5 - 1e-4  # half the gap from the bed's edge
    assert model.metadata["Title"] == "plate 1 of 1"
    assert model.metadata[f"{SHELLGEN_NAMESPACE}:shells"] == "A-L, A-R"


def model_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as package:
        return package.read("3D/3dmodel.model").decode("utf-8")


def test_shellgen_metadata_is_written_with_the_shellgen_prefix_declared_on_the_model(
    shells: dict[Side, Shell], tmp_path: Path
) -> None:
    shell = shells["right"]
    meta = {"scan_sha256": "5a" * 32, "Title": "P7-R", "label": "P7 & <x>"}
    written = export_shell(shell, validate(shell, material=PA12), tmp_path, "P7", metadata=meta)
    xml = model_xml(written["3mf"])

    assert f'xmlns:shellgen="{SHELLGEN_NAMESPACE}"' in xml
    assert "customXMLNS" not in xml
    names = [
        e.get("name")
        for e in ET.fromstring(xml).iter(
            "{http://schemas.microsoft.com/3dmanufacturing/core/2015/02}metadata"
        )
    ]
    assert names == ["Title", "shellgen:label", "shellgen:scan_sha256", "shellgen:side"]
    assert '<metadata name="shellgen:label" type="string">P7 &amp; &lt;x&gt;</metadata>' in xml
    model = read_3mf(written["3mf"], strict=True)
    assert model.warnings == []
    assert model.metadata[f"{SHELLGEN_NAMESPACE}:label"] == "P7 & <x>"
    assert_closed_and_oriented(model.objects[0])
    again = export_shell(
        shell, validate(shell, material=PA12), tmp_path / "again", "P7", metadata=meta
    )
    assert again["3mf"].read_bytes() == written["3mf"].read_bytes()


@pytest.mark.skipif(find_slicer() is None, reason="prusa-slicer is not installed")
def test_a_3mf_with_shellgen_metadata_slices_in_prusaslicer(tmp_path: Path) -> None:
    vertices, faces = rounded_slab(200.0, 80.0, 5.0, spacing_mm=4.0)
    meta = {"label": "S1-R", "scan_sha256": "5a" * 32, "Title": "slab"}
    path = write_3mf(tmp_path / "slab.3mf", vertices, faces, name="slab", metadata=meta)
    assert '<metadata name="shellgen:label"' in model_xml(path)

    result = slice_check(path)

    assert result.warnings == ()
    assert result.ok
    assert result.gcode_path is not None
    assert result.gcode_path.read_text().count("\nG1 ") > 1000
