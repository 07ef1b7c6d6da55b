"""What every reader returns (:class:`Geometry`), and the helpers the readers share.

Text tables parsed with the first bad line named, UTF-8 decoding, polygon fans and face
index checks; every problem with a file is a one-line :class:`~shellgen.errors.ScanError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from shellgen._typing import FloatArray, IntArray
from shellgen.errors import ScanError

__all__ = ["Geometry", "check_indices", "decode", "fan", "parse_table"]


@dataclass(frozen=True)
class Geometry:
    """What a reader found in a file, before any cleaning.

    Attributes
    ----------
    vertices : (n, 3) float
        Every point or mesh vertex in the file, scanner frame and units, NaN/inf included.
    triangles : (m, 3) int or None
        Triangles (polygons already fanned) indexing ``vertices``; None for a point cloud.
    n_faces : int
        Faces (polygons) as stored in the file; 0 for a point cloud.
    """

    vertices: FloatArray
    triangles: IntArray | None
    n_faces: int


def fan(flat: IntArray, lengths: IntArray) -> IntArray:
    """Triangulate polygons as fans from their first corner.

    Parameters
    ----------
    flat : (sum(lengths),) int
        The polygons' corner indices, concatenated.
    lengths : (p,) int
        Corners per polygon; polygons with fewer than 3 give no triangle.

    Returns
    -------
    (t, 3) int
        Triangles ``(c0, c_j, c_j+1)`` for each polygon, in polygon order.
    """
    starts = np.cumsum(lengths) - lengths
    n_tri = np.maximum(lengths - 2, 0)
    first = np.repeat(starts, n_tri)
    step = np.arange(int(n_tri.sum())) - np.repeat(np.cumsum(n_tri) - n_tri, n_tri) + 1
    return np.column_stack([flat[first], flat[first + step], flat[first + step + 1]]).astype(
        np.int64
    )


def check_indices(triangles: IntArray, n_vertices: int, name: str) -> IntArray:
    """Raise unless every triangle corner indexes one of ``n_vertices`` vertices."""
    if len(triangles) and (triangles.min() < 0 or triangles.max() >= n_vertices):
        bad = int(triangles.max() if triangles.max() >= n_vertices else triangles.min())
        raise ScanError(
            f"{name} has a face using vertex index {bad} but only {n_vertices} vertices; "
            "the file is corrupt, re-export it"
        )
    return triangles


def decode(data: bytes, name: str, what: str) -> str:
    """Decode a text format as UTF-8, or raise a ScanError saying it is not text."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScanError(
            f"{name} is not a text {what} file (undecodable byte at offset {exc.start}); "
            "check the file's format"
        ) from exc


def parse_table(
    rows: Sequence[str],
    line_numbers: Sequence[int] | range,
    name: str,
    n_columns: int | None = None,
    usecols: tuple[int, ...] | None = None,
    delimiter: str | None = None,
) -> FloatArray:
    """Parse text rows of numbers into a float table, naming the first bad line on failure.

    Parameters
    ----------
    rows : sequence of str
        Non-blank lines of numbers.
    line_numbers : sequence of int
        The 1-based line number in the file of each row, for messages.
    name : str
        The file, for messages.
    n_columns : int, optional
        Columns each row must have exactly (when ``usecols`` is None).
    usecols : tuple of int, optional
        Read only these columns (rows may have more).
    delimiter : str, optional
        Column separator; whitespace when None.

    Returns
    -------
    (len(rows), k) float
        The table, ``k`` = ``len(usecols)`` or the rows' column count.
    """
    if not rows:
        return np.empty((0, len(usecols) if usecols else n_columns or 0))
    try:
        table: FloatArray = np.loadtxt(
            rows, dtype=np.float64, delimiter=delimiter, usecols=usecols, ndmin=2, comments=None
        )
    except ValueError:
        pass  # found and named below
    else:
        if len(table) == len(rows) and (n_columns is None or table.shape[1] == n_columns):
            return table
    needed = max(usecols) + 1 if usecols else n_columns
    for row, line_no in zip(rows, line_numbers, strict=True):
        fields = row.split(delimiter)
        if needed is not None and len(fields) < needed:
            problem = f"has {len(fields)} columns, {needed} needed"
        elif usecols is None and n_columns is not None and len(fields) != n_columns:
            problem = f"has {len(fields)} columns, {n_columns} expected"
        else:
            try:
                [float(fields[i]) for i in (usecols or range(len(fields)))]
            except ValueError:
                problem = "holds a value that is not a number"
            else:
                continue
        raise ScanError(
            f"{name}: line {line_no} {problem} ({row.strip()[:40]!r}); fix or remove it"
        )
    raise ScanError(f"{name}: the numbers in the file cannot be parsed; check its format")
