"""The elements of a binary PLY, little- or big-endian."""

from __future__ import annotations

import struct
from typing import Final

import numpy as np

from shellgen.errors import ScanError
from shellgen.scan._ply_header import PlyColumns, PlyElement

__all__ = ["read_binary_element"]

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


def read_binary_element(
    data: bytes, offset: int, element: PlyElement, endian: str, name: str
) -> tuple[PlyColumns, int]:
    """Read one element of a binary PLY at byte ``offset``; return it and the next offset.

    Elements of fixed-size items (vertices; all-triangle faces) are read in one
    ``np.frombuffer`` call; only items of differing sizes are read one by one.
    """
    if element.count == 0:
        return PlyColumns(
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
            return PlyColumns(scalars, lists), end
    elif not lengths:
        _raise_truncated(data, end, element, name)
    return _read_binary_items(data, offset, element, endian, name)


def _first_item_lengths(
    data: bytes, offset: int, element: PlyElement, endian: str, name: str
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
    data: bytes, offset: int, element: PlyElement, endian: str, name: str
) -> tuple[PlyColumns, int]:
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
    columns = PlyColumns(
        {key: np.asarray(vals) for key, vals in scalars.items()},
        {key: (np.asarray(values[key]), np.asarray(lengths[key], np.int64)) for key in values},
    )
    return columns, offset


def _raise_truncated(data: bytes, end: int, element: PlyElement, name: str) -> None:
    """Raise the ScanError for a binary PLY element that runs past the end of the file."""
    raise ScanError(
        f"{name}: binary PLY is truncated: its {element.count} {element.name} items need "
        f"{'at least ' if element.has_lists else ''}{end} bytes but the file has "
        f"{len(data)}; re-export or re-copy the scan"
    )
