"""Speed and memory of shellgen, measured side by side with the I/O floor.

Run with ``python -m benchmarks [--quick]`` (``make bench``). For synthetic full-foot scans
of about 100 k, 1 M and 5 M points (binary PLY) and for the sample scans it measures:

- every stage's time, from the ``timings_s`` of ``shellgen build``'s report;
- the whole ``shellgen build`` process's wall time and peak RSS;
- the I/O floor: a process that imports the same libraries, reads the same scan and writes an
  STL of the same triangle count; the key figure is build time / floor;
- rebuild latency: calibrate + build + validate from a cached analysis, default resolution.

Prints a table and writes ``benchmarks/results.json``. Timings live here, never in tests.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCANS = ROOT / "scans"
SHELLGEN = [str(Path(sys.executable).parent / "shellgen")]

#: Sample spacing (mm) of synthetic full-foot scans with floor, and the point counts they give.
SIZES = {"100k": 0.85, "1M": 0.27, "5M": 0.12}

_FLOOR = """
import sys, numpy as np
import shellgen.pipeline  # the same libraries as shellgen build
from shellgen.scan import load
from shellgen.export import write_stl
raw = load(sys.argv[1])
n = int(sys.argv[3])
rng = np.random.default_rng(0)
v = rng.uniform(0, 100, (n // 2 + 3, 3))
f = rng.integers(0, len(v), (n, 3))
write_stl(sys.argv[2], v, f)
"""


def _run(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and the child's peak RSS (MB) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(after, before) / 1024.0


def _measure(scan: Path, out: Path, repeats: int) -> dict[str, object]:
    builds, rss = [], 0.0
    for _ in range(repeats):
        wall, peak = _run([*SHELLGEN, "build", str(scan), "-o", str(out), "--order", "B1"])
        builds.append(wall)
        rss = max(rss, peak)
    report = json.loads((out / f"{scan.stem}.json").read_text())
    stl = out / f"{scan.stem}.stl"
    n_faces = (stl.stat().st_size - 84) // 50 if stl.exists() else 0
    floors = [
        _run([sys.executable, "-c", _FLOOR, str(scan), str(out / "floor.stl"), str(n_faces)])[0]
        for _ in range(repeats)
    ]
    build_s, floor_s = statistics.median(builds), statistics.median(floors)
    return {
        "points": report["analysis"]["points_read"],
        "faces": n_faces,
        "stages_s": report["timings_s"],
        "build_s": round(build_s, 3),
        "floor_s": round(floor_s, 3),
        "build_over_floor": round(build_s / floor_s, 2),
        "peak_rss_mb": round(rss, 1),
        "valid": report["validation"]["ok"],
    }


def _rebuild_latency(scan: Path, repeats: int = 20) -> dict[str, float]:
    """calibrate + build + validate from a cached analysis, after a profile change."""
    from shellgen.calibration import calibrate
    from shellgen.pipeline import analyze_file
    from shellgen.profile import load_profile, profile_path, with_fields
    from shellgen.shell import build
    from shellgen.validation import validate

    foot = analyze_file(scan)
    profile = load_profile(profile_path("standard"))
    parts: dict[str, list[float]] = {"calibrate": [], "build": [], "validate": [], "total": []}
    for i in range(repeats):
        changed = with_fields(profile, bodyweight_kg=60.0 + i)
        t0 = time.perf_counter()
        spec = calibrate(foot, changed, order_id="B1")
        t1 = time.perf_counter()
        shell = build(foot, spec)
        t2 = time.perf_counter()
        validate(shell, material=spec.material, foot_outline=foot.footprint)
        t3 = time.perf_counter()
        for key, value in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
            value_ms = value * 1000.0
            parts[key].append(value_ms)
    return {f"{k}_ms": round(statistics.median(v), 1) for k, v in parts.items()}


def main() -> None:
    """Measure, print and save."""
    quick = "--quick" in sys.argv
    repeats = 1 if quick else 3
    sizes = {"100k": SIZES["100k"]} if quick else SIZES
    from shellgen.synth import synth_scan, write_ply

    rows: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for label, spacing in sizes.items():
            s = synth_scan("foot", seed=7, floor=True, spacing_mm=spacing)
            path = work / f"synthetic_{label}.ply"
            write_ply(path, s.points)
            del s
            rows[path.name] = _measure(path, work / "out", repeats)
        for path in sorted(SCANS.glob("*.stl")) + sorted(SCANS.glob("*.obj")):
            rows[path.name] = _measure(path, work / "out", repeats)
    latency = _rebuild_latency(SCANS / "insoletilter_plantar_right_mm.obj")

    head = (
        f"{'scan':36s} {'points':>9s} {'build s':>8s} {'floor s':>8s} {'ratio':>6s} {'RSS MB':>7s}"
    )
    print(head)
    stage_names = ("load", "prepare", "analyze", "calibrate", "build", "validate", "export")
    for name, r in rows.items():
        print(
            f"{name:36s} {r['points']:9d} {r['build_s']:8.2f} {r['floor_s']:8.2f} "
            f"{r['build_over_floor']:6.2f} {r['peak_rss_mb']:7.0f}"
        )
        stages = r["stages_s"]
        assert isinstance(stages, dict)
        print("    " + "  ".join(f"{k} {stages.get(k, 0.0):.3f}" for k in stage_names))
    print(
        "rebuild after a profile change (ms): " + ", ".join(f"{k} {v}" for k, v in latency.items())
    )
    out = {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "scans": rows,
        "rebuild_latency": latency,
    }
    (HERE / "results.json").write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
