"""``pipeline``: the stages run with BLAS on one thread, and the limit is lifted after.

Every product in the stages is a few columns wide; OpenBLAS's extra threads only wait for
each other there, and on a busy machine made ``prepare`` twice as slow (issue #8).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from threadpoolctl import threadpool_info

import shellgen.pipeline as pipeline
from shellgen.analysis import Foot
from shellgen.scan import Scan
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
