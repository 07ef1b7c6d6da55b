"""Print preparation: finished shells arranged flat on build plates, one 3MF per plate.

Each shell is placed as printed (underside down), turned about z and moved only, so that
its engraved label (order id and side) stays readable on its underside and the parts can
be sorted after printing. Shells are packed by their footprint seen from above: the
oriented bounding box of its convex hull, turned by a multiple of 90 degrees if that fits
better (:mod:`trimesh.path.packing`). Parts stand at least ``gap_mm`` apart and
``gap_mm / 2`` from the bed's edges. When a plate is full the next one starts: plate 1 is
written to the given path (``plate.3mf``), plate k to ``plate-k.3mf``, each with a top-view
picture (``plate.png``, ``plate-k.png``) naming every part.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import shapely
import shapely.affinity
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from shapely.geometry import Polygon
from trimesh.path import packing
from trimesh.path.polygons import polygon_obb

from shellgen import __version__
from shellgen._typing import FloatArray, IntArray
from shellgen.errors import GeometryError, ProfileError, ScanError
from shellgen.export import atomic_open, read_mesh, write_3mf_objects

__all__ = [
    "DEFAULT_BED_MM",
    "Part",
    "Placement",
    "arrange",
    "footprint",
    "parse_bed",
    "plate_paths",
    "plate_shells",
    "read_parts",
    "shell_files",
]

logger = logging.getLogger(__name__)

#: The default build plate (x, y), mm: a desktop FDM printer's (Prusa MK4S), the one
#: :func:`shellgen.slicer.slice_check` slices for.
DEFAULT_BED_MM: Final = (250.0, 210.0)
#: Insertion orders tried by the packer (the first is largest-first, the others shuffled).
_ITERATIONS: Final = 60
_BED_PATTERN: Final = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*[xX×]\s*(\d+(?:\.\d*)?)\s*$")


@dataclass(frozen=True)
class Part:
    """A finished shell to print.

    Attributes
    ----------
    name : str
        Its name on the plate: the shell's file stem (``<order_id>-L``).
    vertices : (n, 3) float
        Vertex positions as in its file (the patient's side, underside down), mm.
    faces : (m, 3) int
        Triangles, counter-clockwise seen from outside.
    """

    name: str
    vertices: FloatArray
    faces: IntArray


@dataclass(frozen=True)
class Placement:
    """Where one part goes.

    Attributes
    ----------
    name : str
        The part's name.
    plate : int
        Plate number, from 1.
    matrix : (4, 4) float
        Rigid motion from the part's file to the plate: a turn about z and a move, with the
        underside put on z = 0.
    footprint : Polygon
        The placed part seen from above (convex hull), plate frame, mm.
    """

    name: str
    plate: int
    matrix: FloatArray
    footprint: Polygon


def parse_bed(text: str) -> tuple[float, float]:
    """``"250x210"`` -> ``(250.0, 210.0)``: a bed's size in mm.

    Raises
    ------
    ProfileError
        If the text is not two positive numbers joined by ``x``.

    Examples
    --------
    >>> parse_bed("250x210")
    (250.0, 210.0)
    """
    match = _BED_PATTERN.match(text)
    if match is None or min(float(match[1]), float(match[2])) <= 0:
        raise ProfileError(f"--bed {text!r}: give the bed as WIDTHxDEPTH in mm, e.g. 250x210")
    return float(match[1]), float(match[2])


def shell_files(inputs: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The shell files to plate: files as given, and each folder's validated shells.

    In a folder (a batch's output), a shell is a ``<stem>.3mf`` (else ``<stem>.stl``) whose
    report ``<stem>.json`` says it passed validation; shells that failed are left out.

    Raises
    ------
    ScanError
        If an input does not exist, a file is not STL or 3MF, a folder holds no validated
        shell, or two shells have the same name.
    """
    files: list[Path] = []
    for item in map(Path, inputs):
        if item.is_dir():
            found = [s for r in sorted(item.glob("*.json")) if (s := _validated_shell(r))]
            if not found:
                raise ScanError(
                    f"{item} holds no validated shell (<stem>.json with its .3mf or .stl); "
                    "run shellgen batch or build into it first"
                )
            files += found
        elif item.is_file():
            if item.suffix.lower() not in (".stl", ".3mf"):
                raise ScanError(f"{item} is not a shell (.stl or .3mf); give shell files")
            files.append(item)
        else:
            raise ScanError(f"{item} does not exist; give shell files or a batch's folder")
    names = [f.stem for f in files]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ScanError(f"two shells are named {repeated[0]!r}; plate each shell once")
    return files


def _validated_shell(report_path: Path) -> Path | None:
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    validation = report.get("validation") if isinstance(report, dict) else None
    if not isinstance(validation, dict) or validation.get("ok") is not True:
        return None
    for ext in (".3mf", ".stl"):
        shell = report_path.with_suffix(ext)
        if shell.is_file():
            return shell
    return None


def read_parts(files: Sequence[str | os.PathLike[str]]) -> list[Part]:
    """Read shell files as parts named after their stems, sorted by name.

    Raises
    ------
    ScanError
        If a file cannot be read as a mesh.
    """
    parts = []
    for file in map(Path, files):
        mesh = read_mesh(file)
        parts.append(Part(file.stem, np.asarray(mesh.vertices), np.asarray(mesh.faces)))
    return sorted(parts, key=lambda p: p.name)


def footprint(vertices: FloatArray) -> Polygon:
    """A part seen from above: the convex hull of its vertices' (x, y), mm."""
    hull = shapely.convex_hull(shapely.multipoints(np.asarray(vertices)[:, :2]))
    if not isinstance(hull, Polygon) or hull.area <= 0:
        raise GeometryError("a shell is flat or empty seen from above; check the shell file")
    return hull


def arrange(
    footprints: Sequence[Polygon],
    *,
    bed_mm: tuple[float, float] = DEFAULT_BED_MM,
    gap_mm: float = 5.0,
) -> list[tuple[int, FloatArray]]:
    """Pack footprints onto as few plates as the packer finds, without overlap.

    Parameters
    ----------
    footprints : sequence of Polygon
        Parts seen from above, mm.
    bed_mm : (float, float)
        The plate's size (x, y), mm; it spans (0, 0) to ``bed_mm``.
    gap_mm : float
        Least distance between the bounding boxes of two parts; half of it to the edges.

    Returns
    -------
    list of (int, (3, 3) float)
        For each footprint, its plate (from 1) and the rigid 2D motion (a turn and a move,
        never a mirror) that places it.

    Raises
    ------
    GeometryError
        If a part does not fit on an empty plate, or ``gap_mm`` is negative.
    """
    if gap_mm < 0:
        raise GeometryError(f"gap {gap_mm} mm is negative; give a gap of 0 mm or more")
    bed = np.asarray(bed_mm, dtype=np.float64)
    obb = [_rigid_obb(p) for p in footprints]
    extents = np.array([e for _, e in obb]).reshape(-1, 2) + gap_mm
    for polygon, size in zip(footprints, extents, strict=True):
        if not (np.all(size <= bed) or np.all(size[::-1] <= bed)):
            w, h = size - gap_mm
            raise GeometryError(
                f"a {w:.0f} x {h:.0f} mm shell (at {polygon.centroid.x:.0f}, "
                f"{polygon.centroid.y:.0f}) does not fit a {bed[0]:g} x {bed[1]:g} mm bed "
                f"with a {gap_mm:g} mm gap; give a larger --bed or a smaller --gap-mm"
            )
    placed: list[tuple[int, FloatArray] | None] = [None] * len(footprints)
    remaining = np.arange(len(footprints))
    plate = 0
    while remaining.size:
        plate += 1
        bounds, consumed = _pack(extents[remaining], bed)
        chosen = remaining[consumed]
        rolls = packing.roll_transform(bounds=bounds, extents=extents[chosen])
        for index, roll in zip(chosen, rolls, strict=True):
            # the OBB motion centres the part at the origin, the roll centres it in its box
            placed[index] = (plate, roll @ obb[index][0])
        remaining = remaining[~consumed]
    return [p for p in placed if p is not None]


def _rigid_obb(polygon: Polygon) -> tuple[FloatArray, FloatArray]:
    """The oriented bounding box: a rigid motion centring it at the origin, and its size."""
    matrix, extents = polygon_obb(polygon)
    matrix = np.asarray(matrix, dtype=np.float64)
    if np.linalg.det(matrix[:2, :2]) < 0:  # a mirror would swap left and right shells
        matrix = np.diag([1.0, -1.0, 1.0]) @ matrix
    return matrix, np.asarray(extents, dtype=np.float64)


def _pack(extents: FloatArray, bed: FloatArray) -> tuple[FloatArray, np.ndarray]:
    """Boxes placed on one bed, the insertion order that places the most parts (then area).

    Returns the placed boxes ``(m, 2, 2)`` and which of ``extents`` were placed.
    """
    rng = np.random.default_rng(0)
    best: tuple[int, float, FloatArray, np.ndarray] | None = None
    for i in range(_ITERATIONS):
        bounds, consumed = packing.rectangles_single(
            extents, size=bed, shuffle=i > 0, rotate=True, random=rng
        )
        score = (int(consumed.sum()), float(np.prod(extents[consumed], axis=1).sum()))
        if best is None or score > best[:2]:
            best = (*score, bounds, consumed)
        if consumed.all():
            break
    assert best is not None
    return best[2], best[3]


def plate_paths(path: str | os.PathLike[str], n_plates: int) -> list[Path]:
    """Where plates go: ``path`` for plate 1, ``<stem>-k<suffix>`` beside it for plate k.

    Examples
    --------
    >>> [p.name for p in plate_paths("out/plate.3mf", 3)]
    ['plate.3mf', 'plate-2.3mf', 'plate-3.3mf']
    """
    first = Path(path)
    return [first] + [
        first.with_name(f"{first.stem}-{k}{first.suffix}") for k in range(2, n_plates + 1)
    ]


def plate_shells(
    parts: Sequence[Part],
    path: str | os.PathLike[str],
    *,
    bed_mm: tuple[float, float] = DEFAULT_BED_MM,
    gap_mm: float = 5.0,
) -> list[Placement]:
    """Arrange parts on plates and write each plate as a 3MF (one named object per part).

    Parameters
    ----------
    parts : sequence of Part
        The shells, with unique names.
    path : path-like
        The first plate's ``.3mf``; further plates go beside it (:func:`plate_paths`), each
        with a ``.png`` top view. Written atomically.
    bed_mm, gap_mm
        As for :func:`arrange`.

    Returns
    -------
    list of Placement
        One per part, in the order of ``parts``.

    Raises
    ------
    GeometryError
        If a part does not fit on an empty plate.
    """
    hulls = [footprint(p.vertices) for p in parts]
    placements = []
    for part, hull, (plate, motion) in zip(
        parts, hulls, arrange(hulls, bed_mm=bed_mm, gap_mm=gap_mm), strict=True
    ):
        matrix = np.eye(4)
        matrix[:2, :2] = motion[:2, :2]
        matrix[:2, 3] = motion[:2, 2]
        matrix[2, 3] = -float(part.vertices[:, 2].min())
        placed = shapely.affinity.affine_transform(hull, [*motion[:2, :2].ravel(), *motion[:2, 2]])
        placements.append(Placement(part.name, plate, matrix, placed))
    n_plates = max(p.plate for p in placements)
    for k, target in enumerate(plate_paths(path, n_plates), start=1):
        on_plate = [(part, pl) for part, pl in zip(parts, placements, strict=True) if pl.plate == k]
        objects = [
            (part.name, _moved(part.vertices, pl.matrix), part.faces) for part, pl in on_plate
        ]
        metadata = {
            "Application": f"shellgen {__version__}",
            "Title": f"plate {k} of {n_plates}",
            "shells": ", ".join(part.name for part, _ in on_plate),
        }
        write_3mf_objects(target, objects, metadata=metadata)
        _write_picture(target.with_suffix(".png"), [pl for _, pl in on_plate], bed_mm, k, n_plates)
        logger.info("plate %d: %s", k, metadata["shells"])
    return placements


def _moved(vertices: FloatArray, matrix: FloatArray) -> FloatArray:
    return np.asarray(vertices, dtype=np.float64) @ matrix[:3, :3].T + matrix[:3, 3]


def _write_picture(
    path: Path,
    placements: Sequence[Placement],
    bed_mm: tuple[float, float],
    plate: int,
    n_plates: int,
) -> None:
    """A top view of one plate: the bed, each part's footprint and its name."""
    width, depth = bed_mm
    fig = Figure(figsize=(7.0, 7.0 * depth / width + 0.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.add_patch(Rectangle((0, 0), width, depth, facecolor="0.95", edgecolor="black", lw=1.0))
    for placement in placements:
        xy = np.asarray(placement.footprint.exterior.coords)
        ax.fill(xy[:, 0], xy[:, 1], facecolor="tab:blue", alpha=0.35, edgecolor="tab:blue")
        centre = placement.footprint.centroid
        ax.annotate(
            placement.name,
            (centre.x, centre.y),
            ha="center",
            va="center",
            fontsize=12,
            weight="bold",
        )
    ax.set_xlim(-5, width + 5)
    ax.set_ylim(-5, depth + 5)
    ax.set_aspect("equal")
    ax.set_xlabel("x (mm)")
    ax.set_ylabel("y (mm)")
    ax.set_title(f"plate {plate} of {n_plates}: {len(placements)} shells, {width:g} x {depth:g} mm")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    with atomic_open(path) as fh:
        fh.write(buffer.getvalue())
