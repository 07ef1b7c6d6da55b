"""``calibrate``: a measured foot and a profile in, every number of the shell out.

Each number comes from a small named rule below, whose docstring cites its anchor (the
published ones are listed in DESIGN.md); where nothing is published the rule is ours, says
so, and is simple, monotonic and overridable. :func:`calibrate` records for every number
where it came from (:class:`~shellgen.spec.Provenance`).

Sizes that follow the foot (heel cup, flanges, flex zone) are given for a reference foot of
:data:`REFERENCE_FOOT_LENGTH_MM` and scaled linearly with foot length.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from shellgen.analysis import ArchType, Foot, Point2
from shellgen.errors import GeometryError, ProfileError, ScanError
from shellgen.limits import FOOT_LENGTH_RANGE_MM
from shellgen.materials import MATERIALS, Material, material
from shellgen.prescription import PRESCRIPTION_LIMITS, Prescription
from shellgen.profile import Activity, ArchFlexibility, Design, ForefootMobility, Profile
from shellgen.shoe import read_insole
from shellgen.spec import SPEC_UNITS, Provenance, ShellLength, ShellSpec, Source

__all__ = [
    "ACTIVITY_LOAD",
    "ARCH_DROP_MM",
    "DEFLECTION_TOL",
    "MASS_FRACTION",
    "REFERENCE_FOOT_LENGTH_MM",
    "SAFETY_FACTOR_MIN",
    "THICKNESS_MAX_MM",
    "MechanicsFit",
    "arch_drop_mm",
    "arch_flexibility_factor",
    "arch_height_mm",
    "calibrate",
    "deflection_target_mm",
    "flex_start_x_mm",
    "flex_taper_mm",
    "flex_thickness_ratio",
    "heel_cup_depth_mm",
    "label_text",
    "load_factor",
    "mass_raise_mm",
    "material_factor",
    "post_angle_deg",
    "relief_slot_count",
    "scale_by_foot_length",
    "shell_thickness_mm",
    "slot_length_mm",
    "thickness_by_mechanics",
    "weight_thickness_mm",
]

logger = logging.getLogger(__name__)

#: Foot length (mm) for which profile sizes are given; others scale by length / this.
REFERENCE_FOOT_LENGTH_MM: Final = 260.0
#: Thickest shell any rule gives, mm.
THICKNESS_MAX_MM: Final = 6.0

# McCormick, Bonanno & Landorf 2013: polypropylene thickness by weight and foot posture,
# (below 75 kg, from 75 kg), mm. Smoothed by a logistic step of scale 2.5 kg at 75 kg.
_MCCORMICK_MM: Final = MappingProxyType({"neutral": (4.0, 4.5), "cavoid": (3.0, 4.0)})
_MCCORMICK_STEP_KG: Final = 75.0
_MCCORMICK_STEP_SCALE_KG: Final = 2.5
# Weights the table is taken to cover; outside, thickness follows load^(1/3) (softly).
_TABLE_SPAN_KG: Final = (50.0, 100.0)
_TABLE_SOFTNESS_KG: Final = 5.0

#: Our rule: load multiplier of each activity, relative to walking (whose peak vertical
#: ground reaction is 1.2 body weights, Keller et al. 1996). Running at 1.6 is 1.9 BW,
#: under Keller's "about 2.5 BW running" (2.08 x walking) and the 2-3 BW of shod running:
#: measured at 2.08, the runner profile's sulcus shell (PA11, relief slots, a thin flex
#: zone resting on its tip under the midfoot load) keeps a safety factor of only 1.81-1.97
#: at 6 mm on every synthetic clinic kind, though 2.05-2.10 on the real scans; so 1.6 stays
#: until the patient load case carries the forefoot's own load (see README, mechanics).
ACTIVITY_LOAD: Final = MappingProxyType(
    {"sedentary": 0.8, "walking": 1.0, "running": 1.6, "high_impact": 2.2}
)
#: Our rule: navicular drop (mm) standing for each arch-flexibility class, inside the
#: norms' bands (<= 5 mm rigid, 5-9 mm normal, >= 10 mm flexible).
ARCH_DROP_MM: Final = MappingProxyType({"rigid": 3.0, "semi_rigid": 7.0, "flexible": 12.0})
#: Our rule: share of the arch drop a weight-bearing scan's arch is raised by, toward the
#: MASS position (:func:`mass_raise_mm`).
MASS_FRACTION: Final = 0.5
_ARCH_DROP_CENTRE_MM: Final = 7.0
_ARCH_DROP_SCALE_MM: Final = 3.0
_ARCH_FACTOR_SPAN: Final = 0.12

_FLEX_SETBACK_MM: Final = 10.0
_FLEX_TAPER_MM: Final = MappingProxyType({"stiff": 15.0, "normal": 20.0, "mobile": 25.0})
_FLEX_RATIO: Final = MappingProxyType({"stiff": 0.85, "normal": 0.70, "mobile": 0.55})
_SLOT_COUNT: Final = MappingProxyType({"stiff": 0, "normal": 3, "mobile": 4})
_SLOT_MIN_MODULUS_GPA: Final = 1.0
_SLOT_WIDTH_MM: Final = 2.5
_SLOT_LENGTH_OF_BALL: Final = 0.5

_POST_DEG_PER_DEG: Final = 0.2
_POST_MAX_DEG: Final = 6.0
_HEEL_CUP_RANGE_MM: Final = (8.0, 25.0)


def weight_thickness_mm(bodyweight_kg: float, arch_type: ArchType) -> float:
    """Polypropylene shell thickness for a walking adult, by weight and foot posture, mm.

    Anchor: McCormick, Bonanno & Landorf, J Foot Ankle Res 2013, 6:19: neutral or pronated
    feet (arch type ``normal`` or ``low``) 4.0 mm below 75 kg and 4.5 mm from 75 kg;
    cavoid feet (``high``) 3.0 mm and 4.0 mm. The table's step is smoothed by a logistic of
    scale 2.5 kg centred at 75 kg (within 0.01 mm of the table outside 75 ± 13 kg). The
    table is taken to hold from 50 to 100 kg; beyond, thickness keeps following the load as
    (weight / nearest table weight)^(1/3) (plate bending), blended in by a softplus clamp of
    5 kg, so the curve stays smooth and strictly increasing.

    Parameters
    ----------
    bodyweight_kg : float
        Body weight, kg.
    arch_type : {"high", "normal", "low"}
        Arch type from the footprint; ``high`` is a cavoid foot.

    Examples
    --------
    >>> round(weight_thickness_mm(60.0, "normal"), 2), round(weight_thickness_mm(90.0, "high"), 2)
    (3.99, 4.01)
    """
    below, above = _MCCORMICK_MM["cavoid" if arch_type == "high" else "neutral"]
    step = _logistic((bodyweight_kg - _MCCORMICK_STEP_KG) / _MCCORMICK_STEP_SCALE_KG)
    table_mm = below + (above - below) * step
    low, high = _TABLE_SPAN_KG
    soft = _TABLE_SOFTNESS_KG
    within_kg = high - _softplus(high - (low + _softplus(bodyweight_kg - low, soft)), soft)
    return table_mm * (bodyweight_kg / within_kg) ** (1.0 / 3.0)


def load_factor(activity: Activity) -> float:
    """Thickness factor for an activity's load: ``ACTIVITY_LOAD[activity] ** (1/3)``.

    Anchor: plate bending (DESIGN.md): for the same stress under a load, thickness scales
    with load^(1/3). The load multipliers (:data:`ACTIVITY_LOAD`: sedentary 0.8, walking
    1.0, running 1.6, high impact 2.2) are our rule.
    """
    return ACTIVITY_LOAD[activity] ** (1.0 / 3.0)


def material_factor(mat: Material) -> float:
    """Thickness factor for equal bending stiffness to polypropylene: ``(E_PP / E)^(1/3)``.

    Anchor: plate bending (DESIGN.md): stiffness is proportional to E t^3.
    """
    return (MATERIALS["PP"].modulus_gpa / mat.modulus_gpa) ** (1.0 / 3.0)


def arch_drop_mm(arch_flexibility: ArchFlexibility) -> float:
    """Navicular drop (mm) for an arch-flexibility class, or a measured drop as given.

    Our rule: the classes stand for drops inside the norms' bands (≤ 5 mm rigid, 5–9 mm
    normal, ≥ 10 mm flexible): :data:`ARCH_DROP_MM`.
    """
    if isinstance(arch_flexibility, str):
        return ARCH_DROP_MM[arch_flexibility]
    return float(arch_flexibility)


def arch_flexibility_factor(arch_flexibility: ArchFlexibility) -> float:
    """Thickness factor for arch flexibility: a flexible arch gets a stiffer shell.

    Our rule, anchored on navicular-drop norms (≤ 5 mm rigid, 5–9 mm normal, ≥ 10 mm
    flexible): ``1 + 0.12 tanh((drop - 7 mm) / 3 mm)``, exactly 1 for a semi-rigid arch
    (7 mm), about 0.90 for rigid (3 mm) and 1.11 for flexible (12 mm), bounded by 0.88 and
    1.12.

    Examples
    --------
    >>> arch_flexibility_factor("semi_rigid")
    1.0
    """
    drop = arch_drop_mm(arch_flexibility)
    return 1.0 + _ARCH_FACTOR_SPAN * math.tanh((drop - _ARCH_DROP_CENTRE_MM) / _ARCH_DROP_SCALE_MM)


def shell_thickness_mm(
    bodyweight_kg: float,
    arch_type: ArchType,
    activity: Activity,
    arch_flexibility: ArchFlexibility,
    mat: Material,
) -> float:
    """Shell thickness under the arch, mm.

    :func:`weight_thickness_mm` (McCormick 2013, polypropylene, walking) times
    :func:`load_factor`, :func:`material_factor` and :func:`arch_flexibility_factor`,
    clamped to ``[mat.min_loaded_wall_mm, THICKNESS_MAX_MM]`` (DESIGN.md: 2 mm where
    loaded; 6 mm is our ceiling). Non-decreasing in weight and load, non-increasing in
    modulus, never below the material's loaded minimum wall.
    """
    thickness = (
        weight_thickness_mm(bodyweight_kg, arch_type)
        * load_factor(activity)
        * material_factor(mat)
        * arch_flexibility_factor(arch_flexibility)
    )
    return min(max(thickness, mat.min_loaded_wall_mm), THICKNESS_MAX_MM)


def mass_raise_mm(standing: bool, arch_flexibility: ArchFlexibility) -> float:
    """How far a weight-bearing scan's arch is raised toward its MASS position, mm.

    MASS, the maximal arch the foot holds comfortably at midstance, lies between the arch
    loaded (a weight-bearing scan) and unloaded (that plus the arch drop). Our rule: raise a
    weight-bearing scan's arch by :data:`MASS_FRACTION` of its arch drop
    (:func:`arch_drop_mm`: the class's, or a measured drop as given), so never above the
    foot's estimated unloaded arch; an unloaded or semi-weight-bearing capture is used as
    captured (0). ``[override] arch_height_mm`` sets the arch outright.

    Examples
    --------
    >>> mass_raise_mm(True, "flexible"), mass_raise_mm(False, "flexible")
    (6.0, 0.0)
    """
    return MASS_FRACTION * arch_drop_mm(arch_flexibility) if standing else 0.0


def arch_height_mm(measured_mm: float, fill_fraction: float, raise_mm: float = 0.0) -> float:
    """Supported arch height: ``fill_fraction`` of the arch at its MASS position, mm, >= 0.

    The MASS position is the measured arch plus ``raise_mm`` (:func:`mass_raise_mm`). Total
    contact (DESIGN.md): a fill of 1.0 follows it fully.
    """
    return max(0.0, fill_fraction * (measured_mm + raise_mm))


def scale_by_foot_length(size_mm: float, foot_length_mm: float) -> float:
    """A size given for the 260 mm reference foot, scaled linearly to this foot, mm."""
    return size_mm * foot_length_mm / REFERENCE_FOOT_LENGTH_MM


def heel_cup_depth_mm(depth_mm: float, foot_length_mm: float) -> float:
    """Heel cup depth: the profile's depth scaled by foot length, clamped to 8–25 mm.

    Anchor: heel cup 12 mm standard, 8–25 mm (DESIGN.md).
    """
    low, high = _HEEL_CUP_RANGE_MM
    return min(max(scale_by_foot_length(depth_mm, foot_length_mm), low), high)


def post_angle_deg(leg_rotation_deg: float) -> float:
    """Rearfoot (varus) post angle from leg rotation, degrees.

    Our rule: ``clip(0.2 * leg_rotation_deg, 0, 6)``: no post for external rotation, 4°
    (the common post) at 20° internal rotation, at most 6° (DESIGN.md: posts 0–6°).
    """
    return min(max(_POST_DEG_PER_DEG * leg_rotation_deg, 0.0), _POST_MAX_DEG)


def flex_start_x_mm(mth1: Point2, mth5: Point2, foot_length_mm: float) -> float:
    """Where the forefoot flex zone starts to thin, mm from the heel along x.

    Anchor: the rigid shell ends just proximal to the metatarsal heads (DESIGN.md). Our
    rule: 10 mm (scaled by foot length) behind the more proximal head centre, usually MTH5;
    10 mm is about the radius of a metatarsal head, so the shell thins from where the heads
    begin to load it.
    """
    setback = scale_by_foot_length(_FLEX_SETBACK_MM, foot_length_mm)
    return min(mth1[0], mth5[0]) - setback


def flex_taper_mm(mobility: ForefootMobility, foot_length_mm: float) -> float:
    """Length of the flex-zone taper, mm.

    Our rule: 15, 20 or 25 mm for a stiff, normal or mobile forefoot, scaled by foot length.
    """
    return scale_by_foot_length(_FLEX_TAPER_MM[mobility], foot_length_mm)


def flex_thickness_ratio(mobility: ForefootMobility, thickness_mm: float, mat: Material) -> float:
    """Flex-zone end thickness over full thickness.

    Our rule: 0.85, 0.70 or 0.55 for a stiff, normal or mobile forefoot, raised where needed
    so that the thinnest part is at least the material's minimum wall (DESIGN.md: 1.0 mm
    nylon, 1.2 mm FDM).
    """
    return min(1.0, max(_FLEX_RATIO[mobility], mat.min_wall_mm / thickness_mm))


def relief_slot_count(mat: Material, mobility: ForefootMobility, shell_length: ShellLength) -> int:
    """Transverse relief slots that make a hinge in the flex zone (0 for none).

    Our rule: only stiff materials need them (modulus ≥ 1 GPa), only a normal (3 slots) or
    mobile (4) forefoot wants them, and only a shell that reaches past the metatarsal heads
    (sulcus or full) has a forefoot to hinge; a three-quarter shell ends before it.
    """
    if mat.modulus_gpa < _SLOT_MIN_MODULUS_GPA or shell_length == "three_quarter":
        return 0
    return _SLOT_COUNT[mobility]


def slot_length_mm(ball_width_mm: float) -> float:
    """Relief slot length across the foot: half the ball width, mm (our rule)."""
    return _SLOT_LENGTH_OF_BALL * ball_width_mm


def label_text(template: str, order: str, side: str) -> str:
    """The engraved label: ``template`` with ``{order}`` and ``{side}`` (``L``/``R``).

    Examples
    --------
    >>> label_text("{order}-{side}", "A123", "left")
    'A123-L'
    """
    return template.format(order=order, side="L" if side == "left" else "R")


@dataclass(frozen=True)
class _Entry:
    """One calibrated number and where it came from."""

    value: float
    source: Source
    rule: str


def calibrate(foot: Foot, profile: Profile, *, order_id: str | None = None) -> ShellSpec:
    """Turn a measured foot and a profile into every number of the shell.

    Parameters
    ----------
    foot : Foot
        The analysed foot (foot frame, mm).
    profile : Profile
        Patient, design and overrides.
    order_id : str, optional
        Order identifier for the label; the scan file's stem when None.

    Returns
    -------
    ShellSpec
        Every number with its :class:`~shellgen.spec.Provenance`: ``profile`` or
        ``default`` for design keys used as they are, ``calibrated`` with the rule and its
        inputs, ``override`` for numbers pinned in ``[override]``.

    Raises
    ------
    ScanError
        If the foot's measures are not usable (non-finite, implausible length).
    ProfileError
        If an override breaks a hard limit (the flex zone thinner than the material's
        minimum wall).
    """
    _check_foot(foot)
    patient, design, override = profile.patient, profile.design, profile.override
    mat = material(design.material)
    length = foot.foot_length_mm
    scale = f"x {length:.1f}/{REFERENCE_FOOT_LENGTH_MM:.0f} mm foot length"
    entries: dict[str, _Entry] = {}

    def given(key: str) -> tuple[Source, str]:
        set_here = key in design.model_fields_set
        return ("profile", f"[design] {key}") if set_here else ("default", f"default {key}")

    def settle(name: str, entry: _Entry) -> float:
        pinned = getattr(override, name)
        if pinned is not None:
            note = f"[override] {name} = {pinned}; the rule gave {entry.value:.4g} ({entry.rule})"
            entry = _Entry(float(pinned), "override", note)
        entries[name] = entry
        return entry.value

    thickness = settle("thickness_mm", _thickness_entry(profile, foot, mat))
    fill = design.arch_fill_fraction
    flexibility = profile.patient.arch_flexibility
    lift = mass_raise_mm(foot.standing, flexibility)
    position = (
        f"measured {foot.arch.height_mm:.1f} mm + MASS {MASS_FRACTION:g} x "
        f"{arch_drop_mm(flexibility):g} mm arch drop (weight-bearing scan)"
        if foot.standing
        else f"measured {foot.arch.height_mm:.1f} mm (unloaded capture, as captured)"
    )
    settle(
        "arch_height_mm",
        _Entry(
            arch_height_mm(foot.arch.height_mm, fill, lift),
            "calibrated",
            f"arch_fill: {fill:g} x ({position}) ({given('arch_fill_fraction')[0]} fill)",
        ),
    )
    cup = design.heel_cup_depth_mm
    settle(
        "heel_cup_depth_mm",
        _Entry(
            heel_cup_depth_mm(cup, length),
            "calibrated",
            f"scale_by_foot_length: {cup:g} mm ({given('heel_cup_depth_mm')[0]}) {scale}, "
            "clamp [8, 25] mm",
        ),
    )
    for key in ("medial_flange_mm", "lateral_flange_mm"):
        size = float(getattr(design, key))
        rule = f"scale_by_foot_length: {size:g} mm ({given(key)[0]}) {scale}"
        settle(key, _Entry(scale_by_foot_length(size, length), "calibrated", rule))
    rotation = patient.leg_rotation_deg
    proposed = _Entry(
        post_angle_deg(rotation),
        "calibrated",
        f"post_by_leg_rotation (ours): clip(0.2 x {rotation:g} deg, 0, 6)",
    )
    if "rearfoot_post_deg" in design.model_fields_set:
        proposed = _Entry(
            design.rearfoot_post_deg,
            "profile",
            f"[design] rearfoot_post_deg (leg rotation would give {proposed.value:g} deg)",
        )
    settle("post_angle_deg", proposed)
    lm = foot.landmarks
    settle(
        "flex_start_x_mm",
        _Entry(
            flex_start_x_mm(lm.mth1, lm.mth5, length),
            "calibrated",
            f"flex_start (ours): min(MTH1 x {lm.mth1[0]:.1f}, MTH5 x {lm.mth5[0]:.1f} mm) "
            f"- 10 mm {scale}",
        ),
    )
    mobility = patient.forefoot_mobility
    settle(
        "flex_taper_mm",
        _Entry(
            flex_taper_mm(mobility, length),
            "calibrated",
            f"flex_taper (ours): {_FLEX_TAPER_MM[mobility]:g} mm for a {mobility} forefoot {scale}",
        ),
    )
    ratio = settle("flex_thickness_ratio", _ratio_entry(mobility, thickness, mat))
    if ratio * thickness < mat.min_wall_mm - 1e-9:
        raise ProfileError(
            f"profile {profile.name!r}: flex zone {ratio:g} x {thickness:.2f} mm = "
            f"{ratio * thickness:.2f} mm is below the minimum wall of {mat.name}; allowed: "
            f"override.flex_thickness_ratio of at least {mat.min_wall_mm / thickness:.3f}"
        )
    count = relief_slot_count(mat, mobility, design.shell_length)
    under_pad = ""
    if count and design.met_pad_height_mm > 0:  # a hinge cut through the pad: none
        count, under_pad = 0, "; a met pad lies over the flex zone -> 0"
    settle(
        "slot_count",
        _Entry(
            count,
            "calibrated",
            f"relief_slots (ours): {mat.name} E = {mat.modulus_gpa:g} GPa (>= 1 GPa needed), "
            f"{mobility} forefoot, {design.shell_length} shell -> "
            f"{relief_slot_count(mat, mobility, design.shell_length)}{under_pad}",
        ),
    )
    settle(
        "slot_width_mm",
        _Entry(_SLOT_WIDTH_MM, "calibrated", "relief_slots (ours): slot width 2.5 mm"),
    )
    settle(
        "slot_length_mm",
        _Entry(
            slot_length_mm(foot.ball_width_mm),
            "calibrated",
            f"relief_slots (ours): 0.5 x ball width {foot.ball_width_mm:.1f} mm",
        ),
    )
    for key in ("rim_radius_mm", "grid_spacing_mm", "label_depth_mm"):
        source, rule = given(key)
        settle(key, _Entry(float(getattr(design, key)), source, rule))

    order = order_id if order_id is not None else Path(foot.scan.source.path).stem
    provenance = {
        name: Provenance(SPEC_UNITS[name], e.source, e.rule) for name, e in entries.items()
    }
    for key in ("material", "shell_length"):
        provenance[key] = Provenance("", *given(key))
    label_source, label_rule = given("label")
    provenance["label"] = Provenance(
        "", label_source, f"{label_rule} {design.label!r}: order {order!r}, side {foot.scan.side}"
    )
    value = {name: e.value for name, e in entries.items()}
    spec = ShellSpec(
        material=mat,
        shell_length=design.shell_length,
        thickness_mm=value["thickness_mm"],
        arch_height_mm=value["arch_height_mm"],
        heel_cup_depth_mm=value["heel_cup_depth_mm"],
        medial_flange_mm=value["medial_flange_mm"],
        lateral_flange_mm=value["lateral_flange_mm"],
        post_angle_deg=value["post_angle_deg"],
        flex_start_x_mm=value["flex_start_x_mm"],
        flex_taper_mm=value["flex_taper_mm"],
        flex_thickness_ratio=value["flex_thickness_ratio"],
        slot_count=round(value["slot_count"]),
        slot_width_mm=value["slot_width_mm"],
        slot_length_mm=value["slot_length_mm"],
        rim_radius_mm=value["rim_radius_mm"],
        grid_spacing_mm=value["grid_spacing_mm"],
        label=label_text(design.label, order, foot.scan.side),
        label_depth_mm=value["label_depth_mm"],
        provenance=MappingProxyType(provenance),
        prescription=_prescription(design, given),
    )
    logger.info(
        "calibrated %s with profile %r: %.2f mm %s", order, profile.name, thickness, mat.name
    )
    return spec


#: Prescription fields and the ``[design]`` keys they are read from, where the names differ.
_RX_KEYS: Final = MappingProxyType({"post_motion_deg": "rearfoot_post_motion_deg"})


def _prescription(design: Design, given: Callable[[str], tuple[Source, str]]) -> Prescription:
    """The ordered modifications as the ``[design]`` table gives them, with provenance."""
    values: dict[str, Any] = {}
    provenance: dict[str, Provenance] = {}
    for name, (_, _, unit) in PRESCRIPTION_LIMITS.items():
        key = _RX_KEYS.get(name, name)
        values[name] = float(getattr(design, key))
        provenance[name] = Provenance(unit, *given(key))
    for key in ("met_pad_shape", "extension"):
        values[key] = getattr(design, key)
        provenance[key] = Provenance("", *given(key))
    if design.shoe_outline:
        length = design.shoe_outline_length_mm
        values["shoe_insole"] = read_insole(design.shoe_outline, length)
        size = f"scaled to {length:g} mm long" if length > 0 else "as drawn"
        provenance["shoe_insole"] = Provenance(
            "mm",
            "profile",
            f"[design] shoe_outline {design.shoe_outline!r}: "
            f"{len(values['shoe_insole'])} points, {size}",
        )
    return Prescription(**values, provenance=MappingProxyType(provenance))


def _thickness_entry(profile: Profile, foot: Foot, mat: Material) -> _Entry:
    """:func:`shell_thickness_mm` with its inputs spelled out."""
    p = profile.patient
    posture = "cavoid" if foot.arch.type == "high" else "neutral/pronated"
    base = weight_thickness_mm(p.bodyweight_kg, foot.arch.type)
    value = shell_thickness_mm(p.bodyweight_kg, foot.arch.type, p.activity, p.arch_flexibility, mat)
    flex = p.arch_flexibility
    flex_name = flex if isinstance(flex, str) else "measured"
    rule = (
        f"thickness_by_weight(McCormick 2013): {p.bodyweight_kg:g} kg, {foot.arch.type} arch "
        f"({posture}) -> {base:.3f} mm; "
        f"x load({p.activity} {ACTIVITY_LOAD[p.activity]:g})^(1/3)={load_factor(p.activity):.3f}; "
        f"x (E_PP/E)^(1/3)={material_factor(mat):.3f} ({mat.name}); "
        f"x arch_flex({flex_name}, {arch_drop_mm(flex):g} mm drop)="
        f"{arch_flexibility_factor(flex):.3f}; "
        f"clamp [{mat.min_loaded_wall_mm:g}, {THICKNESS_MAX_MM:g}] mm"
    )
    return _Entry(value, "calibrated", rule)


def _ratio_entry(mobility: ForefootMobility, thickness_mm: float, mat: Material) -> _Entry:
    """:func:`flex_thickness_ratio` with its inputs spelled out."""
    ratio = flex_thickness_ratio(mobility, thickness_mm, mat)
    rule = f"flex_ratio (ours): {_FLEX_RATIO[mobility]:g} for a {mobility} forefoot"
    if ratio > _FLEX_RATIO[mobility]:
        rule += (
            f", raised to {mat.name} minimum wall {mat.min_wall_mm:g} mm / {thickness_mm:.2f} mm"
        )
    return _Entry(ratio, "calibrated", rule)


def _check_foot(foot: Foot) -> None:
    """Refuse a foot whose measures the rules cannot use."""
    low, high = FOOT_LENGTH_RANGE_MM
    length = foot.foot_length_mm
    if not (math.isfinite(length) and low <= length <= high):
        raise ScanError(
            f"{foot.scan.source.path}: foot length {length:.1f} mm is outside {low:g}-{high:g} "
            "mm; check the scan's units (--units) or give --length-mm"
        )
    measures = {
        "arch height": foot.arch.height_mm,
        "ball width": foot.ball_width_mm,
        "MTH1 x": foot.landmarks.mth1[0],
        "MTH5 x": foot.landmarks.mth5[0],
    }
    for what, number in measures.items():
        if not math.isfinite(number):
            raise ScanError(
                f"{foot.scan.source.path}: {what} is {number}; the scan does not show the sole "
                "well enough to calibrate, rescan the foot"
            )


def _logistic(u: float) -> float:
    """The logistic function ``1 / (1 + exp(-u))``, safe for large ``|u|``."""
    if u >= 0:
        return 1.0 / (1.0 + math.exp(-u))
    e = math.exp(u)
    return e / (1.0 + e)


def _softplus(u: float, scale: float) -> float:
    """``scale * log(1 + exp(u / scale))``: a smooth ``max(u, 0)``."""
    v = u / scale
    return scale * (max(v, 0.0) + math.log1p(math.exp(-abs(v))))


# --- Calibration by mechanics (issue 13) ------------------------------------------------

#: Relative tolerance of the solved arch deflection against its target.
DEFLECTION_TOL: Final = 0.05
#: Softest modulus that makes a rigid shell, GPa (TPU 95A, 0.05 GPa, is a flexible one).
_RIGID_MODULUS_GPA: Final = 0.5
#: Least safety factor against the material's fatigue limit at the activity load.
SAFETY_FACTOR_MIN: Final = 2.0
#: Most shell evaluations (build + mechanics) one thickness solve may take.
_MAX_EVALUATIONS: Final = 10
#: A bracket on the thickness this narrow (mm) is as solved as a printer can print it.
_BRACKET_MM: Final = 0.02
#: Safety factor a thickening for fatigue aims at: 2 % over the least, as the estimate of the
#: thickness that gives it is a power law's.
_SAFETY_AIM: Final = 1.02 * SAFETY_FACTOR_MIN
#: A shell thickened for fatigue is as thin as it may be once its safety factor is within
#: this factor of the least (about 2 to 3 % of thickness: stress goes as t^-1.5 to t^-2).
_SAFETY_SLACK: Final = 1.05
#: Power laws of a shell's arch deflection and safety factor in its thickness: the range of
#: slopes believed from two trials, and the slope assumed from one (a flat plate's
#: deflection goes as t^-3 and stress as t^-2; a curved shell's less steeply).
_DEFLECTION_SLOPES: Final = (-4.0, -0.5)
_DEFLECTION_SLOPE: Final = -2.5
_SAFETY_SLOPES: Final = (0.5, 2.5)
_SAFETY_SLOPE: Final = 2.0


@dataclass(frozen=True)
class MechanicsFit:
    """A thickness solved by mechanics, with the response it gives.

    Attributes
    ----------
    spec : ShellSpec
        The spec with the solved ``thickness_mm`` (and flex ratio kept printable).
    response : shellgen.mechanics.Response
        The built shell's response at that thickness.
    target_deflection_mm : float
        The arch deflection aimed at under the walking load, mm.
    deflection_thickness_mm : float
        The thickness that meets the target (or the wall it stopped at), mm: the solved
        thickness, or for a shell thickened for fatigue past it the power law's thickness
        between the trials either side of the target.
    provenance : str
        E.g. ``"FE: target 1.80 mm at 245 N, 1.79 mm with 3.42 mm PA12"``, with the reason
        when the thickness sits at a bound.
    """

    spec: ShellSpec
    response: Any
    target_deflection_mm: float
    deflection_thickness_mm: float
    provenance: str

    def as_json(self) -> dict[str, dict[str, object]]:
        """The mechanics rows of ``calibrate --json``: ``{name: {value, unit, source, rule}}``."""
        r = self.response
        rows = {
            "target_deflection_mm": (self.target_deflection_mm, "mm", "McCormick 2013 PP shell"),
            "deflection_mm": (r.deflection_mm, "mm", f"walking, {r.load_n:.0f} N midfoot"),
            "activity_deflection_mm": (
                r.activity_deflection_mm,
                "mm",
                f"activity, {r.activity_load_n:.0f} N midfoot",
            ),
            "bench_stiffness_n_per_mm": (
                r.bench_stiffness_n_per_mm,
                "N/mm",
                f"bench test, {r.bench_force_n:g} N within 20 mm of the arch apex",
            ),
            "peak_stress_mpa": (r.peak_stress_mpa, "MPa", "von Mises at the activity load"),
            "safety_factor": (
                r.safety_factor,
                "1",
                f"pulsating fatigue limit {self.spec.material.pulsating_limit_mpa:.1f} MPa"
                " over peak stress",
            ),
        }
        return {
            name: {"value": round(value, 4), "unit": unit, "source": "mechanics", "rule": rule}
            for name, (value, unit, rule) in rows.items()
        }


def deflection_target_mm(
    bodyweight_kg: float, arch_type: ArchType, arch_flexibility: ArchFlexibility
) -> float:
    """Target arch deflection under the walking load, mm.

    Our rule, anchored on McCormick, Bonanno & Landorf 2013: what their polypropylene shell
    for the foot posture and weight class (neutral or pronated 4.0 mm below 75 kg, 4.5 mm
    from 75 kg; cavoid, a high arch here, 3.0 and 4.0 mm) deflects on a reference foot of
    that weight (``shellgen/mechanics/_targets.py``, written by
    ``scripts/deflection_targets.py``). Arch flexibility moves it the way it moves the
    rule-based thickness: divided by :func:`arch_flexibility_factor` cubed (plate bending),
    so a flexible arch gets less deflection (more support) and a rigid one more.
    """
    from shellgen.mechanics._targets import DEFLECTION_MM_PER_KG

    posture = "cavoid" if arch_type == "high" else "neutral"
    weight_class = "from_75kg" if bodyweight_kg >= _MCCORMICK_STEP_KG else "below_75kg"
    per_kg = DEFLECTION_MM_PER_KG[(posture, weight_class)][2]
    return per_kg * bodyweight_kg / arch_flexibility_factor(arch_flexibility) ** 3


def _thickness_for(
    tried: list[tuple[float, float]], goal: float, slopes: tuple[float, float], slope: float
) -> float:
    """Thickness (mm) at which a quantity that goes as a power of it reaches ``goal``.

    ``tried`` holds (thickness, value) pairs. Between the two tried values nearest the goal
    on either side, the power law through them (a secant in log-log); otherwise the power
    law through the nearest value, with the slope measured to the next tried thickness at
    least 2 % away (held within ``slopes``), or ``slope`` when there is none.
    """
    below = [tq for tq in tried if tq[1] < goal]
    above = [tq for tq in tried if tq[1] >= goal]
    if below and above:
        t1, q1 = min(below, key=lambda tq: goal / tq[1])
        t2, q2 = min(above, key=lambda tq: tq[1] / goal)
        if t1 != t2 and q1 != q2:
            slope = math.log(q2 / q1) / math.log(t2 / t1)
            return float(t1 * (goal / q1) ** (1.0 / slope))
    ranked = sorted(tried, key=lambda tq: abs(math.log(tq[1] / goal)))
    t1, q1 = ranked[0]
    for t2, q2 in ranked[1:]:
        if abs(math.log(t2 / t1)) > 0.02:
            measured = math.log(q1 / q2) / math.log(t1 / t2)
            if math.isfinite(measured):
                slope = min(max(measured, slopes[0]), slopes[1])
            break
    return float(t1 * (goal / q1) ** (1.0 / slope))


def _bracket(tried: dict[float, Any], met: Callable[[Any], bool]) -> tuple[float, float]:
    """The thickest trial thickness whose response misses a goal and the thinnest whose
    response meets it, mm (0 and infinity where there is none)."""
    missed = [u for u, (_, r) in tried.items() if not met(r)]
    hit = [u for u, (_, r) in tried.items() if met(r)]
    return max(missed, default=0.0), min(hit, default=math.inf)


def _kept_inside(step_mm: float, low_mm: float, high_mm: float) -> float:
    """A step into the bracket (low, high) kept in its middle half (in log), else the
    bracket's middle: the secant of a response that jumps (where the underside rests
    changes with the thickness) would otherwise creep toward one end, a trial at a time
    (4.022, 4.013, 4.005, 3.999 ... mm on a clinic kind's shell); halving the bracket
    closes it to :data:`_BRACKET_MM` in a few."""
    if not (0.0 < low_mm < step_mm < high_mm < math.inf):
        return step_mm
    width = math.log(high_mm / low_mm)
    if 0.25 * width < math.log(step_mm / low_mm) < 0.75 * width:
        return step_mm
    return math.sqrt(low_mm * high_mm)


def thickness_by_mechanics(
    foot: Foot, spec: ShellSpec, profile: Profile, spacing_mm: float | None = None
) -> MechanicsFit:
    """Solve the shell thickness so that its arch deflection meets the target.

    The shell is rebuilt on its cached plan for every trial thickness and loaded with the
    patient's walking load (:mod:`shellgen.mechanics`), between the material's loaded
    minimum wall and :data:`THICKNESS_MAX_MM`. The answer is the thinnest shell that keeps a
    safety factor of :data:`SAFETY_FACTOR_MIN` at the activity load and deflects no more
    than the target: on the target within :data:`DEFLECTION_TOL` where that is safe, else
    thickened for fatigue (a safety factor within 5 % of the least), or the wall when even
    that is stiffer than the target. Every trial gives both the deflection and the safety
    factor, so each next thickness serves both at once: the larger of the thicknesses that
    the trials put the target and a safety factor 2 % over the least at
    (:func:`_thickness_for`, power laws through the trials: a plate's deflection goes as
    t^-3 and its stress as t^-2, a curved shell's less steeply). Solving the deflection
    first and then thickening took four builds on the standard profile's synthetic shell
    where this takes two or three. ``spacing_mm`` is the mechanics mesh's plan spacing
    (:data:`shellgen.mechanics.SPACING_MM` when None).

    Raises
    ------
    ProfileError
        If no thickness up to 6 mm meets both the target and the safety factor (the message
        says which and suggests a stiffer material); for a material too soft to make a rigid
        shell (TPU), saying why.
    """
    from shellgen.mechanics import SPACING_MM, Patient, PlanCache, respond, solid_of_shell
    from shellgen.shell import build

    spacing = SPACING_MM if spacing_mm is None else spacing_mm
    mat = spec.material
    patient = profile.patient
    target = deflection_target_mm(patient.bodyweight_kg, foot.arch.type, patient.arch_flexibility)
    who = Patient(patient.bodyweight_kg, ACTIVITY_LOAD[patient.activity])
    low, high = mat.min_loaded_wall_mm, THICKNESS_MAX_MM
    plan = None
    cache = PlanCache()
    tried: dict[float, Any] = {}

    def at(thickness_mm: float) -> Any:
        nonlocal plan
        t = round(min(max(thickness_mm, low), high), 3)
        if t not in tried:
            ratio = min(1.0, max(spec.flex_thickness_ratio, mat.min_wall_mm / t))
            trial = dataclasses.replace(spec, thickness_mm=t, flex_thickness_ratio=ratio)
            shell = build(foot, trial, reuse=plan)
            plan = shell.plan
            solid = solid_of_shell(shell, spacing)
            tried[t] = (trial, respond(solid, mat, foot.landmarks.arch_apex, who, cache=cache))
        return tried[t]

    if mat.modulus_gpa < _RIGID_MODULUS_GPA:
        raise ProfileError(
            f"profile {profile.name!r}: {mat.name} ({mat.modulus_gpa:g} GPa) cannot make a rigid "
            f"shell: it is a flexible material, and a shell that meets a {target:.2f} mm arch "
            "deflection target would need many times the 6 mm limit; choose "
            + ", ".join(m.name for m in MATERIALS.values() if m.modulus_gpa >= _RIGID_MODULUS_GPA)
        )

    def clamp(thickness_mm: float) -> float:
        return round(min(max(thickness_mm, low), high), 3)

    def estimates(trials: dict[float, Any] | None = None) -> tuple[float, float]:
        """The thicknesses (mm) the trials (all so far if None) put the target and the aimed
        safety at."""
        runs = [(u, ru) for u, (_, ru) in (tried if trials is None else trials).items()]
        return (
            _thickness_for(
                [(u, ru.deflection_mm) for u, ru in runs],
                target,
                _DEFLECTION_SLOPES,
                _DEFLECTION_SLOPE,
            ),
            _thickness_for(
                [(u, ru.safety_factor) for u, ru in runs],
                _SAFETY_AIM,
                _SAFETY_SLOPES,
                _SAFETY_SLOPE,
            ),
        )

    t = clamp(spec.thickness_mm)
    reason = ""
    settled = False
    for _ in range(_MAX_EVALUATIONS):
        trial, r = at(t)
        d, safety = r.deflection_mm, r.safety_factor
        if d <= 0.0:
            raise GeometryError(
                f"profile {profile.name!r}: under the patient's load the arch of the "
                f"{t:.2f} mm shell rises ({-d:.2f} mm) instead of coming down: the shell rocks "
                "on its underside (a posted heel rests on its low edge); calibrate it by rule"
            )
        if safety >= SAFETY_FACTOR_MIN:
            settled = abs(d / target - 1.0) <= DEFLECTION_TOL
            if d < target and t <= low:
                reason = f"; at the {low:g} mm loaded minimum wall already stiffer ({d:.2f} mm)"
                settled = True
            # as thin as fatigue allows, and stiffer than the target asks
            settled = settled or (d < target and safety <= _SAFETY_SLACK * SAFETY_FACTOR_MIN)
            if settled:
                break
        if t >= high and d > target * (1.0 + DEFLECTION_TOL):
            raise ProfileError(
                f"profile {profile.name!r}: even {high:g} mm of {mat.name} deflects {d:.2f} mm "
                f"under the arch against a target of {target:.2f} mm; choose a stiffer material"
            )
        if t >= high and safety < SAFETY_FACTOR_MIN:
            raise ProfileError(
                f"profile {profile.name!r}: at {high:g} mm of {mat.name} the peak stress "
                f"{r.peak_stress_mpa:.1f} MPa leaves a safety factor of {safety:.2f} against "
                f"its {mat.pulsating_limit_mpa:.1f} MPa fatigue limit (2 needed); choose a "
                "stiffer, stronger material or a lighter activity"
            )
        # brackets on the thickness: the thickest trial on the wrong side of the target (of
        # the least safety factor) and the thinnest on the right one
        flexible, stiff = _bracket(tried, lambda ru: ru.deflection_mm <= target)
        unsafe, safe = _bracket(tried, lambda ru: ru.safety_factor >= SAFETY_FACTOR_MIN)
        step_over = ""
        if (
            0.0 < stiff - flexible < _BRACKET_MM
            and tried[stiff][1].safety_factor >= SAFETY_FACTOR_MIN
        ):
            step_over = "deflection"
        elif 0.0 < safe - unsafe < _BRACKET_MM and tried[safe][1].deflection_mm <= target:
            step_over = "safety factor"
        if step_over:
            # it steps over the goal between two thicknesses this close (where the underside
            # rests changes there): the thinner one that meets both
            lo, hi = (flexible, stiff) if step_over == "deflection" else (unsafe, safe)
            trial, r = tried[hi]
            value = (
                (lambda ru: ru.deflection_mm)
                if step_over == "deflection"
                else (lambda ru: ru.safety_factor)
            )
            reason = (
                f"; the {step_over} steps from {value(tried[lo][1]):.2f} to "
                f"{value(r):.2f} between {lo:.2f} and {hi:.2f} mm (where the underside rests "
                "changes)"
            )
            settled = True
            break
        for_target, for_fatigue = estimates()
        step = max(for_target, for_fatigue)
        thicker = safety < SAFETY_FACTOR_MIN or d > target
        if (clamp(step) <= t) if thicker else (clamp(step) >= t):
            # the trials disagree with this one (where the shell rests changed between
            # them): step from this trial alone, the way it asks
            for_target, for_fatigue = estimates({t: tried[t]})
            step = max(for_target, for_fatigue)
        lo, hi = (unsafe, safe) if for_fatigue >= for_target else (flexible, stiff)
        step = clamp(_kept_inside(step, lo, hi))
        if step in tried:  # no thickness left between the trials at the printer's 1 um
            break
        t = step
    if not settled:
        raise ProfileError(
            f"profile {profile.name!r}: the thickness for a {target:.2f} mm arch deflection and "
            f"a safety factor of {SAFETY_FACTOR_MIN:g} did not settle in {len(tried)} builds "
            f"(last {t:.2f} mm gave {r.deflection_mm:.2f} mm, safety factor "
            f"{r.safety_factor:.2f})"
        )
    met_mm = trial.thickness_mm
    fatigue = ""
    if r.deflection_mm < target * (1.0 - DEFLECTION_TOL) and not reason:
        # thickened past the target's thickness for fatigue: where the target alone lay
        met_mm = max(min(estimates()[0], met_mm), low)
        asks = (
            f"the target alone asks {met_mm:.2f} mm"
            if met_mm > low
            else f"already stiffer at the {low:g} mm loaded minimum wall"
        )
        fatigue = (
            f"; thickened for a safety factor of {r.safety_factor:.2f} at the activity load "
            f"({asks})"
        )
    provenance = (
        f"FE: target {target:.2f} mm at {r.load_n:.0f} N, {r.deflection_mm:.2f} mm with "
        f"{trial.thickness_mm:.2f} mm {mat.name}{reason}{fatigue}"
    )
    rules = dict(trial.provenance)
    rules["thickness_mm"] = Provenance("mm", "calibrated", provenance)
    if trial.flex_thickness_ratio != spec.flex_thickness_ratio:
        rules["flex_thickness_ratio"] = Provenance(
            "1", "calibrated", f"raised to keep the {mat.min_wall_mm:g} mm minimum wall"
        )
    solved = dataclasses.replace(trial, provenance=MappingProxyType(rules))
    return MechanicsFit(solved, r, target, met_mm, provenance)
