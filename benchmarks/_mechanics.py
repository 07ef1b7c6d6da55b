"""Speed, memory and mesh convergence of ``shellgen.mechanics`` on a standard shell (issue 13).

Run with ``python -m benchmarks._mechanics [--spacings 6,4,3,2] [--repeat 3]``. The shell is
the synthetic foot's sulcus shell (tests/feet.py: 3 mm PA12, no post). For the default
spacing it times each step of both load cases (bench test and the patient's walking load,
75 kg), the median of ``--repeat`` runs: plan remesh and heights, tetrahedra, stiffness
assembly and supports, the sparse Cholesky factorisation, the two solves with their stress;
then, for every spacing asked, the bench deflection and the patient's deflection and peak
stress, to show how they converge; then what tuning the thickness by mechanics adds to a
calibration (``thickness_by_mechanics`` on the standard profile). Peak memory is this
process's own peak RSS. Prints a table and writes it to ``benchmarks/mechanics.md``.
Timings live here, never in tests.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from feet import shell_spec, synthetic_foot  # noqa: E402

from shellgen.calibration import calibrate, thickness_by_mechanics  # noqa: E402
from shellgen.mechanics import (  # noqa: E402
    LAYERS,
    SPACING_MM,
    Patient,
    bench_test,
    patient_load,
    respond,
    solid_of_shell,
    tetrahedra,
)
from shellgen.mechanics._fem import factorise, model, peak_stress_mpa, solve  # noqa: E402
from shellgen.mechanics._response import lateral_midfoot_mm  # noqa: E402
from shellgen.profile import load_profile, profile_path  # noqa: E402
from shellgen.shell import build  # noqa: E402

BODYWEIGHT_KG = 75.0


def _steps(spacing_mm: float) -> list[tuple[str, float]]:
    foot = synthetic_foot()
    shell = build(foot, shell_spec("sulcus", post_angle_deg=0.0))
    apex = foot.landmarks.arch_apex
    mat = shell.spec.material
    out = []
    t = time.perf_counter()
    solid = solid_of_shell(shell, spacing_mm)
    out.append(("plan remesh and heights", time.perf_counter() - t))
    t = time.perf_counter()
    nodes, tets = tetrahedra(solid, LAYERS)
    n = len(solid.points)
    top = np.zeros(len(nodes), dtype=bool)
    top[LAYERS * n :] = True
    out.append(("tetrahedra", time.perf_counter() - t))
    t = time.perf_counter()
    m = model(nodes, tets, _bottom(nodes, n), top, 1000 * mat.modulus_gpa, mat.poisson_ratio)
    built = time.perf_counter() - t
    t = time.perf_counter()
    factorise(m.stiffness[m.free][:, m.free].tocsc())
    factorising = time.perf_counter() - t
    out.append(("assembly and supports", built - factorising))
    out.append(("factorisation (sparse Cholesky)", factorising))
    t = time.perf_counter()
    bench = solve(m, bench_test(apex))
    peak_stress_mpa(m, bench.u)
    lateral = lateral_midfoot_mm(solid.outline, apex, 27.2)
    walking = solve(m, patient_load(apex, lateral, BODYWEIGHT_KG))
    peak_stress_mpa(m, walking.u)
    out.append(("both load cases: solve + stress", time.perf_counter() - t))
    return out


def _bottom(nodes: np.ndarray, n: int) -> np.ndarray:
    bottom = np.zeros(len(nodes), dtype=bool)
    bottom[:n] = True
    return bottom


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spacings", default="6,4,3,2", help="plan spacings to compare, mm")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the step timing")
    args = parser.parse_args()
    rows = [f"Standard shell (synthetic foot, sulcus, 3 mm PA12), spacing {SPACING_MM} mm:", ""]
    rows += ["| step | s |", "|---|---|"]
    runs = [_steps(SPACING_MM) for _ in range(args.repeat)]
    for k, (name, _) in enumerate(runs[0]):
        rows.append(f"| {name} | {np.median([run[k][1] for run in runs]):.2f} |")
    total = float(np.median([sum(s for _, s in run) for run in runs]))
    rows.append(f"| **both load cases, total** | **{total:.2f}** |")
    rows += ["", f"Median of {args.repeat} runs; load average {os.getloadavg()[0]:.1f} at the end."]
    rows += ["", "| spacing mm | dofs | bench mm | bench N/mm | walking mm | peak MPa | s |"]
    rows.append("|---|---|---|---|---|---|---|")
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
            f"{r.peak_stress_mpa:.1f} | {time.perf_counter() - t:.1f} |"
        )
    rows += ["", _calibration_row()]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows += ["", f"Peak memory (this process): {peak_mb:.0f} MB"]
    text = "\n".join(rows) + "\n"
    print(text)
    (HERE / "mechanics.md").write_text(text)


if __name__ == "__main__":
    main()
