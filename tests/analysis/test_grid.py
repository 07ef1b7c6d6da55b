"""Raster helpers of ``analyze``: which points stand over the sole.

Specification: a point lies over another surface when a point below it is steeper than
3:1 away (plus a margin for noise). On a sloping sole with a vertical wall rising from its
edge (the foot's side), no sole point lies over another, while three in four wall points
more than 1.5 mm above the wall's foot do, and every one more than 3 mm above it; of a
single steep sheet (a foam impression's wall, 60 degrees) fewer than one point in twenty
does (pairs that the noise puts almost on top of each other). Whatever stands well above
the sole, the foot's top, is left out by ``lowest_surface``'s band.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from shellgen._typing import FloatArray
from shellgen.analysis._grid import over_a_lower_point

#: Scanner noise on every coordinate, mm.
NOISE_MM = 0.2


def _sheet(
    rng: np.random.Generator,
    z_of_xy: Callable[[FloatArray, FloatArray], FloatArray],
    y_max_mm: float,
) -> FloatArray:
    """A surface z(x, y) over 0 <= x <= 40, 0 <= y <= ``y_max_mm``, one point per mm^2."""
    n = int(40 * y_max_mm)
    xy = rng.uniform([0.0, 0.0], [40.0, y_max_mm], size=(n, 2))
    z = z_of_xy(xy[:, 0], xy[:, 1])
    return np.column_stack([xy, z]) + rng.normal(0.0, NOISE_MM, (n, 3))


def test_the_side_rising_from_a_sole_stands_over_it_and_the_sole_does_not() -> None:
    rng = np.random.default_rng(0)
    sole = _sheet(rng, lambda x, y: 0.5 * y, 20.0)  # rising to 10 mm at its edge, y = 20
    n_wall = 40 * 12
    wall = np.column_stack(
        [rng.uniform(0.0, 40.0, n_wall), np.full(n_wall, 20.0), rng.uniform(10.0, 14.0, n_wall)]
    ) + rng.normal(0.0, NOISE_MM, (n_wall, 3))
    points = np.vstack([sole, wall])
    over = over_a_lower_point(points, points)
    assert not over[: len(sole)].any()
    wall_over = over[len(sole) :]
    assert wall_over[wall[:, 2] > 11.5].mean() > 0.75
    assert wall_over[wall[:, 2] > 13.0].all()


def test_a_single_steep_sheet_hardly_stands_over_itself() -> None:
    rng = np.random.default_rng(1)
    wall = _sheet(rng, lambda x, y: np.tan(np.radians(60.0)) * y, 15.0)
    assert over_a_lower_point(wall, wall).mean() < 0.05
