"""``read_pcd``: a PCD point cloud (ascii, binary or binary_compressed), read with open3d."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from shellgen.errors import ScanError
from shellgen.scan._geometry import Geometry

__all__ = ["read_pcd"]


def read_pcd(data: bytes, name: str) -> Geometry:
    """Read an ascii, binary or binary_compressed PCD point cloud (with open3d).

    The header is checked here, because open3d returns an empty cloud instead of raising on
    a corrupt file: any difference from the header's POINTS count is an error.
    """
    header: dict[str, list[str]] = {}
    for raw_line in data[:4096].split(b"\n"):
        words = raw_line.decode("ascii", errors="replace").split()
        if words and not words[0].startswith("#"):
            header[words[0].upper()] = words[1:]
        if words and words[0].upper() == "DATA":
            break
    try:
        n_points = int(header["POINTS"][0])
        data_kind = header["DATA"][0]
        fields = header["FIELDS"]
    except (KeyError, IndexError, ValueError):
        raise ScanError(
            f"{name}: PCD header lacks a valid FIELDS, POINTS or DATA line; "
            "the file is not a PCD point cloud or is corrupt"
        ) from None
    if not {"x", "y", "z"} <= set(fields):
        raise ScanError(
            f"{name}: PCD fields {' '.join(fields)!r} lack x, y and z; export point positions"
        )
    import open3d as o3d  # deferred: open3d takes a second to import

    with o3d.utility.VerbosityContextManager(o3d.utility.VerbosityLevel.Error):
        cloud = o3d.io.read_point_cloud(Path(name), format="pcd")
    vertices = np.array(cloud.points, dtype=np.float64)
    if len(vertices) != n_points:
        raise ScanError(
            f"{name}: PCD header says {n_points} points but {len(vertices)} could be read "
            f"({data_kind} data); the file is truncated or corrupt, re-export it"
        )
    return Geometry(vertices, None, 0)
