"""Preview pictures of a shell: a shaded 3D view and a top view, coloured by thickness,
and, given its mechanics, a plan map of how far its top deflects with the numbers beside it.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no window, no global
state) and written atomically as a PNG without time stamp or software tag, so the same
shell gives the same bytes. A left shell is drawn as the left shell it will be printed as.

The 3D view is drawn on plain 2D axes: the triangles are projected orthographically, sorted
far to near (the painter's algorithm, as mplot3d does) and filled in one call as Gouraud
triangles with one colour at all three corners, over a ground grid in mm. mplot3d drew the
same picture through one path per polygon, several times slower.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Final, cast

import numpy as np
import shapely
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, TriMesh
from matplotlib.colors import Colormap, Normalize
from matplotlib.figure import Figure
from matplotlib.markers import TICKDOWN, TICKLEFT
from matplotlib.ticker import MaxNLocator, NullLocator
from matplotlib.tri import Triangulation
from numpy.typing import NDArray
from shapely.geometry import Polygon

from shellgen._typing import BoolArray, FloatArray, IntArray
from shellgen.analysis import HeightField
from shellgen.export import atomic_open, mirror_to_side
from shellgen.shell import Shell

if TYPE_CHECKING:
    from shellgen.mechanics import Response

__all__ = ["render_preview"]

_CMAP: Final = "viridis"
#: Colour map of the deflection map: pale where the top stays put, dark red where it sinks.
_DEFLECTION_CMAP: Final = "YlOrRd"
#: Width of the picture, in: the 3D and top views; with mechanics, the deflection map too.
_WIDTH_IN: Final = 12.0
_WIDTH_WITH_MECHANICS_IN: Final = 17.0
#: Direction the light comes from (towards the viewer's upper left), unit vector.
_LIGHT: Final = np.array([-0.45, -0.35, 0.82]) / np.linalg.norm([-0.45, -0.35, 0.82])
#: Spacing of the plantar surface drawn in 3D, mm.
_PLANTAR_STEP_MM: Final = 4.0
#: Resolution of the picture, dots per inch (12 or 17 x 5 in).
_DPI: Final = 110
#: Direction of view of the 3D picture: elevation and azimuth, degrees (mplot3d's convention).
_VIEW_DEG: Final = (28.0, -62.0)
#: zlib level of the PNG: 1 writes it several times faster than 6, for 15 % more bytes.
_PNG_COMPRESSION: Final = 1


def render_preview(
    shell: Shell,
    path: str | os.PathLike[str],
    *,
    plantar: HeightField | None = None,
    response: Response | None = None,
) -> Path:
    """Write a PNG preview of ``shell``: 3D view, top view and a thickness colour bar.

    Given its mechanics, the picture is wider and gains, on the right, a plan map of the
    top surface's deflection (``response.deflection_map_mm`` on the mechanics mesh) with a
    colour bar in mm, the arch apex the loads are centred on, the shell's outline, and the
    numbers: arch deflection at walking and at the activity load, bench stiffness, peak
    stress and safety factor. Without it the picture is the same as before, byte for byte.

    Parameters
    ----------
    shell : Shell
        The shell, foot frame of a right foot, mm; a left shell is drawn mirrored back.
    path : path-like
        Destination PNG.
    plantar : HeightField, optional
        The foot's plantar surface (foot frame of a right foot), drawn as a mesh over the shell
        in 3D and as height contours in the top view.
    response : Response, optional
        The shell's mechanics (:func:`shellgen.mechanics.respond` on this shell), foot frame
        of a right foot; drawn mirrored back with the shell.

    Returns
    -------
    Path
        ``path``.
    """
    vertices, faces = mirror_to_side(shell.vertices, shell.faces, shell.side)
    mirror = -1.0 if shell.side == "left" else 1.0
    thickness = np.asarray(shell.thickness_mm, dtype=np.float64)
    t_lo, t_hi = float(thickness.min()), float(thickness.max())
    pad = max(0.0, 0.1 - (t_hi - t_lo)) / 2.0  # a uniform shell still gets a readable bar
    norm = Normalize(vmin=t_lo - pad, vmax=t_hi + pad)

    width_in = _WIDTH_IN if response is None else _WIDTH_WITH_MECHANICS_IN
    sx = _WIDTH_IN / width_in  # the 3D and top views keep their size in inches
    fig = Figure(figsize=(width_in, 5.0), dpi=_DPI)
    canvas = FigureCanvasAgg(fig)
    spec = shell.spec
    fig.suptitle(
        f"{shell.side} shell  ·  {spec.material.name}  ·  {spec.shell_length.replace('_', ' ')}"
        f"  ·  {spec.thickness_mm:.1f} mm  ·  {len(faces)} faces",
        fontsize=12,
    )
    ax3d = fig.add_axes((0.01 * sx, 0.04, 0.55 * sx, 0.84))
    ax_top = fig.add_axes((0.645 * sx, 0.27, 0.34 * sx, 0.6))
    ax_bar = fig.add_axes((0.665 * sx, 0.17, 0.3 * sx, 0.035))

    cmap = colormaps[_CMAP]  # a copy each time it is looked up: once here
    triangles = vertices[faces]
    normals = _face_normals(triangles)
    outer = _outer_faces(shell, normals[:, 2])
    polygons = triangles[outer]
    colours = _shell_colours(normals[outer], thickness[faces[outer]], norm, cmap)
    if plantar is not None:
        foot_polygons, foot_colours = _plantar_polygons(plantar, shell.outline, mirror)
        polygons = np.concatenate(
            [polygons, foot_polygons[:, [0, 1, 2]], foot_polygons[:, [0, 2, 3]]]
        )
        colours = np.concatenate([colours, foot_colours, foot_colours])
    _draw_3d(ax3d, polygons, colours)
    _draw_top(ax_top, vertices, faces[normals[:, 2] > 0.0], thickness, norm, cmap)
    _draw_outline(ax_top, shell.outline, mirror)
    if plantar is not None:
        _draw_plantar_top(ax_top, plantar, mirror)
    low, high = ("lateral", "medial") if mirror > 0 else ("medial", "lateral")
    _plain_ticks(ax_top, 7.0, 8.0, "x (mm)", f"{low}  <-  y (mm)  ->  {high}")
    _draw_bar(ax_bar, norm, cmap, "shell thickness along the normal (mm)")
    if response is not None:
        # The map is drawn as large as the top view, at its scale, to the right of it.
        ax_map = fig.add_axes((0.72, 0.27, 0.34 * sx, 0.6), sharex=ax_top, sharey=ax_top)
        ax_map_bar = fig.add_axes((0.72 + 0.02 * sx, 0.17, 0.3 * sx, 0.035))
        _draw_mechanics(ax_map, ax_map_bar, response, shell.outline, mirror)

    canvas.draw()
    # The figure is opaque: its RGB is the whole picture.
    png = _png(np.asarray(canvas.buffer_rgba())[:, :, :3])
    with atomic_open(path) as fh:
        fh.write(png)
    return Path(path)


def _png(rgb: NDArray[np.uint8]) -> bytes:
    """A PNG of an (h, w, 3) 8-bit RGB image: no filter, one zlib stream, no other chunk.

    Written here because Pillow's encoder, through ``savefig``, took three times as long
    (it tries a filter per row); nothing time-dependent is written.
    """
    height, width, _ = rgb.shape
    rows = np.zeros((height, 1 + 3 * width), dtype=np.uint8)  # a 0 (no filter) starts each row
    rows[:, 1:] = rgb.reshape(height, -1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", header),
            chunk(b"IDAT", zlib.compress(rows.tobytes(), _PNG_COMPRESSION)),
            chunk(b"IEND", b""),
        ]
    )


def _face_normals(triangles: FloatArray) -> FloatArray:
    n = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    length = np.linalg.norm(n, axis=1, keepdims=True)
    return np.divide(n, length, out=np.zeros_like(n), where=length > 0)


def _outer_faces(shell: Shell, normal_z: FloatArray) -> BoolArray:
    """Faces seen from above: the top surface and the side walls along the outline.

    ``normal_z`` is the z component of each face's unit normal. A side wall is vertical
    and has its three corners on the outline. The underside, and engravings in it, are left
    out: from above they are hidden, and the painter's algorithm would otherwise let some
    of them show through.
    """
    vertical = np.flatnonzero(np.abs(normal_z) < 1e-6)
    corners = np.unique(shell.faces[vertical])
    boundary = shell.outline.boundary
    shapely.prepare(boundary)
    on_boundary = np.zeros(len(shell.vertices), dtype=bool)
    on_boundary[corners] = shapely.dwithin(
        boundary, shapely.points(shell.vertices[corners, :2]), 1e-3
    )
    outer = normal_z > 0.0
    outer[vertical] |= on_boundary[shell.faces[vertical]].all(axis=1)
    return outer


def _shell_colours(
    normals: FloatArray, face_thickness: FloatArray, norm: Normalize, cmap: Colormap
) -> FloatArray:
    """(k, 4) RGBA colours of faces with unit ``normals`` and corner thicknesses (k, 3):
    the thickness colour, lit from the upper left."""
    shade = 0.45 + 0.55 * np.clip(normals @ _LIGHT, 0.0, 1.0)
    colours = cmap(norm(face_thickness.mean(axis=1)))
    colours[:, :3] *= shade[:, None]
    return np.asarray(colours, dtype=np.float64)


def _plantar_polygons(
    plantar: HeightField, outline: Polygon, mirror: float
) -> tuple[FloatArray, FloatArray]:
    """(k, 4, 3) quads of the plantar surface outside the shell, (k, 4) translucent grey."""
    stride = max(1, round(_PLANTAR_STEP_MM / plantar.spacing_mm))
    x, y, z = (a[::stride, ::stride] for a in _plantar_grid(plantar, 1.0))
    corners = np.stack(
        [np.stack([a[:-1, :-1], a[:-1, 1:], a[1:, 1:], a[1:, :-1]], axis=-1) for a in (x, y, z)],
        axis=-1,
    ).reshape(-1, 4, 3)
    centre = corners.mean(axis=1)
    keep = np.isfinite(centre[:, 2]) & ~shapely.contains_xy(outline, centre[:, 0], centre[:, 1])
    quads = corners[keep]
    quads[:, :, 1] *= mirror
    shade = 0.55 + 0.45 * np.abs(_face_normals(quads[:, :3]) @ _LIGHT)
    colours = np.column_stack(
        [np.repeat(shade[:, None], 3, axis=1) * 0.85, np.full(len(quads), 0.5)]
    )
    return quads, colours


def _view_basis(elev_deg: float, azim_deg: float) -> FloatArray:
    """(3, 3) rows: the picture's right and up, and the direction toward the viewer."""
    e, a = np.radians(elev_deg), np.radians(azim_deg)
    return np.array(
        [
            [-np.sin(a), np.cos(a), 0.0],
            [-np.sin(e) * np.cos(a), -np.sin(e) * np.sin(a), np.cos(e)],
            [np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)],
        ]
    )


def _draw_3d(ax: Axes, polygons: FloatArray, colours: FloatArray) -> None:
    """Triangles (k, 3, 3) in mm, projected along the view, far ones first, over a grid."""
    view = _view_basis(*_VIEW_DEG)
    points = polygons.reshape(-1, 3)
    lo, hi = points.min(axis=0), points.max(axis=0)
    _draw_ground(ax, view, lo, hi)
    order = np.argsort((polygons.mean(axis=1) @ view[2]), kind="stable")
    screen = polygons[order] @ view[:2].T
    corners = screen.reshape(-1, 2)
    mesh = TriMesh(
        Triangulation(corners[:, 0], corners[:, 1], np.arange(len(corners)).reshape(-1, 3))
    )
    # One colour per corner; matplotlib's type stubs omit the (n, 4) arrays it takes here.
    mesh.set_facecolor(np.repeat(colours[order], 3, axis=0))  # type: ignore[arg-type]
    ax.add_collection(mesh, autolim=False)
    box = _box_corners(lo, hi) @ view[:2].T
    margin = 0.04 * float(np.ptp(box[:, 0]))
    ax.set_xlim(box[:, 0].min() - margin, box[:, 0].max() + margin)
    ax.set_ylim(box[:, 1].min() - 3 * margin, box[:, 1].max() + margin)
    ax.set_aspect("equal")
    ax.set_axis_off()


def _box_corners(lo: FloatArray, hi: FloatArray) -> FloatArray:
    """(8, 3) corners of the box between ``lo`` and ``hi``."""
    return np.array(
        [[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
    )


def _draw_ground(ax: Axes, view: FloatArray, lo: FloatArray, hi: FloatArray) -> None:
    """A mm grid on the ground plane under the shell, labelled along its near edges."""
    steps = [1, 2, 5, 10]
    xs = [x for x in MaxNLocator(6, steps=steps).tick_values(lo[0], hi[0]) if lo[0] <= x <= hi[0]]
    ys = [y for y in MaxNLocator(5, steps=steps).tick_values(lo[1], hi[1]) if lo[1] <= y <= hi[1]]
    z = lo[2]
    # The viewer looks from -y and +x (azimuth -62 degrees): label the y = lo and x = hi edges.
    lines = [[(x, lo[1], z), (x, hi[1], z)] for x in xs] + [
        [(lo[0], y, z), (hi[0], y, z)] for y in ys
    ]
    lines += [[(lo[0], lo[1], z), (hi[0], lo[1], z)], [(hi[0], lo[1], z), (hi[0], hi[1], z)]]
    segments = np.asarray(lines) @ view[:2].T
    grid = LineCollection(list(segments), colors="0.82", linewidths=0.6, zorder=0.5)
    ax.add_collection(grid, autolim=False)
    pad = 0.04 * float(hi[0] - lo[0])
    for x in xs:
        u, v = np.array([x, lo[1] - pad, z]) @ view[:2].T
        ax.text(u, v, f"{x:g}", fontsize=7, ha="center", va="top", color="0.3")
    for y in ys:
        u, v = np.array([hi[0] + pad, y, z]) @ view[:2].T
        ax.text(u, v, f"{y:g}", fontsize=7, ha="left", va="center", color="0.3")
    u, v = np.array([0.5 * (lo[0] + hi[0]), lo[1] - 4 * pad, z]) @ view[:2].T
    ax.text(u, v, "x (mm)", fontsize=8, ha="center", va="top")
    u, v = np.array([hi[0] + 3 * pad, 0.5 * (lo[1] + hi[1]), z]) @ view[:2].T
    ax.text(u, v, "y (mm)", fontsize=8, ha="left", va="top")


def _draw_top(
    ax: Axes,
    vertices: FloatArray,
    faces: IntArray,
    thickness: FloatArray,
    norm: Normalize,
    cmap: Colormap,
) -> None:
    """Top-facing ``faces`` seen from above, thickness shaded smoothly between vertices."""
    ax.tripcolor(
        Triangulation(vertices[:, 0], vertices[:, 1], faces),
        thickness,
        shading="gouraud",
        cmap=cmap,
        norm=norm,
    )
    ax.set_aspect("equal")
    ax.set_title("top view", fontsize=10)


def _draw_bar(ax: Axes, norm: Normalize, cmap: Colormap, label: str) -> None:
    """A horizontal colour bar of ``norm`` through ``cmap``, labelled ``label`` below."""
    ax.imshow(
        np.linspace(0.0, 1.0, 256)[None, :],
        cmap=cmap,
        aspect="auto",
        extent=(cast(float, norm.vmin), cast(float, norm.vmax), 0.0, 1.0),
    )
    _plain_ticks(ax, 10.0, 10.0, label, None)


def _draw_mechanics(
    ax: Axes, ax_bar: Axes, response: Response, outline: Polygon, mirror: float
) -> None:
    """The deflection map seen from above, its colour bar, the apex, and the numbers.

    The map is the top surface's downward displacement at each plan vertex of the mechanics
    mesh, shaded linearly between them (the quadratic elements' corner values); ``mirror``
    -1 draws a left shell. ``ax`` shares the top view's limits, so both are at one scale.
    The title (which load) and the numbers go in the picture's top right corner.
    """
    cmap = colormaps[_DEFLECTION_CMAP]
    points = np.asarray(response.plan_points_mm, dtype=np.float64)
    deflection = np.asarray(response.deflection_map_mm, dtype=np.float64)
    low = min(0.0, float(deflection.min()))
    norm = Normalize(vmin=low, vmax=max(float(deflection.max()), low + 0.01))
    ax.tripcolor(
        Triangulation(points[:, 0], mirror * points[:, 1], response.plan_triangles),
        deflection,
        shading="gouraud",
        cmap=cmap,
        norm=norm,
    )
    _draw_outline(ax, outline, mirror)
    apex_x, apex_y = response.apex_mm
    ax.plot(
        [apex_x],
        [mirror * apex_y],
        marker="+",
        markersize=11,
        markeredgewidth=2.2,
        color="black",
        linestyle="none",
    )
    ax.annotate(
        "arch apex",
        (apex_x, mirror * apex_y),
        xytext=(6.0, -4.0 if mirror > 0 else 4.0),
        textcoords="offset points",
        ha="left",
        va="top" if mirror > 0 else "bottom",
        fontsize=8,
    )
    ax.set_aspect("equal")
    ax.set_axis_off()
    if response.activity_load_n is None:
        title = f"Deflection under the {response.bench_force_n:g} N bench load"
    else:
        title = f"Deflection at the activity load, {response.activity_load_n:.0f} N midfoot"
    fig = ax.get_figure()
    assert fig is not None
    x0 = ax.get_position().x0
    fig.text(x0, 0.975, title, ha="left", va="top", fontsize=10, weight="bold")
    fig.text(
        x0,
        0.925,
        "\n".join(_mechanics_lines(response)),
        ha="left",
        va="top",
        fontsize=9,
        linespacing=1.45,
    )
    _draw_bar(ax_bar, norm, cmap, "downward deflection of the top (mm)")


def _mechanics_lines(response: Response) -> list[str]:
    """The mechanics numbers as short lines of text, mm, N/mm and MPa."""
    bench = (
        f"bench stiffness {response.bench_stiffness_n_per_mm:.0f} N/mm "
        f"({response.bench_force_n:g} N: {response.bench_deflection_mm:.2f} mm)"
    )
    if response.deflection_mm is None or response.activity_deflection_mm is None:
        return [bench, f"peak stress {response.bench_peak_stress_mpa:.1f} MPa (bench load)"]
    return [
        f"arch deflection {response.deflection_mm:.2f} mm walking, "
        f"{response.activity_deflection_mm:.2f} mm at the activity load",
        bench,
        f"peak stress {response.peak_stress_mpa:.1f} MPa  ·  "
        f"safety factor {response.safety_factor:.2f}",
    ]


def _plain_ticks(
    ax: Axes, size_pt: float, label_pt: float, xlabel: str, ylabel: str | None
) -> None:
    """Ticks, tick labels and axis labels drawn as one marker line per axis and plain texts.

    The positions are those matplotlib's locator picks; its own ticks (an object of three
    lines and two texts each) cost more than everything else in the picture. Tick labels
    are ``size_pt`` points, axis labels ``label_pt``; ``ylabel`` None leaves the y axis bare.
    """
    axes: list[tuple[str, FloatArray]] = [("x", ax.xaxis.get_majorticklocs())]
    if ylabel is not None:
        axes.append(("y", ax.yaxis.get_majorticklocs()))
    ax.xaxis.set_major_locator(NullLocator())
    ax.yaxis.set_major_locator(NullLocator())
    gap = 7.0  # tick length 3.5 pt and label pad 3.5 pt, matplotlib's defaults
    widest = 0.0
    for name, locations in axes:
        lo, hi = sorted(ax.get_xlim() if name == "x" else ax.get_ylim())
        slack = 1e-9 * (hi - lo)
        at = np.array([v for v in locations if lo - slack <= v <= hi + slack])
        labels = _tick_labels(at)
        widest = max([widest, *(0.6 * size_pt * len(t) for t in labels)])
        transform = ax.get_xaxis_transform() if name == "x" else ax.get_yaxis_transform()
        across = np.zeros(len(at))
        xy = (at, across) if name == "x" else (across, at)
        ax.plot(
            *xy,
            transform=transform,
            linestyle="none",
            marker=TICKDOWN if name == "x" else TICKLEFT,
            markersize=3.5,
            markeredgewidth=0.8,
            color="black",
            clip_on=False,
        )
        for value, text in zip(at, labels, strict=True):
            ax.annotate(
                text,
                (value, 0.0) if name == "x" else (0.0, value),
                xycoords=transform,
                xytext=(0.0, -gap) if name == "x" else (-gap, 0.0),
                textcoords="offset points",
                ha="center" if name == "x" else "right",
                va="top" if name == "x" else "center",
                fontsize=size_pt,
            )
    ax.annotate(
        xlabel,
        (0.5, 0.0),
        xycoords="axes fraction",
        xytext=(0.0, -gap - 1.3 * size_pt - 3.5),
        textcoords="offset points",
        ha="center",
        va="top",
        fontsize=label_pt,
    )
    if ylabel is not None:
        ax.annotate(
            ylabel,
            (0.0, 0.5),
            xycoords="axes fraction",
            xytext=(-gap - widest - 3.5, 0.0),
            textcoords="offset points",
            ha="right",
            va="center",
            rotation=90.0,
            fontsize=label_pt,
        )


def _tick_labels(values: FloatArray) -> list[str]:
    """Tick values with the fewest decimals that show them all exactly, with a true minus."""
    decimals = next(
        (d for d in range(7) if np.allclose(values * 10**d, np.round(values * 10**d), atol=1e-6)), 6
    )
    return [f"{v:.{decimals}f}".replace("-", "\u2212") for v in values + 0.0]


def _draw_outline(ax: Axes, outline: Polygon, mirror: float) -> None:
    for ring in (outline.exterior, *outline.interiors):
        xy = np.asarray(ring.coords)
        ax.plot(xy[:, 0], mirror * xy[:, 1], color="black", linewidth=0.8)


def _plantar_grid(plantar: HeightField, mirror: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    x, y = np.meshgrid(plantar.xs_mm, mirror * plantar.ys_mm)
    return x, y, np.asarray(plantar.z_mm, dtype=np.float64)


def _draw_plantar_top(ax: Axes, plantar: HeightField, mirror: float) -> None:
    x, y, z = _plantar_grid(plantar, mirror)
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        return
    levels = np.arange(5.0, float(finite.max()), 5.0)
    if levels.size:
        ax.contour(x, y, np.ma.masked_invalid(z), levels=levels, colors="tab:red", linewidths=0.5)
    ax.contour(
        x,
        y,
        np.isfinite(z).astype(float),
        levels=[0.5],
        colors="0.3",
        linewidths=0.9,
        linestyles="dashed",
    )
