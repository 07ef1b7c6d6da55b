"""The values that flow out of ``load`` and ``prepare``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shellgen._typing import FloatArray, IntArray

__all__ = ["Kind", "RawScan", "Scan", "ScanSource", "Side", "Units"]

Side = Literal["left", "right"]
Kind = Literal["foot", "plantar", "impression"]
Units = Literal["mm", "cm", "m", "in"]


@dataclass(frozen=True)
class ScanSource:
    """Where a scan came from, for the report.

    Attributes
    ----------
    path : str
        The file as given.
    format : str
        ``"ply"``, ``"pcd"``, ``"xyz"``, ``"pts"``, ``"csv"``, ``"obj"`` or ``"stl"``.
    sha256 : str
        Hex digest of the file's bytes.
    n_points_read : int
        Points (or mesh vertices) in the file, finite or not.
    n_nonfinite_dropped : int
        Points dropped because a coordinate was NaN or infinite.
    n_faces : int
        Mesh faces in the file; 0 for a point cloud.
    """

    path: str
    format: str
    sha256: str
    n_points_read: int
    n_nonfinite_dropped: int
    n_faces: int


@dataclass(frozen=True, eq=False)
class RawScan:
    """A scan as read from its file: scanner coordinates, scanner units.

    Attributes
    ----------
    points : (n, 3) float
        Finite points in the scanner's frame and units: the vertices of a mesh followed by
        area-weighted samples over its faces, or the points of a point cloud.
    faces : (m, 3) int or None
        Triangles indexing into the first ``n_vertices`` rows of ``points``; None for a
        point cloud.
    n_vertices : int
        How many leading rows of ``points`` are mesh vertices (all of them for a cloud).
    source : ScanSource
        Provenance of the file.
    """

    points: FloatArray
    faces: IntArray | None
    n_vertices: int
    source: ScanSource


@dataclass(frozen=True, eq=False)
class Scan:
    """A prepared scan: one right foot in the foot frame, millimetres.

    The foot frame (see DESIGN.md): z up with z = 0 the support plane; x along the foot
    axis from the heel centre toward the second toe, x = 0 at the rearmost heel point;
    +y medial. A left foot has been mirrored (y -> -y) into a right one.

    Attributes
    ----------
    points : (n, 3) float
        Cleaned points of the foot in the foot frame, mm (floor, surround, outliers and
        leg above the crop height removed). For an impression scan these are the points
        of the sole recovered from the negative, already turned into a positive.
    side : {"left", "right"}
        The side of the scanned foot (before mirroring).
    kind : {"foot", "plantar", "impression"}
        What the scan shows.
    kind_detected : bool
        Whether ``kind`` was detected (True) or given (False).
    side_detected : bool
        Whether ``side`` was detected (True) or given (False).
    units : {"mm", "cm", "m", "in"}
        Units of the scanner coordinates.
    units_source : {"detected", "given", "length"}
        How the scale was found: from the foot's size, from ``--units``, or from a known
        foot length (``--length-mm``) for scans with no true scale.
    mm_per_unit : float
        Scale applied to scanner coordinates (for ``--length-mm`` it need not be a unit).
    to_scanner : (4, 4) float
        Homogeneous transform from the foot frame (mm) back to scanner coordinates and
        units, mirroring included: ``p_scanner = to_scanner @ [x, y, z, 1]``.
    n_outliers_removed, n_floor_removed, n_leg_removed : int
        Points removed in each cleaning step.
    source : ScanSource
        Provenance of the file.
    toes : bool
        Whether the scan shows the toes; without them the foot's length is the one given.
    given_length_mm : float or None
        The foot's length as given (``--length-mm``: the scale of a scan without one, or the
        length of a foot whose toes the scan does not show), mm; None when it is measured.
    """

    points: FloatArray
    side: Side
    kind: Kind
    kind_detected: bool
    side_detected: bool
    units: Units
    units_source: Literal["detected", "given", "length"]
    mm_per_unit: float
    to_scanner: FloatArray
    n_outliers_removed: int
    n_floor_removed: int
    n_leg_removed: int
    source: ScanSource
    toes: bool = True
    given_length_mm: float | None = None
