"""Calibration profiles: who the patient is and what the designer wants.

A profile is a TOML file (``profiles/*.toml``) with a top-level ``schema_version = 1``,
``name`` and ``description``, and three tables:

- ``[patient]``: ``bodyweight_kg``, ``activity``, ``arch_flexibility``,
  ``forefoot_mobility``, ``leg_rotation_deg``;
- ``[design]``: ``material``, ``shell_length``, ``arch_fill_fraction``,
  ``heel_cup_depth_mm``, ``medial_flange_mm``, ``lateral_flange_mm``, ``rim_radius_mm``,
  ``label``, ``label_depth_mm``, ``grid_spacing_mm``, and the prescription
  (``rearfoot_post_deg``, ``rearfoot_post_motion_deg``, ``forefoot_post_deg``,
  ``skive_depth_mm``, ``skive_angle_deg``, ``heel_lift_mm``, ``spur_relief_depth_mm``,
  ``spur_relief_diameter_mm``, ``met_pad_height_mm``, ``met_pad_length_mm``,
  ``met_pad_width_mm``, ``met_pad_offset_mm``, ``met_pad_shape``, ``extension``,
  ``extension_thickness_mm``) and the shoe (``shoe_heel_width_mm``, ``shoe_ball_width_mm``,
  ``shoe_outline``, ``shoe_outline_length_mm``), ``lateral_forefoot_flange_mm``; every key
  has a default;
- ``[override]``: pins any numeric :class:`~shellgen.spec.ShellSpec` field, e.g.
  ``thickness_mm = 3.2``.

Keys carry their unit in their name. Unknown keys, wrong types and values out of range are
rejected with a :class:`~shellgen.errors.ProfileError` whose one-line message names the
file, the dotted key, the value and what is allowed.
"""

from __future__ import annotations

import json
import logging
import os
import re
import string
import tempfile
import tomllib
import types
from pathlib import Path
from typing import Annotated, Any, Final, Literal, Union, get_args, get_origin

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo

from shellgen.errors import ProfileError
from shellgen.materials import material
from shellgen.prescription import (
    EXTENSION_MARGIN_MM,
    PRESCRIPTION_LIMITS,
    Extension,
    MetPadShape,
)
from shellgen.spec import ShellLength

__all__ = [
    "SCHEMA_VERSION",
    "Activity",
    "ArchFlexibility",
    "Design",
    "ForefootMobility",
    "MaterialName",
    "Override",
    "Patient",
    "Profile",
    "load_profile",
    "profile_path",
    "profile_template",
    "save_profile",
    "shipped_profiles",
    "with_fields",
    "write_profile_template",
]

logger = logging.getLogger(__name__)

#: The profile format this version of shellgen reads and writes.
SCHEMA_VERSION: Final = 1

#: Shipped profiles live here, next to the ``shellgen`` package.
_REPO_PROFILES: Final = Path(__file__).resolve().parent.parent / "profiles"

Activity = Literal["sedentary", "walking", "running", "high_impact"]
ForefootMobility = Literal["stiff", "normal", "mobile"]
#: Names of :data:`shellgen.materials.MATERIALS` (a test keeps the two in step).
MaterialName = Literal["PA12-MJF", "PA11-SLS", "PP", "TPU-95A"]
#: A class of arch flexibility, or a measured navicular drop in mm.
ArchFlexibility = (
    Literal["rigid", "semi_rigid", "flexible"]
    | Annotated[float, Field(ge=0.0, le=25.0, description="mm of navicular drop")]
)

_LABEL_FIELDS: Final = ("order", "side")
_LABEL_MAX_CHARS: Final = 32
_NAME_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

_CONFIG: Final = ConfigDict(frozen=True, extra="forbid", strict=True)


def _rx_field(name: str, default: float, description: str) -> Any:
    """A prescription key of ``[design]``, its range from :data:`PRESCRIPTION_LIMITS`."""
    low, high, _ = PRESCRIPTION_LIMITS[name]
    return Field(default=default, ge=low, le=high, description=description)


class Patient(BaseModel):
    """Who the patient is: the facts the calibration rules read."""

    model_config = _CONFIG

    bodyweight_kg: float = Field(
        ge=20.0, le=250.0, description="Body weight; drives shell thickness (McCormick 2013)."
    )
    activity: Activity = Field(
        default="walking", description="Training load; thickness scales with load^(1/3)."
    )
    arch_flexibility: ArchFlexibility = Field(
        default="semi_rigid",
        description=(
            "Arch collapse under load, a class or a measured navicular drop "
            "(<=5 mm rigid, 5-9 normal, >=10 flexible); a flexible arch gets a stiffer shell."
        ),
    )
    forefoot_mobility: ForefootMobility = Field(
        default="normal", description="Sets the forefoot flex zone (taper, end thickness, slots)."
    )
    leg_rotation_deg: float = Field(
        default=0.0,
        ge=-30.0,
        le=30.0,
        description="Leg rotation, internal positive; sets the rearfoot post angle.",
    )


class Design(BaseModel):
    """What the designer wants; every key has a default."""

    model_config = _CONFIG

    material: MaterialName = Field(default="PA12-MJF", description="Shell material.")
    shell_length: ShellLength = Field(
        default="three_quarter",
        description="Where the shell ends: behind the metatarsal heads, sulcus, or full.",
    )
    arch_fill_fraction: float = Field(
        default=1.0,
        ge=0.5,
        le=1.2,
        description="Fraction of the measured arch height to support; 1.0 is total contact.",
    )
    heel_cup_depth_mm: float = Field(
        default=12.0,
        ge=8.0,
        le=25.0,
        description="Heel cup depth for a 260 mm foot (scaled by length).",
    )
    medial_flange_mm: float = Field(
        default=8.0, ge=0.0, le=25.0, description="Medial flange height for a 260 mm foot (scaled)."
    )
    lateral_flange_mm: float = Field(
        default=4.0,
        ge=0.0,
        le=25.0,
        description="Lateral flange height for a 260 mm foot (scaled).",
    )
    rim_radius_mm: float = Field(
        default=2.0, ge=0.0, le=5.0, description="Smoothing radius of the rim."
    )
    label: str = Field(
        default="{order}-{side}",
        min_length=1,
        max_length=_LABEL_MAX_CHARS,
        description="Text engraved under the heel; {order} and {side} (L/R) are filled in.",
    )
    label_depth_mm: float = Field(default=0.8, ge=0.6, le=2.0, description="Label engraving depth.")
    grid_spacing_mm: float = Field(
        default=2.0,
        ge=0.5,
        le=5.0,
        description="Mesh resolution: spacing of the triangulation grid.",
    )
    rearfoot_post_deg: float = Field(
        default=0.0,
        ge=-8.0,
        le=8.0,
        description=(
            "Rearfoot post, varus positive, valgus negative; when not set, leg rotation "
            "proposes a varus post."
        ),
    )
    rearfoot_post_motion_deg: float = _rx_field(
        "post_motion_deg", 0.0, "Rearfoot post motion: how far the heel may roll on the post."
    )
    forefoot_post_deg: float = _rx_field(
        "forefoot_post_deg",
        0.0,
        "Forefoot post under the metatarsal heads, varus (medial up) positive, valgus negative.",
    )
    skive_depth_mm: float = _rx_field(
        "skive_depth_mm", 0.0, "Medial heel skive (Kirby) depth at the medial heel; 0 for none."
    )
    skive_angle_deg: float = _rx_field("skive_angle_deg", 20.0, "Medial heel skive angle.")
    heel_lift_mm: float = _rx_field(
        "heel_lift_mm", 0.0, "Heel lift for a leg-length difference, tapering into the arch."
    )
    spur_relief_depth_mm: float = _rx_field(
        "spur_relief_depth_mm", 0.0, "Heel spur relief pocket depth; 0 for none."
    )
    spur_relief_diameter_mm: float = _rx_field(
        "spur_relief_diameter_mm", 20.0, "Heel spur relief pocket diameter."
    )
    met_pad_height_mm: float = _rx_field(
        "met_pad_height_mm", 0.0, "Metatarsal pad height at its apex; 0 for none."
    )
    met_pad_length_mm: float = _rx_field(
        "met_pad_length_mm", 35.0, "Metatarsal pad length along the foot."
    )
    met_pad_width_mm: float = _rx_field("met_pad_width_mm", 25.0, "Metatarsal pad width.")
    met_pad_offset_mm: float = _rx_field(
        "met_pad_offset_mm", 8.0, "How far behind the 2nd-4th metatarsal heads the apex lies."
    )
    met_pad_shape: MetPadShape = Field(
        default="dome", description="A dome under the 2nd-4th heads, or a bar across the shell."
    )
    extension: Extension = Field(
        default="none",
        description=(
            "Forefoot: Morton's extension (hallux at full length), reverse Morton's (2nd-5th), "
            "or a first-ray cut-out."
        ),
    )
    extension_thickness_mm: float = _rx_field(
        "extension_thickness_mm",
        0.0,
        "Thickness of the forefoot plate beyond the flex zone; 0 keeps the flex zone's end.",
    )
    lateral_forefoot_flange_mm: float = _rx_field(
        "lateral_forefoot_flange_mm",
        0.0,
        "Flange along the lateral forefoot (with a valgus post), as given (not scaled).",
    )
    shoe_heel_width_mm: float = _rx_field(
        "shoe_heel_width_mm", 0.0, "Widest the shoe allows at the heel; 0 for no limit."
    )
    shoe_ball_width_mm: float = _rx_field(
        "shoe_ball_width_mm", 0.0, "Widest the shoe allows at the ball; 0 for no limit."
    )
    shoe_outline: str = Field(
        default="",
        max_length=1024,
        description=(
            "The shoe's insole outline: a .csv, .svg or .dxf file of points (mm, toe toward +x, "
            "medial toward +y); empty for none."
        ),
    )
    shoe_outline_length_mm: float = Field(
        default=0.0,
        ge=0.0,
        le=400.0,
        description="Insole length for the shoe size; the outline is scaled to it (0: as drawn).",
    )

    @field_validator("label")
    @classmethod
    def _label_placeholders(cls, label: str) -> str:
        """Allow only the ``{order}`` and ``{side}`` placeholders."""
        try:
            names = [
                field for _, field, _, _ in string.Formatter().parse(label) if field is not None
            ]
        except ValueError as exc:
            raise ValueError(f"unbalanced braces ({exc})") from None
        unknown = sorted(set(names) - set(_LABEL_FIELDS))
        if unknown:
            raise ValueError(
                f"unknown placeholder {{{unknown[0]}}}, use only {{order}} and {{side}}"
            )
        return label


class Override(BaseModel):
    """Pinned :class:`~shellgen.spec.ShellSpec` numbers; each still respects its hard limit."""

    model_config = _CONFIG

    thickness_mm: float | None = Field(
        default=None,
        ge=1.0,
        le=8.0,
        description="Shell thickness; at least the material's loaded wall.",
    )
    arch_height_mm: float | None = Field(default=None, ge=0.0, le=40.0, description="Arch height.")
    heel_cup_depth_mm: float | None = Field(
        default=None, ge=8.0, le=25.0, description="Heel cup depth."
    )
    medial_flange_mm: float | None = Field(
        default=None, ge=0.0, le=25.0, description="Medial flange."
    )
    lateral_flange_mm: float | None = Field(
        default=None, ge=0.0, le=25.0, description="Lateral flange."
    )
    post_angle_deg: float | None = Field(
        default=None, ge=-8.0, le=8.0, description="Rearfoot post angle, varus positive."
    )
    flex_start_x_mm: float | None = Field(
        default=None, ge=0.0, le=350.0, description="Start of the flex zone, mm from the heel."
    )
    flex_taper_mm: float | None = Field(
        default=None, ge=0.0, le=100.0, description="Flex taper length."
    )
    flex_thickness_ratio: float | None = Field(
        default=None, gt=0.0, le=1.0, description="Flex-zone end thickness over full thickness."
    )
    slot_count: int | None = Field(
        default=None, ge=0, le=10, description="Relief slots (0 for none)."
    )
    slot_width_mm: float | None = Field(
        default=None, ge=1.0, le=6.0, description="Slot width along x."
    )
    slot_length_mm: float | None = Field(
        default=None, ge=0.0, le=80.0, description="Slot length across."
    )
    rim_radius_mm: float | None = Field(default=None, ge=0.0, le=5.0, description="Rim radius.")
    grid_spacing_mm: float | None = Field(
        default=None, ge=0.5, le=5.0, description="Mesh resolution."
    )
    label_depth_mm: float | None = Field(default=None, ge=0.6, le=2.0, description="Label depth.")


class Profile(BaseModel):
    """A calibration profile: patient facts, design choices and pinned numbers.

    Frozen; unknown keys are rejected, and numbers must be TOML numbers (``"80"`` is not a
    weight). Load one with :func:`load_profile`.
    """

    model_config = _CONFIG

    schema_version: Literal[1] = Field(description="Profile format version.")
    name: str = Field(min_length=1, max_length=64, description="Short name of the profile.")
    description: str = Field(default="", description="What the profile is for.")
    patient: Patient
    design: Design = Field(default_factory=Design)
    override: Override = Field(default_factory=Override)

    @model_validator(mode="after")
    def _override_thickness_loadable(self) -> Profile:
        """An overridden thickness must still carry load in the chosen material."""
        thickness = self.override.thickness_mm
        mat = material(self.design.material)
        if thickness is not None and thickness < mat.min_loaded_wall_mm:
            raise ValueError(
                f"override.thickness_mm = {thickness}: below the loaded minimum wall of "
                f"{mat.name}; allowed: at least {mat.min_loaded_wall_mm} mm"
            )
        return self

    @model_validator(mode="after")
    def _extension_plate_printable(self) -> Profile:
        """An extension plate must be thicker than the material's minimum wall (plus margin)."""
        plate = self.design.extension_thickness_mm
        thinnest = material(self.design.material).min_wall_mm + EXTENSION_MARGIN_MM
        if 0.0 < plate < thinnest:
            raise ValueError(
                f"design.extension_thickness_mm = {plate}: thinner than {self.design.material} "
                f"can print as a plate; allowed: 0 for none, or at least {thinnest:g} mm"
            )
        return self

    @model_validator(mode="after")
    def _extension_needs_a_shorter_shell(self) -> Profile:
        """A Morton's extension lengthens part of a shorter shell; a full one has no room."""
        extension, length = self.design.extension, self.design.shell_length
        if extension in ("mortons", "reverse_mortons") and length == "full":
            raise ValueError(
                f"design.extension = {extension!r} extends a shell to full length, but "
                "shell_length is already 'full'; allowed: shell_length three_quarter or sulcus"
            )
        return self


_SECTIONS: Final[dict[str, type[BaseModel]]] = {
    "patient": Patient,
    "design": Design,
    "override": Override,
}


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile file.

    Parameters
    ----------
    path : str or Path
        A ``.toml`` profile.

    Returns
    -------
    Profile

    Raises
    ------
    ProfileError
        If the file cannot be read, is not valid TOML (the message gives the line), or holds
        an unknown key, a value of the wrong type or out of range (the message gives the
        dotted key, the value and what is allowed).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(
            f"{path}: no such profile file; give a path to a .toml profile or a shipped name "
            f"({', '.join(shipped_profiles())})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read the profile ({exc}); check the file") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: bad TOML: {exc}; fix the syntax there") from None
    profile = _validate(data, where=str(path), strict=True)
    logger.info("loaded profile %r from %s", profile.name, path)
    return profile


def save_profile(profile: Profile, path: str | Path) -> None:
    """Write a profile as TOML, atomically (a temporary file, then ``os.replace``).

    Only the keys that were set are written, so a key left to its default stays a default
    when the file is loaded again: ``load_profile(p)`` after ``save_profile(x, p)`` equals
    ``x``.

    Parameters
    ----------
    profile : Profile
        The profile to write.
    path : str or Path
        Destination ``.toml`` file; its directory must exist.
    """
    data = profile.model_dump(exclude_unset=True, exclude_none=True)
    _write_atomic(Path(path), tomli_w.dumps(data))


def with_fields(profile: Profile, **fields: object) -> Profile:
    """A copy of ``profile`` with patient or design keys replaced, validated again.

    Used by batch runs, where order columns override profile keys by name. Values may be
    text (as read from CSV): ``"82.5"`` becomes 82.5 kg here, unlike in a TOML file.

    Parameters
    ----------
    profile : Profile
        The base profile.
    **fields
        ``[patient]`` or ``[design]`` key names and their new values.

    Raises
    ------
    ProfileError
        If a key is neither a patient nor a design key, or a value is not allowed.

    Examples
    --------
    >>> base = Profile(schema_version=1, name="x", patient=Patient(bodyweight_kg=70.0))
    >>> with_fields(base, bodyweight_kg="82.5", material="PP").patient.bodyweight_kg
    82.5
    """
    data = profile.model_dump(exclude_unset=True)
    for key, value in fields.items():
        section = next((s for s in ("patient", "design") if key in _SECTIONS[s].model_fields), None)
        if section is None:
            allowed = ", ".join([*Patient.model_fields, *Design.model_fields])
            raise ProfileError(
                f"profile {profile.name!r}: unknown key {key} = {_show(value)}; allowed: {allowed}"
            )
        data.setdefault(section, {})[key] = value
    return _validate(data, where=f"profile {profile.name!r} with {', '.join(fields)}", strict=False)


def profile_path(name_or_path: str | Path) -> Path:
    """Resolve a profile argument: a path to a file, or the name of a shipped profile.

    A name (no directory, no ``.toml``) is looked up as ``profiles/NAME.toml`` in the
    current directory first, then in the ``profiles/`` directory shipped next to the
    ``shellgen`` package.

    Raises
    ------
    ProfileError
        If nothing matches.
    """
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or len(candidate.parts) > 1 or candidate.is_file():
        return candidate
    for directory in (Path.cwd() / "profiles", _REPO_PROFILES):
        found = directory / f"{candidate}.toml"
        if found.is_file():
            return found
    raise ProfileError(
        f"profile {str(name_or_path)!r} not found; give a path to a .toml profile or a "
        f"shipped name ({', '.join(shipped_profiles())})"
    )


def shipped_profiles() -> list[str]:
    """Names of the profiles shipped in the repository's ``profiles/``, sorted."""
    return sorted(p.stem for p in _REPO_PROFILES.glob("*.toml"))


def profile_template(name: str) -> str:
    """A commented TOML profile with every key, ready to edit.

    Each key is preceded by a comment giving its meaning and allowed values (units are in
    the key names). Patient and design keys hold their defaults (75 kg for the required
    weight); override keys are commented out.

    Parameters
    ----------
    name : str
        The profile's name: letters, digits, ``_``, ``-`` and ``.``.

    Raises
    ------
    ProfileError
        If ``name`` is not a valid profile name.
    """
    _check_name(name)
    example = {"bodyweight_kg": 75.0}
    lines = [
        f"# shellgen calibration profile (schema {SCHEMA_VERSION}).",
        "# Units are in the key names: kg, deg, mm; a fraction is a plain number.",
        f"schema_version = {SCHEMA_VERSION}",
        _toml_line("name", name),
        _toml_line("description", "Describe who this profile is for."),
    ]
    for section, model in _SECTIONS.items():
        lines += ["", f"[{section}]"]
        if model is Override:
            lines.append(
                "# Pin any calibrated number here; leave commented to let the rules decide."
            )
        for key, field in model.model_fields.items():
            lines.append(f"# {field.description}")
            lines.append(f"#   allowed: {_allowed(field, key)}")
            if model is Override:
                lines.append(f"# {key} =")
            else:
                value = example.get(key, field.default)
                lines.append(_toml_line(key, value))
    return "\n".join(lines) + "\n"


def write_profile_template(name: str, directory: str | Path, *, force: bool = False) -> Path:
    """Write :func:`profile_template` to ``directory/NAME.toml``, atomically.

    Raises
    ------
    ProfileError
        If the file exists and ``force`` is False, or ``name`` is not a valid name.
    """
    _check_name(name)
    path = Path(directory) / f"{name}.toml"
    if path.exists() and not force:
        raise ProfileError(f"{path}: already exists; pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(path, profile_template(name))
    return path


def _check_name(name: str) -> None:
    if not _NAME_PATTERN.match(name):
        raise ProfileError(
            f"profile name {name!r} is not allowed; use letters, digits, '_', '-' and '.'"
        )


def _validate(data: dict[str, Any], *, where: str, strict: bool) -> Profile:
    """Validate ``data`` into a :class:`Profile`, turning errors into one-line ProfileErrors."""
    try:
        return Profile.model_validate(data, strict=strict)
    except ValidationError as exc:
        raise ProfileError(_describe_error(exc, where)) from None


def _describe_error(exc: ValidationError, where: str) -> str:
    """One line for the first error: where, dotted key, value, problem and what is allowed."""
    errors = exc.errors(include_url=False)
    # an unknown key first: a misspelt key also shows up as a missing one
    error = min(errors, key=lambda e: e["type"] != "extra_forbidden")
    kind = error["type"]
    if not error["loc"]:  # a check across keys: its message says it all
        return f"{where}: {error['ctx']['error']}"
    model: type[BaseModel] | None = Profile
    keys: list[str] = []
    field: FieldInfo | None = None
    for part in error["loc"]:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            if kind == "extra_forbidden":
                keys.append(str(part))
            break
        keys.append(part)
        field = model.model_fields[part]
        model = _model_of(field.annotation)
    key = ".".join(keys)
    if kind == "extra_forbidden":
        return f"{where}: unknown key {key} = {_show(error['input'])}; allowed: {_keys_of(model)}"
    if kind == "missing":
        allowed = _allowed(field, keys[-1]) if field is not None else "a value"
        return f"{where}: {key} is missing; allowed: {allowed}"
    value = _show(error["input"])
    allowed = _allowed(field, keys[-1]) if field is not None else _keys_of(model)
    if kind == "value_error":
        return f"{where}: {key} = {value}: {error['ctx']['error']}; allowed: {allowed}"
    # a union (arch_flexibility) reports once per member: name the field, not a member
    problem = "not allowed" if len(error["loc"]) > len(keys) else _PROBLEMS.get(kind, error["msg"])
    return f"{where}: {key} = {value}: {problem}; allowed: {allowed}"


_PROBLEMS: Final = {
    "float_type": "wrong type, not a number",
    "int_type": "wrong type, not a whole number",
    "string_type": "wrong type, not text",
    "model_type": "wrong type, not a table",
    "literal_error": "not one of the choices",
    "greater_than": "out of range",
    "greater_than_equal": "out of range",
    "less_than": "out of range",
    "less_than_equal": "out of range",
    "string_too_short": "too short",
    "string_too_long": "too long",
    "finite_number": "not a finite number",
}


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model an annotation names, or None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _keys_of(model: type[BaseModel] | None) -> str:
    if model is None:
        return "no keys here"
    return "keys " + ", ".join(
        f"[{k}]" if _model_of(f.annotation) else k for k, f in model.model_fields.items()
    )


def _allowed(field: FieldInfo, key: str) -> str:
    """What a field allows, in words: choices, a numeric range with unit, or text."""
    annotation = field.annotation
    if get_origin(annotation) in (Union, types.UnionType):
        members = [m for m in get_args(annotation) if m is not type(None)]
    else:
        members = [annotation]
    return ", or ".join(_allowed_member(m, list(field.metadata), key) for m in members)


def _allowed_member(annotation: Any, metadata: list[Any], key: str, note: str = "") -> str:
    if get_origin(annotation) is Annotated:
        base, *extra = get_args(annotation)
        for item in extra:
            metadata = metadata + list(getattr(item, "metadata", []))
            note = getattr(item, "description", None) or note
        return _allowed_member(base, metadata, key, note)
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(str(c) for c in get_args(annotation))
    if _model_of(annotation) is not None:
        return f"a [{key}] table"
    bound = {name: getattr(m, name) for m in metadata for name in _BOUNDS if hasattr(m, name)}
    if annotation is str:
        longest = bound.get("max_length")
        return "text" + (f" of at most {longest} characters" if longest is not None else "")
    noun = "a whole number" if annotation is int else "a number"
    unit = f" {note}" if note else next((u for s, u in _UNITS.items() if key.endswith(s)), "")
    low, high = bound.get("ge", bound.get("gt")), bound.get("le", bound.get("lt"))
    if low is None or high is None:
        return noun
    above = "above" if "gt" in bound else "from"
    return f"{noun} {above} {low:g} to {high:g}{unit}"


_BOUNDS: Final = ("ge", "gt", "le", "lt", "max_length")
_UNITS: Final = {"_kg": " kg", "_deg": " deg", "_mm": " mm"}


def _show(value: object) -> str:
    """A value as it would look in TOML (JSON is close enough for one line)."""
    return json.dumps(value, default=str)


def _toml_line(key: str, value: object) -> str:
    return tomli_w.dumps({key: value}).strip()


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
