"""The values that flow out of ``analyze``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.ndimage import map_coordinates
from shapely.geometry import MultiPolygon, Polygon

from shellgen._typing import FloatArray
from shellgen.scan import Scan

__all__ = ["Arch", "ArchType", "Foot", "HeightField", "Landmarks", "Measures", "Point2"]

ArchType = Literal["high", "normal", "low"]
Point2 = tuple[float, float]


@dataclass(frozen=True, eq=False)
class HeightField:
    """A surface ``z(x, y)`` sampled on a regular grid in the foot frame.

    Attributes
    ----------
    x0_mm, y0_mm : float
        Foot-frame coordinates of grid node ``[0, 0]``, mm.
    spacing_mm : float
        Grid spacing along x and y, mm.
    z_mm : (ny, nx) float
        Heights above the support plane, mm; ``z_mm[j, i]`` is at
        ``(x0_mm + i * spacing_mm, y0_mm + j * spacing_mm)``. NaN where undefined.
    """

    x0_mm: float
    y0_mm: float
    spacing_mm: float
    z_mm: FloatArray

    @property
    def xs_mm(self) -> FloatArray:
        """(nx,) float: x of every grid column, mm."""
        return self.x0_mm + self.spacing_mm * np.arange(self.z_mm.shape[1], dtype=np.float64)

    @property
    def ys_mm(self) -> FloatArray:
        """(ny,) float: y of every grid row, mm."""
        return self.y0_mm + self.spacing_mm * np.arange(self.z_mm.shape[0], dtype=np.float64)

    def sample(self, x_mm: FloatArray, y_mm: FloatArray) -> FloatArray:
        """Bilinear interpolation of the field.

        Parameters
        ----------
        x_mm, y_mm : (...) float
            Foot-frame coordinates, mm.

        Returns
        -------
        (...) float
            Heights, mm; NaN outside the grid or next to an undefined node.
        """
        x = np.asarray(x_mm, dtype=np.float64)
        y = np.asarray(y_mm, dtype=np.float64)
        cols = (x - self.x0_mm) / self.spacing_mm
        rows = (y - self.y0_mm) / self.spacing_mm
        out = map_coordinates(
            self.z_mm, [rows.ravel(), cols.ravel()], order=1, mode="constant", cval=np.nan
        )
        return np.asarray(out, dtype=np.float64).reshape(x.shape)


@dataclass(frozen=True)
class Landmarks:
    """Plantar landmarks, (x, y) in the foot frame, mm.

    The ball line runs from ``mth1`` to ``mth5``.
    """

    heel_centre: Point2
    heel_medial: Point2
    heel_lateral: Point2
    mth1: Point2
    mth5: Point2
    arch_apex: Point2
    toe_tip: Point2

    def as_dict(self) -> dict[str, list[float]]:
        """Name -> [x, y] in mm, rounded to 0.01 mm, as the JSON report writes them."""
        return {
            name: [round(float(v[0]), 2), round(float(v[1]), 2)]
            for name, v in self.__dict__.items()
        }


@dataclass(frozen=True, eq=False)
class Arch:
    """The medial longitudinal arch.

    Attributes
    ----------
    height_mm : float
        Maximum of the medial arch profile between 30 % and 70 % of foot length.
    apex_x_mm : float
        x of that maximum, mm from the rearmost heel point.
    index : float
        Cavanagh & Rodgers arch index: midfoot contact area over total (toes excluded).
    type : {"high", "normal", "low"}
        From ``index`` with the cut-offs in :mod:`shellgen.limits`.
    profile_x_mm, profile_z_mm : (k,) float
        The medial arch profile: at each station x, the plantar height at the medial edge
        of the plantar region.
    """

    height_mm: float
    apex_x_mm: float
    index: float
    type: ArchType
    profile_x_mm: FloatArray
    profile_z_mm: FloatArray


@dataclass(frozen=True, eq=False)
class Measures:
    """What the definitions of ``_measure`` find on a plantar height field, foot frame, mm.

    Attributes
    ----------
    footprint : Polygon
        Silhouette of the foot seen from below.
    plantar_region : Polygon
        Where the sole's slope is at most 45 degrees, the connected region around the sole.
    contact_region : MultiPolygon
        Where the sole is within the contact threshold of the support plane.
    standing : bool
        Whether the scan looks weight-bearing (heel and forefoot both in contact).
    landmarks : Landmarks
        Plantar landmarks.
    foot_length_mm, ball_width_mm, heel_width_mm, arch_length_mm : float
        Length heel to longest toe along x; widest footprint width across x; heel width;
        heel (rearmost point) to MTH1 along x.
    arch : Arch
        Medial arch measures.
    """

    footprint: Polygon
    plantar_region: Polygon
    contact_region: MultiPolygon
    standing: bool
    landmarks: Landmarks
    foot_length_mm: float
    ball_width_mm: float
    heel_width_mm: float
    arch_length_mm: float
    arch: Arch


@dataclass(frozen=True, eq=False, kw_only=True)
class Foot(Measures):
    """What shellgen measured on one prepared scan, foot frame, mm: the :class:`Measures`
    of its plantar height field, with the scan and the field.

    Attributes
    ----------
    scan : Scan
        The prepared scan this was measured on.
    plantar : HeightField
        The underside of the foot, lightly smoothed, gaps filled; NaN outside the footprint.
    """

    scan: Scan
    plantar: HeightField
