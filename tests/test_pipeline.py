"""``pipeline``: the stages run with BLAS on one thread, and the limit is lifted after.

Every product in the stages is a few columns wide; OpenBLAS's extra threads only wait for
each other there, and on a busy machine made ``prepare`` twice as slow (issue #8).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from threadpoolctl import threadpool_info, threadpool_limits

import shellgen.pipeline as pipeline
from shellgen.analysis import Foot
from shellgen.profile import load_profile, profile_path, with_fields
from shellgen.scan import Scan
from shellgen.shell import Shell
from shellgen.shell._shoe import shoe_region
from shellgen.synth import synth_scan, write_ply


def blas_threads() -> set[int]:
    return {int(p["num_threads"]) for p in threadpool_info() if p["user_api"] == "blas"}


def test_analyze_file_runs_the_stages_on_one_blas_thread_and_restores_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "foot.ply"
    write_ply(path, synth_scan("foot", seed=2).points)
    seen: list[set[int]] = []
    analyze = pipeline.analyze

    def spying(scan: Scan) -> Foot:
        seen.append(blas_threads())
        return analyze(scan)

    monkeypatch.setattr(pipeline, "analyze", spying)
    before = blas_threads()

    foot = pipeline.analyze_file(path)

    assert seen == [{1}]
    assert blas_threads() == before
    assert foot.foot_length_mm > 200.0


@pytest.fixture(scope="module")
def plantar_foot(tmp_path_factory: pytest.TempPathFactory) -> Foot:
    path = tmp_path_factory.mktemp("shoe") / "scan.ply"
    write_ply(path, synth_scan("plantar", seed=5, spacing_mm=2.0).points)
    return pipeline.analyze_file(path)


def built_with(
    foot: Foot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **fields: str
) -> tuple[dict[str, object], Shell]:
    """The JSON report (as written) of a build with these profile fields, and its shell."""
    shells: list[Shell] = []
    build = pipeline.build

    def keeping(*args: object, **kwargs: object) -> Shell:
        shells.append(build(*args, **kwargs))  # type: ignore[arg-type]
        return shells[-1]

    monkeypatch.setattr(pipeline, "build", keeping)
    profile = with_fields(load_profile(profile_path("standard")), **fields)
    result = pipeline.build_foot(
        foot, tmp_path, "shoe", profile=profile, profile_sha256="0" * 64, formats=()
    )
    written = json.loads(result.outputs["json"].read_text())
    assert written["shoe_fit"] == result.summary["shoe_fit"]
    return written, shells[-1]


def width_at(outline: shapely.Polygon, x_mm: float) -> float:
    cut = outline.intersection(shapely.LineString([(x_mm, -500.0), (x_mm, 500.0)]))
    return float(cut.bounds[3] - cut.bounds[1])


def test_the_report_says_what_a_narrow_shoe_trimmed_and_that_a_roomy_one_trimmed_nothing(
    plantar_foot: Foot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    free_report, free = built_with(plantar_foot, tmp_path / "free", monkeypatch)
    assert free_report["shoe_fit"] is None

    heel_x = plantar_foot.landmarks.heel_centre[0]
    heel_width = width_at(free.outline, heel_x)
    narrow = f"{heel_width - 8.0:.1f}"
    report, shod = built_with(
        plantar_foot, tmp_path / "narrow", monkeypatch, shoe_heel_width_mm=narrow
    )
    fit = report["shoe_fit"]
    assert shod.plan is not None
    shoe = shoe_region(plantar_foot, shod.plan.spec)
    assert shoe is not None
    assert shapely.contains_xy(shoe, *shod.vertices[:, :2].T).all()
    cut_mm2 = free.outline.area - shod.outline.area
    assert cut_mm2 > 50.0
    assert fit["trimmed_area_mm2"] == pytest.approx(cut_mm2, rel=0.05)
    rim = np.asarray(shapely.segmentize(free.outline.exterior, 0.5).coords)
    deepest_mm = float(shapely.distance(shapely.points(rim), shod.outline).max())
    assert fit["deepest_trim_mm"] == pytest.approx(deepest_mm, abs=0.3)
    assert fit["deepest_trim_mm"] >= 2.5  # 8 mm narrower, split between both sides
    lo, hi = fit["x_range_mm"]
    assert lo < heel_x < hi
    assert fit["summary"].startswith(f"trimmed {fit['trimmed_area_mm2']:.0f} mm2")

    roomy, _ = built_with(plantar_foot, tmp_path / "roomy", monkeypatch, shoe_heel_width_mm="150")
    assert roomy["shoe_fit"] == {
        "trimmed_area_mm2": 0.0,
        "deepest_trim_mm": 0.0,
        "x_range_mm": None,
        "summary": "fits the shoe, nothing trimmed",
    }


def test_a_build_by_mechanics_reports_the_shells_response_and_one_by_rule_reports_none(
    plantar_foot: Foot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shellgen.calibration import DEFLECTION_TOL, SAFETY_FACTOR_MIN

    profile = load_profile(profile_path("standard"))
    written, shell = built_with(plantar_foot, tmp_path / "rule", monkeypatch)
    assert written["mechanics"] is None
    # the arch smoothing's stated crest length and the largest gap it left under the arch
    support = written["arch_support"]
    assert support["crest_length_mm"] == pytest.approx(0.17 * plantar_foot.foot_length_mm, abs=0.01)
    assert support["arch_gap_mm"] == pytest.approx(shell.arch_gap_mm, abs=1e-3)

    import shellgen.mechanics._fem as fem

    factorised_on: list[set[int]] = []
    factorise = fem.factorise

    def spying(*args: Any, **kwargs: Any) -> Any:
        factorised_on.append(blas_threads())
        return factorise(*args, **kwargs)

    monkeypatch.setattr(fem, "factorise", spying)
    with threadpool_limits(limits=2, user_api="blas"):
        result = pipeline.build_foot(
            plantar_foot,
            tmp_path / "fe",
            "s",
            profile=profile,
            profile_sha256="0" * 64,
            formats=("stl",),
            mechanics=True,
        )
    # the factorisations (and only they) run on the threads the caller allows
    assert factorised_on and all(seen == {2} for seen in factorised_on)
    section = json.loads(result.outputs["json"].read_text())["mechanics"]
    spec = json.loads(result.outputs["json"].read_text())["spec"]
    assert section["thickness_mm"] == pytest.approx(spec["thickness_mm"]["value"], abs=1e-3)
    assert section["safety_factor"] >= SAFETY_FACTOR_MIN
    assert section["bench_stiffness_n_per_mm"] == pytest.approx(
        200.0 / section["bench_deflection_mm"], rel=1e-3
    )
    on_target = abs(section["deflection_mm"] / section["target_deflection_mm"] - 1.0)
    assert on_target <= DEFLECTION_TOL or ";" in section["provenance"]  # or a bound, said why
    assert section["provenance"].startswith("FE: target")
    assert result.report.ok
