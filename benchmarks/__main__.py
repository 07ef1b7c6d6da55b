"""Speed and memory of shellgen, measured side by side with the I/O floor (issue #8).

Run with ``python -m benchmarks [--quick]`` (``make bench``). For synthetic full-foot scans
of about 100 k, 1 M and 5 M points (binary PLY) and for the sample scans it measures:

- the whole ``shellgen build`` process: wall time, CPU time and its own peak RSS (its own
  ``rusage``, through a small launcher process: see :func:`benchmarks._process.run`), and
  every stage's time from the ``timings_s`` of the build's report;
- the I/O floor, "everything but the computing": a fresh process that imports exactly the
  modules (all of ``sys.modules``, by full name, shellgen's own included) that a
  ``shellgen build`` of the same scan ended with, reads the scan with ``shellgen.scan.load``
  and writes a binary STL of the build's triangle count with ``shellgen.export.write_stl``
  (no 3MF, preview or report: those are the build's work); the harness checks that the floor
  ended with every module the build had. The key figure is build / floor: after one untimed
  warm-up build, builds and floors alternate (build, floor, build, floor...) and the ratio
  is the median over the adjacent pairs;
- seconds per million points of 1 M and 5 M, and whether 5 M grows no faster than linearly;
- rebuild latency: calibrate + build + validate after a profile change, from a cached
  analysis, at the default resolution, reusing the previous shell's plan, in this process
  (as the studio does it);
- batch throughput: scans per minute of ``shellgen batch`` on 1 and 2 workers, 40 orders
  (a lab's day) made from the 100 k synthetic scan and the sample scans, runs alternated.
  The whole command's figure includes its fixed start-up (imports; a spawned worker's
  imports), which a small batch does not amortise: 20 orders give about 1.7x where 40 give
  about 1.85x; the steady rate, once every worker has ended an order, is also reported.

Every command's run also records the CPU time the rest of the machine used meanwhile
(``/proc/stat``), so a noisy figure can be told from a slow one.

Prints a table, writes it as Markdown to ``benchmarks/results.md`` (the README includes it
verbatim) and everything to ``benchmarks/results.json``. ``--quick`` (the 100 k scan and
one sample scan, one repeat, 6 orders) is for trying the harness (about 1 minute); the full
run takes about 8 minutes on 2 cores. Timings live here, never in tests.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks._batch import make_orders, measure_batch
from benchmarks._process import load_average, machine
from benchmarks._scans import measure_scan
from benchmarks._table import lines

HERE = Path(__file__).resolve().parent
SCANS = HERE.parent / "scans"
REBUILD_SCAN = SCANS / "insoletilter_plantar_right_mm.obj"

#: Sample spacing (mm) of synthetic full-foot scans with floor, by the point count they give.
SIZES = {"100k": 0.85, "1M": 0.27, "5M": 0.12}


@dataclass(frozen=True)
class Settings:
    """How much a run measures: build/floor pairs per scan, batch orders and batch runs."""

    scan_repeats: int
    orders: int
    batch_repeats: int


FULL = Settings(scan_repeats=5, orders=40, batch_repeats=2)
QUICK = Settings(scan_repeats=1, orders=6, batch_repeats=1)


def rebuild_latency(scan: Path, repeats: int = 20) -> dict[str, object]:
    """calibrate + build + validate from a cached analysis, after a profile change (ms).

    Each iteration changes the body weight, as a designer's edit does, and passes the
    previous iteration's plan as ``reuse``, as the studio does.
    """
    from shellgen.calibration import calibrate
    from shellgen.pipeline import analyze_file
    from shellgen.profile import load_profile, profile_path, with_fields
    from shellgen.shell import Plan, build
    from shellgen.validation import validate

    foot = analyze_file(scan)
    profile = load_profile(profile_path("standard"))
    parts: dict[str, list[float]] = {"calibrate": [], "build": [], "validate": [], "total": []}
    plan: Plan | None = None
    for i in range(repeats):
        changed = with_fields(profile, bodyweight_kg=60.0 + i)
        t0 = time.perf_counter()
        spec = calibrate(foot, changed, order_id="B1")
        t1 = time.perf_counter()
        shell = build(foot, spec, reuse=plan)
        t2 = time.perf_counter()
        validate(shell, material=spec.material, foot_outline=foot.footprint)
        t3 = time.perf_counter()
        plan = shell.plan
        for key, value_s in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
            parts[key].append(value_s * 1000.0)
    out: dict[str, object] = {f"{k}_ms": round(statistics.median(v), 1) for k, v in parts.items()}
    return out | {"scan": scan.name, "repeats": repeats}


def _scaling(scans: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """Seconds per million points of 1 M and 5 M: of the build, and of build - floor."""
    one, five = scans.get("synthetic_1M.ply"), scans.get("synthetic_5M.ply")
    if one is None or five is None:
        return None
    out: dict[str, Any] = {}
    for label, r in (("1M", one), ("5M", five)):
        mpt = r["points"] / 1e6
        out[f"s_per_mpt_{label}"] = round(r["build_s"] / mpt, 3)
        out[f"compute_s_per_mpt_{label}"] = round((r["build_s"] - r["floor_s"]) / mpt, 3)
    out["linear"] = bool(
        out["s_per_mpt_5M"] <= out["s_per_mpt_1M"]
        and out["compute_s_per_mpt_5M"] <= out["compute_s_per_mpt_1M"]
    )
    return out


def main() -> None:
    """Measure, print and save."""
    parser = argparse.ArgumentParser(description="Speed and memory of shellgen (issue #8).")
    parser.add_argument(
        "--quick", action="store_true", help="the 100 k and one sample scan, 1 repeat, 6 orders"
    )
    quick = parser.parse_args().quick
    settings = QUICK if quick else FULL
    sizes = {"100k": SIZES["100k"]} if quick else SIZES
    samples = sorted(SCANS.glob("*.stl")) + sorted(SCANS.glob("*.obj"))
    samples = [REBUILD_SCAN] if quick else samples
    from shellgen.synth import synth_scan, write_ply

    load_start = load_average()
    scans: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="shellgen-bench-") as tmp:
        work = Path(tmp)
        synthetic: dict[str, Path] = {}
        for label, spacing in sizes.items():
            points = synth_scan("foot", seed=7, floor=True, spacing_mm=spacing).points
            synthetic[label] = work / f"synthetic_{label}.ply"
            write_ply(synthetic[label], points)
            del points
        for path in [*synthetic.values(), *samples]:
            scans[path.name] = measure_scan(path, work / "scans", settings.scan_repeats)
        n = settings.orders
        orders = make_orders([synthetic["100k"], *samples], n, work / "orders")
        batch = measure_batch(orders, n, work, settings.batch_repeats)
    results: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": quick,
        "settings": asdict(settings),
        "scans": scans,
        "scaling": _scaling(scans),
        "rebuild_latency": rebuild_latency(REBUILD_SCAN),
        "batch": batch,
    }
    results["machine"] = machine() | {"load_start": load_start, "load_end": load_average()}
    print("\n".join(lines(results, markdown=False)))
    (HERE / "results.md").write_text("\n".join(lines(results, markdown=True)) + "\n")
    (HERE / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
