"""Closed test meshes with known geometry, for the validation, export and slicer tests.

A slab is a convex outline (x, y) between two height fields, built as ``build`` builds a
shell: one triangulation seen from above, top faces, bottom faces reversed, side walls
along the boundary. Strictly convex outlines keep scipy's Delaunay triangulation exactly
the outline.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.spatial import Delaunay
from shapely import contains_xy
from shapely.geometry import Polygon, box

from shellgen._typing import FloatArray, IntArray
from shellgen.materials import material
from shellgen.mechanics import Solid
from shellgen.scan import Side
from shellgen.shell import Shell
from shellgen.shell._mesh2d import resample_even, triangulate
from shellgen.spec import Provenance, ShellSpec

Surface = Callable[[FloatArray, FloatArray], FloatArray]


def superellipse(
    length_mm: float, width_mm: float, *, power: float = 4.0, n: int = 120
) -> FloatArray:
    """(n, 2) counter-clockwise ring of ``|x/a|^p + |y/b|^p = 1``, x from 0 to ``length_mm``."""
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    c, s = np.cos(t), np.sin(t)
    x = np.sign(c) * np.abs(c) ** (2.0 / power) * length_mm / 2.0 + length_mm / 2.0
    y = np.sign(s) * np.abs(s) ** (2.0 / power) * width_mm / 2.0
    return np.column_stack([x, y])


def egg(length_mm: float, width_mm: float, *, n: int = 140) -> FloatArray:
    """(n, 2) counter-clockwise ring of a foot-like egg: narrow heel at x = 0, wide front."""
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    x = length_mm / 2.0 * (1.0 - np.cos(t))
    y = width_mm / 2.0 * np.sin(t) * (0.78 + 0.22 * x / length_mm)
    return np.column_stack([x, y])


def closed_slab(
    ring: FloatArray, spacing_mm: float, top: Surface, bottom: Surface
) -> tuple[FloatArray, IntArray]:
    """A closed, outward-wound mesh between ``bottom(x, y)`` and ``top(x, y)`` over ``ring``.

    Parameters
    ----------
    ring : (k, 2) float
        Strictly convex outline, counter-clockwise, mm.
    spacing_mm : float
        Interior grid spacing, mm.
    top, bottom : callable
        Heights (mm) at arrays of x and y; ``top > bottom`` everywhere for a valid solid.

    Returns
    -------
    vertices : (n, 3) float
    faces : (m, 3) int
    """
    outline = Polygon(ring)
    lo, hi = ring.min(axis=0), ring.max(axis=0)
    gx, gy = np.meshgrid(
        np.arange(lo[0], hi[0] + spacing_mm, spacing_mm),
        np.arange(lo[1], hi[1] + spacing_mm, spacing_mm),
    )
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    inner = outline.buffer(-0.5 * spacing_mm)
    grid = grid[contains_xy(inner, grid[:, 0], grid[:, 1])]
    xy = np.vstack([ring, grid])
    tri = Delaunay(xy).simplices.astype(np.int64)
    a, b, c = xy[tri[:, 0]], xy[tri[:, 1]], xy[tri[:, 2]]
    clockwise = (b - a)[:, 0] * (c - a)[:, 1] - (b - a)[:, 1] * (c - a)[:, 0] < 0
    tri[clockwise] = tri[clockwise][:, ::-1]
    n = len(xy)
    vertices = np.vstack(
        [
            np.column_stack([xy, top(xy[:, 0], xy[:, 1])]),
            np.column_stack([xy, bottom(xy[:, 0], xy[:, 1])]),
        ]
    )
    directed = tri[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    key = np.sort(directed, axis=1)
    _, inverse, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    p, q = directed[counts[inverse.ravel()] == 1].T
    walls = np.vstack([np.column_stack([q, p, p + n]), np.column_stack([q, p + n, q + n])])
    faces = np.vstack([tri, tri[:, ::-1] + n, walls])
    return vertices, faces


def flat(z_mm: float) -> Surface:
    """The plane z = ``z_mm``."""
    return lambda x, y: np.full_like(x, z_mm)


def rounded_slab(
    length_mm: float = 200.0,
    width_mm: float = 80.0,
    thickness_mm: float = 5.0,
    spacing_mm: float = 4.0,
) -> tuple[FloatArray, IntArray]:
    """A flat rounded slab on z = 0, x from 0 to ``length_mm``, centred on y = 0."""
    ring = superellipse(length_mm, width_mm)
    return closed_slab(ring, spacing_mm, flat(thickness_mm), flat(0.0))


def shell_surfaces(
    length_mm: float, width_mm: float, thickness_mm: float
) -> tuple[Surface, Surface]:
    """Top and bottom of a shell-like plate: heel cup, medial arch, flat underside."""

    def top(x: FloatArray, y: FloatArray) -> FloatArray:
        u = x / length_mm
        half = width_mm / 2.0 * (0.78 + 0.22 * u)
        rim = np.clip(np.abs(y) / half, 0.0, 1.0)
        heel = np.clip(1.0 - u / 0.45, 0.0, 1.0)
        cup = 14.0 * heel * rim**3 + 10.0 * np.clip(0.25 - u, 0.0, None) ** 2
        arch = 11.0 * np.exp(-(((u - 0.45) / 0.16) ** 2) - ((y / half - 0.55) / 0.45) ** 2)
        return thickness_mm + 2.0 + cup + arch

    def bottom(x: FloatArray, y: FloatArray) -> FloatArray:
        solid_heel = 40.0 * np.clip((0.3 - x / length_mm) / 0.1, 0.0, 1.0)
        return np.maximum(0.0, top(x, y) - thickness_mm - solid_heel)

    return top, bottom


def spec(material_name: str = "PA12-MJF") -> ShellSpec:
    """A plausible :class:`ShellSpec` (values only matter for labels)."""
    values: dict[str, float | int | str] = {
        "thickness_mm": 3.0,
        "arch_height_mm": 18.0,
        "heel_cup_depth_mm": 14.0,
        "medial_flange_mm": 6.0,
        "lateral_flange_mm": 4.0,
        "post_angle_deg": 0.0,
        "flex_start_x_mm": 150.0,
        "flex_taper_mm": 20.0,
        "flex_thickness_ratio": 0.6,
        "slot_count": 0,
        "slot_width_mm": 2.0,
        "slot_length_mm": 20.0,
        "rim_radius_mm": 1.0,
        "grid_spacing_mm": 2.0,
        "label_depth_mm": 0.4,
    }
    provenance = {name: Provenance("mm", "default", "test") for name in values}
    return ShellSpec(
        material=material(material_name),
        shell_length="three_quarter",
        label="T-1 R",
        provenance=provenance,
        **values,  # type: ignore[arg-type]
    )


def shell_like(
    side: Side = "right",
    *,
    length_mm: float = 180.0,
    width_mm: float = 72.0,
    thickness_mm: float = 3.0,
    spacing_mm: float = 2.0,
) -> Shell:
    """A closed shell-like mesh (heel cup, arch) as a :class:`Shell` of the given side."""
    ring = egg(length_mm, width_mm)
    top, bottom = shell_surfaces(length_mm, width_mm, thickness_mm)
    vertices, faces = closed_slab(ring, spacing_mm, top, bottom)
    xy = vertices[:, :2]
    thickness = top(xy[:, 0], xy[:, 1]) - bottom(xy[:, 0], xy[:, 1])
    return Shell(
        vertices=vertices,
        faces=faces,
        side=side,
        spec=spec(),
        outline=Polygon(ring),
        thickness_mm=thickness,
    )


def bowed_solid(length_mm: float, width_mm: float) -> Solid:
    """A ``length_mm`` x ``width_mm`` plan meshed at 3 mm, its underside and top curved and
    its thickness varying (2 mm plus 0.05 x y): no right angles, no constant strain by luck."""
    domain = box(0.0, 0.0, length_mm, width_mm)
    mesh = triangulate([resample_even(np.asarray(domain.exterior.coords), 3.0)], domain, 3.0)
    x, y = mesh.points.T
    bottom = 0.02 * x**2 + 0.1 * y
    return Solid(mesh.points, mesh.triangles, bottom + 2.0 + 0.05 * x * y, bottom, domain)
