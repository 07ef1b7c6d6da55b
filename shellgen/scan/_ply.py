"""``read_ply``: an ascii or binary PLY point cloud or polygon mesh.

The header is parsed by ``_ply_header``, the elements read by ``_ply_ascii`` or
``_ply_binary``; only the vertex and face elements are read.

An own parser, kept because each library measured is worse on PLY (issue 15;
``benchmarks/formats.md`` for the times, ``tests/scan/test_reader_choice.py`` for the
files): on a 5 M-point binary cloud it parses in 0.22 s where trimesh takes 1.3 s, open3d
1.4 s and plyfile 100 s (same busy machine); plyfile is also 6 times slower on ascii and
150 times on a binary mesh; trimesh returns a truncated ascii file silently short and
open3d makes up the points a truncated file lacks. (trimesh parses a binary PLY mesh of
327 k faces faster, 0.02 s against 0.07 s: too little to keep two paths.) Binary data is
read with one NumPy structured ``frombuffer`` per element, ascii with ``numpy.loadtxt``.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from shellgen.errors import ScanError
from shellgen.scan._geometry import Geometry, check_indices, decode, fan
from shellgen.scan._ply_ascii import read_ascii_element
from shellgen.scan._ply_binary import read_binary_element
from shellgen.scan._ply_header import PlyColumns, parse_ply_header

__all__ = ["read_ply"]

_FACE_LIST_NAMES: Final = ("vertex_indices", "vertex_index")


def read_ply(data: bytes, name: str) -> Geometry:
    """Read an ascii or binary (either endian) PLY point cloud or polygon mesh."""
    fmt, elements, body_start, header_lines = parse_ply_header(data, name)
    wanted = {element.name for element in elements} & {"vertex", "face"}
    if "vertex" not in wanted:
        raise ScanError(f"{name}: PLY header declares no vertex element; it holds no scan")
    columns: dict[str, PlyColumns] = {}
    if fmt == "ascii":
        lines = decode(data[body_start:], name, "PLY").splitlines()
        position = 0
        for element in elements:
            if element.name in wanted:
                columns[element.name] = read_ascii_element(
                    lines, position, header_lines, element, name
                )
            position += element.count
            if wanted <= columns.keys():
                break
    else:
        endian = "<" if fmt == "binary_little_endian" else ">"
        offset = body_start
        for element in elements:
            columns[element.name], offset = read_binary_element(data, offset, element, endian, name)
            if wanted <= columns.keys():
                break

    vertex = columns["vertex"].scalars
    missing = [axis for axis in "xyz" if axis not in vertex]
    if missing:
        raise ScanError(
            f"{name}: PLY vertex element has no {'/'.join(missing)} property; "
            "export the scan with vertex positions"
        )
    vertices = np.empty((len(vertex["x"]), 3))
    for column, axis in enumerate("xyz"):
        vertices[:, column] = vertex[axis]
    face_lists = columns["face"].lists if "face" in columns else {}
    if not face_lists:
        return Geometry(vertices, None, 0)
    list_name = next((n for n in _FACE_LIST_NAMES if n in face_lists), next(iter(face_lists)))
    flat, lengths = face_lists[list_name]
    if len(lengths) == 0:
        return Geometry(vertices, None, 0)
    triangles = check_indices(fan(flat.astype(np.int64), lengths), len(vertices), name)
    return Geometry(vertices, triangles, len(lengths))
