"""``shellgen.plate``: finished shells flat on build plates, each once, apart, inside the bed."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import shapely
import trimesh
from feet import shell_spec, synthetic_foot
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, box

from shellgen.errors import GeometryError, ProfileError, ScanError
from shellgen.export import mirror_to_side, write_3mf, write_stl
from shellgen.plate import (
    Part,
    arrange,
    footprint,
    parse_bed,
    plate_paths,
    plate_shells,
    read_parts,
    shell_files,
)
from shellgen.shell import build
from shellgen.slicer import find_slicer, slice_check

BED = (250.0, 210.0)
GAP = 5.0
#: name -> side of the shells under test, each engraved with its name.
SHELLS = {"P1-L": "left", "P1-R": "right", "P2-R": "right", "P3-L": "left", "P3-R": "right"}
LABEL_DEPTH_MM = 0.6  # what feet.shell_spec engraves


@pytest.fixture(scope="module")
def shell_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Flat-based three-quarter shells of the synthetic foot, patient's side, as 3MF files."""
    folder = tmp_path_factory.mktemp("shells")
    for name, side in SHELLS.items():
        spec = shell_spec("three_quarter", slot_count=0, post_angle_deg=0.0, label=name)
        shell = build(synthetic_foot(side), spec)
        vertices, faces = mirror_to_side(shell.vertices, shell.faces, side)
        write_3mf(folder / f"{name}.3mf", vertices, faces, name=name, metadata={})
    return folder


@pytest.fixture(scope="module")
def parts(shell_dir: Path) -> list[Part]:
    return read_parts(sorted(shell_dir.glob("*.3mf")))


@pytest.fixture(scope="module")
def plated(parts: list[Part], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plates") / "plate.3mf"
    plate_shells(parts, out, bed_mm=BED, gap_mm=GAP)
    return out


def plate_meshes(first: Path) -> dict[str, tuple[int, trimesh.Trimesh]]:
    """Every object of every plate written beside ``first``: name -> (plate, mesh)."""
    found: dict[str, tuple[int, trimesh.Trimesh]] = {}
    for k in itertools.count(1):
        path = plate_paths(first, k)[-1]
        if not path.is_file():
            break
        scene = trimesh.load(path)
        assert isinstance(scene, trimesh.Scene)
        for name, mesh in scene.geometry.items():
            assert name not in found, f"{name} is on two plates"
            found[name] = (k, mesh)
    return found


def test_every_shell_is_on_one_plate_once_inside_the_bed(plated: Path) -> None:
    meshes = plate_meshes(plated)
    assert sorted(meshes) == sorted(SHELLS)
    for _, mesh in meshes.values():
        lo, hi = mesh.bounds
        assert lo[0] >= GAP / 2 - 1e-3 and lo[1] >= GAP / 2 - 1e-3
        assert hi[0] <= BED[0] - GAP / 2 + 1e-3 and hi[1] <= BED[1] - GAP / 2 + 1e-3
        assert lo[2] == pytest.approx(0.0, abs=1e-4)  # flat on the plate


def test_shells_on_one_plate_stand_at_least_the_gap_apart(plated: Path) -> None:
    meshes = plate_meshes(plated)
    hulls = {name: (k, footprint(mesh.vertices)) for name, (k, mesh) in meshes.items()}
    pairs = 0
    for (a, (ka, ha)), (b, (kb, hb)) in itertools.combinations(hulls.items(), 2):
        if ka == kb:
            pairs += 1
            assert shapely.distance(ha, hb) >= GAP - 1e-3, (a, b)
    assert pairs >= 2  # the test looked at shells sharing a plate


def test_a_full_plate_continues_on_the_next_and_a_large_bed_takes_all(
    parts: list[Part], plated: Path, tmp_path: Path
) -> None:
    # a 3/4 shell is about 185 x 75 mm: two fit side by side on 250 x 210, not three
    plates = {k for k, _ in plate_meshes(plated).values()}
    assert plates == {1, 2, 3}
    placements = plate_shells(parts, tmp_path / "big.3mf", bed_mm=(400.0, 400.0), gap_mm=GAP)
    assert {p.plate for p in placements} == {1}
    assert not (tmp_path / "big-2.3mf").exists()
    assert (tmp_path / "big.png").is_file()  # the plate's top view, for the print room


def test_shells_are_turned_and_moved_but_never_mirrored(
    parts: list[Part], plated: Path, tmp_path: Path
) -> None:
    placements = plate_shells(parts, tmp_path / "p.3mf", bed_mm=BED, gap_mm=GAP)
    meshes = plate_meshes(plated)
    for part, placement in zip(parts, placements, strict=True):
        rotation = placement.matrix[:3, :3]
        assert np.allclose(rotation @ rotation.T, np.eye(3)) and np.linalg.det(rotation) > 0
        assert np.allclose(rotation[2], [0, 0, 1])  # about z only: the underside stays down
        _, mesh = meshes[part.name]
        original = trimesh.Trimesh(part.vertices, part.faces, process=False)
        assert mesh.volume == pytest.approx(original.volume, rel=1e-6)  # > 0: outward normals
        back = (mesh.vertices - placement.matrix[:3, 3]) @ rotation
        assert np.abs(np.sort(back, axis=0) - np.sort(part.vertices, axis=0)).max() < 1e-4


def test_every_shell_keeps_its_engraved_label(parts: list[Part], plated: Path) -> None:
    meshes = plate_meshes(plated)
    for part in parts:
        _, mesh = meshes[part.name]
        original = trimesh.Trimesh(part.vertices, part.faces, process=False)

        def engraved_area(m: trimesh.Trimesh) -> float:
            """Area of the floors of the engraving: down-facing faces at the label depth."""
            z = m.triangles_center[:, 2]
            floor = (np.abs(z - LABEL_DEPTH_MM) < 1e-3) & (m.face_normals[:, 2] < -0.99)
            return float(m.area_faces[floor].sum())

        assert engraved_area(original) > 50.0  # mm2 of glyphs
        assert engraved_area(mesh) == pytest.approx(engraved_area(original), rel=1e-6)


@pytest.mark.skipif(find_slicer() is None, reason="prusa-slicer is not installed")
def test_a_plate_slices_in_prusaslicer(plated: Path) -> None:
    result = slice_check(plated)
    assert result.ok, result.warnings


def test_a_folder_gives_its_validated_shells_only(shell_dir: Path, tmp_path: Path) -> None:
    vertices = np.array([[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10]], dtype=float)
    faces = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]])
    for name, ok in (("A-L", True), ("B-R", False)):
        write_stl(tmp_path / f"{name}.stl", vertices, faces)
        (tmp_path / f"{name}.json").write_text(json.dumps({"validation": {"ok": ok}}))
    write_stl(tmp_path / "loose.stl", vertices, faces)  # no report: not a finished shell
    (tmp_path / "summary.json").write_text("{}")
    assert [p.name for p in shell_files([tmp_path])] == ["A-L.stl"]
    files = shell_files([tmp_path, shell_dir / "P1-L.3mf"])
    assert [p.name for p in files] == ["A-L.stl", "P1-L.3mf"]


def test_shell_inputs_that_cannot_be_plated_are_errors(shell_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ScanError, match="no validated shell"):
        shell_files([tmp_path])
    with pytest.raises(ScanError, match="does not exist"):
        shell_files([tmp_path / "missing.3mf"])
    with pytest.raises(ScanError, match="two shells are named 'P1-L'"):
        shell_files([shell_dir / "P1-L.3mf", shell_dir / "P1-L.3mf"])
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ScanError, match="not a shell"):
        shell_files([tmp_path / "notes.txt"])


def test_a_shell_larger_than_the_bed_is_an_error() -> None:
    with pytest.raises(GeometryError, match="does not fit a 250 x 210 mm bed"):
        arrange([box(0, 0, 300, 40)], bed_mm=BED, gap_mm=GAP)


@pytest.mark.parametrize(
    ("text", "bed"), [("250x210", (250.0, 210.0)), (" 300 X 200.5 ", (300.0, 200.5))]
)
def test_a_bed_is_width_x_depth_in_mm(text: str, bed: tuple[float, float]) -> None:
    assert parse_bed(text) == bed


@pytest.mark.parametrize("text", ["250", "250x", "0x210", "wide"])
def test_a_bed_that_is_not_two_sizes_is_an_error(text: str) -> None:
    with pytest.raises(ProfileError, match="WIDTHxDEPTH"):
        parse_bed(text)


def _placed(polygon: Polygon, motion: np.ndarray) -> Polygon:
    placed = shapely.affinity.affine_transform(polygon, [*motion[:2, :2].ravel(), *motion[:2, 2]])
    assert isinstance(placed, Polygon)
    return placed


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(
        st.tuples(st.floats(10.0, 200.0), st.floats(10.0, 120.0), st.floats(0.0, 3.1)),
        min_size=1,
        max_size=12,
    ),
    gap=st.floats(0.0, 10.0),
)
def test_any_parts_that_fit_are_packed_apart_and_inside(
    sizes: list[tuple[float, float, float]], gap: float
) -> None:
    # turned rectangles with a notch: not their own bounding box
    polygons = [
        shapely.affinity.rotate(
            box(0, 0, w, h).difference(box(w / 3, h / 2, 2 * w / 3, h + 1)), angle, use_radians=True
        )
        for w, h, angle in sizes
    ]
    placed = arrange(polygons, bed_mm=BED, gap_mm=gap)
    assert len(placed) == len(polygons)
    moved = [(k, _placed(p, m)) for p, (k, m) in zip(polygons, placed, strict=True)]
    for (_, p), (k, m) in zip(moved, placed, strict=True):
        assert k >= 1 and np.linalg.det(m[:2, :2]) == pytest.approx(1.0)
        lo_x, lo_y, hi_x, hi_y = p.bounds
        assert min(lo_x, lo_y) >= gap / 2 - 1e-6
        assert hi_x <= BED[0] - gap / 2 + 1e-6 and hi_y <= BED[1] - gap / 2 + 1e-6
    for (ka, a), (kb, b) in itertools.combinations(moved, 2):
        if ka == kb:
            assert shapely.distance(a, b) >= gap - 1e-6
    plates = sorted({k for k, _ in moved})
    assert plates == list(range(1, len(plates) + 1))  # no empty plate in between
