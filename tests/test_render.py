"""``render``: what the preview draws, and the PNG it writes.

Specification:

- the 3D view draws the faces seen from above, the top surface and the side walls, and
  none of the underside;
- it looks along mplot3d's (elevation, azimuth) convention, orthographically;
- the PNG holds exactly the drawn pixels (lossless) and nothing else.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from _shapes import shell_like
from PIL import Image

from shellgen.render import _face_normals, _outer_faces, _png, _view_basis


def test_the_3d_view_draws_the_top_and_the_walls_and_no_face_of_the_underside() -> None:
    shell = shell_like(spacing_mm=4.0)
    # shell_like's faces: the top triangulation, the same reversed for the bottom, then two
    # wall triangles per edge of the 140-point outline.
    n_top = (len(shell.faces) - 2 * 140) // 2
    normals = _face_normals(shell.vertices[shell.faces])

    outer = _outer_faces(shell, normals[:, 2])

    expected = np.zeros(len(shell.faces), dtype=bool)
    expected[:n_top] = True
    expected[2 * n_top :] = True
    assert np.array_equal(outer, expected)


@pytest.mark.parametrize(
    ("elev_deg", "azim_deg", "right", "up", "toward_viewer"),
    [
        (0.0, -90.0, (1, 0, 0), (0, 0, 1), (0, -1, 0)),  # from -y, level: x to the right
        (90.0, -90.0, (1, 0, 0), (0, 1, 0), (0, 0, 1)),  # from above: the top view
        (0.0, 0.0, (0, 1, 0), (0, 0, 1), (1, 0, 0)),  # from +x: y to the right
    ],
)
def test_the_view_looks_along_mplot3ds_elevation_and_azimuth(
    elev_deg: float,
    azim_deg: float,
    right: tuple[int, int, int],
    up: tuple[int, int, int],
    toward_viewer: tuple[int, int, int],
) -> None:
    view = _view_basis(elev_deg, azim_deg)
    np.testing.assert_allclose(view, np.array([right, up, toward_viewer]), atol=1e-12)
    assert np.linalg.det(view) == pytest.approx(1.0)


def test_the_png_holds_the_pixels_exactly() -> None:
    rgb = np.random.default_rng(0).integers(0, 256, (37, 53, 3), dtype=np.uint8)

    data = _png(rgb)

    image = Image.open(io.BytesIO(data))
    assert (image.mode, image.size) == ("RGB", (53, 37))
    assert np.array_equal(np.asarray(image), rgb)
    assert data == _png(rgb.copy())
