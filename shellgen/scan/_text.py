"""``read_text_cloud``: XYZ, PTS and CSV text point clouds."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from shellgen.scan._geometry import Geometry, decode, parse_table

__all__ = ["read_text_cloud"]


def read_text_cloud(data: bytes, name: str) -> Geometry:
    """Read a text point cloud: the first three columns of each line are x, y and z.

    Columns are separated by whitespace or commas (the first data line decides); further
    columns (intensity, colour, normals) are ignored and blank lines skipped. A first line
    that is not numbers is a header, and a first line holding one integer is a PTS count.
    """
    lines = decode(data, name, Path(name).suffix.lstrip(".").upper()).splitlines()
    numbered = [(no, line) for no, line in enumerate(lines, start=1) if line.strip()]
    if numbered:
        first = numbered[0][1].replace(",", " ").split()
        if (len(first) == 1 and first[0].isdigit()) or not _all_numbers(first[:3]):
            numbered = numbered[1:]
    if not numbered:
        return Geometry(np.empty((0, 3)), None, 0)
    delimiter = "," if "," in numbered[0][1] else None
    table = parse_table(
        [line for _, line in numbered],
        [no for no, _ in numbered],
        name,
        usecols=(0, 1, 2),
        delimiter=delimiter,
    )
    return Geometry(table, None, 0)


def _all_numbers(words: Sequence[str]) -> bool:
    """Whether every word parses as a float."""
    try:
        [float(word) for word in words]
    except ValueError:
        return False
    return True
