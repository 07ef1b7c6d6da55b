"""Quadratic solid elements of the shell: 15-node wedges, and quadratic tetrahedra as reference.

The shell is an extrusion of its plan triangulation, so its natural element is the prism.
The 15-node serendipity wedge (Abaqus C3D15, Code_Aster PENTA15) is quadratic in plan and
through the thickness: a thin plate bends in it without locking, like the 20-node hexahedron.
It has no node in the middle of a side face, so one layer has 9 nodes per plan vertex (27
dofs) where three quadratic tetrahedra per prism have 12 (36 dofs): the Cholesky
factorisation, whose separators are lines of plan vertices, does about (27/36)^3 = 0.42 of
the work. scikit-fem has only the linear wedge, so the shape functions, their derivatives
and the Gauss rule are written here by hand (checked in ``tests/mechanics/test_elements.py``:
nodal interpolation, partition of unity, the patch test on a mesh of varying thickness, six
rigid-body modes of zero energy and no more); scikit-fem gives the triangle quadrature table
and the quadratic tetrahedra.

Measured against the tetrahedra they replace (one layer each):

=========================================  ===============  ================
                                           wedges           tetrahedra
=========================================  ===============  ================
cantilever under pressure, q L^4 / 8 E I   +0.06 %          +0.02 to 0.05 %
Navier plate (span 50 t, 5 mm mesh)        +1.5 %           +0.6 %
synthetic shell 3 mm: dofs                 45 k             61 k
  bench / walking deflection, mm           0.670 / 0.352    0.655 / 0.344
  walking peak stress, MPa                 8.90             8.75
my-feet shell 3 mm: bench / walking, mm    0.504 / 0.176    0.496 / 0.173
factorisation, GFlop (synthetic, my-feet)  2.5, 2.9         -, 4.6
=========================================  ===============  ================

On three more shells at 3 mm (my-feet right runner, insoleTilter plantar cavus, my-feet
left heavy-duty; 2.8 to 5.7 mm thick) the wedges came out 1.7 to 3.1 % softer on the
bench, 2.0 to 4.0 % in walking, with peak stress 2.6 to 6.2 % higher; both converge from
the soft side as the plan is refined (the held underside's edge is a singular line).

Both kinds of mesh become one :class:`Elements` value (nodes, connectivity, shape function
gradients at the quadrature points, the top faces as 6-node triangles, the underside nodes),
which :mod:`shellgen.mechanics._fem` assembles and solves without knowing which it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import sksparse.cholmod as cholmod
from skfem import Basis, ElementTetP2, MeshTet
from skfem.quadrature import get_quadrature
from skfem.refdom import RefTri

from shellgen._typing import FloatArray, IntArray
from shellgen.mechanics._solid import Solid, tetrahedra

__all__ = [
    "FACE_ORDER",
    "Elements",
    "WedgeLayout",
    "face_points",
    "face_values",
    "plan_edges",
    "plan_order",
    "tetrahedra_p2",
    "wedge_gradients",
    "wedge_layout",
    "wedge_rule",
    "wedge_values",
    "wedges",
]

#: Quadrature order on the top faces: the circular edge of a load cuts faces, so the
#: indicator is integrated on more points than the polynomials alone would need.
FACE_ORDER = 6

# Local node numbering of the wedge, (r, s) in the reference triangle, zeta in [-1, 1] from
# the underside up: 0-2 bottom corners a, b, c; 3-5 top corners; 6-8 bottom mid-edges ab, bc,
# ca; 9-11 top mid-edges; 12-14 mid-height of the vertical edges at a, b, c.
_EDGES = ((0, 1), (1, 2), (2, 0))


def wedge_rule() -> tuple[FloatArray, FloatArray]:
    """Gauss rule of the reference wedge: 3 triangle points x 3 Gauss-Legendre points.

    The triangle rule (degree 2) and the 3-point line rule (degree 5) integrate the
    stiffness of a wedge of constant thickness exactly, and ``grad N . adj(J)`` (degree 2 in
    plan, 3 through the thickness) of one whose top and underside vary linearly, so the
    wedges pass the patch test on a shell's mesh. 9 points x 6 strains exceed the 39
    deformation modes: no spurious zero-energy modes. The 6-point triangle rule (18 points)
    changed the synthetic shell's bench deflection by 0.5 % at twice the cost.

    Returns
    -------
    points : (9, 3) float
        ``(r, s, zeta)``.
    weights : (9,) float
        Summing to the reference volume, 1.
    """
    tri = np.array([[1 / 6, 1 / 6], [2 / 3, 1 / 6], [1 / 6, 2 / 3]])
    zeta, zeta_weights = np.polynomial.legendre.leggauss(3)
    points = np.array([[r, s, z] for r, s in tri for z in zeta])
    weights = np.outer(np.full(3, 1 / 6), zeta_weights).ravel()
    return points, np.asarray(weights, dtype=np.float64)


def _area_coordinates(points: FloatArray) -> FloatArray:
    r, s = points[:, 0], points[:, 1]
    return np.stack([1.0 - r - s, r, s], axis=1)


def wedge_values(points: FloatArray) -> FloatArray:
    """The 15 shape functions at reference points ``(r, s, zeta)``, (q, 15)."""
    area = _area_coordinates(points)
    zeta = points[:, 2]
    out = np.empty((len(points), 15))
    for side, z0 in ((0, -1.0), (1, 1.0)):
        for i in range(3):
            li = area[:, i]
            out[:, 3 * side + i] = 0.5 * li * ((2 * li - 1) * (1 + z0 * zeta) - (1 - zeta**2))
        for k, (i, j) in enumerate(_EDGES):
            out[:, 6 + 3 * side + k] = 2.0 * area[:, i] * area[:, j] * (1 + z0 * zeta)
    for i in range(3):
        out[:, 12 + i] = area[:, i] * (1 - zeta**2)
    return out


def wedge_gradients(points: FloatArray) -> FloatArray:
    """Derivatives of the 15 shape functions by ``(r, s, zeta)``, (q, 15, 3)."""
    area = _area_coordinates(points)
    zeta = points[:, 2]
    d_area = np.array([[-1.0, -1.0], [1.0, 0.0], [0.0, 1.0]])  # dL_i / d(r, s)
    by_area = np.zeros((len(points), 15, 3))  # dN / dL_i (independent L), then reduced
    by_zeta = np.zeros((len(points), 15))
    for side, z0 in ((0, -1.0), (1, 1.0)):
        for i in range(3):
            li = area[:, i]
            node = 3 * side + i
            by_area[:, node, i] = 0.5 * ((4 * li - 1) * (1 + z0 * zeta) - (1 - zeta**2))
            by_zeta[:, node] = 0.5 * li * ((2 * li - 1) * z0 + 2 * zeta)
        for k, (i, j) in enumerate(_EDGES):
            node = 6 + 3 * side + k
            by_area[:, node, i] = 2.0 * area[:, j] * (1 + z0 * zeta)
            by_area[:, node, j] = 2.0 * area[:, i] * (1 + z0 * zeta)
            by_zeta[:, node] = 2.0 * area[:, i] * area[:, j] * z0
    for i in range(3):
        by_area[:, 12 + i, i] = 1 - zeta**2
        by_zeta[:, 12 + i] = -2.0 * area[:, i] * zeta
    return np.concatenate([by_area @ d_area, by_zeta[:, :, None]], axis=2)


def face_points() -> tuple[FloatArray, FloatArray]:
    """Quadrature of order :data:`FACE_ORDER` on the reference triangle (scikit-fem's table):
    points ``(r, s)`` (q, 2) and weights (q,) summing to 1/2."""
    points, weights = get_quadrature(RefTri, FACE_ORDER)
    return np.ascontiguousarray(points.T), np.asarray(weights, dtype=np.float64)


def face_values(points: FloatArray) -> FloatArray:
    """The 6-node triangle's shape functions (corners a, b, c, then mid-edges ab, bc, ca) at
    reference points ``(r, s)``, (q, 6): the wedge's (and the quadratic tetrahedron's) faces."""
    area = _area_coordinates(points)
    corners = area * (2 * area - 1)
    edges = np.stack([4.0 * area[:, i] * area[:, j] for i, j in _EDGES], axis=1)
    return np.concatenate([corners, edges], axis=1)


@dataclass(frozen=True, eq=False)
class Elements:
    """A mesh of quadratic solid elements ready to assemble, foot frame, mm.

    Displacement component ``i`` of node ``s`` is degree of freedom ``3 s + i``.

    Attributes
    ----------
    nodes_mm : (N, 3) float
        Node positions, mm.
    element_nodes : (e, k) int
        Nodes of each element.
    gradients : (e, q, k, 3) float
        Shape function gradients at the quadrature points, 1/mm.
    volumes_mm3 : (e, q) float
        Quadrature weights times the Jacobian, mm^3 (their sum is the volume).
    top_faces : (f, 6) int
        Top surface faces as 6-node triangles (corners, then mid-edges ab, bc, ca).
    underside : (j,) int
        Nodes on the underside.
    top_of_plan, bottom_of_plan : (n,) int
        Node on the top surface and on the underside above each plan vertex.
    ordered : bool
        Whether the nodes are numbered in a fill-reducing order (the stiffness is then
        factorised as it comes), or the factorisation must find one.
    """

    nodes_mm: FloatArray
    element_nodes: IntArray
    gradients: FloatArray
    volumes_mm3: FloatArray
    top_faces: IntArray
    underside: IntArray
    top_of_plan: IntArray
    bottom_of_plan: IntArray
    ordered: bool


def plan_edges(triangles: IntArray) -> tuple[IntArray, IntArray]:
    """Unique plan edges (E, 2) (sorted pairs) and each triangle's edges ab, bc, ca (m, 3)."""
    pairs = np.sort(triangles[:, [[0, 1], [1, 2], [2, 0]]], axis=2).reshape(-1, 2)
    edges, index = np.unique(pairs, axis=0, return_inverse=True)
    return np.asarray(edges, dtype=np.int64), index.reshape(-1, 3).astype(np.int64)


def plan_order(n: int, triangles: IntArray) -> IntArray:
    """A fill-reducing order of the plan vertices: CHOLMOD's AMD on the plan graph.

    Every node of the solid belongs to a plan vertex's column (a plan edge's nodes to its
    endpoint ordered first); numbering the columns in this order orders the solid's stiffness
    for its factorisation at a fraction of ordering the 3D graph. Measured at 3 mm (flops of
    the numeric factorisation, synthetic / my-feet shells): AMD on the plan graph 2.5 / 2.9
    GFlop, METIS on it 3.1 / 3.6, NESDIS 3.0 / 3.3; on the graph of all 15 k nodes AMD 4.1,
    METIS 3.2 (synthetic); CHOLMOD's own choice on the whole matrix 3.9 / 4.5, after 0.3 to
    0.4 s of analysis where the plan graph's takes a few ms.

    Returns
    -------
    (n,) int
        Position of each plan vertex in the order.
    """
    edges, _ = plan_edges(triangles)
    ones = np.ones(len(edges))
    adjacency = sp.coo_matrix((ones, (edges[:, 0], edges[:, 1])), shape=(n, n))
    graph = (adjacency + adjacency.T + sp.identity(n) * 3.0).tocsc()
    order = cholmod.analyze(graph, mode="simplicial", ordering_method="amd").P()
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    return rank


@dataclass(frozen=True, eq=False)
class WedgeLayout:
    """The wedge mesh of one plan mesh, apart from the heights: the same at any thickness.

    Attributes
    ----------
    ends : (N, 2) int
        The plan vertices whose midpoint each node stands on (twice the same for a node
        above a plan vertex).
    fraction : (N,) float
        Where each node stands between the underside (0) and the top (1).
    element_nodes, top_faces, underside, top_of_plan, bottom_of_plan : int arrays
        As in :class:`Elements`.
    """

    ends: IntArray
    fraction: FloatArray
    element_nodes: IntArray
    top_faces: IntArray
    underside: IntArray
    top_of_plan: IntArray
    bottom_of_plan: IntArray


def wedge_layout(points: FloatArray, triangles: IntArray, layers: int) -> WedgeLayout:
    """Lay out ``layers`` of 15-node wedges over a plan mesh.

    Nodes: the plan vertices and the midpoints of the plan edges at every level (``k /
    layers`` of the way up), and the middle of every vertical edge in every layer; numbered
    by plan vertex column in :func:`plan_order`, so that the stiffness needs no further
    fill-reducing ordering.
    """
    n = len(points)
    edges, tri_edges = plan_edges(triangles)
    n_edges = len(edges)
    vertex = np.arange(n)[None, :] + n * np.arange(layers + 1)[:, None]  # (levels, n)
    edge_at = (n * (layers + 1) + np.arange(n_edges))[None, :] + n_edges * np.arange(layers + 1)[
        :, None
    ]
    mid = ((n + n_edges) * (layers + 1) + np.arange(n))[None, :] + n * np.arange(layers)[:, None]
    total = (n + n_edges) * (layers + 1) + n * layers
    ends = np.empty((total, 2), dtype=np.int64)
    fraction = np.empty(total)
    column = np.empty(total, dtype=np.int64)
    kind = np.empty(total, dtype=np.int64)
    rank = plan_order(n, triangles)
    first = np.where(rank[edges[:, 0]] <= rank[edges[:, 1]], edges[:, 0], edges[:, 1])
    plan = np.arange(n)
    for k in range(layers + 1):
        ends[vertex[k]], fraction[vertex[k]] = plan[:, None], k / layers
        column[vertex[k]], kind[vertex[k]] = plan, 3 * k
        ends[edge_at[k]], fraction[edge_at[k]] = edges, k / layers
        column[edge_at[k]], kind[edge_at[k]] = first, 3 * k + 1
    for k in range(layers):
        ends[mid[k]], fraction[mid[k]] = plan[:, None], (k + 0.5) / layers
        column[mid[k]], kind[mid[k]] = plan, 3 * k + 2
    renumber = np.empty(total, dtype=np.int64)
    renumber[np.lexsort((kind, rank[column]))] = np.arange(total)

    a, b, c = triangles.T
    e_ab, e_bc, e_ca = tri_edges.T
    cells = []
    for k in range(layers):
        lo, hi, ml, mh = vertex[k], vertex[k + 1], edge_at[k], edge_at[k + 1]
        cells.append(
            np.column_stack(
                [
                    lo[a], lo[b], lo[c], hi[a], hi[b], hi[c],
                    ml[e_ab], ml[e_bc], ml[e_ca], mh[e_ab], mh[e_bc], mh[e_ca],
                    mid[k][a], mid[k][b], mid[k][c],
                ]
            )
        )  # fmt: skip
    placed = np.empty_like(ends)
    placed[renumber] = ends
    at = np.empty_like(fraction)
    at[renumber] = fraction
    top = renumber[vertex[layers]]
    return WedgeLayout(
        ends=placed,
        fraction=at,
        element_nodes=renumber[np.concatenate(cells)],
        top_faces=np.column_stack([top[a], top[b], top[c], renumber[edge_at[layers]][tri_edges]]),
        underside=np.concatenate([renumber[vertex[0]], renumber[edge_at[0]]]),
        top_of_plan=top,
        bottom_of_plan=renumber[vertex[0]],
    )


def wedges(solid: Solid, layers: int, layout: WedgeLayout | None = None) -> Elements:
    """Extrude the solid into ``layers`` of 15-node wedges through the thickness.

    ``layout`` is the plan mesh's :func:`wedge_layout` (computed here unless given): only
    the heights, and with them the shape function gradients, change with the thickness.
    """
    if layout is None:
        layout = wedge_layout(solid.points, solid.triangles, layers)
    ends = layout.ends
    wall = solid.top_mm - solid.bottom_mm
    z = 0.5 * (solid.bottom_mm[ends].sum(axis=1) + layout.fraction * wall[ends].sum(axis=1))
    nodes_mm = np.column_stack([solid.points[ends].mean(axis=1), z])
    ref, weights = wedge_rule()
    d_ref = wedge_gradients(ref)  # (q, 15, 3)
    x = nodes_mm[layout.element_nodes]  # (e, 15, 3)
    jac = np.tensordot(x, d_ref, axes=([1], [1])).transpose(0, 2, 1, 3)  # dx_c / dxi_a
    gradients = np.matmul(d_ref[None], np.linalg.inv(jac))  # (e, q, 15, 3)
    return Elements(
        nodes_mm=nodes_mm,
        element_nodes=layout.element_nodes,
        gradients=gradients,
        volumes_mm3=np.linalg.det(jac) * weights[None, :],
        top_faces=layout.top_faces,
        underside=layout.underside,
        top_of_plan=layout.top_of_plan,
        bottom_of_plan=layout.bottom_of_plan,
        ordered=True,
    )


def tetrahedra_p2(solid: Solid, layers: int) -> Elements:
    """The solid as quadratic tetrahedra (scikit-fem ``ElementTetP2``): the reference.

    Each prism of :func:`~shellgen.mechanics._solid.tetrahedra` is split into three; one
    layer has 12 nodes per plan vertex. scikit-fem numbers the vertices first, so plan
    vertex ``v`` at level ``k`` is node ``v + k n``.
    """
    nodes, tets = tetrahedra(solid, layers)
    mesh = MeshTet(np.ascontiguousarray(nodes.T), np.ascontiguousarray(tets.T))
    basis = Basis(mesh, ElementTetP2(), intorder=2)
    grads = np.stack([phi[0].grad for phi in basis.basis])  # (k, 3, e, q)
    n = len(solid.points)
    level = np.full(basis.N, -1, dtype=np.int64)  # level of a node on a plan-parallel face
    level[: len(nodes)] = np.arange(len(nodes)) // n
    ends = mesh.edges  # (2, edges): P2 edge node j is vertex count + j
    same = level[ends[0]] == level[ends[1]]
    level[len(nodes) :] = np.where(same, level[ends[0]], -1)
    pairs = np.sort(ends, axis=0)
    keys = pairs[0] * len(nodes) + pairs[1]
    order = np.argsort(keys)
    top_tris = solid.triangles + layers * n
    wanted = np.sort(top_tris[:, [[0, 1], [1, 2], [2, 0]]], axis=2)
    found = order[np.searchsorted(keys[order], wanted[..., 0] * len(nodes) + wanted[..., 1])]
    mids = len(nodes) + found
    faces = np.column_stack([top_tris, mids]).astype(np.int64)
    return Elements(
        nodes_mm=np.ascontiguousarray(basis.doflocs.T),
        element_nodes=np.ascontiguousarray(basis.element_dofs.T).astype(np.int64),
        gradients=np.ascontiguousarray(grads.transpose(2, 3, 0, 1)),
        volumes_mm3=np.asarray(basis.dx),
        top_faces=faces,
        underside=np.flatnonzero(level == 0),
        top_of_plan=np.arange(n) + layers * n,
        bottom_of_plan=np.arange(n),
        ordered=False,
    )
