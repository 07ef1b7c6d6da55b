"""Batch throughput: one orders file run by ``shellgen batch`` on 1 and on 2 workers.

Every order has its own copy of its scan (orders that share a scan file are one job, so
copies keep the orders independent), cycling through the given scans, with a different
body weight each. Each run writes into a fresh folder, so that every order is built; the
wall time is that of the whole command, start-up included. Runs alternate between the
worker counts (1, 2, 2, 1, 1, 2...) so that a change of load hits both alike.
"""

from __future__ import annotations

import json
import shutil
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks._process import Run, checked, load_average, run
from benchmarks._scans import SHELLGEN


def make_orders(scans: Sequence[Path], n_orders: int, folder: Path) -> Path:
    """Write ``n_orders`` scan copies and their ``orders.csv`` into ``folder``; return the CSV."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["order_id,scan,bodyweight_kg"]
    for i in range(n_orders):
        source = scans[i % len(scans)]
        name = f"o{i:02d}_{source.name}"
        shutil.copyfile(source, folder / name)
        rows.append(f"O{i:02d},{name},{60 + i}")
    orders = folder / "orders.csv"
    orders.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return orders


def measure_batch(
    orders: Path, n_orders: int, work: Path, repeats: int, workers: Sequence[int] = (1, 2)
) -> dict[str, Any]:
    """Time ``shellgen batch`` on each worker count ``repeats`` times, alternating.

    Besides the wall time of the whole command, each run's shell reports (written as each
    order ends) tell when the first order was done (start-up included) and the steady
    rate once every worker has finished an order.

    Returns
    -------
    dict
        ``orders``; per worker count (``workers_1``...), medians of: ``wall_s``,
        ``scans_per_min`` (from the wall time), ``first_order_s``, ``steady_scans_per_min``,
        ``cpu_s`` (the command's and its workers') and ``others_cpu_s`` (what the rest of the
        machine used meanwhile), with ``peak_rss_mb`` (the largest process), ``runs_s`` and
        ``load_before``; ``speedup`` and ``steady_speedup`` (most workers over fewest).
    """
    runs: dict[int, list[dict[str, float]]] = {w: [] for w in workers}
    loads: dict[int, list[float]] = {w: [] for w in workers}
    for r in range(repeats):
        for w in workers if r % 2 == 0 else tuple(reversed(workers)):
            out = work / f"batch_w{w}_r{r}"
            cmd = [SHELLGEN, "batch", str(orders), "-o", str(out), "--workers", str(w)]
            loads[w].append(load_average())
            started = time.time()
            runs[w].append(_timeline(checked(run(cmd), cmd), out, started, n_orders, w))
            shutil.rmtree(out)
    result: dict[str, Any] = {"orders": n_orders}
    for w, done in runs.items():
        medians = {k: statistics.median(d[k] for d in done) for k in done[0]}
        result[f"workers_{w}"] = {k: round(v, 2) for k, v in medians.items()} | {
            "peak_rss_mb": round(max(d["peak_rss_mb"] for d in done), 1),
            "runs_s": [round(d["wall_s"], 2) for d in done],
            "load_before": loads[w],
        }
    most, fewest = result[f"workers_{max(workers)}"], result[f"workers_{min(workers)}"]
    result["speedup"] = round(most["scans_per_min"] / fewest["scans_per_min"], 2)
    result["steady_speedup"] = round(
        most["steady_scans_per_min"] / fewest["steady_scans_per_min"], 2
    )
    return result


def _timeline(
    done: Run, out: Path, started: float, n_orders: int, workers: int
) -> dict[str, float]:
    """One batch run's figures, from its measurement and its reports' modification times.

    The steady rate counts the orders ended after the first ``workers`` ones (by then every
    worker has started), over the time from the ``workers``-th end to the last.
    """
    counts = json.loads((out / "summary.json").read_text())["counts"]
    if counts["built"] != n_orders:
        raise RuntimeError(f"the batch built {counts}, not {n_orders} orders; see {out}")
    ends = sorted(p.stat().st_mtime for p in out.glob("*.json") if p.name != "summary.json")
    return {
        "wall_s": done.wall_s,
        "scans_per_min": 60.0 * n_orders / done.wall_s,
        "first_order_s": ends[0] - started,
        "steady_scans_per_min": 60.0 * (n_orders - workers) / (ends[-1] - ends[workers - 1]),
        "cpu_s": done.cpu_s,
        "others_cpu_s": done.others_cpu_s,
        "peak_rss_mb": done.peak_rss_mb,
    }
