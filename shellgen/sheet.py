"""Design sheets: one A4 page per shell that a clinician can read at a glance and file.

A page shows, top to bottom: the order, the shell and whether it passed validation; the
prescription (profile and patient factors); the plantar map with outlines and landmarks and
every ordered modification (post, skive, lift, spur pocket, met pad, extension) drawn where
it lies, beside the medial arch profile, with the modifications listed below them and what
the shoe fit trimmed off the outline (the report's ``shoe_fit``); the shell's preview (3D
view and thickness map, and the deflection map when the shell was calibrated by mechanics);
when the report has a ``mechanics`` section, its numbers (target and arch deflection at
walking and at the activity load, bench stiffness, peak stress, safety factor, clearance under
the arch); and three tables: every number of the shell with its source and rule, the foot's
measures, and the validation checks with their measured values and limits.

The pictures come from :func:`shellgen.plot.analysis_figure` (drawn for the page's size)
and from the preview PNG the build wrote; the numbers from the build's JSON report, so a
sheet says exactly what the report says. Drawn on matplotlib's PDF backend with no time
stamp: the same shells give the same bytes.
"""

from __future__ import annotations

import io
import os
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Final

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from numpy.typing import ArrayLike
from shapely.geometry import Polygon

from shellgen import __version__
from shellgen._typing import BoolArray, FloatArray
from shellgen.analysis import Foot
from shellgen.export import atomic_open
from shellgen.plot import analysis_figure
from shellgen.prescription import Prescription
from shellgen.profile import Profile
from shellgen.shell import Mark, prescription_marks

__all__ = ["SheetPage", "design_page", "write_design_sheet"]

#: A4 portrait, inches.
PAGE_SIZE_IN: Final = (8.27, 11.69)
#: Resolution of the pictures placed on the page, dots per inch.
_IMAGE_DPI: Final = 200
#: The analysis figure is drawn this much larger than it is placed (its text shrinks to
#: about 7.5 pt), so that its titles and labels fit beside each other.
_ANALYSIS_SCALE: Final = 1.3
_LEFT: Final = 0.045
_RIGHT: Final = 0.955
_OK: Final = "#1a7f37"
_FAIL: Final = "#c62828"
_MUTED: Final = "0.35"
_SOURCE_COLOURS: Final = {
    "calibrated": "#1f5fa8",
    "profile": "#6a3d9a",
    "override": "#b35900",
    "default": "0.45",
}
#: Shell numbers in the order a clinician reads them, with a short name.
_SPEC_ROWS: Final = (
    ("material", "material"),
    ("shell_length", "shell length"),
    ("thickness_mm", "thickness"),
    ("arch_height_mm", "arch height"),
    ("heel_cup_depth_mm", "heel cup depth"),
    ("medial_flange_mm", "medial flange"),
    ("lateral_flange_mm", "lateral flange"),
    ("post_angle_deg", "rearfoot post"),
    ("flex_start_x_mm", "flex zone start"),
    ("flex_taper_mm", "flex taper"),
    ("flex_thickness_ratio", "flex end / full"),
    ("slot_count", "relief slots"),
    ("slot_width_mm", "slot width"),
    ("slot_length_mm", "slot length"),
    ("rim_radius_mm", "rim radius"),
    ("grid_spacing_mm", "mesh spacing"),
    ("label", "label"),
    ("label_depth_mm", "label depth"),
)
#: Height of the mechanics table (figure fraction), taken from the pictures above it.
_MECHANICS_HEIGHT: Final = 0.085
#: The mechanics table's rows, in two columns: key, name, unit.
_MECHANICS_ROWS: Final = (
    (
        ("target_deflection_mm", "target arch deflection, walking", "mm"),
        ("deflection_mm", "arch deflection, walking", "mm"),
        ("activity_deflection_mm", "arch deflection, activity", "mm"),
        ("clearance_mm", "clearance under the arch, activity", "mm"),
    ),
    (
        ("bench_stiffness_n_per_mm", "bench stiffness", "N/mm"),
        ("bench_deflection_mm", "bench deflection", "mm"),
        ("peak_stress_mpa", "peak stress, activity", "MPa"),
        ("safety_factor", "safety factor (fatigue)", "1"),
    ),
)
#: Colour of the modifications drawn on the plantar map and listed below it.
_MARK_COLOUR: Final = "#d81b60"
_UNIT_TEXT: Final = {"mm": " mm", "deg": "°", "1": "", "": "", "cm3": " cm³", "mm2": " mm²"}


@dataclass(frozen=True)
class SheetPage:
    """What one page of a design sheet shows: one shell of an order.

    Attributes
    ----------
    order_id : str
        The order.
    stem : str
        The shell's file stem (``<order_id>-L`` / ``-R``).
    foot : Foot
        The analysed foot (right-foot frame, mm) for the plantar map and arch profile.
    report : Mapping
        The shell's JSON report as written by :func:`shellgen.pipeline.build_foot`
        (``analysis``, ``spec``, ``validation``, ``inputs``, ``version``).
    preview_png : Path
        The shell's preview picture.
    profile : Profile
        The effective profile (with the order's overrides): the prescription.
    overrides : tuple of (str, str)
        The profile keys the order set itself, and their values as given.
    """

    order_id: str
    stem: str
    foot: Foot
    report: Mapping[str, object]
    preview_png: Path
    profile: Profile
    overrides: tuple[tuple[str, str], ...] = ()


def write_design_sheet(path: str | os.PathLike[str], pages: Sequence[SheetPage]) -> Path:
    """Write a PDF with one A4 page per shell, atomically and without a time stamp.

    Parameters
    ----------
    path : path-like
        Destination ``.pdf``.
    pages : sequence of SheetPage
        The order's shells, in page order.

    Returns
    -------
    Path
        ``path``.
    """
    buffer = io.BytesIO()
    metadata = {"Creator": f"shellgen {__version__}", "CreationDate": None}
    with PdfPages(buffer, metadata=metadata) as pdf:
        for page in pages:
            pdf.savefig(design_page(page))
    with atomic_open(path) as fh:
        fh.write(buffer.getvalue())
    return Path(path)


def design_page(page: SheetPage) -> Figure:
    """One A4 portrait page (a matplotlib Figure, not registered with pyplot) for a shell."""
    fig = Figure(figsize=PAGE_SIZE_IN)
    report = page.report
    analysis = _section(report, "analysis")
    spec = _section(report, "spec")
    validation = _section(report, "validation")
    inputs = _section(report, "inputs")

    mechanics = report.get("mechanics")
    # With mechanics, both pictures give up some height to the mechanics table under them.
    shift = _MECHANICS_HEIGHT if isinstance(mechanics, Mapping) else 0.0
    _header(fig, page, analysis, validation)
    marks = _marks(page.foot, spec)
    plantar_height = 0.29 - 0.625 * shift
    _picture(
        fig,
        (_LEFT, 0.895 - plantar_height, _RIGHT - _LEFT, plantar_height),
        _analysis_picture(
            page.foot, (_RIGHT - _LEFT) * PAGE_SIZE_IN[0], plantar_height * PAGE_SIZE_IN[1], marks
        ),
        "Plantar map with landmarks and modifications  ·  medial arch profile",
    )
    listed = "  ·  ".join(f"{i}  {m.caption}" for i, m in enumerate(marks, start=1))
    lines_y = 0.5965 + 0.625 * shift
    fig.text(_LEFT, lines_y, f"Modifications: {listed or 'none'}", fontsize=7.5, color=_MARK_COLOUR)
    fig.text(_LEFT, lines_y - 0.011, _shoe_fit(report), fontsize=7.5, color=_MARK_COLOUR)
    preview_height = 0.221 - 0.375 * shift
    _picture(
        fig,
        (_LEFT, 0.345 + shift, _RIGHT - _LEFT, preview_height),
        _squeeze_white(np.asarray(mpimg.imread(page.preview_png), dtype=np.float64)),
        "Shell preview  ·  thickness map (seen from above)"
        + ("  ·  deflection map" if shift else ""),
    )
    if isinstance(mechanics, Mapping):
        _mechanics_table(fig, mechanics, top=0.34 + shift)
    y = _spec_table(fig, spec, top=0.318)
    _rule_notes(fig, spec, top=y - 0.006)
    y = _validation_table(fig, validation, top=0.318)
    _foot_table(fig, analysis, top=y - 2.4 * _row_step(7.0))
    fig.text(
        _RIGHT,
        0.012,
        f"shellgen {report.get('version', '?')}  ·  scan sha256 "
        f"{str(inputs.get('scan_sha256', ''))[:16]}  ·  profile sha256 "
        f"{str(inputs.get('profile_sha256', ''))[:16]}",
        ha="right",
        fontsize=6,
        color=_MUTED,
    )
    return fig


def _section(report: Mapping[str, object], name: str) -> Mapping[str, object]:
    value = report.get(name, {})
    return value if isinstance(value, Mapping) else {}


def _header(
    fig: Figure,
    page: SheetPage,
    analysis: Mapping[str, object],
    validation: Mapping[str, object],
) -> None:
    side = str(analysis.get("side", ""))
    fig.text(_LEFT, 0.965, f"Orthotic shell {page.stem}", fontsize=17, weight="bold")
    ok = validation.get("ok") is True
    failed = [str(c["name"]) for c in _checks(validation) if not c.get("ok")]
    badge = "✓ VALID" if ok else "✗ FAILED: " + ", ".join(failed)
    fig.text(
        _RIGHT,
        0.967,
        badge,
        ha="right",
        fontsize=12,
        weight="bold",
        color="white",
        bbox={"boxstyle": "round,pad=0.35", "facecolor": _OK if ok else _FAIL, "lw": 0},
    )
    scan = os.path.basename(str(analysis.get("scan", "")))
    fig.text(
        _LEFT,
        0.945,
        f"Order {page.order_id}  ·  {side} foot  ·  scan {scan} "
        f"({analysis.get('kind', '?')}, {analysis.get('units', '?')} "
        f"{analysis.get('units_source', '')})",
        fontsize=9,
    )
    patient = page.profile.patient
    flexibility = patient.arch_flexibility
    arch = (
        f"{flexibility:g} mm navicular drop"
        if isinstance(flexibility, float)
        else f"{flexibility.replace('_', '-')} arch"
    )
    fig.text(
        _LEFT,
        0.93,
        f"Prescription: profile {page.profile.name}  ·  {patient.bodyweight_kg:g} kg  ·  "
        f"{patient.activity.replace('_', ' ')}  ·  {arch}  ·  {patient.forefoot_mobility} "
        f"forefoot  ·  leg rotation {patient.leg_rotation_deg:g}°",
        fontsize=9,
    )
    if page.overrides:
        given = "  ·  ".join(f"{key} = {value}" for key, value in page.overrides)
        fig.text(_LEFT, 0.917, f"Set by the order: {given}", fontsize=8, color=_MUTED)
    fig.add_artist(
        Line2D([_LEFT, _RIGHT], [0.911, 0.911], color="0.6", lw=0.6, transform=fig.transFigure)
    )


def _marks(foot: Foot, spec: Mapping[str, object]) -> list[Mark]:
    """The ordered modifications of the report's spec, placed on the foot."""
    values: dict[str, object] = {}
    for f in fields(Prescription):
        entry = spec.get(f.name)
        if isinstance(entry, Mapping) and f.name != "provenance":
            value = entry.get("value")
            values[f.name] = tuple(map(tuple, value)) if isinstance(value, list) else value
    post = spec.get("post_angle_deg")
    post_deg = post.get("value", 0.0) if isinstance(post, Mapping) else 0.0
    return prescription_marks(foot, Prescription(**values), float(post_deg))  # type: ignore[arg-type]


def _shoe_fit(report: Mapping[str, object]) -> str:
    """What the shoe trimmed off the outline, from the report's ``shoe_fit`` entry."""
    fit = report.get("shoe_fit")
    if not isinstance(fit, Mapping):
        return "Shoe fit: no shoe given"
    area = fit.get("trimmed_area_mm2")
    if not isinstance(area, (int, float)) or area <= 0.0:
        return "Shoe fit: fits the shoe, nothing trimmed"
    lo, hi = fit.get("x_range_mm") or (float("nan"), float("nan"))
    return (
        f"Shoe fit: trimmed {area:.0f} mm², up to {fit.get('deepest_trim_mm', 0.0):.1f} mm deep, "
        f"at x {lo:.0f}–{hi:.0f} mm"
    )


def _draw_marks(ax: Axes, marks: Sequence[Mark], mirror: float) -> None:
    """Each modification's region outlined on the plantar map, numbered at its centre."""
    for number, mark in enumerate(marks, start=1):
        for part in getattr(mark.region, "geoms", [mark.region]):
            if not isinstance(part, Polygon) or part.is_empty:
                continue
            x, y = np.asarray(part.exterior.coords).T
            ax.fill(x, mirror * y, color=_MARK_COLOUR, alpha=0.18, lw=0)
            ax.plot(x, mirror * y, color=_MARK_COLOUR, lw=1.3, ls="-")
        at = mark.region.representative_point()
        ax.annotate(
            str(number),
            (at.x, mirror * at.y),
            ha="center",
            va="center",
            fontsize=9,
            weight="bold",
            color="white",
            bbox={"boxstyle": "circle,pad=0.2", "facecolor": _MARK_COLOUR, "lw": 0},
        )


def _analysis_picture(
    foot: Foot, width_in: float, height_in: float, marks: Sequence[Mark] = ()
) -> FloatArray:
    """The analysis figure drawn at the page's size (text stays readable), as RGB pixels,
    with the modifications on its plantar map."""
    fig = analysis_figure(foot)
    _draw_marks(fig.axes[0], marks, -1.0 if foot.scan.side == "left" else 1.0)
    try:
        fig.set_size_inches(width_in * _ANALYSIS_SCALE, height_in * _ANALYSIS_SCALE)
        fig.set_dpi(_IMAGE_DPI / _ANALYSIS_SCALE)
        fig.canvas.draw()
        rgba = np.asarray(fig.canvas.buffer_rgba(), dtype=np.float64) / 255.0  # type: ignore[attr-defined]
    finally:
        plt.close(fig)
    return rgba[:, :, :3]


def _squeeze_white(image: FloatArray, keep_px: int = 8) -> FloatArray:
    """The image with every run of blank (white) rows and columns cut to ``keep_px``, RGB.

    Trims the margins and the empty bands inside a picture (above a 3D view, between
    panels) so that what is drawn fills the space it gets on the page.
    """
    rgb = image[:, :, :3]
    ink: BoolArray = np.asarray((rgb < 0.97).any(axis=2), dtype=bool)
    if not ink.any():
        return rgb
    rows = _keep_runs(ink.any(axis=1), keep_px)
    cols = _keep_runs(ink.any(axis=0), keep_px)
    return rgb[rows][:, cols]


def _keep_runs(lines: ArrayLike, keep_px: int) -> BoolArray:
    """Mask keeping inked lines and at most ``keep_px`` blank lines per blank run.

    Blank lines nearest to ink are kept, half on each side of a run between inked lines.
    """
    inked = np.asarray(lines, dtype=bool)
    index = np.arange(len(inked))
    ink_at = np.flatnonzero(inked)
    after = np.searchsorted(ink_at, index)  # first inked line at or after each line
    before_gap = index - ink_at[np.clip(after - 1, 0, None)]
    after_gap = ink_at[np.clip(after, None, len(ink_at) - 1)] - index
    before_gap = np.where(after > 0, before_gap, np.iinfo(np.int64).max)
    after_gap = np.where(after < len(ink_at), after_gap, np.iinfo(np.int64).max)
    return inked | (np.minimum(before_gap, after_gap) <= keep_px // 2)


def _picture(
    fig: Figure, rect: tuple[float, float, float, float], image: FloatArray, title: str
) -> None:
    ax = fig.add_axes(rect)
    ax.imshow(image, interpolation="none")
    ax.set_axis_off()
    fig.text(rect[0], rect[1] + rect[3] + 0.004, title, fontsize=10, weight="bold")


def _row_step(fontsize: float) -> float:
    """Vertical distance between table rows for ``fontsize`` points, in figure fraction."""
    return fontsize * 1.5 / 72.0 / PAGE_SIZE_IN[1]


def _spec_table(fig: Figure, spec: Mapping[str, object], *, top: float) -> float:
    """Every shell number with its source and rule (first clause); returns the bottom y."""
    size = 7.0
    x_name, x_value, x_source, x_rule = _LEFT, _LEFT + 0.2, _LEFT + 0.215, _LEFT + 0.29
    fig.text(x_name, top, "Shell specification", fontsize=10, weight="bold")
    y = top - 1.4 * _row_step(size)
    for x, text, ha in (
        (x_value, "value", "right"),
        (x_source, "source", "left"),
        (x_rule, "rule", "left"),
    ):
        fig.text(x, y, text, fontsize=size, ha=ha, color=_MUTED, style="italic")
    for key, name in _SPEC_ROWS:
        entry = spec.get(key)
        if not isinstance(entry, Mapping):
            continue
        y -= _row_step(size)
        source = str(entry.get("source", ""))
        fig.text(x_name, y, name, fontsize=size)
        value = _format(entry.get("value"), str(entry.get("unit", "")))
        fig.text(
            x_value,
            y,
            value.replace("_", " ") if key == "shell_length" else value,
            fontsize=size,
            ha="right",
            weight="bold" if key in ("thickness_mm", "arch_height_mm") else "normal",
        )
        fig.text(x_source, y, source, fontsize=size, color=_SOURCE_COLOURS.get(source, "black"))
        fig.text(x_rule, y, _short_rule(str(entry.get("rule", ""))), fontsize=size - 0.5)
    return y


def _mechanics_table(fig: Figure, mechanics: Mapping[str, object], *, top: float) -> None:
    """The report's ``mechanics`` numbers in two columns, and how the thickness was solved.

    The loads are the report's: ``load_n`` (walking midfoot), ``activity_load_n``, and the
    bench force, which is its stiffness times its deflection.
    """
    size = 7.0
    fig.text(_LEFT, top, "Mechanics (finite elements)", fontsize=10, weight="bold")
    loads = {
        "deflection_mm": mechanics.get("load_n"),
        "activity_deflection_mm": mechanics.get("activity_load_n"),
        "peak_stress_mpa": mechanics.get("activity_load_n"),
        "clearance_mm": mechanics.get("activity_load_n"),
    }
    stiffness = mechanics.get("bench_stiffness_n_per_mm")
    bench = mechanics.get("bench_deflection_mm")
    if isinstance(stiffness, int | float) and isinstance(bench, int | float):
        loads["bench_stiffness_n_per_mm"] = loads["bench_deflection_mm"] = stiffness * bench
    for column, rows in enumerate(_MECHANICS_ROWS):
        x_name = _LEFT + 0.455 * column
        x_value = x_name + 0.35
        y = top - 0.4 * _row_step(size)
        for key, name, unit in rows:
            y -= _row_step(size)
            load = loads.get(key)
            at = f" ({load:.0f} N)" if isinstance(load, int | float) else ""
            fig.text(x_name, y, name + at, fontsize=size)
            value = _format(mechanics.get(key), unit)
            bold = key in ("deflection_mm", "safety_factor")
            fig.text(x_value, y, value, fontsize=size, ha="right", weight="bold" if bold else None)
    provenance = mechanics.get("provenance")
    thickness = mechanics.get("thickness_mm")
    if provenance:
        said = f"Thickness {_format(thickness, 'mm')}: {provenance}"
        for line in textwrap.wrap(said, width=170)[:2]:
            y -= _row_step(6.0)
            fig.text(_LEFT, y, line, fontsize=6.0, color=_MUTED)


def _short_rule(rule: str, max_chars: int = 48) -> str:
    """A rule's name: the text before its first colon, shortened to ``max_chars``."""
    head = rule.split(": ", 1)[0]
    return head if len(head) <= max_chars else head[: max_chars - 1] + "…"


def _rule_notes(fig: Figure, spec: Mapping[str, object], *, top: float) -> None:
    """The full rules of the two numbers a clinician asks about: thickness and arch height."""
    size = 6.0
    y = top
    for key, name in (("thickness_mm", "Thickness"), ("arch_height_mm", "Arch height")):
        entry = spec.get(key)
        if not isinstance(entry, Mapping):
            continue
        lines = textwrap.wrap(f"{name}: {entry.get('rule', '')}", width=105)
        for line in lines:
            y -= _row_step(size)
            fig.text(_LEFT, y, line, fontsize=size, color=_MUTED)


def _checks(validation: Mapping[str, object]) -> list[Mapping[str, object]]:
    checks = validation.get("checks", [])
    return [c for c in checks if isinstance(c, Mapping)] if isinstance(checks, list) else []


def _validation_table(fig: Figure, validation: Mapping[str, object], *, top: float) -> float:
    """Each check with its measured value and limit, ticked or crossed; returns the bottom y."""
    size = 7.0
    x_name, x_value, x_limit, x_mark = 0.63, 0.82, 0.915, _RIGHT
    fig.text(x_name, top, "Validation", fontsize=10, weight="bold")
    y = top - 1.4 * _row_step(size)
    for x, text in ((x_value, "measured"), (x_limit, "limit")):
        fig.text(x, y, text, fontsize=size, ha="right", color=_MUTED, style="italic")
    for check in _checks(validation):
        y -= _row_step(size)
        ok = check.get("ok") is True
        unit = str(check.get("unit", ""))
        fig.text(x_name, y, str(check.get("name", "")).replace("_", " "), fontsize=size)
        fig.text(x_value, y, _format(check.get("value"), unit), fontsize=size, ha="right")
        fig.text(x_limit, y, _format(check.get("limit"), unit), fontsize=size, ha="right")
        fig.text(
            x_mark,
            y,
            "✓" if ok else "✗",
            fontsize=size + 1,
            ha="right",
            color=_OK if ok else _FAIL,
            weight="bold",
        )
    return y


def _foot_table(fig: Figure, analysis: Mapping[str, object], *, top: float) -> None:
    """The foot's measures and how the scan was read."""
    size = 7.0
    x_name, x_value = 0.63, _RIGHT
    fig.text(x_name, top, "Foot", fontsize=10, weight="bold")
    arch = analysis.get("arch", {})
    arch = arch if isinstance(arch, Mapping) else {}
    rows = (
        ("side", f"{analysis.get('side', '?')} ({_detected(analysis.get('side_detected'))})"),
        ("scan kind", f"{analysis.get('kind', '?')} ({_detected(analysis.get('kind_detected'))})"),
        ("foot length", _format(analysis.get("foot_length_mm"), "mm")),
        ("ball width", _format(analysis.get("ball_width_mm"), "mm")),
        ("heel width", _format(analysis.get("heel_width_mm"), "mm")),
        ("arch height", _format(arch.get("height_mm"), "mm")),
        ("arch index", f"{_format(arch.get('index'), '')} ({arch.get('type', '?')} arch)"),
        ("standing", "yes" if analysis.get("standing") else "no"),
    )
    y = top - 0.4 * _row_step(size)
    for name, value in rows:
        y -= _row_step(size)
        fig.text(x_name, y, name, fontsize=size)
        fig.text(x_value, y, value, fontsize=size, ha="right")


def _detected(flag: object) -> str:
    return "detected" if flag else "given"


def _format(value: object, unit: str) -> str:
    """A number with its unit, to a precision a person reads (3 significant figures)."""
    suffix = _UNIT_TEXT.get(unit, f" {unit}")
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{value}{suffix}"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value)}{suffix}"
    magnitude = abs(float(value))
    decimals = 0 if magnitude >= 100 else 1 if magnitude >= 10 else 2
    return f"{float(value):.{decimals}f}{suffix}"
