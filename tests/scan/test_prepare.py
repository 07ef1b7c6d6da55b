"""``prepare``: any foot scan into the foot frame (mm, right foot), every bad scan refused.

Specification (from the issues):

- synthetic scans of every kind (foot, plantar, impression), side and unit, in a random
  orientation, are recovered: the side every time, the foot length within 1.5 %, the ball
  width within 4 %, the foot axis within 3 degrees (yaw and tilt) by a proper rotation;
- an adult foot in inches is ambiguous with centimetres: it needs ``units="in"``;
- the real scans in ``scans/`` come out with their side, units, kind and length;
- bad input raises a one-line ``ScanError`` that names the file;
- ``prepare`` is idempotent in geometry and deterministic.

Known failures are marked ``xfail(strict=True)`` with the measured deviation: when the bug
is fixed the test passes, strict mode turns that into a failure, and the mark must go.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from _scans import (
    BALL_WIDTH_TOL,
    KINDS,
    LENGTH_TOL,
    RealScan,
    Synthetic,
    ToRaw,
    lengths_and_landmarks,
)
from scipy.spatial.transform import Rotation

from shellgen._typing import FloatArray
from shellgen.analysis import Foot, analyze
from shellgen.errors import ScanError
from shellgen.limits import MIN_POINTS, UNIT_TO_MM
from shellgen.scan import Kind, Scan, Units, prepare
from shellgen.synth import Truth, synth_scan

#: Tolerances of the acceptance criteria.
AXIS_TOL_DEG = 3.0
REAL_LENGTH_TOL = 0.02
IDEMPOTENCE_TOL_MM = 0.5

#: Each seed of a kind gets the next (side, units): eight seeds cover every combination.
SIDE_UNITS = [(side, units) for units in ("mm", "cm", "m", "in") for side in ("right", "left")]


def _case(
    kind: str, seed: int, *, floor: bool = False, leg: bool = False, bug: str | None = None
) -> object:
    side, units = SIDE_UNITS[seed % len(SIDE_UNITS)]
    variant = "-floor" if floor else "-leg" if leg else ""
    marks = [pytest.mark.xfail(reason=bug, strict=True)] if bug else []
    return pytest.param(
        kind, side, units, seed, floor, leg,
        id=f"{kind}{variant}-{side}-{units}-seed{seed}", marks=marks,
    )  # fmt: skip


RECOVERY_CASES = [
    *(_case(kind, seed) for kind in KINDS for seed in range(8)),
    *(_case("foot", seed, floor=True) for seed in (4, 5, 6, 7)),
    *(_case("foot", seed, leg=True) for seed in (2, 3)),
    _case("plantar", 13),
]


#: Known: the arch apex x comes from the plantar region's rasterised edge (1 mm cells);
#: re-preparing moves the raster under the foot and the apex by up to about 0.9 mm.
_APEX_RASTER = pytest.mark.xfail(
    reason="BUG analyze: arch apex x moves 0.5-0.9 mm when the raster moves under the foot",
    strict=False,
)


def truth_to_ours(scan: Scan, truth: Truth) -> FloatArray:
    """(4, 4) map from the truth's foot frame (mm) to the prepared scan's foot frame (mm)."""
    return np.linalg.inv(scan.to_scanner) @ truth.to_scanner


@pytest.mark.parametrize(("kind", "side", "units", "seed", "floor", "leg"), RECOVERY_CASES)
def test_synthetic_scan_is_recovered_in_any_orientation(
    synthetic: Synthetic, kind: str, side: str, units: str, seed: int, floor: bool, leg: bool
) -> None:
    synth, scan, foot = synthetic(kind, side, units, seed, floor=floor, leg=leg)
    truth = synth.truth

    assert scan.side == side
    assert scan.kind == kind
    assert scan.units == units
    assert scan.units_source == ("given" if units == "in" else "detected")
    assert scan.mm_per_unit == UNIT_TO_MM[units]

    # Truth frame -> our frame is a rigid motion: no scale, no shear, no mirror left over.
    rot = truth_to_ours(scan, truth)[:3, :3]
    np.testing.assert_allclose(rot.T @ rot, np.eye(3), atol=1e-9)
    assert np.linalg.det(rot) == pytest.approx(1.0, abs=1e-9)
    tilt_deg = np.degrees(np.arccos(np.clip(rot[2, 2], -1.0, 1.0)))
    yaw_deg = np.degrees(np.arctan2(rot[1, 0], rot[0, 0]))
    assert tilt_deg <= AXIS_TOL_DEG
    assert abs(yaw_deg) <= AXIS_TOL_DEG

    assert foot.foot_length_mm == pytest.approx(truth.foot_length_mm, rel=LENGTH_TOL)
    assert foot.ball_width_mm == pytest.approx(truth.ball_width_mm, rel=BALL_WIDTH_TOL)


@pytest.mark.parametrize("kind", ["plantar", "impression"])
def test_inches_of_an_adult_foot_are_ambiguous_with_centimetres(to_raw: ToRaw, kind: Kind) -> None:
    # 259.5 mm is 10.2 in, which read as centimetres is a plausible 102 mm foot.
    synth = synth_scan(kind, units="in", seed=3)
    with pytest.raises(ScanError, match=r"ambiguous.*--units cm\|in"):
        prepare(to_raw(synth.points, "inches.xyz"))


@pytest.mark.parametrize(
    ("name", "side", "units", "kind", "length_mm"),
    [
        ("myfeet_left_foot_m.stl", "left", "m", "foot", 275.0),
        ("myfeet_right_foot_m.stl", "right", "m", "foot", 275.0),
        ("insoletilter_plantar_right_mm.obj", "right", "mm", "plantar", 274.0),
    ],
)
def test_real_scan_side_units_kind_and_length(
    real_scan: RealScan, name: str, side: str, units: str, kind: str, length_mm: float
) -> None:
    scan, foot = real_scan(name)
    assert scan.side == side
    assert (scan.units, scan.units_source) == (units, "detected")
    assert scan.kind == kind
    assert foot.foot_length_mm == pytest.approx(length_mm, rel=REAL_LENGTH_TOL)


# --- Bad input -------------------------------------------------------------------------


def _sphere() -> FloatArray:
    """60 000 points on a sphere of radius 130 mm (about 2 mm apart)."""
    v = np.random.default_rng(1).normal(size=(60_000, 3))
    return 130.0 * v / np.linalg.norm(v, axis=1, keepdims=True)


def _box() -> FloatArray:
    """Points 1 mm apart on the surface of a 260 x 100 x 50 mm box, turned at random."""
    rng = np.random.default_rng(2)
    size = np.array([260.0, 100.0, 50.0])
    area = 2.0 * (size[0] * size[1] + size[0] * size[2] + size[1] * size[2])
    p = rng.uniform(0.0, 1.0, (int(area), 3)) * size
    face = rng.integers(0, 6, len(p))
    axis = face % 3
    p[np.arange(len(p)), axis] = np.where(face < 3, 0.0, size[axis])
    return p @ Rotation.random(random_state=3).as_matrix().T


def _plane() -> FloatArray:
    """A 400 x 300 mm floor with 0.2 mm noise, nothing on it."""
    rng = np.random.default_rng(4)
    xy = rng.uniform([-200.0, -150.0], [200.0, 150.0], (30_000, 2))
    return np.column_stack([xy, rng.normal(0.0, 0.2, len(xy))])


def _two_feet() -> FloatArray:
    """Two synthetic feet side by side, 200 mm apart."""
    one = synth_scan("foot", rotation="none", seed=5).points
    return np.vstack([one, one + np.array([0.0, 200.0, 0.0])])


def _too_few() -> FloatArray:
    """A synthetic foot thinned to fewer points than a scan needs."""
    pts = synth_scan("foot", seed=6).points
    return pts[np.random.default_rng(6).choice(len(pts), MIN_POINTS - 1, replace=False)]


def _plantar(units: Units) -> Callable[[], FloatArray]:
    """A synthetic plantar scan in ``units`` (259.5 mm long)."""
    return lambda: synth_scan("plantar", units=units, seed=7).points


BAD_INPUTS = [
    pytest.param(_sphere, {}, r"not look like a foot", id="sphere"),
    pytest.param(_box, {}, r"not look like a foot", id="box-260x100x50"),
    pytest.param(_plane, {}, r"flat surface", id="plane-alone"),
    pytest.param(_two_feet, {}, r"two separate bodies", id="two-feet"),
    pytest.param(_too_few, {}, rf"at least {MIN_POINTS}", id="too-few-points"),
    pytest.param(_plantar("in"), {}, r"units are ambiguous", id="ambiguous-units"),
    pytest.param(_plantar("mm"), {"units": "m"}, r"--units m .* 2\d{5} mm long", id="mm-as-m"),
    pytest.param(_plantar("m"), {"units": "mm"}, r"--units mm .* 0 mm long", id="m-as-mm"),
    pytest.param(_plantar("mm"), {"units": "furlong"}, r"units 'furlong'", id="units-furlong"),
    pytest.param(_plantar("mm"), {"side": "up"}, r"side 'up'", id="side-up"),
    pytest.param(_plantar("mm"), {"kind": "x"}, r"kind 'x'", id="kind-x"),
]


@pytest.mark.parametrize(("points", "options", "says"), BAD_INPUTS)
def test_bad_input_is_refused_with_one_line_naming_the_file(
    to_raw: ToRaw, points: Callable[[], FloatArray], options: dict[str, Any], says: str
) -> None:
    name = "scans/bad input.xyz"
    with pytest.raises(ScanError, match=says) as err:
        prepare(to_raw(points(), name), **options)
    message = str(err.value)
    assert message.startswith(f"{name}: ")
    assert "\n" not in message


# --- Idempotence and determinism -------------------------------------------------------


def _apply(transform: FloatArray, points: FloatArray) -> FloatArray:
    return points @ transform[:3, :3].T + transform[:3, 3]


@functools.cache
def _prepared_twice(
    synthetic: Synthetic, to_raw: ToRaw, kind: str
) -> tuple[Scan, Foot, Scan, Foot]:
    """A left foot in mm (seed 1) prepared, then its prepared points prepared again (mm)."""
    _, first, first_foot = synthetic(kind, "left", "mm", 1)
    again = prepare(to_raw(first.points, "prepared.xyz"), units="mm")
    return first, first_foot, again, analyze(again)


@pytest.mark.parametrize("kind", KINDS)
def test_preparing_a_prepared_scan_again_moves_no_point(
    synthetic: Synthetic, to_raw: ToRaw, kind: str
) -> None:
    first, _, again, _ = _prepared_twice(synthetic, to_raw, kind)
    # The first pass mirrored the left foot into a right one; the units were given.
    assert again.side == "right"
    assert (again.units, again.mm_per_unit) == ("mm", 1.0)
    # again.to_scanner maps the new frame to the old one: the old points barely move.
    moved = _apply(np.asarray(np.linalg.inv(again.to_scanner), np.float64), first.points)
    assert np.linalg.norm(moved - first.points, axis=1).max() <= IDEMPOTENCE_TOL_MM


@pytest.mark.parametrize(
    "kind",
    [
        "foot",  # passes since the height field leaves out the side wall's points
        pytest.param("plantar", marks=_APEX_RASTER),
        pytest.param("impression", marks=_APEX_RASTER),
    ],
)
def test_preparing_a_prepared_scan_again_keeps_lengths_and_landmarks(
    synthetic: Synthetic, to_raw: ToRaw, kind: str
) -> None:
    _, first_foot, _, again_foot = _prepared_twice(synthetic, to_raw, kind)
    before, after = lengths_and_landmarks(first_foot), lengths_and_landmarks(again_foot)
    moved = {k: round(abs(after[k] - before[k]), 3) for k in before}
    assert {k: d for k, d in moved.items() if d > IDEMPOTENCE_TOL_MM} == {}


@pytest.mark.parametrize(
    ("kind", "options"),
    [("foot", {"floor": True}), ("impression", {})],
)
def test_prepare_is_deterministic(to_raw: ToRaw, kind: Kind, options: dict[str, Any]) -> None:
    synth = synth_scan(kind, seed=4, **options)
    a = prepare(to_raw(synth.points))
    b = prepare(to_raw(synth.points.copy()))
    assert np.array_equal(a.points, b.points)
    assert np.array_equal(a.to_scanner, b.to_scanner)
    assert (a.side, a.kind, a.units, a.mm_per_unit) == (b.side, b.kind, b.units, b.mm_per_unit)
    assert (a.n_outliers_removed, a.n_floor_removed, a.n_leg_removed) == (
        b.n_outliers_removed,
        b.n_floor_removed,
        b.n_leg_removed,
    )
