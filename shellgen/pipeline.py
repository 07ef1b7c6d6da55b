"""Composing the stages: scan file to ``Foot``, and the summaries the commands print."""

from __future__ import annotations

import os

from shellgen.analysis import Foot, analyze
from shellgen.scan import load, prepare

__all__ = ["analysis_json", "analyze_file"]


def analyze_file(
    path: str | os.PathLike[str],
    *,
    units: str | None = None,
    side: str = "auto",
    kind: str = "auto",
    length_mm: float | None = None,
) -> Foot:
    """Load, prepare and analyse one scan file.

    Parameters are those of :func:`shellgen.scan.prepare`.

    Raises
    ------
    ScanError
        When the file cannot be read or holds no usable foot.
    """
    raw = load(path)
    scan = prepare(raw, units=units, side=side, kind=kind, length_mm=length_mm)
    return analyze(scan)


def analysis_json(foot: Foot) -> dict[str, object]:
    """What ``shellgen analyze --json`` prints: measures in mm, foot frame, and provenance."""
    scan, src = foot.scan, foot.scan.source
    return {
        "scan": src.path,
        "format": src.format,
        "sha256": src.sha256,
        "points_read": src.n_points_read,
        "nonfinite_dropped": src.n_nonfinite_dropped,
        "outliers_removed": scan.n_outliers_removed,
        "floor_removed": scan.n_floor_removed,
        "leg_removed": scan.n_leg_removed,
        "side": scan.side,
        "side_detected": scan.side_detected,
        "units": scan.units,
        "units_source": scan.units_source,
        "mm_per_unit": scan.mm_per_unit,
        "kind": scan.kind,
        "kind_detected": scan.kind_detected,
        "standing": foot.standing,
        "foot_length_mm": round(foot.foot_length_mm, 2),
        "ball_width_mm": round(foot.ball_width_mm, 2),
        "heel_width_mm": round(foot.heel_width_mm, 2),
        "arch_length_mm": round(foot.arch_length_mm, 2),
        "arch": {
            "height_mm": round(foot.arch.height_mm, 2),
            "apex_x_mm": round(foot.arch.apex_x_mm, 2),
            "index": round(foot.arch.index, 4),
            "type": foot.arch.type,
        },
        "landmarks": foot.landmarks.as_dict(),
        "to_scanner": [[round(v, 9) for v in row] for row in scan.to_scanner.tolist()],
    }
