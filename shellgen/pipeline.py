"""Composing the stages: scan file to ``Foot`` or to shell files, and their summaries."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from threadpoolctl import threadpool_limits

from shellgen import __version__
from shellgen.analysis import Foot, analyze
from shellgen.calibration import MechanicsFit, calibrate, thickness_by_mechanics
from shellgen.errors import GeometryError
from shellgen.export import export_shell, write_json
from shellgen.profile import Profile
from shellgen.render import render_preview
from shellgen.scan import load, prepare
from shellgen.shell import build
from shellgen.shell._shoe import ShoeTrim
from shellgen.shell._support import ARCH_CREST_FRACTION
from shellgen.validation import Report, validate

__all__ = [
    "BuildResult",
    "analysis_json",
    "analyze_file",
    "build_file",
    "build_foot",
    "shoe_fit_json",
]


def _one_blas_thread() -> threadpool_limits:
    """Run BLAS on one thread while the stages run.

    Every matrix product in the pipeline is a few columns wide (points times a 3 x 3
    rotation): OpenBLAS's second thread brings nothing there, and on a busy machine each
    threaded call waits for it to be scheduled, which made ``prepare`` and ``analyze``
    of a 1 M-point scan twice as slow. The mechanics' sparse Cholesky factorisation, whose
    dense blocks do gain from a second thread, runs outside it.
    """
    return threadpool_limits(limits=1, user_api="blas")


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
    with _one_blas_thread():
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
        "toes": scan.toes,
        "foot_length_source": "measured" if scan.given_length_mm is None else "given",
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


def shoe_fit_json(trim: ShoeTrim | None) -> dict[str, object] | None:
    """The report's ``shoe_fit`` entry: what the shoe trimmed off the outline, or None
    when no shoe was given.

    ``trimmed_area_mm2`` is the area cut off the outline seen from above (0 when the
    outline fitted), ``deepest_trim_mm`` the farthest the cut reaches into it, ``x_range_mm``
    where along the foot (foot frame, mm) the cuts lie (None when nothing was cut).
    """
    if trim is None:
        return None
    trimmed = trim.area_mm2 > 0.0
    return {
        "trimmed_area_mm2": round(trim.area_mm2, 1),
        "deepest_trim_mm": round(trim.depth_mm, 2),
        "x_range_mm": [round(v, 1) for v in trim.x_range_mm] if trimmed else None,
        "summary": trim.describe(),
    }


@dataclass(frozen=True)
class BuildResult:
    """What ``build_file`` made.

    Attributes
    ----------
    report : Report
        The shell's validation report.
    outputs : dict[str, Path]
        Kind (``stl``, ``3mf``, ``json``, ``png``) -> file written.
    summary : dict
        The JSON report as written.
    """

    report: Report
    outputs: dict[str, Path]
    summary: dict[str, object]


class _Clock:
    """Wall-clock seconds per named stage, in the order the stages ran."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self._last, 4)
        self._last = now


def mechanics_json(fit: MechanicsFit | None) -> dict[str, object] | None:
    """The build report's ``mechanics`` section: the calibrated shell's response (mm, N,
    MPa), or None for a shell calibrated by rule."""
    if fit is None:
        return None
    r = fit.response
    numbers = {
        "target_deflection_mm": fit.target_deflection_mm,
        "deflection_mm": r.deflection_mm,
        "activity_deflection_mm": r.activity_deflection_mm,
        "bench_deflection_mm": r.bench_deflection_mm,
        "bench_stiffness_n_per_mm": r.bench_stiffness_n_per_mm,
        "peak_stress_mpa": r.peak_stress_mpa,
        "safety_factor": r.safety_factor,
        "clearance_mm": r.clearance_mm,
        "load_n": r.load_n,
        "activity_load_n": r.activity_load_n,
        "thickness_mm": fit.spec.thickness_mm,
    }
    section: dict[str, object] = {k: round(float(v), 4) for k, v in numbers.items()}
    section["provenance"] = fit.provenance
    return section


def build_file(
    scan_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    profile: Profile,
    profile_sha256: str,
    formats: tuple[str, ...] = ("stl", "3mf"),
    force: bool = False,
    order_id: str | None = None,
    stem: str | None = None,
    units: str | None = None,
    side: str = "auto",
    kind: str = "auto",
    length_mm: float | None = None,
    mechanics: bool = False,
) -> BuildResult:
    """Scan file to validated shell files: ``<stem>.stl``, ``.3mf``, ``.json``, ``.png``.

    ``stem`` defaults to the scan file's stem. The JSON report and the preview are always
    written; the geometry files only when the shell passes validation, or with ``force``.

    Raises
    ------
    ScanError, ProfileError
        Bad input (nothing is written).
    GeometryError
        The shell failed validation and ``force`` was not set (the report is written).
    """
    clock = _Clock()
    with _one_blas_thread():
        raw = load(scan_path)
        clock.lap("load")
        scan = prepare(raw, units=units, side=side, kind=kind, length_mm=length_mm)
        clock.lap("prepare")
        foot = analyze(scan)
        clock.lap("analyze")
    return build_foot(
        foot,
        out_dir,
        stem or Path(scan_path).stem,
        profile=profile,
        profile_sha256=profile_sha256,
        formats=formats,
        force=force,
        order_id=order_id,
        clock=clock,
        mechanics=mechanics,
    )


def build_foot(
    foot: Foot,
    out_dir: str | os.PathLike[str],
    stem: str,
    *,
    profile: Profile,
    profile_sha256: str,
    formats: tuple[str, ...] = ("stl", "3mf"),
    force: bool = False,
    order_id: str | None = None,
    clock: _Clock | None = None,
    mechanics: bool = False,
) -> BuildResult:
    """An analysed foot to validated shell files, as :func:`build_file` (no scan re-read).

    Batch runs and the studio call this with a cached ``Foot`` for every profile change.
    With ``mechanics`` the thickness is solved for the target arch deflection
    (:func:`~shellgen.calibration.thickness_by_mechanics`), the report gets a ``mechanics``
    section (:func:`mechanics_json`; null otherwise) and the preview a deflection map.
    """
    clock = clock or _Clock()
    with _one_blas_thread():
        spec = calibrate(foot, profile, order_id=order_id)
    fit = None
    if mechanics:  # the factorisations use the BLAS threads the caller allows
        fit = thickness_by_mechanics(foot, spec, profile)
        spec = fit.spec
    clock.lap("calibrate")
    with _one_blas_thread():
        shell = build(foot, spec)
        clock.lap("build")
        report = validate(shell, material=spec.material, foot_outline=foot.footprint)
        clock.lap("validate")

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        scan_sha256 = foot.scan.source.sha256
        outputs: dict[str, Path] = {}
        if report.ok or force:
            metadata = {
                "scan_sha256": scan_sha256,
                "profile_sha256": profile_sha256,
                "profile": profile.name,
                "shellgen_version": __version__,
                "label": spec.label,
            }
            outputs.update(
                export_shell(
                    shell, report, out, stem, formats=formats, force=force, metadata=metadata
                )
            )
        outputs["png"] = render_preview(
            shell,
            out / f"{stem}.png",
            plantar=foot.plantar,
            response=fit.response if fit is not None else None,
        )
        clock.lap("export")
    outputs["json"] = out / f"{stem}.json"
    summary: dict[str, object] = {
        "analysis": analysis_json(foot),
        "spec": spec.as_json(),
        "validation": report.as_json(),
        "inputs": {"scan_sha256": scan_sha256, "profile_sha256": profile_sha256},
        "version": __version__,
        "shoe_fit": shoe_fit_json(shell.plan.shoe_trim if shell.plan else None),
        "arch_support": {
            "crest_length_mm": round(ARCH_CREST_FRACTION * foot.foot_length_mm, 2),
            "arch_gap_mm": round(shell.arch_gap_mm or 0.0, 3),
        },
        "mechanics": mechanics_json(fit),
        "outputs": {k: str(v) for k, v in sorted(outputs.items())},
        "timings_s": clock.timings,
    }
    write_json(outputs["json"], summary)
    if not report.ok and not force:
        raise GeometryError(
            f"{foot.scan.source.path}: the shell failed validation ({', '.join(report.failed)}); "
            f"no STL/3MF written; see {outputs['json']}, or use --force"
        )
    return BuildResult(report, outputs, summary)
