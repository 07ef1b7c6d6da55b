"""``read_stl``: an ascii or binary STL, its shared corners merged into vertices.

An own reader (a NumPy record ``frombuffer`` for binary, one regular expression for ascii),
kept because the libraries measured refuse a valid file scanners write (issue 15,
``tests/scan/test_reader_choice.py``): a binary STL whose 80-byte header begins with
``solid`` and that has trailing bytes reads as an empty scene in trimesh and as no
triangles in open3d. trimesh parses faster when it does not merge corners; merging them,
as ``load`` needs, it took 0.8 s where this reader takes 0.56 s for 327 k faces.
"""

from __future__ import annotations

import logging
import re
from typing import Final

import numpy as np

from shellgen._typing import FloatArray, IntArray
from shellgen.errors import ScanError
from shellgen.scan._geometry import Geometry

__all__ = ["read_stl"]

logger = logging.getLogger(__name__)

_STL_HEADER_BYTES: Final = 84
_STL_VERTEX: Final = re.compile(rb"\bvertex\s+(\S+)\s+(\S+)\s+(\S+)", re.IGNORECASE)
_STL_FACET: Final = re.compile(rb"\bfacet\b", re.IGNORECASE)
_STL_RECORD: Final = np.dtype(
    [("normal", "<f4", (3,)), ("corners", "<f4", (3, 3)), ("attr", "<u2")]
)


def read_stl(data: bytes, name: str) -> Geometry:
    """Read an ascii or binary STL; corners shared by triangles become one vertex.

    A file is binary when its size is exactly ``84 + 50 * n`` for the ``n`` triangles its
    header declares (a binary header may itself begin with ``solid``); otherwise it is
    ascii if it begins with ``solid`` and holds a ``vertex`` line or is too short for its
    binary reading, else a binary file of the wrong size (trailing bytes are ignored).
    """
    n_declared = int.from_bytes(data[80:84], "little")
    expected = _STL_HEADER_BYTES + _STL_RECORD.itemsize * n_declared
    solid = data.lstrip()[:5].lower() == b"solid"
    if len(data) >= _STL_HEADER_BYTES and len(data) == expected:
        records = np.frombuffer(data, dtype=_STL_RECORD, count=n_declared, offset=84)
        corners = records["corners"].reshape(-1, 3)
    elif solid and (len(data) < expected or _STL_VERTEX.search(data) is not None):
        corners = _stl_ascii_corners(data, name, expected)
    elif len(data) < _STL_HEADER_BYTES:
        raise ScanError(
            f"{name} is too short to be an STL ({len(data)} bytes; a binary STL has at least "
            f"{_STL_HEADER_BYTES}); the file is truncated or corrupt, re-export it"
        )
    elif len(data) < expected:
        raise ScanError(
            f"{name}: binary STL is truncated: its header declares {n_declared} triangles, "
            f"needing {expected} bytes, but the file has {len(data)}; re-export or re-copy it"
        )
    else:
        logger.warning("%s: ignoring %d bytes after the last triangle", name, len(data) - expected)
        records = np.frombuffer(data, dtype=_STL_RECORD, count=n_declared, offset=84)
        corners = records["corners"].reshape(-1, 3)
    vertices, triangles = _merge_corners(corners)
    return Geometry(vertices, triangles, len(triangles))


def _stl_ascii_corners(data: bytes, name: str, binary_size: int) -> np.ndarray:
    """The ``vertex`` coordinates of an ascii STL, three per facet, as a (3m, 3) array."""
    found = _STL_VERTEX.findall(data)
    n_facets = len(_STL_FACET.findall(data))
    if not found:
        raise ScanError(
            f"{name} is neither an ascii STL with vertices nor a binary STL of the size its "
            f"header declares ({binary_size} bytes, file has {len(data)}); the file is "
            "corrupt or truncated, re-export it"
        )
    if len(found) != 3 * n_facets:
        raise ScanError(
            f"{name}: ascii STL has {len(found)} vertex lines for {n_facets} facets (3 each "
            "expected); the file is corrupt or truncated, re-export it"
        )
    try:
        return np.array(found).astype(np.float64)
    except ValueError:
        raise ScanError(
            f"{name}: ascii STL has a vertex whose coordinates are not numbers; it is corrupt"
        ) from None


def _merge_corners(corners: np.ndarray) -> tuple[FloatArray, IntArray]:
    """Merge bit-identical triangle corners into shared vertices, in first-seen order.

    Parameters
    ----------
    corners : (3m, 3) float
        Triangle corners, three consecutive rows per triangle.

    Returns
    -------
    vertices : (n, 3) float
        Distinct corners, in the order they first appear.
    triangles : (m, 3) int
        Triangles indexing ``vertices``.
    """
    corners = np.ascontiguousarray(corners + corners.dtype.type(0))  # -0.0 -> 0.0
    keys = corners.view(np.dtype((np.void, corners.dtype.itemsize * 3))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    vertices = corners[first[order]].astype(np.float64)
    return vertices, rank[inverse].reshape(-1, 3).astype(np.int64)
