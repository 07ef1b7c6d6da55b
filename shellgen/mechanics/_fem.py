"""Linear elasticity of a solid on a rigid frictionless plate, quadratic tetrahedra.

Quadratic tetrahedra (scikit-fem ``ElementTetP2``): their displacement is quadratic, so the
strain varies linearly through a single element and a thin plate bends without the shear
locking that made linear tetrahedra five times too stiff here.

scikit-fem gives the mesh, the scalar P2 basis (gradients, quadrature weights, facet values)
and its degree-of-freedom numbering; displacement component ``i`` of scalar dof ``s`` is
global dof ``3 s + i``. The stiffness is assembled here with one ``einsum`` over all
elements rather than with ``skfem.asm`` of the vector form, which loops in Python over the
900 pairs of local basis functions (measured 0.33 s for 3.3 k dofs; see
:func:`stiffness_matrix` for how the blocks are summed).

Supports: the plate is the plane z = 0, rigid and frictionless. Every underside node on
it (within :data:`SEAT_MM`, a rounding tolerance) is held vertically and free to slide. The
three rigid motions in the plane of the plate, which a frictionless plate does not stop,
are removed minimally: x and y held at the resting node nearest the centroid of the resting
ones, and the in-plane component perpendicular to the line between them at the resting node
farthest from it. The loads are vertical, so these holds carry no force.

Lift-off: the support is linear and bilateral, stated plainly. A resting node cannot rise,
so an end that would lift as the arch flattens is held down. Under the patient's load the
heel and forefoot carry the foot's own load and stay down, which is the situation the
bilateral plate models; and it is the test another FE code can repeat exactly. One-sided
contact was tried (an active-set iteration releasing underside nodes the plate pulls and
adding those that pass through it): under a load on the arch alone the heel and forefoot
pivot on their edges nearest the arch and lift at the ends, the resting set shrank round
after round toward a few points (40 rounds, each a factorisation, without settling), and
the deflection then hangs on point supports (on the synthetic test shell 1.4 mm and rising,
against 0.55 mm held). A shell whose underside touches the plate only on one side of the
load (a heel seat floating above z = 0 that :func:`~shellgen.mechanics._solid.settle` did
not bring down) would be a cantilever: it is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
import scipy.sparse as sp
import shapely
from shapely.geometry import Polygon
from skfem import Basis, ElementTetP2, FacetBasis, MeshTet
from sksparse.cholmod import CholmodNotPositiveDefiniteError, cholesky
from threadpoolctl import threadpool_limits

from shellgen._typing import BoolArray, FloatArray, IntArray
from shellgen.errors import GeometryError
from shellgen.mechanics._loads import LoadCase, Patch

__all__ = [
    "SEAT_MM",
    "Model",
    "PatchResult",
    "Solution",
    "factorise",
    "model",
    "peak_stress_mpa",
    "scaled",
    "solve",
    "stiffness_matrix",
    "von_mises_mpa",
]

#: Underside within this height of z = 0 rests on the plate, mm (a rounding tolerance:
#: the bench deflection of a real shell changes by 40 % between 0.05 and 0.5).
SEAT_MM = 0.05
#: Quadrature order on loaded facets: the circular load edge cuts facets, so the indicator
#: is integrated on more points than the polynomials alone would need.
_FACET_ORDER = 6


def factorise(stiffness: sp.csc_matrix) -> Callable[[FloatArray], FloatArray]:
    """Factorise the symmetric positive definite stiffness for repeated solves.

    The one place the solver is chosen. With the supports applied the stiffness is
    symmetric positive definite, so a sparse Cholesky (CHOLMOD, supernodal, through
    scikit-sparse; its own choice of ordering between AMD and METIS) does half of LU's work
    and serves every load case. Measured on the synthetic foot's sulcus shell at 3 mm
    (61 k dofs, 2 cores shared, load average about 3), factorisation alone: CHOLMOD
    supernodal 0.9 to 1.5 s with OpenBLAS (5.1 s with Debian's reference BLAS, hence
    ``libopenblas0-pthread`` in the Makefile), simplicial 4.1 s; SuperLU with the
    ``MMD_AT_PLUS_A`` ordering 2 to 4.3 s (18.6 s with the default ``COLAMD``). Also tried
    before: pyamg smoothed aggregation with the rigid-body modes as CG preconditioner
    (4.6 s setup, 28 s for 87 iterations: thin elements defeat it) and MKL Pardiso through
    pypardiso (1.9 s, a 200 MB dependency). Displacements agree with SuperLU's to 1e-11.
    OpenBLAS is held to one thread: two gained nothing here (0.95 to 1.02 s against 0.88 to
    0.96 s at load average 3), and the cores are shared with the other tests.

    Raises
    ------
    GeometryError
        If CHOLMOD meets a pivot that is not positive: a part of the solid held by nothing
        (a nearly singular stiffness, a part held by too little, may pass unnoticed).
    """
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            factor = cholesky(stiffness, mode="supernodal")
    except CholmodNotPositiveDefiniteError as err:
        raise GeometryError(
            "the shell's stiffness is singular: a part of it does not rest on z = 0 through "
            "the rest; give one connected shell standing on its underside"
        ) from err
    return cast(Callable[[FloatArray], FloatArray], factor)


def lame_mpa(modulus_mpa: float, poisson_ratio: float) -> tuple[float, float]:
    """Lamé's lambda and mu (MPa) of an isotropic material."""
    lam = modulus_mpa * poisson_ratio / ((1.0 + poisson_ratio) * (1.0 - 2.0 * poisson_ratio))
    return lam, modulus_mpa / (2.0 * (1.0 + poisson_ratio))


def _gradients(basis: Basis) -> FloatArray:
    """Scalar basis gradients, (elements, points, local dofs, 3)."""
    grads = np.stack([phi[0].grad for phi in basis.basis])  # (dofs, 3, elements, points)
    return np.ascontiguousarray(grads.transpose(2, 3, 0, 1))


def stiffness_matrix(basis: Basis, lam: float, mu: float) -> sp.csr_matrix:
    """Global stiffness of isotropic linear elasticity on a scalar basis, N/mm.

    ``K[(a, i), (b, j)] = integral of lam da_i db_j + mu (da_j db_i + delta_ij grad a . grad b)``
    for local scalar functions ``a, b`` and components ``i, j``.

    Assembled by 3 x 3 blocks, one per pair of scalar dofs: the block pattern is found once
    with ``np.unique`` over the 100 pairs of each element, the blocks summed into it with
    ``np.bincount`` and handed to scipy as block sparse rows. Handing scipy the 900 scalar
    entries of every element as coordinates instead spent 1.06 s of 1.6 s (61 k dofs) in
    sorting and summing duplicates; by blocks the whole assembly takes about 0.5 s.
    """
    g = _gradients(basis)
    w = basis.dx  # (elements, points)
    gw = g * w[:, :, None, None]
    ke = lam * np.einsum("eqai,eqbj->eabij", gw, g, optimize=True)
    ke += mu * np.einsum("eqaj,eqbi->eabij", gw, g, optimize=True)
    lap = np.einsum("eqak,eqbk->eab", gw, g, optimize=True)
    for i in range(3):
        ke[:, :, :, i, i] += mu * lap
    dofs = basis.element_dofs.T.astype(np.int64)  # (elements, local dofs)
    keys = (dofs[:, :, None] * basis.N + dofs[:, None, :]).ravel()
    pattern, at = np.unique(keys, return_inverse=True)
    blocks = ke.reshape(len(keys), 9)
    data = np.stack(
        [np.bincount(at, weights=blocks[:, k], minlength=len(pattern)) for k in range(9)],
        axis=1,
    )
    rows = pattern // basis.N
    indptr = np.searchsorted(rows, np.arange(basis.N + 1))
    n = 3 * basis.N
    return sp.bsr_matrix((data.reshape(-1, 3, 3), pattern % basis.N, indptr), shape=(n, n)).tocsr()


@dataclass(frozen=True, eq=False)
class Model:
    """The meshed solid with its stiffness, its underside and top facets.

    Attributes
    ----------
    basis : skfem.Basis
        Scalar P2 basis on the tetrahedra (dof ``3 s + i`` is component ``i`` of its dof ``s``).
    stiffness : scipy.sparse.csr_matrix
        Global stiffness, N/mm.
    free : (k,) int
        Degrees of freedom not held by the supports.
    factor : callable
        Solves with the factorised stiffness on ``free`` (:func:`factorise`).
    top_facets : (j,) int
        Boundary facets on the top surface.
    lame_mpa : (2,) float
        Lamé's lambda and mu, MPa.
    stands_on : Polygon
        Convex hull of the resting underside seen from above, mm. Along its long axis (the
        foot's), a load's resultant must fall within it widened by the load's radius, or the
        shell would be a cantilever from one end. Across it is not asked: the medial arch
        plate rises beside the resting lateral side, and the held plate stops the sideways
        tipping that a loose plate would allow.
    """

    basis: Basis
    stiffness: sp.csr_matrix
    free: IntArray
    factor: Callable[[FloatArray], FloatArray]
    top_facets: IntArray
    lame_mpa: tuple[float, float]
    stands_on: Polygon


@dataclass(frozen=True)
class PatchResult:
    """What one loaded patch saw.

    Attributes
    ----------
    area_mm2 : float
        Top-surface area loaded, mm^2.
    mean_deflection_mm : float
        Area-mean downward displacement of the loaded surface, mm.
    """

    area_mm2: float
    mean_deflection_mm: float


@dataclass(frozen=True, eq=False)
class Solution:
    """Displacements under a load case and what each loaded patch saw.

    Attributes
    ----------
    u : (3 N,) float
        Displacement dofs, mm (``3 s + i``: component ``i`` of scalar dof ``s``).
    patches : tuple of PatchResult
        One per patch of the load case, in order.
    """

    u: FloatArray
    patches: tuple[PatchResult, ...]


def model(
    nodes: FloatArray,
    tets: IntArray,
    bottom_nodes: BoolArray,
    top_nodes: BoolArray,
    modulus_mpa: float,
    poisson_ratio: float,
) -> Model:
    """Assemble and factorise the stiffness of the solid standing on the plate z = 0.

    Parameters
    ----------
    nodes : (n, 3) float
        Tetrahedron vertices, mm.
    tets : (t, 4) int
        Positively oriented tetrahedra.
    bottom_nodes, top_nodes : (n,) bool
        Vertices on the underside and on the top surface (a facet has all three).
    modulus_mpa, poisson_ratio : float
        Young's modulus (MPa) and Poisson's ratio.

    Raises
    ------
    GeometryError
        If fewer than three non-collinear underside nodes rest on the plate.
    """
    mesh = MeshTet(np.ascontiguousarray(nodes.T), np.ascontiguousarray(tets.T))
    basis = Basis(mesh, ElementTetP2(), intorder=2)
    lam, mu = lame_mpa(modulus_mpa, poisson_ratio)
    stiffness = stiffness_matrix(basis, lam, mu)

    boundary = mesh.boundary_facets()
    under_facets = boundary[bottom_nodes[mesh.facets[:, boundary]].all(axis=0)]
    top_facets = boundary[top_nodes[mesh.facets[:, boundary]].all(axis=0)]
    underside = np.unique(basis.get_dofs(facets=under_facets).all())
    resting = underside[basis.doflocs[2, underside] <= SEAT_MM]
    xy = basis.doflocs[:2, resting].T
    if len(xy) < 3 or np.linalg.matrix_rank(xy[1:] - xy[0], tol=1.0) < 2:
        raise GeometryError(
            f"only {len(xy)} underside nodes rest on z = 0 (within {SEAT_MM} mm), not an "
            "area: the shell must stand on its underside with z up"
        )
    anchor = resting[np.argmin(np.linalg.norm(xy - xy.mean(axis=0), axis=1))]
    far = resting[np.argmax(np.linalg.norm(xy - basis.doflocs[:2, anchor], axis=1))]
    along = basis.doflocs[:2, far] - basis.doflocs[:2, anchor]
    across = 1 if abs(along[0]) >= abs(along[1]) else 0  # the component nearer the normal
    held = np.concatenate([3 * resting + 2, [3 * anchor, 3 * anchor + 1, 3 * far + across]])
    free = np.setdiff1d(np.arange(3 * basis.N), held)
    factor = factorise(stiffness[free][:, free].tocsc())
    stands_on = shapely.convex_hull(shapely.multipoints(xy))
    return Model(basis, stiffness, free, factor, top_facets, (lam, mu), stands_on)


def _inside(x: FloatArray, patch: Patch) -> FloatArray:
    cx, cy = patch.centre_mm
    inside = (x[0] - cx) ** 2 + (x[1] - cy) ** 2 <= patch.radius_mm**2
    return np.asarray(inside, dtype=np.float64)


def solve(m: Model, case: LoadCase) -> Solution:
    """Displacements under a load case, solved with the model's factorised stiffness.

    Raises
    ------
    GeometryError
        If a patch covers none of the top surface, or the loads' resultant falls outside
        where the shell stands on the plate.
    """
    total = sum(p.force_n for p in case.patches)
    at = np.sum([np.multiply(p.centre_mm, p.force_n) for p in case.patches], axis=0) / total
    reach = max(p.radius_mm for p in case.patches)
    corners = np.asarray(m.stands_on.exterior.coords)
    centre = corners.mean(axis=0)
    axis = np.linalg.svd(corners - centre, full_matrices=False)[2][0]  # the long axis
    spans = (corners - centre) @ axis
    along = float((at - centre) @ axis)
    if not spans.min() - reach <= along <= spans.max() + reach:
        raise GeometryError(
            f"the shell rests on the plate over {spans.max() - spans.min():.0f} mm along its "
            f"length, and the {case.name} load's resultant at ({at[0]:.1f}, {at[1]:.1f}) mm is "
            f"{min(abs(along - spans.min()), abs(along - spans.max())):.0f} mm beyond it: it "
            "would be a cantilever"
        )
    fb = FacetBasis(m.basis.mesh, m.basis.elem, facets=m.top_facets, intorder=_FACET_ORDER)
    weights = fb.dx  # (facets, points): quadrature weight times facet area
    x = np.asarray(fb.global_coordinates())
    phi = np.stack([np.asarray(f[0]) for f in fb.basis])  # (local dofs, facets, points)
    load = np.zeros(3 * m.basis.N)
    inds, areas = [], []
    for patch in case.patches:
        ind = _inside(x, patch)
        area = float((ind * weights).sum())
        if area <= 0.0:
            raise GeometryError(
                f"the {case.name} load at ({patch.centre_mm[0]:.1f}, {patch.centre_mm[1]:.1f}) "
                "mm covers none of the shell's top: give a point on the shell"
            )
        vals = -(patch.force_n / area) * (phi * (ind * weights)[None]).sum(axis=2)
        np.add.at(load, 3 * fb.element_dofs + 2, vals)
        inds.append(ind)
        areas.append(area)

    u = np.zeros(3 * m.basis.N)
    u[m.free] = m.factor(load[m.free])
    uz = np.asarray(fb.interpolate(u[2::3]))
    results = tuple(
        PatchResult(area, float(-(uz * ind * weights).sum() / area))
        for ind, area in zip(inds, areas, strict=True)
    )
    return Solution(u, results)


def scaled(sol: Solution, factor: float) -> Solution:
    """The solution under every load of its case times ``factor``: the model is linear, so
    an activity's load (the walking load scaled) needs no second solve."""
    patches = tuple(PatchResult(p.area_mm2, p.mean_deflection_mm * factor) for p in sol.patches)
    return Solution(sol.u * factor, patches)


def von_mises_mpa(m: Model, u: FloatArray) -> FloatArray:
    """Von Mises stress at every volume quadrature point, (elements, points), MPa."""
    mu = m.lame_mpa[1]
    grad = np.stack([m.basis.interpolate(u[i::3]).grad for i in range(3)])  # (i, j, e, q)
    eps = 0.5 * (grad + grad.transpose(1, 0, 2, 3))
    tr = eps[0, 0] + eps[1, 1] + eps[2, 2]
    dev = 2.0 * mu * (eps - (tr / 3.0) * np.eye(3)[:, :, None, None])
    return np.asarray(np.sqrt(1.5 * np.einsum("ijeq,ijeq->eq", dev, dev)), dtype=np.float64)


#: Share of the volume the reported peak stress is taken over (see :func:`peak_stress_mpa`).
PEAK_VOLUME_SHARE = 0.999


def peak_stress_mpa(m: Model, u: FloatArray) -> float:
    """Peak von Mises stress, MPa: the level only 0.1 % of the volume exceeds.

    Not the largest value at a quadrature point: at the edge of the held underside the
    stress of a rigid bilateral plate is singular and grows without bound as the mesh is
    refined (on the synthetic shell at 75 kg walking: 11.4, 15.7, 19.8 MPa at 4, 3, 2 mm
    spacing), where the 99.9th percentile by volume converges (9.9, 10.0, 10.3 MPa).
    """
    per_element = von_mises_mpa(m, u).max(axis=1)
    volume = m.basis.dx.sum(axis=1)
    order = np.argsort(per_element)
    share = np.cumsum(volume[order]) / volume.sum()
    at = min(int(np.searchsorted(share, PEAK_VOLUME_SHARE)), len(order) - 1)
    return float(per_element[order[at]])
