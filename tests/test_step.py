"""STEP export: one valid closed solid in mm, the STL's volume and surface, on the patient's side.

Each STEP is read back with OCP (``STEPControl_Reader``) and checked with
``BRepCheck_Analyzer``; the surface is compared with the STL's both ways on seeded samples.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import open3d as o3d
import pytest
import trimesh
from _shapes import rounded_slab
from feet import shell_spec, synthetic_foot
from OCP.BRep import BRep_Tool
from OCP.BRepCheck import BRepCheck_Analyzer
from OCP.BRepGProp import BRepGProp
from OCP.BRepMesh import BRepMesh_IncrementalMesh
from OCP.GProp import GProp_GProps
from OCP.IFSelect import IFSelect_ReturnStatus
from OCP.ShapeAnalysis import ShapeAnalysis_FreeBounds
from OCP.STEPControl import STEPControl_Reader
from OCP.TopAbs import TopAbs_EDGE, TopAbs_FACE, TopAbs_SHELL, TopAbs_SOLID
from OCP.TopExp import TopExp_Explorer
from OCP.TopLoc import TopLoc_Location
from OCP.TopoDS import TopoDS, TopoDS_Shape

from shellgen.cli import main
from shellgen.errors import GeometryError
from shellgen.export import export_shell, read_mesh
from shellgen.materials import material
from shellgen.shell import build
from shellgen.step import write_step
from shellgen.validation import validate

PLANTAR = Path(__file__).resolve().parents[1] / "scans" / "insoletilter_plantar_right_mm.obj"
SAMPLES = 3000


def read_step(path: Path) -> TopoDS_Shape:
    reader = STEPControl_Reader()
    assert reader.ReadFile(str(path)) == IFSelect_ReturnStatus.IFSelect_RetDone
    reader.TransferRoots()
    return reader.OneShape()


def count(shape: TopoDS_Shape, kind: object) -> int:
    explorer, found = TopExp_Explorer(shape, kind), 0
    while explorer.More():
        found += 1
        explorer.Next()
    return found


def volume_mm3(shape: TopoDS_Shape) -> float:
    props = GProp_GProps()
    BRepGProp.VolumeProperties_s(shape, props)
    return float(props.Mass())


def tessellation(shape: TopoDS_Shape) -> trimesh.Trimesh:
    """The solid's faces as triangles: exact, since every face is planar."""
    BRepMesh_IncrementalMesh(shape, 0.01, False, 0.5, False)
    vertices, faces, offset = [], [], 0
    explorer = TopExp_Explorer(shape, TopAbs_FACE)
    while explorer.More():
        face = TopoDS.Face_s(explorer.Current())
        location = TopLoc_Location()
        triangulation = BRep_Tool.Triangulation_s(face, location)
        nodes = [triangulation.Node(i + 1) for i in range(triangulation.NbNodes())]
        vertices += [(p.X(), p.Y(), p.Z()) for p in nodes]
        for i in range(triangulation.NbTriangles()):
            a, b, c = triangulation.Triangle(i + 1).Get()
            faces.append((offset + a - 1, offset + b - 1, offset + c - 1))
        offset += len(nodes)
        explorer.Next()
    return trimesh.Trimesh(np.array(vertices), np.array(faces), process=False)


def farthest_mm(a: trimesh.Trimesh, b: trimesh.Trimesh) -> float:
    """The largest distance from seeded samples of ``a``'s surface (and its vertices) to ``b``."""
    points, _ = trimesh.sample.sample_surface(a, SAMPLES, seed=7)
    points = np.vstack([points, a.vertices[:: max(1, len(a.vertices) // SAMPLES)]])
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(
        o3d.core.Tensor(b.vertices.astype(np.float32)), o3d.core.Tensor(b.faces.astype(np.uint32))
    )
    distance = scene.compute_distance(o3d.core.Tensor(points.astype(np.float32))).numpy()
    return float(distance.max())


def assert_one_valid_closed_solid(shape: TopoDS_Shape) -> None:
    assert count(shape, TopAbs_SOLID) == 1
    assert count(shape, TopAbs_SHELL) == 1
    assert BRepCheck_Analyzer(shape).IsValid()
    free = ShapeAnalysis_FreeBounds(shape)  # edges of only one face: none in a closed shell
    assert count(free.GetClosedWires(), TopAbs_EDGE) == 0
    assert count(free.GetOpenWires(), TopAbs_EDGE) == 0


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A right sulcus shell of the synthetic foot (slots, label) exported as STL and STEP."""
    out = tmp_path_factory.mktemp("step")
    shell = build(synthetic_foot("right"), shell_spec("sulcus", grid_spacing_mm=4.0))
    report = validate(shell, material=material("PA12-MJF"))
    export_shell(shell, report, out, "R", formats=("stl", "step"), metadata={})
    return out / "R"


def test_the_step_is_one_valid_closed_solid_with_the_stls_volume_and_surface(
    exported: Path,
) -> None:
    solid = read_step(exported.with_suffix(".step"))
    stl = read_mesh(exported.with_suffix(".stl"))

    assert_one_valid_closed_solid(solid)
    assert volume_mm3(solid) == pytest.approx(stl.volume, rel=0.01)
    assert volume_mm3(solid) == pytest.approx(stl.volume, rel=1e-5)  # in fact exact
    surface = tessellation(solid)
    assert farthest_mm(stl, surface) < 0.1
    assert farthest_mm(surface, stl) < 0.1
    assert np.allclose(surface.bounds, stl.bounds, atol=1e-4)  # same frame, mm


def test_the_step_names_its_product_and_carries_no_clock_time(exported: Path) -> None:
    head = exported.with_suffix(".step").read_text(encoding="ascii")[:3000]

    assert "FILE_NAME('R','1970-01-01T00:00:00'" in head
    assert "PRODUCT('R','R'" in head
    assert "SI_UNIT(.MILLI.,.METRE.)" in exported.with_suffix(".step").read_text("ascii")


def test_build_with_format_step_writes_it_beside_the_stl_and_3mf(tmp_path: Path) -> None:
    args = ["build", str(PLANTAR), "-o", str(tmp_path), "--format", "stl,3mf,step"]
    assert main(args) == 0

    names = sorted(p.name for p in tmp_path.iterdir())
    stem = PLANTAR.stem
    assert names == sorted(f"{stem}.{e}" for e in ("stl", "3mf", "step", "json", "png"))
    solid = read_step(tmp_path / f"{stem}.step")
    assert count(solid, TopAbs_SOLID) == 1
    assert volume_mm3(solid) == pytest.approx(read_mesh(tmp_path / f"{stem}.stl").volume, 1e-5)


def test_a_left_shell_in_step_is_a_left_shell(tmp_path: Path) -> None:
    spec = shell_spec("three_quarter", slot_count=1, label="L", grid_spacing_mm=4.0)
    shell = build(synthetic_foot("left"), spec)
    report = validate(shell, material=material("PA12-MJF"))
    written = export_shell(shell, report, tmp_path, "L", formats=("stl", "step"), metadata={})

    solid = read_step(written["step"])
    surface = tessellation(solid)

    assert_one_valid_closed_solid(solid)
    assert volume_mm3(solid) > 0  # faces oriented outward after the mirror
    assert np.allclose(surface.bounds, read_mesh(written["stl"]).bounds, atol=1e-4)
    # the medial arch rises on +y of the right-foot frame: on -y for the left foot
    top = surface.vertices[surface.vertices[:, 2] > np.percentile(surface.vertices[:, 2], 95)]
    assert np.median(top[:, 1]) < -10.0


def test_the_same_mesh_gives_the_same_step_bytes(tmp_path: Path) -> None:
    vertices, faces = rounded_slab(spacing_mm=8.0)
    a = write_step(tmp_path / "a.step", vertices, faces, name="slab")
    b = write_step(tmp_path / "b.step", vertices, faces, name="slab")

    assert a.read_bytes() == b.read_bytes()
    assert volume_mm3(read_step(a)) == pytest.approx(trimesh.Trimesh(vertices, faces).volume)


def test_an_open_mesh_is_refused_in_one_line_and_nothing_is_written(tmp_path: Path) -> None:
    vertices, faces = rounded_slab(spacing_mm=8.0)

    with pytest.raises(GeometryError, match="not one closed") as info:
        write_step(tmp_path / "open.step", vertices, faces[1:], name="open")

    assert "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_build_without_step_never_imports_ocp(tmp_path: Path) -> None:
    code = (
        "import sys; from shellgen.cli import main; "
        f"assert main(['build', {str(PLANTAR)!r}, '-o', {str(tmp_path)!r}]) == 0; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('OCP', 'cadquery')))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert run.stdout.splitlines()[-1] == "[]"
    assert not (tmp_path / f"{PLANTAR.stem}.step").exists()
