"""The outline's inward buffers: simplified first, they stay within hundredths of a mm.

The plantar region is a raster polygon (a staircase of 1 mm cells); widened by a buffer,
its corners become arcs of many short segments, which made the inward buffer of each
closing three times as slow. It is simplified by ``SIMPLIFY_MM`` first: the outline moves
by no more than that and a little rounding.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from shellgen.shell._outline import SIMPLIFY_MM, _shrink


def _raster_ellipse(a_mm: float, b_mm: float) -> Polygon:
    """The 1 mm cells whose centre lies inside an ellipse of semi-axes a and b, merged."""
    rows = []
    for y in np.arange(-b_mm, b_mm + 1.0):
        half = np.floor(a_mm * np.sqrt(max(0.0, 1.0 - (y / b_mm) ** 2)))
        rows.append(box(-half - 0.5, y - 0.5, half + 0.5, y + 0.5))
    merged = shapely.union_all(rows)
    assert isinstance(merged, Polygon)
    return merged


@pytest.mark.parametrize("radius_mm", [4.0, 8.0, 20.0])
def test_a_closing_with_the_simplified_shrink_is_within_hundredths_of_the_exact_one(
    radius_mm: float,
) -> None:
    staircase = _raster_ellipse(120.0, 45.0)
    grown = staircase.buffer(radius_mm)
    exact = grown.buffer(-radius_mm)
    fast = _shrink(grown, radius_mm)
    assert len(shapely.get_coordinates(fast)) < len(shapely.get_coordinates(exact))
    assert shapely.hausdorff_distance(exact, fast, densify=0.02) <= 2.0 * SIMPLIFY_MM
    # A closing contains what it closes; the simplification may only shave slivers off its
    # corners, no wider than SIMPLIFY_MM.
    assert staircase.difference(fast).area < staircase.length * SIMPLIFY_MM
