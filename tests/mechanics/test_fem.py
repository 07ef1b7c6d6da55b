"""The stiffness assembly and the solver of ``shellgen.mechanics._fem``."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from skfem import Basis, ElementTetP2, ElementVector, MeshTet, asm
from skfem.models.elasticity import linear_elasticity

from shellgen.errors import GeometryError
from shellgen.mechanics._fem import factorise, lame_mpa, stiffness_matrix


@pytest.fixture(scope="module")
def basis() -> Basis:
    """P2 on a skewed 10 x 6 x 2 mm block, 3 x 2 x 1 cells of 6 tetrahedra each."""
    box = MeshTet.init_tensor(np.linspace(0, 10, 4), np.linspace(0, 6, 3), np.linspace(0, 2, 2))
    skewed = box.p + np.array([[0.3], [0.0], [0.1]]) * box.p[1]  # sheared: no right angles
    return Basis(MeshTet(skewed, box.t), ElementTetP2(), intorder=2)


def test_block_assembly_is_scikit_fems_vector_elasticity(basis: Basis) -> None:
    lam, mu = lame_mpa(1700.0, 0.4)
    ours = stiffness_matrix(basis, lam, mu)
    vector = Basis(basis.mesh, ElementVector(ElementTetP2()), intorder=2)
    theirs = asm(linear_elasticity(lam, mu), vector)
    assert ours.shape == theirs.shape
    assert sp.linalg.norm(ours - theirs) <= 1e-10 * sp.linalg.norm(theirs)


@pytest.fixture(scope="module")
def clamped(basis: Basis) -> sp.csc_matrix:
    """The block's stiffness with its x = 0.3 y end clamped: symmetric positive definite."""
    stiffness = stiffness_matrix(basis, *lame_mpa(1700.0, 0.4))
    held = np.flatnonzero(np.isclose(basis.doflocs[0] - 0.3 * basis.doflocs[1], 0.0))
    free = np.setdiff1d(np.arange(3 * basis.N), np.concatenate([3 * held + i for i in range(3)]))
    return stiffness[free][:, free].tocsc()


def test_the_factor_solves_the_clamped_stiffness(clamped: sp.csc_matrix) -> None:
    load = np.random.default_rng(1).normal(size=clamped.shape[0])
    u = factorise(clamped)(load)
    assert np.linalg.norm(clamped @ u - load) <= 1e-9 * np.linalg.norm(load)


def test_a_node_of_no_element_is_refused(clamped: sp.csc_matrix) -> None:
    loose = sp.block_diag([clamped, sp.csr_matrix((3, 3))]).tocsc()
    with pytest.raises(GeometryError, match="singular"):
        factorise(loose)
