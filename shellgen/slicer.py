"""Slice an exported STL or 3MF with PrusaSlicer's command line, as a printability check.

PrusaSlicer (Debian package ``prusa-slicer``) runs headless with ``--export-gcode``; no
display is needed. It repairs a broken mesh silently while slicing, so its repair
statistics are read first with ``--info`` (``open_edges``, ``facets_reversed``, ...): any
repair, or any warning or error line while slicing, is a warning here. A clean shell slices
with none.

The printer is PrusaSlicer's default FFF printer with the bed and height given (by default
:data:`DEFAULT_BED_MM`, a Prusa MK4S; pass the material's process machine for shells too long
for it), and a throw-away settings directory, so the result does not depend on the user's
PrusaSlicer configuration.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from shellgen.errors import ShellgenError

__all__ = ["DEFAULT_BED_MM", "SliceResult", "find_slicer", "slice_check"]

#: Bed (x, y) and height of the default printer, mm.
DEFAULT_BED_MM: Final = (250.0, 210.0, 220.0)

logger = logging.getLogger(__name__)

#: Executable names tried, in order.
_EXECUTABLES: Final = ("prusa-slicer", "PrusaSlicer")

#: ``--info`` keys whose non-zero value means PrusaSlicer had to repair the mesh.
_REPAIR_KEYS: Final = (
    "open_edges",
    "edges_fixed",
    "degenerate_facets",
    "facets_removed",
    "facets_added",
    "facets_reversed",
    "backwards_edges",
)

#: Log lines (``--loglevel 2`` keeps fatal, error and warning) and messages that matter.
_PROBLEM: Final = re.compile(r"warning|error|fatal", re.IGNORECASE)

#: Progress lines PrusaSlicer prints while slicing ("20 => Generating perimeters").
_PROGRESS: Final = re.compile(r"^\d+ => |^Slicing result exported")


@dataclass(frozen=True)
class SliceResult:
    """What PrusaSlicer said about a mesh file.

    Attributes
    ----------
    ok : bool
        True when it sliced to G-code with no error and no warning.
    warnings : tuple of str
        Repairs it made, warning and error lines it printed, one per entry.
    gcode_path : Path or None
        The G-code written; None if slicing failed.
    """

    ok: bool
    warnings: tuple[str, ...]
    gcode_path: Path | None


def find_slicer() -> Path | None:
    """The PrusaSlicer executable on PATH, or None if it is not installed."""
    for name in _EXECUTABLES:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def slice_check(
    path: str | os.PathLike[str],
    *,
    gcode_path: str | os.PathLike[str] | None = None,
    bed_mm: tuple[float, float, float] = DEFAULT_BED_MM,
    timeout_s: float = 300.0,
) -> SliceResult:
    """Slice an STL or 3MF with PrusaSlicer and collect every warning.

    Parameters
    ----------
    path : path-like
        The mesh file, millimetres.
    gcode_path : path-like, optional
        Where to write the G-code; default ``path`` with the suffix ``.gcode``.
    bed_mm : (3,) float
        Bed x, y and build height of the printer to slice for, mm.
    timeout_s : float
        Give up after this many seconds (a failed result, not an exception).

    Returns
    -------
    SliceResult

    Raises
    ------
    ShellgenError
        If PrusaSlicer is not installed, or ``path`` does not exist.
    """
    exe = find_slicer()
    if exe is None:
        raise ShellgenError("prusa-slicer not found on PATH: install the Debian package")
    mesh = Path(path)
    if not mesh.is_file():
        raise ShellgenError(f"cannot slice {str(mesh)!r}: no such file; check the path")
    out = Path(gcode_path) if gcode_path is not None else mesh.with_suffix(".gcode")
    out.unlink(missing_ok=True)
    bed_x, bed_y, height = bed_mm
    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="shellgen-prusa-") as datadir:
        common = [str(exe), "--datadir", datadir, "--loglevel", "2"]
        info = _run([*common, "--info", str(mesh)], timeout_s)
        if info is None:
            return SliceResult(
                False, (f"prusa-slicer --info timed out after {timeout_s:g} s",), None
            )
        warnings += _repairs(info.stdout)
        warnings += _problems(info.stderr)
        if info.returncode != 0:
            warnings.append(f"prusa-slicer --info exited with {info.returncode}")
        slicing = _run(
            [
                *common,
                "--export-gcode",
                f"--bed-shape=0x0,{bed_x:g}x0,{bed_x:g}x{bed_y:g},0x{bed_y:g}",
                f"--max-print-height={height:g}",
                "--output",
                str(out),
                str(mesh),
            ],
            timeout_s,
        )
    if slicing is None:
        warnings.append(f"prusa-slicer --export-gcode timed out after {timeout_s:g} s")
        return SliceResult(False, tuple(warnings), None)
    sliced = slicing.returncode == 0 and out.is_file()
    warnings += _problems(slicing.stdout + slicing.stderr, everything=not sliced)
    if not sliced:
        warnings.append(f"prusa-slicer --export-gcode exited with {slicing.returncode}")
    for w in warnings:
        logger.warning("prusa-slicer: %s", w)
    return SliceResult(sliced and not warnings, tuple(warnings), out if sliced else None)


def _run(cmd: list[str], timeout_s: float) -> subprocess.CompletedProcess[str] | None:
    logger.debug("running %s", " ".join(cmd))
    env = {**os.environ, "LC_ALL": "C"}
    try:
        return subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout_s, check=False, env=env
        )
    except subprocess.TimeoutExpired:
        return None


def _repairs(info_stdout: str) -> list[str]:
    """Warnings from ``--info``: a mesh that is not manifold, repairs, several parts."""
    values: dict[str, str] = {}
    for line in info_stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    out: list[str] = []
    if values.get("manifold", "yes") != "yes":
        out.append("mesh is not manifold")
    for key in _REPAIR_KEYS:
        if key in values and float(values[key]) != 0:
            out.append(f"repaired: {key} = {values[key]}")
    if int(values.get("number_of_parts", "1")) > 1:
        out.append(f"{values['number_of_parts']} separate parts")
    return out


def _problems(log: str, *, everything: bool = False) -> list[str]:
    """Lines that report a warning or an error (with ``everything``: all but progress).

    Log time stamps are dropped, and repeated lines kept once.
    """
    seen: dict[str, None] = {}
    for raw in log.splitlines():
        if any(tag in raw for tag in ("[trace]", "[debug]", "[info]")):
            continue
        line = re.sub(r"^\[[^\]]*\]\s*\[[^\]]*\]\s*", "", raw).strip()
        if not line or _PROGRESS.search(line):
            continue
        if everything or _PROBLEM.search(line):
            seen[line] = None
    return list(seen)
