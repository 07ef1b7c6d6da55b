"""shellgen: a foot scan in, a calibrated orthotic shell out.

The pipeline verbs are re-exported here, so a script reads::

    foot = shellgen.analyze(shellgen.prepare(shellgen.load("scan.stl")))
    spec = shellgen.calibrate(foot, shellgen.load_profile("profiles/standard.toml"))
    shell = shellgen.build(foot, spec)
    report = shellgen.validate(shell, material=spec.material, foot_outline=foot.footprint)

They are imported on first use, so that ``import shellgen`` (and the command line's
light commands) do not pay for the geometry libraries.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from shellgen.errors import GeometryError, ProfileError, ScanError, ShellgenError

try:
    __version__ = version("shellgen")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

#: Public name -> module that defines it.
_LAZY = {
    "load": "shellgen.scan",
    "prepare": "shellgen.scan",
    "analyze": "shellgen.analysis",
    "calibrate": "shellgen.calibration",
    "load_profile": "shellgen.profile",
    "save_profile": "shellgen.profile",
    "build": "shellgen.shell",
    "validate": "shellgen.validation",
    "export_shell": "shellgen.export",
    "analyze_file": "shellgen.pipeline",
    "build_file": "shellgen.pipeline",
}

__all__ = [
    "GeometryError",
    "ProfileError",
    "ScanError",
    "ShellgenError",
    "__version__",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'shellgen' has no attribute {name!r}")
