"""Speed, memory and mesh convergence of ``shellgen.mechanics`` on a standard shell (issue 13).

Run with ``python -m benchmarks._mechanics [--spacings 6,4,3,2,1.5] [--repeat 5]``. The
shell is the synthetic foot's sulcus shell (tests/feet.py: 3 mm PA12, no post). For the
default spacing it times each step of both load cases (bench test and the patient's walking
load, 75 kg), the median of ``--repeat`` runs: plan remesh and heights, the wedge mesh (its
layout and node order), stiffness assembly and supports, the sparse Cholesky factorisation
(symbolic analysis and numeric), the two solves with their stress; and the same again as a
calibration's next trial 10 % thicker, reusing what a :class:`PlanCache` keeps (layout,
pattern, symbolic analysis). Then what tuning the thickness by mechanics adds to a
calibration (``thickness_by_mechanics`` on the standard profile); then, for every spacing
asked, the bench deflection and the patient's deflection and peak stress, to show how they
converge. Peak memory is this process's own peak RSS: after the standard shell, after the
calibration, and along the sweep. Prints a table and writes it to
``benchmarks/mechanics.md``. Timings live here, never in tests.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
from sksparse.cholmod import analyze

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from feet import shell_spec, synthetic_foot  # noqa: E402

from shellgen.calibration import calibrate, thickness_by_mechanics  # noqa: E402
from shellgen.mechanics import (  # noqa: E402
    LAYERS,
    SEAT_MM,
    SPACING_MM,
    Patient,
    bench_test,
    patient_load,
    respond,
    settle,
    solid_of_shell,
)
from shellgen.mechanics._elements import wedge_layout, wedges  # noqa: E402
from shellgen.mechanics._fem import Model as FemModel  # noqa: E402
from shellgen.mechanics._fem import (  # noqa: E402
    factorise,
    held_fixed,
    lame_mpa,
    pattern_of,
    peak_stress_mpa,
    solve,
    stiffness_matrix,
    supports,
)
from shellgen.mechanics._response import lateral_midfoot_mm  # noqa: E402
from shellgen.profile import load_profile, profile_path  # noqa: E402
from shellgen.shell import build  # noqa: E402

BODYWEIGHT_KG = 75.0


def _steps(spacing_mm: float) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """Step times of a first solve, and of a next trial 10 % thicker reusing what the first
    kept (the plan order, the pattern and the symbolic analysis)."""
    foot = synthetic_foot()
    spec = shell_spec("sulcus", post_angle_deg=0.0)
    shell = build(foot, spec)
    thicker = build(foot, dataclasses.replace(spec, thickness_mm=1.1 * spec.thickness_mm))
    apex = foot.landmarks.arch_apex
    mat = shell.spec.material
    lam, mu = lame_mpa(1000 * mat.modulus_gpa, mat.poisson_ratio)
    kept: dict[str, object] = {}
    runs = []
    for trial in (shell, thicker):
        out = []
        t = time.perf_counter()
        solid = settle(solid_of_shell(trial, spacing_mm), apex, SEAT_MM)
        out.append(("plan remesh and heights", time.perf_counter() - t))
        t = time.perf_counter()
        if "layout" not in kept:
            kept["layout"] = wedge_layout(solid.points, solid.triangles, LAYERS)
        elements = wedges(solid, LAYERS, kept["layout"])  # type: ignore[arg-type]
        out.append(("wedges (the layout and node order once)", time.perf_counter() - t))
        t = time.perf_counter()
        held, stands_on = supports(elements)
        if "pattern" not in kept:
            kept["pattern"] = pattern_of(elements.element_nodes, len(elements.nodes_mm))
        pattern = kept["pattern"]
        stiffness = stiffness_matrix(elements, lam, mu, pattern)  # type: ignore[arg-type]
        is_held = np.zeros(stiffness.shape[0], dtype=bool)
        is_held[held] = True
        fixed = held_fixed(stiffness, pattern, is_held)  # type: ignore[arg-type]
        out.append(("assembly and supports", time.perf_counter() - t))
        t = time.perf_counter()
        if "symbolic" not in kept:
            kept["symbolic"] = analyze(fixed, mode="supernodal", ordering_method="natural")
        out.append(("symbolic factorisation", time.perf_counter() - t))
        t = time.perf_counter()
        factor = factorise(fixed, kept["symbolic"])
        out.append(("numeric factorisation (sparse Cholesky)", time.perf_counter() - t))
        m = FemModel(elements, stiffness, np.flatnonzero(~is_held), factor, (lam, mu), stands_on)
        t = time.perf_counter()
        bench = solve(m, bench_test(apex))
        peak_stress_mpa(m, bench.u)
        lateral = lateral_midfoot_mm(solid.outline, apex, 27.2)
        walking = solve(m, patient_load(apex, lateral, BODYWEIGHT_KG))
        peak_stress_mpa(m, walking.u)
        out.append(("both load cases: solve + stress", time.perf_counter() - t))
        runs.append(out)
    return runs[0], runs[1]


def _table(runs: list[list[tuple[str, float]]], title: str) -> list[str]:
    rows = ["| step | s |", "|---|---|"]
    for k, (name, _) in enumerate(runs[0]):
        rows.append(f"| {name} | {np.median([run[k][1] for run in runs]):.3f} |")
    total = float(np.median([sum(s for _, s in run) for run in runs]))
    rows.append(f"| **{title}** | **{total:.2f}** |")
    return rows


def _calibration_row() -> str:
    """What tuning the thickness by mechanics adds to a calibration (the synthetic foot,
    the shipped ``standard`` profile): the rest of a build is the same either way."""
    foot = synthetic_foot()
    profile = load_profile(profile_path("standard"))
    t = time.perf_counter()
    spec = calibrate(foot, profile)
    plain = time.perf_counter() - t
    t = time.perf_counter()
    fit = thickness_by_mechanics(foot, spec, profile)
    tuned = time.perf_counter() - t
    return (
        f"Calibration (synthetic foot, standard profile): {plain:.2f} s by rule, "
        f"{tuned:.1f} s more to tune the thickness by mechanics ({fit.provenance})."
    )


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spacings", default="6,4,3,2,1.5", help="plan spacings to compare, mm")
    parser.add_argument("--repeat", type=int, default=5, help="runs of the step timing")
    args = parser.parse_args()
    rows = [f"Standard shell (synthetic foot, sulcus, 3 mm PA12), spacing {SPACING_MM} mm:", ""]
    both = [_steps(SPACING_MM) for _ in range(args.repeat)]
    rows += _table([first for first, _ in both], "both load cases, total")
    rows += ["", "A calibration's next trial (10 % thicker, same plan, a `PlanCache` kept):", ""]
    rows += _table([again for _, again in both], "both load cases, next trial")
    rows += ["", f"Median of {args.repeat} runs; load average {os.getloadavg()[0]:.1f} at the end."]
    rows += ["", f"Peak memory after the standard shell's runs: {_peak_mb():.0f} MB", ""]
    rows += [_calibration_row(), "", f"Peak memory after the calibration: {_peak_mb():.0f} MB"]
    rows += ["", "| spacing mm | dofs | bench mm | bench N/mm | walking mm | peak MPa | s | MB |"]
    rows.append("|---|---|---|---|---|---|---|---|")
    foot = synthetic_foot()
    shell = build(foot, shell_spec("sulcus", post_angle_deg=0.0))
    for spacing in (float(s) for s in args.spacings.split(",")):
        t = time.perf_counter()
        r = respond(
            solid_of_shell(shell, spacing),
            shell.spec.material,
            foot.landmarks.arch_apex,
            Patient(BODYWEIGHT_KG),
        )
        rows.append(
            f"| {spacing:g} | {r.dofs} | {r.bench_deflection_mm:.3f} | "
            f"{r.bench_stiffness_n_per_mm:.0f} | {r.deflection_mm:.3f} | "
            f"{r.peak_stress_mpa:.1f} | {time.perf_counter() - t:.1f} | {_peak_mb():.0f} |"
        )
    rows += ["", "MB: this process's peak memory so far (it only grows)."]
    text = "\n".join(rows) + "\n"
    print(text)
    (HERE / "mechanics.md").write_text(text)


if __name__ == "__main__":
    main()
