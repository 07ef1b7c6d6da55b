"""The package's public surface: the pipeline verbs compose as the README shows."""

from __future__ import annotations

from pathlib import Path

import pytest

import shellgen

SCANS = Path(__file__).resolve().parents[1] / "scans"


def test_the_verbs_compose_into_a_valid_shell() -> None:
    foot = shellgen.analyze(
        shellgen.prepare(shellgen.load(SCANS / "insoletilter_plantar_right_mm.obj"))
    )
    spec = shellgen.calibrate(
        foot, shellgen.load_profile(SCANS.parent / "profiles" / "standard.toml")
    )
    shell = shellgen.build(foot, spec)
    report = shellgen.validate(shell, material=spec.material, foot_outline=foot.footprint)
    assert report.ok
    assert shell.side == "right" and foot.scan.units == "mm"


def test_every_public_name_resolves() -> None:
    for name in shellgen.__all__:
        assert getattr(shellgen, name) is not None


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'buld'"):
        _ = shellgen.buld  # type: ignore[attr-defined]
