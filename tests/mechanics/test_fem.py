"""The stiffness assembly, the supports and the solver of ``shellgen.mechanics._fem``."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from _shapes import bowed_solid
from skfem import Basis, ElementTetP2, ElementVector, MeshTet, asm
from skfem.models.elasticity import linear_elasticity

from shellgen.errors import GeometryError
from shellgen.mechanics import Solid, tetrahedra
from shellgen.mechanics._elements import Elements, tetrahedra_p2, wedges
from shellgen.mechanics._fem import (
    factorise,
    held_fixed,
    lame_mpa,
    pattern_of,
    stiffness_matrix,
)


@pytest.fixture(scope="module")
def solid() -> Solid:
    return bowed_solid(10.0, 6.0)


def test_block_assembly_is_scikit_fems_vector_elasticity(solid: Solid) -> None:
    lam, mu = lame_mpa(1700.0, 0.4)
    ours = stiffness_matrix(tetrahedra_p2(solid, 1), lam, mu)
    nodes, tets = tetrahedra(solid, 1)
    mesh = MeshTet(np.ascontiguousarray(nodes.T), np.ascontiguousarray(tets.T))
    theirs = asm(linear_elasticity(lam, mu), Basis(mesh, ElementVector(ElementTetP2()), intorder=2))
    assert ours.shape == theirs.shape
    assert sp.linalg.norm(ours - theirs) <= 1e-10 * sp.linalg.norm(theirs)


@pytest.fixture(scope="module")
def wedge_mesh(solid: Solid) -> Elements:
    return wedges(solid, 1)


def clamped_at_x0(elements: Elements) -> np.ndarray:
    ends = np.flatnonzero(elements.nodes_mm[:, 0] < 1e-9)
    held = np.zeros(3 * len(elements.nodes_mm), dtype=bool)
    held[np.concatenate([3 * ends + i for i in range(3)])] = True
    return held


def test_the_factor_solves_the_clamped_stiffness(wedge_mesh: Elements) -> None:
    stiffness = stiffness_matrix(wedge_mesh, *lame_mpa(1700.0, 0.4))
    free = np.flatnonzero(~clamped_at_x0(wedge_mesh))
    clamped = stiffness[free][:, free].tocsc()
    load = np.random.default_rng(1).normal(size=clamped.shape[0])
    u = factorise(clamped)(load)
    assert np.linalg.norm(clamped @ u - load) <= 1e-9 * np.linalg.norm(load)


def test_held_dofs_keep_the_pattern_and_give_the_reduced_solution(wedge_mesh: Elements) -> None:
    pattern = pattern_of(wedge_mesh.element_nodes, len(wedge_mesh.nodes_mm))
    stiffness = stiffness_matrix(wedge_mesh, *lame_mpa(1700.0, 0.4), pattern)
    held = clamped_at_x0(wedge_mesh)
    fixed = held_fixed(stiffness, pattern, held)
    assert np.array_equal(fixed.indices, stiffness.indices)
    assert np.array_equal(fixed.indptr, stiffness.indptr)
    load = np.random.default_rng(2).normal(size=stiffness.shape[0])
    load[held] = 0.0
    u = factorise(fixed)(load)
    free = np.flatnonzero(~held)
    reduced = factorise(stiffness[free][:, free].tocsc())(load[free])
    assert np.abs(u[held]).max() == 0.0
    assert np.allclose(u[free], reduced, rtol=1e-9, atol=1e-12 * np.abs(reduced).max())


def test_a_node_of_no_element_is_refused(wedge_mesh: Elements) -> None:
    stiffness = stiffness_matrix(wedge_mesh, *lame_mpa(1700.0, 0.4))
    free = np.flatnonzero(~clamped_at_x0(wedge_mesh))
    loose = sp.block_diag([stiffness[free][:, free], sp.csr_matrix((3, 3))]).tocsc()
    with pytest.raises(GeometryError, match="singular"):
        factorise(loose)
