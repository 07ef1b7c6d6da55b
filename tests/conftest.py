"""Shared fixtures: synthetic and real scans, prepared and analysed once per test process.

``prepare`` and ``analyze`` take 0.3-2 s per scan, and several specification tests look at
the same scan from different sides (frame, measures, idempotence). The session fixtures
below cache each result per pytest(-xdist) worker, keyed by everything that defines it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from shellgen._typing import FloatArray
from shellgen.analysis import Foot, analyze
from shellgen.scan import Kind, RawScan, Scan, ScanSource, Side, Units, load, prepare
from shellgen.synth import FootModel, SynthScan, synth_scan

#: The real sample scans shipped with the project.
SCANS = Path(__file__).resolve().parents[1] / "scans"

#: A synthetic scan, what ``prepare`` made of it, and what ``analyze`` measured.
Prepared = tuple[SynthScan, Scan, Foot]


def raw_scan(points: FloatArray, name: str = "synthetic.xyz") -> RawScan:
    """Wrap points (scanner frame and units) as a point-cloud scan read from ``name``."""
    points = np.asarray(points, dtype=np.float64)
    return RawScan(points, None, len(points), ScanSource(name, "xyz", "", len(points), 0, 0))


@functools.cache
def _prepared(
    kind: Kind,
    side: Side,
    units: Units,
    seed: int,
    floor: bool,
    leg: bool,
    model: FootModel | None,
) -> Prepared:
    synth = synth_scan(kind, side=side, units=units, seed=seed, model=model, floor=floor, leg=leg)
    name = f"synthetic_{kind}_{side}_{units}_{seed}.xyz"
    # An adult foot in inches is ambiguous with centimetres: inches must be given.
    scan = prepare(raw_scan(synth.points, name), units="in" if units == "in" else None)
    return synth, scan, analyze(scan)


@pytest.fixture(scope="session")
def synthetic() -> Callable[..., Prepared]:
    """``synthetic(kind, side, units, seed, floor=, leg=, model=)``: synth, prepare, analyze.

    Every scan is in a random orientation (seeded); units other than inches are detected.
    """

    def make(
        kind: Kind,
        side: Side = "right",
        units: Units = "mm",
        seed: int = 0,
        *,
        floor: bool = False,
        leg: bool = False,
        model: FootModel | None = None,
    ) -> Prepared:
        return _prepared(kind, side, units, seed, floor, leg, model)

    return make


@functools.cache
def _real(name: str) -> tuple[Scan, Foot]:
    scan = prepare(load(SCANS / name))
    return scan, analyze(scan)


@pytest.fixture(scope="session")
def to_raw() -> Callable[..., RawScan]:
    """``to_raw(points, name="synthetic.xyz")``: points as a point-cloud scan named ``name``."""
    return raw_scan


@pytest.fixture(scope="session")
def real_scan() -> Callable[[str], tuple[Scan, Foot]]:
    """``real_scan(file_name)``: a scan of ``scans/`` loaded, prepared and analysed."""
    return _real
