"""Reading a shoe's insole outline (CSV, SVG or DXF points), scaled to the shoe's size.

The outline is a closed ring of points in millimetres, drawn with the toe toward +x and the
medial side toward +y (as the insole of a right shoe seen from above; a left foot is handled
as a right one, so the same outline serves both). SVG's y axis points down: it is flipped.

- CSV: one ``x,y`` pair a line; a first line that is not two numbers is a header.
- SVG: the first ``<polygon>`` or ``<polyline>`` (``points``), or ``<path>`` of straight
  segments only (``M``, ``L``, ``H``, ``V``, ``Z``, absolute or relative); curves are refused,
  flatten them in the drawing program first. Hand-written because it needs only these few
  commands (lxml parses the XML).
- DXF: the first ``LWPOLYLINE`` or ``POLYLINE`` of the modelspace (ezdxf).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
from lxml import etree

from shellgen._typing import FloatArray
from shellgen.errors import ProfileError

__all__ = ["read_insole"]

_SUFFIXES = (".csv", ".svg", ".dxf")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def read_insole(path: str | Path, length_mm: float = 0.0) -> tuple[tuple[float, float], ...]:
    """The insole outline's points, mm, scaled to ``length_mm`` along x (0: as drawn).

    Parameters
    ----------
    path : str or Path
        A ``.csv``, ``.svg`` or ``.dxf`` file.
    length_mm : float
        The insole's length (heel to toe) for this shoe size, mm; the outline is scaled
        uniformly to it. 0 keeps the drawing's size.

    Raises
    ------
    ProfileError
        If the file cannot be read, holds no outline of at least 3 points, or is of another
        type.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise ProfileError(
            f"shoe_outline = {str(path)!r}: not a shoe outline file; allowed: a .csv, .svg or "
            ".dxf file"
        )
    try:
        if suffix == ".csv":
            points = _csv_points(path)
        elif suffix == ".svg":
            points = _svg_points(path)
        else:
            points = _dxf_points(path)
    except OSError as exc:
        raise ProfileError(f"shoe_outline = {str(path)!r}: cannot read it ({exc})") from None
    if len(points) < 3 or np.ptp(points[:, 0]) <= 0 or np.ptp(points[:, 1]) <= 0:
        raise ProfileError(
            f"shoe_outline = {str(path)!r}: {len(points)} points enclose no area; allowed: a "
            "closed outline of at least 3 points"
        )
    if length_mm > 0.0:
        points = points * (length_mm / np.ptp(points[:, 0]))
    return tuple((float(x), float(y)) for x, y in points)


def _csv_points(path: Path) -> FloatArray:
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            cells = [c.strip() for c in row if c.strip()]
            if not cells:
                continue
            try:
                x, y = (float(c) for c in cells)
            except ValueError:
                if number == 1:
                    continue  # a header
                raise ProfileError(
                    f"shoe_outline = {str(path)!r}: line {number} is {','.join(cells)!r}; "
                    "allowed: two numbers x,y (mm)"
                ) from None
            rows.append((x, y))
    return np.asarray(rows, dtype=np.float64).reshape(-1, 2)


def _svg_points(path: Path) -> FloatArray:
    try:
        root = etree.parse(str(path)).getroot()
    except etree.XMLSyntaxError as exc:
        raise ProfileError(f"shoe_outline = {str(path)!r}: not valid SVG ({exc})") from None
    for element in root.iter():
        tag = etree.QName(element).localname if isinstance(element.tag, str) else ""
        if tag in ("polygon", "polyline"):
            values = [float(v) for v in re.findall(_NUMBER, element.get("points", ""))]
            pts = np.asarray(values[: len(values) // 2 * 2], dtype=np.float64).reshape(-1, 2)
        elif tag == "path":
            pts = _path_points(path, element.get("d", ""))
        else:
            continue
        return pts * np.array([1.0, -1.0])  # SVG's y points down
    raise ProfileError(
        f"shoe_outline = {str(path)!r}: no <polygon>, <polyline> or <path> in the SVG"
    )


def _path_points(path: Path, d: str) -> FloatArray:
    """The vertices of an SVG path of straight segments."""
    tokens = re.findall(rf"[A-Za-z]|{_NUMBER}", d)
    pts: list[tuple[float, float]] = []
    x = y = 0.0
    command = ""
    i = 0
    while i < len(tokens):
        if tokens[i].isalpha():
            command = tokens[i]
            i += 1
            if command in "Zz":
                continue
        if command not in "MmLlHhVv" or not command:
            raise ProfileError(
                f"shoe_outline = {str(path)!r}: path command {command!r} is a curve; allowed: "
                "straight segments (M, L, H, V, Z): flatten the curves first"
            )
        relative = command.islower()
        if command in "Hh":
            x = float(tokens[i]) + (x if relative else 0.0)
            i += 1
        elif command in "Vv":
            y = float(tokens[i]) + (y if relative else 0.0)
            i += 1
        else:
            dx, dy = float(tokens[i]), float(tokens[i + 1])
            x, y = (x + dx, y + dy) if relative else (dx, dy)
            i += 2
        pts.append((x, y))
    return np.asarray(pts, dtype=np.float64).reshape(-1, 2)


def _dxf_points(path: Path) -> FloatArray:
    import ezdxf  # only for DXF outlines
    from ezdxf.entities import LWPolyline, Polyline

    try:
        doc = ezdxf.readfile(str(path))
    except ezdxf.DXFError as exc:
        raise ProfileError(f"shoe_outline = {str(path)!r}: not a valid DXF ({exc})") from None
    for entity in doc.modelspace().query("LWPOLYLINE POLYLINE"):
        if isinstance(entity, LWPolyline):
            return np.asarray(list(entity.get_points("xy")), dtype=np.float64).reshape(-1, 2)
        if isinstance(entity, Polyline):
            return np.asarray([v.dxf.location[:2] for v in entity.vertices], dtype=np.float64)
    raise ProfileError(f"shoe_outline = {str(path)!r}: no LWPOLYLINE or POLYLINE in the DXF")
