"""``load``: read a scan file (PLY, PCD, XYZ, PTS, CSV, OBJ, STL, glTF/GLB, 3MF) into a scan.

Every reader turns the file's bytes into vertices (scanner frame and units, possibly holding
NaN/inf) and, for a mesh, triangles; :func:`load` then drops non-finite points, densifies
meshes with area-weighted samples and records where the scan came from. Every problem with
the file becomes a one-line :class:`~shellgen.errors.ScanError`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Final

import numpy as np

from shellgen._typing import BoolArray, FloatArray, IntArray
from shellgen.errors import ScanError
from shellgen.limits import MIN_POINTS
from shellgen.scan._3mf import read_3mf_scan
from shellgen.scan._geometry import Geometry
from shellgen.scan._gltf import read_gltf
from shellgen.scan._model import RawScan, ScanSource
from shellgen.scan._obj import read_obj
from shellgen.scan._pcd import read_pcd
from shellgen.scan._ply import read_ply
from shellgen.scan._stl import read_stl
from shellgen.scan._text import read_text_cloud

__all__ = ["load"]

logger = logging.getLogger(__name__)

#: Mesh surfaces are sampled at a mean spacing of the bounding-box diagonal over this
#: (scale-free, since units are unknown at load time: about 1 mm on a foot).
_SAMPLES_PER_DIAGONAL: Final = 400.0
#: At most this many surface samples are added to a mesh's vertices.
_MAX_SURFACE_SAMPLES: Final = 400_000

_READERS: Final[dict[str, Callable[[bytes, str], Geometry]]] = {
    "ply": read_ply,
    "pcd": read_pcd,
    "xyz": read_text_cloud,
    "pts": read_text_cloud,
    "csv": read_text_cloud,
    "obj": read_obj,
    "stl": read_stl,
    "glb": read_gltf,
    "gltf": read_gltf,
    "3mf": read_3mf_scan,
}


def load(path: str | os.PathLike[str]) -> RawScan:
    """Read a scan file into a :class:`RawScan`, in the scanner's frame and units.

    The format is chosen by the file's extension (case-insensitive): ``.ply`` (ascii or
    binary, cloud or mesh), ``.pcd``, ``.xyz`` / ``.pts`` / ``.csv`` (text, the first three
    columns are x y z), ``.obj``, ``.stl`` (ascii or binary), ``.glb`` / ``.gltf`` (a phone
    app's scene, node transforms applied) and ``.3mf`` (its build, in mm). Points with a NaN or
    infinite coordinate are dropped (with the mesh faces that use them). A mesh's vertices
    are followed by area-weighted surface samples, seeded, at a mean spacing of about the
    bounding-box diagonal / 400 (at most 400 000), so a coarse mesh still gives a dense
    surface.

    Parameters
    ----------
    path : str or path-like
        The scan file.

    Returns
    -------
    RawScan
        Finite points (mesh vertices first), triangles for a mesh, and provenance.

    Raises
    ------
    ScanError
        The file is missing, unreadable, of an unknown type, empty, truncated or corrupt,
        or keeps fewer than ``shellgen.limits.MIN_POINTS`` finite points.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> xyz = pathlib.Path(tempfile.mkdtemp()) / "cloud.xyz"
    >>> np.savetxt(xyz, np.random.default_rng(0).random((600, 3)))
    >>> raw = load(xyz)
    >>> raw.points.shape, raw.faces is None, raw.source.format
    ((600, 3), True, 'xyz')
    """
    name = os.fspath(path)
    file = Path(name)
    if file.is_dir():
        raise ScanError(f"{name} is a directory, not a scan file; give the path of the file")
    if not file.exists():
        raise ScanError(f"{name} does not exist; check the path")
    fmt = file.suffix.lower().lstrip(".")
    reader = _READERS.get(fmt)
    if reader is None:
        supported = ", ".join(f".{ext}" for ext in _READERS)
        raise ScanError(
            f"{name} has an unsupported extension {file.suffix!r}; "
            f"give a scan saved as one of {supported}"
        )
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ScanError(f"{name} cannot be read ({exc.strerror}); check its permissions") from exc
    if not data:
        raise ScanError(f"{name} is empty (0 bytes); re-export or re-copy the scan")

    try:
        geometry = reader(data, name)
    except (ValueError, IndexError, OverflowError, struct.error) as exc:
        # a corrupt file the readers' own checks did not foresee: still the file's fault
        logger.debug("%s: reader failed", name, exc_info=True)
        raise ScanError(
            f"{name} cannot be parsed as a {fmt.upper()} file ({str(exc).splitlines()[0]}); "
            "the file is corrupt, re-export it"
        ) from exc
    n_read = len(geometry.vertices)
    if n_read == 0:
        raise ScanError(f"{name} holds no points; check that it is a scan in {fmt.upper()} format")
    vertices, triangles, n_dropped = _drop_nonfinite(geometry.vertices, geometry.triangles)
    if n_dropped:
        logger.warning("%s: dropped %d points with NaN/inf coordinates", name, n_dropped)
    points = vertices
    if triangles is not None:
        samples = _sample_surface(vertices, triangles, np.random.default_rng(0))
        points = np.concatenate([vertices, samples])
    if len(points) < MIN_POINTS:
        raise ScanError(
            f"{name} has only {len(points)} finite points ({n_dropped} NaN/inf dropped); "
            f"a foot scan needs at least {MIN_POINTS}"
        )
    source = ScanSource(
        path=name,
        format=fmt,
        sha256=hashlib.sha256(data).hexdigest(),
        n_points_read=n_read,
        n_nonfinite_dropped=n_dropped,
        n_faces=geometry.n_faces,
    )
    logger.info(
        "%s: %d %s points read, %d faces, %d points kept",
        name,
        n_read,
        fmt,
        geometry.n_faces,
        len(points),
    )
    return RawScan(points=points, faces=triangles, n_vertices=len(vertices), source=source)


# --------------------------------------------------------------------------- cleaning


def _drop_nonfinite(
    vertices: FloatArray, triangles: IntArray | None
) -> tuple[FloatArray, IntArray | None, int]:
    """Drop vertices with a non-finite coordinate and the triangles that use them.

    Returns
    -------
    vertices : (k, 3) float
        The finite vertices, in file order.
    triangles : (t, 3) int or None
        Triangles re-indexed into the kept vertices.
    n_dropped : int
        Vertices dropped.
    """
    finite: BoolArray = np.asarray(np.isfinite(vertices).all(axis=1))
    n_dropped = int(len(vertices) - np.count_nonzero(finite))
    if n_dropped == 0:
        return vertices, triangles, 0
    kept = vertices[finite]
    if triangles is None:
        return kept, None, n_dropped
    new_index = np.cumsum(finite) - 1
    usable = finite[triangles].all(axis=1)
    return kept, new_index[triangles[usable]], n_dropped


def _sample_surface(
    vertices: FloatArray, triangles: IntArray, rng: np.random.Generator
) -> FloatArray:
    """Area-weighted random points on a triangle mesh, about ``diagonal / 400`` apart.

    Parameters
    ----------
    vertices : (n, 3) float
        Finite mesh vertices, scanner units.
    triangles : (m, 3) int
        Triangles indexing ``vertices``.
    rng : numpy.random.Generator
        Source of randomness (seeded by the caller, for determinism).

    Returns
    -------
    (k, 3) float
        Points on the triangles, ``k = total_area / spacing**2`` with
        ``spacing = bbox_diagonal / 400``, clamped to ``[0, 400 000]``.
    """
    corners = vertices[triangles]
    edge_1 = corners[:, 1] - corners[:, 0]
    edge_2 = corners[:, 2] - corners[:, 0]
    areas = 0.5 * np.linalg.norm(np.cross(edge_1, edge_2), axis=1)
    total_area = float(areas.sum())
    diagonal = float(np.linalg.norm(np.ptp(vertices, axis=0))) if len(vertices) else 0.0
    if total_area <= 0.0 or diagonal <= 0.0:
        return np.empty((0, 3))
    spacing = diagonal / _SAMPLES_PER_DIAGONAL
    n_samples = min(_MAX_SURFACE_SAMPLES, round(total_area / spacing**2))
    cumulative = np.cumsum(areas)
    chosen = np.searchsorted(cumulative, rng.random(n_samples) * cumulative[-1], side="right")
    chosen = np.minimum(chosen, len(areas) - 1)
    u, v = rng.random((2, n_samples))
    outside = u + v > 1.0
    u[outside] = 1.0 - u[outside]
    v[outside] = 1.0 - v[outside]
    samples: FloatArray = (
        corners[chosen, 0] + u[:, None] * edge_1[chosen] + v[:, None] * edge_2[chosen]
    )
    return samples
