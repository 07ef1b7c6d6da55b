"""Printable shell materials and their properties.

Moduli from ../shared/DESIGN.md: PA12 (MJF) about 1.8 GPa, PA11 about 1.6 GPa,
polypropylene about 1.4 GPa, TPU 95A about 0.05 GPa. Minimum walls: 1.0 mm for MJF/SLS
nylon, 1.2 mm for FDM, 2 mm where the wall carries load.

Fatigue limits (stress amplitude endured for 10^6 cycles, about half a year of walking at
1.8 million steps a year): laser-sintered PA12 about 15 MPa (Munguia & Dalgarno, "Fatigue
behaviour of laser-sintered PA12 specimens under four-point rotating bending", Rapid
Prototyping J 2014); the others are assumed, each marked so in ``fatigue_source``. Poisson's
ratios are typical handbook values for the polymers (assumed).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from shellgen.errors import ProfileError

__all__ = ["MATERIALS", "Material", "material"]


@dataclass(frozen=True)
class Material:
    """A shell material.

    Attributes
    ----------
    name : str
        Catalogue name, e.g. ``"PA12-MJF"``.
    modulus_gpa : float
        Young's modulus, GPa.
    density_g_cm3 : float
        Density of the printed part, g/cm^3.
    min_wall_mm : float
        Thinnest wall the process prints reliably, mm.
    min_loaded_wall_mm : float
        Thinnest wall that may carry the foot's load, mm.
    process : str
        Printing process.
    build_volume_mm : (3,) float
        Build volume of a typical machine for the process (x, y, z), mm: HP MJF 5200
        380 x 284 x 380, EOS P 396 SLS 340 x 340 x 600, Prusa MK4S FDM 250 x 210 x 220.
    poisson_ratio : float
        Poisson's ratio (dimensionless).
    fatigue_limit_mpa : float
        Peak von Mises stress endured for 10^6 load cycles, MPa.
    fatigue_source : str
        Where ``fatigue_limit_mpa`` comes from: a citation, or "assumed: ..." with the reason.
    """

    name: str
    modulus_gpa: float
    density_g_cm3: float
    min_wall_mm: float
    min_loaded_wall_mm: float
    process: str
    build_volume_mm: tuple[float, float, float]
    poisson_ratio: float
    fatigue_limit_mpa: float
    fatigue_source: str


_MJF = (380.0, 284.0, 380.0)
_SLS = (340.0, 340.0, 600.0)
_FDM = (250.0, 210.0, 220.0)
_MUNGUIA = "Munguia & Dalgarno 2014, laser-sintered PA12, 10^6 cycles"

MATERIALS: Final = MappingProxyType(
    {
        m.name: m
        for m in (
            Material(
                "PA12-MJF",
                1.8,
                1.01,
                1.0,
                2.0,
                "MJF",
                _MJF,
                0.39,
                15.0,
                f"assumed equal to laser-sintered PA12 (same powder): {_MUNGUIA}",
            ),
            Material(
                "PA11-SLS",
                1.6,
                1.05,
                1.0,
                2.0,
                "SLS",
                _SLS,
                0.40,
                15.0,
                f"assumed equal to laser-sintered PA12 (PA11 is at least as tough): {_MUNGUIA}",
            ),
            Material(
                "PP",
                1.4,
                0.90,
                1.2,
                2.0,
                "FDM",
                _FDM,
                0.42,
                10.0,
                "assumed: about 40 % of printed polypropylene's tensile strength",
            ),
            Material(
                "TPU-95A",
                0.05,
                1.20,
                1.2,
                2.0,
                "FDM",
                _FDM,
                0.48,
                4.0,
                "assumed: about 10 % of TPU 95A's tensile strength",
            ),
        )
    }
)


def material(name: str) -> Material:
    """Look a material up by name.

    Raises
    ------
    ProfileError
        If the name is not in :data:`MATERIALS`.

    Examples
    --------
    >>> material("PP").modulus_gpa
    1.4
    """
    try:
        return MATERIALS[name]
    except KeyError:
        choices = ", ".join(MATERIALS)
        raise ProfileError(f"unknown material {name!r}: choose one of {choices}") from None
