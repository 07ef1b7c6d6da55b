"""Dense scans: thinned to a working density first, then prepared like any other.

Specification (issue #8):

- one point per voxel is kept, the first in file order, whatever the spread of the keys;
- a scan denser than ``DOWNSAMPLE_ABOVE`` points is worked on at about the density of a
  1 mm scan, and is recovered as well as the same foot scanned at 1 mm;
- points floating 3 mm off the skin of a dense scan are removed, although at the thinned
  spacing their neighbours are about as far as a surface point's.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from _scans import BALL_WIDTH_TOL, LENGTH_TOL, lengths_and_landmarks

from shellgen._typing import FloatArray
from shellgen.analysis import Foot, analyze
from shellgen.scan import RawScan, Scan, ScanSource, prepare
from shellgen.scan._frame import voxel_groups, voxel_representatives
from shellgen.scan._prepare import DOWNSAMPLE_ABOVE
from shellgen.synth import SynthScan, synth_scan

#: Spacing of the dense synthetic scan (about 335 000 points with its floor), mm.
DENSE_SPACING_MM = 0.45
#: How far the dense scan's lengths and landmarks may lie from the same foot scanned at
#: 1 mm (the arch apex excepted: see below), mm.
DENSITY_TOL_MM = 1.5
#: The arch apex tops a flat profile: scan to scan it moves by several mm (as in
#: tests/analysis, it is held to 10 mm of the truth).
APEX_TOL_MM = 10.0


def first_per_voxel(points: FloatArray, size: float) -> np.ndarray:
    """The reference: index of the first point of every voxel, by a stable unique."""
    keys = np.floor((points - points.min(axis=0)) / size).astype(np.int64)
    _, first = np.unique(keys, axis=0, return_index=True)
    return np.sort(first)


def as_raw(points: FloatArray, name: str) -> RawScan:
    return RawScan(points, None, len(points), ScanSource(name, "xyz", "", len(points), 0, 0))


@functools.cache
def dense_and_regular() -> tuple[SynthScan, Scan, Foot, Foot]:
    """The same left foot on a floor, in cm, scanned at 0.45 mm and at 1 mm."""
    dense = synth_scan(
        "foot", side="left", units="cm", seed=5, floor=True, spacing_mm=DENSE_SPACING_MM
    )
    regular = synth_scan("foot", side="left", units="cm", seed=5, floor=True)
    scan = prepare(as_raw(dense.points, "dense.xyz"))
    return dense, scan, analyze(scan), analyze(prepare(as_raw(regular.points, "regular.xyz")))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_voxel_representatives_are_the_first_point_of_every_voxel(seed: int) -> None:
    rng = np.random.default_rng(seed)
    points = rng.uniform(0.0, 10.0, (5000, 3))
    points = np.vstack([points, points[:1000]])  # repeated points: later copies never win
    assert np.array_equal(voxel_representatives(points, 0.7), first_per_voxel(points, 0.7))


def test_voxel_representatives_hold_with_keys_too_wide_to_pack() -> None:
    # A point 10^9 voxels away spreads the keys over more bits than an int64 can share
    # with the point index.
    points = np.random.default_rng(3).uniform(0.0, 10.0, (2000, 3))
    points[7] = [1e9, -1e9, 1e9]
    assert np.array_equal(voxel_representatives(points, 1.0), first_per_voxel(points, 1.0))


def test_voxel_groups_send_every_point_to_its_voxels_first_point() -> None:
    points = np.random.default_rng(4).uniform(0.0, 5.0, (3000, 3))
    first, inverse = voxel_groups(points, 0.5)
    keys = np.floor((points - points.min(axis=0)) / 0.5).astype(np.int64)
    assert np.array_equal(keys, keys[first[inverse]])
    assert np.all(first[inverse] <= np.arange(len(points)))
    assert np.array_equal(np.sort(first), first_per_voxel(points, 0.5))


def test_a_dense_scan_is_worked_on_at_the_density_of_a_1_mm_scan() -> None:
    dense, scan, _, _ = dense_and_regular()
    assert len(dense.points) > DOWNSAMPLE_ABOVE
    assert len(scan.points) < 0.25 * len(dense.points)
    assert (scan.side, scan.units, scan.kind) == ("left", "cm", "foot")


def test_a_dense_scan_measures_like_the_same_foot_scanned_at_1_mm() -> None:
    dense, _, foot, regular = dense_and_regular()
    truth = dense.truth
    assert foot.foot_length_mm == pytest.approx(truth.foot_length_mm, rel=LENGTH_TOL)
    assert foot.ball_width_mm == pytest.approx(truth.ball_width_mm, rel=BALL_WIDTH_TOL)
    assert foot.arch.apex_x_mm == pytest.approx(truth.arch_apex_x_mm, abs=APEX_TOL_MM)
    skip = ("arch_apex",)
    ours, theirs = lengths_and_landmarks(foot, skip=skip), lengths_and_landmarks(regular, skip=skip)
    moved = {k: round(abs(ours[k] - theirs[k]), 2) for k in ours}
    assert {k: d for k, d in moved.items() if d > DENSITY_TOL_MM} == {}


def test_strays_3_mm_off_the_skin_of_a_dense_scan_are_removed() -> None:
    dense = synth_scan("foot", seed=5, floor=True, spacing_mm=DENSE_SPACING_MM)
    t = dense.truth
    # 3 mm outward of the heel, the toe tip and the two ball edges, 3 and 8 mm up (truth
    # frame: x from the heel, +y medial, z up from the floor).
    (_, heel_y), (toe_x, toe_y) = t.landmarks["heel_centre"], t.landmarks["toe_tip"]
    (m1_x, m1_y), (m5_x, m5_y) = t.landmarks["mth1"], t.landmarks["mth5"]
    spots = [(-3.0, heel_y), (toe_x + 3.0, toe_y), (m1_x, m1_y + 3.0), (m5_x, m5_y - 3.0)]
    strays = np.array([(x, y, z) for x, y in spots for z in (3.0, 8.0)])
    homogeneous = np.column_stack([strays, np.ones(len(strays))])
    points = np.vstack([dense.points, (homogeneous @ t.to_scanner.T)[:, :3]])

    scan = prepare(as_raw(points, "strays.xyz"))

    truth_to_ours = np.linalg.inv(scan.to_scanner) @ t.to_scanner
    placed = homogeneous @ truth_to_ours.T
    nearest = np.linalg.norm(scan.points[None, :, :] - placed[:, None, :3], axis=2).min(axis=1)
    assert nearest.min() > 0.5
