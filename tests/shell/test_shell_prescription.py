"""The prescription on the built shell: each modification measured where and as much as asked.

Every measurement compares the shell with the modification against the same shell without it,
built on the same plan (so the same 2D vertices): the difference of the two tops (or
undersides) is what the modification did. The foot is the analytic synthetic foot of
``feet.py`` (260 mm, heel centre at x = 40 mm, MTH1 and MTH5 known).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest
import shapely
from feet import MTH1, MTH5, synthetic_foot
from feet import shell_spec as make_spec
from scipy.interpolate import LinearNDInterpolator
from scipy.spatial import Delaunay
from shapely.geometry import Point, box

from shellgen.analysis import Foot
from shellgen.errors import GeometryError
from shellgen.prescription import Prescription
from shellgen.shell import Plan, Shell, build, prescription_marks
from shellgen.shell._outline import POST_END
from shellgen.shell._prescription import FOREFOOT_FULL_BEHIND_MM, FOREFOOT_RAMP_MM
from shellgen.spec import ShellSpec
from shellgen.validation import validate


@pytest.fixture(scope="module")
def foot() -> Foot:
    return synthetic_foot("right")


@pytest.fixture(scope="module")
def spec() -> ShellSpec:
    return make_spec("sulcus", label="", slot_count=0)


@pytest.fixture(scope="module")
def plain(foot: Foot, spec: ShellSpec) -> Shell:
    return build(foot, spec)


def with_rx(foot: Foot, plain: Shell, **rx: object) -> Shell:
    """The plain shell's spec with a prescription, built on the plain shell's plan."""
    spec = dataclasses.replace(plain.spec, prescription=Prescription(**rx))  # type: ignore[arg-type]
    return build(foot, spec, reuse=plain.plan)


def top(shell: Shell) -> np.ndarray:
    assert shell.plan is not None
    return shell.vertices[: len(shell.plan.mesh.points), 2]


def bottom(shell: Shell) -> np.ndarray:
    assert shell.plan is not None
    n = len(shell.plan.mesh.points)
    return shell.vertices[n : 2 * n, 2]


def points(shell: Shell) -> np.ndarray:
    assert shell.plan is not None
    return np.asarray(shell.plan.mesh.points)


@functools.cache
def _delaunay(plan: Plan) -> Delaunay:
    return Delaunay(np.asarray(plan.mesh.points))


def at(shell: Shell, values: np.ndarray, xy: tuple[float, float]) -> float:
    """``values`` (one per 2D vertex) interpolated linearly at a point, mm."""
    assert shell.plan is not None
    return float(LinearNDInterpolator(_delaunay(shell.plan), values)(*xy))


def plane_angles_deg(xyz: np.ndarray) -> tuple[float, float]:
    """Tilt about y and about x (positive: falling toward +y) of the plane fitted to points."""
    x, y, z = xyz.T
    coef, *_ = np.linalg.lstsq(np.column_stack([np.ones_like(x), x, y]), z, rcond=None)
    return float(np.degrees(np.arctan(coef[1]))), float(np.degrees(np.arctan(-coef[2])))


def seat_underside(shell: Shell, y_lo: float, y_hi: float) -> np.ndarray:
    """Underside vertices well inside the heel seat, between two y, as (k, 3)."""
    assert shell.plan is not None
    seat = shell.plan.seat.buffer(-2.0)
    p = points(shell)
    inside = shapely.contains_xy(seat, p[:, 0], p[:, 1]) & (p[:, 1] > y_lo) & (p[:, 1] < y_hi)
    return np.column_stack([p[inside], bottom(shell)[inside]])


# ---------------------------------------------------------------------------- rearfoot post


@pytest.mark.parametrize("angle_deg", [4.0, -4.0, 6.5])
def test_rearfoot_post_tilts_the_heel_underside_either_way(foot: Foot, angle_deg: float) -> None:
    spec = dataclasses.replace(make_spec("sulcus", label=""), post_angle_deg=angle_deg)
    shell = build(foot, spec)
    under = seat_underside(shell, -1e3, 1e3)
    assert len(under) > 100
    along, across = plane_angles_deg(under)
    assert along == pytest.approx(0.0, abs=0.3)
    # varus: the medial side (+y) lower, so standing on it the seat tilts medial-up
    assert across == pytest.approx(angle_deg, abs=0.3)


@pytest.mark.parametrize(("angle_deg", "motion_deg"), [(6.0, 3.0), (-5.0, 2.0), (3.0, 4.0)])
def test_post_motion_grinds_a_flatter_facet_along_the_low_edge(
    foot: Foot, angle_deg: float, motion_deg: float
) -> None:
    spec = dataclasses.replace(make_spec("sulcus", label=""), post_angle_deg=angle_deg)
    shell = build(
        foot, dataclasses.replace(spec, prescription=Prescription(post_motion_deg=motion_deg))
    )
    assert shell.plan is not None
    lo, hi = shell.plan.seat.bounds[1], shell.plan.seat.bounds[3]
    third = (hi - lo) / 3.0
    low_edge_medial = angle_deg > 0
    facet_band = (hi - third + 1.5, hi) if low_edge_medial else (lo, lo + third - 1.5)
    main_band = (lo, hi - third - 1.5) if low_edge_medial else (lo + third + 1.5, hi)
    sign = np.sign(angle_deg)
    _, main = plane_angles_deg(seat_underside(shell, *main_band))
    _, facet = plane_angles_deg(seat_underside(shell, *facet_band))
    assert main == pytest.approx(angle_deg, abs=0.3)
    assert facet == pytest.approx(sign * max(abs(angle_deg) - motion_deg, 0.0), abs=0.3)
    # the low edge still stands on the ground
    assert bottom(shell).min() == 0.0


# ---------------------------------------------------------------------------- forefoot post


@pytest.mark.parametrize("angle_deg", [4.0, -3.0])
def test_forefoot_post_tilts_the_top_under_the_heads_and_keeps_the_underside(
    foot: Foot, plain: Shell, angle_deg: float
) -> None:
    shell = with_rx(foot, plain, forefoot_post_deg=angle_deg)
    p = points(shell)
    dz = top(shell) - top(plain)
    full_x = min(MTH1[0], MTH5[0]) - FOREFOOT_FULL_BEHIND_MM
    under_heads = p[:, 0] > full_x + 1.0
    slope, _ = np.polyfit(p[under_heads, 1], dz[under_heads], 1)
    assert np.degrees(np.arctan(slope)) == pytest.approx(angle_deg, abs=0.3)
    assert dz[under_heads].min() == pytest.approx(0.0, abs=0.05)  # nothing at the low edge
    assert np.abs(dz[p[:, 0] < full_x - FOREFOOT_RAMP_MM]).max() == 0.0  # absent behind
    assert np.array_equal(bottom(shell), bottom(plain))  # solid: the forefoot stays on z = 0


# ---------------------------------------------------------------------------- heel


@pytest.mark.parametrize(("depth_mm", "angle_deg"), [(3.0, 20.0), (5.0, 12.0)])
def test_medial_skive_raises_the_medial_heel_seat_by_its_depth_at_its_angle(
    foot: Foot, plain: Shell, depth_mm: float, angle_deg: float
) -> None:
    shell = with_rx(foot, plain, skive_depth_mm=depth_mm, skive_angle_deg=angle_deg)
    dz = top(shell) - top(plain)
    hc_x = foot.landmarks.heel_centre[0]
    edge_y = foot.landmarks.heel_medial[1]
    assert at(shell, dz, (hc_x, edge_y)) == pytest.approx(depth_mm, abs=0.3)
    run = depth_mm / np.tan(np.radians(angle_deg))
    ys = np.linspace(edge_y - 0.8 * run, edge_y - 0.2 * run, 5)
    rise = [at(shell, dz, (hc_x, y)) for y in ys]
    measured = np.degrees(np.arctan(np.polyfit(ys, rise, 1)[0]))
    assert measured == pytest.approx(angle_deg, abs=1.0)
    p = points(shell)
    assert np.abs(dz[p[:, 1] < edge_y - run - 1.0]).max() == 0.0  # lateral heel untouched
    assert np.abs(dz[p[:, 0] > POST_END * foot.foot_length_mm]).max() == 0.0
    assert validate(shell, material=shell.spec.material).failed == ()


def test_heel_lift_raises_the_heel_centre_and_tapers_out_into_the_arch(
    foot: Foot, plain: Shell
) -> None:
    shell = with_rx(foot, plain, heel_lift_mm=6.0)
    dz = top(shell) - top(plain)
    assert at(shell, dz, foot.landmarks.heel_centre) == pytest.approx(6.0, abs=0.2)
    p = points(shell)
    ahead = p[:, 0] > foot.landmarks.arch_apex[0]
    assert np.abs(dz[ahead]).max() == 0.0
    assert np.array_equal(bottom(shell), bottom(plain))  # solid under the heel
    assert validate(shell, material=shell.spec.material).failed == ()


@pytest.mark.parametrize(("depth_mm", "diameter_mm"), [(2.0, 20.0), (3.5, 14.0)])
def test_spur_relief_is_a_pocket_of_its_depth_under_the_tubercle(
    foot: Foot, plain: Shell, depth_mm: float, diameter_mm: float
) -> None:
    shell = with_rx(foot, plain, spur_relief_depth_mm=depth_mm, spur_relief_diameter_mm=diameter_mm)
    dz = top(shell) - top(plain)
    hc_x, hc_y = foot.landmarks.heel_centre
    centre = (hc_x + 8.0, hc_y + 4.0)  # 260 mm foot: the rule's offsets unscaled
    ring = [
        at(shell, dz, (centre[0] + r * np.cos(a), centre[1] + r * np.sin(a)))
        for r in (0.5 * diameter_mm + 2.0,)
        for a in np.linspace(0, 2 * np.pi, 12, endpoint=False)
    ]
    # the seat is raised by the pocket's depth (the wall under it keeps the thickness)
    assert np.mean(ring) - at(shell, dz, centre) == pytest.approx(depth_mm, abs=0.2)
    wall = at(shell, top(shell) - bottom(shell), centre)
    assert wall >= shell.spec.thickness_mm
    assert validate(shell, material=shell.spec.material).failed == ()


# ---------------------------------------------------------------------------- forefoot


@pytest.mark.parametrize(
    ("height_mm", "offset_mm", "length_mm", "width_mm"),
    [(5.0, 8.0, 35.0, 25.0), (3.0, 15.0, 25.0, 20.0)],
)
def test_met_pad_apex_has_its_height_just_behind_the_middle_heads(
    foot: Foot,
    plain: Shell,
    height_mm: float,
    offset_mm: float,
    length_mm: float,
    width_mm: float,
) -> None:
    shell = with_rx(
        foot,
        plain,
        met_pad_height_mm=height_mm,
        met_pad_offset_mm=offset_mm,
        met_pad_length_mm=length_mm,
        met_pad_width_mm=width_mm,
    )
    dz = top(shell) - top(plain)
    p = points(shell)
    apex = p[np.argmax(dz)]
    asked = (0.5 * (MTH1[0] + MTH5[0]) - offset_mm, 0.5 * (MTH1[1] + MTH5[1]))
    assert np.hypot(*(apex - asked)) < 5.0
    assert dz.max() == pytest.approx(height_mm, abs=0.3)
    far = np.hypot((p[:, 0] - asked[0]) / length_mm, (p[:, 1] - asked[1]) / width_mm) > 0.5
    assert np.abs(dz[far]).max() == 0.0  # nothing beyond its length and width
    assert np.array_equal(bottom(shell), bottom(plain))
    assert validate(shell, material=shell.spec.material).failed == ()


def test_met_bar_spans_the_shell_at_its_height(foot: Foot, plain: Shell) -> None:
    shell = with_rx(foot, plain, met_pad_height_mm=4.0, met_pad_shape="bar")
    dz = top(shell) - top(plain)
    x = 0.5 * (MTH1[0] + MTH5[0]) - 8.0
    across = [at(shell, dz, (x, y)) for y in np.linspace(MTH5[1] + 5.0, MTH1[1] - 5.0, 7)]
    assert np.allclose(across, 4.0, atol=0.3)
    assert validate(shell, material=shell.spec.material).failed == ()


def test_out_of_range_prescription_is_refused_naming_field_value_and_range(
    foot: Foot, plain: Shell
) -> None:
    spec = dataclasses.replace(plain.spec, prescription=Prescription(heel_lift_mm=20.0))
    with pytest.raises(GeometryError, match=r"heel_lift_mm = 20 is outside \[0, 15\]"):
        build(foot, spec)


# ---------------------------------------------------------------------------- extensions


def outline_of(foot: Foot, length: str, **rx: object) -> shapely.Polygon:
    spec = make_spec(length, label="", slot_count=0)  # type: ignore[arg-type]
    spec = dataclasses.replace(spec, prescription=Prescription(**rx))  # type: ignore[arg-type]
    shell = build(foot, spec)
    assert validate(shell, material=spec.material).failed == ()
    return shell.outline


#: Under the hallux, under the lesser toes (ahead of the heads), and under MTH1 and MTH5.
HALLUX = (MTH1[0] + 35.0, MTH1[1] - 4.0)
LESSER_TOES = (MTH5[0] + 30.0, MTH5[1] + 20.0)


def covers(outline: shapely.Polygon, xy: tuple[float, float]) -> bool:
    return bool(outline.contains(shapely.Point(xy)))


def test_the_probe_points_lie_under_a_full_shell_and_beyond_a_three_quarter_one(
    foot: Foot,
) -> None:
    full, short = outline_of(foot, "full"), outline_of(foot, "three_quarter")
    assert covers(full, HALLUX) and covers(full, LESSER_TOES)
    assert not covers(short, HALLUX) and not covers(short, LESSER_TOES)


@pytest.mark.parametrize(
    ("extension", "hallux", "lesser"),
    [("mortons", True, False), ("reverse_mortons", False, True)],
)
def test_mortons_extensions_reach_under_their_toes_only(
    foot: Foot, extension: str, hallux: bool, lesser: bool
) -> None:
    outline = outline_of(foot, "three_quarter", extension=extension)
    assert covers(outline, HALLUX) is hallux
    assert covers(outline, LESSER_TOES) is lesser
    short = outline_of(foot, "three_quarter")
    assert outline.area > short.area + 1500.0  # a real plate, not a sliver


def test_first_ray_cutout_removes_the_first_head_and_keeps_the_fifth(foot: Foot) -> None:
    outline = outline_of(foot, "sulcus", extension="first_ray_cutout")
    assert not covers(outline, MTH1)
    assert not covers(outline, (MTH1[0] - 10.0, MTH1[1] - 3.0))
    assert covers(outline, MTH5)
    assert covers(outline, (MTH1[0] - 25.0, MTH1[1] - 3.0))  # the shell behind the cut-out


def test_the_extension_plate_has_its_own_thickness(foot: Foot) -> None:
    spec = make_spec("full", label="", slot_count=0)
    rx = Prescription(extension_thickness_mm=1.3)
    shell = build(foot, dataclasses.replace(spec, prescription=rx))
    p = points(shell)
    plate = p[:, 0] > spec.flex_start_x_mm + spec.flex_taper_mm + 5.0
    plate &= np.abs(p[:, 1]) < 20.0
    assert plate.sum() > 50
    wall = (top(shell) - bottom(shell))[plate]
    assert np.median(wall) == pytest.approx(1.3, abs=0.05)
    behind = (np.abs(p[:, 0] - 110.0) < 5.0) & (np.abs(p[:, 1]) < 5.0)
    assert (top(shell) - bottom(shell))[behind].min() >= spec.thickness_mm - 0.01


def test_a_mortons_extension_on_a_full_shell_is_refused(foot: Foot) -> None:
    spec = make_spec("full", label="", slot_count=0)
    spec = dataclasses.replace(spec, prescription=Prescription(extension="mortons"))
    with pytest.raises(GeometryError, match=r"extension = 'mortons' .* allowed: a three_quarter"):
        build(foot, spec)


def test_an_extension_plate_thinner_than_the_wall_allows_is_refused(foot: Foot) -> None:
    spec = make_spec("full", label="", slot_count=0)  # PA12: 1.0 mm minimum wall
    spec = dataclasses.replace(spec, prescription=Prescription(extension_thickness_mm=1.2))
    with pytest.raises(GeometryError, match=r"extension_thickness_mm = 1.2 is outside \[1.3, 3\]"):
        build(foot, spec)


# ---------------------------------------------------------------------------- pictures


def test_the_marks_for_pictures_lie_where_the_builder_put_the_material(
    foot: Foot, plain: Shell
) -> None:
    rx = {"spur_relief_depth_mm": 2.0, "met_pad_height_mm": 4.0, "met_pad_offset_mm": 12.0}
    shell = with_rx(foot, plain, **rx)
    marks = {m.name: m for m in prescription_marks(foot, shell.spec.prescription, 4.0)}
    assert list(marks) == ["rearfoot_post", "spur_relief", "met_pad"]
    assert marks["rearfoot_post"].caption == "4° varus rearfoot post"
    dz = top(shell) - top(plain)
    p = points(shell)
    heel = p[:, 0] < 100.0
    bottom_of_pocket = heel & (dz < dz[heel].min() + 0.01)
    pocket = p[bottom_of_pocket].mean(axis=0)
    assert np.hypot(*(pocket - marks["spur_relief"].region.centroid.coords[0])) < 1.0
    assert marks["spur_relief"].region.area == pytest.approx(np.pi * 10.0**2, rel=0.02)
    apex = p[np.argmax(dz)]
    assert np.hypot(*(apex - marks["met_pad"].region.centroid.coords[0])) < 2.5


# ---------------------------------------------------------------------------- rim


@pytest.mark.parametrize(
    "rx",
    [{"heel_lift_mm": 8.0}, {"spur_relief_depth_mm": 3.0}, {"post_motion_deg": 3.0}],
    ids=["lift", "spur", "post_motion"],
)
def test_the_heel_cup_rim_keeps_its_own_height_above_the_heel_seat(
    foot: Foot, plain: Shell, rx: dict[str, float]
) -> None:
    shell = with_rx(foot, plain, **rx)
    for s in (plain, shell):
        seat = at(s, top(s), foot.landmarks.heel_centre)
        rim = s.vertices[: len(s.outline.exterior.coords) - 1]
        back = rim[rim[:, 0] < 10.0]
        rise = back[:, 2] - seat
        assert rise.max() <= s.spec.heel_cup_depth_mm + 0.05
        assert rise.min() >= s.spec.heel_cup_depth_mm - 1.0  # rim rounded by at most 1 mm


def test_the_lateral_forefoot_flange_raises_the_lateral_forefoot_rim_only(foot: Foot) -> None:
    def rim(height_mm: float) -> np.ndarray:
        spec = make_spec("full", label="", slot_count=0)
        rx = Prescription(lateral_forefoot_flange_mm=height_mm)
        shell = build(foot, dataclasses.replace(spec, prescription=rx))
        assert validate(shell, material=spec.material).failed == ()
        return shell.vertices[: len(shell.outline.exterior.coords) - 1]

    plain, flanged = rim(0.0), rim(6.0)

    def lateral(r: np.ndarray) -> np.ndarray:
        keep = (r[:, 0] > MTH5[0] + 15.0) & (r[:, 0] < MTH5[0] + 50.0) & (r[:, 1] < MTH5[1] + 8)
        return r[keep, 2]

    def medial(r: np.ndarray) -> np.ndarray:
        return r[(r[:, 0] > MTH1[0] - 10.0) & (r[:, 1] > 0.0), 2]

    assert np.median(lateral(flanged)) - np.median(lateral(plain)) == pytest.approx(6.0, abs=0.5)
    assert np.max(medial(flanged)) == pytest.approx(np.max(medial(plain)), abs=0.05)
    toe = (flanged[:, 0] > 250.0, plain[:, 0] > 250.0)  # the front edge stays low
    assert np.max(flanged[toe[0], 2]) == pytest.approx(np.max(plain[toe[1], 2]), abs=0.1)


# ---------------------------------------------------------------------------- rebuilds


def test_a_prescription_rebuilds_on_the_plan_byte_for_byte_as_a_fresh_build(
    foot: Foot, plain: Shell
) -> None:
    rx = Prescription(skive_depth_mm=3.0, heel_lift_mm=5.0, met_pad_height_mm=4.0)
    spec = dataclasses.replace(plain.spec, prescription=rx)
    again = build(foot, spec, reuse=plain.plan)
    assert again.plan is plain.plan  # heights only: the outline is the same
    fresh = build(foot, spec)
    assert np.array_equal(again.vertices, fresh.vertices)
    assert np.array_equal(again.faces, fresh.faces)


@pytest.mark.parametrize(
    "rx",
    [
        {"extension": "first_ray_cutout"},
        {"shoe_ball_width_mm": 90.0},
        {"lateral_forefoot_flange_mm": 5.0},
    ],
)
def test_an_outline_change_makes_a_new_plan(foot: Foot, plain: Shell, rx: dict) -> None:
    spec = dataclasses.replace(plain.spec, prescription=Prescription(**rx))
    assert build(foot, spec, reuse=plain.plan).plan is not plain.plan


def test_a_narrow_shoe_is_marked_where_it_trims_the_foot(foot: Foot, plain: Shell) -> None:
    heel_x = foot.landmarks.heel_centre[0]
    cut = foot.footprint.intersection(box(heel_x - 1.0, -500.0, heel_x + 1.0, 500.0))
    heel_width = cut.bounds[3] - cut.bounds[1]
    narrow = Prescription(shoe_heel_width_mm=heel_width - 10.0)
    (mark,) = prescription_marks(foot, narrow, 0.0)
    assert mark.name == "shoe"
    assert mark.caption == f"trimmed to the shoe (heel {heel_width - 10.0:g} mm)"
    # both sides of the heel, about 5 mm each, and nothing at the ball
    assert mark.region.intersects(box(heel_x - 1.0, -500.0, heel_x + 1.0, 500.0))
    assert mark.region.bounds[0] < heel_x < mark.region.bounds[2]
    assert not mark.region.intersects(Point(foot.landmarks.mth1).buffer(1.0))
    roomy = Prescription(shoe_heel_width_mm=heel_width + 20.0, shoe_ball_width_mm=200.0)
    assert prescription_marks(foot, roomy, 0.0) == []
