"""The label: glyph regions engraved into the underside of the heel seat (mm)."""

from __future__ import annotations

from functools import reduce

import numpy as np
import shapely
import shapely.affinity
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextPath
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

from shellgen._typing import FloatArray
from shellgen.errors import GeometryError
from shellgen.scan import Side

__all__ = ["GLYPH_STEP_MM", "label_glyphs"]

#: Label cap height, and the smallest it may shrink to so that it fits (mm).
LABEL_CAP_HEIGHT_MM = (8.0, 5.0)
#: Label clearance from the edge of the solid heel seat (mm).
LABEL_CLEARANCE_MM = 2.0
#: Longest segment of a glyph outline in the triangulation (mm).
GLYPH_STEP_MM = 0.5


def _label_lines(text: str, count: int) -> list[str]:
    """Split a label into ``count`` lines of about equal length, at separators if any."""
    lines = [text]
    for _ in range(count - 1):
        longest = max(range(len(lines)), key=lambda i: len(lines[i]))
        line = lines[longest]
        cuts = [i for i, ch in enumerate(line) if ch in " -_/" and 0 < i < len(line) - 1]
        cuts = cuts or list(range(len(line) - 1))
        if not cuts:
            break
        cut = min(cuts, key=lambda i: abs(i - len(line) / 2))
        head, tail = line[: cut + 1].strip(), line[cut + 1 :].strip()
        lines[longest : longest + 1] = [head, tail] if head and tail else [line]
    return lines


def _text_glyphs(lines: list[str], em: float) -> BaseGeometry:
    """Glyph regions of lines of text (DejaVu Sans Bold, em size ``em``), centred lines."""
    font = FontProperties(family="DejaVu Sans", weight="bold")
    parts: list[BaseGeometry] = []
    for k, line in enumerate(lines):
        outlines = TextPath((0.0, -1.2 * em * k), line, size=em, prop=font).to_polygons()
        rings = [Polygon(p) for p in map(np.asarray, outlines) if len(p) >= 4]
        glyphs = reduce(lambda a, b: a.symmetric_difference(b), rings)
        minx, _, maxx, _ = glyphs.bounds
        parts.append(shapely.affinity.translate(glyphs, -0.5 * (minx + maxx)))
    return shapely.union_all(parts)


def label_glyphs(label: str, side: Side, seat: Polygon) -> MultiPolygon | None:
    """Glyph regions of the label, placed on the heel seat to read correctly from below.

    The text runs along +x (heel to toe). Seen from below a right shell shows +x to the
    right and -y up, so text "up" maps to -y; a left shell is mirrored back (y -> -y) by
    ``export``, so its text up maps to +y here and reads correctly from below after that.
    The label is set on one, two or three lines (split at separators), whichever gives the
    largest cap height up to ``LABEL_CAP_HEIGHT_MM[0]`` in the seat inset by
    ``LABEL_CLEARANCE_MM``; below ``LABEL_CAP_HEIGHT_MM[1]`` it does not fit.

    Returns
    -------
    MultiPolygon or None
        Glyph regions (holes are the counters), rings oriented with the glyph on the right
        (exterior clockwise); None for an empty label.

    Raises
    ------
    GeometryError
        If even three lines at the smallest cap height do not fit the heel seat.
    """
    text = " ".join(label.split())
    if not text:
        return None
    em = 100.0
    cap = 0.73 * em  # DejaVu Sans cap height
    room = seat.buffer(-LABEL_CLEARANCE_MM)
    cx, cy = room.centroid.x, room.centroid.y
    largest, smallest = LABEL_CAP_HEIGHT_MM
    best: tuple[float, BaseGeometry] | None = None
    for count in (1, 2, 3):
        glyphs = _text_glyphs(_label_lines(text, count), em)
        minx, miny, maxx, maxy = glyphs.bounds
        w0, h0 = maxx - minx, maxy - miny

        def fits(scale: float, w0: float = w0, h0: float = h0) -> bool:
            w, h = w0 * scale, h0 * scale
            return bool(room.contains(box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)))

        lo, hi = 0.0, largest / cap
        if fits(hi):
            lo = hi
        for _ in range(0 if lo else 12):  # bisect the largest scale whose box fits
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if fits(mid) else (lo, mid)
        if lo * cap >= smallest and (best is None or lo > best[0] + 1e-9):
            centred = shapely.affinity.translate(glyphs, -0.5 * (minx + maxx), -0.5 * (miny + maxy))
            best = (lo, centred)
        if lo >= largest / cap:
            break  # full size: more lines cannot do better
    if best is None:
        raise GeometryError(
            f"label {text!r} does not fit the heel seat ({room.bounds[2] - room.bounds[0]:.0f}"
            f" x {room.bounds[3] - room.bounds[1]:.0f} mm) on up to 3 lines at {smallest} mm "
            "text height: shorten the label"
        )
    scale, glyphs = best
    sign = -1.0 if side == "right" else 1.0

    def place(p: FloatArray) -> FloatArray:
        return np.column_stack([cx + p[:, 0] * scale, cy + sign * p[:, 1] * scale])

    placed = shapely.simplify(shapely.transform(glyphs, place), 0.04)
    parts = [g for g in getattr(placed, "geoms", [placed]) if isinstance(g, Polygon)]
    return shapely.orient_polygons(MultiPolygon(parts), exterior_cw=True)
