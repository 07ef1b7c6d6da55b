"""``export``: STL, 3MF and JSON files, written atomically and byte-identical run to run.

Every file is written to a temporary name in its destination directory and renamed into
place (``os.replace``), so a crash never leaves a half-written STL where a printer queue
might pick it up. Nothing written carries a time stamp: the same shell gives the same bytes.
A left shell, built as a right foot in the foot frame, is mirrored back (y -> -y) with its
winding reversed so that normals still point out.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Final

import numpy as np
import trimesh
from numpy.typing import ArrayLike

from shellgen._typing import FloatArray, IntArray
from shellgen.errors import GeometryError, ProfileError, ScanError
from shellgen.scan import Side
from shellgen.shell import Shell
from shellgen.validation import Report

__all__ = [
    "EXPORT_FORMATS",
    "atomic_open",
    "export_shell",
    "mirror_to_side",
    "read_mesh",
    "write_3mf",
    "write_3mf_objects",
    "write_json",
    "write_stl",
]

logger = logging.getLogger(__name__)

#: Mesh formats :func:`export_shell` writes.
EXPORT_FORMATS: Final = ("stl", "3mf")

#: Formats :func:`read_mesh` reads.
_READ_FORMATS: Final = ("stl", "3mf")

#: The 80-byte header of every STL written (no time stamp).
_STL_HEADER: Final = b"shellgen binary STL, units mm".ljust(80, b" ")

#: Every zip entry of a 3MF carries this date (the earliest a zip can hold).
_ZIP_DATE: Final = (1980, 1, 1, 0, 0, 0)

#: Deflate level of 3MF entries: 1 is three times faster than 6 for a quarter more bytes.
_ZIP_LEVEL: Final = 1

#: Metadata names the 3MF core specification defines; other names get our namespace.
_3MF_WELL_KNOWN: Final = frozenset(
    {
        "Title",
        "Designer",
        "Description",
        "Copyright",
        "LicenseTerms",
        "Rating",
        "CreationDate",
        "ModificationDate",
        "Application",
    }
)
_3MF_CORE_NS: Final = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02"
_SHELLGEN_NS: Final = "urn:shellgen:3mf:metadata"

_CONTENT_TYPES: Final = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\n'
    ' <Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\n'
    ' <Default Extension="model" '
    'ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>\n'
    "</Types>\n"
)
_RELS: Final = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\n'
    ' <Relationship Target="/3D/3dmodel.model" Id="rel0" '
    'Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>\n'
    "</Relationships>\n"
)


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
def atomic_open(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """Open a temporary file beside ``path`` for writing; rename it to ``path`` on success.

    On any exception inside the ``with`` block the temporary file is removed, ``path`` is
    left as it was (absent, or its previous content), and the exception propagates.

    Parameters
    ----------
    path : path-like
        The file to write; its directory must exist.
    """
    target = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(0o644)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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
    """Write a core 3MF package (one object, millimetres), atomically and deterministically.

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
        the ``shellgen`` namespace (``shellgen:scan_sha256``). Written sorted by name.

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

    Each object is one build item, placed where its vertices are (no item transform), so a
    slicer shows the parts exactly as arranged.

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
    model = _model_xml(
        [
            (
                name,
                np.asarray(vertices, dtype=np.float64).reshape(-1, 3),
                np.asarray(faces, dtype=np.int64).reshape(-1, 3),
            )
            for name, vertices, faces in objects
        ],
        metadata,
    )
    entries = {
        "3D/3dmodel.model": model,
        "[Content_Types].xml": _CONTENT_TYPES,
        "_rels/.rels": _RELS,
    }
    with atomic_open(path) as fh, zipfile.ZipFile(fh, "w") as archive:
        for entry in sorted(entries):
            info = zipfile.ZipInfo(entry, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0o644 << 16
            archive.writestr(info, entries[entry].encode("utf-8"), compresslevel=_ZIP_LEVEL)
    return Path(path)


def _model_xml(
    objects: Sequence[tuple[str, FloatArray, IntArray]], metadata: Mapping[str, str]
) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<model unit="millimeter" xml:lang="en-US" xmlns="{_3MF_CORE_NS}"'
        f' xmlns:shellgen="{_SHELLGEN_NS}">',
    ]
    for key in sorted(metadata):
        qualified = key if key in _3MF_WELL_KNOWN else f"shellgen:{key}"
        lines.append(
            f' <metadata name="{_xml_escape(qualified)}">{_xml_escape(metadata[key])}</metadata>'
        )
    lines.append(" <resources>")
    for object_id, (name, vertices, faces) in enumerate(objects, start=1):
        lines += [
            f'  <object id="{object_id}" name="{_xml_escape(name)}" type="model">',
            "   <mesh>",
            "    <vertices>",
        ]
        # One %-format over all rows: several times faster than a line per row in Python.
        rounded = (np.round(vertices, 5) + 0.0).ravel().tolist()  # + 0.0: -0.0 becomes 0.0
        vertex = '     <vertex x="%.5f" y="%.5f" z="%.5f"/>\n'
        triangle = '     <triangle v1="%d" v2="%d" v3="%d"/>\n'
        lines += (vertex * len(vertices) % tuple(rounded)).splitlines()
        lines += ["    </vertices>", "    <triangles>"]
        lines += (triangle * len(faces) % tuple(faces.ravel().tolist())).splitlines()
        lines += ["    </triangles>", "   </mesh>", "  </object>"]
    lines += [" </resources>", " <build>"]
    lines += [f'  <item objectid="{i}"/>' for i in range(1, len(objects) + 1)]
    lines += [" </build>", "</model>", ""]
    return "\n".join(lines)


def _xml_escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


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
    """Read an STL or 3MF file as one triangle mesh, vertices merged by position.

    Duplicate and degenerate faces are kept, so that ``validate`` sees them.

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
        loaded = trimesh.load_mesh(p, file_type=fmt, process=False)
        if isinstance(loaded, trimesh.Scene):
            loaded = loaded.to_mesh()
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScanError(
            f"cannot read {str(p)!r} as {fmt}: {reason}; is the file complete?"
        ) from exc
    if not isinstance(loaded, trimesh.Trimesh) or len(loaded.faces) == 0:
        raise ScanError(f"cannot read {str(p)!r}: it holds no triangles; export the mesh again")
    mesh = trimesh.Trimesh(loaded.vertices, loaded.faces, process=False, validate=False)
    mesh.merge_vertices(merge_tex=True, merge_norm=True)
    return mesh


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
    """Write a validated shell as ``<stem>.stl`` and/or ``<stem>.3mf``, on the patient's side.

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
    formats : tuple of {"stl", "3mf"}
        What to write.
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
        If a format is not one of :data:`EXPORT_FORMATS`.
    """
    unknown = [f for f in formats if f not in EXPORT_FORMATS]
    if unknown:
        choices = ", ".join(EXPORT_FORMATS)
        raise ProfileError(f"unknown export format {unknown[0]!r}: choose from {choices}")
    if not report.ok:
        failed = ", ".join(report.failed)
        if not force:
            raise GeometryError(
                f"shell failed validation ({failed}): nothing written; fix the shell or force"
            )
        logger.warning("writing %s although validation failed: %s", stem, failed)
    vertices, faces = mirror_to_side(shell.vertices, shell.faces, shell.side)
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for fmt in formats:
        target = directory / f"{stem}.{fmt}"
        if fmt == "stl":
            written[fmt] = write_stl(target, vertices, faces)
        else:
            meta = {"side": shell.side, **metadata}
            written[fmt] = write_3mf(target, vertices, faces, name=stem, metadata=meta)
    logger.info("wrote %s", ", ".join(str(p) for p in written.values()))
    return written
