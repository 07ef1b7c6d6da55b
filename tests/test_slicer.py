"""What shellgen writes slices in a real slicer (PrusaSlicer) with no error and no warning."""

from __future__ import annotations

from pathlib import Path

import pytest
from _shapes import rounded_slab

from shellgen.export import write_3mf, write_stl
from shellgen.slicer import find_slicer, slice_check

pytestmark = pytest.mark.skipif(
    find_slicer() is None, reason="prusa-slicer is not installed (Debian package prusa-slicer)"
)


@pytest.mark.parametrize("fmt", ["stl", "3mf"])
def test_a_rounded_slab_slices_without_errors_or_warnings(tmp_path: Path, fmt: str) -> None:
    vertices, faces = rounded_slab(200.0, 80.0, 5.0, spacing_mm=4.0)
    if fmt == "stl":
        path = write_stl(tmp_path / "slab.stl", vertices, faces)
    else:
        path = write_3mf(tmp_path / "slab.3mf", vertices, faces, name="slab", metadata={"a": "b"})

    result = slice_check(path)

    assert result.warnings == ()
    assert result.ok
    assert result.gcode_path == tmp_path / "slab.gcode"
    gcode = result.gcode_path.read_text()
    assert gcode.count("\nG1 ") > 1000  # real tool paths, not an empty file


def test_an_open_mesh_slices_only_after_repairs_that_are_reported(tmp_path: Path) -> None:
    vertices, faces = rounded_slab(200.0, 80.0, 5.0, spacing_mm=8.0)
    path = write_stl(tmp_path / "open.stl", vertices, faces[:-1])

    result = slice_check(path)

    assert not result.ok
    assert "mesh is not manifold" in result.warnings
    assert any(w.startswith("repaired: ") for w in result.warnings)


def test_a_part_too_big_for_the_bed_fails_to_slice(tmp_path: Path) -> None:
    vertices, faces = rounded_slab(300.0, 80.0, 5.0, spacing_mm=10.0)
    path = write_stl(tmp_path / "big.stl", vertices, faces)

    result = slice_check(path)

    assert not result.ok
    assert result.gcode_path is None
    assert any("could not fit on the bed" in w for w in result.warnings)
