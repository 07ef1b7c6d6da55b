"""What the browser shows, computed from a session: meshes for vtk.js, numbers, a chart.

Plain functions from a :class:`~shellgen.studio._session.Session` (or its parts) to JSON-able
values, kept apart from the trame UI so that they can be tested without a browser.

Meshes use the state format of trame-vtk's ``VtkMesh`` (what its ``mesh()`` serializer
makes from a ``vtkPolyData``): ``{"mesh": {"points": ..., "polys": ...}, "field": ...}``,
every array base64-encoded with its dtype, decoded into typed arrays by vtk.js in the
browser. Everything is drawn on the patient's side: a left foot (handled as a right foot
in the foot frame) is mirrored back, y -> -y, as ``export`` writes it.
"""

from __future__ import annotations

import base64
import math
from typing import Final

import matplotlib.tri as mtri
import numpy as np
import shapely
from matplotlib import colormaps
from matplotlib.colors import to_hex
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree
from shapely.geometry import Polygon

from shellgen._typing import FloatArray
from shellgen.analysis import Foot
from shellgen.export import mirror_to_side
from shellgen.mechanics import Response
from shellgen.scan import Side
from shellgen.shell import Mark, Shell, prescription_marks
from shellgen.spec import ShellSpec
from shellgen.studio._session import Mechanics, Session
from shellgen.validation import Report

__all__ = [
    "DEFLECTION_LEVELS",
    "arch_chart_svg",
    "camera",
    "deflection_legend_css",
    "deflection_levels",
    "deflection_map_svg",
    "encode_array",
    "key_numbers",
    "mark_captions",
    "mark_outlines",
    "mechanics_numbers",
    "mesh_state",
    "plantar_mesh",
    "report_rows",
    "report_summary",
    "scan_cloud",
    "session_marks",
    "shell_arrays",
]

#: Spacing of the plantar surface drawn under the shell, mm.
PLANTAR_STEP_MM: Final = 2.0
#: The modifications' outlines are drawn this far above the shell's top surface, mm (so that
#: the surface does not hide them), with a point every this many mm along them.
MARK_LIFT_MM: Final = 0.4
MARK_STEP_MM: Final = 1.0
#: Colours of the modifications' outlines, in order (away from the thickness map's viridis).
MARK_COLOURS: Final = (
    "#d81b60",
    "#ff6d00",
    "#e040fb",
    "#ff1744",
    "#00e5ff",
    "#ffab00",
    "#8d6e63",
    "#f48fb1",
)
#: Faces whose normal's z exceeds this are the shell's top surface (the walls are steeper).
_TOP_NORMAL_Z: Final = 0.3
_TOP_NEIGHBOURS: Final = 3
#: Most scan points drawn (every k-th point beyond this).
SCAN_MAX_POINTS: Final = 40_000
#: The camera looks at the shell from the medial side, behind and above, from this far
#: (in foot lengths).
_CAMERA_DIRECTION: Final = (-0.45, 0.8, 0.55)
_CAMERA_DISTANCE: Final = 2.2
#: Size of the arch chart, px, and its margins (left, right, top, bottom).
_CHART_SIZE: Final = (300, 140)
_CHART_MARGIN: Final = (30, 10, 14, 22)

#: Size of the deflection map, px, its margin, and its colour map (the preview's).
_MAP_SIZE: Final = (300, 150)
_MAP_MARGIN: Final = 6
_DEFLECTION_CMAP: Final = "YlOrRd"
#: Stops of the deflection map's legend, as a CSS gradient.
_DEFLECTION_STOPS: Final = 6
#: Colour bands of the deflection map.
DEFLECTION_LEVELS: Final = 24

_JS_TYPES: Final = {
    "uint8": "Uint8Array",
    "float32": "Float32Array",
    "uint16": "Uint16Array",
    "uint32": "Uint32Array",
}


def encode_array(values: ArrayLike, dtype: str) -> dict[str, object]:
    """A flat array as trame-vtk sends it: ``{"bvals": base64, "dtype", "shape"}``.

    Parameters
    ----------
    values : array_like
        Any shape; flattened in C order.
    dtype : {"uint8", "float32", "uint16", "uint32"}
        The typed array the browser makes of it.
    """
    flat = np.ascontiguousarray(np.asarray(values).ravel(), dtype=dtype)
    return {
        "bvals": base64.b64encode(flat.tobytes()).decode("ascii"),
        "dtype": dtype,
        "shape": [int(flat.size)],
    }


def mesh_state(
    points: FloatArray,
    *,
    polys: NDArray[np.integer] | None = None,
    scalars: FloatArray | None = None,
    scalar_name: str = "scalars",
) -> dict[str, object]:
    """A ``VtkMesh`` state: triangles (or, with no ``polys``, points as vertices).

    Parameters
    ----------
    points : (n, 3) float
        Positions, mm.
    polys : (m, 3) int, optional
        Triangles indexing ``points``; without them every point is drawn as a vertex.
    scalars : (n,) float, optional
        A value per point, used for colouring.
    scalar_name : str
        Name of the scalar array.
    """
    n = len(points)
    index = "uint16" if n < 2**16 else "uint32"
    if polys is not None:
        cells = np.column_stack([np.full(len(polys), 3), polys])
        mesh = {"polys": encode_array(cells, index)}
    else:
        cells = np.column_stack([np.ones(n, dtype=np.int64), np.arange(n)])
        mesh = {"verts": encode_array(cells, "uint32")}
    state: dict[str, object] = {"mesh": {"points": encode_array(points, "float32"), **mesh}}
    if scalars is not None:
        state["field"] = {
            "name": scalar_name,
            "values": encode_array(scalars, "float32"),
            "numberOfComponents": 1,
            "type": _JS_TYPES["float32"],
            "location": "PointData",
            "dataRange": [float(np.min(scalars)), float(np.max(scalars))],
        }
    return state


def shell_arrays(session: Session) -> dict[str, object]:
    """The shell on the patient's side as encoded arrays, for separate state variables.

    Returns
    -------
    dict
        ``points`` (float32 xyz, mm), ``polys`` (cell array of triangles) and
        ``thickness`` (float32 per point, mm), each as :func:`encode_array` makes it. Kept
        apart so that a change which keeps the triangulation resends no triangles.
    """
    shell = session.shell
    vertices, faces = mirror_to_side(shell.vertices, shell.faces, shell.side)
    index = "uint16" if len(vertices) < 2**16 else "uint32"
    cells = np.column_stack([np.full(len(faces), 3), faces])
    return {
        "points": encode_array(vertices, "float32"),
        "polys": encode_array(cells, index),
        "thickness": encode_array(shell.thickness_mm, "float32"),
    }


def plantar_mesh(foot: Foot, step_mm: float = PLANTAR_STEP_MM) -> dict[str, object]:
    """The foot's plantar surface as triangles, every ``step_mm``, on the patient's side.

    Grid cells with an undefined corner (outside the footprint) are left out.
    """
    field = foot.plantar
    k = max(1, round(step_mm / field.spacing_mm))
    z = field.z_mm[::k, ::k]
    ny, nx = z.shape
    gx, gy = np.meshgrid(field.xs_mm[::k], field.ys_mm[::k])
    points = np.column_stack([gx.ravel(), gy.ravel(), z.ravel()])
    ids = np.arange(ny * nx).reshape(ny, nx)
    a, b, c, d = ids[:-1, :-1], ids[:-1, 1:], ids[1:, 1:], ids[1:, :-1]
    quads = np.stack([a.ravel(), b.ravel(), c.ravel(), d.ravel()], axis=1)
    finite = np.isfinite(points[:, 2])
    quads = quads[finite[quads].all(axis=1)]
    tris = np.concatenate([quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]])
    used = np.unique(tris)
    remap = np.zeros(len(points), dtype=np.int64)
    remap[used] = np.arange(len(used))
    vertices, faces = mirror_to_side(points[used], remap[tris], foot.scan.side)
    return mesh_state(vertices, polys=faces)


def session_marks(session: Session) -> list[Mark]:
    """The ordered modifications of the session's spec, placed on its foot (right-foot frame)."""
    spec = session.spec
    return prescription_marks(session.foot, spec.prescription, spec.post_angle_deg)


def mark_outlines(shell: Shell, marks: list[Mark]) -> dict[str, object] | None:
    """Each modification's outline lying on the shell's top surface, as vtk.js lines.

    The regions (:func:`shellgen.shell.prescription_marks`, the ones the design sheet draws)
    are cut to the shell's outline, sampled every ``MARK_STEP_MM`` and lifted onto the top
    surface plus ``MARK_LIFT_MM``, on the patient's side; so a met pad's ring climbs over
    the pad it surrounds. Mark ``i`` (1-based) is drawn in ``MARK_COLOURS[(i - 1) % n]``,
    the colour :func:`mark_captions` lists it with. None when nothing is ordered.

    Returns
    -------
    dict or None
        A ``VtkMesh`` state with ``points`` and ``lines`` (one polyline per ring) and a
        ``colour`` field (RGB bytes per point, drawn as they are).
    """
    rings: list[tuple[int, FloatArray]] = []
    for number, mark in enumerate(marks, start=1):
        on_shell = mark.region.intersection(shell.outline)
        for part in getattr(on_shell, "geoms", [on_shell]):
            if isinstance(part, Polygon) and not part.is_empty:
                ring = shapely.segmentize(part.exterior, MARK_STEP_MM)
                rings.append((number, np.asarray(ring.coords)[:, :2]))
    if not rings:
        return None
    numbers, cells = [], []
    start = 0
    for number, xy in rings:
        numbers.append(np.full(len(xy), number - 1))
        cells.append(np.concatenate([[len(xy)], np.arange(start, start + len(xy))]))
        start += len(xy)
    xy = np.concatenate([xy for _, xy in rings])
    xyz = _on_side(np.column_stack([xy, _top_z(shell, xy) + MARK_LIFT_MM]), shell.side)
    return {
        "mesh": {
            "points": encode_array(xyz, "float32"),
            "lines": encode_array(np.concatenate(cells), "uint32"),
        },
        "field": {
            "name": "colour",
            "values": encode_array(_rgb(np.concatenate(numbers)), "uint8"),
            "numberOfComponents": 3,
            "type": _JS_TYPES["uint8"],
            "location": "PointData",
            "dataRange": [0.0, 255.0],
        },
    }


def mark_captions(marks: list[Mark]) -> list[dict[str, object]]:
    """What the studio lists beside the view: ``[{"number", "caption", "colour"}, ...]``,
    each in the colour its outline is drawn in."""
    return [
        {"number": i, "caption": m.caption, "colour": MARK_COLOURS[(i - 1) % len(MARK_COLOURS)]}
        for i, m in enumerate(marks, start=1)
    ]


def _rgb(indices: NDArray[np.integer]) -> NDArray[np.uint8]:
    """RGB bytes of ``MARK_COLOURS`` (cycled) for 0-based mark indices, (n, 3)."""
    table = np.array(
        [[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in MARK_COLOURS], dtype=np.uint8
    )
    return table[np.asarray(indices) % len(table)]


def _top_z(shell: Shell, xy: FloatArray) -> FloatArray:
    """z of the shell's top surface at each (x, y), right-foot frame, mm.

    Interpolated linearly on the upward-facing triangles themselves (a height field seen
    from above, so matplotlib's triangle finder locates each point; scipy's Delaunay
    interpolation over the same vertices took a third of a second). Only the triangles near
    the points are indexed (the whole top took ~35 ms of a studio update). Where no such
    triangle lies under a point (the rim's rounding and steep cup walls), the highest of the
    ``_TOP_NEIGHBOURS`` nearest top vertices is used, which keeps the line above the rim.
    """
    v, f = shell.vertices, shell.faces
    normal = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    length = np.linalg.norm(normal, axis=1)
    up_faces = f[normal[:, 2] > _TOP_NORMAL_Z * np.where(length > 0, length, np.inf)]
    corners = v[up_faces][:, :, :2]
    reach = float(np.linalg.norm(corners - corners[:, [1, 2, 0]], axis=2).max())
    distance, _ = cKDTree(xy).query(corners.mean(axis=1), distance_upper_bound=reach)
    near = up_faces[np.isfinite(distance)]
    top_ids = np.unique(up_faces)
    top = v[top_ids]
    _, nearest = cKDTree(top[:, :2]).query(xy, k=_TOP_NEIGHBOURS)
    z = np.asarray(top[nearest, 2].max(axis=1), dtype=np.float64)
    if len(near) == 0:
        return z
    used = np.unique(near)
    index = np.full(len(v), -1)
    index[used] = np.arange(len(used))
    try:
        triangles = mtri.Triangulation(v[used, 0], v[used, 1], index[near])
        on = mtri.LinearTriInterpolator(triangles, v[used, 2])(xy[:, 0], xy[:, 1])
    except (RuntimeError, ValueError):  # overlapping triangles seen from above: nearest only
        return z
    found = ~np.ma.getmaskarray(on)
    z[found] = np.ma.getdata(on)[found]
    return z


def scan_cloud(foot: Foot, max_points: int = SCAN_MAX_POINTS) -> dict[str, object]:
    """The prepared scan's points (foot frame, mm) on the patient's side, thinned evenly."""
    points = foot.scan.points
    points = points[:: max(1, math.ceil(len(points) / max_points))]
    return mesh_state(_on_side(points, foot.scan.side))


def camera(session: Session) -> dict[str, list[float]]:
    """A camera on the shell from the medial side, behind and above (vtk.js keys)."""
    vertices = _on_side(session.shell.vertices, session.shell.side)
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    centre = (lo + hi) / 2.0
    medial = 1.0 if session.shell.side == "right" else -1.0
    direction = np.array(_CAMERA_DIRECTION) * [1.0, medial, 1.0]
    direction /= np.linalg.norm(direction)
    position = centre + _CAMERA_DISTANCE * float(hi[0] - lo[0]) * direction
    return {
        "position": position.tolist(),
        "focalPoint": centre.tolist(),
        "viewUp": [0.0, 0.0, 1.0],
    }


def key_numbers(session: Session) -> list[dict[str, str]]:
    """The numbers shown beside the view: ``[{"label", "value", "unit"}, ...]``."""
    spec, foot = session.spec, session.foot
    return [
        _number("Thickness", f"{spec.thickness_mm:.2f}", "mm"),
        _number("Arch support", f"{spec.arch_height_mm:.1f}", "mm"),
        _number("Heel cup", f"{spec.heel_cup_depth_mm:.1f}", "mm"),
        _number(
            "Flanges M / L", f"{spec.medial_flange_mm:.1f} / {spec.lateral_flange_mm:.1f}", "mm"
        ),
        _number("Rearfoot post", f"{spec.post_angle_deg:.1f}", "deg"),
        _number("Relief slots", f"{spec.slot_count}", ""),
        _number("Volume", f"{session.volume_cm3:.2f}", "cm³"),
        _number("Mass", f"{session.mass_g:.1f}", f"g {spec.material.name}"),
        _number("Foot length", f"{foot.foot_length_mm:.0f}", "mm"),
        _number("Arch", f"{foot.arch.type} ({foot.arch.index:.2f})", "index"),
        _number("Mesh", f"{len(session.shell.faces):,}", "triangles"),
        _number("Built in", f"{session.build_ms:.0f}", "ms"),
    ]


def mechanics_numbers(m: Mechanics) -> list[dict[str, str]]:
    """The mechanics numbers shown beside the view: ``[{"label", "value", "unit"}, ...]``."""
    r = m.response
    rows = [_number("Target deflection", f"{m.target_deflection_mm:.2f}", "mm walking")]
    if r.deflection_mm is not None and r.activity_deflection_mm is not None:
        rows += [
            _number("Arch deflection", f"{r.deflection_mm:.2f}", f"mm at {r.load_n:.0f} N"),
            _number(
                "At activity", f"{r.activity_deflection_mm:.2f}", f"mm at {r.activity_load_n:.0f} N"
            ),
        ]
    rows.append(
        _number(
            "Bench stiffness", f"{r.bench_stiffness_n_per_mm:.0f}", f"N/mm ({r.bench_force_n:g} N)"
        )
    )
    if r.peak_stress_mpa is not None and r.safety_factor is not None:
        rows += [
            _number("Peak stress", f"{r.peak_stress_mpa:.1f}", "MPa at activity"),
            _number("Safety factor", f"{r.safety_factor:.2f}", "fatigue"),
        ]
    if r.clearance_mm is not None:
        rows.append(_number("Arch clearance", f"{r.clearance_mm:.1f}", "mm loaded"))
    rows.append(_number("Solved in", f"{m.solve_ms:.0f}", f"ms, {m.spacing_mm:g} mm mesh"))
    return rows


def deflection_map_svg(response: Response, side: Side) -> tuple[str, list[float]]:
    """A plan map of the top's deflection, seen from above, on the patient's side, as SVG.

    Each triangle of the mechanics mesh is filled with the colour (the preview's colour map)
    of its corners' mean deflection, in :data:`DEFLECTION_LEVELS` bands: one ``<path>`` per
    band (a few dozen elements for the page to redraw, where one polygon per triangle was a
    thousand, 100 kB and 46 ms to write). The arch apex is a cross (the last path). x (heel
    to toe) runs left to right, +y up; a left foot is mirrored back. Only numbers go into
    the markup.

    Returns
    -------
    svg : str
        The map.
    range_mm : [float, float]
        The deflection at the colour map's ends, mm, for the legend.
    """
    width, height = _MAP_SIZE
    plan = np.asarray(response.plan_points_mm, dtype=np.float64)
    points = _on_side(np.column_stack([plan, np.zeros(len(plan))]), side)[:, :2]
    deflection = np.asarray(response.deflection_map_mm, dtype=np.float64)
    low = min(0.0, float(deflection.min()))
    high = max(float(deflection.max()), low + 0.01)
    lo, hi = points.min(axis=0), points.max(axis=0)
    scale = min(
        (width - 2 * _MAP_MARGIN) / max(float(hi[0] - lo[0]), 1.0),
        (height - 2 * _MAP_MARGIN) / max(float(hi[1] - lo[1]), 1.0),
    )
    px = _MAP_MARGIN + (points[:, 0] - lo[0]) * scale
    py = height - _MAP_MARGIN - (points[:, 1] - lo[1]) * scale  # SVG's y grows downward
    xy = [f"{x:.1f},{y:.1f}" for x, y in zip(px, py, strict=True)]
    triangles = np.asarray(response.plan_triangles)
    level = deflection_levels(deflection[triangles].mean(axis=1), low, high)
    cmap = colormaps[_DEFLECTION_CMAP]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="deflection map">'
    ]
    for band in np.unique(level):
        d = "".join(f"M{xy[a]}L{xy[b]}L{xy[c]}Z" for a, b, c in triangles[level == band])
        colour = to_hex(cmap((band + 0.5) / DEFLECTION_LEVELS))
        parts.append(
            f'<path d="{d}" fill="{colour}" stroke="{colour}" stroke-width="0.4" '
            f'data-level="{band}"/>'
        )
    apex = _on_side(np.array([[*response.apex_mm, 0.0]]), side)[0]
    ax = _MAP_MARGIN + (apex[0] - lo[0]) * scale
    ay = height - _MAP_MARGIN - (apex[1] - lo[1]) * scale
    parts += [
        f'<path d="M{ax - 5:.1f},{ay:.1f}H{ax + 5:.1f}M{ax:.1f},{ay - 5:.1f}V{ay + 5:.1f}" '
        'stroke="black" stroke-width="2" data-apex="1"/>',
        "</svg>",
    ]
    return "".join(parts), [round(low, 3), round(high, 3)]


def deflection_levels(deflection_mm: FloatArray, low: float, high: float) -> NDArray[np.int64]:
    """The colour band (0 .. ``DEFLECTION_LEVELS - 1``) of each deflection between ``low``
    and ``high``, mm: equal bands, the ends included in the first and last."""
    fraction = (np.asarray(deflection_mm, dtype=np.float64) - low) / (high - low)
    return np.clip((fraction * DEFLECTION_LEVELS).astype(np.int64), 0, DEFLECTION_LEVELS - 1)


def deflection_legend_css() -> str:
    """The deflection map's colour map as a CSS gradient, for its legend."""
    stops = colormaps[_DEFLECTION_CMAP](np.linspace(0.0, 1.0, _DEFLECTION_STOPS))
    return "linear-gradient(to right, " + ", ".join(to_hex(c) for c in stops) + ")"


def report_rows(report: Report) -> list[dict[str, object]]:
    """One row per check: ``{"name", "ok", "value", "detail"}`` (value with its unit)."""
    return [
        {
            "name": c.name,
            "ok": c.ok,
            "value": _measured(c.value, c.unit),
            "detail": c.detail,
        }
        for c in report.checks
    ]


def report_summary(report: Report) -> str:
    """One line: ``"all 11 checks pass"`` or the failing checks, named, with values."""
    if report.ok:
        return f"all {len(report.checks)} checks pass"
    failed = [c for c in report.checks if not c.ok]
    return "fails " + "; ".join(f"{c.name} ({_measured(c.value, c.unit)})" for c in failed)


def arch_chart_svg(foot: Foot, spec: ShellSpec) -> str:
    """An SVG chart of the medial arch profile: measured (line) and supported (filled).

    The supported profile is the measured one scaled to the spec's arch height, the way
    calibration scales it (``arch_height_mm / measured height``). Only numbers go into
    the markup.
    """
    width, height = _CHART_SIZE
    left, right, top, bottom = _CHART_MARGIN
    xs = np.asarray(foot.arch.profile_x_mm, dtype=np.float64)
    zs = np.asarray(foot.arch.profile_z_mm, dtype=np.float64)
    keep = np.isfinite(xs) & np.isfinite(zs)
    xs, zs = xs[keep], zs[keep]
    measured = foot.arch.height_mm
    scale = spec.arch_height_mm / measured if measured > 0 else 0.0
    supported = np.maximum(zs, 0.0) * scale
    x_max = max(foot.foot_length_mm, float(xs.max(initial=1.0)))
    z_max = max(5.0, float(zs.max(initial=0.0)), float(supported.max(initial=0.0))) * 1.15

    def px(x: FloatArray | float) -> FloatArray:
        return np.asarray(left + (width - left - right) * np.asarray(x) / x_max)

    def pz(z: FloatArray | float) -> FloatArray:
        return np.asarray(height - bottom - (height - top - bottom) * np.asarray(z) / z_max)

    def path(x: FloatArray, z: FloatArray) -> str:
        return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px(x), pz(z), strict=True))

    base = float(pz(0.0))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="arch profile">',
        f'<line x1="{left}" y1="{base:.1f}" x2="{width - right}" y2="{base:.1f}" '
        'stroke="#9e9e9e" stroke-width="1"/>',
    ]
    for tick in range(0, int(x_max) + 1, 50):
        x = float(px(tick))
        parts.append(
            f'<text x="{x:.1f}" y="{height - 6}" font-size="9" fill="#757575" '
            f'text-anchor="middle">{tick}</text>'
        )
    for tick in range(0, int(z_max) + 1, 10):
        z = float(pz(tick))
        parts.append(
            f'<text x="{left - 4}" y="{z + 3:.1f}" font-size="9" fill="#757575" '
            f'text-anchor="end">{tick}</text>'
        )
    if len(xs) > 1:
        first, last = float(px(xs[0])), float(px(xs[-1]))
        fill = f"{first:.1f},{base:.1f} {path(xs, supported)} {last:.1f},{base:.1f}"
        parts += [
            f'<polygon points="{fill}" fill="#26a69a" fill-opacity="0.35" stroke="#00897b" '
            'stroke-width="1.5"/>',
            f'<polyline points="{path(xs, zs)}" fill="none" stroke="#5d4037" '
            'stroke-width="1.5" stroke-dasharray="4 3"/>',
        ]
    apex_x, apex_z = float(px(foot.arch.apex_x_mm)), float(pz(spec.arch_height_mm))
    parts += [
        f'<circle cx="{apex_x:.1f}" cy="{apex_z:.1f}" r="3" fill="#00695c"/>',
        f'<text x="{apex_x + 5:.1f}" y="{apex_z - 4:.1f}" font-size="10" fill="#00695c">'
        f"{spec.arch_height_mm:.1f} mm</text>",
        f'<text x="{width - right}" y="{top - 3}" font-size="9" fill="#757575" '
        'text-anchor="end">mm from heel</text>',
        "</svg>",
    ]
    return "".join(parts)


def _on_side(points: FloatArray, side: Side) -> FloatArray:
    """Points of the right-foot frame on the patient's side (y -> -y for a left foot)."""
    if side == "right":
        return np.asarray(points, dtype=np.float64)
    return np.asarray(points, dtype=np.float64) * [1.0, -1.0, 1.0]


def _number(label: str, value: str, unit: str) -> dict[str, str]:
    return {"label": label, "value": value, "unit": unit}


def _measured(value: float, unit: str) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return "not measured"
    if isinstance(value, float) and not float(value).is_integer():
        return f"{value:.2f} {unit}"
    return f"{value:g} {unit}"
