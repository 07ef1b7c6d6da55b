"""``load``: read a scan file (PLY, PCD, XYZ, PTS, CSV, OBJ, STL) into a :class:`RawScan`.

Every reader turns the file's bytes into vertices (scanner frame and units, possibly holding
NaN/inf) and, for a mesh, triangles; :func:`load` then drops non-finite points, densifies
meshes with area-weighted samples and records where the scan came from. Every problem with
the file becomes a one-line :class:`~shellgen.errors.ScanError`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from shellgen._typing import BoolArray, FloatArray, IntArray
from shellgen.errors import ScanError
from shellgen.limits import MIN_POINTS
from shellgen.scan._model import RawScan, ScanSource

__all__ = ["load"]

logger = logging.getLogger(__name__)

#: Mesh surfaces are sampled at a mean spacing of the bounding-box diagonal over this
#: (scale-free, since units are unknown at load time: about 1 mm on a foot).
_SAMPLES_PER_DIAGONAL: Final = 400.0
#: At most this many surface samples are added to a mesh's vertices.
_MAX_SURFACE_SAMPLES: Final = 400_000


@dataclass(frozen=True)
class _Geometry:
    """What a reader found in a file, before any cleaning.

    Attributes
    ----------
    vertices : (n, 3) float
        Every point or mesh vertex in the file, scanner frame and units, NaN/inf included.
    triangles : (m, 3) int or None
        Triangles (polygons already fanned) indexing ``vertices``; None for a point cloud.
    n_faces : int
        Faces (polygons) as stored in the file; 0 for a point cloud.
    """

    vertices: FloatArray
    triangles: IntArray | None
    n_faces: int


def load(path: str | os.PathLike[str]) -> RawScan:
    """Read a scan file into a :class:`RawScan`, in the scanner's frame and units.

    The format is chosen by the file's extension (case-insensitive): ``.ply`` (ascii or
    binary, cloud or mesh), ``.pcd``, ``.xyz`` / ``.pts`` / ``.csv`` (text, the first three
    columns are x y z), ``.obj`` and ``.stl`` (ascii or binary). Points with a NaN or
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


# --------------------------------------------------------------------------- shared helpers


def _fan(flat: IntArray, lengths: IntArray) -> IntArray:
    """Triangulate polygons as fans from their first corner.

    Parameters
    ----------
    flat : (sum(lengths),) int
        The polygons' corner indices, concatenated.
    lengths : (p,) int
        Corners per polygon; polygons with fewer than 3 give no triangle.

    Returns
    -------
    (t, 3) int
        Triangles ``(c0, c_j, c_j+1)`` for each polygon, in polygon order.
    """
    starts = np.cumsum(lengths) - lengths
    n_tri = np.maximum(lengths - 2, 0)
    first = np.repeat(starts, n_tri)
    step = np.arange(int(n_tri.sum())) - np.repeat(np.cumsum(n_tri) - n_tri, n_tri) + 1
    return np.column_stack([flat[first], flat[first + step], flat[first + step + 1]]).astype(
        np.int64
    )


def _check_indices(triangles: IntArray, n_vertices: int, name: str) -> IntArray:
    """Raise unless every triangle corner indexes one of ``n_vertices`` vertices."""
    if len(triangles) and (triangles.min() < 0 or triangles.max() >= n_vertices):
        bad = int(triangles.max() if triangles.max() >= n_vertices else triangles.min())
        raise ScanError(
            f"{name} has a face using vertex index {bad} but only {n_vertices} vertices; "
            "the file is corrupt, re-export it"
        )
    return triangles


def _decode(data: bytes, name: str, what: str) -> str:
    """Decode a text format as UTF-8, or raise a ScanError saying it is not text."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScanError(
            f"{name} is not a text {what} file (undecodable byte at offset {exc.start}); "
            "check the file's format"
        ) from exc


def _parse_table(
    rows: Sequence[str],
    line_numbers: Sequence[int] | range,
    name: str,
    n_columns: int | None = None,
    usecols: tuple[int, ...] | None = None,
    delimiter: str | None = None,
) -> FloatArray:
    """Parse text rows of numbers into a float table, naming the first bad line on failure.

    Parameters
    ----------
    rows : sequence of str
        Non-blank lines of numbers.
    line_numbers : sequence of int
        The 1-based line number in the file of each row, for messages.
    name : str
        The file, for messages.
    n_columns : int, optional
        Columns each row must have exactly (when ``usecols`` is None).
    usecols : tuple of int, optional
        Read only these columns (rows may have more).
    delimiter : str, optional
        Column separator; whitespace when None.

    Returns
    -------
    (len(rows), k) float
        The table, ``k`` = ``len(usecols)`` or the rows' column count.
    """
    if not rows:
        return np.empty((0, len(usecols) if usecols else n_columns or 0))
    try:
        table: FloatArray = np.loadtxt(
            rows, dtype=np.float64, delimiter=delimiter, usecols=usecols, ndmin=2, comments=None
        )
    except ValueError:
        pass  # found and named below
    else:
        if len(table) == len(rows) and (n_columns is None or table.shape[1] == n_columns):
            return table
    needed = max(usecols) + 1 if usecols else n_columns
    for row, line_no in zip(rows, line_numbers, strict=True):
        fields = row.split(delimiter)
        if needed is not None and len(fields) < needed:
            problem = f"has {len(fields)} columns, {needed} needed"
        elif usecols is None and n_columns is not None and len(fields) != n_columns:
            problem = f"has {len(fields)} columns, {n_columns} expected"
        else:
            try:
                [float(fields[i]) for i in (usecols or range(len(fields)))]
            except ValueError:
                problem = "holds a value that is not a number"
            else:
                continue
        raise ScanError(
            f"{name}: line {line_no} {problem} ({row.strip()[:40]!r}); fix or remove it"
        )
    raise ScanError(f"{name}: the numbers in the file cannot be parsed; check its format")


# --------------------------------------------------------------------------- PLY

_PLY_TYPES: Final = {
    "char": "i1",
    "int8": "i1",
    "uchar": "u1",
    "uint8": "u1",
    "short": "i2",
    "int16": "i2",
    "ushort": "u2",
    "uint16": "u2",
    "int": "i4",
    "int32": "i4",
    "uint": "u4",
    "uint32": "u4",
    "float": "f4",
    "float32": "f4",
    "double": "f8",
    "float64": "f8",
}
_STRUCT_CODES: Final = {
    "i1": "b",
    "u1": "B",
    "i2": "h",
    "u2": "H",
    "i4": "i",
    "u4": "I",
    "f4": "f",
    "f8": "d",
}
_PLY_FORMATS: Final = ("ascii", "binary_little_endian", "binary_big_endian")
_FACE_LIST_NAMES: Final = ("vertex_indices", "vertex_index")


@dataclass(frozen=True)
class _PlyProperty:
    """One property of a PLY element: numpy type code, and the count's for a list."""

    name: str
    code: str
    count_code: str | None = None


@dataclass(frozen=True)
class _PlyElement:
    """One element declared in a PLY header."""

    name: str
    count: int
    properties: tuple[_PlyProperty, ...]

    @property
    def has_lists(self) -> bool:
        """Whether any property is a list (items then vary in size)."""
        return any(prop.count_code for prop in self.properties)


@dataclass(frozen=True)
class _PlyColumns:
    """An element's values: scalars by property name, lists as (flat values, lengths)."""

    scalars: dict[str, np.ndarray]
    lists: dict[str, tuple[np.ndarray, IntArray]]


def _read_ply(data: bytes, name: str) -> _Geometry:
    """Read an ascii or binary (either endian) PLY point cloud or polygon mesh."""
    fmt, elements, body_start, header_lines = _parse_ply_header(data, name)
    wanted = {element.name for element in elements} & {"vertex", "face"}
    if "vertex" not in wanted:
        raise ScanError(f"{name}: PLY header declares no vertex element; it holds no scan")
    columns: dict[str, _PlyColumns] = {}
    if fmt == "ascii":
        lines = _decode(data[body_start:], name, "PLY").splitlines()
        position = 0
        for element in elements:
            if element.name in wanted:
                columns[element.name] = _read_ascii_element(
                    lines, position, header_lines, element, name
                )
            position += element.count
            if wanted <= columns.keys():
                break
    else:
        endian = "<" if fmt == "binary_little_endian" else ">"
        offset = body_start
        for element in elements:
            columns[element.name], offset = _read_binary_element(
                data, offset, element, endian, name
            )
            if wanted <= columns.keys():
                break

    vertex = columns["vertex"].scalars
    missing = [axis for axis in "xyz" if axis not in vertex]
    if missing:
        raise ScanError(
            f"{name}: PLY vertex element has no {'/'.join(missing)} property; "
            "export the scan with vertex positions"
        )
    vertices = np.empty((len(vertex["x"]), 3))
    for column, axis in enumerate("xyz"):
        vertices[:, column] = vertex[axis]
    face_lists = columns["face"].lists if "face" in columns else {}
    if not face_lists:
        return _Geometry(vertices, None, 0)
    list_name = next((n for n in _FACE_LIST_NAMES if n in face_lists), next(iter(face_lists)))
    flat, lengths = face_lists[list_name]
    if len(lengths) == 0:
        return _Geometry(vertices, None, 0)
    triangles = _check_indices(_fan(flat.astype(np.int64), lengths), len(vertices), name)
    return _Geometry(vertices, triangles, len(lengths))


def _parse_ply_header(data: bytes, name: str) -> tuple[str, list[_PlyElement], int, int]:
    """Parse a PLY header.

    Returns
    -------
    format : str
        ``"ascii"``, ``"binary_little_endian"`` or ``"binary_big_endian"``.
    elements : list of _PlyElement
        The declared elements, in file order.
    body_start : int
        Byte offset of the first data byte.
    header_lines : int
        Lines in the header (ascii data line ``i``, from 0, is file line
        ``header_lines + i + 1``).
    """
    if not data.startswith(b"ply"):
        raise ScanError(f"{name} does not start with 'ply'; it is not a PLY file or is corrupt")
    end = data.find(b"end_header")
    newline = data.find(b"\n", end) if end >= 0 else -1
    if newline < 0:
        raise ScanError(f"{name}: PLY header has no end_header line; the file is corrupt")
    header = data[:newline].decode("ascii", errors="replace").splitlines()
    fmt = "missing"
    elements: list[_PlyElement] = []
    for line_no, line in enumerate(header, start=1):
        words = line.split()
        try:
            if words[0] == "format":
                fmt = words[1]
            elif words[0] == "element":
                elements.append(_PlyElement(words[1], int(words[2]), ()))
            elif words[0] == "property":
                prop = (
                    _PlyProperty(words[4], _PLY_TYPES[words[3]], _PLY_TYPES[words[2]])
                    if words[1] == "list"
                    else _PlyProperty(words[2], _PLY_TYPES[words[1]])
                )
                last = elements[-1]
                elements[-1] = _PlyElement(last.name, last.count, (*last.properties, prop))
            elif words[0] not in ("ply", "comment", "obj_info", "end_header"):
                raise ValueError(words[0])
        except (IndexError, KeyError, ValueError):
            raise ScanError(
                f"{name}: PLY header line {line_no} is malformed ({line.strip()[:40]!r}); "
                "the file is corrupt"
            ) from None
    if fmt not in _PLY_FORMATS:
        raise ScanError(
            f"{name}: PLY format {fmt!r} is not one of {', '.join(_PLY_FORMATS)}; "
            "the file is corrupt"
        )
    if any(element.count < 0 for element in elements):
        raise ScanError(f"{name}: PLY header declares a negative element count; it is corrupt")
    return fmt, elements, newline + 1, len(header)


def _read_ascii_element(
    lines: list[str], start: int, header_lines: int, element: _PlyElement, name: str
) -> _PlyColumns:
    """Read one element of an ascii PLY, one item per line, from ``lines[start:]``."""
    rows = lines[start : start + element.count]
    if len(rows) < element.count:
        raise ScanError(
            f"{name}: PLY file ends after {len(rows)} of {element.count} {element.name} "
            "lines; the file is truncated, re-export or re-copy it"
        )
    numbers = range(header_lines + start + 1, header_lines + start + 1 + len(rows))
    if not element.has_lists:
        table = _parse_table(rows, numbers, name, n_columns=len(element.properties))
        return _PlyColumns({p.name: table[:, i] for i, p in enumerate(element.properties)}, {})
    try:
        table = np.loadtxt(rows, dtype=np.float64, ndmin=2, comments=None)
    except ValueError:  # items of differing sizes (e.g. triangles and quads)
        table = np.empty((0, 0))
    columns = _split_uniform_table(table, element) if len(table) else None
    return columns if columns is not None else _read_ascii_items(rows, numbers, element, name)


def _split_uniform_table(table: FloatArray, element: _PlyElement) -> _PlyColumns | None:
    """Split an ascii element whose items all have the first item's list lengths.

    Returns None when the items differ in size, for the item-by-item reader.
    """
    scalars: dict[str, np.ndarray] = {}
    lists: dict[str, tuple[np.ndarray, IntArray]] = {}
    column = 0
    for prop in element.properties:
        if column >= table.shape[1]:
            return None
        if prop.count_code is None:
            scalars[prop.name] = table[:, column]
            column += 1
            continue
        length = int(table[0, column])
        if length < 0 or not np.all(table[:, column] == length):
            return None
        values = table[:, column + 1 : column + 1 + length]
        lists[prop.name] = (values.ravel(), np.full(len(table), length, np.int64))
        column += 1 + length
    return _PlyColumns(scalars, lists) if column == table.shape[1] else None


def _read_ascii_items(
    rows: Sequence[str], numbers: range, element: _PlyElement, name: str
) -> _PlyColumns:
    """Read an ascii element item by item (items of differing sizes)."""
    scalars: dict[str, list[float]] = {p.name: [] for p in element.properties if not p.count_code}
    values: dict[str, list[float]] = {p.name: [] for p in element.properties if p.count_code}
    lengths: dict[str, list[int]] = {p.name: [] for p in element.properties if p.count_code}
    for row, line_no in zip(rows, numbers, strict=True):
        words = row.split()
        column = 0
        try:
            for prop in element.properties:
                if prop.count_code is None:
                    scalars[prop.name].append(float(words[column]))
                    column += 1
                    continue
                length = int(words[column])
                values[prop.name].extend(float(w) for w in words[column + 1 : column + 1 + length])
                lengths[prop.name].append(length)
                column += 1 + length
            if column != len(words):
                raise ValueError
        except (IndexError, ValueError):
            raise ScanError(
                f"{name}: line {line_no} is not a valid PLY {element.name} "
                f"({row.strip()[:40]!r}); fix or remove it"
            ) from None
    return _PlyColumns(
        {key: np.asarray(vals) for key, vals in scalars.items()},
        {key: (np.asarray(values[key]), np.asarray(lengths[key], np.int64)) for key in values},
    )


def _read_binary_element(
    data: bytes, offset: int, element: _PlyElement, endian: str, name: str
) -> tuple[_PlyColumns, int]:
    """Read one element of a binary PLY at byte ``offset``; return it and the next offset.

    Elements of fixed-size items (vertices; all-triangle faces) are read in one
    ``np.frombuffer`` call; only items of differing sizes are read one by one.
    """
    if element.count == 0:
        return _PlyColumns(
            {p.name: np.empty(0) for p in element.properties if not p.count_code},
            {
                p.name: (np.empty(0), np.empty(0, np.int64))
                for p in element.properties
                if p.count_code
            },
        ), offset
    lengths = _first_item_lengths(data, offset, element, endian, name)
    fields: list[tuple[str, str] | tuple[str, str, tuple[int]]] = []
    for i, prop in enumerate(element.properties):
        if prop.count_code is None:
            fields.append((f"p{i}", endian + prop.code))
        else:
            fields.append((f"n{i}", endian + prop.count_code))
            fields.append((f"p{i}", endian + prop.code, (lengths[i],)))
    dtype = np.dtype(fields)
    end = offset + element.count * dtype.itemsize
    if end <= len(data):
        items = np.frombuffer(data, dtype=dtype, count=element.count, offset=offset)
        if all(np.all(items[f"n{i}"] == length) for i, length in lengths.items()):
            scalars = {
                p.name: items[f"p{i}"] for i, p in enumerate(element.properties) if i not in lengths
            }
            lists = {
                p.name: (items[f"p{i}"].ravel(), np.full(element.count, lengths[i], np.int64))
                for i, p in enumerate(element.properties)
                if i in lengths
            }
            return _PlyColumns(scalars, lists), end
    elif not lengths:
        _raise_truncated(data, end, element, name)
    return _read_binary_items(data, offset, element, endian, name)


def _first_item_lengths(
    data: bytes, offset: int, element: _PlyElement, endian: str, name: str
) -> dict[int, int]:
    """List lengths of an element's first item, by property position."""
    lengths: dict[int, int] = {}
    try:
        for i, prop in enumerate(element.properties):
            if prop.count_code is None:
                offset += struct.calcsize(_STRUCT_CODES[prop.code])
                continue
            count_format = endian + _STRUCT_CODES[prop.count_code]
            (lengths[i],) = struct.unpack_from(count_format, data, offset)
            offset += struct.calcsize(count_format) + lengths[i] * struct.calcsize(
                _STRUCT_CODES[prop.code]
            )
    except struct.error:
        _raise_truncated(data, len(data) + 1, element, name)
    if offset > len(data):  # the first item alone runs past the end
        _raise_truncated(data, offset, element, name)
    return lengths


def _read_binary_items(
    data: bytes, offset: int, element: _PlyElement, endian: str, name: str
) -> tuple[_PlyColumns, int]:
    """Read a binary element item by item (items of differing sizes)."""
    scalars: dict[str, list[float]] = {p.name: [] for p in element.properties if not p.count_code}
    values: dict[str, list[float]] = {p.name: [] for p in element.properties if p.count_code}
    lengths: dict[str, list[int]] = {p.name: [] for p in element.properties if p.count_code}
    try:
        for _ in range(element.count):
            for prop in element.properties:
                code = _STRUCT_CODES[prop.code]
                if prop.count_code is None:
                    (value,) = struct.unpack_from(endian + code, data, offset)
                    scalars[prop.name].append(value)
                    offset += struct.calcsize(code)
                    continue
                count_code = _STRUCT_CODES[prop.count_code]
                (length,) = struct.unpack_from(endian + count_code, data, offset)
                offset += struct.calcsize(count_code)
                values[prop.name].extend(
                    struct.unpack_from(f"{endian}{length}{code}", data, offset)
                )
                lengths[prop.name].append(length)
                offset += length * struct.calcsize(code)
    except struct.error:
        _raise_truncated(data, len(data) + 1, element, name)
    columns = _PlyColumns(
        {key: np.asarray(vals) for key, vals in scalars.items()},
        {key: (np.asarray(values[key]), np.asarray(lengths[key], np.int64)) for key in values},
    )
    return columns, offset


def _raise_truncated(data: bytes, end: int, element: _PlyElement, name: str) -> None:
    """Raise the ScanError for a binary PLY element that runs past the end of the file."""
    raise ScanError(
        f"{name}: binary PLY is truncated: its {element.count} {element.name} items need "
        f"{'at least ' if element.has_lists else ''}{end} bytes but the file has "
        f"{len(data)}; re-export or re-copy the scan"
    )


# --------------------------------------------------------------------------- PCD


def _read_pcd(data: bytes, name: str) -> _Geometry:
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
    return _Geometry(vertices, None, 0)


# --------------------------------------------------------------------------- XYZ, PTS, CSV


def _read_text_cloud(data: bytes, name: str) -> _Geometry:
    """Read a text point cloud: the first three columns of each line are x, y and z.

    Columns are separated by whitespace or commas (the first data line decides); further
    columns (intensity, colour, normals) are ignored and blank lines skipped. A first line
    that is not numbers is a header, and a first line holding one integer is a PTS count.
    """
    lines = _decode(data, name, Path(name).suffix.lstrip(".").upper()).splitlines()
    numbered = [(no, line) for no, line in enumerate(lines, start=1) if line.strip()]
    if numbered:
        first = numbered[0][1].replace(",", " ").split()
        if (len(first) == 1 and first[0].isdigit()) or not _all_numbers(first[:3]):
            numbered = numbered[1:]
    if not numbered:
        return _Geometry(np.empty((0, 3)), None, 0)
    delimiter = "," if "," in numbered[0][1] else None
    table = _parse_table(
        [line for _, line in numbered],
        [no for no, _ in numbered],
        name,
        usecols=(0, 1, 2),
        delimiter=delimiter,
    )
    return _Geometry(table, None, 0)


def _all_numbers(words: Sequence[str]) -> bool:
    """Whether every word parses as a float."""
    try:
        [float(word) for word in words]
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- OBJ


def _read_obj(data: bytes, name: str) -> _Geometry:
    """Read the vertices (``v``) and faces (``f``) of a Wavefront OBJ.

    Face corners may be ``v``, ``v/vt``, ``v//vn`` or ``v/vt/vn``, and negative indices count
    back from the last vertex defined; polygons are fanned into triangles. Every other
    statement (``vt``, ``vn``, groups, materials) is ignored.
    """
    lines = [line.lstrip() for line in data.decode("utf-8", errors="replace").splitlines()]
    v_at = [i for i, line in enumerate(lines) if line[:2] in ("v ", "v\t")]
    f_at = [i for i, line in enumerate(lines) if line[:2] in ("f ", "f\t")]
    vertex_rows = [lines[i][2:] for i in v_at]
    vertices = _parse_table(vertex_rows, [i + 1 for i in v_at], name, usecols=(0, 1, 2))
    if not f_at:
        return _Geometry(vertices, None, 0)
    face_rows = _OBJ_CORNER_TAIL.sub("", "\n".join(lines[i][2:] for i in f_at)).split("\n")
    indices, lengths = _obj_corners(face_rows, [i + 1 for i in f_at], name)
    if np.any(indices == 0):
        face = int(np.searchsorted(np.cumsum(lengths), np.argmin(indices != 0), side="right"))
        raise ScanError(
            f"{name}: line {f_at[face] + 1} has a face corner 0, but OBJ vertex numbers "
            "start at 1 (or count back from -1); the file is corrupt, re-export it"
        )
    # 1-based from the start, or negative counting back from the last vertex defined so far
    defined_before = np.repeat(np.searchsorted(v_at, f_at), lengths)
    indices = np.where(indices > 0, indices - 1, defined_before + indices)
    triangles = _check_indices(_fan(indices, lengths), len(vertices), name)
    return _Geometry(vertices, triangles, len(lengths))


def _obj_corners(rows: list[str], line_numbers: list[int], name: str) -> tuple[IntArray, IntArray]:
    """Parse OBJ face rows of vertex numbers (``/vt/vn`` parts removed).

    Returns
    -------
    flat : (sum(lengths),) int
        The vertex numbers as written (1-based, or negative), face after face.
    lengths : (f,) int
        Corners per face.
    """
    try:  # all faces the same size: one C-speed parse
        table = np.loadtxt(rows, dtype=np.int64, ndmin=2, comments=None)
    except ValueError:
        pass  # faces of several sizes, or a bad corner: parse row by row
    else:
        if len(table) == len(rows):
            return table.ravel(), np.full(len(table), table.shape[1], np.int64)
    flat: list[int] = []
    lengths: list[int] = []
    for row, line_no in zip(rows, line_numbers, strict=True):
        words = row.split()
        try:
            flat.extend(int(word) for word in words)
        except ValueError:
            raise ScanError(
                f"{name}: line {line_no} has a face corner that is not a vertex number "
                f"({row.strip()[:40]!r}); fix or remove it"
            ) from None
        lengths.append(len(words))
    return np.asarray(flat, np.int64), np.asarray(lengths, np.int64)


# --------------------------------------------------------------------------- STL

_OBJ_CORNER_TAIL: Final = re.compile(r"/\S*")

_STL_HEADER_BYTES: Final = 84
_STL_VERTEX: Final = re.compile(rb"\bvertex\s+(\S+)\s+(\S+)\s+(\S+)", re.IGNORECASE)
_STL_FACET: Final = re.compile(rb"\bfacet\b", re.IGNORECASE)
_STL_RECORD: Final = np.dtype(
    [("normal", "<f4", (3,)), ("corners", "<f4", (3, 3)), ("attr", "<u2")]
)


def _read_stl(data: bytes, name: str) -> _Geometry:
    """Read an ascii or binary STL; corners shared by triangles become one vertex.

    A file is binary when its size is exactly ``84 + 50 * n`` for the ``n`` triangles its
    header declares (a binary header may itself begin with ``solid``); otherwise it is
    ascii if it begins with ``solid``, else a binary file of the wrong size.
    """
    n_declared = int.from_bytes(data[80:84], "little")
    expected = _STL_HEADER_BYTES + _STL_RECORD.itemsize * n_declared
    if len(data) >= _STL_HEADER_BYTES and len(data) == expected:
        records = np.frombuffer(data, dtype=_STL_RECORD, count=n_declared, offset=84)
        corners = records["corners"].reshape(-1, 3)
    elif data.lstrip()[:5].lower() == b"solid":
        corners = _stl_ascii_corners(data, name, expected)
    elif len(data) < _STL_HEADER_BYTES:
        raise ScanError(
            f"{name} is too short to be an STL ({len(data)} bytes; a binary STL has at least "
            f"{_STL_HEADER_BYTES}); the file is truncated or corrupt, re-export it"
        )
    elif len(data) < expected:
        raise ScanError(
            f"{name}: binary STL is truncated: its header declares {n_declared} triangles, "
            f"needing {expected} bytes, but the file has {len(data)}; re-export or re-copy it"
        )
    else:
        logger.warning("%s: ignoring %d bytes after the last triangle", name, len(data) - expected)
        records = np.frombuffer(data, dtype=_STL_RECORD, count=n_declared, offset=84)
        corners = records["corners"].reshape(-1, 3)
    vertices, triangles = _merge_corners(corners)
    return _Geometry(vertices, triangles, len(triangles))


def _stl_ascii_corners(data: bytes, name: str, binary_size: int) -> np.ndarray:
    """The ``vertex`` coordinates of an ascii STL, three per facet, as a (3m, 3) array."""
    found = _STL_VERTEX.findall(data)
    n_facets = len(_STL_FACET.findall(data))
    if not found:
        raise ScanError(
            f"{name} is neither an ascii STL with vertices nor a binary STL of the size its "
            f"header declares ({binary_size} bytes, file has {len(data)}); the file is "
            "corrupt or truncated, re-export it"
        )
    if len(found) != 3 * n_facets:
        raise ScanError(
            f"{name}: ascii STL has {len(found)} vertex lines for {n_facets} facets (3 each "
            "expected); the file is corrupt or truncated, re-export it"
        )
    try:
        return np.array(found).astype(np.float64)
    except ValueError:
        raise ScanError(
            f"{name}: ascii STL has a vertex whose coordinates are not numbers; it is corrupt"
        ) from None


def _merge_corners(corners: np.ndarray) -> tuple[FloatArray, IntArray]:
    """Merge bit-identical triangle corners into shared vertices, in first-seen order.

    Parameters
    ----------
    corners : (3m, 3) float
        Triangle corners, three consecutive rows per triangle.

    Returns
    -------
    vertices : (n, 3) float
        Distinct corners, in the order they first appear.
    triangles : (m, 3) int
        Triangles indexing ``vertices``.
    """
    corners = np.ascontiguousarray(corners + corners.dtype.type(0))  # -0.0 -> 0.0
    keys = corners.view(np.dtype((np.void, corners.dtype.itemsize * 3))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    vertices = corners[first[order]].astype(np.float64)
    return vertices, rank[inverse].reshape(-1, 3).astype(np.int64)


_READERS: Final[dict[str, Callable[[bytes, str], _Geometry]]] = {
    "ply": _read_ply,
    "pcd": _read_pcd,
    "xyz": _read_text_cloud,
    "pts": _read_text_cloud,
    "csv": _read_text_cloud,
    "obj": _read_obj,
    "stl": _read_stl,
}
