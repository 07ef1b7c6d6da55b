"""``ShellSpec``: every number the shell builder uses, with where it came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Final, Literal

from shellgen.materials import Material
from shellgen.prescription import NO_PRESCRIPTION, Prescription

__all__ = ["SPEC_UNITS", "Provenance", "ShellLength", "ShellSpec", "Source"]

Source = Literal["profile", "calibrated", "override", "default"]

#: Unit of every numeric :class:`ShellSpec` field ("1" for ratios and counts).
SPEC_UNITS: Final = MappingProxyType(
    {
        "thickness_mm": "mm",
        "arch_height_mm": "mm",
        "heel_cup_depth_mm": "mm",
        "medial_flange_mm": "mm",
        "lateral_flange_mm": "mm",
        "post_angle_deg": "deg",
        "flex_start_x_mm": "mm",
        "flex_taper_mm": "mm",
        "flex_thickness_ratio": "1",
        "slot_count": "1",
        "slot_width_mm": "mm",
        "slot_length_mm": "mm",
        "rim_radius_mm": "mm",
        "grid_spacing_mm": "mm",
        "label_depth_mm": "mm",
    }
)
ShellLength = Literal["three_quarter", "sulcus", "full"]


@dataclass(frozen=True)
class Provenance:
    """Where one number of a :class:`ShellSpec` came from.

    Attributes
    ----------
    unit : str
        Unit of the value (``"mm"``, ``"deg"``, ``"1"`` for ratios and counts, ``""`` for text).
    source : {"profile", "calibrated", "override", "default"}
        Set directly in the profile, computed by a rule, pinned by an override, or a default.
    rule : str
        For ``calibrated``: the rule's name and its inputs; otherwise a short note.
    """

    unit: str
    source: Source
    rule: str


@dataclass(frozen=True)
class ShellSpec:
    """The calibrated shell, in the foot frame, millimetres and degrees.

    Attributes
    ----------
    material : Material
        Shell material.
    shell_length : {"three_quarter", "sulcus", "full"}
        Where the shell ends: just behind the metatarsal heads, at the sulcus (toe crease),
        or under the toes.
    thickness_mm : float
        Shell thickness under the arch, measured along the surface normal.
    arch_height_mm : float
        Target height of the top surface at the arch apex above the heel seat (the plane the
        foot rests on), i.e. the supported arch height.
    heel_cup_depth_mm : float
        Height of the heel cup rim above the heel seat.
    medial_flange_mm, lateral_flange_mm : float
        Height of the medial and lateral flanges above the plantar surface at the rim.
    post_angle_deg : float
        Rearfoot post: the underside under the heel tilted by this angle about the x axis,
        medial side raised for a positive (varus) post, lateral for a negative (valgus)
        one; 0 for flat.
    flex_start_x_mm : float
        x where the forefoot flex zone starts to thin (just behind the metatarsal heads).
    flex_taper_mm : float
        Length along x over which thickness falls to ``flex_thickness_ratio`` of full.
    flex_thickness_ratio : float
        Thickness at the end of the taper over full thickness, in (0, 1].
    slot_count : int
        Transverse relief slots cut through the flex zone (0 for none).
    slot_width_mm, slot_length_mm : float
        Slot size along x and across the foot (y).
    rim_radius_mm : float
        Smoothing radius of the rim where the top surface meets the edge.
    grid_spacing_mm : float
        Spacing of the interior triangulation grid (mesh resolution).
    label : str
        Text engraved on the underside of the heel (order id and side).
    label_depth_mm : float
        Engraving depth of the label.
    provenance : Mapping[str, Provenance]
        For every numeric field above (and ``shell_length``), where it came from.
    prescription : Prescription
        The modifications ordered on top (post motion, forefoot post, skive, heel lift, spur
        relief, metatarsal pad), each with its own provenance; none by default.
    """

    material: Material
    shell_length: ShellLength
    thickness_mm: float
    arch_height_mm: float
    heel_cup_depth_mm: float
    medial_flange_mm: float
    lateral_flange_mm: float
    post_angle_deg: float
    flex_start_x_mm: float
    flex_taper_mm: float
    flex_thickness_ratio: float
    slot_count: int
    slot_width_mm: float
    slot_length_mm: float
    rim_radius_mm: float
    grid_spacing_mm: float
    label: str
    label_depth_mm: float
    provenance: Mapping[str, Provenance]
    prescription: Prescription = NO_PRESCRIPTION

    def as_json(self) -> dict[str, dict[str, object]]:
        """``{name: {value, unit, source, rule}}`` for every field with a provenance."""
        out: dict[str, dict[str, object]] = {}
        for f in fields(self):
            if f.name in self.provenance:
                p = self.provenance[f.name]
                value = getattr(self, f.name)
                if isinstance(value, float):
                    value = round(value, 4)
                out[f.name] = {"value": value, "unit": p.unit, "source": p.source, "rule": p.rule}
        out["material"] = {
            "value": self.material.name,
            "unit": "",
            "source": self.provenance["material"].source
            if "material" in self.provenance
            else "profile",
            "rule": f"E = {self.material.modulus_gpa} GPa, "
            f"rho = {self.material.density_g_cm3} g/cm3",
        }
        for name, p in self.prescription.provenance.items():
            value = getattr(self.prescription, name)
            if isinstance(value, float):
                value = round(value, 4)
            elif isinstance(value, tuple):
                value = [[round(x, 3), round(y, 3)] for x, y in value]
            out[name] = {"value": value, "unit": p.unit, "source": p.source, "rule": p.rule}
        return out
