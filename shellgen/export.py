"""``export``: STL, 3MF and JSON files, written atomically and byte-identical run to run.

Every file is written to a temporary name in its destination directory and renamed into
place (``os.replace``), so a crash never leaves a half-written STL where a printer queue
might pick it up. Nothing written carries a time stamp: the same shell gives the same bytes.
A left shell, built as a right foot in the foot frame, is mirrored back (y -> -y) with its
winding reversed so that normals still point out.

3MF is written and read by lib3mf, the 3MF Consortium's reference implementation
(:mod:`shellgen._lib3mf`); the binary STL is written here, since it is a header, a count and
one NumPy record array.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Final

import numpy as np
import trimesh
from numpy.typing import ArrayLike

from shellgen._lib3mf import MM_PER_UNIT, read_3mf, write_3mf_model
from shellgen._typing import FloatArray, IntArray
from shellgen.errors import GeometryError, ProfileError, ScanError
from shellgen.scan import Side
from shellgen.shell import Shell
from shellgen.validation import Report

__all__ = [
    "EXPORT_FORMATS",
    "OPTIONAL_FORMATS",
    "atomic_open",
    "atomic_path",
    "export_shell",
    "mirror_to_side",
    "read_mesh",
    "write_3mf",
    "write_3mf_objects",
    "write_json",
    "write_stl",
]

logger = logging.getLogger(__name__)

#: Mesh formats :func:`export_shell` writes by default (and a batch keeps up to date).
EXPORT_FORMATS: Final = ("stl", "3mf")
#: Formats written only when asked for: STEP needs OCP (the ``cad`` extra), slow to import.
OPTIONAL_FORMATS: Final = ("step",)

#: Formats :func:`read_mesh` reads.
_READ_FORMATS: Final = ("stl", "3mf")

#: The 80-byte header of every STL written (no time stamp).
_STL_HEADER: Final = b"shellgen binary STL, units mm".ljust(80, b" ")


def mirror_to_side(
    vertices: ArrayLike, faces: ArrayLike, side: Side
) -> tuple[FloatArray, IntArray]:
    """Put a mesh built as a right foot onto the patient's side.

    Parameters
    ----------
    vertices : (n, 3) float
        Vertices in the foot frame of a right foot, mm.
    faces : (m, 3) int
        Triangles, counter-clockwise seen from outside.
    side : {"left", "right"}
        The patient's side.

    Returns
    -------
    vertices : (n, 3) float
        For ``"left"`` mirrored y -> -y; otherwise a copy.
    faces : (m, 3) int
        For ``"left"`` each triangle's vertex order reversed, so normals still point out.

    Examples
    --------
    >>> v, f = mirror_to_side([[0, 1, 0], [1, 1, 0], [0, 2, 0]], [[0, 1, 2]], "left")
    >>> v[:, 1].tolist(), f.tolist()
    ([-1.0, -1.0, -2.0], [[2, 1, 0]])
    """
    v = np.array(vertices, dtype=np.float64).reshape(-1, 3)
    f = np.array(faces, dtype=np.int64).reshape(-1, 3)
    if side == "right":
        return v, f
    if side != "left":
        raise GeometryError(f"side {side!r} is neither 'left' nor 'right': pass one of them")
    v[:, 1] = -v[:, 1]
    return v, np.ascontiguousarray(f[:, ::-1])


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary name beside ``path`` to write; renamed to ``path`` on success.

    For writers that take a file name (lib3mf). On any exception inside the ``with`` block
    the temporary file is removed, ``path`` is left as it was (absent, or its previous
    content), and the exception propagates.

    Parameters
    ----------
    path : path-like
        The file to write; its directory must exist.
    """
    target = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        tmp.chmod(0o644)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """Open a temporary file beside ``path`` for writing; rename it to ``path`` on success.

    On any exception inside the ``with`` block the temporary file is removed, ``path`` is
    left as it was (absent, or its previous content), and the exception propagates.

    Parameters
    ----------
    path : path-like
        The file to write; its directory must exist.
    """
    with atomic_path(path) as tmp, tmp.open("wb") as fh:
        yield fh


def write_stl(path: str | os.PathLike[str], vertices: ArrayLike, faces: ArrayLike) -> Path:
    """Write a binary STL in millimetres, atomically.

    Parameters
    ----------
    path : path-like
        Destination file.
    vertices : (n, 3) float
        Vertex positions, mm.
    faces : (m, 3) int
        Triangles, counter-clockwise seen from outside.

    Returns
    -------
    Path
        ``path``.
    """
    triangles = np.asarray(vertices, dtype=np.float64)[np.asarray(faces, dtype=np.int64)]
    normals = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = np.divide(normals, length, out=np.zeros_like(normals), where=length > 0)
    record = np.dtype([("normal", "<f4", 3), ("vertices", "<f4", (3, 3)), ("attr", "<u2")])
    data = np.zeros(len(triangles), dtype=record)
    data["normal"] = normals
    data["vertices"] = triangles
    with atomic_open(path) as fh:
        fh.write(_STL_HEADER)
        fh.write(np.uint32(len(data)).astype("<u4").tobytes())
        fh.write(data.tobytes())
    return Path(path)


def write_3mf(
    path: str | os.PathLike[str],
    vertices: ArrayLike,
    faces: ArrayLike,
    *,
    name: str,
    metadata: Mapping[str, str],
) -> Path:
    """Write a 3MF package (one object, millimetres) with lib3mf, atomically, deterministically.

    Parameters
    ----------
    path : path-like
        Destination file.
    vertices : (n, 3) float
        Vertex positions, mm.
    faces : (m, 3) int
        Triangles, counter-clockwise seen from outside.
    name : str
        The object's name.
    metadata : Mapping[str, str]
        Model metadata, e.g. ``{"scan_sha256": ..., "shellgen_version": ...}``. Names that the
        3MF core defines (``Title``, ``Application``, ...) are written as they are, others in
        shellgen's namespace ``urn:shellgen:3mf:metadata``. Written sorted by name.

    Returns
    -------
    Path
        ``path``.
    """
    return write_3mf_objects(path, [(name, vertices, faces)], metadata=metadata)


def write_3mf_objects(
    path: str | os.PathLike[str],
    objects: Sequence[tuple[str, ArrayLike, ArrayLike]],
    *,
    metadata: Mapping[str, str],
) -> Path:
    """Write several named objects into one core 3MF package (a build plate), atomically.

    Each object is one named mesh object (its name also its part number) and one build
    item, placed where its vertices are (identity transform), so a slicer shows the parts
    exactly as arranged.

    Parameters
    ----------
    path : path-like
        Destination file.
    objects : sequence of (str, (n, 3) float, (m, 3) int)
        Name, vertex positions (mm) and triangles (counter-clockwise seen from outside) of
        each object, written in this order with ids 1, 2, ...
    metadata : Mapping[str, str]
        Model metadata, as for :func:`write_3mf`.

    Returns
    -------
    Path
        ``path``.
    """
    arrays = [
        (
            name,
            np.asarray(vertices, dtype=np.float64).reshape(-1, 3),
            np.asarray(faces, dtype=np.int64).reshape(-1, 3),
        )
        for name, vertices, faces in objects
    ]
    with atomic_path(path) as tmp:
        write_3mf_model(tmp, arrays, metadata)
    return Path(path)


def write_json(path: str | os.PathLike[str], obj: object) -> Path:
    """Write ``obj`` as JSON, atomically: sorted keys, 2-space indent, floats unrounded.

    NumPy scalars and arrays are written as numbers and lists. NaN and infinity are refused
    (they are not JSON): turn them into None first.

    Returns
    -------
    Path
        ``path``.
    """
    text = json.dumps(obj, sort_keys=True, indent=2, allow_nan=False, default=_json_default)
    with atomic_open(path) as fh:
        fh.write((text + "\n").encode("utf-8"))
    return Path(path)


def _json_default(obj: object) -> object:
    if isinstance(obj, np.generic | np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")


def read_mesh(path: str | os.PathLike[str]) -> trimesh.Trimesh:
    """Read an STL or 3MF file as one triangle mesh in mm, vertices merged by position.

    Duplicate and degenerate faces are kept, so that ``validate`` sees them. A 3MF is read
    by lib3mf (not in strict mode: a slicer's file with a harmless warning is still read):
    every mesh its build places, transforms applied, scaled from the package's unit to mm.

    Raises
    ------
    ScanError
        If the file is missing, not STL/3MF, unreadable, or holds no triangles.
    """
    p = Path(path)
    fmt = p.suffix.lower().lstrip(".")
    if fmt not in _READ_FORMATS:
        raise ScanError(f"cannot read {str(p)!r}: format {fmt!r} is not stl or 3mf; export one")
    if not p.is_file():
        raise ScanError(f"cannot read {str(p)!r}: no such file; check the path")
    try:
        vertices, faces = _read_3mf_mm(p) if fmt == "3mf" else _read_stl(p)
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScanError(
            f"cannot read {str(p)!r} as {fmt}: {reason}; is the file complete?"
        ) from exc
    if len(faces) == 0:
        raise ScanError(f"cannot read {str(p)!r}: it holds no triangles; export the mesh again")
    mesh = trimesh.Trimesh(vertices, faces, process=False, validate=False)
    mesh.merge_vertices(merge_tex=True, merge_norm=True)
    return mesh


def _step_writer() -> Callable[..., Path]:
    """:func:`shellgen.step.write_step`, imported on first use (OCP takes 1.5 s to import)."""
    try:
        from shellgen.step import write_step
    except ImportError as exc:
        raise ProfileError(
            f"STEP export needs CadQuery's OCP ({exc.name} is missing): "
            "pip install 'shellgen[cad]', or leave step out of --format"
        ) from exc
    return write_step


def _read_stl(path: Path) -> tuple[FloatArray, IntArray]:
    loaded = trimesh.load_mesh(path, file_type="stl", process=False)
    if not isinstance(loaded, trimesh.Trimesh):
        return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64)
    return np.asarray(loaded.vertices), np.asarray(loaded.faces)


def _read_3mf_mm(path: Path) -> tuple[FloatArray, IntArray]:
    """Every mesh a 3MF's build places, as one vertex and face array, mm."""
    model = read_3mf(path, strict=False)
    vertices, faces, offset = [np.zeros((0, 3))], [np.zeros((0, 3), dtype=np.int64)], 0
    for obj in model.objects:
        vertices.append(obj.vertices * MM_PER_UNIT[model.unit])
        faces.append(obj.faces + offset)
        offset += len(obj.vertices)
    return np.concatenate(vertices), np.concatenate(faces)


def export_shell(
    shell: Shell,
    report: Report,
    out_dir: str | os.PathLike[str],
    stem: str,
    *,
    formats: tuple[str, ...] = EXPORT_FORMATS,
    force: bool = False,
    metadata: Mapping[str, str],
) -> dict[str, Path]:
    """Write a validated shell as ``<stem>.stl``, ``.3mf`` and/or ``.step``, patient's side.

    Parameters
    ----------
    shell : Shell
        The shell, foot frame of a right foot; a left shell is mirrored back.
    report : Report
        Its validation report; nothing is written unless it passed or ``force`` is set.
    out_dir : path-like
        Output directory, created if missing.
    stem : str
        File name without extension.
    formats : tuple of {"stl", "3mf", "step"}
        What to write; STEP (:mod:`shellgen.step`) needs the ``cad`` extra.
    force : bool
        Write even though validation failed (a warning is logged).
    metadata : Mapping[str, str]
        3MF metadata (scan and profile sha256, shellgen version, ...).

    Returns
    -------
    dict[str, Path]
        Format -> path written.

    Raises
    ------
    GeometryError
        If the report failed and ``force`` is not set (nothing is written).
    ProfileError
        If a format is not one of :data:`EXPORT_FORMATS` or :data:`OPTIONAL_FORMATS`, or
        STEP is asked for without OCP installed.
    """
    unknown = [f for f in formats if f not in EXPORT_FORMATS + OPTIONAL_FORMATS]
    if unknown:
        choices = ", ".join(EXPORT_FORMATS + OPTIONAL_FORMATS)
        raise ProfileError(f"unknown export format {unknown[0]!r}: choose from {choices}")
    if not report.ok:
        failed = ", ".join(report.failed)
        if not force:
            raise GeometryError(
                f"shell failed validation ({failed}): nothing written; fix the shell or force"
            )
        logger.warning("writing %s although validation failed: %s", stem, failed)
    write_step = _step_writer() if "step" in formats else None  # fail before writing any
    vertices, faces = mirror_to_side(shell.vertices, shell.faces, shell.side)
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for fmt in formats:
        target = directory / f"{stem}.{fmt}"
        if fmt == "stl":
            written[fmt] = write_stl(target, vertices, faces)
        elif fmt == "step":
            assert write_step is not None
            with atomic_path(target) as tmp:
                write_step(tmp, vertices, faces, name=stem)
            written[fmt] = target
        else:
            meta = {"side": shell.side, **metadata}
            written[fmt] = write_3mf(target, vertices, faces, name=stem, metadata=meta)
    logger.info("wrote %s", ", ".join(str(p) for p in written.values()))
    return written
