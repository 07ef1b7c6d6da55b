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


@pytest.mark.parametrize("name", list(MATERIALS))
def test_a_pulsating_load_is_endured_between_the_reversed_limit_and_twice_it(name: str) -> None:
    # Goodman: a 0-to-peak cycle of peak s has amplitude and mean s/2, so the peak endured
    # lies between the fully reversed limit (a brittle bound) and twice it (no mean effect)
    mat = material(name)
    assert mat.fatigue_limit_mpa < mat.pulsating_limit_mpa < 2.0 * mat.fatigue_limit_mpa
    amplitude = mean = mat.pulsating_limit_mpa / 2.0
    assert amplitude / mat.fatigue_limit_mpa + mean / mat.tensile_strength_mpa == pytest.approx(1)
    assert mat.tensile_source
