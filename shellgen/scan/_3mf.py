"""``read_3mf``: the meshes a 3MF package's build places, read by lib3mf, in millimetres.

Some foot scanners and CAD tools hand scans on as 3MF. lib3mf (the 3MF Consortium's
reference, :mod:`shellgen._lib3mf`) reads the package, not in strict mode (a harmless
deviation should not refuse a patient's scan); every build item's mesh is placed by its
transform and the package's unit is turned into millimetres, since a 3MF states its unit.
"""

from __future__ import annotations

import numpy as np

from shellgen._lib3mf import MM_PER_UNIT, read_3mf
from shellgen.errors import ScanError
from shellgen.scan._geometry import Geometry, check_indices

__all__ = ["read_3mf_scan"]


def read_3mf_scan(data: bytes, name: str) -> Geometry:
    """Read every mesh a 3MF's build places, as one vertex and triangle array, mm."""
    try:
        model = read_3mf(data, strict=False)
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScanError(
            f"{name} cannot be parsed as a 3MF file ({reason}); the file is corrupt, re-export it"
        ) from exc
    if not model.objects:
        return Geometry(np.empty((0, 3)), None, 0)
    vertices, triangles, offset = [], [], 0
    for obj in model.objects:
        vertices.append(obj.vertices * MM_PER_UNIT[model.unit])
        triangles.append(check_indices(obj.faces, len(obj.vertices), name) + offset)
        offset += len(obj.vertices)
    faces = np.concatenate(triangles)
    return Geometry(np.concatenate(vertices), faces, len(faces))
