"""``read_obj``: the vertices and faces of a Wavefront OBJ.

An own reader over ``numpy.loadtxt``, kept because (issue 15, measured in
``benchmarks/formats.py`` and ``tests/scan/test_reader_choice.py``) open3d drops every
face of an OBJ with negative indices or polygons of more than four corners, and trimesh,
which reads them right, is slower on a 327 k-face mesh and splits vertices at texture
seams, so that the vertex count no longer matches the file.
"""

from __future__ import annotations

import re
from typing import Final

import numpy as np

from shellgen._typing import IntArray
from shellgen.errors import ScanError
from shellgen.scan._geometry import Geometry, check_indices, fan, parse_table

__all__ = ["read_obj"]

_OBJ_CORNER_TAIL: Final = re.compile(r"/\S*")


def read_obj(data: bytes, name: str) -> Geometry:
    """Read the vertices (``v``) and faces (``f``) of a Wavefront OBJ.

    Face corners may be ``v``, ``v/vt``, ``v//vn`` or ``v/vt/vn``, and negative indices count
    back from the last vertex defined; polygons are fanned into triangles. Every other
    statement (``vt``, ``vn``, groups, materials) is ignored.
    """
    lines = [line.lstrip() for line in data.decode("utf-8", errors="replace").splitlines()]
    v_at = [i for i, line in enumerate(lines) if line[:2] in ("v ", "v\t")]
    f_at = [i for i, line in enumerate(lines) if line[:2] in ("f ", "f\t")]
    vertex_rows = [lines[i][2:] for i in v_at]
    vertices = parse_table(vertex_rows, [i + 1 for i in v_at], name, usecols=(0, 1, 2))
    if not f_at:
        return Geometry(vertices, None, 0)
    face_rows = _OBJ_CORNER_TAIL.sub("", "\n".join(lines[i][2:] for i in f_at)).split("\n")
    indices, lengths = _obj_corners(face_rows, [i + 1 for i in f_at], name)
    if np.any(indices == 0):
        face = int(np.searchsorted(np.cumsum(lengths), np.argmin(indices != 0), side="right"))
        raise ScanError(
            f"{name}: line {f_at[face] + 1} has a face corner 0, but OBJ vertex numbers "
            "start at 1 (or count back from -1); the file is corrupt, re-export it"
        )
    # 1-based from the start, or negative counting back from the last vertex defined so far
    defined_before = np.repeat(np.searchsorted(v_at, f_at), lengths)
    indices = np.where(indices > 0, indices - 1, defined_before + indices)
    triangles = check_indices(fan(indices, lengths), len(vertices), name)
    return Geometry(vertices, triangles, len(lengths))


def _obj_corners(rows: list[str], line_numbers: list[int], name: str) -> tuple[IntArray, IntArray]:
    """Parse OBJ face rows of vertex numbers (``/vt/vn`` parts removed).

    Returns
    -------
    flat : (sum(lengths),) int
        The vertex numbers as written (1-based, or negative), face after face.
    lengths : (f,) int
        Corners per face.
    """
    try:  # all faces the same size: one C-speed parse
        table = np.loadtxt(rows, dtype=np.int64, ndmin=2, comments=None)
    except ValueError:
        pass  # faces of several sizes, or a bad corner: parse row by row
    else:
        if len(table) == len(rows):
            return table.ravel(), np.full(len(table), table.shape[1], np.int64)
    flat: list[int] = []
    lengths: list[int] = []
    for row, line_no in zip(rows, line_numbers, strict=True):
        words = row.split()
        try:
            flat.extend(int(word) for word in words)
        except ValueError:
            raise ScanError(
                f"{name}: line {line_no} has a face corner that is not a vertex number "
                f"({row.strip()[:40]!r}); fix or remove it"
            ) from None
        lengths.append(len(words))
    return np.asarray(flat, np.int64), np.asarray(lengths, np.int64)
