"""``build``: the solid shell, checked as geometry against the numbers it was built from.

The foot is the analytic synthetic foot of ``feet.py`` (260 mm, 62 mm heel, 100 mm ball,
arch at x = 110 mm); the spec is written by hand there (3 mm PA12 shell, 18 mm arch, 14 mm
heel cup, 4 degree varus post, flex zone from x = 150 mm over 20 mm to 0.6, three slots).
"""

from __future__ import annotations

import dataclasses
import gc
import weakref

import manifold3d
import numpy as np
import pytest
import shapely
import trimesh
from feet import MTH1, MTH5, synthetic_foot
from feet import shell_spec as make_spec
from scipy.spatial import cKDTree

from shellgen.analysis import Foot
from shellgen.calibration import calibrate
from shellgen.errors import GeometryError
from shellgen.profile import load_profile, profile_path
from shellgen.shell import Shell, build
from shellgen.shell._envelope import NEIGHBOUR_REACH_MM
from shellgen.spec import ShellSpec
from shellgen.validation import validate


@pytest.fixture(scope="module")
def foot() -> Foot:
    return synthetic_foot("right")


@pytest.fixture(scope="module")
def spec() -> ShellSpec:
    return make_spec("sulcus")


@pytest.fixture(scope="module")
def shell(foot: Foot, spec: ShellSpec) -> Shell:
    return build(foot, spec)


def face_normals(shell: Shell) -> np.ndarray:
    tri = shell.vertices[shell.faces]
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    return n / np.linalg.norm(n, axis=1, keepdims=True)


def surface_at(shell: Shell, xy: np.ndarray, which: str) -> np.ndarray:
    """z of the top (upward faces) or bottom (downward faces) surface above (x, y); NaN if none."""
    nz = face_normals(shell)[:, 2]
    faces = shell.faces[nz > 1e-6] if which == "top" else shell.faces[nz < -1e-6]
    tri = shell.vertices[faces]
    out = np.full(len(xy), np.nan)
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    det = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1])
    for k, (x, y) in enumerate(xy):
        l1 = ((x - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (y - a[:, 1])) / det
        l2 = ((b[:, 0] - a[:, 0]) * (y - a[:, 1]) - (x - a[:, 0]) * (b[:, 1] - a[:, 1])) / det
        inside = (l1 >= -1e-9) & (l2 >= -1e-9) & (l1 + l2 <= 1 + 1e-9)
        if inside.any():
            i = np.flatnonzero(inside)[0]
            out[k] = a[i, 2] + l1[i] * (b[i, 2] - a[i, 2]) + l2[i] * (c[i, 2] - a[i, 2])
    return out


def thickness_along_normal(shell: Shell, x_range: tuple, y_range: tuple) -> np.ndarray:
    """From the centroid of every top face in the box, the distance along -normal to the bottom."""
    normals = face_normals(shell)
    tri = shell.vertices[shell.faces]
    centroids = tri.mean(axis=1)
    top = (normals[:, 2] > 0.3) & (centroids[:, 0] > x_range[0]) & (centroids[:, 0] < x_range[1])
    top &= (centroids[:, 1] > y_range[0]) & (centroids[:, 1] < y_range[1])
    top &= np.arange(len(tri)) < len(tri) // 2  # top faces come first, bottoms have nz < 0
    bottom = tri[normals[:, 2] < -0.05]
    e1, e2 = bottom[:, 1] - bottom[:, 0], bottom[:, 2] - bottom[:, 0]
    out = []
    for origin, n in zip(centroids[top], normals[top], strict=True):
        d = -n  # Moller-Trumbore against every bottom face
        p = np.cross(d, e2)
        det = np.einsum("ij,ij->i", e1, p)
        s = origin - bottom[:, 0]
        u = np.einsum("ij,ij->i", s, p) / det
        q = np.cross(s, e1)
        v = (q @ d) / det
        t = np.einsum("ij,ij->i", e2, q) / det
        hit = (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0)
        out.append(t[hit].min())
    return np.asarray(out)


# ---------------------------------------------------------------------------- a closed solid


@pytest.mark.parametrize("length", ["three_quarter", "sulcus", "full"])
@pytest.mark.parametrize("side", ["right", "left"])
def test_shell_is_a_closed_outward_manifold_with_one_hole_per_slot(length: str, side: str) -> None:
    spec = make_spec(length)
    shell = build(synthetic_foot(side), spec)
    mesh = trimesh.Trimesh(shell.vertices, shell.faces, process=False)
    assert mesh.is_watertight
    assert mesh.is_winding_consistent
    assert mesh.is_volume
    assert mesh.volume > 30_000.0  # mm^3: a 3 mm shell under a 260 mm foot, solid heel
    solid = manifold3d.Manifold(
        manifold3d.Mesh(
            vert_properties=shell.vertices.astype(np.float32),
            tri_verts=shell.faces.astype(np.uint32),
        )
    )
    assert solid.status() == manifold3d.Error.NoError
    assert solid.genus() == spec.slot_count == 3
    assert abs(solid.volume() - mesh.volume) < 1e-3 * mesh.volume
    assert shell.side == side
    assert shell.vertices[:, 2].min() == 0.0


@pytest.mark.parametrize("slots", [0, 1, 4])
def test_genus_equals_slot_count(foot: Foot, slots: int) -> None:
    shell = build(foot, make_spec("full", slot_count=slots))
    solid = manifold3d.Manifold(
        manifold3d.Mesh(
            vert_properties=shell.vertices.astype(np.float32),
            tri_verts=shell.faces.astype(np.uint32),
        )
    )
    assert solid.status() == manifold3d.Error.NoError
    assert solid.genus() == slots
    assert len(shell.outline.interiors) == slots


def test_same_inputs_give_byte_identical_arrays(foot: Foot, spec: ShellSpec, shell: Shell) -> None:
    again = build(foot, spec)
    assert again.vertices.tobytes() == shell.vertices.tobytes()
    assert again.faces.tobytes() == shell.faces.tobytes()
    assert again.thickness_mm.tobytes() == shell.thickness_mm.tobytes()


def test_left_shell_has_the_same_outline_as_the_right(spec: ShellSpec, shell: Shell) -> None:
    left = build(synthetic_foot("left"), spec)
    assert left.side == "left"
    assert left.outline.equals_exact(shell.outline, tolerance=0.0)
    probe = np.array([(35.0, 0.0), (110.0, 20.0), (180.0, -10.0), (5.0, 10.0)])
    assert np.allclose(surface_at(left, probe, "top"), surface_at(shell, probe, "top"))


# ---------------------------------------------------------------------------- rebuilding


def test_a_height_change_rebuilds_on_the_same_plan_as_a_fresh_build_would(
    spec: ShellSpec,
) -> None:
    foot = synthetic_foot("right")
    shell = build(foot, spec)
    thicker = dataclasses.replace(spec, thickness_mm=3.6, arch_height_mm=20.0)
    rebuilt = build(foot, thicker, reuse=shell.plan)
    fresh = build(foot, thicker)
    assert rebuilt.plan is shell.plan and fresh.plan is not shell.plan
    for name in ("vertices", "faces", "thickness_mm"):
        assert getattr(rebuilt, name).tobytes() == getattr(fresh, name).tobytes()
    assert np.array_equal(rebuilt.vertices[:, :2], shell.vertices[:, :2])
    walls = thickness_along_normal(rebuilt, (100.0, 130.0), (-20.0, 32.0))
    assert np.abs(walls - 3.6).max() < 0.1


def test_a_change_seen_from_above_makes_a_new_plan(foot: Foot, spec: ShellSpec) -> None:
    sulcus = build(foot, spec)
    full = build(foot, dataclasses.replace(spec, shell_length="full"), reuse=sulcus.plan)
    assert full.plan is not sulcus.plan
    assert full.outline.bounds[2] > sulcus.outline.bounds[2] + 30.0  # reaches the toes


def test_the_plan_of_another_foot_is_not_reused(spec: ShellSpec) -> None:
    flat = build(synthetic_foot("right", arch_mm=4.0), spec)
    high = synthetic_foot("right", arch_mm=24.0)
    shell = build(high, spec, reuse=flat.plan)
    assert shell.plan is not flat.plan and shell.plan.foot is high
    assert shell.vertices.tobytes() == build(high, spec).vertices.tobytes()


def test_a_shell_is_all_that_keeps_its_plan_and_foot_alive(spec: ShellSpec) -> None:
    foot = synthetic_foot("right")
    shell = build(foot, spec)
    gone_foot, gone_plan = weakref.ref(foot), weakref.ref(shell.plan)
    del foot, shell
    gc.collect()
    assert gone_foot() is None and gone_plan() is None


# ---------------------------------------------------------------------------- heights and walls


def test_top_at_the_arch_apex_is_the_target_arch_above_the_heel_seat(
    foot: Foot, spec: ShellSpec, shell: Shell
) -> None:
    apex = np.array([foot.landmarks.arch_apex])
    seat = np.array([foot.landmarks.heel_centre])
    arch = surface_at(shell, apex, "top")[0] - surface_at(shell, seat, "top")[0]
    assert abs(foot.arch.height_mm - spec.arch_height_mm) > 4.0  # the arch really is scaled
    assert arch == pytest.approx(spec.arch_height_mm, abs=0.5)


def test_wall_under_the_arch_is_the_thickness_along_the_normal(
    shell: Shell, spec: ShellSpec
) -> None:
    walls = thickness_along_normal(shell, (100.0, 130.0), (-20.0, 32.0))
    assert len(walls) > 100
    assert np.abs(walls - spec.thickness_mm).max() < 0.1


def test_flex_zone_is_thinner_by_the_ratio(shell: Shell, spec: ShellSpec) -> None:
    flex_end = spec.flex_start_x_mm + spec.flex_taper_mm
    behind = thickness_along_normal(shell, (125.0, spec.flex_start_x_mm - 2.0), (-20.0, 20.0))
    ahead = thickness_along_normal(shell, (flex_end + 2.0, flex_end + 20.0), (-20.0, 30.0))
    assert len(behind) > 50 and len(ahead) > 50
    assert np.abs(behind - spec.thickness_mm).max() < 0.1
    thin = spec.flex_thickness_ratio * spec.thickness_mm
    assert np.abs(ahead - thin).max() < 0.05


def test_forefoot_underside_lies_flat_on_the_ground(shell: Shell, spec: ShellSpec) -> None:
    flex_end = spec.flex_start_x_mm + spec.flex_taper_mm
    xs, ys = np.meshgrid(np.arange(flex_end + 2, flex_end + 20, 3.0), np.arange(-25, 26, 5.0))
    z = surface_at(shell, np.column_stack([xs.ravel(), ys.ravel()]), "bottom")
    assert np.isfinite(z).all()
    assert np.abs(z).max() < 1e-9


def test_underside_under_the_heel_is_the_posted_plane(foot: Foot) -> None:
    spec = make_spec("sulcus", label="")
    shell = build(foot, spec)
    v = shell.vertices
    n = len(v) // 2
    bottom = v[n:]
    under_heel = (bottom[:, 0] > 20) & (bottom[:, 0] < 70) & (np.abs(bottom[:, 1]) < 15)
    x, y, z = bottom[under_heel].T
    coef, *_ = np.linalg.lstsq(np.column_stack([np.ones_like(x), x, y]), z, rcond=None)
    assert under_heel.sum() > 100
    assert np.abs(np.column_stack([np.ones_like(x), x, y]) @ coef - z).max() < 1e-6
    assert np.degrees(np.arctan(coef[1])) == pytest.approx(0.0, abs=0.3)
    # medial side (+y) down: seen standing on that plane, the heel seat tilts medial-up
    assert np.degrees(np.arctan(-coef[2])) == pytest.approx(spec.post_angle_deg, abs=0.3)


def test_heel_is_at_least_thickness_over_the_post_and_cup_rises_to_its_depth(
    foot: Foot, spec: ShellSpec, shell: Shell
) -> None:
    grid = np.array([(x, y) for x in range(15, 75, 5) for y in range(-20, 21, 5)], float)
    wall = surface_at(shell, grid, "top") - surface_at(shell, grid, "bottom")
    assert wall.min() >= spec.thickness_mm  # the label pocket (0.6 mm) is extra
    seat = surface_at(shell, np.array([foot.landmarks.heel_centre]), "top")[0]
    rim = shell.vertices[: len(shell.outline.exterior.coords) - 1]
    back = rim[rim[:, 0] < 10.0]
    assert len(back) > 5
    rise = back[:, 2] - seat
    assert rise.max() <= spec.heel_cup_depth_mm + 0.05
    assert rise.min() >= spec.heel_cup_depth_mm - 1.0  # rim rounded by at most 1 mm


@pytest.mark.parametrize("thickness_mm", [3.0, NEIGHBOUR_REACH_MM + 1.5])
def test_no_underside_vertex_comes_nearer_the_top_than_the_thickness(
    foot: Foot, thickness_mm: float
) -> None:
    spec = dataclasses.replace(make_spec("sulcus", label=""), thickness_mm=thickness_mm)
    shell = build(foot, spec)
    top, bottom = np.split(shell.vertices, 2)
    full, ratio = spec.thickness_mm, spec.flex_thickness_ratio
    local = np.where(bottom[:, 0] < spec.flex_start_x_mm, full, ratio * full)
    nearest, _ = cKDTree(top).query(bottom)
    assert (nearest / local).min() >= 1.0 - 1e-6


def test_every_vertex_keeps_material(foot: Foot, spec: ShellSpec, shell: Shell) -> None:
    thin = spec.flex_thickness_ratio * spec.thickness_mm
    assert shell.thickness_mm.shape == (len(shell.vertices),)
    assert shell.thickness_mm.min() >= 0.9 * thin  # a lower bound where not a plate
    plain = build(foot, make_spec("sulcus", label=""))
    top, bottom = np.split(plain.vertices, 2)  # without a label: n top, then n bottom vertices
    assert np.array_equal(top[:, :2], bottom[:, :2])
    assert (top[:, 2] - bottom[:, 2]).min() >= thin - 1e-9


# ---------------------------------------------------------------------------- outline and slots


def _front_x(outline: shapely.Polygon, y: float) -> float:
    return float(outline.intersection(shapely.LineString([(0, y), (400, y)])).bounds[2])


def test_shell_length_trims_the_outline_at_the_metatarsal_heads(foot: Foot) -> None:
    sulcus = build(foot, make_spec("sulcus")).outline
    three_quarter = build(foot, make_spec("three_quarter")).outline
    full = build(foot, make_spec("full")).outline
    # three-quarter: 5 mm behind the metatarsal-head curve (through MTH1 and MTH5)
    assert _front_x(three_quarter, MTH1[1]) == pytest.approx(MTH1[0] - 5.0, abs=0.5)
    # sulcus: 0.08 foot length (20.8 mm) ahead of it
    assert _front_x(sulcus, MTH1[1]) == pytest.approx(MTH1[0] + 20.8, abs=0.5)
    mid_y = 0.5 * (MTH1[1] + MTH5[1])
    chord_x = 0.5 * (MTH1[0] + MTH5[0])
    assert chord_x < _front_x(three_quarter, mid_y) + 5.0 < chord_x + 8.0  # bulges forward
    assert full.bounds[2] > 250.0
    assert three_quarter.area < sulcus.area < full.area


def test_outline_reaches_beyond_the_plantar_region_only_where_the_rim_rises(
    foot: Foot, shell: Shell
) -> None:
    ring = shapely.points(np.asarray(shell.outline.exterior.coords))
    outside = shapely.distance(foot.plantar_region, ring)
    assert 5.0 < outside.max() < 12.0
    assert shapely.distance(foot.footprint, ring).max() < 2.01  # never past the foot
    heel_back = shapely.Point(-1.5, 0.0)  # 6 mm behind the plantar region: in the cup band
    assert shell.outline.contains(heel_back) and not foot.plantar_region.contains(heel_back)
    forefoot = np.asarray(shell.outline.exterior.coords)
    forefoot = shapely.points(forefoot[forefoot[:, 0] > 175.0])
    assert shapely.distance(foot.plantar_region, forefoot).max() < 0.5  # no band there


def test_slots_are_through_holes_inside_the_flex_zone(shell: Shell, spec: ShellSpec) -> None:
    flex = (spec.flex_start_x_mm, spec.flex_start_x_mm + spec.flex_taper_mm)
    solid = shapely.Polygon(shell.outline.exterior)
    for hole in shell.outline.interiors:
        slot = shapely.Polygon(hole)
        c = np.array([[slot.centroid.x, slot.centroid.y]])
        assert np.isnan(surface_at(shell, c, "top")).all()  # a vertical ray hits nothing
        assert np.isnan(surface_at(shell, c, "bottom")).all()
        assert flex[0] <= slot.bounds[0] and slot.bounds[2] <= flex[1]
        assert slot.bounds[3] - slot.bounds[1] == pytest.approx(spec.slot_length_mm, abs=0.1)
        assert slot.bounds[2] - slot.bounds[0] == pytest.approx(spec.slot_width_mm, abs=0.1)
        assert solid.buffer(-2.9).contains(slot)


def test_three_quarter_moves_the_flex_zone_back_to_fit_the_slots(foot: Foot) -> None:
    spec = make_spec("three_quarter", flex_start_x_mm=165.0)
    shell = build(foot, spec)
    assert len(shell.outline.interiors) == 3
    front = shell.outline.bounds[2]
    slots_end = max(shapely.Polygon(h).bounds[2] for h in shell.outline.interiors)
    assert slots_end < front - 3.0
    assert min(shapely.Polygon(h).bounds[0] for h in shell.outline.interiors) < 165.0


# ---------------------------------------------------------------------------- label


def _pocket_faces(shell: Shell, plain: Shell) -> np.ndarray:
    """Underside faces of the heel raised above the same shell built without a label.

    Returns (k, 4): 2D centroid, area and height above the unlabelled underside, mm.
    """
    tri = shell.vertices[shell.faces]
    c = tri.mean(axis=1)
    seat = shapely.Polygon(shell.outline.exterior).buffer(-13.0)  # the solid, posted heel
    heel = (face_normals(shell)[:, 2] < -0.9) & (c[:, 0] < 0.3 * 260.0)
    heel &= shapely.contains_xy(seat, c[:, 0], c[:, 1])
    above = np.zeros(len(tri))
    above[heel] = c[heel, 2] - surface_at(plain, c[heel, :2], "bottom")
    raised = above > 0.5 * shell.spec.label_depth_mm
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    return np.column_stack([c[raised, :2], area[raised], above[raised]])


@pytest.mark.parametrize("side", ["right", "left"])
def test_label_is_engraved_under_the_heel_to_read_from_below(side: str) -> None:
    foot = synthetic_foot(side)
    shell = build(foot, make_spec("sulcus", label="L"))
    pocket = _pocket_faces(shell, build(foot, make_spec("sulcus", label="")))
    assert pocket[:, 2].sum() > 20.0  # mm^2 of glyph
    xy, w = pocket[:, :2], pocket[:, 2]
    centre = 0.5 * (xy.min(axis=0) + xy.max(axis=0))
    mass = (xy * w[:, None]).sum(axis=0) / w.sum()
    height = xy[:, 1].max() - xy[:, 1].min()
    assert 6.0 <= height <= 9.0  # about 8 mm cap height
    # "L": the stem starts the line (reading along +x), the foot is at the bottom of the text.
    assert mass[0] < centre[0]
    # seen from below a right shell has -y up; export mirrors a left shell (y -> -y) first
    bottom_of_text = 1.0 if side == "right" else -1.0
    assert np.sign(mass[1] - centre[1]) == bottom_of_text


def test_label_pocket_has_the_engraving_depth_and_stays_in_the_heel(foot: Foot) -> None:
    shell = build(foot, make_spec("sulcus", label="A0042 R"))
    pocket = _pocket_faces(shell, build(foot, make_spec("sulcus", label="")))
    assert pocket[:, 2].sum() > 100.0  # mm^2 of glyphs
    assert np.abs(pocket[:, 3] - shell.spec.label_depth_mm).max() < 1e-6
    assert pocket[:, 0].min() > 10.0 and pocket[:, 0].max() < 0.3 * foot.foot_length_mm
    seat = shapely.Polygon(shell.outline.exterior).buffer(-12.0)
    assert shapely.contains_xy(seat, pocket[:, 0], pocket[:, 1]).all()


# ---------------------------------------------------------------------------- refusals


def test_refuses_a_spec_without_material(foot: Foot) -> None:
    spec = dataclasses.replace(make_spec("sulcus"), thickness_mm=0.0)
    with pytest.raises(GeometryError, match="thickness_mm"):
        build(foot, spec)


def test_refuses_slots_wider_than_the_forefoot(foot: Foot) -> None:
    spec = dataclasses.replace(make_spec("sulcus"), slot_length_mm=95.0)
    with pytest.raises(GeometryError, match="slot"):
        build(foot, spec)


def test_a_long_label_is_set_on_more_lines(foot: Foot) -> None:
    plain = build(foot, make_spec("sulcus", label=""))
    shell = build(foot, make_spec("sulcus", label="ORDER-0042-RIGHT"))
    pocket = _pocket_faces(shell, plain)
    assert np.ptp(pocket[:, 1]) > 12.0  # two or three lines of >= 5 mm text across the heel


def test_refuses_a_label_too_long_for_the_heel(foot: Foot) -> None:
    with pytest.raises(GeometryError, match="label"):
        build(foot, make_spec("sulcus", label="ORDER-" + "0123456789" * 6))


# ---------------------------------------------------------------------------- real scans


@pytest.mark.parametrize(
    "scan",
    ["myfeet_left_foot_m.stl", "myfeet_right_foot_m.stl", "insoletilter_plantar_right_mm.obj"],
)
@pytest.mark.parametrize("profile", ["standard", "runner"])
def test_real_scans_give_printable_shells(real_scan, scan: str, profile: str) -> None:
    _, foot = real_scan(scan)
    spec = calibrate(foot, load_profile(profile_path(profile)), order_id="A0042")
    shell = build(foot, spec)
    solid = manifold3d.Manifold(
        manifold3d.Mesh(
            vert_properties=shell.vertices.astype(np.float32),
            tri_verts=shell.faces.astype(np.uint32),
        )
    )
    assert solid.status() == manifold3d.Error.NoError
    assert solid.genus() == spec.slot_count
    report = validate(shell, material=spec.material, foot_outline=foot.footprint)
    assert report.failed == ()
