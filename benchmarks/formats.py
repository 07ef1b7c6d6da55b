"""Files for CAD and printers (issue 15): export time and size, and scan load time.

Run with ``python -m benchmarks.formats [--exports] [--load LABEL]``:

- ``--exports``: for each sample scan's shell (built once, default profile), the seconds
  and bytes of its STL, its 3MF (lib3mf) and its STEP (faceted solid, coplanar faces
  merged, AP214 write, each stage timed), and, with ``--sewing``, the seconds that sewing
  the same triangles with ``BRepBuilderAPI_Sewing`` would take instead of building the
  shared topology directly (the choice :mod:`shellgen.step` explains).
- ``--load LABEL``: seconds for ``shellgen.scan.load`` of synthetic full-foot scans of 5 M
  points (binary PLY) and of 1 M points in the other formats, and of a 327 k-face mesh in
  each mesh format, the median of 3, recorded under LABEL (e.g. ``before``/``after`` a
  change to the readers) beside earlier labels. With ``--libraries`` also the seconds that
  trimesh, open3d and plyfile take to parse the same files (parsing only: no cleaning or
  surface samples), the measurement behind the parsers shellgen keeps (``shellgen.scan``).

- ``--ab TREE``: ``shellgen.scan.load`` of a 5 M-point binary PLY in fresh processes, the
  code in TREE (e.g. ``git archive <commit> shellgen | tar -x -C TREE``) and this tree
  taking turns (each first in turn), 5 pairs: a before/after comparison that a busy
  machine biases less than two separate runs.

Results go to ``benchmarks/formats.json`` (merged with what is there) and a Markdown table
``benchmarks/formats.md``. Timings live here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._process import load_average, machine

HERE = Path(__file__).resolve().parent
SCANS = HERE.parent / "scans"
RESULTS = HERE / "formats.json"
#: Sample spacing (mm) of the synthetic full-foot scans, by their point count.
LOAD_SIZES = {"5M": 0.12, "1M": 0.27}


def _timed(fn: Callable[[], object]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def measure_exports(scan: Path, work: Path, sewing: bool) -> dict[str, Any]:
    """Build the scan's shell once, then time and size each export format."""
    from shellgen.export import mirror_to_side, write_3mf, write_stl
    from shellgen.pipeline import analyze_file
    from shellgen.profile import load_profile, profile_path
    from shellgen.shell import build
    from shellgen.step import _merge_coplanar, faceted_solid, write_step

    foot = analyze_file(scan)
    from shellgen.calibration import calibrate

    shell = build(foot, calibrate(foot, load_profile(profile_path("standard"))))
    vertices, faces = mirror_to_side(shell.vertices, shell.faces, shell.side)
    out: dict[str, Any] = {"triangles": len(faces)}
    stl_s, stl = _timed(lambda: write_stl(work / "s.stl", vertices, faces))
    tmf_s, tmf = _timed(lambda: write_3mf(work / "s.3mf", vertices, faces, name="s", metadata={}))
    solid_s, solid = _timed(lambda: faceted_solid(vertices, faces))
    merge_s, _ = _timed(lambda: _merge_coplanar(solid))
    step_s, step = _timed(lambda: write_step(work / "s.step", vertices, faces, name="s"))
    out |= {
        "stl_s": round(stl_s, 3),
        "stl_mb": round(stl.stat().st_size / 1e6, 2),
        "3mf_s": round(tmf_s, 3),
        "3mf_mb": round(tmf.stat().st_size / 1e6, 2),
        "step_solid_s": round(solid_s, 2),
        "step_merge_s": round(merge_s, 2),
        "step_total_s": round(step_s, 2),
        "step_mb": round(step.stat().st_size / 1e6, 2),
    }
    if sewing:
        out["sewing_s"] = round(_sewing_s(vertices, faces), 2)
    return out


def _sewing_s(vertices: np.ndarray, faces: np.ndarray) -> float:
    """Seconds to make a face per free triangle and sew them (the alternative not taken)."""
    from OCP.BRepBuilderAPI import (
        BRepBuilderAPI_MakeFace,
        BRepBuilderAPI_MakePolygon,
        BRepBuilderAPI_Sewing,
    )
    from OCP.gp import gp_Pnt

    start = time.perf_counter()
    sewing = BRepBuilderAPI_Sewing(1e-6)
    points = [gp_Pnt(*p) for p in vertices.tolist()]
    for a, b, c in faces.tolist():
        polygon = BRepBuilderAPI_MakePolygon(points[a], points[b], points[c], True)
        sewing.Add(BRepBuilderAPI_MakeFace(polygon.Wire(), True).Face())
    sewing.Perform()
    sewing.SewedShape()
    return time.perf_counter() - start


def measure_load(work: Path, libraries: bool) -> dict[str, Any]:
    """Median seconds of ``shellgen.scan.load`` per synthetic scan file (3 runs each)."""
    import trimesh

    from shellgen.scan import load
    from shellgen.synth import synth_scan, write_ply

    files: dict[str, Path] = {}
    for label, spacing in LOAD_SIZES.items():
        points = synth_scan("foot", seed=7, floor=True, spacing_mm=spacing).points
        files[f"ply binary {label}"] = work / f"foot_{label}.ply"
        write_ply(files[f"ply binary {label}"], points)
        if label == "1M":
            np.savetxt(work / "foot_1M.xyz", points, fmt="%.4f")
            files["xyz 1M"] = work / "foot_1M.xyz"
            cloud = trimesh.PointCloud(points)
            files["ply ascii 1M"] = work / "foot_1M_ascii.ply"
            files["ply ascii 1M"].write_bytes(cloud.export(file_type="ply", encoding="ascii"))
    mesh = trimesh.creation.icosphere(subdivisions=7, radius=120.0)  # 164 k vertices
    for fmt in ("stl", "obj", "ply", "glb", "3mf"):
        files[f"{fmt} mesh {len(mesh.faces) // 1000} k faces"] = work / f"sphere.{fmt}"
        mesh.export(work / f"sphere.{fmt}")
    times = {}
    for name, path in files.items():
        runs = [_timed(lambda p=path: load(p))[0] for _ in range(3)]
        times[name] = round(statistics.median(runs), 3)
        if libraries:
            parsers = {"shellgen": _own_parser(path), **_library_parsers(path)}
            for library, parse in parsers.items():
                runs = [_timed(parse)[0] for _ in range(3)]
                times[f"{name}, {library} parse"] = round(statistics.median(runs), 3)
    return times


def _own_parser(path: Path) -> Callable[[], object]:
    """shellgen's own reader of ``path``'s format, parsing only (as the libraries are timed)."""
    from shellgen.scan._load import _READERS

    data = path.read_bytes()
    return lambda: _READERS[path.suffix.lstrip(".")](data, str(path))


def _library_parsers(path: Path) -> dict[str, Callable[[], object]]:
    """The libraries that read ``path``'s format, each as a parse-only call."""
    import open3d as o3d
    import plyfile
    import trimesh

    o3d.utility.set_verbosity_level(o3d.utility.VerbosityLevel.Error)
    fmt = path.suffix.lstrip(".")
    parsers: dict[str, Callable[[], object]] = {}
    if fmt in ("ply", "stl", "obj", "glb"):
        parsers["trimesh"] = lambda: trimesh.load(path, process=False)
    if fmt in ("ply", "xyz"):
        parsers["open3d"] = lambda: o3d.io.read_point_cloud(str(path))
    if fmt in ("stl", "obj") or (fmt == "ply" and "sphere" in path.name):
        parsers["open3d mesh"] = lambda: o3d.io.read_triangle_mesh(str(path))
    if fmt == "ply":
        parsers["plyfile"] = lambda: plyfile.PlyData.read(str(path), mmap=False)
    return parsers


_AB_RUN = """
import sys, time
sys.path.insert(0, sys.argv[1])
from shellgen.scan import load
runs = []
for _ in range(3):
    start = time.perf_counter()
    load(sys.argv[2])
    runs.append(time.perf_counter() - start)
print(min(runs))
"""


def measure_ab(old_tree: Path, work: Path, pairs: int = 5) -> dict[str, Any]:
    """Load seconds of a 5 M-point binary PLY: ``old_tree``'s code and this tree's.

    Each process loads three times and reports its best (the first load pays for page
    faults on a fresh 60 MB buffer); the median over the processes of each tree is given.
    """
    import subprocess
    import sys

    from shellgen.synth import synth_scan, write_ply

    path = work / "foot_5M.ply"
    write_ply(path, synth_scan("foot", seed=7, floor=True, spacing_mm=LOAD_SIZES["5M"]).points)
    runs: dict[str, list[float]] = {"before": [], "after": []}
    trees = [("before", old_tree), ("after", HERE.parent)]
    for pair in range(pairs):
        for label, tree in trees[:: 1 if pair % 2 else -1]:  # each goes first in turn
            cmd = [sys.executable, "-c", _AB_RUN, str(tree), str(path)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            runs[label].append(float(out.split()[-1]))
    return {k: round(statistics.median(v), 3) for k, v in runs.items()} | {"pairs": pairs}


def _markdown(results: dict[str, Any]) -> str:
    lines = ["## Exports (per sample scan's shell)", ""]
    exports = results.get("exports", {})
    if exports:
        keys = sorted({k for r in exports.values() for k in r})
        lines += ["| scan | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
        for scan, r in sorted(exports.items()):
            lines.append(f"| {scan} | " + " | ".join(str(r.get(k, "")) for k in keys) + " |")
    lines += [
        "",
        "## Scan load, seconds (median of 3)",
        "",
        "Each column is one run of its own, on a shared 2-core machine whose load differed",
        "between runs: compare rows within a column; the interleaved A/B line below is the",
        "before/after comparison. ``load`` rows include cleaning and a mesh's surface samples;",
        "``parse`` rows the format's parsing only, shellgen's own reader beside the libraries'.",
        "",
    ]
    loads = results.get("load", {})
    if loads:
        labels = sorted(loads)
        files = sorted({f for times in loads.values() for f in times})
        lines += ["| file | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
        for f in files:
            lines.append(f"| {f} | " + " | ".join(str(loads[k].get(f, "")) for k in labels) + " |")
    if "ab_5M" in results:
        lines += ["", f"5 M-point binary PLY load, interleaved A/B: {results['ab_5M']}"]
    lines += ["", f"Machine: {results.get('machine', {})}", ""]
    return "\n".join(lines)


def main() -> None:
    """Measure what is asked, merge into formats.json, rewrite formats.md."""
    parser = argparse.ArgumentParser(description="Export and scan-load speed (issue 15).")
    parser.add_argument("--exports", action="store_true", help="time and size each export")
    parser.add_argument("--sewing", action="store_true", help="also time sewing (slow)")
    parser.add_argument("--load", metavar="LABEL", help="time scan loading, record as LABEL")
    parser.add_argument("--ab", metavar="TREE", help="interleaved 5 M load: TREE vs this")
    parser.add_argument("--libraries", action="store_true", help="also time library parsers")
    args = parser.parse_args()
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    with tempfile.TemporaryDirectory(prefix="shellgen-formats-") as tmp:
        work = Path(tmp)
        if args.exports:
            samples = sorted(SCANS.glob("*.stl")) + sorted(SCANS.glob("*.obj"))
            results["exports"] = {
                s.name: measure_exports(s, work, args.sewing and i == 0)
                for i, s in enumerate(samples)
            }
        if args.ab:
            results["ab_5M"] = measure_ab(Path(args.ab), work)
        if args.load:
            results.setdefault("load", {})[args.load] = measure_load(work, args.libraries)
    results["machine"] = machine() | {"load_average": load_average()}
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    (HERE / "formats.md").write_text(_markdown(results))
    print(_markdown(results))


if __name__ == "__main__":
    main()
