"""One scan: ``shellgen build`` and the I/O floor, alternated, each in a fresh process.

The floor is "everything but the computing": a process that imports exactly the modules
that a ``shellgen build`` of that scan had in ``sys.modules`` when it ended (every one, by
its full dotted name, shellgen's own included), reads the scan with ``shellgen.scan.load``,
and writes, with ``shellgen.export.write_stl``, a binary STL with as many triangles as the
build's STL (random vertices: the bytes written are what count). It writes no 3MF, preview
or report: those are the build's work.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

from benchmarks._process import Run, checked, run

PYTHON = sys.executable
SHELLGEN = str(Path(sys.executable).with_name("shellgen"))

#: ``python -c`` script: ``shellgen <args...>`` as the console script runs it, then the names
#: in ``sys.modules`` written as JSON to ``argv[1]``.
_DISCOVER = """
import json, sys
from shellgen.cli import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w") as fh:
    json.dump(sorted(name for name in sys.modules if name != "__main__"), fh)
sys.exit(code)
"""

#: ``python -c`` script: the floor. argv: modules JSON, scan, STL out, triangles, and
#: optionally a path to write its own ``sys.modules`` names to (to check the import set).
_FLOOR = """
import importlib, json, sys
for name in json.loads(open(sys.argv[1]).read()):
    try:
        importlib.import_module(name)
    except ImportError:
        pass  # names such as "_cython_3_2_4" that an import registers but cannot be imported
import numpy as np
from shellgen.export import write_stl
from shellgen.scan import load

raw = load(sys.argv[2])
n = int(sys.argv[4])
rng = np.random.default_rng(0)
vertices = rng.uniform(0.0, 100.0, (n // 2 + 3, 3))
write_stl(sys.argv[3], vertices, rng.integers(0, len(vertices), (n, 3)))
if len(sys.argv) > 5:
    with open(sys.argv[5], "w") as fh:
        json.dump(sorted(name for name in sys.modules if name != "__main__"), fh)
"""

STAGES = ("load", "prepare", "analyze", "calibrate", "build", "validate", "export")


def measure_scan(scan: Path, work: Path, repeats: int) -> dict[str, Any]:
    """Build ``scan`` once to warm up and list its modules, then ``repeats`` build/floor pairs.

    Returns
    -------
    dict
        ``points``, ``faces``, ``build_s`` and ``floor_s`` (medians), ``s_per_mpt`` (build
        seconds per million points), ``build_over_floor``
        (median over the pairs of build / floor, each floor run right after its build),
        ``peak_rss_mb`` (largest of the builds'), ``floor_rss_mb``, ``build_cpu_s`` and
        ``others_cpu_s`` (the CPU the rest of the machine used during a build; medians),
        ``stages_s`` (median of each stage), ``valid``, ``floor_missing_modules`` (what the
        build imported and the floor did not: should be empty), and the raw ``runs``.
    """
    out = work / scan.stem
    modules = work / f"{scan.stem}.modules.json"
    floor_modules = work / f"{scan.stem}.floor-modules.json"
    build_cmd = [SHELLGEN, "build", str(scan), "-o", str(out), "--order", "B1"]
    warm_cmd = [PYTHON, "-c", _DISCOVER, str(modules), *build_cmd[1:]]
    checked(run(warm_cmd), warm_cmd, ok=(0, 3))
    report_path, stl = out / f"{scan.stem}.json", out / f"{scan.stem}.stl"
    faces = (stl.stat().st_size - 84) // 50 if stl.exists() else 0
    floor_cmd = [PYTHON, "-c", _FLOOR, str(modules), str(scan), str(work / "floor.stl"), str(faces)]

    builds: list[Run] = []
    floors: list[Run] = []
    stages: list[dict[str, float]] = []
    for i in range(repeats):
        builds.append(checked(run(build_cmd), build_cmd, ok=(0, 3)))
        report = json.loads(report_path.read_text())
        stages.append(report["timings_s"])
        extra = [str(floor_modules)] if i == 0 else []
        floors.append(checked(run([*floor_cmd, *extra]), floor_cmd))

    built = set(json.loads(modules.read_text()))
    missing = sorted(built - set(json.loads(floor_modules.read_text())))
    ratios = [b.wall_s / f.wall_s for b, f in zip(builds, floors, strict=True)]
    points = int(report["analysis"]["points_read"])
    build_s = statistics.median(b.wall_s for b in builds)
    return {
        "points": points,
        "faces": faces,
        "build_s": round(build_s, 3),
        "s_per_mpt": round(build_s / (points / 1e6), 3),
        "floor_s": round(statistics.median(f.wall_s for f in floors), 3),
        "build_over_floor": round(statistics.median(ratios), 2),
        "peak_rss_mb": round(max(b.peak_rss_mb for b in builds), 1),
        "floor_rss_mb": round(max(f.peak_rss_mb for f in floors), 1),
        "build_cpu_s": round(statistics.median(b.cpu_s for b in builds), 3),
        "others_cpu_s": round(statistics.median(b.others_cpu_s for b in builds), 3),
        "stages_s": {k: round(statistics.median(s.get(k, 0.0) for s in stages), 4) for k in STAGES},
        "valid": report["validation"]["ok"],
        "modules_imported": len(built),
        "floor_missing_modules": missing,
        "runs": {
            "build_s": [round(b.wall_s, 3) for b in builds],
            "floor_s": [round(f.wall_s, 3) for f in floors],
        },
    }
