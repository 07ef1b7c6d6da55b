"""``build``: the solid shell from an analysed foot and its calibrated spec."""

from __future__ import annotations

import logging

from shellgen.analysis import Foot
from shellgen.errors import GeometryError
from shellgen.prescription import EXTENSION_MARGIN_MM
from shellgen.shell._assemble import assemble
from shellgen.shell._model import PlanSpec, Shell
from shellgen.shell._plan import Plan, plan
from shellgen.shell._surfaces import Surfaces
from shellgen.spec import ShellSpec

__all__ = ["build"]

logger = logging.getLogger(__name__)


def build(foot: Foot, spec: ShellSpec, *, reuse: Plan | None = None) -> Shell:
    """Build the solid shell for a foot from its calibrated spec.

    A pure function: the same foot and spec give byte-identical arrays, with or without
    ``reuse``. The shell's plan (outline, slots, heel seat, label, triangulation, rim
    distances) depends on the foot and a few spec values only (see
    :mod:`shellgen.shell._plan`); pass an earlier shell's plan as ``reuse`` and a rebuild
    after a change of thickness, arch, post or flex ratio skips it (about a third of the
    time of a first build).

    Parameters
    ----------
    foot : Foot
        The analysed foot (right-foot frame, mm).
    spec : ShellSpec
        Every number of the shell (thickness, arch, cup, flanges, post, flex zone, slots,
        label, mesh spacing).
    reuse : Plan, optional
        The plan of an earlier shell (``shell.plan``); used when it was made for this foot
        and the same plan values of the spec, else a new plan is made.

    Returns
    -------
    Shell
        A closed, consistently outward-wound triangle mesh with its outline; genus equals
        ``spec.slot_count``.

    Raises
    ------
    GeometryError
        If the spec holds a value the builder cannot use, or the foot leaves no room for
        the outline, the slots or the label.

    Examples
    --------
    >>> shell = build(foot, spec)  # doctest: +SKIP
    >>> bool(shell.vertices[:, 2].min() == 0.0)  # doctest: +SKIP
    True
    >>> thicker = build(foot, replace(spec, thickness_mm=4.0), reuse=shell.plan)  # doctest: +SKIP
    """
    _check_spec(spec)
    layout = (
        reuse if reuse is not None and reuse.fits(foot, spec) else plan(foot, PlanSpec.of(spec))
    )
    surf = Surfaces.make(foot, spec, layout)
    heights = surf.evaluate(layout.mesh.points, layout.vertex_rim, layout.neighbours)
    vertices, faces, thickness = assemble(layout, heights, spec.label_depth_mm)
    logger.debug(
        "built shell: %d vertices, %d faces, heel lift %.2f mm",
        len(vertices),
        len(faces),
        heights.heel_lift_mm,
    )
    return Shell(
        vertices=vertices,
        faces=faces,
        side=foot.scan.side,
        spec=spec,
        outline=layout.outline,
        thickness_mm=thickness,
        plan=layout,
        arch_gap_mm=surf.arch_gap_mm(layout),
    )


def _check_spec(spec: ShellSpec) -> None:
    """Refuse spec values the builder cannot turn into a solid."""
    checks = [
        ("thickness_mm", spec.thickness_mm, 0.3, 20.0),
        ("arch_height_mm", spec.arch_height_mm, 0.0, 60.0),
        ("heel_cup_depth_mm", spec.heel_cup_depth_mm, 0.0, 40.0),
        ("medial_flange_mm", spec.medial_flange_mm, 0.0, 40.0),
        ("lateral_flange_mm", spec.lateral_flange_mm, 0.0, 40.0),
        ("post_angle_deg", spec.post_angle_deg, -15.0, 15.0),
        ("flex_taper_mm", spec.flex_taper_mm, 1.0, 150.0),
        ("flex_thickness_ratio", spec.flex_thickness_ratio, 0.05, 1.0),
        ("rim_radius_mm", spec.rim_radius_mm, 0.0, 20.0),
        ("grid_spacing_mm", spec.grid_spacing_mm, 0.5, 10.0),
        ("label_depth_mm", spec.label_depth_mm, 0.0, 5.0),
        ("slot_count", spec.slot_count, 0, 12),
    ]
    for name, value, lo, hi in checks:
        if not lo <= value <= hi:
            raise GeometryError(
                f"spec {name} = {value} is outside [{lo}, {hi}]: fix the profile or override"
            )
    for name, value, lo, hi in spec.prescription.out_of_range():
        raise GeometryError(
            f"prescription {name} = {value:g} is outside [{lo:g}, {hi:g}]: fix the profile's "
            "[design] table or the order"
        )
    plate_mm = spec.prescription.extension_thickness_mm
    thinnest = spec.material.min_wall_mm + EXTENSION_MARGIN_MM
    if 0.0 < plate_mm < thinnest or plate_mm > spec.thickness_mm:
        raise GeometryError(
            f"extension_thickness_mm = {plate_mm:g} is outside [{thinnest:g}, "
            f"{spec.thickness_mm:g}] mm (the {spec.material.name} minimum wall plus "
            f"{EXTENSION_MARGIN_MM:g} mm, to the shell thickness); allowed: 0 for none, or a "
            "value in that range"
        )
    if spec.slot_count and not 0.5 <= spec.slot_width_mm < spec.slot_length_mm:
        raise GeometryError(
            f"slot {spec.slot_width_mm} x {spec.slot_length_mm} mm: need 0.5 mm <= width < "
            "length; fix slot_width_mm / slot_length_mm"
        )
