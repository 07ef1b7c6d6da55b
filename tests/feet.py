"""Analytic synthetic feet and shell specs for tests, without the scan pipeline.

The foot is a right foot in the foot frame (mm): x from 0 (rearmost heel point) to 260
(toe tip), +y medial. Its silhouette is the convex hull of a heel disc (centre (31, 0),
radius 31: heel width 62 mm) and a forefoot ellipse (centre (185, 3), semi-axes 75 x 50:
ball width 100 mm). The sole is flat (z = 0) in the middle and curls up at the rim as a
quarter circle of radius ``SIDE_RADIUS_MM`` (the side of the foot, vertical at the
silhouette); the medial longitudinal arch is a smooth bump centred at x = 110 mm that rises
toward the medial edge. The plantar region is where the slope is at most 45 degrees.
"""

from __future__ import annotations

import contourpy
import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from shellgen.analysis._model import Arch, Foot, HeightField, Landmarks
from shellgen.materials import material
from shellgen.scan import Scan, ScanSource, Side
from shellgen.spec import SPEC_UNITS, Provenance, ShellLength, ShellSpec

LENGTH_MM = 260.0
SIDE_RADIUS_MM = 15.0
ARCH_X_MM = 110.0
ARCH_HALF_LENGTH_MM = 50.0
MTH1 = (185.0, 30.0)
MTH5 = (165.0, -40.0)
HEEL_CENTRE = (35.0, 0.0)


def footprint() -> Polygon:
    """Silhouette of the synthetic right foot seen from below, mm."""
    heel = Point(31.0, 0.0).buffer(31.0, quad_segs=32)
    circle = np.asarray(Point(0.0, 0.0).buffer(1.0, quad_segs=64).exterior.coords)
    ball = Polygon(np.column_stack([185.0 + 75.0 * circle[:, 0], 3.0 + 50.0 * circle[:, 1]]))
    hull = shapely.convex_hull(heel.union(ball))
    assert isinstance(hull, Polygon)
    return hull


def _largest_polygon(lines: list[np.ndarray]) -> Polygon:
    polys = [Polygon(line) for line in lines if len(line) >= 4]
    return max((p.buffer(0) for p in polys), key=lambda p: p.area)


def _medial_edge_y(outline: Polygon, x_mm: float) -> float:
    cut = outline.intersection(LineString([(x_mm, -200.0), (x_mm, 200.0)]))
    return float(cut.bounds[3])


def synthetic_foot(side: Side = "right", arch_mm: float = 16.0) -> Foot:
    """A 260 mm right-frame foot with a medial arch of about ``arch_mm`` at x = 110 mm.

    Parameters
    ----------
    side : {"left", "right"}
        The patient's side; the geometry is the same (a left foot is already mirrored).
    arch_mm : float
        Amplitude of the arch bump, mm; the measured arch height (at the medial edge of the
        plantar region, x = 110) is a little more, as the side of the foot adds to it.
    """
    spacing = 1.0
    xs = np.arange(-10.0, LENGTH_MM + 10.0 + spacing / 2, spacing)
    ys = np.arange(-70.0, 75.0 + spacing / 2, spacing)
    gx, gy = np.meshgrid(xs, ys)
    outline = footprint()
    inside = shapely.contains_xy(outline, gx, gy)
    depth = np.where(inside, shapely.distance(outline.exterior, shapely.points(gx, gy)), 0.0)
    r = SIDE_RADIUS_MM
    under = np.clip(r - depth, 0.0, r)
    side_mm = r - np.sqrt(np.maximum(r * r - under * under, 0.0))

    y_med = np.array([_medial_edge_y(outline, float(x)) for x in xs])[None, :]
    u = np.clip((gx - ARCH_X_MM) / ARCH_HALF_LENGTH_MM, -1.0, 1.0)
    bump_x = np.cos(0.5 * np.pi * u) ** 2
    ramp_y = np.clip((gy + 5.0) / (y_med + 5.0), 0.0, 1.0) ** 2
    z = np.where(inside, side_mm + arch_mm * bump_x * ramp_y, np.nan)
    field = HeightField(float(xs[0]), float(ys[0]), spacing, z)

    gy_grad, gx_grad = np.gradient(np.nan_to_num(z, nan=r), spacing)
    slope = np.hypot(gx_grad, gy_grad)
    slope[~inside] = 10.0
    gen = contourpy.contour_generator(xs, ys, slope)
    plantar = _largest_polygon(gen.lines(1.0))  # tan(45 deg) = 1
    contact_gen = contourpy.contour_generator(xs, ys, np.where(inside, z, 99.0))
    contact = MultiPolygon([_largest_polygon(contact_gen.lines(3.0))])

    apex_y = _medial_edge_y(plantar, ARCH_X_MM)
    apex_height = float(field.sample(np.array(ARCH_X_MM), np.array(apex_y)))
    stations = np.arange(60.0, 161.0, 5.0)
    profile = np.array(
        [float(field.sample(np.array(x), np.array(_medial_edge_y(plantar, x)))) for x in stations]
    )
    source = ScanSource("synthetic", "stl", "0" * 64, 1, 0, 0)
    to_scanner = np.diag([1.0, -1.0 if side == "left" else 1.0, 1.0, 1.0])
    scan = Scan(
        points=np.zeros((1, 3)),
        side=side,
        kind="foot",
        kind_detected=False,
        side_detected=False,
        units="mm",
        units_source="given",
        mm_per_unit=1.0,
        to_scanner=to_scanner,
        n_outliers_removed=0,
        n_floor_removed=0,
        n_leg_removed=0,
        source=source,
    )
    landmarks = Landmarks(
        heel_centre=HEEL_CENTRE,
        heel_medial=(31.0, 31.0),
        heel_lateral=(31.0, -31.0),
        mth1=MTH1,
        mth5=MTH5,
        arch_apex=(ARCH_X_MM, apex_y),
        toe_tip=(LENGTH_MM, 3.0),
    )
    arch = Arch(apex_height, ARCH_X_MM, 0.23, "normal", stations, profile)
    return Foot(
        scan=scan,
        plantar=field,
        footprint=outline,
        plantar_region=plantar,
        contact_region=contact,
        standing=True,
        landmarks=landmarks,
        foot_length_mm=LENGTH_MM,
        ball_width_mm=100.0,
        heel_width_mm=62.0,
        arch_length_mm=MTH1[0],
        arch=arch,
    )


def shell_spec(
    shell_length: ShellLength = "sulcus",
    *,
    slot_count: int = 3,
    post_angle_deg: float = 4.0,
    label: str = "A0042 R",
    grid_spacing_mm: float = 2.0,
    flex_start_x_mm: float = 150.0,
) -> ShellSpec:
    """A hand-written spec for the synthetic foot: 3 mm PA12 shell, 18 mm arch, 4 deg post."""
    return ShellSpec(
        material=material("PA12-MJF"),
        shell_length=shell_length,
        thickness_mm=3.0,
        arch_height_mm=18.0,
        heel_cup_depth_mm=14.0,
        medial_flange_mm=6.0,
        lateral_flange_mm=4.0,
        post_angle_deg=post_angle_deg,
        flex_start_x_mm=flex_start_x_mm,
        flex_taper_mm=20.0,
        flex_thickness_ratio=0.6,
        slot_count=slot_count,
        slot_width_mm=3.0,
        slot_length_mm=24.0,
        rim_radius_mm=3.0,
        grid_spacing_mm=grid_spacing_mm,
        label=label,
        label_depth_mm=0.6,
        provenance={
            name: Provenance(unit, "default", "test")
            for name, unit in {**SPEC_UNITS, "shell_length": "", "label": ""}.items()
        },
    )
