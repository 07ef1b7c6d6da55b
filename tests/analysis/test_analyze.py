"""``analyze``: arch and landmarks of a prepared scan, against the synthetic ground truth.

Specification (from the issues):

- on synthetic feet of every kind and side, in a random orientation, and on a few other
  foot shapes (230 and 290 mm long, 8 and 20 mm arch rise, 0.9 and 1.1 times as wide):
  arch height within 1.5 mm of the truth, arch apex within 10 mm, arch index within 0.02,
  landmarks within 8 mm (the arch apex landmark is the apex: 10 mm);
- moving, rotating or re-scaling (other units) the same points changes no measure by more
  than 0.5 mm;
- a standing full foot moved under the 1 mm grid by fractions of a cell keeps its arch
  height within 0.5 mm of the truth (the medial edge is read on the field's last cells);
- the real scans have a plausible arch (3-30 mm);
- the same scan gives identical results twice.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest
import shapely
from _scans import (
    BALL_WIDTH_TOL,
    FOOT_MODELS,
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
from shellgen.scan import Kind, prepare
from shellgen.synth import Truth, synth_scan

#: Tolerances of the acceptance criteria.
ARCH_HEIGHT_TOL_MM = 1.5
APEX_TOL_MM = 10.0
ARCH_INDEX_TOL = 0.02
LANDMARK_TOL_MM = 8.0
INVARIANCE_TOL_MM = 0.5
REAL_ARCH_HEIGHT_MM = (3.0, 30.0)

#: Each seed of a kind gets the next (side, units), as in tests/scan/test_prepare.py (whose
#: cases these are, so that the session cache prepares each scan once per worker).
SIDE_UNITS = [(side, units) for units in ("mm", "cm", "m", "in") for side in ("right", "left")]

SYNTHETIC_CASES = [
    pytest.param(kind, *SIDE_UNITS[seed], seed, id=f"{kind}-{'-'.join(SIDE_UNITS[seed])}")
    for kind in KINDS
    for seed in range(8)
]


def assert_arch_and_landmarks_match(foot: Foot, truth: Truth) -> None:
    """The acceptance tolerances on the arch and the landmarks (foot frame, mm)."""
    assert foot.arch.height_mm == pytest.approx(truth.arch_height_mm, abs=ARCH_HEIGHT_TOL_MM)
    assert foot.arch.apex_x_mm == pytest.approx(truth.arch_apex_x_mm, abs=APEX_TOL_MM)
    assert foot.arch.index == pytest.approx(truth.arch_index, abs=ARCH_INDEX_TOL)
    found = foot.landmarks.as_dict()
    assert found.keys() == truth.landmarks.keys()
    misses = {}
    for name, where in truth.landmarks.items():
        tol = APEX_TOL_MM if name == "arch_apex" else LANDMARK_TOL_MM
        miss = float(np.hypot(found[name][0] - where[0], found[name][1] - where[1]))
        if miss > tol:
            misses[name] = round(miss, 2)
    assert misses == {}


@pytest.mark.parametrize(("kind", "side", "units", "seed"), SYNTHETIC_CASES)
def test_arch_and_landmarks_match_truth(
    synthetic: Synthetic, kind: str, side: str, units: str, seed: int
) -> None:
    synth, _, foot = synthetic(kind, side, units, seed)
    assert_arch_and_landmarks_match(foot, synth.truth)


#: Moves of a prepared scan by fractions of a cell of the 1 mm field, (x, y) in mm.
SUB_CELL_MOVES = [(0.5 * d, d) for d in (0.0, 0.2, 0.4, 0.6, 0.8)]
EDGE_ARCH_TOL_MM = 0.5


def test_a_standing_foot_keeps_its_arch_wherever_the_cells_fall_on_its_edge(
    synthetic: Synthetic,
) -> None:
    # The foot's side stands over the sole's medial edge, where the arch is read; which of
    # its points the field's last cells catch changes as the foot moves under the grid.
    # (Before the field left those points out, this scan read 0.6-1.5 mm high.)
    synth, scan, _ = synthetic("foot", *SIDE_UNITS[5], 5)
    heights = [
        analyze(replace(scan, points=scan.points + np.array([dx, dy, 0.0]))).arch.height_mm
        for dx, dy in SUB_CELL_MOVES
    ]
    expected = [synth.truth.arch_height_mm] * len(SUB_CELL_MOVES)
    assert heights == pytest.approx(expected, abs=EDGE_ARCH_TOL_MM)


VARIANTS = {name: model for name, model in FOOT_MODELS.items() if name != "default"}


def _variant_case(kind: str, side: str, variant: str) -> object:
    return pytest.param(kind, side, variant, id=f"{variant}-{kind}-{side}")


#: Every shape as a plantar scan of either side and a right impression; the two lengths
#: also as a whole right foot (the slowest kind to prepare).
VARIANT_CASES = [
    *(
        _variant_case(kind, side, variant)
        for variant in VARIANTS
        for kind, side in (("plantar", "right"), ("plantar", "left"), ("impression", "right"))
    ),
    *(_variant_case("foot", "right", variant) for variant in ("230mm", "290mm")),
]


@pytest.mark.parametrize(("kind", "side", "variant"), VARIANT_CASES)
def test_other_foot_shapes_are_measured_within_tolerance(
    synthetic: Synthetic, kind: str, side: str, variant: str
) -> None:
    synth, scan, foot = synthetic(kind, side, "mm", 0, model=VARIANTS[variant])
    truth = synth.truth
    assert scan.side == side
    assert foot.foot_length_mm == pytest.approx(truth.foot_length_mm, rel=LENGTH_TOL)
    assert foot.ball_width_mm == pytest.approx(truth.ball_width_mm, rel=BALL_WIDTH_TOL)
    assert_arch_and_landmarks_match(foot, truth)


# --- Invariance ------------------------------------------------------------------------

#: A fixed turn and shift of the scanner frame (scanner units are mm here).
TURN = Rotation.random(random_state=1).as_matrix()
SHIFT = np.array([1500.0, -800.0, 300.0])
TRANSFORMS: dict[str, tuple[Callable[[FloatArray], FloatArray], str | None]] = {
    "moved": (lambda p: p + SHIFT, None),
    "rotated": (lambda p: p @ TURN.T + SHIFT, None),
    "in-cm": (lambda p: p / 10.0, "cm"),
}


def _arch_measures(foot: Foot) -> dict[str, float]:
    """Arch height, apex x and the apex landmark (foot frame, mm)."""
    x, y = foot.landmarks.arch_apex
    return {
        "arch_height_mm": foot.arch.height_mm,
        "arch_apex_x_mm": foot.arch.apex_x_mm,
        "arch_apex.x": x,
        "arch_apex.y": y,
    }


def _points(kind: Kind) -> FloatArray:
    """A synthetic scan in the truth's own frame (mm, unrotated)."""
    return synth_scan(kind, rotation="none", seed=0).points


@functools.cache
def _analysed(to_raw: ToRaw, kind: Kind, transform: str | None) -> Foot:
    """The same points analysed as they are (``transform`` None) or after ``transform``."""
    if transform is None:
        return analyze(prepare(to_raw(_points(kind), "base.xyz")))
    move, units = TRANSFORMS[transform]
    return analyze(prepare(to_raw(move(_points(kind)), f"{transform}.xyz"), units=units))


def _feet(to_raw: ToRaw, kind: Kind, transform: str) -> tuple[Foot, Foot]:
    return _analysed(to_raw, kind, None), _analysed(to_raw, kind, transform)


def _changes(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """The measures that changed by more than the invariance tolerance, and by how much."""
    diff = {k: round(abs(after[k] - before[k]), 3) for k in before}
    return {k: d for k, d in diff.items() if d > INVARIANCE_TOL_MM}


#: Every change for the quick kinds; the whole foot (slow to prepare) turned.
INVARIANCE_CASES = [
    *((kind, t) for kind in ("plantar", "impression") for t in TRANSFORMS),
    ("foot", "rotated"),
]


@pytest.mark.parametrize(("kind", "transform"), INVARIANCE_CASES)
def test_moving_rotating_or_rescaling_keeps_outline_measures(
    to_raw: ToRaw, kind: Kind, transform: str
) -> None:
    base, moved = _feet(to_raw, kind, transform)
    assert (
        _changes(
            lengths_and_landmarks(base, skip=("arch_apex",)),
            lengths_and_landmarks(moved, skip=("arch_apex",)),
        )
        == {}
    )


@pytest.mark.parametrize(("kind", "transform"), INVARIANCE_CASES)
def test_moving_rotating_or_rescaling_keeps_arch_measures(
    to_raw: ToRaw, kind: Kind, transform: str
) -> None:
    base, moved = _feet(to_raw, kind, transform)
    assert _changes(_arch_measures(base), _arch_measures(moved)) == {}


# --- Real scans and determinism --------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["myfeet_left_foot_m.stl", "myfeet_right_foot_m.stl", "insoletilter_plantar_right_mm.obj"],
)
def test_real_scan_has_a_plausible_arch(real_scan: RealScan, name: str) -> None:
    _, foot = real_scan(name)
    lo, hi = REAL_ARCH_HEIGHT_MM
    assert lo <= foot.arch.height_mm <= hi


@pytest.mark.parametrize("kind", KINDS)
def test_analyze_is_deterministic(synthetic: Synthetic, kind: str) -> None:
    _, scan, _ = synthetic(kind, "right", "mm", 0)
    a, b = analyze(scan), analyze(scan)
    assert np.array_equal(a.plantar.z_mm, b.plantar.z_mm, equal_nan=True)
    assert (a.plantar.x0_mm, a.plantar.y0_mm) == (b.plantar.x0_mm, b.plantar.y0_mm)
    for region in ("footprint", "plantar_region", "contact_region"):
        assert shapely.to_wkb(getattr(a, region)) == shapely.to_wkb(getattr(b, region))
    assert a.landmarks == b.landmarks
    assert (a.foot_length_mm, a.ball_width_mm, a.heel_width_mm, a.arch_length_mm) == (
        b.foot_length_mm,
        b.ball_width_mm,
        b.heel_width_mm,
        b.arch_length_mm,
    )
    assert (a.arch.height_mm, a.arch.apex_x_mm, a.arch.index, a.arch.type) == (
        b.arch.height_mm,
        b.arch.apex_x_mm,
        b.arch.index,
        b.arch.type,
    )
    assert np.array_equal(a.arch.profile_z_mm, b.arch.profile_z_mm, equal_nan=True)
