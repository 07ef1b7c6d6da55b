"""The 15-node quadratic wedge of ``shellgen.mechanics._elements``, written by hand.

What an element must do before it is trusted: interpolate its nodes, sum to one, integrate
its own volume, reproduce any linear displacement exactly on a distorted mesh (the patch
test), give zero energy to the six rigid-body motions and only to them, and agree with the
quadratic tetrahedra it replaced on a real shell.
"""

from __future__ import annotations

import numpy as np
import pytest
from _shapes import bowed_solid
from feet import shell_spec, synthetic_foot

from shellgen.mechanics import SEAT_MM, Solid, patient_load, settle, solid_of_shell
from shellgen.mechanics._elements import (
    face_points,
    face_values,
    tetrahedra_p2,
    wedge_gradients,
    wedge_rule,
    wedge_values,
    wedges,
)
from shellgen.mechanics._fem import (
    element_stiffness,
    lame_mpa,
    model,
    peak_stress_mpa,
    solve,
    stiffness_matrix,
    von_mises_mpa,
)
from shellgen.mechanics._response import lateral_midfoot_mm
from shellgen.shell import build

#: Reference nodes of the wedge, (r, s, zeta): corners, mid-edges below then above, mid-heights.
NODES = np.array(
    [[0, 0, -1], [1, 0, -1], [0, 1, -1], [0, 0, 1], [1, 0, 1], [0, 1, 1],
     [0.5, 0, -1], [0.5, 0.5, -1], [0, 0.5, -1], [0.5, 0, 1], [0.5, 0.5, 1], [0, 0.5, 1],
     [0, 0, 0], [1, 0, 0], [0, 1, 0]],
    dtype=np.float64,
)  # fmt: skip
LAME = lame_mpa(1800.0, 0.39)


def random_points(count: int, seed: int) -> np.ndarray:
    r, s, z = np.random.default_rng(seed).random((3, count))
    return np.column_stack([r * (1 - s), s, 2 * z - 1])  # inside the reference wedge


def test_each_shape_function_is_one_at_its_node_and_zero_at_the_others() -> None:
    assert np.abs(wedge_values(NODES) - np.eye(15)).max() < 1e-14


def test_shape_functions_sum_to_one_and_reproduce_the_coordinates() -> None:
    p = random_points(50, 1)
    values, grads = wedge_values(p), wedge_gradients(p)
    assert np.allclose(values.sum(axis=1), 1.0, atol=1e-14)
    assert np.allclose(values @ NODES, p, atol=1e-14)  # quadratic: reproduces linear fields
    assert np.allclose(np.einsum("qk,qkd->qd", np.ones((50, 15)), grads), 0.0, atol=1e-13)
    assert np.allclose(np.einsum("kc,qka->qca", NODES, grads), np.eye(3), atol=1e-13)


def test_gradients_are_the_derivatives_of_the_values() -> None:
    p, h = random_points(20, 2), 1e-6
    for axis in range(3):
        step = np.zeros(3)
        step[axis] = h
        numeric = (wedge_values(p + step) - wedge_values(p - step)) / (2 * h)
        assert np.abs(numeric - wedge_gradients(p)[:, :, axis]).max() < 1e-8


def test_the_rules_integrate_the_reference_wedge_and_triangle() -> None:
    points, weights = wedge_rule()
    assert weights.sum() == pytest.approx(1.0)  # area 1/2 times height 2
    # r^2 zeta^4 over the wedge: (1/12) * (2/5)
    assert (weights * points[:, 0] ** 2 * points[:, 2] ** 4).sum() == pytest.approx(1 / 30)
    tri, tw = face_points()
    assert tw.sum() == pytest.approx(0.5)
    assert np.allclose(face_values(tri).sum(axis=1), 1.0)
    # r^3 s^3 over the triangle: 3! 3! / 8! (degree 6, exact)
    assert (tw * tri[:, 0] ** 3 * tri[:, 1] ** 3).sum() == pytest.approx(36 / 40320)


@pytest.fixture(scope="module")
def bowed() -> Solid:
    return bowed_solid(12.0, 8.0)


def test_patch_test_a_linear_displacement_is_reproduced_on_a_distorted_mesh(
    bowed: Solid,
) -> None:
    """u = A x: no force at any interior node, and its gradient A at every point."""
    elements = wedges(bowed, 2)
    grad_u = np.array([[1.0, 0.3, -0.2], [0.1, -0.5, 0.4], [0.6, 0.2, 0.7]]) * 1e-3
    u = (elements.nodes_mm @ grad_u.T).ravel()
    force = stiffness_matrix(elements, *LAME) @ u
    x = elements.nodes_mm
    pairs = np.sort(bowed.triangles[:, [[0, 1], [1, 2], [2, 0]]], axis=2).reshape(-1, 2)
    edges, count = np.unique(pairs, axis=0, return_counts=True)
    rim = edges[count == 1]  # plan edges of one triangle: the outline
    rim_xy = np.concatenate([bowed.points[rim].reshape(-1, 2), bowed.points[rim].mean(axis=1)])
    on_rim = (np.linalg.norm(x[:, None, :2] - rim_xy[None], axis=2) < 1e-9).any(axis=1)
    on_face = np.zeros(len(x), dtype=bool)
    on_face[elements.underside] = True
    on_face[elements.top_faces.ravel()] = True
    interior = np.flatnonzero(~on_rim & ~on_face)
    assert len(interior) > 10
    scale = np.abs(force).max()
    assert np.abs(force.reshape(-1, 3)[interior]).max() < 1e-10 * scale
    ue = u.reshape(-1, 3)[elements.element_nodes]
    grads = np.einsum("eki,eqkj->eqij", ue, elements.gradients)
    assert np.abs(grads - grad_u).max() < 1e-12


def test_a_wedge_has_six_rigid_motions_of_zero_energy_and_no_other(bowed: Solid) -> None:
    elements = wedges(bowed, 1)
    ke = element_stiffness(elements, *LAME)[:, :, 0]  # (i, j, a, b) of the first element
    k = ke.transpose(2, 0, 3, 1).reshape(45, 45)
    x = elements.nodes_mm[elements.element_nodes[0]]
    rigid = [np.tile(np.eye(3)[i], 15) for i in range(3)]
    rigid += [np.cross(np.eye(3)[i], x).ravel() for i in range(3)]
    for mode in rigid:
        assert np.abs(k @ mode).max() < 1e-9 * np.abs(k).max() * np.abs(mode).max()
    eig = np.linalg.eigvalsh(k)
    assert (np.abs(eig[:6]) < 1e-9 * eig[-1]).all()
    assert eig[6] > 1e-6 * eig[-1]


def test_wedges_and_quadratic_tetrahedra_agree_on_a_real_shell() -> None:
    """The synthetic foot's sulcus shell at 6 mm, the patient's walking load at 75 kg: mean
    arch deflection within 6 % and peak stress within 10 % (measured 0.398 and 0.379 mm;
    at 3 mm 0.352 and 0.344 mm, 8.90 and 8.75 MPa)."""
    foot = synthetic_foot()
    shell = build(foot, shell_spec("sulcus", post_angle_deg=0.0))
    apex = foot.landmarks.arch_apex
    solid = settle(solid_of_shell(shell, 6.0), apex, SEAT_MM)
    case = patient_load(apex, lateral_midfoot_mm(solid.outline, apex, 27.2), 75.0)
    results = []
    for kind in (wedges, tetrahedra_p2):
        m = model(kind(solid, 1), 1800.0, 0.39)
        sol = solve(m, case)
        results.append((sol.patches[0].mean_deflection_mm, peak_stress_mpa(m, sol.u)))
        assert von_mises_mpa(m, sol.u).shape == m.elements.volumes_mm3.shape
    (wedge_mm, wedge_mpa), (tet_mm, tet_mpa) = results
    assert wedge_mm == pytest.approx(tet_mm, rel=0.06)
    assert wedge_mpa == pytest.approx(tet_mpa, rel=0.10)
