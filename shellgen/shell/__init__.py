"""``build``: the solid orthotic shell, watertight by construction (see DESIGN.md).

The shell is a 2D region seen from above (its outline: the plantar region trimmed to length,
widened onto the side of the foot where the heel cup and flanges rise, with the relief slots
as holes) between two height fields, ``z_top`` and ``z_bot``. The outline is triangulated
once; the top faces, the reversed bottom faces and vertical walls on every boundary ring
then close the solid. The label is engraved by raising ``z_bot`` inside the glyphs, with
vertical step walls on the glyph outlines.

The modules, in the order ``build`` uses them: ``_plan`` (the shell seen from above, which
depends on the foot and a few spec values only; a shell keeps it, and
``build(foot, spec, reuse=shell.plan)`` rebuilds on it) from ``_zones`` (where the cup and flanges
rise), ``_outline`` (outline, slots, heel seat), ``_label`` (glyphs) and ``_mesh2d``
(triangulation); ``_surfaces`` (``z_top`` and ``z_bot``) from ``_support`` (the plantar
surface) and ``_rim`` (distances to the rim and the plantar edge); ``_assemble`` (the closed
mesh). ``_model`` holds the values (:class:`Shell`), ``_smooth`` the blending functions.

Everything is in the foot frame of a right foot, millimetres: z up from the support plane,
x from the rearmost heel point toward the toes, +y medial.
"""

from shellgen.shell._build import build
from shellgen.shell._model import Shell
from shellgen.shell._plan import Plan
from shellgen.shell._prescription import Mark, prescription_marks

__all__ = ["Mark", "Plan", "Shell", "build", "prescription_marks"]
