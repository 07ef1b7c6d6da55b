"""Why shellgen keeps its own PLY, STL and OBJ parsers: files the libraries get wrong.

Issue 15 asks for well-kept libraries (trimesh, open3d) wherever they are not measurably
worse. Each test here is such a measurement on a file of the odd-file corpus: the library's
reading is wrong (points invented, lines silently dropped, triangles lost, a valid file
refused) where ``shellgen.scan.load`` reads it right. When a test here starts failing,
the library has been fixed: switch that format to it. Speed is measured in
``benchmarks/formats.md`` (on 5 M binary PLY points the own reader was 2 to 6 times faster
than trimesh and 6 to 10 times faster than open3d, in two runs).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import open3d as o3d
import pytest
import trimesh

from shellgen.errors import ScanError
from shellgen.scan import load

POINTS = np.arange(30, dtype=np.float64).reshape(10, 3)


@pytest.fixture(autouse=True)
def quiet_open3d() -> None:
    o3d.utility.set_verbosity_level(o3d.utility.VerbosityLevel.Error)


def test_a_truncated_ascii_ply_open3d_invents_points_trimesh_drops_them_we_refuse(
    tmp_path: Path,
) -> None:
    text = trimesh.PointCloud(POINTS).export(file_type="ply", encoding="ascii").decode()
    path = tmp_path / "cut.ply"
    path.write_text("\n".join(text.splitlines()[:-4]))  # 6 of 10 vertices left

    assert len(o3d.io.read_point_cloud(str(path)).points) == 10  # 4 made up
    assert len(trimesh.load(path, process=False).vertices) == 6  # silently short
    with pytest.raises(ScanError, match="truncated"):
        load(path)


def test_a_truncated_binary_ply_open3d_invents_points_we_refuse(tmp_path: Path) -> None:
    path = tmp_path / "cut.ply"
    path.write_bytes(trimesh.PointCloud(POINTS).export(file_type="ply")[:-7])

    assert len(o3d.io.read_point_cloud(str(path)).points) == 10
    with pytest.raises(ScanError, match="truncated"):
        load(path)


def test_an_obj_with_negative_indices_and_ngons_open3d_loses_every_triangle(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ngon.obj"
    path.write_text(
        "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 0.5 1.5 0\nf -5 -4 -3 -2\nf 1/1 2/2 3/3 5 4\n"
    )

    assert len(o3d.io.read_triangle_mesh(str(path)).triangles) == 0
    raw = load(path)
    assert raw.faces is not None and len(raw.faces) == 2 + 3  # quad + pentagon, fanned
    assert raw.source.n_faces == 2


def test_a_solid_named_binary_stl_with_trailing_bytes_both_libraries_fail(
    tmp_path: Path,
) -> None:
    data = bytearray(trimesh.exchange.stl.export_stl(trimesh.creation.box(extents=(20, 30, 40))))
    data[:5] = b"solid"
    path = tmp_path / "named.stl"
    path.write_bytes(bytes(data) + b"\x00" * 7)

    assert len(o3d.io.read_triangle_mesh(str(path)).triangles) == 0
    assert not isinstance(trimesh.load(path, process=False), trimesh.Trimesh)
    raw = load(path)
    assert raw.faces is not None and len(raw.faces) == 12
    assert raw.n_vertices == 8


def test_a_text_cloud_with_a_bad_line_open3d_skips_it_we_name_it(tmp_path: Path) -> None:
    path = tmp_path / "bad.xyz"
    path.write_text("1 2 3\n4 5 6\n7 x 9\n10 11 12\n")

    assert len(o3d.io.read_point_cloud(str(path)).points) == 3  # line 3 silently gone
    with pytest.raises(ScanError, match="line 3"):
        load(path)
