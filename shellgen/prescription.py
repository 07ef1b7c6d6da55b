"""``Prescription``: the modifications a lab orders on top of the calibrated shell.

Rearfoot post motion, forefoot post, medial heel skive, heel lift, heel spur relief and a
metatarsal pad or bar. Each is a number (or a choice) with its unit in its name and its
allowed range in :data:`PRESCRIPTION_LIMITS`, which the profile's ``[design]`` table and the
builder both check against. The rearfoot post angle itself stays
:attr:`shellgen.spec.ShellSpec.post_angle_deg` (signed: positive varus, negative valgus).

Everything is in the foot frame of a right foot (mm, degrees, +y medial).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from shellgen.spec import Provenance

__all__ = [
    "EXTENSION_MARGIN_MM",
    "NO_PRESCRIPTION",
    "PRESCRIPTION_LIMITS",
    "Extension",
    "MetPadShape",
    "Prescription",
]

MetPadShape = Literal["dome", "bar"]
Extension = Literal["none", "mortons", "reverse_mortons", "first_ray_cutout"]

#: An extension plate is at least this much thicker than the material's minimum wall: where
#: the toes curve, the faceted plate measures up to ~0.25 mm thinner along the normal than
#: built (1.2 mm gave 0.97 mm under the toes of a synthetic impression at a 2.5 mm grid).
EXTENSION_MARGIN_MM: Final = 0.3

#: Allowed range and unit of every numeric :class:`Prescription` field.
PRESCRIPTION_LIMITS: Final = MappingProxyType(
    {
        "post_motion_deg": (0.0, 4.0, "deg"),
        "forefoot_post_deg": (-8.0, 8.0, "deg"),
        "skive_depth_mm": (0.0, 6.0, "mm"),
        "skive_angle_deg": (5.0, 30.0, "deg"),
        "heel_lift_mm": (0.0, 15.0, "mm"),
        "spur_relief_depth_mm": (0.0, 4.0, "mm"),
        "spur_relief_diameter_mm": (10.0, 35.0, "mm"),
        "met_pad_height_mm": (0.0, 8.0, "mm"),
        "met_pad_length_mm": (15.0, 60.0, "mm"),
        "met_pad_width_mm": (10.0, 50.0, "mm"),
        "met_pad_offset_mm": (0.0, 25.0, "mm"),
        "extension_thickness_mm": (0.0, 4.0, "mm"),
        "shoe_heel_width_mm": (0.0, 150.0, "mm"),
        "shoe_ball_width_mm": (0.0, 200.0, "mm"),
        "lateral_forefoot_flange_mm": (0.0, 15.0, "mm"),
    }
)


@dataclass(frozen=True)
class Prescription:
    """The ordered modifications; every default is "none" (0 height, depth or angle).

    Attributes
    ----------
    post_motion_deg : float
        Rearfoot post motion: the third of the post's underside on its low edge (medial for
        a varus post) is ground this much flatter, so the heel can roll that far onto it.
    forefoot_post_deg : float
        Forefoot post under the metatarsal heads' support: the top tilted about the x axis by
        this angle, medial side raised for a positive (varus) post, lateral for a negative
        (valgus) one; added as solid material, the forefoot underside stays on the ground.
    skive_depth_mm, skive_angle_deg : float
        Medial heel skive (Kirby): the medial heel seat raised by a plane rising at the
        angle toward the medial side, reaching the depth at the seat's medial edge.
    heel_lift_mm : float
        Heel lift (leg-length difference): the heel seat raised by this much, tapering to
        nothing into the arch.
    spur_relief_depth_mm, spur_relief_diameter_mm : float
        A round pocket in the heel seat under the plantar calcaneal tubercle.
    met_pad_height_mm, met_pad_length_mm, met_pad_width_mm : float
        Metatarsal pad: height at its apex, length along x and width across.
    met_pad_offset_mm : float
        How far proximal of the 2nd-4th metatarsal heads (the middle of the MTH1-MTH5 line)
        the pad's apex lies.
    met_pad_shape : {"dome", "bar"}
        A dome (an oval pad) or a bar across the whole width of the shell.
    extension : {"none", "mortons", "reverse_mortons", "first_ray_cutout"}
        The forefoot outline: full length under the hallux (Morton's extension) or under the
        2nd-5th toes (reverse Morton's) beyond the shell length, or the first ray's head and
        toe cut out; the first ray lies medial of a line a quarter of the way from MTH1 to
        MTH5.
    extension_thickness_mm : float
        Thickness of the forefoot beyond the flex zone (the extension plate of a sulcus,
        full-length or extended shell); 0 to keep the flex zone's end thickness.
    shoe_heel_width_mm, shoe_ball_width_mm : float
        The shoe's largest width at the heel and at the ball; the outline is cut to them
        (0 for no limit).
    lateral_forefoot_flange_mm : float
        A flange along the lateral forefoot (with a valgus post), height above the plantar
        edge, taking over from the lateral flange ahead of MTH5; 0 for none.
    shoe_insole : tuple of (x, y)
        The shoe's insole outline, mm, x from heel to toe, +y medial, already scaled to the
        shoe's size; the outline is cut to it (empty for none).
    provenance : Mapping[str, Provenance]
        For every field set by a profile, where it came from (``shellgen.spec.Provenance``).
    """

    post_motion_deg: float = 0.0
    forefoot_post_deg: float = 0.0
    skive_depth_mm: float = 0.0
    skive_angle_deg: float = 20.0
    heel_lift_mm: float = 0.0
    spur_relief_depth_mm: float = 0.0
    spur_relief_diameter_mm: float = 20.0
    met_pad_height_mm: float = 0.0
    met_pad_length_mm: float = 35.0
    met_pad_width_mm: float = 25.0
    met_pad_offset_mm: float = 8.0
    met_pad_shape: MetPadShape = "dome"
    extension: Extension = "none"
    extension_thickness_mm: float = 0.0
    shoe_heel_width_mm: float = 0.0
    shoe_ball_width_mm: float = 0.0
    shoe_insole: tuple[tuple[float, float], ...] = ()
    lateral_forefoot_flange_mm: float = 0.0
    provenance: Mapping[str, Provenance] = field(default_factory=lambda: MappingProxyType({}))

    def out_of_range(self) -> list[tuple[str, float, float, float]]:
        """``(name, value, low, high)`` of every numeric field outside its allowed range."""
        bad = []
        for f in fields(self):
            if f.name in PRESCRIPTION_LIMITS:
                low, high, _ = PRESCRIPTION_LIMITS[f.name]
                value = float(getattr(self, f.name))
                if not low <= value <= high:
                    bad.append((f.name, value, low, high))
        return bad

    def ordered(self) -> list[str]:
        """Names of the modifications this prescription asks for, e.g. ``["skive", "met_pad"]``."""
        asked = {
            "post_motion": self.post_motion_deg > 0.0,
            "forefoot_post": self.forefoot_post_deg != 0.0,
            "skive": self.skive_depth_mm > 0.0,
            "heel_lift": self.heel_lift_mm > 0.0,
            "spur_relief": self.spur_relief_depth_mm > 0.0,
            "met_pad": self.met_pad_height_mm > 0.0 and self.met_pad_shape == "dome",
            "met_bar": self.met_pad_height_mm > 0.0 and self.met_pad_shape == "bar",
            self.extension: self.extension != "none",
            "extension_plate": self.extension_thickness_mm > 0.0,
            "lateral_forefoot_flange": self.lateral_forefoot_flange_mm > 0.0,
            "shoe_fit": bool(self.shoe_insole)
            or self.shoe_heel_width_mm > 0.0
            or self.shoe_ball_width_mm > 0.0,
        }
        return [name for name, yes in asked.items() if yes]


#: Nothing ordered.
NO_PRESCRIPTION: Final = Prescription()
