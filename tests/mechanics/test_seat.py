"""Where a shell rests: on z = 0, and on its posted heel's plane (``resting_nodes``)."""

from __future__ import annotations

import numpy as np
import pytest

from shellgen.mechanics._seat import resting_nodes

SEAT_MM = 0.05
LOAD_X_MM = 110.0


def shell_underside(post_deg: float = 0.0, lift_mm: float = 0.0) -> tuple[np.ndarray, ...]:
    """A 200 x 80 mm plan on a 3 mm grid: heel seat (x < 70) and forefoot (x > 150) on the
    floor, an arch rising 8 mm between, rims 6 mm up within 5 mm of the sides; the heel's
    underside tilted ``post_deg`` about its medial (+y) edge, everything lifted ``lift_mm``."""
    x, y = np.meshgrid(np.arange(0.0, 201.0, 3.0), np.arange(-40.0, 41.0, 4.0))
    x, y = x.ravel(), y.ravel()
    arch = np.where((x > 70) & (x < 150), 8.0 * np.sin(np.pi * (x - 70) / 80) ** 2, 0.0)
    rim = np.where(np.abs(y) > 35, 6.0, 0.0)
    # the posted plane, bevelled up ahead of the seat (as the build's post floor)
    post = np.where(x < 150, np.tan(np.radians(post_deg)) * (40.0 - y), 0.0)
    post = post + 0.3 * np.maximum(x - 70.0, 0.0)
    bottom = np.maximum(arch, np.where(x < 150, post, 0.0)) + rim
    return np.column_stack([x, y]), bottom + lift_mm, x, y, arch, rim


def test_an_unposted_shell_rests_where_its_underside_is_on_the_floor() -> None:
    points, bottom, _, _, _, rim = shell_underside()
    resting = resting_nodes(points, bottom, SEAT_MM, LOAD_X_MM)
    assert np.array_equal(resting, bottom <= SEAT_MM)
    assert resting.sum() > 100
    assert not resting[bottom > 0.1].any() and not resting[rim > 0].any()


@pytest.mark.parametrize("post_deg", [2.0, 4.0, 8.0])
def test_a_posted_heel_rests_on_its_posted_plane_and_the_forefoot_on_the_floor(
    post_deg: float,
) -> None:
    points, bottom, x, _, arch, rim = shell_underside(post_deg)
    resting = resting_nodes(points, bottom, SEAT_MM, LOAD_X_MM)
    heel = (x <= 70) & (rim == 0)
    forefoot = (x >= 150) & (rim == 0)
    assert resting[heel].all()  # the whole seat, not its low edge alone
    assert resting[forefoot].all()
    assert not resting[arch > 0.5].any()
    assert not resting[rim > 0].any()


def test_a_shell_above_the_floor_rests_as_it_would_on_it() -> None:
    points, bottom, *_ = shell_underside(4.0)
    on_floor = resting_nodes(points, bottom, SEAT_MM, LOAD_X_MM)
    lifted = resting_nodes(points, bottom + 5.0, SEAT_MM, LOAD_X_MM)
    assert np.array_equal(on_floor, lifted)


def test_a_side_without_a_flat_area_rests_where_it_touches_the_plate() -> None:
    points, *_ = shell_underside()
    bowl = 0.002 * ((points[:, 0] - 100.0) ** 2 + points[:, 1] ** 2)
    resting = resting_nodes(points, bowl, SEAT_MM, LOAD_X_MM)
    assert np.array_equal(resting, bowl <= SEAT_MM)
    assert 0 < resting.sum() < 12


def test_a_posted_shell_stands_on_its_post_as_firmly_as_the_unposted_one() -> None:
    """On the plate alone a 4 degree post rests on its low edge; on its bed the whole seat
    rests, and the shell responds as the unposted one does (within a quarter)."""
    from feet import shell_spec, synthetic_foot

    from shellgen.materials import material
    from shellgen.mechanics import Patient, respond, settle, solid_of_shell
    from shellgen.shell import build

    foot = synthetic_foot()
    apex = foot.landmarks.arch_apex
    solids = {
        post: settle(
            solid_of_shell(build(foot, shell_spec(post_angle_deg=post)), 6.0), apex, SEAT_MM
        )
        for post in (0.0, 4.0)
    }
    seat = {p: (s.points[:, 0] < 50.0) for p, s in solids.items()}
    flat_heel = resting_nodes(solids[0.0].points, solids[0.0].bottom_mm, SEAT_MM, apex[0])
    posted_heel = resting_nodes(solids[4.0].points, solids[4.0].bottom_mm, SEAT_MM, apex[0])
    on_plate = (solids[4.0].bottom_mm <= SEAT_MM) & seat[4.0]
    assert posted_heel[seat[4.0]].sum() >= 0.8 * flat_heel[seat[0.0]].sum()
    assert posted_heel[seat[4.0]].sum() > 3 * on_plate.sum()  # not the low edge alone
    pa12 = material("PA12-MJF")
    flat, posted = (respond(solids[p], pa12, apex, Patient(70.0)) for p in (0.0, 4.0))
    assert posted.bench_deflection_mm == pytest.approx(flat.bench_deflection_mm, rel=0.25)
    assert posted.peak_stress_mpa == pytest.approx(flat.peak_stress_mpa, rel=0.25)
