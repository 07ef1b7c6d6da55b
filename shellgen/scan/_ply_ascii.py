"""The elements of an ascii PLY, one item per line."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from shellgen._typing import FloatArray, IntArray
from shellgen.errors import ScanError
from shellgen.scan._geometry import parse_table
from shellgen.scan._ply_header import PlyColumns, PlyElement

__all__ = ["read_ascii_element"]


def read_ascii_element(
    lines: list[str], start: int, header_lines: int, element: PlyElement, name: str
) -> PlyColumns:
    """Read one element of an ascii PLY, one item per line, from ``lines[start:]``."""
    rows = lines[start : start + element.count]
    if len(rows) < element.count:
        raise ScanError(
            f"{name}: PLY file ends after {len(rows)} of {element.count} {element.name} "
            "lines; the file is truncated, re-export or re-copy it"
        )
    numbers = range(header_lines + start + 1, header_lines + start + 1 + len(rows))
    if not element.has_lists:
        table = parse_table(rows, numbers, name, n_columns=len(element.properties))
        return PlyColumns({p.name: table[:, i] for i, p in enumerate(element.properties)}, {})
    try:
        table = np.loadtxt(rows, dtype=np.float64, ndmin=2, comments=None)
    except ValueError:  # items of differing sizes (e.g. triangles and quads)
        table = np.empty((0, 0))
    columns = _split_uniform_table(table, element) if len(table) else None
    return columns if columns is not None else _read_ascii_items(rows, numbers, element, name)


def _split_uniform_table(table: FloatArray, element: PlyElement) -> PlyColumns | None:
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
    return PlyColumns(scalars, lists) if column == table.shape[1] else None


def _read_ascii_items(
    rows: Sequence[str], numbers: range, element: PlyElement, name: str
) -> PlyColumns:
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
    return PlyColumns(
        {key: np.asarray(vals) for key, vals in scalars.items()},
        {key: (np.asarray(values[key]), np.asarray(lengths[key], np.int64)) for key in values},
    )
