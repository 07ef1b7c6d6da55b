"""Reading scans (``load``) and putting them into the foot frame (``prepare``).

``load`` (in ``_load``) picks a reader by the file's extension, drops non-finite points and
densifies meshes with surface samples. Every reader turns the file's bytes into a
``Geometry`` (``_geometry``, with the helpers the readers share: text tables, decoding,
polygon fans, face index checks): ``_ply`` for PLY, from ``_ply_header`` (the declared
format and elements), ``_ply_ascii`` and ``_ply_binary`` (the elements' values); ``_pcd``
for PCD; ``_text`` for XYZ, PTS and CSV; ``_obj`` for OBJ; ``_stl`` for STL.

``prepare`` (in ``_prepare``) cleans a raw scan and puts it into the foot frame, millimetres,
with the geometry of ``_frame`` (support plane, foot axis, heel, side). ``_model`` holds the
values (:class:`RawScan`, :class:`Scan`, :class:`ScanSource`).
"""

from shellgen.scan._load import load
from shellgen.scan._model import Kind, RawScan, Scan, ScanSource, Side, Units
from shellgen.scan._prepare import prepare

__all__ = ["Kind", "RawScan", "Scan", "ScanSource", "Side", "Units", "load", "prepare"]
