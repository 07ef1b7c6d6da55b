"""``shellgen.synth``: synthetic scans whose ground truth the other tests can trust.

Specification: the truth of a foot depends only on its model, never on the side, the
units, the orientation or the scan kind; it follows the model's parameters; every kind of
scan has points where the truth's ``to_scanner`` says the foot is; ``write_ply`` then
``load`` gives the points back to float32 precision; the arch type is the one named by
:func:`~shellgen.analysis._measure.arch_type`; and everything is seeded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _scans import FOOT_MODELS

from shellgen._typing import FloatArray
from shellgen.analysis._measure import arch_type
from shellgen.limits import UNIT_TO_MM
from shellgen.scan import Kind, Units, load
from shellgen.synth import SynthScan, Truth, synth_scan, write_ply

KINDS: tuple[Kind, ...] = ("foot", "plantar", "impression")


def measures(truth: Truth) -> dict[str, object]:
    """Everything the truth says about the foot itself (not about how it was scanned)."""
    skip = {"side", "kind", "units", "to_scanner"}
    return {k: v for k, v in truth.__dict__.items() if k not in skip}


def in_foot_frame(synth: SynthScan) -> FloatArray:
    """The scan's points mapped back into the truth's foot frame (mm), mirror undone."""
    back = np.linalg.inv(synth.truth.to_scanner)
    return synth.points @ back[:3, :3].T + back[:3, 3]


@pytest.mark.parametrize("kind", KINDS)
def test_left_and_right_feet_have_the_same_truth(kind: Kind) -> None:
    right = synth_scan(kind, side="right", seed=1)
    left = synth_scan(kind, side="left", seed=1)
    assert measures(left.truth) == measures(right.truth)
    assert (left.truth.side, right.truth.side) == ("left", "right")
    # The left foot is the right one mirrored: its transform turns handedness.
    assert np.linalg.det(left.truth.to_scanner[:3, :3]) == pytest.approx(-1.0)
    assert np.linalg.det(right.truth.to_scanner[:3, :3]) == pytest.approx(1.0)


def test_truth_does_not_depend_on_kind_units_or_orientation() -> None:
    reference = measures(synth_scan("foot", seed=0).truth)
    other_units: tuple[Units, ...] = ("cm", "m", "in")
    for kind, units in zip(KINDS, other_units, strict=True):
        truth = synth_scan(kind, units=units, seed=2, rotation="none").truth
        assert measures(truth) == reference


@pytest.mark.parametrize("units", ["cm", "m", "in"])
def test_units_only_scale_the_points(units: Units) -> None:
    in_mm = synth_scan("plantar", units="mm", seed=4)
    other = synth_scan("plantar", units=units, seed=4)
    scale = UNIT_TO_MM[units]
    np.testing.assert_allclose(other.points * scale, in_mm.points, rtol=0, atol=1e-9)
    np.testing.assert_allclose(other.truth.to_scanner[:3] * scale, in_mm.truth.to_scanner[:3])
    assert other.truth.units == units


def test_rotation_none_and_given_are_obeyed() -> None:
    assert np.array_equal(
        synth_scan("plantar", rotation="none").truth.to_scanner[:3, :3], np.eye(3)
    )
    turn = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(
        synth_scan("plantar", rotation=turn).truth.to_scanner[:3, :3], turn, atol=1e-15
    )


@pytest.mark.parametrize("name", FOOT_MODELS)
def test_truth_arch_type_is_named_by_its_arch_index(name: str) -> None:
    truth = synth_scan("plantar", model=FOOT_MODELS[name]).truth
    assert truth.arch_type == arch_type(truth.arch_index)


def test_truth_follows_the_model() -> None:
    truth = {name: synth_scan("plantar", model=m).truth for name, m in FOOT_MODELS.items()}
    for name, model in FOOT_MODELS.items():
        # Heel to toe tip, on the 0.5 mm grid of the exact model.
        assert truth[name].foot_length_mm == pytest.approx(model.length_mm, abs=1.0)
        # Widths scale with length and width_scale.
        scale = model.length_mm / 260.0 * model.width_scale
        expected = truth["default"].ball_width_mm * scale
        assert truth[name].ball_width_mm == pytest.approx(expected, abs=1.0)
    # A higher arch rise is a higher arch, with less of the midfoot on the ground.
    rises = [truth[n] for n in ("arch8", "default", "arch20")]
    assert rises[0].arch_height_mm < rises[1].arch_height_mm < rises[2].arch_height_mm
    assert rises[0].arch_index > rises[1].arch_index > rises[2].arch_index
    assert truth["arch20"].arch_height_mm == pytest.approx(20.0, abs=1.0)
    assert truth["arch8"].arch_height_mm == pytest.approx(8.0, abs=1.0)


@pytest.mark.parametrize(
    ("kind", "options", "z_low_mm", "z_high_mm"),
    [
        # A foot stands on z = 0; its instep is 95 mm high, under the 100 mm ankle cut.
        pytest.param("foot", {}, (-1.0, 0.5), (85.0, 96.0), id="foot"),
        pytest.param("foot", {"ankle_cut_mm": 80.0}, (-1.0, 0.5), (79.0, 81.0), id="foot-cut80"),
        pytest.param("foot", {"leg": True}, (-1.0, 0.5), (240.0, 251.0), id="foot-leg"),
        # A plantar scan's walls rise to 32 mm.
        pytest.param("plantar", {}, (-1.0, 0.5), (30.0, 32.5), id="plantar"),
        # An impression is the sole pressed 25 mm into foam: in the foot frame the sole
        # stands on z = 0 and the foam's top is at z = 25.
        pytest.param("impression", {}, (-1.0, 0.5), (24.5, 26.0), id="impression"),
    ],
)
def test_every_kind_has_points_where_the_truth_puts_the_foot(
    kind: Kind,
    options: dict[str, Any],
    z_low_mm: tuple[float, float],
    z_high_mm: tuple[float, float],
) -> None:
    synth = synth_scan(kind, seed=5, **options)
    assert len(synth.points) > 20_000
    assert np.isfinite(synth.points).all()
    p = in_foot_frame(synth)
    length = synth.truth.foot_length_mm
    if kind != "impression":  # an impression's foam surround reaches beyond the foot
        x_lo, x_hi = np.percentile(p[:, 0], [1, 99])
        assert -2.0 <= x_lo and x_hi <= length + 2.0
        assert x_hi - x_lo > 0.95 * length
    z_lo, z_hi = np.percentile(p[:, 2], [1, 99.5])
    assert z_low_mm[0] <= z_lo <= z_low_mm[1]
    assert z_high_mm[0] <= z_hi <= z_high_mm[1]


def test_floor_surrounds_the_foot_at_z_zero() -> None:
    bare = synth_scan("foot", seed=6)
    floored = in_foot_frame(synth_scan("foot", seed=6, floor=True))
    assert len(floored) > len(bare.points)
    on_floor = floored[np.abs(floored[:, 2]) < 1.0]
    # The floor reaches well beyond the heel and the toes.
    assert on_floor[:, 0].min() < -40.0
    assert on_floor[:, 0].max() > bare.truth.foot_length_mm + 40.0


@pytest.mark.parametrize("kind", KINDS)
def test_write_ply_then_load_round_trips_the_points(tmp_path: Path, kind: Kind) -> None:
    synth = synth_scan(kind, units="m", seed=7)
    path = tmp_path / f"{kind}.ply"
    write_ply(path, synth.points)
    raw = load(path)
    assert raw.faces is None
    assert (raw.source.format, raw.source.n_points_read) == ("ply", len(synth.points))
    assert np.array_equal(raw.points, synth.points.astype(np.float32).astype(np.float64))


def test_truth_as_json_round_trips() -> None:
    truth = synth_scan("foot", side="left", units="cm", seed=8).truth
    data = json.loads(json.dumps(truth.as_json()))
    assert (data["side"], data["kind"], data["units"]) == ("left", "foot", "cm")
    assert data["foot_length_mm"] == truth.foot_length_mm
    assert np.array_equal(np.array(data["to_scanner"]), truth.to_scanner)
    for name, (x, y) in truth.landmarks.items():
        assert data["landmarks"][name] == pytest.approx([x, y], abs=5e-4)


def test_synth_is_seeded() -> None:
    a, b = synth_scan("impression", seed=9), synth_scan("impression", seed=9)
    assert np.array_equal(a.points, b.points)
    assert np.array_equal(a.truth.to_scanner, b.truth.to_scanner)
    c = synth_scan("impression", seed=10)
    assert len(c.points) != len(a.points) or not np.array_equal(c.points, a.points)
