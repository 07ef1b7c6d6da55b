"""``render``: what the preview draws, and the PNG it writes.

Specification:

- the 3D view draws the faces seen from above, the top surface and the side walls, and
  none of the underside;
- it looks along mplot3d's (elevation, azimuth) convention, orthographically;
- the PNG holds exactly the drawn pixels (lossless) and nothing else;
- given the shell's mechanics, a plan map of its top's deflection is drawn to the right of
  the views, mirrored back with a left shell; the views themselves do not move.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np
import pytest
from _shapes import shell_like
from matplotlib import colormaps
from PIL import Image
from scipy.spatial import cKDTree

from shellgen._typing import FloatArray
from shellgen.mechanics import Patient, Response, respond, solid_of_shell
from shellgen.render import (
    _face_normals,
    _mechanics_lines,
    _outer_faces,
    _png,
    _view_basis,
    render_preview,
)
from shellgen.scan import Side
from shellgen.shell import Shell


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


# --- the deflection map (issue 13) ------------------------------------------------------

#: Width of the preview without and with mechanics, px (12 and 17 in at 110 dpi), and where
#: the map's panel starts (fraction of the width).
WIDTH_PX, WIDTH_WITH_MECHANICS_PX = 1320, 1870
MAP_FROM = 0.72


@pytest.fixture(scope="module")
def shell() -> Shell:
    return shell_like(spacing_mm=4.0)


@pytest.fixture(scope="module")
def response(shell: Shell) -> Response:
    """The shell's response to a 70 kg walker, on the 6 mm mechanics mesh."""
    return respond(solid_of_shell(shell, 6.0), shell.spec.material, (80.0, 12.0), Patient(70.0))


def _with_map(response: Response, deflection_mm: FloatArray) -> Response:
    return dataclasses.replace(response, deflection_map_mm=deflection_mm)


def _preview(shell: Shell, path: Path, response: Response | None = None) -> FloatArray:
    render_preview(shell, path, response=response)
    return np.asarray(Image.open(path), dtype=np.float64) / 255.0


def _map_values(image: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Rows, columns and colour-map values (0-1) of the map's pixels: those of the right
    panel, above its colour bar, whose colour is one of the deflection colour map's."""
    height, width, _ = image.shape
    panel = image[: int(0.75 * height), int(MAP_FROM * width) :]
    table = colormaps["YlOrRd"](np.linspace(0.0, 1.0, 256))[:, :3]
    distance, nearest = cKDTree(table).query(panel.reshape(-1, 3))
    on_map = (distance < 0.02).reshape(panel.shape[:2])
    rows, cols = np.nonzero(on_map)
    return rows.astype(float), cols.astype(float), nearest[on_map.ravel()] / 255.0


def test_a_preview_with_mechanics_maps_the_deflection_from_pale_to_dark(
    shell: Shell, response: Response, tmp_path: Path
) -> None:
    x = response.plan_points_mm[:, 0]
    ramp = _with_map(response, 2.0 * x / x.max())  # 0 mm at the heel to 2 mm at the toe
    image = _preview(shell, tmp_path / "ramp.png", ramp)
    assert image.shape == (550, WIDTH_WITH_MECHANICS_PX, 3)
    _, cols, value = _map_values(image)
    assert len(value) > 20_000  # the shell's plan, about 180 x 60 mm at ~1.1 px/mm
    assert np.corrcoef(cols, value)[0, 1] > 0.97  # darker toward the toe, left to right
    assert value.min() < 0.05 and value.max() > 0.95
    flat = _map_values(_preview(shell, tmp_path / "zero.png", _with_map(response, 0.0 * x)))
    assert abs(len(flat[2]) - len(value)) < 0.05 * len(value)  # the same area, all pale
    assert flat[2].max() < 0.02


@pytest.mark.parametrize(("side", "medial_down"), [("right", False), ("left", True)])
def test_the_map_of_a_left_shell_is_mirrored_back_with_it(
    shell: Shell, response: Response, side: Side, medial_down: bool, tmp_path: Path
) -> None:
    y = response.plan_points_mm[:, 1]
    medial = _with_map(response, np.clip(y, 0.0, None) / 10.0)  # only the medial half sinks
    sided = dataclasses.replace(shell, side=side)
    rows, _, value = _map_values(_preview(sided, tmp_path / f"{side}.png", medial))
    correlation = np.corrcoef(rows, value)[0, 1]  # image rows grow downward
    assert correlation > 0.8 if medial_down else correlation < -0.8


def test_the_real_response_is_drawn_and_the_views_keep_their_pixels(
    shell: Shell, response: Response, tmp_path: Path
) -> None:
    plain = _preview(shell, tmp_path / "plain.png")
    mapped = _preview(shell, tmp_path / "mapped.png", response)
    assert plain.shape == (550, WIDTH_PX, 3)
    assert len(_map_values(plain)[2]) == 0  # no deflection map without mechanics
    _, _, value = _map_values(mapped)
    assert value.max() > 0.9  # the deepest point, on the colour bar's top
    assert np.ptp(value) > 0.8
    # The 3D and top views are where they were, pixel for pixel (the title is centred
    # on the wider picture, so the rows under it are compared).
    assert np.array_equal(mapped[60:, :WIDTH_PX], plain[60:])


def test_the_numbers_beside_the_map_are_the_responses(response: Response) -> None:
    assert response.deflection_mm is not None and response.safety_factor is not None
    lines = _mechanics_lines(response)
    assert lines == [
        f"arch deflection {response.deflection_mm:.2f} mm walking, "
        f"{response.activity_deflection_mm:.2f} mm at the activity load",
        f"bench stiffness {response.bench_stiffness_n_per_mm:.0f} N/mm "
        f"(200 N: {response.bench_deflection_mm:.2f} mm)",
        f"peak stress {response.peak_stress_mpa:.1f} MPa  ·  "
        f"safety factor {response.safety_factor:.2f}",
    ]
    bench_only = dataclasses.replace(
        response, **dict.fromkeys(("load_n", "deflection_mm", "activity_deflection_mm"))
    )
    assert _mechanics_lines(bench_only) == [
        lines[1],
        f"peak stress {response.bench_peak_stress_mpa:.1f} MPa (bench load)",
    ]
