"""``validate``: printability checks on a closed triangle mesh, each with a measured value.

Every check measures something (an edge count, a thickness in mm, a volume) and compares it
with a stated limit, in the way CadQuery's ``check()`` returns findings instead of raising.
:func:`validate` never raises on a bad mesh: it reports what is wrong, and ``export`` refuses a
failing report unless forced.

Topology is judged on vertex *positions*: vertices at the same coordinates are one vertex,
as every slicer merges them when it reads an STL.

The checks are vectorised numpy over (3, m) arrays (one row per axis), fast enough to run
after every rebuild: one index of the faces by (x, y) cells serves both the search for faces
that cross and the rays that measure the walls. A shell is two height fields joined by side
walls: seen from above, its top faces tile the footprint, and so do its bottom faces; once
that is proven (:func:`_tiling_steps`), faces of the same side are not paired at all.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any, Final, Protocol

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry import Polygon

from shellgen._typing import BoolArray, FloatArray, IntArray
from shellgen.materials import Material

__all__ = [
    "OUTLINE_MARGIN_MM",
    "WALL_GRID_MM",
    "Check",
    "MeshLike",
    "Report",
    "validate",
]

logger = logging.getLogger(__name__)


#: Spacing of the (x, y) grid on which wall thickness is sampled, mm.
WALL_GRID_MM: Final = 2.0

#: The shell's footprint may reach this far outside the foot outline, mm.
OUTLINE_MARGIN_MM: Final = 3.0

#: A face at least this far from vertical (|n_z|, the cosine of its slope) is a top or bottom
#: face; steeper faces are side walls. cos(84 deg): heel-cup walls are well under this.
_FLAT_MIN_NZ: Final = 0.1

#: Faces with less area than this are degenerate, mm^2.
_MIN_FACE_AREA_MM2: Final = 1e-8

#: Rays start this far inside the surface so that they do not hit their own face, mm.
_RAY_START_MM: Final = 1e-4

#: Relative tolerance of the face-crossing and ray tests.
_CROSS_EPS: Final = 1e-9

#: Area outside the buffered outline below this is rounding noise, mm^2.
_AREA_TOL_MM2: Final = 1e-6

#: The column index coarsens until faces make at most this many entries each on average.
_MAX_ENTRIES_PER_FACE: Final = 32

#: ... and until it has at most this many cells per face (plus a floor for tiny meshes).
_MAX_CELLS_PER_FACE: Final = 8
_MIN_CELLS: Final = 4096

#: Faces grouped by which way they face, for the column index: up within 41 degrees of
#: vertical (n_z >= 0.75), other up, up at a vertical step, down, down at a vertical step,
#: and the rest (vertical faces). A ray at most 41 degrees from straight down cannot leave
#: through a face of the first group.
_FLAT_UP, _STEEP_UP, _UP_STEP, _DOWN, _DOWN_STEP, _OTHER = range(6)
_FACINGS: Final = 6
_FLAT_UP_MIN_NZ: Final = 0.75

#: Entry flags (x, y and an always-set bit): the entry's cell is the first of its box along x, y.
_ALL_AXES: Final = 0b111


class MeshLike(Protocol):
    """Anything with triangle-mesh arrays: a :class:`~shellgen.shell.Shell`, a trimesh."""

    @property
    def vertices(self) -> Any:
        """(n, 3) float vertex positions, mm."""

    @property
    def faces(self) -> Any:
        """(m, 3) int triangles indexing ``vertices``."""


@dataclass(frozen=True)
class Check:
    """One printability check.

    Attributes
    ----------
    name : str
        Check name, e.g. ``"min_wall_mm"``.
    ok : bool
        Whether ``value`` is within ``limit``.
    value : float
        What was measured (NaN when it could not be measured; ``detail`` says why).
    limit : float
        The limit ``value`` is held to; ``detail`` says in which direction.
    unit : str
        Unit of ``value`` and ``limit`` (``"mm"``, ``"edges"``, ...).
    detail : str
        One line for a person: where, how it was measured, what to do.
    """

    name: str
    ok: bool
    value: float
    limit: float
    unit: str
    detail: str

    def as_json(self) -> dict[str, object]:
        """``{name, ok, value, limit, unit, detail}``; NaN becomes None (valid JSON)."""
        return {
            "name": self.name,
            "ok": self.ok,
            "value": _json_number(self.value),
            "limit": _json_number(self.limit),
            "unit": self.unit,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Report:
    """The result of :func:`validate`: named checks in a fixed order.

    Attributes
    ----------
    checks : tuple of Check
        Every check that ran.
    """

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return all(c.ok for c in self.checks)

    @property
    def failed(self) -> tuple[str, ...]:
        """Names of the checks that failed, in report order."""
        return tuple(c.name for c in self.checks if not c.ok)

    def __getitem__(self, name: str) -> Check:
        """The check called ``name``.

        Raises
        ------
        KeyError
            If no check has that name.
        """
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def as_json(self) -> dict[str, object]:
        """``{"ok": bool, "checks": [{name, ok, value, limit, unit, detail}, ...]}``."""
        return {"ok": self.ok, "checks": [c.as_json() for c in self.checks]}


def validate(
    mesh: MeshLike,
    *,
    material: Material,
    foot_outline: Polygon | None = None,
    build_volume_mm: tuple[float, float, float] | None = None,
) -> Report:
    """Check that a closed triangle mesh will print.

    Parameters
    ----------
    mesh : Shell or trimesh.Trimesh or MeshLike
        ``vertices`` (n, 3) float, mm, and ``faces`` (m, 3) int, counter-clockwise seen from
        outside. A shell is checked in the foot frame of a right foot.
    material : Material
        Sets the minimum wall (``material.min_wall_mm``) and the density for the mass.
    foot_outline : Polygon, optional
        The foot's outline seen from above (x, y), mm, same frame as ``mesh``; when given, the
        shell's footprint must lie inside it buffered by :data:`OUTLINE_MARGIN_MM`.
    build_volume_mm : (3,) float, optional
        Printer build volume (x, y, z), mm; the part may be turned about z to fit. The
        material's process machine (``material.build_volume_mm``) when None.

    Returns
    -------
    Report
        ``watertight``, ``winding``, ``one_body``, ``degenerate_faces``, ``duplicate_faces``,
        ``self_intersections``, ``min_wall_mm``, ``build_volume``, ``volume_cm3``, ``mass_g``
        and, with a foot outline, ``inside_outline``.

    Examples
    --------
    >>> import trimesh
    >>> from shellgen.materials import material
    >>> report = validate(trimesh.creation.box((100, 50, 4)), material=material("PA12-MJF"))
    >>> report.ok, report["min_wall_mm"].value
    (True, 4.0)
    """
    vertices = np.asarray(mesh.vertices, dtype=np.float64).reshape(-1, 3)
    faces = np.asarray(mesh.faces, dtype=np.int64).reshape(-1, 3)
    merged_faces = _row_ids(vertices)[faces]
    # corners[axis, corner, face]: the arrays below are (3, m) or (m,), one row per axis
    corners = np.take(np.ascontiguousarray(vertices.T), faces.T, axis=1)
    cross = _cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    area_mm2 = 0.5 * np.sqrt(_dot(cross, cross))
    degenerate = _degenerate(merged_faces, area_mm2)
    signed_volume_mm3 = float(_dot(corners[:, 0], cross).sum() / 6.0)
    edges = _edges(merged_faces)
    lo = np.minimum(np.minimum(corners[:, 0], corners[:, 1]), corners[:, 2])
    hi = np.maximum(np.maximum(corners[:, 0], corners[:, 1]), corners[:, 2])
    facing, tiled = _facings(corners, cross, merged_faces, edges.twin)
    columns = _columns(lo, hi, facing, ~degenerate & np.isfinite(area_mm2))

    crossing = _self_intersections_check(corners, merged_faces, columns, facing, tiled)
    checks = [
        _watertight_check(edges.boundary),
        _winding_check(edges.inconsistent, signed_volume_mm3),
        _one_body_check(merged_faces, edges),
        _count_check(
            "degenerate_faces",
            int(degenerate.sum()),
            "faces",
            "zero-area or repeated-vertex faces",
            np.flatnonzero(degenerate),
            corners,
        ),
        _duplicate_faces_check(merged_faces, corners),
        crossing,
        _min_wall_check(
            corners, cross, area_mm2, edges, columns, material.min_wall_mm, crossing.ok
        ),
        _build_volume_check(lo, hi, build_volume_mm or material.build_volume_mm),
        *_volume_checks(signed_volume_mm3, edges.boundary == 0, material),
    ]
    if foot_outline is not None:
        checks.append(_inside_outline_check(corners, cross, lo, hi, foot_outline))
    report = Report(tuple(checks))
    logger.debug("validated %d faces: failed %s", len(faces), report.failed or "none")
    return report


def _json_number(x: float) -> float | None:
    if isinstance(x, int):
        return x  # counts stay integers
    return float(x) if math.isfinite(x) else None


def _fmt_xyz(p: FloatArray) -> str:
    return f"({p[0]:.1f}, {p[1]:.1f}, {p[2]:.1f}) mm"


def _dot(a: FloatArray, b: FloatArray) -> FloatArray:
    """Dot products of (3, k) columns of vectors."""
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _cross(a: FloatArray, b: FloatArray) -> FloatArray:
    """Cross products of (3, k) columns of vectors."""
    return np.stack(
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    )


def _sort_order(keys: IntArray, bound: int) -> IntArray:
    """Stable argsort of int ``keys`` in ``[0, bound)``, by sorting them packed with indices."""
    k = len(keys)
    if bound * max(k, 1) >= 2**63:
        return np.argsort(keys, kind="stable")
    return np.sort(keys * k + np.arange(k)) % max(k, 1)


def _typical(size_mm: FloatArray) -> float:
    """The median of about a thousand of the sizes (evenly picked), at least 1e-6 mm."""
    return max(float(np.median(size_mm[:: max(1, len(size_mm) // 1024)])), 1e-6)


def _row_ids(values: FloatArray) -> IntArray:
    """(k,) int: one id per distinct row of ``values`` (k, c), numbered in row order.

    Used on vertex positions: vertices at the same coordinates get the same id.
    """
    k, c = values.shape
    if float(k) ** c >= 2.0**63:
        return np.unique(values, axis=0, return_inverse=True)[1].reshape(-1)
    key = np.zeros(k, dtype=np.int64)
    for column in values.T:
        key = key * k + _ranks(column, np.argsort(column))
    return _ranks(key, _sort_order(key, k**c))


def _ranks(values: NDArray[Any], order: IntArray) -> IntArray:
    """(k,) int: rank of each value among the distinct ``values``, given their sort order."""
    ordered = values[order]
    new = np.zeros(len(order), dtype=np.int64)
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:], casting="unsafe")
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.cumsum(new)
    return ranks


def _degenerate(merged_faces: IntArray, area_mm2: FloatArray) -> BoolArray:
    repeated = (
        (merged_faces[:, 0] == merged_faces[:, 1])
        | (merged_faces[:, 1] == merged_faces[:, 2])
        | (merged_faces[:, 2] == merged_faces[:, 0])
    )
    return repeated | (area_mm2 < _MIN_FACE_AREA_MM2)


@dataclass(frozen=True)
class _Edges:
    """The edges of a mesh (on merged vertices), sorted.

    Half-edge ``3 f + i`` runs from corner ``i`` to corner ``i + 1`` of face ``f``.

    Attributes
    ----------
    boundary : int
        Edges not shared by exactly two faces.
    inconsistent : int
        Edges run twice in the same direction.
    lo, hi : (h,) int
        Lower and higher vertex of every half-edge that joins two different vertices,
        ordered by edge.
    twin : (3 m,) int or None
        The opposite half-edge of each half-edge; None unless the mesh is closed (no
        boundary or inconsistent edges, no collapsed half-edges).
    """

    boundary: int
    inconsistent: int
    lo: IntArray
    hi: IntArray
    twin: IntArray | None


def _edges(merged_faces: IntArray) -> _Edges:
    start = merged_faces.reshape(-1)
    end = merged_faces[:, [1, 2, 0]].reshape(-1)
    n = int(merged_faces.max(initial=0)) + 1
    half = np.flatnonzero(start != end)
    key = (np.minimum(start, end) * n + np.maximum(start, end)) * 2 + (start > end)
    key = key[half]
    order = _sort_order(key, 2 * n * n)
    directed = key[order]
    boundary = int(np.count_nonzero(_run_lengths(directed >> 1) != 2))
    inconsistent = int(np.count_nonzero(_run_lengths(directed) > 1))
    lo, hi = np.divmod(directed >> 1, n)
    if boundary or inconsistent or len(half) < len(start) or not len(half):
        return _Edges(boundary, inconsistent, lo, hi, None)
    order = half[order]
    twin = np.empty(len(start), dtype=np.int64)
    twin[order[0::2]] = order[1::2]  # each edge is its two opposite half-edges, in a row
    twin[order[1::2]] = order[0::2]
    return _Edges(boundary, inconsistent, lo, hi, twin)


def _run_lengths(ordered: IntArray) -> IntArray:
    """Lengths of the runs of equal values in a sorted array."""
    starts = np.flatnonzero(np.diff(ordered, prepend=ordered[:1] - 1))
    return np.diff(starts, append=len(ordered))


def _watertight_check(boundary: int) -> Check:
    detail = (
        "every edge is shared by exactly two faces"
        if boundary == 0
        else f"{boundary} edges are open or shared by more than two faces: close the mesh"
    )
    return Check("watertight", boundary == 0, boundary, 0, "edges", detail)


def _winding_check(inconsistent: int, signed_volume_mm3: float) -> Check:
    outward = signed_volume_mm3 > 0.0
    ok = inconsistent == 0 and outward
    if inconsistent:
        detail = f"{inconsistent} edges are run twice the same way: fix the face order"
    elif not outward:
        detail = f"normals point inward (signed volume {signed_volume_mm3:.1f} mm3): reverse faces"
    else:
        detail = f"consistent, outward (signed volume {signed_volume_mm3:.1f} mm3)"
    return Check("winding", ok, inconsistent, 0, "edges", detail)


def _one_body_check(merged_faces: IntArray, edges: _Edges) -> Check:
    n = int(merged_faces.max(initial=0)) + 1
    start = np.searchsorted(edges.lo, np.arange(n + 1))  # edges.lo is sorted: a CSR graph
    graph = csr_matrix((np.ones(len(edges.hi), dtype=np.int8), edges.hi, start), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    used = np.zeros(n, dtype=bool)
    used[merged_faces.reshape(-1)] = True
    bodies = int(np.count_nonzero(np.bincount(labels[used], minlength=1)))
    detail = "one connected body" if bodies == 1 else f"{bodies} separate bodies: expected 1"
    return Check("one_body", bodies == 1, bodies, 1, "bodies", detail)


def _count_check(
    name: str,
    count: int,
    unit: str,
    what: str,
    where: IntArray,
    corners: FloatArray,
) -> Check:
    if count == 0:
        return Check(name, True, 0, 0, unit, f"no {what}")
    first = _fmt_xyz(corners[:, :, where[0]].mean(axis=1))
    return Check(name, False, count, 0, unit, f"{count} {what}, the first at {first}")


def _duplicate_faces_check(merged_faces: IntArray, corners: FloatArray) -> Check:
    n = int(merged_faces.max(initial=0)) + 1
    a, b, c = np.sort(merged_faces, axis=1).T
    if n**3 < 2**63:
        key = (a * n + b) * n + c
        order = _sort_order(key, n**3)
        repeats = key[order[1:]] == key[order[:-1]]
    else:
        order = np.lexsort((c, b, a))
        repeats = (a[order[1:]] == a[order[:-1]]) & (b[order[1:]] == b[order[:-1]])
        repeats &= c[order[1:]] == c[order[:-1]]
    where = np.sort(order[:-1][repeats])[:1]  # sorted stably: a group's first is its lowest
    return _count_check(
        "duplicate_faces", int(repeats.sum()), "faces", "faces repeat another", where, corners
    )


@dataclass(frozen=True)
class _Columns:
    """Faces indexed by the square (x, y) cell of the lower corner of their bounding box.

    A face whose box spans at most two cells along x and y (nearly all, the cells being
    about as wide as a typical face) is entered once, in that cell; a wider one in every
    cell of its box but the last along each axis. A box then overlaps, seen from above, only
    faces entered from one cell before its own first cell to its last (:func:`_column_query`).
    Heights are not indexed: they are tested on the candidates.

    Entries are sorted into blocks, one per (cell, facing): block ``F c + facing`` (``F`` the
    number of facings) holds the entries ``block_start[F c + facing]`` up to the next block.

    Attributes
    ----------
    face : (k,) int
        The mesh face of each indexed face (the finite, non-degenerate ones, in mesh order).
    lo, hi : (3, k) float
        Bounding box of each indexed face, mm.
    origin_mm : (2,) float
        Lower corner of cell (0, 0), mm.
    cell_mm : float
        Width of the cells, mm.
    dims : (2,) int
        Cells along x and y; cell (i, j) is ``i * dims[1] + j``.
    first_cell : (k,) int
        The cell of the lower corner of each face's box.
    wide : (k,) bool
        Whether a face spans more than two cells along x or y (and is entered several times).
    entry_face : (e,) int
        The indexed face of each entry, by block.
    entry_first : (e,) uint8
        Bits 0 and 1 are set when the entry's cell is its face's first along x and y (bit 2
        always): a pair is reported from the one cell where its two entries' bits cover all
        three.
    block_start : (F cells + 1,) int
        Where each block starts among the entries.
    """

    face: IntArray
    lo: FloatArray
    hi: FloatArray
    origin_mm: FloatArray
    cell_mm: float
    dims: IntArray
    first_cell: IntArray
    wide: BoolArray
    entry_face: IntArray
    entry_first: NDArray[np.uint8]
    block_start: IntArray


def _columns(lo: FloatArray, hi: FloatArray, facing: IntArray, keep: BoolArray) -> _Columns:
    """Index the faces ``keep`` of boxes (lo, hi) (3, m) by (x, y) cells."""
    face = np.flatnonzero(keep)
    lo = lo[:, face]
    hi = hi[:, face]
    k = len(face)
    origin = lo[:2].min(axis=1) if k else np.zeros(2)
    width = np.maximum(hi[0] - lo[0], hi[1] - lo[1])
    cell_mm = _typical(width) if k else 1.0
    while True:
        first = np.floor((lo[:2] - origin[:, None]) / cell_mm).astype(np.int64)
        last = np.floor((hi[:2] - origin[:, None]) / cell_mm).astype(np.int64)
        dims = last.max(axis=1, initial=0) + 1
        cells = int(dims.prod())
        count = np.maximum(last - first, 1)  # cells entered along x and y
        if int((count[0] * count[1]).sum()) <= _MAX_ENTRIES_PER_FACE * k and cells <= max(
            _MAX_CELLS_PER_FACE * k, _MIN_CELLS
        ):
            break
        cell_mm *= 2.0  # a few huge faces or far-apart parts: coarser cells bound the work
    first_cell = first[0] * dims[1] + first[1]
    box, step, bits = _box_cells(count, _FACINGS * np.array([dims[1], 1]))
    block = (_FACINGS * first_cell + facing[face])[box] + step
    order = _sort_order(block, _FACINGS * cells)
    block_start = np.zeros(_FACINGS * cells + 1, dtype=np.int64)
    np.cumsum(np.bincount(block, minlength=_FACINGS * cells), out=block_start[1:])
    return _Columns(
        face=face,
        lo=lo,
        hi=hi,
        origin_mm=origin,
        cell_mm=cell_mm,
        dims=dims,
        first_cell=first_cell,
        wide=(count[0] > 1) | (count[1] > 1),
        entry_face=box[order],
        entry_first=bits[order],
        block_start=block_start,
    )


def _box_cells(span: IntArray, stride: IntArray) -> tuple[IntArray, IntArray, NDArray[np.uint8]]:
    """One row per cell of each box ``span`` (2, k) cells wide: (box, step, first).

    ``step`` is ``dx * stride[0] + dy * stride[1]`` for the cell's offset (dx, dy) from the
    box's first cell; ``first`` has bit 0 (1) set when dx (dy) is 0, and bit 2 always. Boxes
    up to 3 cells wide (nearly all) go one offset at a time.
    """
    small = (span[0] <= 3) & (span[1] <= 3)
    offsets = [(dx, dy) for dy in range(3) for dx in range(3)]
    boxes = [np.flatnonzero(small & (span[0] > dx) & (span[1] > dy)) for dx, dy in offsets]
    large = np.flatnonzero(~small)
    owner, k = _ranges(np.zeros(len(large), dtype=np.int64), span[0][large] * span[1][large])
    wide = span[0][large][owner]
    counts = [len(b) for b in boxes]
    dx = np.concatenate([np.repeat([o[0] for o in offsets], counts), k % wide])
    dy = np.concatenate([np.repeat([o[1] for o in offsets], counts), k // wide])
    first = (4 + (dx == 0) + 2 * (dy == 0)).astype(np.uint8)
    return np.concatenate([*boxes, large[owner]]), dx * stride[0] + dy * stride[1], first


def _ranges(begin: IntArray, count: IntArray) -> tuple[IntArray, IntArray]:
    """(owner, index): ``begin[i], ..., begin[i] + count[i] - 1`` for each i, concatenated."""
    owner = np.repeat(np.arange(len(count)), count)
    shift = np.repeat(begin - np.cumsum(count) + count, count)
    return owner, np.arange(len(owner)) + shift


def _column_query(
    columns: _Columns,
    lo: FloatArray,
    hi: FloatArray,
    facings: tuple[IntArray, IntArray],
    *,
    once: bool = True,
) -> tuple[IntArray, IntArray]:
    """(box, indexed face): the faces that may overlap box (lo, hi) (2, q) seen from above.

    Only faces of facing ``facings[0][i]`` up to (not including) ``facings[1][i]`` are
    returned for box ``i``; each pair once, unless ``once`` is False (then a face entered in
    several cells may come more than once).
    """
    origin = columns.origin_mm[:, None]
    top = (columns.dims - 1)[:, None]
    first = np.floor((lo - origin) / columns.cell_mm) - 1.0
    last = np.floor((hi - origin) / columns.cell_mm)
    near = np.flatnonzero(
        (last[0] >= 0) & (last[1] >= 0) & (first[0] <= top[0]) & (first[1] <= top[1])
    )
    low = np.clip(first[:, near], 0, top).astype(np.int64)
    high = np.clip(last[:, near], 0, top).astype(np.int64)
    box, step, bits = _box_cells(high - low + 1, _FACINGS * np.array([columns.dims[1], 1]))
    block = (_FACINGS * (low[0] * columns.dims[1] + low[1]))[box] + step
    start = columns.block_start
    begin = start[block + facings[0][near][box]]
    owner, entry = _ranges(begin, np.maximum(start[block + facings[1][near][box]] - begin, 0))
    if once:
        keep = np.flatnonzero((bits[owner] | columns.entry_first[entry]) == _ALL_AXES)
        owner, entry = owner[keep], entry[keep]
    return near[box[owner]], columns.entry_face[entry]


def _candidate_pairs(
    columns: _Columns, facing: IntArray, tiled: tuple[bool, bool]
) -> tuple[IntArray, IntArray]:
    """Pairs (a, b) of indexed faces whose boxes overlap, each pair once.

    Each face looks only among the facings it may cross (a range of blocks). When the up-
    facing faces tile (``tiled``, see :func:`_tiling_steps`), two of them can only meet at a
    vertical step: an up-facing face looks among the down-facing ones, and a face at a step
    among those at a step too. Likewise down. An up-facing face above every down-facing face
    around it looks nowhere; a vertical face below every up-facing one skips those.
    """
    all_facing = facing
    facing = facing[columns.face]
    up = facing <= _STEEP_UP
    down = facing == _DOWN
    start = np.select(
        [up, facing == _UP_STEP, down, facing == _DOWN_STEP],
        [_DOWN if tiled[0] else _FLAT_UP, _UP_STEP, _DOWN, _DOWN_STEP],
        _FLAT_UP,
    )
    end = np.where(facing == _OTHER, _FACINGS, _OTHER)
    end[down & tiled[1]] = _DOWN
    highest_down, lowest_up = _heights_nearby(columns, all_facing)
    if tiled[0]:
        end[up & (columns.lo[2] > highest_down)] = _DOWN
    start[(facing == _OTHER) & (columns.hi[2] < lowest_up)] = _DOWN
    ask = np.flatnonzero(end > start)
    a, b = _column_query(columns, columns.lo[:2, ask], columns.hi[:2, ask], (start[ask], end[ask]))
    a = ask[a]
    group = np.maximum(facing, _STEEP_UP)
    keep = (group[a] != group[b]) | (a < b)  # a pair within a group is found from both sides
    for axis in range(3):
        lo, hi = columns.lo[axis], columns.hi[axis]
        keep &= (lo[a] <= hi[b]) & (lo[b] <= hi[a])
    return a[keep], b[keep]


def _heights_nearby(columns: _Columns, facing: IntArray) -> tuple[FloatArray, FloatArray]:
    """For each indexed face, (the top of the highest down-facing face, the bottom of the
    lowest up-facing face) among those its query may return, mm.

    Those are the faces entered in the 3 x 3 cells around the face's first cell; a face that
    spans more cells gets (+inf, -inf), which rules out nothing.
    """
    facing = facing[columns.face][columns.entry_face]
    down = (facing == _DOWN) | (facing == _DOWN_STEP)
    up = facing <= _UP_STEP
    starts = columns.block_start[::_FACINGS]
    filled = np.flatnonzero(np.diff(starts) > 0)
    di, dj = columns.dims
    nearby = []
    for mine, height in ((down, columns.hi[2]), (up, -columns.lo[2])):
        value = np.where(mine, height[columns.entry_face], -np.inf)
        best = np.full(di * dj, -np.inf)
        best[filled] = np.maximum.reduceat(value, starts[filled]) if len(filled) else []
        padded = np.pad(best.reshape(di, dj), 1, constant_values=-np.inf)
        around = padded[1:-1, 1:-1].copy()
        for i in range(3):
            for j in range(3):
                np.maximum(around, padded[i : i + di, j : j + dj], out=around)
        nearby.append(np.where(columns.wide, np.inf, around.reshape(-1)[columns.first_cell]))
    return nearby[0], -nearby[1]


def _facings(
    corners: FloatArray, cross: FloatArray, merged_faces: IntArray, twin: IntArray | None
) -> tuple[IntArray, tuple[bool, bool]]:
    """The facing of every face (for the column index), and whether the up (down) faces are
    proven to tile (:func:`_tiling_steps`); the faces at vertical steps of a tiling get a
    facing of their own.
    """
    up = cross[2]
    flat = (up > 0.0) & (up * up >= _FLAT_UP_MIN_NZ**2 * _dot(cross, cross))
    facing = np.select([flat, up > 0.0, up < 0.0], [_FLAT_UP, _STEEP_UP, _DOWN], _OTHER)
    tiled = [False, False]
    if twin is not None:
        twin_face = twin // 3
        for k, (sign, step) in enumerate(((1.0, _UP_STEP), (-1.0, _DOWN_STEP))):
            steps = _tiling_steps(corners, merged_faces, twin_face, sign * up > 0.0, sign)
            if steps is not None:
                tiled[k] = True
                facing[steps] = step
    return facing, (tiled[0], tiled[1])


def _tiling_steps(
    corners: FloatArray,
    merged_faces: IntArray,
    twin_face: IntArray,
    member: BoolArray,
    sign: float,
) -> IntArray | None:
    """The faces ``member`` at vertical steps, when the others are proven not to meet.

    Seen from above, the faces facing up (``sign`` 1; down: -1, reversed) are counter-
    clockwise triangles. The number of them over a point of the (x, y) plane is the winding
    number around it of the sum of their edges, seen from above, where the edges shared by
    two faces cancel, and so do two edges seen from above as one segment run both ways (the
    two sides of a vertical step, such as an engraved label). When what is left is simple,
    disjoint loops that wind 0 or 1 times around every point, the faces tile their footprint
    like a planar triangulation: two of them can only meet in space if, seen from above, they
    share a vertex, which they do not share in space. That happens only at vertical steps,
    where two vertices lie one over the other.

    Returns None (nothing proven) whenever the loops are not that simple.
    """
    if not member.any():
        return np.zeros(0, dtype=np.int64)
    half = np.flatnonzero(np.repeat(member, 3) & ~member[twin_face])
    if not len(half):
        return None
    f, i = np.divmod(half, 3)
    j = (i + 1) % 3
    xy = np.concatenate([corners[:2, i, f], corners[:2, j, f]], axis=1).T
    point = _row_ids(xy)  # boundary vertices seen from above
    vertex = np.concatenate([merged_faces[f, i], merged_faces[f, j]])
    start, end = np.split(point, 2)
    if sign < 0.0:
        start, end = end, start
    points = int(point.max()) + 1
    key = np.minimum(start, end) * points + np.maximum(start, end)
    index = _ranks(key, np.argsort(key))
    net = np.bincount(index, np.where(start < end, 1.0, -1.0))  # both ways cancel
    if np.any(np.abs(net) > 1.0):
        return None
    segment = np.zeros(len(net), dtype=np.int64)
    segment[index] = key
    lower, upper = np.divmod(segment[net != 0.0], points)
    forward = net[net != 0.0] > 0.0
    first, second = np.where(forward, lower, upper), np.where(forward, upper, lower)
    ordered = np.sort(first)
    if np.any(ordered[1:] == ordered[:-1]):
        return None  # a vertex starts two boundary edges: loops touch
    where = np.zeros((points, 2))
    where[point] = xy
    if not _simple_single_loops(np.stack([where[first], where[second]], axis=1)):
        return None
    vertices = int(vertex.max()) + 1
    pairs = np.sort(point * vertices + vertex)
    pairs = pairs[np.diff(pairs, prepend=-1) != 0]
    over = np.bincount(pairs // vertices, minlength=points) > 1  # several vertices, one point
    stacked = np.zeros(int(merged_faces.max()) + 1, dtype=bool)
    stacked[vertex[over[point]]] = True
    at_step = (
        stacked[merged_faces[:, 0]] | stacked[merged_faces[:, 1]] | stacked[merged_faces[:, 2]]
    )
    return np.flatnonzero(member & at_step)


def _simple_single_loops(segments: FloatArray) -> bool:
    """Whether directed segments (s, 2, 2) form simple, disjoint loops, each point of the
    plane wound around 0 or 1 times."""
    merged = shapely.line_merge(
        shapely.multilinestrings(shapely.linestrings(segments)), directed=True
    )
    loops = shapely.get_parts(merged)
    if not (shapely.is_closed(loops).all() and shapely.is_simple(shapely.multilinestrings(loops))):
        return False
    coords, loop = shapely.get_coordinates(loops, return_index=True)
    inner = loop[1:] == loop[:-1]
    a, b, seg_loop = coords[:-1][inner], coords[1:][inner], loop[:-1][inner]
    turns = np.sign(np.bincount(seg_loop, a[:, 0] * b[:, 1] - b[:, 0] * a[:, 1]))
    probe = coords[np.flatnonzero(np.diff(loop, prepend=-1))]  # a vertex of each loop
    outside = _winding_numbers(probe, a, b, seg_loop)
    inside = outside + turns
    return bool(np.all((outside >= 0) & (outside <= 1) & (inside >= 0) & (inside <= 1)))


def _self_intersections_check(
    corners: FloatArray,
    merged_faces: IntArray,
    columns: _Columns,
    facing: IntArray,
    tiled: tuple[bool, bool],
) -> Check:
    """Pairs of faces that share no vertex and still meet.

    Candidates are the pairs whose boxes overlap (:func:`_candidate_pairs`), less the pairs
    of up-facing (down-facing) faces when those are proven to tile (:func:`_tiling_steps`).
    """
    a, b = _candidate_pairs(columns, facing, tiled)
    a, b = columns.face[np.minimum(a, b)], columns.face[np.maximum(a, b)]
    apart = np.ones(len(a), dtype=bool)
    for i in range(3):
        for j in range(3):
            apart &= merged_faces[a, i] != merged_faces[b, j]
    a, b = a[apart], b[apart]
    hit = _triangles_cross(np.take(corners, a, axis=2), np.take(corners, b, axis=2))
    a, b = a[hit], b[hit]
    if not len(a):
        return Check("self_intersections", True, 0, 0, "pairs", "no two faces cross")
    first = np.lexsort((b, a))[0]
    pair = np.concatenate([corners[:, :, a[first]], corners[:, :, b[first]]], axis=1)
    where = _fmt_xyz(pair.mean(axis=1))
    detail = f"{len(a)} pairs of faces cross, the first near {where}: remove the overlap"
    return Check("self_intersections", False, len(a), 0, "pairs", detail)


def _winding_numbers(
    points: FloatArray, a: FloatArray, b: FloatArray, seg_loop: IntArray
) -> IntArray:
    """(r,) int: winding number around ``points[i]`` of the directed segments a -> b that
    are not on loop ``i`` (crossing rule on a ray towards +x)."""
    px = points[:, :1]
    py = points[:, 1:]
    left = (b[:, 0] - a[:, 0]) * (py - a[:, 1]) - (px - a[:, 0]) * (b[:, 1] - a[:, 1])
    upward = (a[:, 1] <= py) & (b[:, 1] > py) & (left > 0.0)
    downward = (b[:, 1] <= py) & (a[:, 1] > py) & (left < 0.0)
    other = seg_loop[None, :] != np.arange(len(points))[:, None]
    return ((upward.astype(np.int64) - downward) * other).sum(axis=1)


def _triangles_cross(ta: FloatArray, tb: FloatArray) -> BoolArray:
    """(k,) bool: whether triangles ``ta[..., i]`` and ``tb[..., i]`` (3 axes, 3 corners, k),
    sharing no vertex, meet.

    In a valid mesh, faces that share no vertex are disjoint, so touching counts too. A pair
    is rejected early when one triangle lies strictly on one side of the other's plane;
    otherwise an edge of one must pierce (or touch) the other. Coplanar overlaps are not
    found here (``duplicate_faces`` finds the common case).
    """
    maybe = np.flatnonzero(_straddles(ta, tb) & _straddles(tb, ta))
    ia = ta[:, :, maybe]
    ib = tb[:, :, maybe]
    meet = np.zeros(len(maybe), dtype=bool)
    for tri_e, tri_f in ((ia, ib), (ib, ia)):
        for e0, e1 in ((0, 1), (1, 2), (2, 0)):
            meet |= _segment_meets(tri_e[:, e0], tri_e[:, e1], tri_f)
    hit = np.zeros(ta.shape[2], dtype=bool)
    hit[maybe] = meet
    return hit


def _straddles(tri: FloatArray, other: FloatArray) -> BoolArray:
    """Whether ``other`` reaches ``tri``'s plane and is not coplanar with it."""
    normal = _cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    offset = [other[:, c] - tri[:, 0] for c in range(3)]
    reach = np.maximum.reduce([np.abs(o).max(axis=0) for o in offset])
    tol = _CROSS_EPS * np.sqrt(_dot(normal, normal)) * reach
    side = [_dot(normal, o) for o in offset]
    above = [s > tol for s in side]
    below = [s < -tol for s in side]
    some_above = above[0] | above[1] | above[2]
    some_below = below[0] | below[1] | below[2]
    off_plane = some_above | some_below
    one_side = (above[0] & above[1] & above[2]) | (below[0] & below[1] & below[2])
    return off_plane & ~one_side


def _segment_meets(p0: FloatArray, p1: FloatArray, tri: FloatArray) -> BoolArray:
    """Möller–Trumbore for segments ``p0 -> p1`` (3, k) against triangles, edges included."""
    d = p1 - p0
    e1 = tri[:, 1] - tri[:, 0]
    e2 = tri[:, 2] - tri[:, 0]
    h = _cross(d, e2)
    det = _dot(e1, h)
    scale = np.sqrt(_dot(d, d) * _dot(e1, e1) * _dot(e2, e2))
    valid = np.abs(det) > 1e-12 * scale
    inv = np.divide(1.0, det, out=np.zeros_like(det), where=valid)
    s = p0 - tri[:, 0]
    u = inv * _dot(s, h)
    q = _cross(s, e1)
    v = inv * _dot(d, q)
    t = inv * _dot(e2, q)
    eps = _CROSS_EPS
    return valid & (u >= -eps) & (v >= -eps) & (u + v <= 1 + eps) & (t >= -eps) & (t <= 1 + eps)


def _min_wall_check(
    corners: FloatArray,
    cross: FloatArray,
    area_mm2: FloatArray,
    edges: _Edges,
    columns: _Columns,
    min_wall_mm: float,
    embedded: bool,
) -> Check:
    """Thickness along the inward normal, from top faces picked on a regular (x, y) grid.

    In each :data:`WALL_GRID_MM` cell (fixed to the frame's origin) the top-facing face whose
    centroid is nearest the cell centre casts a ray along its inward normal; the distance to
    the surface where the ray leaves the solid is the wall there. Rays whose first face is a
    side wall (the rim's edge, not a wall) or one they enter through are skipped and counted.
    ``embedded``: no two faces cross, so that the first face a ray meets is one it leaves
    through, and faces it would enter through need not be tested.
    """
    name, unit = "min_wall_mm", "mm"
    if edges.twin is None or not np.isfinite(corners).all():
        detail = "not measured: the mesh is not a closed, consistently wound surface"
        return Check(name, False, math.nan, min_wall_mm, unit, detail)
    normals = np.divide(cross, 2.0 * area_mm2, out=np.zeros_like(cross), where=area_mm2 > 0)
    centroids = corners.mean(axis=1)
    samples = _grid_samples(centroids, normals)
    inward = -normals[:, samples]
    origins = centroids[:, samples] + _RAY_START_MM * inward
    size_mm = columns.hi.max(axis=1, initial=0.0) - columns.lo.min(axis=1, initial=0.0)
    reach_mm = float(size_mm.max()) * 2.0 + 1.0
    distance, hit = _first_hits(corners, normals, columns, origins, inward, reach_mm, embedded)
    hit_normal = normals[:, columns.face[hit]] if len(columns.face) else np.zeros((3, len(hit)))
    # the first face a ray meets must be one it leaves through, and not a side wall
    wall = (hit >= 0) & (np.abs(hit_normal[2]) >= _FLAT_MIN_NZ) & (_dot(hit_normal, inward) > 0.0)
    rim = len(samples) - int(wall.sum())
    if not wall.any():
        detail = f"not measured: none of {len(samples)} samples met an opposite surface"
        return Check(name, False, math.nan, min_wall_mm, unit, detail)
    walls = distance[wall] + _RAY_START_MM
    k = int(np.argmin(walls))
    value = float(walls[k])
    ok = value >= min_wall_mm
    where = centroids[:, samples[wall][k]]
    detail = (
        f"thinnest {value:.2f} mm (limit {min_wall_mm:g} mm) at {_fmt_xyz(where)};"
        f" {int(wall.sum())} samples on a {WALL_GRID_MM:g} mm grid, {rim} at the rim skipped"
    )
    return Check(name, ok, value, min_wall_mm, unit, detail)


def _grid_samples(centroids: FloatArray, normals: FloatArray) -> IntArray:
    """Indices of top-facing faces, one per (x, y) grid cell, in a deterministic order.

    In each cell, the face whose centroid is nearest the cell's centre (then the lowest index).
    """
    top = np.flatnonzero(normals[2] > _FLAT_MIN_NZ)
    if not len(top):
        return top
    x, y = centroids[0, top], centroids[1, top]
    i = np.floor(x / WALL_GRID_MM).astype(np.int64)
    j = np.floor(y / WALL_GRID_MM).astype(np.int64)
    dx = x - (i + 0.5) * WALL_GRID_MM
    dy = y - (j + 0.5) * WALL_GRID_MM
    off_centre = np.sqrt(dx * dx + dy * dy)
    i -= i.min()
    j -= j.min()
    rows = int(j.max()) + 1
    order = _sort_order(i * rows + j, (int(i.max()) + 1) * rows)
    cell = (i * rows + j)[order]
    off_centre = off_centre[order]
    start = np.flatnonzero(np.diff(cell, prepend=-1))
    nearest = np.minimum.reduceat(off_centre, start)
    tied = np.flatnonzero(off_centre == np.repeat(nearest, np.diff(start, append=len(cell))))
    first = tied[np.diff(cell[tied], prepend=-1) != 0]
    return top[order[first]]


def _first_hits(
    corners: FloatArray,
    normals: FloatArray,
    columns: _Columns,
    origins: FloatArray,
    directions: FloatArray,
    reach_mm: float,
    exits_only: bool,
) -> tuple[FloatArray, IntArray]:
    """The first face each ray meets within ``reach_mm``: (distance mm, indexed face or -1).

    Rays (3, r) have unit ``directions``. With ``exits_only``, only the faces a ray would
    leave a solid through (normal along the ray) are tested. A ray advances in pieces that
    cover about a cell seen from above (all of it at once when it is near vertical), then
    twice as much each time; the faces that may lie across a piece seen from above are
    tested, and a ray stops in the first piece in which it meets a face. Ties go to the
    lowest face.
    """
    rays = origins.shape[1]
    distance = np.full(rays, np.inf)
    hit = np.full(rays, -1, dtype=np.int64)
    # leaving, a ray close to straight down cannot pass a face close to straight up
    steep = exits_only & (-directions[2] >= _FLAT_UP_MIN_NZ)
    facings = (np.where(steep, _STEEP_UP, _FLAT_UP), np.full(rays, _FACINGS))
    across = np.hypot(directions[0], directions[1])  # seen from above, per mm along the ray
    plane = _dot(normals, corners[:, 0])  # n . x of the points x of each face's plane
    near_mm = np.zeros(rays)
    far_mm = np.minimum(reach_mm, columns.cell_mm / np.maximum(across, 1e-9))
    margin_mm = _CROSS_EPS * (1.0 + reach_mm + float(np.abs(origins).max(initial=0.0)))
    active = np.arange(rays)
    while len(active):
        o = origins[:, active]
        d = directions[:, active]
        near, far = near_mm[active], far_mm[active]
        ends = np.stack([o[:2] + near * d[:2], o[:2] + far * d[:2]])
        ray, face = _column_query(
            columns,
            ends.min(axis=0) - margin_mm,
            ends.max(axis=0) + margin_mm,
            (facings[0][active], facings[1][active]),
            once=False,  # a face met twice is met at the same distance
        )
        # faces whose plane the ray crosses within the piece, inside their box
        mesh_face = columns.face[face]
        n = np.take(normals, mesh_face, axis=1)
        ray_o = np.take(o, ray, axis=1)
        ray_d = np.take(d, ray, axis=1)
        along = _dot(n, ray_d)
        t = np.divide(
            plane[mesh_face] - _dot(n, ray_o),
            along,
            out=np.full_like(along, -1.0),
            where=along != 0,
        )
        keep = ((along > 0.0) if exits_only else (along != 0.0)) & (t > 0.0) & (t <= far[ray])
        for axis in (0, 1):
            at = ray_o[axis] + t * ray_d[axis]
            keep &= (at >= columns.lo[axis][face] - margin_mm) & (
                at <= columns.hi[axis][face] + margin_mm
            )
        kept = np.flatnonzero(keep)
        tri = np.take(corners, mesh_face[kept], axis=2)
        met = kept[_ray_meets(ray_o[:, kept], ray_d[:, kept], tri)]
        ray, face, t = ray[met], face[met], t[met]
        nearest = np.full(len(active), np.inf)
        np.minimum.at(nearest, ray, t)
        tied = t == nearest[ray]
        lowest = np.full(len(active), len(columns.face))
        np.minimum.at(lowest, ray[tied], face[tied])
        found = np.isfinite(nearest)
        distance[active[found]] = nearest[found]
        hit[active[found]] = lowest[found]
        active = active[~found & (far < reach_mm)]
        near_mm[active], far_mm[active] = (
            far_mm[active],
            np.minimum(reach_mm, 3.0 * far_mm[active] - 2.0 * near_mm[active]),
        )
    return distance, hit


def _ray_meets(origin: FloatArray, direction: FloatArray, tri: FloatArray) -> BoolArray:
    """Möller–Trumbore: whether the lines of rays (3, k) pass through triangles (3, 3, k),
    edges included (the distance along them is the plane's)."""
    e1 = tri[:, 1] - tri[:, 0]
    e2 = tri[:, 2] - tri[:, 0]
    h = _cross(direction, e2)
    det = _dot(e1, h)
    valid = np.abs(det) > 1e-12 * np.sqrt(_dot(e1, e1) * _dot(e2, e2))
    inv = np.divide(1.0, det, out=np.zeros_like(det), where=valid)
    s = origin - tri[:, 0]
    u = inv * _dot(s, h)
    v = inv * _dot(direction, _cross(s, e1))
    eps = _CROSS_EPS
    return valid & (u >= -eps) & (v >= -eps) & (u + v <= 1 + eps)


def _build_volume_check(
    lo: FloatArray, hi: FloatArray, build_volume_mm: tuple[float, float, float]
) -> Check:
    extents = hi.max(axis=1) - lo.min(axis=1) if lo.shape[1] else np.zeros(3)
    bed_xy = np.sort(np.asarray(build_volume_mm[:2]))[::-1]
    part_xy = np.sort(extents[:2])[::-1]
    excess = np.append(part_xy - bed_xy, extents[2] - build_volume_mm[2])
    value = float(excess.max())
    ok = value <= 0.0
    size = " x ".join(f"{e:.1f}" for e in extents)
    bed = " x ".join(f"{e:g}" for e in build_volume_mm)
    detail = f"{size} mm in a {bed} mm build volume (value: largest excess, negative = margin)"
    return Check("build_volume", ok, value, 0.0, "mm", detail)


def _volume_checks(
    signed_volume_mm3: float, closed: bool, material: Material
) -> tuple[Check, Check]:
    volume_cm3 = signed_volume_mm3 / 1000.0
    mass_g = volume_cm3 * material.density_g_cm3
    note = "" if closed else " (mesh not closed: unreliable)"
    return (
        Check("volume_cm3", volume_cm3 > 0, volume_cm3, 0.0, "cm3", f"enclosed volume{note}"),
        Check(
            "mass_g",
            mass_g > 0,
            mass_g,
            0.0,
            "g",
            f"{material.name} at {material.density_g_cm3:g} g/cm3{note}",
        ),
    )


def _inside_outline_check(
    corners: FloatArray, cross: FloatArray, lo: FloatArray, hi: FloatArray, outline: Polygon
) -> Check:
    """Area of the footprint (the up-facing faces seen from above) beyond the buffered outline.

    Only the faces that may reach outside (:func:`_maybe_outside`) are unioned with shapely.
    """
    allowed = outline.buffer(OUTLINE_MARGIN_MM)
    shapely.prepare(allowed)
    up = np.flatnonzero(cross[2] > 0.0)
    up = up[_maybe_outside(allowed, lo[:2, up], hi[:2, up])]
    rings = corners[:2][:, :, up][:, [0, 1, 2, 0]].transpose(2, 1, 0)
    footprint = shapely.polygons(np.ascontiguousarray(rings))
    outside = footprint[~shapely.contains(allowed, footprint)]
    area_mm2 = float(shapely.union_all(outside).difference(allowed).area) if len(outside) else 0.0
    ok = area_mm2 <= _AREA_TOL_MM2
    detail = (
        f"footprint within {OUTLINE_MARGIN_MM:g} mm of the foot outline"
        if ok
        else f"{area_mm2:.1f} mm2 of the footprint lies over {OUTLINE_MARGIN_MM:g} mm outside"
        " the foot outline: trim the outline"
    )
    return Check("inside_outline", ok, area_mm2, 0.0, "mm2", detail)


def _maybe_outside(region: Polygon, lo: FloatArray, hi: FloatArray) -> BoolArray:
    """(k,) bool: False for the triangles that certainly lie inside ``region``.

    (lo, hi) (2, k) are the triangles' bounding boxes. The region's boundary is marked on a
    raster of square cells (every cell it passes through); a triangle whose box touches no
    marked cell cannot cross the boundary, so it lies wholly on one side of it.
    """
    if not lo.shape[1]:
        return np.zeros(0, dtype=bool)
    coords, ring = shapely.get_coordinates(
        shapely.get_rings(shapely.get_parts(region)), return_index=True
    )
    same = ring[1:] == ring[:-1]
    p, q = coords[:-1][same].T, coords[1:][same].T
    origin = np.minimum(lo.min(axis=1), coords.min(axis=0, initial=np.inf))[:, None]
    top = np.maximum(hi.max(axis=1), coords.max(axis=0, initial=-np.inf))[:, None]
    cell_mm = _typical(np.maximum(hi[0] - lo[0], hi[1] - lo[1]))
    while np.prod((top - origin) / cell_mm + 2.0) > max(
        _MAX_CELLS_PER_FACE * lo.shape[1], _MIN_CELLS
    ):
        cell_mm *= 2.0
    dims = np.floor((top - origin)[:, 0] / cell_mm).astype(np.int64) + 2
    # boundary pieces no longer than half a cell: each box touches at most 2 x 2 cells
    length = np.sqrt(((q - p) ** 2).sum(axis=0))
    pieces = np.maximum(np.ceil(length / (0.5 * cell_mm)), 1).astype(np.int64)
    seg, k = _ranges(np.zeros(len(pieces), dtype=np.int64), pieces)
    step = (q - p)[:, seg] / pieces[seg]
    a = p[:, seg] + k * step
    b = p[:, seg] + (k + 1) * step
    margin_mm = _CROSS_EPS * (1.0 + float(np.abs(coords).max(initial=0.0)))
    start = np.floor((np.minimum(a, b) - margin_mm - origin) / cell_mm).astype(np.int64)
    end = np.floor((np.maximum(a, b) + margin_mm - origin) / cell_mm).astype(np.int64)
    marked = np.zeros(dims + 1, dtype=np.int64)  # cell (i, j) at [i + 1, j + 1]
    for i in (start[0], end[0]):
        for j in (start[1], end[1]):
            marked[i + 1, j + 1] = 1
    summed = marked.cumsum(axis=0).cumsum(axis=1)
    i0, j0 = np.floor((lo - origin) / cell_mm).astype(np.int64)
    i1, j1 = np.floor((hi - origin) / cell_mm).astype(np.int64) + 1
    crossed = summed[i1, j1] - summed[i0, j1] - summed[i1, j0] + summed[i0, j0] > 0
    # the others lie on the side of the centre of their lowest cell: test each cell once
    clear = np.flatnonzero(~crossed)
    cell = i0[clear] * (dims[1] + 1) + j0[clear]
    rank = _ranks(cell, np.argsort(cell))
    centre = np.empty((2, int(rank.max(initial=-1)) + 1))
    centre[:, rank] = np.stack([i0[clear], j0[clear]]) + 0.5
    centre = origin + centre * cell_mm
    crossed[clear] = ~shapely.contains_xy(region, centre[0], centre[1])[rank]
    return crossed
