"""Time every stage on synthetic scans of growing size and on the sample scans.

Run with ``python -m benchmarks``; prints a table and writes ``benchmarks/results.json``.
"""

from __future__ import annotations

import json
import platform
import resource
import tempfile
import time
from pathlib import Path

from shellgen.analysis import analyze
from shellgen.scan import load, prepare
from shellgen.synth import synth_scan, write_ply

HERE = Path(__file__).resolve().parent
SCANS = HERE.parent / "scans"


def _stages(path: Path) -> dict[str, float]:
    t0 = time.perf_counter()
    raw = load(path)
    t1 = time.perf_counter()
    scan = prepare(raw)
    t2 = time.perf_counter()
    analyze(scan)
    t3 = time.perf_counter()
    return {
        "points": float(len(raw.points)),
        "load": t1 - t0,
        "prepare": t2 - t1,
        "analyze": t3 - t2,
    }


def main() -> None:
    """Measure, print and save."""
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for spacing in (1.0, 0.35):
            s = synth_scan("foot", seed=7, floor=True, spacing_mm=spacing)
            path = Path(tmp) / f"synthetic_{len(s.points)}.ply"
            write_ply(path, s.points)
            rows[path.name] = _stages(path)
    for path in sorted(SCANS.glob("*.stl")) + sorted(SCANS.glob("*.obj")):
        rows[path.name] = _stages(path)
    print(f"{'scan':44s} {'points':>9s} {'load s':>8s} {'prepare s':>10s} {'analyze s':>10s}")
    for name, r in rows.items():
        print(
            f"{name:44s} {r['points']:9.0f} {r['load']:8.3f} {r['prepare']:10.3f} "
            f"{r['analyze']:10.3f}"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mb:.0f} MB on {platform.machine()}, {platform.python_version()}")
    out = {"machine": platform.platform(), "peak_rss_mb": peak_mb, "stages_s": rows}
    (HERE / "results.json").write_text(json.dumps(out, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
