"""What the browser is sent: meshes on the patient's side, numbers, a chart, check results."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from dataclasses import replace

import numpy as np
import pytest
import shapely
from feet import synthetic_foot
from matplotlib import colormaps
from matplotlib.colors import to_hex
from numpy.typing import NDArray

from shellgen.profile import load_profile, profile_path, with_fields
from shellgen.shell import Shell
from shellgen.studio import Mechanics, Session, apply, check, mechanics, start
from shellgen.studio._view import (
    DEFLECTION_LEVELS,
    MARK_COLOURS,
    MARK_LIFT_MM,
    arch_chart_svg,
    camera,
    deflection_levels,
    deflection_map_svg,
    encode_array,
    key_numbers,
    mark_captions,
    mark_outlines,
    mechanics_numbers,
    plantar_mesh,
    report_rows,
    report_summary,
    scan_cloud,
    session_marks,
    shell_arrays,
)
from shellgen.validation import Check, Report


def decode(encoded: object) -> NDArray[np.generic]:
    assert isinstance(encoded, dict)
    raw = base64.b64decode(encoded["bvals"])
    values = np.frombuffer(raw, dtype=encoded["dtype"])
    assert list(values.shape) == encoded["shape"]
    return values


@pytest.fixture(scope="module", params=["right", "left"])
def session(request: pytest.FixtureRequest) -> Session:
    profile = apply(load_profile(profile_path("standard")), "override.thickness_mm", 3.5)
    return start(synthetic_foot(side=request.param), profile, "scans/s.xyz")


def test_an_array_round_trips_through_its_encoding() -> None:
    values = np.array([[1.5, -2.25, 3.0], [4.0, 5.0, 6.125]])
    assert np.array_equal(decode(encode_array(values, "float32")), values.ravel())
    assert decode(encode_array([3, 0, 1, 2], "uint16")).tolist() == [3, 0, 1, 2]


def test_the_shell_is_sent_on_the_patients_side(session: Session) -> None:
    arrays = shell_arrays(session)
    points = decode(arrays["points"]).reshape(-1, 3)
    shell = session.shell
    mirror = -1.0 if shell.side == "left" else 1.0
    assert np.allclose(points, shell.vertices * [1.0, mirror, 1.0], atol=1e-4)
    cells = decode(arrays["polys"]).reshape(-1, 4)
    assert (cells[:, 0] == 3).all() and len(cells) == len(shell.faces)
    # mirrored triangles are reversed, so that the normals still point out
    signed = np.einsum(
        "ij,ij->",
        points[cells[:, 1]],
        np.cross(
            points[cells[:, 2]] - points[cells[:, 1]], points[cells[:, 3]] - points[cells[:, 1]]
        ),
    )
    assert signed / 6000.0 == pytest.approx(session.volume_cm3, rel=1e-4)
    assert np.allclose(decode(arrays["thickness"]), shell.thickness_mm, atol=1e-5)


def test_the_plantar_surface_holds_only_defined_cells(session: Session) -> None:
    state = plantar_mesh(session.foot, step_mm=2.0)
    mesh = state["mesh"]
    assert isinstance(mesh, dict)
    points = decode(mesh["points"]).reshape(-1, 3)
    cells = decode(mesh["polys"]).reshape(-1, 4)
    assert np.isfinite(points).all()
    assert cells[:, 1:].max() < len(points)
    field = session.foot.plantar
    assert len(points) <= np.isfinite(field.z_mm[::2, ::2]).sum()
    # on the patient's side: each point is a node of the height field after mirroring back
    # (and the arch makes the sole asymmetric, so the other side would not match)
    mirror = -1.0 if session.shell.side == "left" else 1.0
    x, y, z = points.T.astype(np.float64)

    def node(y_mm: NDArray[np.float64]) -> NDArray[np.float64]:
        rows = np.rint((y_mm - field.y0_mm) / field.spacing_mm).astype(int)
        cols = np.rint((x - field.x0_mm) / field.spacing_mm).astype(int)
        return field.z_mm[np.clip(rows, 0, field.z_mm.shape[0] - 1), cols]

    assert np.allclose(node(mirror * y), z, atol=1e-4)
    assert not np.allclose(node(-mirror * y), z, atol=1e-4, equal_nan=True)


def test_scan_points_are_thinned_to_the_limit(session: Session) -> None:
    foot = session.foot
    many = replace(foot, scan=replace(foot.scan, points=np.zeros((10_001, 3))))
    mesh = scan_cloud(many, max_points=1000)["mesh"]
    assert isinstance(mesh, dict)
    assert len(decode(mesh["points"])) == 3 * 910  # every 11th point
    assert decode(mesh["verts"]).reshape(-1, 2)[:, 0].tolist() == [1] * 910


def test_the_camera_looks_at_the_shell_from_the_medial_side(session: Session) -> None:
    view = camera(session)
    centre, position = np.array(view["focalPoint"]), np.array(view["position"])
    medial = 1.0 if session.shell.side == "right" else -1.0
    assert (position[1] - centre[1]) * medial > 0  # medial: +y of a right foot
    assert position[2] > centre[2]  # from above
    assert view["viewUp"] == [0.0, 0.0, 1.0]


def test_key_numbers_show_the_spec_and_the_shell(session: Session) -> None:
    numbers = {n["label"]: (n["value"], n["unit"]) for n in key_numbers(session)}
    assert numbers["Thickness"] == ("3.50", "mm")
    assert numbers["Volume"] == (f"{session.volume_cm3:.2f}", "cm³")
    assert numbers["Mesh"][0] == f"{len(session.shell.faces):,}"


def test_the_report_names_what_failed_with_its_value() -> None:
    report = Report(
        (
            Check("watertight", True, 0, 0, "edges", "every edge is shared by two faces"),
            Check("min_wall_mm", False, 0.8, 1.0, "mm", "0.80 mm at the rim"),
        )
    )
    assert report_summary(report) == "fails min_wall_mm (0.80 mm)"
    rows = report_rows(report)
    assert [(r["name"], r["ok"], r["value"]) for r in rows] == [
        ("watertight", True, "0 edges"),
        ("min_wall_mm", False, "0.80 mm"),
    ]


def test_a_passing_report_says_so(session: Session) -> None:
    report = check(session)
    assert report_summary(report) == f"all {len(report.checks)} checks pass"


def test_the_arch_chart_is_well_formed_svg_of_numbers_only(session: Session) -> None:
    svg = arch_chart_svg(session.foot, session.spec)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    texts = [t.text or "" for t in root.iter() if t.tag.endswith("text")]
    assert f"{session.spec.arch_height_mm:.1f} mm" in texts
    assert "standard" not in svg and "{order}" not in svg  # nothing typed by a person


@pytest.fixture(scope="module", params=["right", "left"])
def ordered(request: pytest.FixtureRequest) -> Session:
    """A shell with a varus post, a medial skive and a met pad."""
    profile = with_fields(
        load_profile(profile_path("standard")),
        rearfoot_post_deg="4",
        skive_depth_mm="3",
        met_pad_height_mm="5",
    )
    return start(synthetic_foot(side=request.param), profile, "scans/s.xyz")


def top_z(shell: Shell, xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Highest z of the shell's triangles straight above or below each (x, y), mm."""
    a, b, c = (shell.vertices[shell.faces[:, i]] for i in range(3))
    z = np.full(len(xy), -np.inf)
    for start_i in range(0, len(xy), 64):
        p = xy[start_i : start_i + 64, None, :]
        v0, v1, v2 = (
            b[None, :, :2] - a[None, :, :2],
            c[None, :, :2] - a[None, :, :2],
            p - a[None, :, :2],
        )
        den = v0[..., 0] * v1[..., 1] - v1[..., 0] * v0[..., 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            u = (v2[..., 0] * v1[..., 1] - v1[..., 0] * v2[..., 1]) / den
            w = (v0[..., 0] * v2[..., 1] - v2[..., 0] * v0[..., 1]) / den
            heights = (1 - u - w) * a[None, :, 2] + u * b[None, :, 2] + w * c[None, :, 2]
            inside = (u >= -1e-9) & (w >= -1e-9) & (u + w <= 1 + 1e-9) & (den != 0)
        z[start_i : start_i + 64] = np.where(inside, heights, -np.inf).max(axis=1)
    return z


def test_each_modification_is_outlined_on_the_shells_top_surface_where_it_lies(
    ordered: Session,
) -> None:
    marks = session_marks(ordered)
    assert [m.name for m in marks] == ["rearfoot_post", "skive", "met_pad"]
    assert mark_captions(marks) == [
        {"number": 1, "caption": "4° varus rearfoot post", "colour": MARK_COLOURS[0]},
        {"number": 2, "caption": "medial skive 3 mm at 20°", "colour": MARK_COLOURS[1]},
        {"number": 3, "caption": "met pad 5 mm", "colour": MARK_COLOURS[2]},
    ]
    lines = mark_outlines(ordered.shell, marks)
    assert lines is not None
    mirror = -1.0 if ordered.shell.side == "left" else 1.0
    points = decode(lines["mesh"]["points"]).reshape(-1, 3) * [1.0, mirror, 1.0]
    colours = decode(lines["field"]["values"]).reshape(-1, 3)
    cells = decode(lines["mesh"]["lines"]).tolist()
    rings, at = [], 0
    while at < len(cells):
        rings.append(cells[at + 1 : at + 1 + cells[at]])
        at += 1 + cells[at]
    assert sum(len(r) for r in rings) == len(points)
    for mark, colour in zip(marks, MARK_COLOURS[: len(marks)], strict=True):
        rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
        mine = [r for r in rings if (colours[r] == rgb).all()]
        assert mine, mark.name
        xy = points[np.concatenate(mine), :2]
        where = mark.region.intersection(ordered.shell.outline).buffer(0.01)
        assert shapely.contains_xy(where, xy[:, 0], xy[:, 1]).all(), mark.name
    # on the top surface, away from the rim (whose rounding is a wall seen from above)
    inner = ordered.shell.outline.buffer(-2.0 * ordered.spec.rim_radius_mm)
    away = shapely.contains_xy(inner, points[:, 0], points[:, 1])
    assert away.mean() > 0.5
    lift = points[away, 2] - top_z(ordered.shell, points[away, :2])
    assert lift.min() > 0.0  # never under the surface
    assert np.median(lift) == pytest.approx(MARK_LIFT_MM, abs=0.02)
    assert np.quantile(lift, 0.95) < MARK_LIFT_MM + 1.0


def test_a_shell_with_no_modification_has_no_outlines(session: Session) -> None:
    marks = session_marks(session)
    assert marks == [] and mark_outlines(session.shell, marks) is None
    assert mark_captions(marks) == []


# --- mechanics: numbers and a plan map of the deflection ---------------------------------


@pytest.fixture(scope="module")
def solved(session: Session) -> Mechanics:
    return mechanics(session)


def test_the_mechanics_numbers_say_what_the_response_says(solved: Mechanics) -> None:
    r = solved.response
    assert r.deflection_mm is not None and r.safety_factor is not None
    rows = {n["label"]: (n["value"], n["unit"]) for n in mechanics_numbers(solved)}
    assert rows["Target deflection"] == (f"{solved.target_deflection_mm:.2f}", "mm walking")
    assert rows["Arch deflection"] == (f"{r.deflection_mm:.2f}", f"mm at {r.load_n:.0f} N")
    assert rows["Bench stiffness"] == (f"{r.bench_stiffness_n_per_mm:.0f}", "N/mm (200 N)")
    assert rows["Safety factor"] == (f"{r.safety_factor:.2f}", "fatigue")
    assert rows["Solved in"][1] == "ms, 6 mm mesh"  # the UI says which mesh
    assert {"At activity", "Peak stress", "Arch clearance"} <= rows.keys()


def test_the_deflection_map_colours_each_triangle_and_is_drawn_on_the_patients_side(
    session: Session, solved: Mechanics
) -> None:
    r = solved.response
    svg, (low, high) = deflection_map_svg(r, session.shell.side)
    root = ET.fromstring(svg)
    bands = [e for e in root.iter() if e.tag.endswith("path") and e.get("data-level")]
    assert low == pytest.approx(min(0.0, r.deflection_map_mm.min()), abs=1e-3)
    assert high == pytest.approx(r.deflection_map_mm.max(), abs=1e-3)
    low, high = min(0.0, r.deflection_map_mm.min()), r.deflection_map_mm.max()  # unrounded
    mean = r.deflection_map_mm[r.plan_triangles].mean(axis=1)
    level = deflection_levels(mean, low, high)
    assert level[mean.argmax()] == DEFLECTION_LEVELS - 1 and level.min() == 0
    # every triangle once, in the path of its band, filled with the band's colour
    cmap = colormaps["YlOrRd"]
    assert sum(e.get("d", "").count("M") for e in bands) == len(r.plan_triangles)
    for e in bands:
        band = int(e.get("data-level", "-1"))
        assert e.get("d", "").count("M") == int((level == band).sum())
        assert e.get("fill") == to_hex(cmap((band + 0.5) / DEFLECTION_LEVELS))
    # Heel on the left, toe on the right; the arch apex (medial, +y in the foot frame) above
    # the middle of a right foot's map and below it on a left foot's, as the patient sees it.
    xy = np.array(
        [
            [float(v) for v in p]
            for e in bands
            for p in re.findall(r"([\d.]+),([\d.]+)", e.get("d", ""))
        ]
    )
    cross = next(e for e in root.iter() if e.get("data-apex")).get("d", "")
    start = re.match(r"M([\d.]+),([\d.]+)", cross)
    assert start is not None
    apex_x, apex_y = (float(v) for v in start.groups())
    x = r.plan_points_mm[:, 0]
    along = (r.apex_mm[0] - x.min()) / np.ptp(x)
    assert (apex_x + 5.0 - xy[:, 0].min()) / np.ptp(xy[:, 0]) == pytest.approx(along, abs=0.02)
    middle = (xy[:, 1].min() + xy[:, 1].max()) / 2.0
    assert apex_y < middle if session.shell.side == "right" else apex_y > middle
