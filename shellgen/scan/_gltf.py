"""``read_gltf``: a glTF 2.0 scene (``.glb`` binary, or ``.gltf`` with embedded buffers).

Phone scanning apps (Polycam, Scaniverse, the iPhone's Object Capture) export glTF. The
file is parsed by trimesh's glTF loader; every triangle mesh of the scene is placed by its
node transforms and concatenated, and a scene of points only (``POINTS`` primitives) is a
point cloud. glTF's unit is the metre by specification: the vertices are returned as
stored (scanner units), for ``prepare`` to detect, as with every other format.
"""

from __future__ import annotations

import io

import numpy as np
import trimesh

from shellgen.errors import ScanError
from shellgen.scan._geometry import Geometry, check_indices

__all__ = ["read_gltf"]


def read_gltf(data: bytes, name: str) -> Geometry:
    """Read every mesh (or point cloud) of a glTF/GLB scene, node transforms applied."""
    file_type = "glb" if data[:4] == b"glTF" else "gltf"
    try:
        scene = trimesh.load_scene(io.BytesIO(data), file_type=file_type, process=False)
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScanError(
            f"{name} cannot be parsed as a glTF/GLB file ({reason}); the file is corrupt or "
            "refers to buffers beside it: export it as .glb"
        ) from exc
    vertices, triangles, offset = [], [], 0
    for node in scene.graph.nodes_geometry:
        transform, geometry_name = scene.graph[node]
        geometry = scene.geometry[geometry_name]
        if isinstance(geometry, trimesh.Trimesh):
            faces = np.asarray(geometry.faces, dtype=np.int64).reshape(-1, 3)
            triangles.append(check_indices(faces, len(geometry.vertices), name) + offset)
        elif not isinstance(geometry, trimesh.PointCloud):
            continue
        placed = trimesh.transform_points(
            np.asarray(geometry.vertices, dtype=np.float64), transform
        )
        vertices.append(placed)
        offset += len(placed)
    if not vertices:
        return Geometry(np.empty((0, 3)), None, 0)
    mesh = np.concatenate(triangles) if triangles else None
    return Geometry(np.concatenate(vertices), mesh, 0 if mesh is None else len(mesh))
