"""Printable shell materials and their properties.

Moduli from ../shared/DESIGN.md: PA12 (MJF) about 1.8 GPa, PA11 about 1.6 GPa,
polypropylene about 1.4 GPa, TPU 95A about 0.05 GPa. Minimum walls: 1.0 mm for MJF/SLS
nylon, 1.2 mm for FDM, 2 mm where the wall carries load.

Fatigue limits (stress amplitude endured for 10^6 cycles, about half a year of walking at
1.8 million steps a year): laser-sintered PA12 about 15 MPa (Munguia & Dalgarno, "Fatigue
behaviour of laser-sintered PA12 specimens under four-point rotating bending", Rapid
Prototyping J 2014); the others are assumed, each marked so in ``fatigue_source``. Poisson's
ratios are typical handbook values for the polymers (assumed).

The foot loads a shell from nothing to its peak and back at every step (a pulsating cycle,
stress ratio 0), where Munguia & Dalgarno's limit is for a fully reversed one (rotating
bending): a pulsating cycle of peak ``s`` has amplitude and mean ``s / 2``, and by Goodman's
line (Shigley, Mechanical Engineering Design, ch. 6) the peak endured is
``2 Se Su / (Se + Su)`` for fatigue limit ``Se`` and tensile strength ``Su``
(:attr:`Material.pulsating_limit_mpa`), which is what the mechanics' safety factor is taken
against.
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
        Von Mises stress amplitude endured for 10^6 fully reversed load cycles, MPa.
    fatigue_source : str
        Where ``fatigue_limit_mpa`` comes from: a citation, or "assumed: ..." with the reason.
    tensile_strength_mpa : float
        Ultimate tensile strength of the printed part, MPa.
    tensile_source : str
        Where ``tensile_strength_mpa`` comes from: a data sheet, or "assumed: ...".
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
    tensile_strength_mpa: float
    tensile_source: str

    @property
    def pulsating_limit_mpa(self) -> float:
        """Peak von Mises stress endured for 10^6 cycles from zero to the peak, MPa.

        Goodman's line through the fully reversed fatigue limit and the tensile strength
        (module docstring): ``2 Se Su / (Se + Su)``.

        Examples
        --------
        >>> round(material("PA12-MJF").pulsating_limit_mpa, 2)
        22.86
        """
        se, su = self.fatigue_limit_mpa, self.tensile_strength_mpa
        return 2.0 * se * su / (se + su)


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
                48.0,
                "HP 3D High Reusability PA 12 data sheet (MJF), XY and Z",
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
                48.0,
                "EOS PA 1101 data sheet (SLS), X direction",
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
                30.0,
                "assumed: between printed PP filaments (about 25) and homopolymer sheet (35)",
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
                39.0,
                "Ultimaker TPU 95A technical data sheet, tensile strength at break",
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
