"""PLY headers: the format and elements a file declares, and the values of an element."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from shellgen._typing import IntArray
from shellgen.errors import ScanError

__all__ = ["PlyColumns", "PlyElement", "parse_ply_header"]

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


_PLY_FORMATS: Final = ("ascii", "binary_little_endian", "binary_big_endian")


@dataclass(frozen=True)
class _PlyProperty:
    """One property of a PLY element: numpy type code, and the count's for a list."""

    name: str
    code: str
    count_code: str | None = None


@dataclass(frozen=True)
class PlyElement:
    """One element declared in a PLY header."""

    name: str
    count: int
    properties: tuple[_PlyProperty, ...]

    @property
    def has_lists(self) -> bool:
        """Whether any property is a list (items then vary in size)."""
        return any(prop.count_code for prop in self.properties)


@dataclass(frozen=True)
class PlyColumns:
    """An element's values: scalars by property name, lists as (flat values, lengths)."""

    scalars: dict[str, np.ndarray]
    lists: dict[str, tuple[np.ndarray, IntArray]]


def parse_ply_header(data: bytes, name: str) -> tuple[str, list[PlyElement], int, int]:
    """Parse a PLY header.

    Returns
    -------
    format : str
        ``"ascii"``, ``"binary_little_endian"`` or ``"binary_big_endian"``.
    elements : list of PlyElement
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
    elements: list[PlyElement] = []
    for line_no, line in enumerate(header, start=1):
        words = line.split()
        try:
            if words[0] == "format":
                fmt = words[1]
            elif words[0] == "element":
                elements.append(PlyElement(words[1], int(words[2]), ()))
            elif words[0] == "property":
                prop = (
                    _PlyProperty(words[4], _PLY_TYPES[words[3]], _PLY_TYPES[words[2]])
                    if words[1] == "list"
                    else _PlyProperty(words[2], _PLY_TYPES[words[1]])
                )
                last = elements[-1]
                elements[-1] = PlyElement(last.name, last.count, (*last.properties, prop))
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
