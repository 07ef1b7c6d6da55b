"""The foot's silhouette on a raster: its largest part and the separate toes beside it.

Shared by ``prepare`` (scan units) and ``analyze`` (mm), which is why it lives below both.
A foam impression's toes leave pits apart from the main cavity (foam ridges between them),
and separated toes of an unloaded foot may stand apart from the sole seen from below: they
belong to the footprint's length, so they are kept with the largest part, while anything
far away (debris, another body) is not.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from scipy import ndimage

from shellgen._typing import BoolArray

__all__ = ["foot_parts", "largest_component"]

#: A separate part is a toe when it has at least this share of the largest part's area ...
TOE_MIN_AREA: Final = 0.002
#: ... and lies within this fraction of the largest part's span from it.
TOE_MAX_GAP: Final = 0.1


def foot_parts(mask: BoolArray) -> BoolArray:
    """The largest 8-connected part of ``mask`` and the parts near it that can be toes.

    Parameters
    ----------
    mask : (ny, nx) bool
        A silhouette raster (square cells).

    Returns
    -------
    (ny, nx) bool
        The largest part, with every other part of at least ``TOE_MIN_AREA`` of its area
        lying within ``TOE_MAX_GAP`` of its span (the larger side of its bounding box).
    """
    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n == 0:
        return np.zeros_like(mask)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    main = int(np.argmax(sizes))
    keep = labels == main
    if n == 1:
        return np.asarray(keep)
    rows, cols = np.nonzero(keep)
    span = max(np.ptp(rows), np.ptp(cols)) + 1
    reach = ndimage.distance_transform_edt(~keep)
    near = reach <= TOE_MAX_GAP * span
    candidates = np.flatnonzero(sizes >= TOE_MIN_AREA * sizes[main])
    touching = np.unique(labels[near & np.isin(labels, candidates)])
    return np.asarray(np.isin(labels, touching[touching > 0]) | keep)


def largest_component(mask: BoolArray, seed: tuple[int, int] | None = None) -> BoolArray:
    """The 4-connected component of ``mask`` holding ``seed``, or the largest one."""
    labels, n = ndimage.label(mask)
    if n == 0:
        return np.zeros_like(mask)
    if seed is not None and labels[seed] > 0:
        return np.asarray(labels == labels[seed])
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return np.asarray(labels == int(np.argmax(sizes)))
