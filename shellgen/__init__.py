"""shellgen: a foot scan in, a calibrated orthotic shell out.

The pipeline verbs are re-exported here, so a script reads::

    raw = shellgen.load("scan.stl")
    foot = shellgen.analyze(shellgen.prepare(raw))
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from shellgen.errors import GeometryError, ProfileError, ScanError, ShellgenError

try:
    __version__ = version("shellgen")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "GeometryError",
    "ProfileError",
    "ScanError",
    "ShellgenError",
    "__version__",
]
