"""``validate``: printability checks on a closed triangle mesh, each with a measured value.

Every check measures something (an edge count, a thickness in mm, a volume) and compares it
with a stated limit, in the way CadQuery's ``check()`` returns findings instead of raising.
:func:`validate` never raises on a bad mesh: it reports what is wrong, and ``export`` refuses a
failing report unless forced.

Topology is judged on vertex *positions*: vertices at the same coordinates are one vertex,
as every slicer merges them when it reads an STL.

The checks are vectorised numpy over (3, m) arrays (one row per axis), fast enough to run
after every rebuild: one index of the faces by (x, y) cells serves both the search for faces
that cross and the rays that measure the walls. A shell is two height fields joined by side
walls: seen from above, its top faces tile the footprint, and so do its bottom faces; once
that is proven (``_tiling._tiling_steps``), faces of the same side are not paired at all.

The modules: ``_validate`` (:func:`validate`, which runs every check in report order) and
``_report`` (:class:`Check`, :class:`Report`); the checks in ``_topology`` (edges and faces on
merged vertices: ``watertight``, ``winding``, ``one_body``, ``degenerate_faces``,
``duplicate_faces``), ``_intersections`` (``self_intersections``), ``_wall``
(``min_wall_mm``), ``_volume`` (``build_volume``, ``volume_cm3``, ``mass_g``) and
``_outline`` (``inside_outline``); what they share in ``_columns`` (the (x, y) column index of
the faces and its query), ``_tiling`` (which way each face faces, and the tiling proof) and
``_arrays`` (vector products, sorting and ranking helpers, the crossing tolerance).
"""

from shellgen.validation._outline import OUTLINE_MARGIN_MM
from shellgen.validation._report import Check, Report
from shellgen.validation._validate import MeshLike, validate
from shellgen.validation._wall import WALL_GRID_MM

__all__ = [
    "OUTLINE_MARGIN_MM",
    "WALL_GRID_MM",
    "Check",
    "MeshLike",
    "Report",
    "validate",
]
