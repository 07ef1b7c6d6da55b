"""``validate``: every check measures a value against a limit, on meshes of known geometry."""

from __future__ import annotations

import json
import math

import manifold3d
import numpy as np
import pytest
import trimesh
from _shapes import closed_slab, flat, rounded_slab, shell_like, superellipse
from shapely.geometry import Polygon, box

from shellgen.materials import MATERIALS, material
from shellgen.validation import Report, validate
from shellgen.validation._intersections import _triangles_cross

PA12 = material("PA12-MJF")

CHECKS = (
    "watertight",
    "winding",
    "one_body",
    "degenerate_faces",
    "duplicate_faces",
    "self_intersections",
    "min_wall_mm",
    "build_volume",
    "volume_cm3",
    "mass_g",
)


def mesh(vertices: np.ndarray, faces: np.ndarray) -> trimesh.Trimesh:
    return trimesh.Trimesh(vertices, faces, process=False, validate=False)


def boxes(*centres: tuple[float, float, float], size: float = 40.0) -> trimesh.Trimesh:
    """Closed boxes concatenated into one vertex set (not merged, not unioned)."""
    parts = []
    for c in centres:
        b = trimesh.creation.box((size, size, 10.0))
        b.apply_translation(c)
        parts.append(b)
    combined = trimesh.util.concatenate(parts)
    assert isinstance(combined, trimesh.Trimesh)
    return combined


def pocket_plate(*, pushed_mm: float = 0.0) -> trimesh.Trimesh:
    """A 60 x 40 x 5 mm plate on z = 0 with a 20 x 10 x 1.5 mm pocket in its underside, edges
    at most 2 mm: seen from above, the underside is two levels joined by a vertical step.

    ``pushed_mm``: the top face vertex nearest the middle of the pocket is pushed down so far.
    """
    pocket = manifold3d.Manifold.cube((20.0, 10.0, 1.5)).translate((20.0, 15.0, 0.0))
    solid = (manifold3d.Manifold.cube((60.0, 40.0, 5.0)) - pocket).refine_to_length(2.0)
    mesh = solid.to_mesh()
    vertices = np.array(mesh.vert_properties)[:, :3]
    top = np.flatnonzero(vertices[:, 2] == 5.0)
    middle = top[np.argmin(np.linalg.norm(vertices[top, :2] - (30.0, 20.0), axis=1))]
    vertices[middle, 2] -= pushed_mm
    return trimesh.Trimesh(vertices, np.array(mesh.tri_verts), process=False)


def crossing_pairs_by_brute_force(vertices: np.ndarray, faces: np.ndarray) -> int:
    """Every pair of faces with overlapping boxes and no common vertex (by position), put
    through the same face-crossing test: what the fast search must not miss any of."""
    _, ids = np.unique(vertices, axis=0, return_inverse=True)
    merged = ids.reshape(-1)[faces]
    triangles = vertices[faces]
    lo, hi = triangles.min(axis=1), triangles.max(axis=1)
    overlap = np.all((lo[:, None] <= hi[None]) & (lo[None] <= hi[:, None]), axis=2)
    a, b = np.nonzero(np.triu(overlap, 1))
    apart = ~(merged[a][:, :, None] == merged[b][:, None, :]).any(axis=(1, 2))
    ta, tb = triangles[a[apart]].transpose(2, 1, 0), triangles[b[apart]].transpose(2, 1, 0)
    return int(_triangles_cross(ta, tb).sum())


def test_a_clean_box_passes_every_check_with_its_true_measures() -> None:
    report = validate(trimesh.creation.box((100.0, 50.0, 4.0)), material=PA12)

    assert report.ok and report.failed == ()
    assert tuple(c.name for c in report.checks) == CHECKS
    assert report["watertight"].value == 0
    assert report["winding"].value == 0
    assert report["one_body"].value == 1
    assert report["min_wall_mm"].value == pytest.approx(4.0, abs=1e-9)
    assert report["min_wall_mm"].limit == PA12.min_wall_mm
    assert report["volume_cm3"].value == pytest.approx(20.0)
    assert report["mass_g"].value == pytest.approx(20.0 * PA12.density_g_cm3)
    # The largest excess over PA12's machine (an MJF 5200, 380 x 284 x 380 mm): across y.
    assert report["build_volume"].value == pytest.approx(50.0 - 284.0)


def test_a_rounded_slab_is_a_prism_whose_volume_is_outline_area_times_thickness() -> None:
    vertices, faces = rounded_slab(200.0, 80.0, 5.0, spacing_mm=4.0)
    ring_area = Polygon(superellipse(200.0, 80.0)).area

    report = validate(mesh(vertices, faces), material=PA12)

    assert report.ok, report.failed
    assert report["volume_cm3"].value == pytest.approx(ring_area * 5.0 / 1000.0, rel=1e-12)
    assert report["min_wall_mm"].value == pytest.approx(5.0, abs=1e-9)


@pytest.mark.parametrize(
    ("thickness_mm", "material_name", "ok"),
    [
        (0.8, "PA12-MJF", False),
        (1.1, "PA12-MJF", True),
        (1.1, "PP", False),
        (1.5, "PP", True),
    ],
)
def test_min_wall_is_the_plate_thickness_held_to_the_material_minimum(
    thickness_mm: float, material_name: str, ok: bool
) -> None:
    plate = trimesh.creation.box((60.0, 40.0, thickness_mm))

    check = validate(plate, material=material(material_name))["min_wall_mm"]

    assert check.value == pytest.approx(thickness_mm, abs=1e-9)
    assert check.limit == MATERIALS[material_name].min_wall_mm
    assert check.ok is ok


def test_min_wall_of_a_tilted_plate_is_measured_along_the_normal_not_vertically() -> None:
    slope = math.radians(35.0)
    t_mm = 2.5

    def bottom(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return 10.0 + x * math.tan(slope)

    def top(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return bottom(x, y) + t_mm / math.cos(slope)  # vertical offset t / cos(slope)

    vertices, faces = closed_slab(superellipse(80.0, 60.0), 2.0, top, bottom)
    check = validate(mesh(vertices, faces), material=PA12)["min_wall_mm"]

    assert check.value == pytest.approx(t_mm, abs=1e-6)
    assert "at the rim skipped" in check.detail  # rays leaving through the side wall


def test_min_wall_finds_the_thin_part_of_a_stepped_plate_and_says_where() -> None:
    def top(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.where(x < 100.0, 0.8, 5.0)

    vertices, faces = closed_slab(superellipse(200.0, 60.0), 2.0, top, flat(0.0))
    check = validate(mesh(vertices, faces), material=PA12)["min_wall_mm"]

    assert not check.ok
    assert check.value == pytest.approx(0.8, abs=1e-9)
    x_mm = float(check.detail.split("at (")[1].split(",")[0])
    assert x_mm < 100.0


def test_min_wall_samples_a_regular_grid_so_results_repeat_exactly() -> None:
    shell = shell_like()
    first = validate(shell, material=PA12)
    again = validate(shell, material=PA12)

    assert first.as_json() == again.as_json()
    assert "2 mm grid" in first["min_wall_mm"].detail


def test_an_open_mesh_fails_watertight_by_its_open_edges() -> None:
    closed = trimesh.creation.box((30.0, 30.0, 10.0))
    report = validate(mesh(closed.vertices, closed.faces[:-1]), material=PA12)

    assert report["watertight"].value == 3
    assert not report["watertight"].ok
    assert math.isnan(report["min_wall_mm"].value)  # no inside to cast rays through
    assert "watertight" in report.failed and "min_wall_mm" in report.failed


def test_one_flipped_face_fails_winding_by_its_three_edges() -> None:
    closed = trimesh.creation.box((30.0, 30.0, 10.0))
    faces = closed.faces.copy()
    faces[0] = faces[0][::-1]

    report = validate(mesh(closed.vertices, faces), material=PA12)

    assert report["watertight"].ok
    assert report["winding"].value == 3
    assert report.failed == ("winding", "min_wall_mm")


def test_an_inside_out_mesh_fails_winding_on_its_negative_volume() -> None:
    closed = trimesh.creation.box((30.0, 30.0, 10.0))
    report = validate(mesh(closed.vertices, closed.faces[:, ::-1]), material=PA12)

    assert report["winding"].value == 0
    assert not report["winding"].ok
    assert "inward" in report["winding"].detail
    assert report["volume_cm3"].value == pytest.approx(-9.0)
    assert not report["volume_cm3"].ok


def test_a_triangle_soup_is_judged_by_vertex_positions_as_a_slicer_reads_it() -> None:
    closed = trimesh.creation.box((30.0, 30.0, 10.0))
    soup_vertices = closed.vertices[closed.faces].reshape(-1, 3)
    soup_faces = np.arange(len(soup_vertices)).reshape(-1, 3)

    assert validate(mesh(soup_vertices, soup_faces), material=PA12).ok


def test_duplicate_and_degenerate_faces_are_counted() -> None:
    closed = trimesh.creation.box((30.0, 30.0, 10.0))
    vertices = np.vstack([closed.vertices, [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [2.0, 0.0, 0.0]]])
    faces = np.vstack([closed.faces, closed.faces[:1], [[0, 0, 1], [8, 9, 10]]])

    report = validate(mesh(vertices, faces), material=PA12)

    assert report["duplicate_faces"].value == 1
    assert report["degenerate_faces"].value == 2  # a repeated vertex, three collinear points
    assert not report["watertight"].ok


def test_a_face_repeated_in_another_vertex_order_is_a_duplicate() -> None:
    closed = trimesh.creation.box((30.0, 30.0, 10.0))
    repeats = [closed.faces[0][[1, 2, 0]], closed.faces[3][::-1], closed.faces[5][[2, 1, 0]]]

    report = validate(mesh(closed.vertices, np.vstack([closed.faces, repeats])), material=PA12)

    assert report["duplicate_faces"].value == 3
    assert report["degenerate_faces"].value == 0


def test_two_separate_boxes_fail_one_body_but_do_not_intersect() -> None:
    report = validate(boxes((0, 0, 0), (60, 0, 0)), material=PA12)

    assert report["one_body"].value == 2
    assert report["self_intersections"].ok
    assert report.failed == ("one_body",)


def test_two_overlapping_boxes_glued_into_one_vertex_set_fail_self_intersections() -> None:
    report = validate(boxes((0, 0, 0), (20, 20, 0)), material=PA12)

    check = report["self_intersections"]
    assert not check.ok
    assert check.value > 0
    assert "near (" in check.detail


def test_a_single_body_whose_top_dips_through_its_bottom_fails_self_intersections() -> None:
    def top(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        r = np.hypot(x - 40.0, y)
        return 5.0 - 12.0 * np.clip(1.0 - r / 10.0, 0.0, 1.0)

    vertices, faces = closed_slab(superellipse(80.0, 50.0), 2.0, top, flat(0.0))
    report = validate(mesh(vertices, faces), material=PA12)

    assert report["watertight"].ok and report["winding"].ok and report["one_body"].ok
    assert not report["self_intersections"].ok


def test_a_single_pushed_in_vertex_that_makes_a_face_cross_another_fails_self_intersections() -> (
    None
):
    vertices, faces = closed_slab(superellipse(60.0, 40.0), 2.0, flat(5.0), flat(0.0))
    pushed = np.argmin(np.linalg.norm(vertices - (30.0, 0.0, 5.0), axis=1))
    vertices[pushed, 2] = -2.0  # through the bottom: its top faces cross bottom faces

    report = validate(mesh(vertices, faces), material=PA12)

    check = report["self_intersections"]
    assert report["watertight"].ok and report["winding"].value == 0
    assert not check.ok
    assert check.value == crossing_pairs_by_brute_force(vertices, faces) > 0
    x_mm, y_mm = (float(v) for v in check.detail.split("near (")[1].split(",")[:2])
    assert math.hypot(x_mm - vertices[pushed, 0], y_mm - vertices[pushed, 1]) < 4.0


@pytest.mark.parametrize(
    "case",
    ["pocket plate pushed", "shell pushed", "shell noise", "sphere pushed", "overlapping boxes"],
)
def test_the_self_intersection_count_is_every_crossing_pair_a_brute_force_search_finds(
    case: str,
) -> None:
    rng = np.random.default_rng(7)
    if case == "pocket plate pushed":
        m = pocket_plate(pushed_mm=4.0)  # the top dips through the pocket's ceiling
        vertices, faces = np.array(m.vertices), np.array(m.faces)
    elif case.startswith("shell"):
        shell = shell_like(spacing_mm=4.0)
        vertices, faces = shell.vertices.copy(), shell.faces
        if case == "shell pushed":
            moved = rng.choice(len(vertices), 6, replace=False)
            vertices[moved, 2] += rng.uniform(-8.0, 8.0, 6)
        else:
            vertices += rng.normal(0.0, 0.7, vertices.shape)
    elif case == "sphere pushed":
        sphere = trimesh.creation.icosphere(3, radius=20.0)
        vertices, faces = sphere.vertices.copy(), sphere.faces
        vertices[rng.choice(len(vertices), 4, replace=False)] *= -0.6  # through the centre
    else:
        both = boxes((0, 0, 0), (20, 20, 0))
        vertices, faces = np.array(both.vertices), np.array(both.faces)

    check = validate(mesh(vertices, faces), material=PA12)["self_intersections"]

    assert check.value == crossing_pairs_by_brute_force(vertices, faces) > 0


def test_a_pocket_under_a_plate_is_measured_where_the_wall_is_thinnest() -> None:
    report = validate(pocket_plate(), material=PA12)

    assert report.ok, report.failed
    assert report["self_intersections"].value == 0
    assert report["min_wall_mm"].value == pytest.approx(5.0 - 1.5, abs=1e-9)
    x_mm, y_mm = (float(v) for v in report["min_wall_mm"].detail.split("at (")[1].split(",")[:2])
    assert 20.0 <= x_mm <= 40.0 and 15.0 <= y_mm <= 25.0  # over the pocket
    assert report["volume_cm3"].value == pytest.approx((60 * 40 * 5 - 20 * 10 * 1.5) / 1000)


def test_a_clean_shell_like_mesh_has_no_self_intersections() -> None:
    report = validate(shell_like(), material=PA12)

    assert report["self_intersections"].value == 0
    assert report.ok, report.failed


@pytest.mark.parametrize(
    ("size_mm", "excess_mm", "ok"),
    [
        ((240.0, 200.0, 5.0), -10.0, True),  # fits as it is
        ((200.0, 240.0, 5.0), -10.0, True),  # fits turned about z
        ((300.0, 50.0, 5.0), 50.0, False),
        ((220.0, 220.0, 5.0), 10.0, False),  # 220 mm does not fit across a 210 mm bed
        ((100.0, 50.0, 230.0), 20.0, False),
    ],
)
def test_build_volume_reports_the_largest_excess_over_the_bed(
    size_mm: tuple[float, float, float], excess_mm: float, ok: bool
) -> None:
    bed = (250.0, 210.0, 210.0)
    box_ = trimesh.creation.box(size_mm)
    check = validate(box_, material=PA12, build_volume_mm=bed)["build_volume"]

    assert check.value == pytest.approx(excess_mm)
    assert check.ok is ok


def test_inside_outline_measures_the_footprint_area_beyond_the_buffered_outline() -> None:
    plate = trimesh.creation.box((110.0, 50.0, 4.0))  # x from -55 to 55
    foot = box(-50.0, -25.0, 50.0, 25.0)  # buffered by 3 mm: x to +-53

    check = validate(plate, material=PA12, foot_outline=foot)["inside_outline"]

    assert check.value == pytest.approx(2 * 2.0 * 50.0)
    assert not check.ok


def test_inside_outline_counts_a_notch_that_a_face_spans_with_its_corners_all_inside() -> None:
    # The plate's top is two triangles whose corners lie on the foot outline; the outline has
    # a 20 mm notch, 14 mm wide once buffered by 3 mm, from y = 53 mm to the plate's edge.
    plate = trimesh.creation.box((100.0, 100.0, 4.0))
    plate.apply_translation((50.0, 50.0, 2.0))
    notched = Polygon(
        [(0, 0), (100, 0), (100, 100), (60, 100), (60, 50), (40, 50), (40, 100), (0, 100)]
    )

    check = validate(plate, material=PA12, foot_outline=notched)["inside_outline"]

    assert check.value == pytest.approx(14.0 * 47.0)
    assert not check.ok


def test_inside_outline_passes_a_shell_within_its_foot() -> None:
    shell = shell_like()

    report = validate(shell, material=PA12, foot_outline=shell.outline)

    assert report["inside_outline"].value == 0.0
    assert report["inside_outline"].ok


def test_the_json_report_lists_every_check_with_value_limit_and_unit() -> None:
    closed = trimesh.creation.box((30.0, 30.0, 10.0))
    report = validate(mesh(closed.vertices, closed.faces[:-1]), material=PA12)

    data = json.loads(json.dumps(report.as_json(), allow_nan=False))

    assert data["ok"] is False
    assert [c["name"] for c in data["checks"]] == list(CHECKS)
    for c in data["checks"]:
        assert {"name", "ok", "value", "limit", "unit"} <= set(c)
    by_name = {c["name"]: c for c in data["checks"]}
    assert by_name["watertight"] == {
        "name": "watertight",
        "ok": False,
        "value": 3,
        "limit": 0,
        "unit": "edges",
        "detail": by_name["watertight"]["detail"],
    }
    assert by_name["min_wall_mm"]["value"] is None  # NaN is not JSON


def test_a_report_is_ok_only_when_no_check_failed() -> None:
    report = validate(boxes((0, 0, 0), (60, 0, 0)), material=PA12)

    assert isinstance(report, Report)
    assert not report.ok
    with pytest.raises(KeyError):
        report["no_such_check"]


def test_the_build_volume_is_the_materials_process_machine() -> None:
    # A 300 mm full-length shell fits an MJF 5200 (380 mm) but not a Prusa MK4S (250 mm).
    plate = trimesh.creation.box((300.0, 100.0, 10.0))
    assert validate(plate, material=material("PA12-MJF"))["build_volume"].ok
    assert not validate(plate, material=material("PP"))["build_volume"].ok
