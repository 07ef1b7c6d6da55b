"""Materials: every one carries its elastic constants and a fatigue limit with its source."""

from __future__ import annotations

import pytest

from shellgen.materials import MATERIALS, material


@pytest.mark.parametrize("name", list(MATERIALS))
def test_every_material_has_elastic_constants_and_a_sourced_fatigue_limit(name: str) -> None:
    mat = material(name)
    assert mat.modulus_gpa > 0
    assert 0.0 < mat.poisson_ratio < 0.5
    assert 0.0 < mat.fatigue_limit_mpa < 100.0
    cited = "Munguia & Dalgarno" in mat.fatigue_source
    assert cited or mat.fatigue_source.startswith("assumed")


def test_laser_sintered_nylon_endures_15_mpa_for_a_million_cycles() -> None:
    # Munguia & Dalgarno: laser-sintered PA12, about 15 MPa at 10^6 cycles
    assert material("PA12-MJF").fatigue_limit_mpa == 15.0
    assert "10^6 cycles" in material("PA12-MJF").fatigue_source
