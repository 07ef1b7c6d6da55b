"""The results as text: one table of scans, then rebuild, batch, targets and the machine.

:func:`lines` gives the same content as plain text (fixed-width columns, for the terminal)
or as Markdown (``benchmarks/results.md``, which the README includes verbatim).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from benchmarks._scans import STAGES

Results = Mapping[str, Any]

_HEAD = ("scan", "points", "build s", "floor s", "ratio", "s/Mpt", "RSS MB", *STAGES)


def _scan_rows(scans: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, ...]]:
    rows = []
    for name, r in scans.items():
        stages = r["stages_s"]
        rows.append(
            (
                name,
                f"{r['points']:,}",
                f"{r['build_s']:.2f}",
                f"{r['floor_s']:.2f}",
                f"{r['build_over_floor']:.2f}",
                f"{r['s_per_mpt']:.2f}",
                f"{r['peak_rss_mb']:.0f}",
                *(f"{stages[k]:.3f}" for k in STAGES),
            )
        )
    return rows


def _grid(head: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool) -> list[str]:
    """Rows under a header: a Markdown table, or fixed-width text columns."""
    if markdown:
        rule = "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"
        return [f"| {' | '.join(head)} |", rule, *(f"| {' | '.join(row)} |" for row in rows)]
    widths = [max(len(str(c)) for c in col) for col in zip(head, *rows, strict=True)]
    fmt = [f"{{:<{widths[0]}}}"] + [f"{{:>{w}}}" for w in widths[1:]]
    return ["  ".join(f.format(c) for f, c in zip(fmt, row, strict=True)) for row in (head, *rows)]


def _targets(results: Results) -> list[tuple[str, str, str]]:
    """(target, measured, met) for each of issue #8's targets that this run measured."""
    scans = results["scans"]
    out: list[tuple[str, str, str]] = []
    if "synthetic_1M.ply" in scans:
        ratio = scans["synthetic_1M.ply"]["build_over_floor"]
        out.append(("1 M build <= 1.5x floor", f"{ratio:.2f}x", _yes(ratio <= 1.5)))
    total = results["rebuild_latency"]["total_ms"]
    out.append(("rebuild <= 50 ms", f"{total:.0f} ms", _yes(total <= 50.0)))
    if "synthetic_5M.ply" in scans:
        rss = scans["synthetic_5M.ply"]["peak_rss_mb"]
        out.append(("5 M peak RSS <= 2 GB", f"{rss:.0f} MB", _yes(rss <= 2048.0)))
    scaling = results.get("scaling")
    if scaling:
        measured = f"{scaling['s_per_mpt_1M']:.2f} -> {scaling['s_per_mpt_5M']:.2f} s/Mpt"
        out.append(("5 M time no faster than linear", measured, _yes(scaling["linear"])))
    speedup = results["batch"]["speedup"]
    out.append(("batch 2 workers >= 1.8x of 1", f"{speedup:.2f}x", _yes(speedup >= 1.8)))
    return out


_REBUILD_PARTS = ("calibrate", "build", "validate", "total")


def _yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def _scans_section(results: Results, markdown: bool) -> list[str]:
    out = ["Scans (seconds; stage times from the build's report; medians):", ""]
    out += _grid(_HEAD, _scan_rows(results["scans"]), markdown)
    out += [
        "",
        "ratio: build / floor, median over adjacent pairs; s/Mpt: build seconds per million "
        "points; RSS: the build process' own peak.",
    ]
    scaling = results.get("scaling")
    if scaling:
        out.append(
            f"5 M vs 1 M: {scaling['s_per_mpt_1M']:.2f} -> {scaling['s_per_mpt_5M']:.2f} s/Mpt "
            f"(build), {scaling['compute_s_per_mpt_1M']:.2f} -> "
            f"{scaling['compute_s_per_mpt_5M']:.2f} s/Mpt (build - floor): time grows "
            + ("no faster than linearly." if scaling["linear"] else "FASTER than linearly.")
        )
    return out


def _rebuild_section(results: Results) -> list[str]:
    latency = results["rebuild_latency"]
    return [
        f"Rebuild after a profile change ({latency['scan']}, cached analysis, previous plan "
        f"reused; ms, median of {latency['repeats']}): "
        + ", ".join(f"{k} {latency[f'{k}_ms']:.1f}" for k in _REBUILD_PARTS)
    ]


def _batch_section(results: Results, markdown: bool) -> list[str]:
    batch = results["batch"]
    head = (
        "workers",
        "wall s",
        "scans/min",
        "first order s",
        "steady scans/min",
        "CPU s",
        "others' CPU s",
        "peak RSS MB",
    )
    rows = []
    for w in (1, 2):
        r = batch[f"workers_{w}"]
        rows.append(
            (
                str(w),
                f"{r['wall_s']:.2f}",
                f"{r['scans_per_min']:.1f}",
                f"{r['first_order_s']:.2f}",
                f"{r['steady_scans_per_min']:.1f}",
                f"{r['cpu_s']:.1f}",
                f"{r['others_cpu_s']:.1f}",
                f"{r['peak_rss_mb']:.0f}",
            )
        )
    out = [f"Batch throughput ({batch['orders']} orders, `shellgen batch`; medians):", ""]
    out += _grid(head, rows, markdown)
    out += [
        "",
        f"2 workers / 1 worker: {batch['speedup']:.2f}x (whole command), "
        f"{batch['steady_speedup']:.2f}x (steady: once each worker has ended an order). "
        "first order s: start-up (imports; worker processes) and one order. CPU s: the "
        "command's and its workers'; others' CPU s: what the rest of the machine used "
        "meanwhile (from /proc/stat), which slows 2 workers down and 1 worker hardly; "
        "peak RSS: the largest process.",
    ]
    return out


def _machine_line(results: Results) -> str:
    m, settings = results["machine"], results["settings"]
    return (
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, Python {m['python']}, "
        f"{m['platform']}; load average {m['load_start']} at start, {m['load_end']} at end; "
        f"{results['date']}; {'--quick' if results['quick'] else 'full run'}: "
        f"{settings['scan_repeats']} build/floor pair(s) per scan, "
        f"{settings['batch_repeats']} batch run(s) per worker count."
    )


def lines(results: Results, *, markdown: bool) -> list[str]:
    """Every section of the results, as text lines (Markdown tables if ``markdown``)."""
    targets = _grid(("target", "measured", "met"), _targets(results), markdown)
    return [
        *_scans_section(results, markdown),
        "",
        *_rebuild_section(results),
        "",
        *_batch_section(results, markdown),
        "",
        "Targets (issue #8):",
        "",
        *targets,
        "",
        _machine_line(results),
    ]
