"""Smooth blends of heights: a C1 ramp and a smooth minimum (mm in, mm out)."""

from __future__ import annotations

import numpy as np

from shellgen._typing import FloatArray

__all__ = ["smoothstep", "softmin"]


def smoothstep(x: FloatArray, lo: float | FloatArray, hi: float | FloatArray) -> FloatArray:
    """0 below ``lo``, 1 above ``hi``, a C1 cubic in between (``lo < hi``)."""
    u = np.clip((np.asarray(x, dtype=np.float64) - lo) / (np.asarray(hi) - lo), 0.0, 1.0)
    return np.asarray(u * u * (3.0 - 2.0 * u), dtype=np.float64)


def softmin(a: FloatArray, b: FloatArray, width_mm: float) -> FloatArray:
    """Smooth minimum of two heights, at most ``width_mm * ln 2`` below ``min(a, b)``."""
    return np.asarray(-width_mm * np.logaddexp(-a / width_mm, -b / width_mm))
