"""``validate``: every check on a closed triangle mesh, in report order."""

from __future__ import annotations

import logging
from typing import Any, Protocol

import numpy as np
from shapely.geometry import Polygon

from shellgen.materials import Material
from shellgen.validation._arrays import _cross, _dot, _row_ids
from shellgen.validation._columns import _columns
from shellgen.validation._intersections import _self_intersections_check
from shellgen.validation._outline import _inside_outline_check
from shellgen.validation._report import Report
from shellgen.validation._tiling import _facings
from shellgen.validation._topology import (
    _count_check,
    _degenerate,
    _duplicate_faces_check,
    _edges,
    _one_body_check,
    _watertight_check,
    _winding_check,
)
from shellgen.validation._volume import _build_volume_check, _volume_checks
from shellgen.validation._wall import _min_wall_check

__all__ = ["MeshLike", "validate"]

logger = logging.getLogger(__name__)


class MeshLike(Protocol):
    """Anything with triangle-mesh arrays: a :class:`~shellgen.shell.Shell`, a trimesh."""

    @property
    def vertices(self) -> Any:
        """(n, 3) float vertex positions, mm."""

    @property
    def faces(self) -> Any:
        """(m, 3) int triangles indexing ``vertices``."""


def validate(
    mesh: MeshLike,
    *,
    material: Material,
    foot_outline: Polygon | None = None,
    build_volume_mm: tuple[float, float, float] | None = None,
) -> Report:
    """Check that a closed triangle mesh will print.

    Parameters
    ----------
    mesh : Shell or trimesh.Trimesh or MeshLike
        ``vertices`` (n, 3) float, mm, and ``faces`` (m, 3) int, counter-clockwise seen from
        outside. A shell is checked in the foot frame of a right foot.
    material : Material
        Sets the minimum wall (``material.min_wall_mm``) and the density for the mass.
    foot_outline : Polygon, optional
        The foot's outline seen from above (x, y), mm, same frame as ``mesh``; when given, the
        shell's footprint must lie inside it buffered by :data:`OUTLINE_MARGIN_MM`.
    build_volume_mm : (3,) float, optional
        Printer build volume (x, y, z), mm; the part may be turned about z to fit. The
        material's process machine (``material.build_volume_mm``) when None.

    Returns
    -------
    Report
        ``watertight``, ``winding``, ``one_body``, ``degenerate_faces``, ``duplicate_faces``,
        ``self_intersections``, ``min_wall_mm``, ``build_volume``, ``volume_cm3``, ``mass_g``
        and, with a foot outline, ``inside_outline``.

    Examples
    --------
    >>> import trimesh
    >>> from shellgen.materials import material
    >>> report = validate(trimesh.creation.box((100, 50, 4)), material=material("PA12-MJF"))
    >>> report.ok, report["min_wall_mm"].value
    (True, 4.0)
    """
    vertices = np.asarray(mesh.vertices, dtype=np.float64).reshape(-1, 3)
    faces = np.asarray(mesh.faces, dtype=np.int64).reshape(-1, 3)
    merged_faces = _row_ids(vertices)[faces]
    # corners[axis, corner, face]: the arrays below are (3, m) or (m,), one row per axis
    corners = np.take(np.ascontiguousarray(vertices.T), faces.T, axis=1)
    cross = _cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    area_mm2 = 0.5 * np.sqrt(_dot(cross, cross))
    degenerate = _degenerate(merged_faces, area_mm2)
    signed_volume_mm3 = float(_dot(corners[:, 0], cross).sum() / 6.0)
    edges = _edges(merged_faces)
    lo = np.minimum(np.minimum(corners[:, 0], corners[:, 1]), corners[:, 2])
    hi = np.maximum(np.maximum(corners[:, 0], corners[:, 1]), corners[:, 2])
    facing, tiled = _facings(corners, cross, merged_faces, edges.twin)
    columns = _columns(lo, hi, facing, ~degenerate & np.isfinite(area_mm2))

    crossing = _self_intersections_check(corners, merged_faces, columns, facing, tiled)
    checks = [
        _watertight_check(edges.boundary),
        _winding_check(edges.inconsistent, signed_volume_mm3),
        _one_body_check(merged_faces, edges),
        _count_check(
            "degenerate_faces",
            int(degenerate.sum()),
            "faces",
            "zero-area or repeated-vertex faces",
            np.flatnonzero(degenerate),
            corners,
        ),
        _duplicate_faces_check(merged_faces, corners),
        crossing,
        _min_wall_check(
            corners, cross, area_mm2, edges, columns, material.min_wall_mm, crossing.ok
        ),
        _build_volume_check(lo, hi, build_volume_mm or material.build_volume_mm),
        *_volume_checks(signed_volume_mm3, edges.boundary == 0, material),
    ]
    if foot_outline is not None:
        checks.append(_inside_outline_check(corners, cross, lo, hi, foot_outline))
    report = Report(tuple(checks))
    logger.debug("validated %d faces: failed %s", len(faces), report.failed or "none")
    return report
