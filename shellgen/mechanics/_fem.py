"""Linear elasticity of a solid on a rigid frictionless plate, 15-node quadratic wedges.

The solid is one layer of quadratic wedges through its thickness
(:func:`~shellgen.mechanics._elements.wedges`): the displacement is quadratic in plan and
through the thickness, so a thin plate bends without the shear locking that made linear
tetrahedra five times too stiff here. Any :class:`~shellgen.mechanics._elements.Elements`
(the quadratic tetrahedra kept as reference too) is assembled and solved the same way;
displacement component ``i`` of node ``s`` is global dof ``3 s + i``. The stiffness is
assembled with nine batched matrix products over all elements
(:func:`element_stiffness`) rather than with ``skfem.asm`` of the vector form, which loops
in Python over the pairs of local basis functions (0.33 s for 3.3 k dofs; see
:func:`stiffness_matrix` for how the blocks are summed).

Supports: the plate is the plane z = 0, rigid and frictionless. Every underside node on
it (within :data:`SEAT_MM`, a rounding tolerance) is held vertically and free to slide. The
three rigid motions in the plane of the plate, which a frictionless plate does not stop,
are removed minimally: x and y held at the resting node nearest the centroid of the resting
ones, and the in-plane component perpendicular to the line between them at the resting node
farthest from it. The loads are vertical, so these holds carry no force. A held dof keeps
its place in the matrix (its row and column zeroed, a unit diagonal), so that the pattern,
and with it the Cholesky factorisation's symbolic analysis, depends on the plan mesh alone
and serves every thickness a calibration tries (:class:`PlanCache`).

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

Closing gaps: underside that floats a fraction of a millimetre over the plate is free, and
under the patient's load it may pass through the plate. On McCormick's four reference shells
(``scripts/deflection_targets.py``) at walking load, 386 to 543 underside nodes went 0.12 to
0.63 mm below z = 0 (none under the bench load). Contact for them, by an active set that
holds a node reaching the plate and releases one the plate pulls, settled in 8 to 13
factorisations with 7 to 12 nodes held, and changed the arch deflection by -3 to -5 % and
the peak stress by -6 to -13 %. It is not done: it would cost ten times the solve for a
few per cent, and the deflection targets, derived with this same model, would move with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from shapely.geometry import Polygon
from sksparse.cholmod import CholmodNotPositiveDefiniteError, analyze, cholesky

from shellgen._typing import BoolArray, FloatArray, IntArray
from shellgen.errors import GeometryError
from shellgen.mechanics._elements import Elements, face_points, face_values
from shellgen.mechanics._loads import LoadCase, Patch
from shellgen.mechanics._solid import SEAT_MM

__all__ = [
    "PEAK_VOLUME_SHARE",
    "SEAT_MM",
    "Model",
    "PatchResult",
    "Pattern",
    "PlanCache",
    "Solution",
    "element_stiffness",
    "factorise",
    "held_fixed",
    "lame_mpa",
    "model",
    "pattern_of",
    "peak_stress_mpa",
    "scaled",
    "solve",
    "stiffness_matrix",
    "supports",
    "top_quadrature",
    "von_mises_mpa",
]


def lame_mpa(modulus_mpa: float, poisson_ratio: float) -> tuple[float, float]:
    """Lamé's lambda and mu (MPa) of an isotropic material."""
    lam = modulus_mpa * poisson_ratio / ((1.0 + poisson_ratio) * (1.0 - 2.0 * poisson_ratio))
    return lam, modulus_mpa / (2.0 * (1.0 + poisson_ratio))


@dataclass(frozen=True, eq=False)
class Pattern:
    """Where every element's 3 x 3 blocks go in the global stiffness (CSR, symmetric).

    Depends only on the connectivity, so one plan mesh at any thickness shares it.

    Attributes
    ----------
    nodes : int
        Node count N (the matrix is 3 N square).
    block_of : (e k k,) int
        Index of each element block (element, local a, local b) among the distinct blocks.
    indices, indptr : int32 arrays
        The CSR structure of the 3 N x 3 N matrix (32-bit: a shell's stiffness has tens of
        millions of entries at most, and half the bytes are half the memory traffic).
    position : (nnz,) int32
        Where each distinct block's entries (block, i, j), flattened, go in the CSR data.
    diagonal : (3 N,) int
        Position of each diagonal entry in the CSR data.
    """

    nodes: int
    block_of: IntArray
    indices: NDArray[np.int32]
    indptr: NDArray[np.int32]
    position: NDArray[np.int32]
    diagonal: IntArray


def pattern_of(element_nodes: IntArray, nodes: int) -> Pattern:
    """The block pattern of a mesh: ``np.unique`` over the pairs of nodes of every element,
    expanded once into the CSR structure of the 3 N x 3 N stiffness.

    Scalar row ``3 r + i`` holds, block by block along block row ``r``, the three columns
    ``3 c + j`` of each block ``(r, c)``: where each block entry goes follows from the block
    row's start and length, without sorting the 9-fold expanded entries again.
    """
    e = element_nodes.astype(np.int64)
    keys = (e[:, :, None] * nodes + e[:, None, :]).ravel()
    blocks, block_of = np.unique(keys, return_inverse=True)
    block_row, block_col = blocks // nodes, blocks % nodes
    block_ptr = np.searchsorted(block_row, np.arange(nodes + 1))
    per_row = np.diff(block_ptr)
    three = np.arange(3)
    start = 9 * block_ptr[block_row] + 3 * (np.arange(len(blocks)) - block_ptr[block_row])
    position = (
        start[:, None, None]
        + (3 * per_row[block_row])[:, None, None] * three[None, :, None]
        + three[None, None, :]
    )  # (blocks, i, j)
    nnz = 9 * len(blocks)
    indices = np.empty(nnz, dtype=np.int32)
    indices[position] = 3 * block_col[:, None, None] + three[None, None, :]
    indptr = np.concatenate([[0], np.cumsum(np.repeat(3 * per_row, 3))])
    diagonal = position[block_row == block_col][:, three, three].ravel()  # dof 3 r + i
    return Pattern(
        nodes,
        block_of.astype(np.int64),
        indices,
        indptr.astype(np.int32),
        position.ravel().astype(np.int32),
        diagonal.astype(np.int64),
    )


def element_stiffness(elements: Elements, lam: float, mu: float) -> FloatArray:
    """Element stiffness blocks by component pair, ``(i, j, e, a, b)``, N/mm.

    ``K[(a, i), (b, j)] = integral of lam da_i db_j + mu (da_j db_i + delta_ij grad a . grad b)``
    for local shape functions ``a, b`` and components ``i, j``: the nine batched matrix
    products ``A_ij[a, b] = sum_q w da_i db_j`` give all three terms, as
    ``lam A_ij + mu A_ji + delta_ij mu sum_l A_ll``. Laid out component pair first, so that
    each pair is summed into the pattern from contiguous memory.
    """
    g = elements.gradients  # (e, q, k, 3)
    by_component = np.ascontiguousarray(g.transpose(3, 0, 2, 1))  # (3, e, k, q)
    weighted = by_component * elements.volumes_mm3[None, :, None, :]
    a = np.matmul(weighted[:, None], by_component.transpose(0, 1, 3, 2)[None])
    lap = mu * (a[0, 0] + a[1, 1] + a[2, 2])
    ke = np.empty_like(a)
    for i in range(3):  # pair by pair: no temporary of the whole size
        for j in range(3):
            np.multiply(a[i, j], lam, out=ke[i, j])
            ke[i, j] += mu * a[j, i]
        ke[i, i] += lap
    return ke


def stiffness_matrix(
    elements: Elements, lam: float, mu: float, pattern: Pattern | None = None
) -> sp.csr_matrix:
    """Global stiffness of isotropic linear elasticity, N/mm.

    Assembled by 3 x 3 blocks, one per pair of nodes: the block pattern (:func:`pattern_of`,
    computed here unless given) locates the blocks, ``np.bincount`` sums them, and a fixed
    map spreads them into CSR. Handing scipy the scalar entries of every element as
    coordinates instead spent 1.06 s of 1.6 s (61 k dofs) in sorting and summing duplicates.
    """
    nodes = len(elements.nodes_mm)
    pat = pattern_of(elements.element_nodes, nodes) if pattern is None else pattern
    ke = element_stiffness(elements, lam, mu).reshape(9, -1)
    count = len(pat.position) // 9
    blocks = np.empty((count, 9))
    for c in range(9):
        blocks[:, c] = np.bincount(pat.block_of, weights=ke[c], minlength=count)
    data = np.empty(len(pat.position))
    data[pat.position] = blocks.ravel()
    n = 3 * nodes
    return sp.csr_matrix((data, pat.indices, pat.indptr), shape=(n, n))


def factorise(
    stiffness: sp.csc_matrix, symbolic: Any | None = None
) -> Callable[[FloatArray], FloatArray]:
    """Factorise the symmetric positive definite stiffness for repeated solves.

    The one place the solver is chosen. With the supports applied the stiffness is
    symmetric positive definite, so a sparse Cholesky (CHOLMOD, supernodal, through
    scikit-sparse) does half of LU's work and serves every load case. ``symbolic`` is a
    CHOLMOD analysis of the same pattern (``sksparse.cholmod.analyze``) to reuse; without it
    CHOLMOD analyses the matrix with its own choice of ordering. The solid's stiffness comes
    already ordered (:func:`~shellgen.mechanics._elements.plan_order`), and its analysis
    with the natural ordering is kept in a :class:`PlanCache`.

    Threads: CHOLMOD's dense supernodal blocks run on OpenBLAS with the threads the caller
    allows. On the synthetic foot's sulcus shell at 3 mm (45 k dofs of wedges, 2.5 GFlop,
    8.5 M nonzeros in L) the numeric factorisation took 0.50 s on one thread and 0.34 s on
    two on a quiet 2-core machine; on cores shared with other work (load average 5 to 9) the
    second thread gained nothing. So a single build or the ``mechanics`` command uses them
    all, and a batch, which runs one job per core, holds each job to one
    (:mod:`shellgen.batch`). Other orderings of the same matrix, analysed by CHOLMOD: AMD
    10.1 M nonzeros (0.80 s on one thread), METIS 9.2 M (0.71 s), nested dissection 9.4 M
    (0.73 s): the plan-graph order (:func:`~shellgen.mechanics._elements.plan_order`) is
    the sparsest. The quadratic tetrahedra before (61 k dofs) took 0.9 to 1.5 s and 0.7 s of
    analysis. Earlier choices, on the tetrahedra: simplicial CHOLMOD 4.1 s, Debian's
    reference BLAS 5.1 s (hence ``libopenblas0-pthread`` in the Makefile); SuperLU with the
    ``MMD_AT_PLUS_A`` ordering 2 to 4.3 s (18.6 s with the default ``COLAMD``); pyamg
    smoothed aggregation with the rigid-body modes as CG preconditioner (4.6 s setup, 28 s
    for 87 iterations: thin elements defeat it); MKL Pardiso through pypardiso (1.9 s, a
    200 MB dependency). Displacements agree with SuperLU's to 1e-11.

    Raises
    ------
    GeometryError
        If CHOLMOD meets a pivot that is not positive: a part of the solid held by nothing
        (a nearly singular stiffness, a part held by too little, may pass unnoticed).
    """
    try:
        if symbolic is None:
            factor = cholesky(stiffness, mode="supernodal")
        else:
            factor = symbolic.cholesky(stiffness)
    except CholmodNotPositiveDefiniteError as err:
        raise GeometryError(
            "the shell's stiffness is singular: a part of it does not rest on z = 0 through "
            "the rest; give one connected shell standing on its underside"
        ) from err
    return cast(Callable[[FloatArray], FloatArray], factor)


def held_fixed(stiffness: sp.csr_matrix, pattern: Pattern, held: BoolArray) -> sp.csc_matrix:
    """The stiffness with the held dofs' rows and columns zeroed and a unit diagonal: the
    same pattern whichever dofs are held (symmetric, so its CSR arrays serve as CSC)."""
    keep = ~held
    keep_row = np.repeat(keep, np.diff(pattern.indptr))
    data = stiffness.data * (keep_row & keep[pattern.indices])
    data[pattern.diagonal[held]] = 1.0
    n = stiffness.shape[0]
    return sp.csc_matrix((data, pattern.indices, pattern.indptr), shape=(n, n))


class PlanCache:
    """What the mechanics of one plan mesh keep between solves: for a calibration's trials.

    A calibration solves the same shell plan at several thicknesses: only the nodes' heights
    change. The node order, the stiffness pattern and CHOLMOD's symbolic analysis depend on
    the plan mesh alone; a cache keeps them from the first :func:`model` and reuses them
    while the plan mesh (points, triangles, layers) is the same, rebuilding them otherwise.
    Create one per shell being tuned and pass it to every
    :func:`~shellgen.mechanics.respond` as ``cache=``; it holds no result, only these, and
    belongs to one thread at a time (it is filled on first use).
    """

    def __init__(self) -> None:
        self._key: tuple[FloatArray, IntArray, int] | None = None
        self._kept: dict[str, Any] = {}

    def kept(self, points: FloatArray, triangles: IntArray, layers: int) -> dict[str, Any]:
        """The values kept for this plan mesh: empty for a new one (filled by the caller)."""
        key = self._key
        if (
            key is None
            or key[2] != layers
            or key[0].shape != points.shape
            or key[1].shape != triangles.shape
            or not np.array_equal(key[0], points)
            or not np.array_equal(key[1], triangles)
        ):
            self._key = (points.copy(), triangles.copy(), layers)
            self._kept = {}
        return self._kept


@dataclass(frozen=True, eq=False)
class Model:
    """The meshed solid with its stiffness, its supports and factorisation.

    Attributes
    ----------
    elements : Elements
        The mesh (:mod:`shellgen.mechanics._elements`).
    stiffness : scipy.sparse.csr_matrix
        Global stiffness without supports, N/mm.
    free : (k,) int
        Degrees of freedom not held by the supports.
    factor : callable
        Solves with the factorised stiffness (all dofs; the held ones decoupled).
    lame_mpa : (2,) float
        Lamé's lambda and mu, MPa.
    stands_on : Polygon
        Convex hull of the resting underside seen from above, mm. Along its long axis (the
        foot's), a load's resultant must fall within it widened by the load's radius, or the
        shell would be a cantilever from one end. Across it is not asked: the medial arch
        plate rises beside the resting lateral side, and the held plate stops the sideways
        tipping that a loose plate would allow.
    """

    elements: Elements
    stiffness: sp.csr_matrix
    free: IntArray
    factor: Callable[[FloatArray], FloatArray]
    lame_mpa: tuple[float, float]
    stands_on: Polygon


def supports(elements: Elements, bed_mm: FloatArray | None = None) -> tuple[IntArray, Polygon]:
    """Dofs held by the plate and the resting underside's convex hull in plan (mm).

    An underside node rests where it lies within :data:`SEAT_MM` of its bed: ``bed_mm`` per
    node (:func:`~shellgen.mechanics._seat.bed_heights_mm`: a posted heel's own plane), or
    the plate z = 0 when not given.

    Raises
    ------
    GeometryError
        If fewer than three non-collinear underside nodes rest on the plate.
    """
    locs = elements.nodes_mm
    bed = np.zeros(len(locs)) if bed_mm is None else bed_mm
    resting = elements.underside[locs[elements.underside, 2] - bed[elements.underside] <= SEAT_MM]
    xy = locs[resting, :2]
    if len(xy) < 3 or np.linalg.matrix_rank(xy[1:] - xy[0], tol=1.0) < 2:
        raise GeometryError(
            f"only {len(xy)} underside nodes rest on z = 0 (within {SEAT_MM} mm), not an "
            "area: the shell must stand on its underside with z up"
        )
    anchor = resting[np.argmin(np.linalg.norm(xy - xy.mean(axis=0), axis=1))]
    far = resting[np.argmax(np.linalg.norm(xy - locs[anchor, :2], axis=1))]
    along = locs[far, :2] - locs[anchor, :2]
    across = 1 if abs(along[0]) >= abs(along[1]) else 0  # the component nearer the normal
    held = np.concatenate([3 * resting + 2, [3 * anchor, 3 * anchor + 1, 3 * far + across]])
    return np.unique(held), shapely.convex_hull(shapely.multipoints(xy))


def model(
    elements: Elements,
    modulus_mpa: float,
    poisson_ratio: float,
    kept: dict[str, Any] | None = None,
    bed_mm: FloatArray | None = None,
) -> Model:
    """Assemble and factorise the stiffness of the solid standing on the plate z = 0, or on
    the beds ``bed_mm`` (:func:`supports`).

    Parameters
    ----------
    elements : Elements
        The meshed solid, its nodes numbered in a fill-reducing order.
    modulus_mpa, poisson_ratio : float
        Young's modulus (MPa) and Poisson's ratio.
    kept : dict, optional
        A :class:`PlanCache`'s values for this mesh's connectivity: the pattern and the
        symbolic analysis are taken from it, or computed and stored in it.

    Raises
    ------
    GeometryError
        If fewer than three non-collinear underside nodes rest on the plate.
    """
    kept = {} if kept is None else kept
    held, stands_on = supports(elements, bed_mm)
    if "pattern" not in kept:
        kept["pattern"] = pattern_of(elements.element_nodes, len(elements.nodes_mm))
    pattern = kept["pattern"]
    lam, mu = lame_mpa(modulus_mpa, poisson_ratio)
    stiffness = stiffness_matrix(elements, lam, mu, pattern)
    is_held = np.zeros(stiffness.shape[0], dtype=bool)
    is_held[held] = True
    fixed = held_fixed(stiffness, pattern, is_held)
    if "symbolic" not in kept:
        ordering = "natural" if elements.ordered else "default"
        kept["symbolic"] = analyze(fixed, mode="supernodal", ordering_method=ordering)
    factor = factorise(fixed, kept["symbolic"])
    return Model(elements, stiffness, np.flatnonzero(~is_held), factor, (lam, mu), stands_on)


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
        Displacement dofs, mm (``3 s + i``: component ``i`` of node ``s``).
    patches : tuple of PatchResult
        One per patch of the load case, in order.
    """

    u: FloatArray
    patches: tuple[PatchResult, ...]


def _inside(x: FloatArray, patch: Patch) -> FloatArray:
    cx, cy = patch.centre_mm
    inside = (x[..., 0] - cx) ** 2 + (x[..., 1] - cy) ** 2 <= patch.radius_mm**2
    return np.asarray(inside, dtype=np.float64)


def top_quadrature(elements: Elements) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The top faces' quadrature: points (f, q, 3) mm, weights times area (f, q) mm^2, and
    the 6-node triangle's shape functions (q, 6). The faces are flat (their mid-edge nodes
    are midpoints), so the area element is constant on each."""
    ref, weights = face_points()
    corners = elements.nodes_mm[elements.top_faces[:, :3]]  # (f, 3, 3)
    area2 = np.linalg.norm(
        np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1
    )
    linear = np.column_stack([1.0 - ref.sum(axis=1), ref])  # (q, 3)
    x = np.einsum("qc,fcd->fqd", linear, corners)
    return x, area2[:, None] * weights[None, :], face_values(ref)


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
    faces = m.elements.top_faces
    x, weights, phi = top_quadrature(m.elements)
    n = 3 * len(m.elements.nodes_mm)
    load = np.zeros(n)
    inds, areas = [], []
    for patch in case.patches:
        ind = _inside(x, patch)
        area = float((ind * weights).sum())
        if area <= 0.0:
            raise GeometryError(
                f"the {case.name} load at ({patch.centre_mm[0]:.1f}, {patch.centre_mm[1]:.1f}) "
                "mm covers none of the shell's top: give a point on the shell"
            )
        vals = -(patch.force_n / area) * ((ind * weights) @ phi)  # (f, 6)
        load += np.bincount((3 * faces + 2).ravel(), weights=vals.ravel(), minlength=n)
        inds.append(ind)
        areas.append(area)
    held = np.ones(n, dtype=bool)
    held[m.free] = False
    load[held] = 0.0
    u = m.factor(load)
    u[held] = 0.0
    uz = u[3 * faces + 2] @ phi.T  # (f, q)
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
    ue = u.reshape(-1, 3)[m.elements.element_nodes]  # (e, k, 3)
    grad = np.einsum("eki,eqkj->eqij", ue, m.elements.gradients)
    eps = 0.5 * (grad + grad.transpose(0, 1, 3, 2))
    tr = np.trace(eps, axis1=2, axis2=3)
    dev = 2.0 * mu * (eps - (tr / 3.0)[:, :, None, None] * np.eye(3))
    return np.asarray(np.sqrt(1.5 * np.einsum("eqij,eqij->eq", dev, dev)), dtype=np.float64)


#: Share of the volume the reported peak stress is taken over (see :func:`peak_stress_mpa`).
PEAK_VOLUME_SHARE = 0.999


def peak_stress_mpa(m: Model, u: FloatArray) -> float:
    """Peak von Mises stress, MPa: the level only 0.1 % of the volume exceeds.

    Each quadrature point stands for its weight's share of the volume. Not the largest
    value at a point: at the edge of the held underside the stress of a rigid bilateral
    plate is singular and grows without bound as the mesh is refined (on the synthetic shell
    at 75 kg walking, quadratic tetrahedra: 11.4, 15.7, 19.8 MPa at 4, 3, 2 mm spacing).
    Nor, as before the wedges, each element's largest value over its whole volume: that
    depends on the element's size and where its rule samples it (on the synthetic shell's
    walking load, wedges 11.0 MPa with 3 x 3 points, 13.2 with 6 x 5, 14.3 with 12 x 8;
    quadratic tetrahedra 10.0), where the percentile over points does not (wedges 8.90,
    8.89, 8.84; tetrahedra 8.75; two layers of wedges 8.77).
    """
    vm = von_mises_mpa(m, u).ravel()
    volume = m.elements.volumes_mm3.ravel()
    order = np.argsort(vm)
    share = np.cumsum(volume[order]) / volume.sum()
    at = min(int(np.searchsorted(share, PEAK_VOLUME_SHARE)), len(order) - 1)
    return float(vm[order[at]])
