"""Preview pictures of a shell: a shaded 3D view and a top view, coloured by thickness.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no window, no global
state) and written atomically as a PNG without time stamp or software tag, so the same
shell gives the same bytes. A left shell is drawn as the left shell it will be printed as.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Final

import numpy as np
import shapely
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from matplotlib.tri import Triangulation
from mpl_toolkits.mplot3d import Axes3D
from mpl_toolkits.mplot3d.art3d import Poly3DCollection
from shapely.geometry import Polygon

from shellgen._typing import BoolArray, FloatArray, IntArray
from shellgen.analysis import HeightField
from shellgen.export import atomic_open, mirror_to_side
from shellgen.shell import Shell

__all__ = ["render_preview"]

_CMAP: Final = "viridis"
#: Direction the light comes from (towards the viewer's upper left), unit vector.
_LIGHT: Final = np.array([-0.45, -0.35, 0.82]) / np.linalg.norm([-0.45, -0.35, 0.82])
#: Spacing of the plantar surface drawn in 3D, mm.
_PLANTAR_STEP_MM: Final = 4.0
#: Resolution of the picture, dots per inch (12 x 5.6 in).
_DPI: Final = 110


def render_preview(
    shell: Shell, path: str | os.PathLike[str], *, plantar: HeightField | None = None
) -> Path:
    """Write a PNG preview of ``shell``: 3D view, top view and a thickness colour bar.

    Parameters
    ----------
    shell : Shell
        The shell, foot frame of a right foot, mm; a left shell is drawn mirrored back.
    path : path-like
        Destination PNG.
    plantar : HeightField, optional
        The foot's plantar surface (foot frame of a right foot), drawn as a mesh over the shell
        in 3D and as height contours in the top view.

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

    fig = Figure(figsize=(12.0, 5.0), dpi=_DPI)
    FigureCanvasAgg(fig)
    spec = shell.spec
    fig.suptitle(
        f"{shell.side} shell  ·  {spec.material.name}  ·  {spec.shell_length.replace('_', ' ')}"
        f"  ·  {spec.thickness_mm:.1f} mm  ·  {len(faces)} faces",
        fontsize=12,
    )
    ax3d = fig.add_axes((0.0, 0.02, 0.55, 0.9), projection="3d")
    assert isinstance(ax3d, Axes3D)
    ax_top = fig.add_axes((0.645, 0.27, 0.34, 0.6))
    ax_bar = fig.add_axes((0.665, 0.17, 0.3, 0.035))

    outer = _outer_faces(shell)
    polygons, colours = _shell_polygons(vertices, faces[outer], thickness[faces[outer]], norm)
    if plantar is not None:
        foot_polygons, foot_colours = _plantar_polygons(plantar, shell.outline, mirror)
        polygons = np.concatenate(
            [polygons, foot_polygons[:, [0, 1, 2]], foot_polygons[:, [0, 2, 3]]]
        )
        colours = np.concatenate([colours, foot_colours, foot_colours])
    _draw_3d(ax3d, polygons, colours)
    _draw_top(ax_top, vertices, faces, thickness, norm)
    _draw_outline(ax_top, shell.outline, mirror)
    _label_sides(ax_top, mirror)
    if plantar is not None:
        _draw_plantar_top(ax_top, plantar, mirror)

    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=_CMAP), cax=ax_bar, orientation="horizontal")
    bar.set_label("shell thickness along the normal (mm)")

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    with atomic_open(path) as fh:
        fh.write(buffer.getvalue())
    return Path(path)


def _face_normals(triangles: FloatArray) -> FloatArray:
    n = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    length = np.linalg.norm(n, axis=1, keepdims=True)
    return np.divide(n, length, out=np.zeros_like(n), where=length > 0)


def _outer_faces(shell: Shell) -> BoolArray:
    """Faces seen from above: the top surface and the side walls along the outline.

    The underside, and engravings in it, are left out: from above they are hidden, and
    matplotlib's painter's algorithm would otherwise let some of them show through.
    """
    triangles = shell.vertices[shell.faces]
    up = _face_normals(triangles)[:, 2] > 0.0
    boundary = shell.outline.boundary
    near = shapely.distance(boundary, shapely.points(triangles.reshape(-1, 3)[:, :2])) < 1e-3
    return up | near.reshape(-1, 3).all(axis=1)


def _shell_polygons(
    vertices: FloatArray, faces: IntArray, face_thickness: FloatArray, norm: Normalize
) -> tuple[FloatArray, FloatArray]:
    """(k, 3, 3) triangles and (k, 4) RGBA colours: thickness colour, lit from the upper left."""
    triangles = vertices[faces]
    shade = 0.45 + 0.55 * np.clip(_face_normals(triangles) @ _LIGHT, 0.0, 1.0)
    colours = colormaps[_CMAP](norm(face_thickness.mean(axis=1)))
    colours[:, :3] *= shade[:, None]
    return triangles, colours


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


def _draw_3d(ax: Axes3D, polygons: FloatArray, colours: FloatArray) -> None:
    # edges in the face colour hide the hairline seams between antialiased triangles
    surface = Poly3DCollection(
        list(polygons), facecolors=colours, edgecolors=colours, linewidths=0.3
    )
    ax.add_collection3d(surface)
    points = polygons.reshape(-1, 3)
    lo, hi = points.min(axis=0), points.max(axis=0)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_zlim(lo[2], hi[2])
    ax.set_box_aspect(tuple(np.maximum(hi - lo, 1e-3)), zoom=1.3)
    ax.view_init(elev=28.0, azim=-62.0)
    ax.set_xlabel("x (mm)", fontsize=8)
    ax.set_ylabel("y (mm)", fontsize=8)
    ax.zaxis.set_major_locator(MaxNLocator(3))
    ax.tick_params(labelsize=7)


def _draw_top(
    ax: Axes, vertices: FloatArray, faces: IntArray, thickness: FloatArray, norm: Normalize
) -> None:
    """Top-facing faces seen from above, thickness shaded smoothly between vertices."""
    up = faces[_face_normals(vertices[faces])[:, 2] > 0.0]
    ax.tripcolor(
        Triangulation(vertices[:, 0], vertices[:, 1], up),
        thickness,
        shading="gouraud",
        cmap=_CMAP,
        norm=norm,
    )
    ax.set_aspect("equal")
    ax.set_title("top view", fontsize=10)
    ax.set_xlabel("x (mm)", fontsize=8)
    ax.tick_params(labelsize=7)


def _label_sides(ax: Axes, mirror: float) -> None:
    """Name the sides on the top view's y axis (+y is medial for a right foot)."""
    low, high = ("lateral", "medial") if mirror > 0 else ("medial", "lateral")
    ax.set_ylabel(f"{low}  <-  y (mm)  ->  {high}", fontsize=8)


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
