"""The two height fields of ``shellgen.shell._surfaces``: where the built shell stands."""

from __future__ import annotations

import dataclasses

import pytest
from feet import shell_spec, synthetic_foot

from shellgen.shell import build

#: How near z = 0 the underside's lowest point must come to rest on the plate, mm (the
#: mechanics' rounding tolerance, ``shellgen.mechanics.SEAT_MM``).
RESTS_MM = 0.05


@pytest.mark.parametrize(
    ("post_angle_deg", "post_motion_deg"), [(4.0, 0.0), (-6.0, 0.0), (6.0, 2.0)]
)
def test_a_posted_shell_rests_on_z0_under_the_heel_and_the_forefoot(
    post_angle_deg: float, post_motion_deg: float
) -> None:
    spec = shell_spec("sulcus", post_angle_deg=post_angle_deg)
    spec = dataclasses.replace(
        spec,
        prescription=dataclasses.replace(spec.prescription, post_motion_deg=post_motion_deg),
    )
    shell = build(synthetic_foot(), spec)
    assert shell.plan is not None
    x, z = shell.vertices[:, 0], shell.vertices[:, 2]
    heel = x <= shell.plan.seat.bounds[2]  # the posted heel seat's length
    forefoot = x >= 0.75 * x.max()
    assert z[heel].min() == pytest.approx(0.0, abs=RESTS_MM)
    assert z[forefoot].min() == pytest.approx(0.0, abs=RESTS_MM)
