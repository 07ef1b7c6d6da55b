"""Every kind of scan a clinic sends, with every shipped profile, gives a printable shell.

Specification: a foam-block impression, an unloaded foot, a partial foot (the kinds of
``tests/_scans.CLINIC_KINDS``), analysed once per kind, calibrated with each shipped
profile, built and validated: every check passes, the shell's own ``inside_outline`` among
them.
"""

from __future__ import annotations

from functools import cache

import pytest
import trimesh
from _scans import CLINIC_KINDS, clinic_foot

from shellgen.calibration import calibrate
from shellgen.profile import load_profile, profile_path, shipped_profiles
from shellgen.shell import build
from shellgen.validation import validate

_foot = cache(clinic_foot)


@pytest.mark.parametrize("profile_name", shipped_profiles())
@pytest.mark.parametrize("name", CLINIC_KINDS)
def test_every_clinic_kind_builds_a_valid_shell_with_every_profile(
    name: str, profile_name: str
) -> None:
    foot = _foot(name, 1)
    spec = calibrate(foot, load_profile(profile_path(profile_name)), order_id="C1")
    shell = build(foot, spec)
    report = validate(shell, material=spec.material, foot_outline=foot.footprint)
    assert report.ok, [(c.name, c.value, c.limit, c.detail) for c in report.checks if not c.ok]
    mesh = trimesh.Trimesh(shell.vertices, shell.faces, process=False)
    assert mesh.is_watertight and mesh.is_winding_consistent and mesh.volume > 0
