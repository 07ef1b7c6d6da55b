"""The column index: faces by the (x, y) cell of their bounding box and by which way they
face, and the query for the faces that may overlap a box seen from above."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from shellgen._typing import BoolArray, FloatArray, IntArray
from shellgen.validation._arrays import _ranges, _sort_order, _typical

__all__ = [
    "_DOWN",
    "_DOWN_STEP",
    "_FACINGS",
    "_FLAT_UP",
    "_FLAT_UP_MIN_NZ",
    "_MAX_CELLS_PER_FACE",
    "_MIN_CELLS",
    "_OTHER",
    "_STEEP_UP",
    "_UP_STEP",
    "_Columns",
    "_column_query",
    "_columns",
]


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
    lo = np.take(lo, face, axis=1)
    hi = np.take(hi, face, axis=1)
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
    beyond_x = [span[0] > dx for dx in range(3)]
    in_row = [small & (span[1] > dy) for dy in range(3)]
    boxes = [np.flatnonzero(in_row[dy] & beyond_x[dx]) for dx, dy in offsets]
    large = np.flatnonzero(~small)
    owner, k = _ranges(np.zeros(len(large), dtype=np.int64), span[0][large] * span[1][large])
    wide = span[0][large][owner]
    counts = [len(b) for b in boxes]
    dx = np.concatenate([np.repeat([o[0] for o in offsets], counts), k % wide])
    dy = np.concatenate([np.repeat([o[1] for o in offsets], counts), k // wide])
    first = (4 + (dx == 0) + 2 * (dy == 0)).astype(np.uint8)
    return np.concatenate([*boxes, large[owner]]), dx * stride[0] + dy * stride[1], first


def _column_query(
    columns: _Columns,
    lo: FloatArray,
    hi: FloatArray,
    facings: tuple[IntArray, IntArray],
) -> tuple[IntArray, IntArray, BoolArray]:
    """(box, indexed face, first): the faces that may overlap box (lo, hi) (2, q) seen from above.

    Only faces of facing ``facings[0][i]`` up to (not including) ``facings[1][i]`` are
    returned for box ``i``. A face entered in several cells may come more than once;
    ``first`` marks one row of each (box, face) pair.
    """
    origin = columns.origin_mm[:, None]
    top = (columns.dims - 1)[:, None]
    first = np.floor((lo - origin) / columns.cell_mm) - 1.0
    last = np.floor((hi - origin) / columns.cell_mm)
    near = np.flatnonzero(
        (last[0] >= 0) & (last[1] >= 0) & (first[0] <= top[0]) & (first[1] <= top[1])
    )
    low = np.clip(np.take(first, near, axis=1), 0, top).astype(np.int64)
    high = np.clip(np.take(last, near, axis=1), 0, top).astype(np.int64)
    box, step, bits = _box_cells(high - low + 1, _FACINGS * np.array([columns.dims[1], 1]))
    block = np.take(_FACINGS * (low[0] * columns.dims[1] + low[1]), box) + step
    start = columns.block_start
    begin = np.take(start, block + np.take(facings[0][near], box))
    count = np.maximum(np.take(start, block + np.take(facings[1][near], box)) - begin, 0)
    entry = _ranges(begin, count)[1]
    once = (np.repeat(bits, count) | np.take(columns.entry_first, entry)) == _ALL_AXES
    return np.repeat(np.take(near, box), count), np.take(columns.entry_face, entry), once
