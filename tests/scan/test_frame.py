"""Grid helpers of the foot frame, against brute force on small clouds."""

from __future__ import annotations

import numpy as np

from shellgen.scan._frame import grid_cells, lowest_per_cell


def test_the_lowest_point_of_each_cell_is_found_and_ties_go_to_the_first_in_file_order() -> None:
    rng = np.random.default_rng(7)
    uv = rng.uniform(-30.0, 30.0, size=(2000, 2))
    h = np.round(rng.uniform(0.0, 5.0, size=2000), 1)  # many equal heights in a cell
    centres, low, which = lowest_per_cell(uv, h, 4.0)
    best: dict[tuple[int, int], int] = {}
    for i, (a, b) in enumerate(np.floor(uv / 4.0).astype(int)):
        j = best.get((a, b))
        if j is None or h[i] < h[j]:
            best[(a, b)] = i
    assert sorted(which.tolist()) == sorted(best.values())
    np.testing.assert_array_equal(low, h[which])
    np.testing.assert_array_equal(centres, uv[which])


def test_grid_cells_numbers_cells_in_c_order_from_the_lowest_corner() -> None:
    points = np.array([[0.0, 0.0, 0.0], [2.5, 0.0, 1.0], [0.0, 1.2, 0.0], [2.9, 2.1, 0.9]])
    flat, shape = grid_cells(points, 1.0, pad=1)
    assert shape == (5, 5, 4)  # one empty cell before and after along every axis
    cells = np.array(np.unravel_index(flat, shape)).T
    np.testing.assert_array_equal(cells, [[1, 1, 1], [3, 1, 2], [1, 2, 1], [3, 3, 1]])
