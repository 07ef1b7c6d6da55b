"""``load``: every scan format read into a RawScan, and every bad file a one-line ScanError."""

from __future__ import annotations

import ctypes
import hashlib
from pathlib import Path

import numpy as np
import open3d as o3d
import pytest
import trimesh

from shellgen.errors import ScanError
from shellgen.export import write_3mf
from shellgen.limits import MIN_POINTS
from shellgen.scan import load

SCANS = Path(__file__).resolve().parents[2] / "scans"

RNG = np.random.default_rng(7)
#: A known cloud, exactly representable in float32 (so every format round-trips exactly).
CLOUD = RNG.uniform(-150.0, 150.0, (800, 3)).astype(np.float32).astype(np.float64)

#: A 20 x 30 x 40 box centred on the origin, as 8 corners and 6 outward quads.
BOX_HALF = np.array([10.0, 15.0, 20.0])
BOX_VERTICES = (
    np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=np.float64)
    * BOX_HALF
)
BOX_QUADS = np.array(
    [[0, 1, 3, 2], [4, 6, 7, 5], [0, 4, 5, 1], [2, 3, 7, 6], [0, 2, 6, 4], [1, 5, 7, 3]]
)
BOX_AREA = 2 * (20 * 30 + 20 * 40 + 30 * 40)


def expected_samples(area: float, vertices: np.ndarray) -> int:
    """The sample count rule: area / (bbox diagonal / 400)**2, at most 400 000."""
    diagonal = np.linalg.norm(np.ptp(vertices, axis=0))
    return min(400_000, round(area / (diagonal / 400.0) ** 2))


def fan(quads: np.ndarray) -> np.ndarray:
    """The fan triangles (c0, c1, c2), (c0, c2, c3) of each quad, in order."""
    return np.stack([quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]], axis=1).reshape(-1, 3)


def surface_distance(mesh: trimesh.Trimesh, points: np.ndarray) -> np.ndarray:
    """Exact distance from each point to the nearest triangle of ``mesh``."""
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(
        o3d.core.Tensor.from_numpy(np.asarray(mesh.vertices, np.float32)),
        o3d.core.Tensor.from_numpy(np.asarray(mesh.faces, np.uint32)),
    )
    return scene.compute_distance(o3d.core.Tensor.from_numpy(points.astype(np.float32))).numpy()


def write_ply(
    path: Path,
    vertices: np.ndarray,
    faces: list[list[int]] | None = None,
    fmt: str = "binary_little_endian",
) -> Path:
    """Write a PLY with float x y z, a uchar colour and (optionally) int polygon faces."""
    header = [
        "ply",
        f"format {fmt} 1.0",
        "comment written by the test",
        f"element vertex {len(vertices)}",
        "property float x",
        "property float y",
        "property float z",
        "property uchar red",
    ]
    if faces is not None:
        header += [f"element face {len(faces)}", "property list uchar int vertex_indices"]
    header.append("end_header")
    body = bytearray("\n".join(header).encode() + b"\n")
    if fmt == "ascii":
        body += b"".join(f"{x!r} {y!r} {z!r} 255\n".encode() for x, y, z in vertices.tolist())
        for face in faces or []:
            body += (" ".join(str(i) for i in [len(face), *face]) + "\n").encode()
    else:
        end = "<" if fmt == "binary_little_endian" else ">"
        record = np.dtype([("xyz", end + "f4", (3,)), ("red", "u1")])
        rows = np.zeros(len(vertices), record)
        rows["xyz"] = vertices
        body += rows.tobytes()
        for face in faces or []:
            body += np.uint8(len(face)).tobytes() + np.asarray(face, end + "i4").tobytes()
    path.write_bytes(bytes(body))
    return path


def assert_scan_error(path: Path, *fragments: str) -> None:
    """``load(path)`` raises a one-line ScanError naming the file (and the fragments)."""
    with pytest.raises(ScanError) as info:
        load(path)
    message = str(info.value)
    assert str(path) in message
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


# --------------------------------------------------------------------------- point clouds


@pytest.mark.parametrize("fmt", ["ascii", "binary_little_endian", "binary_big_endian"])
def test_ply_point_cloud_reads_every_point_exactly(tmp_path: Path, fmt: str) -> None:
    path = write_ply(tmp_path / "cloud.ply", CLOUD, fmt=fmt)
    raw = load(path)
    np.testing.assert_array_equal(raw.points, CLOUD)
    assert raw.faces is None
    assert raw.n_vertices == len(CLOUD)
    assert raw.source.format == "ply"
    assert raw.source.n_points_read == len(CLOUD)
    assert raw.source.n_faces == 0
    assert raw.source.n_nonfinite_dropped == 0
    assert raw.source.path == str(path)
    assert raw.source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_ply_skips_elements_it_does_not_need(tmp_path: Path) -> None:
    """A binary element before the vertices (here a camera) is stepped over, not misread."""
    header = (
        "ply\nformat binary_little_endian 1.0\n"
        "element camera 2\nproperty double view_x\nproperty list uchar float k\n"
        f"element vertex {len(CLOUD)}\nproperty double x\nproperty double y\n"
        "property double z\nend_header\n"
    )
    camera = (np.uint8(2).tobytes() + np.ones(2, "<f4").tobytes()).join(
        [np.float64(1.0).tobytes(), np.float64(2.0).tobytes(), b""]
    )
    path = tmp_path / "camera.ply"
    path.write_bytes(header.encode() + camera + CLOUD.astype("<f8").tobytes())
    np.testing.assert_array_equal(load(path).points, CLOUD)


@pytest.mark.parametrize("data", ["ascii", "binary", "binary_compressed"])
def test_pcd_reads_every_point(tmp_path: Path, data: str) -> None:
    path = tmp_path / "cloud.pcd"
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(CLOUD))
    o3d.io.write_point_cloud(
        path, cloud, write_ascii=data == "ascii", compressed=data == "binary_compressed"
    )
    assert f"DATA {data}\n".encode() in path.read_bytes()
    raw = load(path)
    np.testing.assert_allclose(raw.points, CLOUD, rtol=1e-7)
    assert raw.faces is None
    assert (raw.source.format, raw.source.n_points_read) == ("pcd", len(CLOUD))


@pytest.mark.parametrize(
    ("suffix", "text"),
    [
        ("xyz", "\n".join(f"{x} {y}\t{z}" for x, y, z in CLOUD)),
        ("xyz", "\n".join(f"{x} {y} {z} 0.5 255 0 0\n" for x, y, z in CLOUD)),  # extra columns
        ("pts", f"{len(CLOUD)}\n" + "\n".join(f"{x} {y} {z} -1204 80 90 100" for x, y, z in CLOUD)),
        ("csv", "x,y,z,intensity\n" + "\n".join(f"{x},{y},{z},7" for x, y, z in CLOUD)),
        ("csv", "\n".join(f"{x}, {y}, {z}" for x, y, z in CLOUD) + "\n\n"),
    ],
    ids=["xyz", "xyz-extra-columns", "pts-count-line", "csv-header", "csv-spaces"],
)
def test_text_clouds_read_the_first_three_columns(tmp_path: Path, suffix: str, text: str) -> None:
    path = tmp_path / f"cloud.{suffix}"
    path.write_text(text)
    raw = load(path)
    np.testing.assert_array_equal(raw.points, CLOUD)
    assert raw.faces is None
    assert (raw.source.format, raw.source.n_points_read) == (suffix, len(CLOUD))


def test_extension_is_case_insensitive(tmp_path: Path) -> None:
    raw = load(write_ply(tmp_path / "CLOUD.PLY", CLOUD))
    assert raw.source.format == "ply"
    assert len(raw.points) == len(CLOUD)


# --------------------------------------------------------------------------- meshes


def assert_is_the_box(raw_points: np.ndarray, n_vertices: int, faces: np.ndarray) -> None:
    """Vertices, faces and surface samples of a mesh read from the box."""
    vertices = raw_points[:n_vertices]
    corners = vertices[faces]
    np.testing.assert_array_equal(corners, BOX_VERTICES[fan(BOX_QUADS)])
    samples = raw_points[n_vertices:]
    assert len(samples) == expected_samples(BOX_AREA, BOX_VERTICES) == 286_897
    # on the surface: inside the box, and on one of its faces
    assert np.all(np.abs(samples) <= BOX_HALF + 1e-12)
    assert np.abs(np.abs(samples) - BOX_HALF).min(axis=1).max() < 1e-12
    # area-weighted: each face pair holds its share of the samples (40x30 faces: 0.2 each)
    on_top = np.isclose(np.abs(samples[:, 2]), 20.0)
    assert np.mean(on_top) == pytest.approx(2 * 20 * 30 / BOX_AREA, abs=0.005)


@pytest.mark.parametrize("fmt", ["ascii", "binary_little_endian", "binary_big_endian"])
def test_ply_mesh_fans_polygons_and_samples_its_surface(tmp_path: Path, fmt: str) -> None:
    raw = load(write_ply(tmp_path / "box.ply", BOX_VERTICES, BOX_QUADS.tolist(), fmt))
    assert raw.faces is not None
    assert raw.n_vertices == 8
    assert raw.source.n_faces == 6
    assert raw.source.n_points_read == 8
    assert_is_the_box(raw.points, raw.n_vertices, raw.faces)


@pytest.mark.parametrize("fmt", ["ascii", "binary_little_endian"])
def test_ply_mesh_with_triangles_and_quads_mixed(tmp_path: Path, fmt: str) -> None:
    faces = [list(q) for q in BOX_QUADS[:3]] + fan(BOX_QUADS[3:]).tolist()
    raw = load(write_ply(tmp_path / "box.ply", BOX_VERTICES, faces, fmt))
    assert raw.faces is not None
    assert raw.source.n_faces == 3 + 6
    assert_is_the_box(raw.points, raw.n_vertices, raw.faces)


def test_ply_written_by_trimesh_reads_like_trimesh(tmp_path: Path) -> None:
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=50.0)
    path = tmp_path / "sphere.ply"
    sphere.export(path)
    raw = load(path)
    np.testing.assert_allclose(raw.points[: raw.n_vertices], sphere.vertices, rtol=1e-7)
    np.testing.assert_array_equal(raw.faces, sphere.faces)
    samples = raw.points[raw.n_vertices :]
    assert len(samples) == expected_samples(sphere.area, sphere.vertices)
    assert surface_distance(sphere, samples).max() < 1e-5  # float32 precision at 50 mm


def test_obj_reads_slashed_corners_polygons_and_negative_indices(tmp_path: Path) -> None:
    lines = ["# box", "mtllib box.mtl", "o box"]
    lines += [f"v {x} {y} {z} 0.5 0.5 0.5" for x, y, z in BOX_VERTICES]
    lines += ["vt 0 0", "vn 0 0 1", "usemtl skin", "s off"]
    forms = ["{}", "{}/1", "{}//1", "{}/1/1"]
    for k, quad in enumerate(BOX_QUADS):
        if k % 2:  # relative: -8 is the first of the 8 vertices defined so far
            corners = [forms[k % 4].format(i - 8) for i in quad]
        else:
            corners = [forms[k % 4].format(i + 1) for i in quad]
        lines.append("f " + " ".join(corners))
    path = tmp_path / "box.obj"
    path.write_text("\r\n".join(lines) + "\r\n")
    raw = load(path)
    assert raw.faces is not None
    assert (raw.source.format, raw.source.n_faces, raw.source.n_points_read) == ("obj", 6, 8)
    assert_is_the_box(raw.points, raw.n_vertices, raw.faces)


def test_obj_without_faces_is_a_point_cloud(tmp_path: Path) -> None:
    path = tmp_path / "cloud.obj"
    path.write_text("".join(f"v {x} {y} {z}\n" for x, y, z in CLOUD))
    raw = load(path)
    assert raw.faces is None
    np.testing.assert_array_equal(raw.points, CLOUD)


def box_trimesh() -> trimesh.Trimesh:
    return trimesh.Trimesh(BOX_VERTICES, fan(BOX_QUADS), process=False)


@pytest.mark.parametrize("encoding", ["binary", "ascii"])
def test_stl_merges_shared_corners_into_vertices(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "box.stl"
    path.write_bytes(trimesh.exchange.stl.export_stl(box_trimesh())) if encoding == "binary" else (
        path.write_text(trimesh.exchange.stl.export_stl_ascii(box_trimesh()))
    )
    raw = load(path)
    assert raw.faces is not None
    assert (raw.source.format, raw.source.n_faces, raw.source.n_points_read) == ("stl", 12, 8)
    assert raw.n_vertices == 8
    assert_is_the_box(raw.points, raw.n_vertices, raw.faces)


@pytest.mark.parametrize("trailing", [b"", b"\x00" * 7])
def test_binary_stl_whose_header_begins_with_solid(tmp_path: Path, trailing: bytes) -> None:
    data = bytearray(trimesh.exchange.stl.export_stl(box_trimesh()))
    data[:80] = b"solid box exported by a scanner".ljust(80, b" ")
    path = tmp_path / "box.stl"
    path.write_bytes(bytes(data) + trailing)
    raw = load(path)
    assert raw.faces is not None
    assert_is_the_box(raw.points, raw.n_vertices, raw.faces)


# --------------------------------------------------------------------------- glTF / 3MF

#: A turn of 90 degrees about z and a move: how a phone app's scene places its mesh.
PLACED = np.array(
    [[0.0, -1.0, 0.0, 5.0], [1.0, 0.0, 0.0, -7.0], [0.0, 0.0, 1.0, 11.0], [0, 0, 0, 1]]
)


def box_scene(transform: np.ndarray = PLACED) -> trimesh.Scene:
    scene = trimesh.Scene()
    scene.add_geometry(box_trimesh(), node_name="scan", geom_name="box", transform=transform)
    return scene


def assert_is_the_placed_box(raw_points: np.ndarray, n_vertices: int, faces: np.ndarray) -> None:
    vertices = raw_points[:n_vertices]
    np.testing.assert_allclose(
        vertices[faces], trimesh.transform_points(BOX_VERTICES, PLACED)[fan(BOX_QUADS)], atol=1e-12
    )
    samples = raw_points[n_vertices:]
    assert len(samples) == expected_samples(BOX_AREA, vertices) == 286_897
    assert surface_distance(trimesh.Trimesh(vertices, faces), samples).max() < 1e-5


def test_glb_mesh_is_placed_by_its_node_transform(tmp_path: Path) -> None:
    path = tmp_path / "phone.glb"
    path.write_bytes(box_scene().export(file_type="glb"))
    raw = load(path)
    assert raw.faces is not None
    assert (raw.source.format, raw.source.n_faces, raw.n_vertices) == ("glb", 12, 8)
    assert_is_the_placed_box(raw.points, raw.n_vertices, raw.faces)


def test_gltf_with_embedded_buffers_reads_like_glb(tmp_path: Path) -> None:
    files = trimesh.exchange.gltf.export_gltf(box_scene(), embed_buffers=True)
    path = tmp_path / "phone.gltf"
    path.write_bytes(files["model.gltf"])
    raw = load(path)
    assert raw.faces is not None and raw.source.format == "gltf"
    assert_is_the_placed_box(raw.points, raw.n_vertices, raw.faces)


def test_glb_point_cloud_reads_every_point(tmp_path: Path) -> None:
    scene = trimesh.Scene(trimesh.PointCloud(CLOUD))
    path = tmp_path / "cloud.glb"
    path.write_bytes(scene.export(file_type="glb"))
    raw = load(path)
    assert raw.faces is None
    np.testing.assert_array_equal(raw.points, CLOUD)


def test_3mf_scan_reads_its_build_in_millimetres(tmp_path: Path) -> None:
    """A 3MF in inches, its mesh placed by the build item: vertices come back in mm."""
    import lib3mf
    from lib3mf import Lib3MF

    wrapper = lib3mf.get_wrapper()
    model = wrapper.CreateModel()
    model.SetUnit(Lib3MF.ModelUnit.Inch)
    mesh = model.AddMeshObject()
    inches = BOX_VERTICES / 25.4
    mesh.SetGeometry(
        [Lib3MF.Position((ctypes.c_float * 3)(*p)) for p in inches.tolist()],
        [Lib3MF.Triangle((ctypes.c_uint32 * 3)(*t)) for t in fan(BOX_QUADS).tolist()],
    )
    move = wrapper.GetTranslationTransform(1.0, 2.0, 3.0)  # inches
    model.AddBuildItem(mesh, move)
    path = tmp_path / "scan.3mf"
    model.QueryWriter("3mf").WriteToFile(str(path))

    raw = load(path)

    assert raw.faces is not None
    assert (raw.source.format, raw.source.n_faces, raw.n_vertices) == ("3mf", 12, 8)
    expected_mm = (inches + np.array([1.0, 2.0, 3.0])) * 25.4
    np.testing.assert_allclose(raw.points[:8], expected_mm, atol=1e-4)  # float32 inches
    np.testing.assert_array_equal(raw.faces, fan(BOX_QUADS))


def test_a_3mf_shellgen_wrote_reads_back_as_its_mesh(tmp_path: Path) -> None:
    path = write_3mf(tmp_path / "s.3mf", BOX_VERTICES, fan(BOX_QUADS), name="s", metadata={})
    raw = load(path)
    assert raw.faces is not None
    assert_is_the_box(raw.points, raw.n_vertices, raw.faces)


def test_sample_count_is_clamped_at_400_000(tmp_path: Path) -> None:
    """Ten stacked 100 mm squares: 10 x 80 000 samples by the rule, clamped to 400 000."""
    square = np.array([[0, 0], [100, 0], [100, 100], [0, 100]], dtype=np.float64)
    vertices = np.vstack([np.column_stack([square, np.full(4, z)]) for z in range(10)])
    faces = [[4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3] for k in range(10)]
    raw = load(write_ply(tmp_path / "stack.ply", vertices, faces))
    assert expected_samples(10 * 100 * 100, vertices) == 400_000
    assert len(raw.points) == 40 + 400_000


def test_loading_is_deterministic(tmp_path: Path) -> None:
    path = write_ply(tmp_path / "box.ply", BOX_VERTICES, BOX_QUADS.tolist())
    np.testing.assert_array_equal(load(path).points, load(path).points)


# --------------------------------------------------------------------------- NaN / inf


def test_nonfinite_points_are_dropped_and_counted(tmp_path: Path) -> None:
    cloud = CLOUD.copy()
    cloud[[3, 10, 11], [0, 2, 1]] = [np.nan, np.inf, -np.inf]
    path = tmp_path / "depth.xyz"
    path.write_text("\n".join(f"{x} {y} {z}" for x, y, z in cloud))
    raw = load(path)
    np.testing.assert_array_equal(raw.points, np.delete(CLOUD, [3, 10, 11], axis=0))
    assert raw.source.n_nonfinite_dropped == 3
    assert raw.source.n_points_read == len(CLOUD)


def test_pcd_nan_points_are_dropped(tmp_path: Path) -> None:
    cloud = CLOUD.copy()
    cloud[::100, 1] = np.nan
    path = tmp_path / "depth.pcd"
    o3d.io.write_point_cloud(path, o3d.geometry.PointCloud(o3d.utility.Vector3dVector(cloud)))
    raw = load(path)
    assert raw.source.n_nonfinite_dropped == 8
    np.testing.assert_allclose(raw.points, CLOUD[np.arange(len(CLOUD)) % 100 != 0])


def test_mesh_faces_on_a_nonfinite_vertex_are_dropped_and_reindexed(tmp_path: Path) -> None:
    """A NaN vertex in front of the box: its two triangles go, the box's survive intact."""
    vertices = np.vstack([[np.nan, 0.0, 0.0], BOX_VERTICES])
    faces = [[0, 1, 2], [3, 0, 4], *(BOX_QUADS + 1).tolist()]
    raw = load(write_ply(tmp_path / "holey.ply", vertices, faces, "ascii"))
    assert raw.source.n_nonfinite_dropped == 1
    assert raw.source.n_points_read == 9
    assert raw.source.n_faces == 8
    assert raw.faces is not None
    assert_is_the_box(raw.points, raw.n_vertices, raw.faces)


# --------------------------------------------------------------------------- real scans


@pytest.mark.parametrize(
    ("name", "n_vertices", "n_faces"),
    [("myfeet_left_foot_m.stl", 6388, 12772), ("insoletilter_plantar_right_mm.obj", 6620, 12721)],
)
def test_real_scans_read_as_trimesh_reads_them(name: str, n_vertices: int, n_faces: int) -> None:
    path = SCANS / name
    mesh = trimesh.load_mesh(path)
    raw = load(path)
    assert raw.faces is not None
    assert raw.n_vertices == len(mesh.vertices) == n_vertices
    assert len(raw.faces) == len(mesh.faces) == n_faces
    vertices = raw.points[: raw.n_vertices]
    np.testing.assert_allclose([vertices.min(axis=0), vertices.max(axis=0)], mesh.bounds)
    # samples are on the scanned surface and stay within its bounds
    samples = raw.points[raw.n_vertices :]
    assert len(samples) == expected_samples(mesh.area, mesh.vertices)
    assert surface_distance(mesh, samples).max() < 1e-6 * np.linalg.norm(mesh.extents)


def test_metre_scan_keeps_scanner_units() -> None:
    """Units are prepare's business: a foot scanned in metres is about 0.27 long here."""
    raw = load(SCANS / "myfeet_left_foot_m.stl")
    assert 0.2 < np.ptp(raw.points, axis=0).max() < 0.35


# --------------------------------------------------------------------------- errors


def test_missing_file(tmp_path: Path) -> None:
    assert_scan_error(tmp_path / "nowhere.ply", "does not exist")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "scan.ply"
    folder.mkdir()
    assert_scan_error(folder, "directory")


def test_unknown_extension_lists_the_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "scan.e57"
    path.write_bytes(b"ASTM-E57")
    assert_scan_error(path, "'.e57'", ".ply", ".pcd", ".xyz", ".pts", ".csv", ".obj", ".stl")


@pytest.mark.parametrize(
    "suffix", ["ply", "pcd", "xyz", "pts", "csv", "obj", "stl", "glb", "gltf", "3mf"]
)
def test_empty_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"scan.{suffix}"
    path.write_bytes(b"")
    assert_scan_error(path, "empty")


@pytest.mark.parametrize("fmt", ["binary_little_endian", "binary_big_endian"])
def test_truncated_binary_ply(tmp_path: Path, fmt: str) -> None:
    path = write_ply(tmp_path / "cut.ply", CLOUD, fmt=fmt)
    path.write_bytes(path.read_bytes()[:-7])
    assert_scan_error(path, "truncated", "800 vertex")


def test_truncated_binary_ply_faces(tmp_path: Path) -> None:
    path = write_ply(tmp_path / "cut.ply", BOX_VERTICES, BOX_QUADS.tolist())
    path.write_bytes(path.read_bytes()[:-3])
    assert_scan_error(path, "truncated", "6 face")


def test_truncated_ascii_ply(tmp_path: Path) -> None:
    path = write_ply(tmp_path / "cut.ply", CLOUD, fmt="ascii")
    path.write_text("\n".join(path.read_text().splitlines()[:-5]))
    assert_scan_error(path, "truncated", "795 of 800")


def test_truncated_binary_stl(tmp_path: Path) -> None:
    path = tmp_path / "cut.stl"
    path.write_bytes(trimesh.exchange.stl.export_stl(box_trimesh())[:-20])
    assert_scan_error(path, "truncated", "12 triangles")


def test_truncated_pcd(tmp_path: Path) -> None:
    path = tmp_path / "cut.pcd"
    o3d.io.write_point_cloud(path, o3d.geometry.PointCloud(o3d.utility.Vector3dVector(CLOUD)))
    path.write_bytes(path.read_bytes()[:-100])
    assert_scan_error(path, "800 points", "truncated")


@pytest.mark.parametrize(
    "suffix", ["ply", "pcd", "xyz", "pts", "csv", "obj", "stl", "glb", "gltf", "3mf"]
)
def test_garbage(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"garbage.{suffix}"
    path.write_bytes(np.random.default_rng(3).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    assert_scan_error(path)


def test_unparsable_text_line_is_named(tmp_path: Path) -> None:
    lines = [f"{x} {y} {z}" for x, y, z in CLOUD]
    lines[41] = "12.5 oops 3.0"
    path = tmp_path / "cloud.xyz"
    path.write_text("\n".join(lines))
    assert_scan_error(path, "line 42", "not a number")


def test_short_text_line_is_named(tmp_path: Path) -> None:
    lines = ["x,y,z", *(f"{x},{y},{z}" for x, y, z in CLOUD)]
    lines[100] = "1.0,2.0"
    path = tmp_path / "cloud.csv"
    path.write_text("\n".join(lines))
    assert_scan_error(path, "line 101", "2 columns")


def test_obj_face_on_a_missing_vertex(tmp_path: Path) -> None:
    path = tmp_path / "bad.obj"
    path.write_text("".join(f"v {x} {y} {z}\n" for x, y, z in CLOUD) + "f 1 2 900\n")
    assert_scan_error(path, "vertex index 899", "800 vertices")


def test_obj_face_corner_zero(tmp_path: Path) -> None:
    path = tmp_path / "bad.obj"
    path.write_text("".join(f"v {x} {y} {z}\n" for x, y, z in CLOUD) + "f 1 2 3\nf 0 1 2\n")
    assert_scan_error(path, "line 802", "corner 0")


def test_ply_without_end_header(tmp_path: Path) -> None:
    path = tmp_path / "bad.ply"
    path.write_text("ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\n")
    assert_scan_error(path, "end_header")


def test_ply_with_unknown_property_type(tmp_path: Path) -> None:
    path = tmp_path / "bad.ply"
    path.write_text("ply\nformat ascii 1.0\nelement vertex 1\nproperty quad x\nend_header\n1\n")
    assert_scan_error(path, "line 4", "malformed")


def test_too_few_finite_points(tmp_path: Path) -> None:
    cloud = np.vstack([CLOUD[:12], np.full((3, 3), np.nan)])
    path = tmp_path / "tiny.xyz"
    path.write_text("\n".join(f"{x} {y} {z}" for x, y, z in cloud))
    assert_scan_error(
        path,
        f"has only 12 finite points (3 NaN/inf dropped); a foot scan needs at least {MIN_POINTS}",
    )


def valid_files(tmp_path: Path) -> list[Path]:
    """One small valid file of every format and encoding."""
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(CLOUD))
    o3d.io.write_point_cloud(tmp_path / "a.pcd", cloud, write_ascii=True)
    o3d.io.write_point_cloud(tmp_path / "b.pcd", cloud)
    (tmp_path / "c.xyz").write_text("\n".join(f"{x} {y} {z}" for x, y, z in CLOUD))
    (tmp_path / "d.stl").write_bytes(trimesh.exchange.stl.export_stl(box_trimesh()))
    (tmp_path / "e.stl").write_text(trimesh.exchange.stl.export_stl_ascii(box_trimesh()))
    (tmp_path / "f.obj").write_text(trimesh.exchange.obj.export_obj(box_trimesh()))
    (tmp_path / "i.glb").write_bytes(box_scene().export(file_type="glb"))
    write_3mf(tmp_path / "j.3mf", BOX_VERTICES, fan(BOX_QUADS), name="j", metadata={})
    return [
        write_ply(tmp_path / "g.ply", BOX_VERTICES, BOX_QUADS.tolist(), "ascii"),
        write_ply(tmp_path / "h.ply", BOX_VERTICES, BOX_QUADS.tolist(), "binary_big_endian"),
        *(
            tmp_path / name
            for name in ("a.pcd", "b.pcd", "c.xyz", "d.stl", "e.stl", "f.obj", "i.glb", "j.3mf")
        ),
    ]


def test_damaged_files_raise_only_scan_errors(tmp_path: Path) -> None:
    """Cut short or with bytes overwritten, every file loads or raises a ScanError."""
    rng = np.random.default_rng(11)
    for source in valid_files(tmp_path):
        data = source.read_bytes()
        for trial in range(12):
            damaged = bytearray(data[: rng.integers(1, len(data))] if trial % 2 else data)
            spots = rng.integers(0, len(damaged), 4)
            damaged[spots[0] : spots[0] + 8] = rng.integers(0, 256, 8, dtype=np.uint8).tobytes()
            path = tmp_path / f"damaged{source.suffix}"
            path.write_bytes(bytes(damaged))
            try:
                load(path)
            except ScanError as exc:
                assert str(path) in str(exc)
                assert "\n" not in str(exc)


def test_binary_ply_list_longer_than_the_file(tmp_path: Path) -> None:
    """A corrupt face count (4 294 967 295 corners) is a truncation, not a crash."""
    header = (
        "ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty float x\n"
        "property float y\nproperty float z\nelement face 2\n"
        "property list uint int vertex_indices\nend_header\n"
    )
    path = tmp_path / "corrupt.ply"
    path.write_bytes(header.encode() + bytes(12) + b"\xff\xff\xff\xff" + bytes(20))
    assert_scan_error(path, "truncated", "17179869364 bytes")
