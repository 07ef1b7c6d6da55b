"""Vectorised numpy helpers the checks share: products of (3, k) columns of vectors, sorting
and ranking int keys, ids of distinct rows, and the tolerance of the crossing and ray tests."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from shellgen._typing import FloatArray, IntArray

__all__ = [
    "_CROSS_EPS",
    "_cross",
    "_dot",
    "_ranges",
    "_ranks",
    "_row_ids",
    "_sort_order",
    "_typical",
]


#: Relative tolerance of the face-crossing and ray tests.
_CROSS_EPS: Final = 1e-9


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


def _ranges(begin: IntArray, count: IntArray) -> tuple[IntArray, IntArray]:
    """(owner, index): ``begin[i], ..., begin[i] + count[i] - 1`` for each i, concatenated."""
    owner = np.repeat(np.arange(len(count)), count)
    shift = np.repeat(begin - np.cumsum(count) + count, count)
    return owner, np.arange(len(owner)) + shift
