"""STEP export: the shell as one closed, valid B-rep solid, through OCP (CadQuery's OpenCASCADE).

The solid is *faceted*: one planar face per triangle of the validated shell mesh (coplanar
neighbours then merged into one face, so the flat underside is one face in CAD), sharing
vertices and edges, in one closed shell. It is not a B-spline fit of the two height fields
and the side wall, for three reasons measured on the shells shellgen builds:

- the mesh is the design that was validated (wall thickness, printability) and that the
  STL/3MF carry; the faceted solid is that design exactly (same volume to rounding, every
  point of its surface on the STL's), where a fit is another shape;
- a shell is not two height fields and a wall only: the engraved label, the slots
  (holes through the shell) and the rounded rim are details of 0.6 mm to 2 mm that a
  smooth surface fitted within 0.1 mm everywhere would need trimmed patches for, one
  per feature;
- building the topology directly (each mesh edge made once and shared by its two faces)
  is exact and several times faster than sewing free triangles: for a 23 k-triangle
  shell 3.5 s against 21 s for ``BRepBuilderAPI_Sewing`` (``benchmarks/formats.md``).

A 23 k-triangle shell gives a 13 to 19 MB file in 7 to 19 s on a busy 2-core machine
(solid 3 s, merging coplanar faces 3 to 5 s, the rest OCP's STEP translation and writing).

The file is in millimetres, in the frame of the STL written beside it (the patient's side,
underside on z = 0), its product named after the file, and carries no time stamp: the same
shell gives the same bytes. OCP's import takes about 1.5 s, so nothing else in shellgen
imports this module: :func:`shellgen.export.export_shell` does, only when STEP is asked for.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import ArrayLike
from OCP.APIHeaderSection import APIHeaderSection_MakeHeader
from OCP.BRep import BRep_Builder
from OCP.BRepBuilderAPI import (
    BRepBuilderAPI_MakeEdge,
    BRepBuilderAPI_MakeFace,
    BRepBuilderAPI_MakeVertex,
)
from OCP.gp import gp_Dir, gp_Pln, gp_Pnt
from OCP.IFSelect import IFSelect_ReturnStatus
from OCP.Interface import Interface_Static
from OCP.Message import Message, Message_Gravity
from OCP.ShapeUpgrade import ShapeUpgrade_UnifySameDomain
from OCP.STEPCAFControl import STEPCAFControl_Writer
from OCP.STEPControl import STEPControl_AsIs
from OCP.TCollection import TCollection_ExtendedString, TCollection_HAsciiString
from OCP.TDataStd import TDataStd_Name
from OCP.TDocStd import TDocStd_Document
from OCP.TopoDS import TopoDS_Edge, TopoDS_Shape, TopoDS_Shell, TopoDS_Solid, TopoDS_Wire
from OCP.XCAFDoc import XCAFDoc_DocumentTool

from shellgen.errors import GeometryError

__all__ = ["faceted_solid", "write_step"]

#: The time stamp written in the STEP header instead of the clock (ISO 8601).
_TIME_STAMP: Final = "1970-01-01T00:00:00"
#: Least triangle area that still defines a plane, mm².
_MIN_AREA_MM2: Final = 1e-12


def faceted_solid(vertices: ArrayLike, faces: ArrayLike) -> TopoDS_Solid:
    """A closed triangle mesh as one B-rep solid: a planar face per triangle, edges shared.

    Parameters
    ----------
    vertices : (n, 3) float
        Vertex positions, mm.
    faces : (m, 3) int
        Triangles, counter-clockwise seen from outside; every edge used by exactly two.

    Returns
    -------
    TopoDS_Solid
        The solid (valid for ``BRepCheck_Analyzer``), coplanar neighbours unmerged.

    Raises
    ------
    GeometryError
        If a triangle has no area, or the mesh is not closed and consistently oriented
        (then the solid would not be valid).
    """
    v = np.asarray(vertices, dtype=np.float64).reshape(-1, 3)
    f = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    _require_closed_and_oriented(f)
    normals = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    doubled_area = np.linalg.norm(normals, axis=1)
    if np.any(doubled_area <= 2 * _MIN_AREA_MM2):
        index = int(np.argmin(doubled_area))
        raise GeometryError(
            f"cannot write STEP: triangle {index} has no area; validate and repair the mesh"
        )
    normals /= doubled_area[:, None]
    builder = BRep_Builder()
    points = [BRepBuilderAPI_MakeVertex(gp_Pnt(*p)).Vertex() for p in v.tolist()]
    edges: dict[tuple[int, int], TopoDS_Edge] = {}
    shell = TopoDS_Shell()
    builder.MakeShell(shell)
    for triangle, normal in zip(f.tolist(), normals.tolist(), strict=True):
        wire = TopoDS_Wire()
        builder.MakeWire(wire)
        for a, b in zip(triangle, triangle[1:] + triangle[:1], strict=True):
            key = (a, b) if a < b else (b, a)
            edge = edges.get(key)
            if edge is None:
                edge = BRepBuilderAPI_MakeEdge(points[key[0]], points[key[1]]).Edge()
                edges[key] = edge
            builder.Add(wire, edge if a < b else edge.Reversed())
        wire.Closed(True)
        # the plane's normal is the triangle's, so the wire runs counter-clockwise on it
        plane = gp_Pln(gp_Pnt(*v[triangle[0]].tolist()), gp_Dir(*normal))
        builder.Add(shell, BRepBuilderAPI_MakeFace(plane, wire, True).Face())
    shell.Closed(True)
    solid = TopoDS_Solid()
    builder.MakeSolid(solid)
    builder.Add(solid, shell)
    return solid


def _require_closed_and_oriented(faces: np.ndarray) -> None:
    """Every directed edge once, and its reverse once: each edge between two faces, oriented.

    What ``BRepCheck_Analyzer`` would find wrong in the solid, in NumPy: milliseconds where
    the analyser takes about 6 s for a 23 k-triangle shell.
    """
    directed = np.stack([faces, np.roll(faces, -1, axis=1)], axis=2).reshape(-1, 2)
    keys = directed[:, 0] * (int(faces.max(initial=0)) + 1) + directed[:, 1]
    reverse = directed[:, 1] * (int(faces.max(initial=0)) + 1) + directed[:, 0]
    unique = np.unique(keys)
    if len(faces) == 0 or len(unique) != len(keys) or not np.isin(reverse, unique).all():
        raise GeometryError(
            "cannot write STEP: the mesh is not one closed, consistently oriented surface; "
            "validate the shell first"
        )


def _merge_coplanar(solid: TopoDS_Solid) -> TopoDS_Shape:
    """Merge neighbouring coplanar faces and collinear edges into one (same geometry)."""
    unify = ShapeUpgrade_UnifySameDomain(solid, True, True, False)
    unify.Build()
    return unify.Shape()


def write_step(
    path: str | os.PathLike[str], vertices: ArrayLike, faces: ArrayLike, *, name: str
) -> Path:
    """Write a closed triangle mesh as a STEP (AP214) solid in millimetres.

    Not atomic by itself: :func:`shellgen.export.export_shell` gives it a temporary name.

    Parameters
    ----------
    path : path-like
        Destination file.
    vertices : (n, 3) float
        Vertex positions, mm, in the frame the file should have.
    faces : (m, 3) int
        Triangles, counter-clockwise seen from outside.
    name : str
        The product's name in the file.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    GeometryError
        If the mesh is not a valid closed solid, or OCP fails to write the file.
    """
    shape = _merge_coplanar(faceted_solid(vertices, faces))
    document = TDocStd_Document(TCollection_ExtendedString("XmlOcaf"))
    label = XCAFDoc_DocumentTool.ShapeTool_s(document.Main()).AddShape(shape, False)
    TDataStd_Name.Set_s(label, TCollection_ExtendedString(name))
    printers = list(Message.DefaultMessenger_s().Printers())
    levels = [printer.GetTraceLevel() for printer in printers]
    try:  # OCP prints transfer statistics on stdout: only failures while we write
        for printer in printers:
            printer.SetTraceLevel(Message_Gravity.Message_Fail)
        writer = STEPCAFControl_Writer()  # its controller resets the settings: set them after
        Interface_Static.SetCVal_s("write.step.unit", "MM")
        Interface_Static.SetCVal_s("write.step.schema", "AP214IS")
        # no 2D copies of the edges on each plane (PCURVEs): half the size, same solid
        Interface_Static.SetIVal_s("write.surfacecurve.mode", 0)
        writer.Transfer(document, STEPControl_AsIs)
        header = APIHeaderSection_MakeHeader(writer.ChangeWriter().Model())
        header.SetName(TCollection_HAsciiString(name))
        header.SetTimeStamp(TCollection_HAsciiString(_TIME_STAMP))
        header.SetOriginatingSystem(TCollection_HAsciiString("shellgen"))
        status = writer.Write(str(path))
    finally:
        for printer, level in zip(printers, levels, strict=True):
            printer.SetTraceLevel(level)
    if status != IFSelect_ReturnStatus.IFSelect_RetDone:
        raise GeometryError(f"OCP could not write {str(path)!r}; check the disk and folder")
    return Path(path)
