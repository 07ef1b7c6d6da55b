"""Controls generated from the profile schema, and changing a profile one control at a time.

Every key of ``[patient]``, ``[design]`` and ``[override]`` in
:class:`~shellgen.profile.Profile` becomes a :class:`Control`: a slider with its range, step
and unit for a number, a select for a choice, a text field for text. Nothing here knows the
keys by name; a key added to the schema gets its control.

:func:`apply` turns one control's new value (as a browser sends it: a number, or text typed
into a field) into a new, validated profile, or refuses it with a one-line
:class:`~shellgen.errors.ProfileError`. :func:`source_of` says where the value a control
shows comes from: the profile, a default, a calibration rule, or an override.
"""

from __future__ import annotations

import math
import types
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from shellgen.errors import ProfileError
from shellgen.profile import Design, Override, Patient, Profile, _validate
from shellgen.spec import ShellSpec

__all__ = [
    "CONTROLS",
    "Control",
    "ControlKind",
    "Section",
    "ValueSource",
    "apply",
    "control",
    "controls_for",
    "source_of",
    "value_of",
]

Section = Literal["patient", "design", "override"]
#: ``number``: a slider; ``choice``: a select; ``choice_or_number``: a select whose last
#: option is a number (a measured value) set with a slider; ``text``: a text field.
ControlKind = Literal["number", "choice", "choice_or_number", "text"]
#: Where a control's value comes from.
ValueSource = Literal["profile", "default", "calibrated", "override"]

_SECTIONS: Final[dict[Section, type[BaseModel]]] = {
    "patient": Patient,
    "design": Design,
    "override": Override,
}
_UNIT_SUFFIXES: Final = {"_kg": "kg", "_mm": "mm", "_deg": "deg"}
#: Slider step by unit, and for plain numbers (fractions, ratios).
_STEPS: Final = {"kg": 0.5, "mm": 0.1, "deg": 0.5, "": 0.01}
#: Numbers are rounded to this many decimals: a slider's 0.1 steps add up to 3.9999999999999996
#: in the browser, and nothing in a profile needs finer than a micrometre.
_DECIMALS: Final = 6


@dataclass(frozen=True)
class Control:
    """One profile key as a control.

    Attributes
    ----------
    section : {"patient", "design", "override"}
        The profile table the key lives in.
    key : str
        The key, e.g. ``"bodyweight_kg"``.
    kind : {"number", "choice", "choice_or_number", "text"}
        How it is edited.
    label : str
        Short name for a person: the key without its unit, e.g. ``"Bodyweight"``.
    unit : str
        ``"kg"``, ``"mm"``, ``"deg"`` or ``""``.
    minimum, maximum : float or None
        Range of a number (for ``gt`` bounds, one step above the bound).
    step : float or None
        Slider step of a number (1 for whole numbers).
    integer : bool
        Whether the number is a whole number.
    choices : tuple of str
        Choices of a select.
    optional : bool
        Whether the key may be left unset (an override: unset means "calibrated").
    max_length : int or None
        Longest text allowed.
    help : str
        The key's description from the schema.
    """

    section: Section
    key: str
    kind: ControlKind
    label: str
    unit: str
    minimum: float | None
    maximum: float | None
    step: float | None
    integer: bool
    choices: tuple[str, ...]
    optional: bool
    max_length: int | None
    help: str

    @property
    def id(self) -> str:
        """``"section.key"``, e.g. ``"patient.bodyweight_kg"``."""
        return f"{self.section}.{self.key}"

    @property
    def allowed(self) -> str:
        """What the control accepts, in words, e.g. ``"a number from 20 to 250 kg"``."""
        parts = []
        if self.choices:
            parts.append("one of " + ", ".join(self.choices))
        if self.kind in ("number", "choice_or_number"):
            noun = "a whole number" if self.integer else "a number"
            unit = f" {self.unit}" if self.unit else ""
            parts.append(f"{noun} from {self.minimum:g} to {self.maximum:g}{unit}")
        if self.kind == "text":
            parts.append(f"text of at most {self.max_length} characters")
        return ", or ".join(parts)


def controls_for(section: Section) -> tuple[Control, ...]:
    """The controls of one profile table, in schema order."""
    model = _SECTIONS[section]
    return tuple(_control(section, key, field) for key, field in model.model_fields.items())


def control(control_id: str) -> Control:
    """The control called ``"section.key"``.

    Raises
    ------
    ProfileError
        If there is no such control.
    """
    for c in CONTROLS:
        if c.id == control_id:
            return c
    raise ProfileError(f"unknown setting {control_id!r}; reload the page")


def value_of(profile: Profile, c: Control) -> object:
    """The value ``profile`` holds for control ``c`` (None for an unset override)."""
    return getattr(getattr(profile, c.section), c.key)


def source_of(profile: Profile, spec: ShellSpec, c: Control) -> ValueSource:
    """Where the value control ``c`` shows comes from.

    Patient and design keys come from the ``profile`` when set there, else from the
    schema's ``default``. An override key is ``override`` when pinned; unpinned, it shows the
    spec's number and that number's source (``calibrated`` by a rule, or a ``default``).
    """
    table = getattr(profile, c.section)
    if c.section == "override":
        if getattr(table, c.key) is not None:
            return "override"
        source = spec.provenance[c.key].source
        return "calibrated" if source == "calibrated" else "default"
    return "profile" if c.key in table.model_fields_set else "default"


def apply(profile: Profile, control_id: str, value: object) -> Profile:
    """A copy of ``profile`` with one control's value replaced, validated again.

    Parameters
    ----------
    profile : Profile
        The current profile.
    control_id : str
        ``"section.key"``.
    value : object
        The new value as a browser sends it: a number, a choice, or text typed into a field
        (``"82.5"``). For an override, None or ``""`` unpins it.

    Returns
    -------
    Profile
        The new profile; keys not touched keep whether they were set.

    Raises
    ------
    ProfileError
        If the value is not allowed: one line naming the key, the value and what is allowed.

    Examples
    --------
    >>> base = Profile(schema_version=1, name="x", patient=Patient(bodyweight_kg=70.0))
    >>> apply(base, "patient.bodyweight_kg", "82.5").patient.bodyweight_kg
    82.5
    """
    c = control(control_id)
    where = f"profile {profile.name!r}"
    parsed = _parse(c, value, where)
    data = profile.model_dump(exclude_unset=True)
    table = data.setdefault(c.section, {})
    if parsed is None:
        table.pop(c.key, None)
    else:
        table[c.key] = parsed
    return _validate(data, where=where, strict=True)


def _parse(c: Control, value: object, where: str) -> object:
    """A browser's value as the type the schema wants (validation itself is pydantic's)."""
    if isinstance(value, str):
        value = value.strip()
    if c.optional and (value is None or value == ""):
        return None
    if c.kind == "text":
        return value
    if c.kind == "choice" or (c.kind == "choice_or_number" and value in c.choices):
        if value not in c.choices:
            raise ProfileError(
                f"{where}: {c.id} = {value!r}: not one of the choices; allowed: {c.allowed}"
            )
        return value
    number = _number(value)
    if number is None or not math.isfinite(number):
        raise ProfileError(f"{where}: {c.id} = {value!r}: not a number; allowed: {c.allowed}")
    if c.integer:
        if not number.is_integer():
            raise ProfileError(
                f"{where}: {c.id} = {value!r}: not a whole number; allowed: {c.allowed}"
            )
        return int(number)
    return round(number, _DECIMALS)


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _control(section: Section, key: str, field: FieldInfo) -> Control:
    """Read one schema field: its type, choices, bounds and unit."""
    members = _members(field.annotation)
    optional = type(None) in members
    members = [m for m in members if m is not type(None)]
    choices: tuple[str, ...] = ()
    numeric: tuple[Any, list[Any], str] | None = None
    for member in members:
        base, metadata, note = _unwrap(member, list(field.metadata))
        if get_origin(base) is Literal:
            choices += tuple(str(c) for c in get_args(base))
        elif base in (int, float):
            numeric = (base, metadata, note)
    unit = next((u for s, u in _UNIT_SUFFIXES.items() if key.endswith(s)), "")
    label = key.removesuffix(f"_{unit}") if unit else key
    label = label.replace("_", " ").capitalize()
    kind: ControlKind
    minimum = maximum = step = None
    integer = False
    if numeric is not None:
        base, metadata, note = numeric
        unit = unit or _unit_of(note)
        integer = base is int
        step = 1.0 if integer else _STEPS.get(unit, 0.01)
        bounds = {
            name: getattr(m, name)
            for m in metadata
            for name in ("ge", "gt", "le", "lt")
            if hasattr(m, name)
        }
        low = bounds.get("ge", bounds.get("gt"))
        high = bounds.get("le", bounds.get("lt"))
        if low is None or high is None:
            raise TypeError(f"profile key {section}.{key} has no range; give it ge= and le=")
        minimum = float(low) + (step if "gt" in bounds else 0.0)
        maximum = float(high) - (step if "lt" in bounds else 0.0)
        kind = "choice_or_number" if choices else "number"
    elif choices:
        kind = "choice"
    else:
        kind = "text"
    max_length = next((m.max_length for m in field.metadata if hasattr(m, "max_length")), None)
    return Control(
        section=section,
        key=key,
        kind=kind,
        label=label,
        unit=unit,
        minimum=minimum,
        maximum=maximum,
        step=step,
        integer=integer,
        choices=choices,
        optional=optional,
        max_length=max_length,
        help=field.description or "",
    )


def _members(annotation: Any) -> list[Any]:
    if get_origin(annotation) in (Union, types.UnionType):
        return list(get_args(annotation))
    return [annotation]


def _unwrap(annotation: Any, metadata: list[Any]) -> tuple[Any, list[Any], str]:
    """``Annotated[T, Field(...)]`` to ``(T, metadata, description)``."""
    note = ""
    if get_origin(annotation) is Annotated:
        annotation, *extra = get_args(annotation)
        for item in extra:
            metadata = metadata + list(getattr(item, "metadata", []))
            note = getattr(item, "description", None) or note
    return annotation, metadata, note


def _unit_of(note: str) -> str:
    """The unit a description starts with (``"mm of navicular drop"``), if any."""
    first = note.split(" ", 1)[0]
    return first if first in _UNIT_SUFFIXES.values() else ""


#: Every control: patient, then design, then override keys, in schema order.
CONTROLS: Final = tuple(c for section in _SECTIONS for c in controls_for(section))
