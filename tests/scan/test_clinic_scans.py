"""Every scan a clinic sends: foam-box impressions, unloaded feet and partial feet.

Specification: on synthetic scans of every kind (a foam block with walls, part of its bottom,
a deep impression and separate toe pits, upside down or without true scale; unloaded feet
with a rounded sole, curled and separated toes, plantarflexed, open at the ankle; standing
feet with the toes out of view, holes in the sole, a leg to mid-calf, a second foot or a
hand beside them), in either side, several units and random orientations, ``prepare`` and
``analyze`` find the side every time, the foot length within 1.5 %, the ball width within
4 %, the arch height within 1 mm and the arch apex within 10 mm of the truth, and say
whether the foot was standing. A scan without its toes is measured only with
``--length-mm``; otherwise it is refused with that hint.
"""

from __future__ import annotations

import numpy as np
import pytest
from _scans import (
    BALL_WIDTH_TOL,
    CLINIC_KINDS,
    LENGTH_TOL,
    UNITS,
    clinic_length_mm,
    clinic_scan,
    raw_points,
)

from shellgen.analysis import analyze
from shellgen.errors import ScanError
from shellgen.scan import prepare
from shellgen.synth import FootModel, synth_scan, unloaded

#: Every kind, standing full feet included: their arch height is read at the sole's medial
#: edge, which the foot's side stands over; the plantar field leaves out the points over
#: the sole and the cells the outline crosses (``shellgen.analysis._grid``,
#: ``_analyze``), and the standing full feet come within 0.4 mm over seeds 0-11.
ARCH_TOL_MM = 1.0
APEX_TOL_MM = 10.0


CASES = [
    pytest.param(
        name, seed, id=f"{name}-{'left' if seed % 2 else 'right'}-{UNITS[seed % 3]}-s{seed}"
    )
    for name in CLINIC_KINDS
    for seed in range(6)
]


@pytest.mark.parametrize(("name", "seed"), CASES)
def test_every_kind_is_accepted_and_measured_within_tolerance(name: str, seed: int) -> None:
    synth = clinic_scan(name, seed)
    truth = synth.truth
    scan = prepare(raw_points(synth.points, f"{name}.xyz"), length_mm=clinic_length_mm(synth, name))
    foot = analyze(scan)

    assert scan.side == truth.side
    assert scan.kind == truth.kind
    assert scan.toes == truth.toes
    assert foot.standing == truth.standing
    assert foot.foot_length_mm == pytest.approx(truth.foot_length_mm, rel=LENGTH_TOL)
    assert foot.ball_width_mm == pytest.approx(truth.ball_width_mm, rel=BALL_WIDTH_TOL)
    assert foot.arch.height_mm == pytest.approx(truth.arch_height_mm, abs=ARCH_TOL_MM)
    assert foot.arch.apex_x_mm == pytest.approx(truth.arch_apex_x_mm, abs=APEX_TOL_MM)


def test_a_foam_block_is_an_impression_whose_block_is_removed() -> None:
    synth = clinic_scan("foam-block", 2)
    scan = prepare(raw_points(synth.points, "foam.xyz"))
    # Walls, bottom and top are gone: what is left lies within the foot's outline seen from
    # above (plus the walls' lean) and no deeper than the sole.
    assert scan.kind == "impression"
    assert scan.points[:, 2].min() > -8.0  # curled toes dip below the plane, no bottom
    assert np.ptp(scan.points[:, 1]) < synth.truth.ball_width_mm + 15.0
    assert scan.n_floor_removed > len(scan.points)


def test_a_scan_without_toes_asks_for_the_length() -> None:
    synth = clinic_scan("toes-out-of-view", 0)
    with pytest.raises(ScanError, match=r"shows no toes.*--length-mm"):
        prepare(raw_points(synth.points, "no_toes.xyz"))


def test_a_scan_without_scale_takes_its_length_as_given() -> None:
    synth = clinic_scan("foam-upside-down-no-scale", 0)
    scan = prepare(raw_points(synth.points, "foam.xyz"), length_mm=265.0)
    assert scan.units_source == "length"
    assert analyze(scan).foot_length_mm == pytest.approx(265.0, abs=1e-9)


def test_two_whole_feet_are_still_refused() -> None:
    one = synth_scan("foot", seed=1, rotation="none").points
    two = np.vstack([one, one + np.array([0.0, 160.0, 0.0])])
    with pytest.raises(ScanError, match=r"two separate bodies"):
        prepare(raw_points(two, "two_feet.xyz"))


#: Sparse point clouds (a point every 2 mm) are measured on a 2 mm plantar field.
SPARSE_ARCH_TOL_MM = 2.0


@pytest.mark.parametrize(
    ("loaded", "seed"), [(True, 0), (True, 1), (False, 2), (False, 3)], ids=str
)
def test_a_sparse_point_cloud_is_measured_on_a_coarser_field(loaded: bool, seed: int) -> None:
    model = FootModel() if loaded else unloaded()
    synth = synth_scan("foot", model=model, spacing_mm=2.0, seed=seed, ankle_cap=loaded)
    truth = synth.truth
    foot = analyze(prepare(raw_points(synth.points, "sparse.xyz")))
    assert foot.plantar.spacing_mm == 2.0
    assert foot.standing == truth.standing
    assert foot.foot_length_mm == pytest.approx(truth.foot_length_mm, rel=LENGTH_TOL)
    assert foot.ball_width_mm == pytest.approx(truth.ball_width_mm, rel=BALL_WIDTH_TOL)
    assert foot.arch.height_mm == pytest.approx(truth.arch_height_mm, abs=SPARSE_ARCH_TOL_MM)
    assert foot.arch.apex_x_mm == pytest.approx(truth.arch_apex_x_mm, abs=APEX_TOL_MM)


def test_a_scan_of_ordinary_density_keeps_the_1_mm_field() -> None:
    synth = clinic_scan("standing-with-floor", 0)
    assert analyze(prepare(raw_points(synth.points, "s.xyz"))).plantar.spacing_mm == 1.0
