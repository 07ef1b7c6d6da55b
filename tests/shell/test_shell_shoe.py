"""Shoe fit: the outline stays inside the shoe everywhere, and what was cut is reported.

The synthetic foot of ``feet.py`` is 62 mm wide at the heel and 100 mm at the ball.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import ezdxf
import numpy as np
import pytest
import shapely
from feet import MTH1, MTH5, synthetic_foot
from feet import shell_spec as make_spec

from shellgen.analysis import Foot
from shellgen.errors import ProfileError
from shellgen.prescription import Prescription
from shellgen.shell import Shell, build
from shellgen.shell._model import PlanSpec
from shellgen.shell._shoe import shoe_region
from shellgen.shoe import read_insole
from shellgen.validation import validate


@pytest.fixture(scope="module")
def foot() -> Foot:
    return synthetic_foot("right")


def shod(foot: Foot, **rx: object) -> Shell:
    spec = make_spec("full", label="", slot_count=0)
    spec = dataclasses.replace(spec, prescription=Prescription(**rx))  # type: ignore[arg-type]
    shell = build(foot, spec)
    assert validate(shell, material=spec.material).failed == ()
    return shell


def width_at(outline: shapely.Polygon, x: float) -> float:
    cut = outline.intersection(shapely.LineString([(x, -500.0), (x, 500.0)]))
    return float(cut.bounds[3] - cut.bounds[1])


def rim_inside(shell: Shell, region: shapely.Polygon) -> bool:
    """Every vertex of the shell inside the region (seen from above)."""
    xy = shell.vertices[:, :2]
    return bool(shapely.contains_xy(region.buffer(1e-6), xy[:, 0], xy[:, 1]).all())


def test_shoe_widths_limit_the_outline_at_heel_and_ball(foot: Foot) -> None:
    free = shod(foot)
    shell = shod(foot, shoe_heel_width_mm=56.0, shoe_ball_width_mm=84.0)
    heel_x = foot.landmarks.heel_centre[0]
    ball_x = 0.5 * (MTH1[0] + MTH5[0])
    assert width_at(free.outline, heel_x) > 66.0 and width_at(free.outline, ball_x) > 89.0
    assert width_at(shell.outline, heel_x) <= 56.0
    assert width_at(shell.outline, ball_x) <= 84.0
    assert shell.plan is not None
    region = shoe_region(foot, shell.plan.spec)
    assert region is not None and rim_inside(shell, region)
    trim = shell.plan.shoe_trim
    assert trim is not None
    assert trim.area_mm2 == pytest.approx(free.outline.area - shell.outline.area, rel=0.05)
    rim = np.asarray(shapely.segmentize(free.outline.exterior, 0.5).coords)
    deepest = shapely.distance(shapely.points(rim), shell.outline).max()
    assert trim.depth_mm == pytest.approx(deepest, abs=0.3)
    assert trim.depth_mm > 0.5 * (width_at(free.outline, heel_x) - 56.0)
    assert trim.describe().startswith("trimmed ")


def test_a_roomy_shoe_trims_nothing(foot: Foot) -> None:
    free = shod(foot)
    shell = shod(foot, shoe_heel_width_mm=120.0, shoe_ball_width_mm=150.0)
    assert shell.plan is not None and shell.plan.shoe_trim is not None
    assert shell.plan.shoe_trim.area_mm2 == 0.0
    assert shell.plan.shoe_trim.describe() == "fits the shoe, nothing trimmed"
    assert shell.outline.equals_exact(free.outline, 1e-9)


def insole_points(length_mm: float = 240.0) -> np.ndarray:
    """An insole: narrow heel, wide ball (about 58 and 88 mm at 240 mm), points CCW."""
    t = np.linspace(0.0, 2.0 * np.pi, 72, endpoint=False)
    x = 0.5 * length_mm * (1.0 - np.cos(t))
    half = (29.0 + 15.0 * np.clip(x / (0.7 * length_mm), 0.0, 1.0)) * np.sin(t)
    return np.column_stack([x, half])


def test_an_insole_outline_scaled_to_the_shoe_holds_the_whole_shell(
    foot: Foot, tmp_path: Path
) -> None:
    path = tmp_path / "insole.csv"
    pts = insole_points(200.0)
    path.write_text("x,y\n" + "\n".join(f"{x:.4f},{y:.4f}" for x, y in pts) + "\n")
    insole = read_insole(path, length_mm=262.0)
    assert np.ptp(np.asarray(insole)[:, 0]) == pytest.approx(262.0)
    shell = shod(foot, shoe_insole=insole)
    assert shell.plan is not None
    region = shoe_region(foot, shell.plan.spec)
    assert region is not None
    assert rim_inside(shell, region)
    assert shell.outline.within(region.buffer(1e-6))
    assert shell.plan.shoe_trim is not None and shell.plan.shoe_trim.area_mm2 > 100.0


def test_svg_and_dxf_outlines_read_as_the_csv_does(tmp_path: Path) -> None:
    pts = insole_points().tolist()
    csv_path = tmp_path / "a.csv"
    csv_path.write_text("\n".join(f"{x!r},{y!r}" for x, y in pts))
    svg_path = tmp_path / "a.svg"
    listed = " ".join(f"{x!r},{-y!r}" for x, y in pts)
    svg_path.write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg"><g><polygon points="{listed}"/></g></svg>'
    )
    path_svg = tmp_path / "p.svg"
    moves = "M " + " L ".join(f"{x!r} {-y!r}" for x, y in pts) + " Z"
    path_svg.write_text(f'<svg xmlns="http://www.w3.org/2000/svg"><path d="{moves}"/></svg>')
    doc = ezdxf.new()
    doc.modelspace().add_lwpolyline([(x, y) for x, y in pts], close=True)
    dxf_path = tmp_path / "a.dxf"
    doc.saveas(dxf_path)
    expected = read_insole(csv_path)
    for other in (svg_path, path_svg, dxf_path):
        assert np.allclose(read_insole(other), expected, atol=1e-9), other.name


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("a.txt", "0,0\n", "allowed: a .csv, .svg or .dxf file"),
        ("a.csv", "0,0\n1,x\n", "line 2 is '1,x'; allowed: two numbers x,y (mm)"),
        ("a.csv", "0,0\n1,1\n", "2 points enclose no area"),
        (
            "a.svg",
            '<svg xmlns="http://www.w3.org/2000/svg"><path d="M 0 0 C 1 1 2 2 3 0 Z"/></svg>',
            "path command 'C' is a curve",
        ),
    ],
)
def test_a_bad_outline_file_is_one_line_naming_it(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ProfileError) as caught:
        read_insole(path)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_plan_spec_carries_the_shoe(foot: Foot) -> None:
    spec = make_spec("full")
    spec = dataclasses.replace(spec, prescription=Prescription(shoe_ball_width_mm=90.0))
    assert PlanSpec.of(spec).shoe_ball_width_mm == 90.0
