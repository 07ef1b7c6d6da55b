"""The quadratic wedges (and the quadratic tetrahedra kept as reference) against plate and
beam theory, within 3 %.

Plates are built the way shells are: a plan triangulation extruded into one layer of
prisms, as 15-node wedges (``wedges``) or split into three quadratic tetrahedra each
(``tetrahedra_p2``), stiffness from ``stiffness_matrix``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from shapely.geometry import box

from shellgen.mechanics import Solid, tetrahedra
from shellgen.mechanics._elements import Elements, tetrahedra_p2, wedges
from shellgen.mechanics._fem import factorise, lame_mpa, stiffness_matrix, top_quadrature
from shellgen.shell._mesh2d import resample_even, triangulate

E_MPA = 1800.0
KINDS: dict[str, Callable[[Solid, int], Elements]] = {
    "wedges": wedges,
    "tetrahedra": tetrahedra_p2,
}


def plate(length_mm: float, width_mm: float, thickness_mm: float, spacing_mm: float) -> Solid:
    domain = box(0.0, 0.0, length_mm, width_mm)
    mesh = triangulate(
        [resample_even(np.asarray(domain.exterior.coords), spacing_mm)], domain, spacing_mm
    )
    n = len(mesh.points)
    return Solid(mesh.points, mesh.triangles, np.full(n, thickness_mm), np.zeros(n), domain)


def pressure_on_top(elements: Elements, pressure_mpa: float) -> np.ndarray:
    """Consistent nodal forces (N) of a downward pressure on the top faces."""
    _, weights, phi = top_quadrature(elements)
    load = np.zeros(3 * len(elements.nodes_mm))
    np.add.at(load, 3 * elements.top_faces + 2, -pressure_mpa * (weights @ phi))
    return load


def solve_held(
    elements: Elements, poisson: float, load: np.ndarray, held: np.ndarray
) -> np.ndarray:
    k = stiffness_matrix(elements, *lame_mpa(E_MPA, poisson))
    free = np.setdiff1d(np.arange(k.shape[0]), held)
    u = np.zeros(k.shape[0])
    u[free] = factorise(k[free][:, free].tocsc())(load[free])
    return u


def test_prism_split_conforms_and_fills_the_plate() -> None:
    solid = plate(40.0, 20.0, 3.0, 5.0)
    nodes, tets = tetrahedra(solid, 2)
    p = nodes[tets]
    vol = np.einsum("ij,ij->i", np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]), p[:, 3] - p[:, 0])
    assert (vol > 0).all()
    assert vol.sum() / 6.0 == pytest.approx(40.0 * 20.0 * 3.0, rel=1e-12)
    # conforming: every interior triangle is shared by exactly two tetrahedra
    faces = np.sort(tets[:, [[0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3]]].reshape(-1, 3), axis=1)
    _, count = np.unique(faces, axis=0, return_counts=True)
    boundary_area = 2 * (40 * 20 + 40 * 3 + 20 * 3)
    tri = nodes[np.unique(faces, axis=0)[count == 1]]
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    assert set(count) == {1, 2}
    assert area.sum() == pytest.approx(boundary_area, rel=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_volume_and_top_area_are_the_plates(kind: str) -> None:
    elements = KINDS[kind](plate(40.0, 20.0, 3.0, 5.0), 2)
    assert elements.volumes_mm3.sum() == pytest.approx(40.0 * 20.0 * 3.0, rel=1e-12)
    assert top_quadrature(elements)[1].sum() == pytest.approx(40.0 * 20.0, rel=1e-12)
    assert np.allclose(elements.nodes_mm[elements.top_faces, 2], 3.0)
    assert np.allclose(elements.nodes_mm[elements.underside, 2], 0.0)


@pytest.mark.parametrize(
    ("kind", "spacing_mm"), [("wedges", 5.0), ("wedges", 2.5), ("tetrahedra", 5.0)]
)
def test_cantilever_tip_deflection_under_pressure_is_q_l4_over_8ei(
    kind: str, spacing_mm: float
) -> None:
    """A 100 x 20 x 3 mm strip clamped at x = 0, 0.002 MPa on its top: w = q b L^4 / 8 E I
    (Euler-Bernoulli; Poisson's ratio 0 so that the strip is a beam)."""
    length, width, thick, q = 100.0, 20.0, 3.0, 0.002
    elements = KINDS[kind](plate(length, width, thick, spacing_mm), 1)
    x = elements.nodes_mm
    clamped = np.flatnonzero(x[:, 0] < 1e-9)
    held = np.concatenate([3 * clamped + i for i in range(3)])
    u = solve_held(elements, 0.0, pressure_on_top(elements, q), held)
    tip = np.flatnonzero(x[:, 0] > length - 1e-9)
    inertia = width * thick**3 / 12.0
    expected = q * width * length**4 / (8.0 * E_MPA * inertia)
    assert -u[3 * tip + 2].mean() == pytest.approx(expected, rel=0.03)


def navier_centre_deflection(side_mm: float, thick_mm: float, q_mpa: float, nu: float) -> float:
    """Centre deflection of a simply supported square plate under uniform pressure, Navier's
    double series (Timoshenko & Woinowsky-Krieger, Theory of plates and shells, sec. 30)."""
    rigidity = E_MPA * thick_mm**3 / (12.0 * (1.0 - nu**2))
    odd = np.arange(1, 200, 2)
    m, n = np.meshgrid(odd, odd)
    terms = np.sin(m * np.pi / 2) * np.sin(n * np.pi / 2) / (m * n * (m**2 + n**2) ** 2)
    return float(16.0 * q_mpa * side_mm**4 / (np.pi**6 * rigidity) * terms.sum())


@pytest.mark.parametrize("kind", KINDS)
def test_simply_supported_square_plate_centre_deflection_is_navier(kind: str) -> None:
    """100 mm square, 2 mm thick (thin: span 50 thicknesses), 0.01 MPa: vertical held on the
    mid-thickness line of every edge; in-plane rigid motions held at the centre."""
    side, thick, q, nu = 100.0, 2.0, 0.01, 0.3
    elements = KINDS[kind](plate(side, side, thick, 5.0), 1)
    locs = elements.nodes_mm.T
    on_edge = (
        (np.isclose(locs[0], 0) | np.isclose(locs[0], side) | np.isclose(locs[1], 0))
        | np.isclose(locs[1], side)
    ) & np.isclose(locs[2], thick / 2)

    def nearest(x: float, y: float, z: float) -> int:
        return int(np.argmin(np.linalg.norm(locs.T - [x, y, z], axis=1)))

    centre, east = nearest(side / 2, side / 2, 0.0), nearest(side, side / 2, 0.0)
    held = np.concatenate(
        [3 * np.flatnonzero(on_edge) + 2, [3 * centre, 3 * centre + 1, 3 * east + 1]]
    )
    u = solve_held(elements, nu, pressure_on_top(elements, q), held)
    mid = nearest(side / 2, side / 2, thick)
    assert np.hypot(locs[0, mid] - side / 2, locs[1, mid] - side / 2) < 0.01
    expected = navier_centre_deflection(side, thick, q, nu)
    assert expected == pytest.approx(
        0.00406 * q * side**4 * 12 * (1 - nu**2) / (E_MPA * thick**3), rel=0.01
    )
    assert -u[3 * mid + 2] == pytest.approx(expected, rel=0.03)
