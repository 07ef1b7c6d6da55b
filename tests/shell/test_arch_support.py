"""The supported arch is a smooth medial longitudinal arch, not a fin (issue 13).

A crest of the shell's top, seen from the medial side, is measured as the length along x
over which the top's medial profile (its highest point across the shell at every x, between
the heel seat and the metatarsal heads) stays within half the supported arch height
(``spec.arch_height_mm``) of its top. It must be at least the stated crest length
(``ARCH_CREST_FRACTION`` of foot length). Every shell is compared with the same shell on the
unsmoothed, arch-scaled sole (``ARCH_CREST_FRACTION = 0``): the smoothing only lowers the top,
by at most the reported ``arch_gap_mm``, and leaves the heel seat and the forefoot in total
contact.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest
import shapely
from feet import ARCH_X_MM, synthetic_foot
from feet import shell_spec as make_spec
from matplotlib.tri import LinearTriInterpolator, Triangulation

import shellgen.shell._support as support_module
from shellgen.analysis import Foot, HeightField
from shellgen.calibration import calibrate
from shellgen.profile import load_profile, profile_path
from shellgen.shell import Shell, build
from shellgen.shell._support import (
    ARCH_CREST_FRACTION,
    Support,
    crest_opening,
    crest_radius,
)
from shellgen.spec import ShellSpec
from shellgen.synth import FootModel

#: The top may stand this far above the unsmoothed support's top (brief: 0.05 mm), mm.
ABOVE_SOLE_MM = 0.05
#: Heel seat and forefoot heights may move this little (total contact kept: under a print
#: layer; the seat reaches into the arch weight's rise, where a scan's noise peaks go), mm.
CONTACT_MM = 0.05
#: A scanned sole is noisy by about 0.1 mm along x; the opening lowers those peaks, no more.
SCAN_NOISE_MM = 0.2
#: The medial profile is sampled this finely, mm.
PROFILE_STEP_MM = 0.5

#: A real scan whose arch is a narrow crest (5 to 17 mm and back within some 30 mm).
MYFEET_LEFT = "myfeet_left_foot_m.stl"
#: Every real sample scan.
REAL = (MYFEET_LEFT, "myfeet_right_foot_m.stl", "insoletilter_plantar_right_mm.obj")


def _top(shell: Shell) -> np.ndarray:
    """z of the top vertices (the first ``n`` vertices, one per plan point), mm."""
    assert shell.plan is not None
    return shell.vertices[: len(shell.plan.mesh.points), 2]


def unsmoothed(foot: Foot, spec: ShellSpec, shell: Shell) -> Shell:
    """The same shell on the arch-scaled sole itself (no crest smoothing)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(support_module, "ARCH_CREST_FRACTION", 0.0)
        raw = build(foot, spec, reuse=shell.plan)
    assert raw.arch_gap_mm == 0.0
    return raw


def medial_profile(shell: Shell, x_lo: float, x_hi: float) -> tuple[np.ndarray, np.ndarray]:
    """The top seen from the medial side: its highest point across the shell at every x.

    The built top (linear on its triangles) is sampled every ``PROFILE_STEP_MM``.
    """
    assert shell.plan is not None
    points, triangles = shell.plan.mesh.points, shell.plan.mesh.triangles
    top = LinearTriInterpolator(Triangulation(points[:, 0], points[:, 1], triangles), _top(shell))
    _, y_lo, _, y_hi = shell.outline.bounds
    xs = np.arange(x_lo, x_hi, PROFILE_STEP_MM)
    gx, gy = np.meshgrid(xs, np.arange(y_lo, y_hi, PROFILE_STEP_MM))
    z = np.ma.filled(top(gx, gy), np.nan)
    return xs, np.nanmax(z, axis=0)


def crest_width_mm(xs: np.ndarray, z: np.ndarray, drop_mm: float) -> float:
    """Length along x around the highest point over which ``z`` stays within ``drop_mm``."""
    top = int(np.nanargmax(z))
    high = np.nan_to_num(z, nan=-np.inf) >= z[top] - drop_mm
    left, right = top, top
    while left > 0 and high[left - 1]:
        left -= 1
    while right < len(z) - 1 and high[right + 1]:
        right += 1
    return float(xs[right] - xs[left])


def arch_window(foot: Foot, spec: ShellSpec, shell: Shell) -> tuple[float, float]:
    """Where the arch is supported beyond the heel seat: seat end to the MTH line, x mm."""
    assert shell.plan is not None
    band = Support.make(foot, spec, shell.plan.plantar_heights).arch_band
    return shell.plan.seat.bounds[2], band[3]


def crest_of(foot: Foot, spec: ShellSpec, shell: Shell) -> float:
    """The crest width of a shell's medial profile at half the supported arch height, mm."""
    xs, z = medial_profile(shell, *arch_window(foot, spec, shell))
    return crest_width_mm(xs, z, 0.5 * spec.arch_height_mm)


def narrow_crest_foot(fwhm_mm: float, rise_mm: float) -> Foot:
    """The analytic foot of ``feet.py`` with a low arch and a narrow crest on its medial side.

    A ridge ``rise_mm`` high and ``fwhm_mm`` wide at half its height (Gaussian in x, at the
    arch, rising toward the medial edge as the arch does) is added to a 2 mm arch; the
    measured arch height is the new height at the arch apex.
    """
    foot = synthetic_foot("right", arch_mm=2.0)
    f = foot.plantar
    gx, gy = np.meshgrid(f.xs_mm, f.ys_mm)
    sigma = fwhm_mm / (2.0 * np.sqrt(np.log(2.0)))
    ridge = rise_mm * np.exp(-(((gx - ARCH_X_MM) / sigma) ** 2)) * np.clip(gy / 40.0, 0, 1) ** 2
    field = HeightField(f.x0_mm, f.y0_mm, f.spacing_mm, f.z_mm + ridge)
    apex = np.array(foot.landmarks.arch_apex)
    height = float(field.sample(apex[:1], apex[1:])[0])
    return dataclasses.replace(
        foot, plantar=field, arch=dataclasses.replace(foot.arch, height_mm=height)
    )


Case = tuple[Foot, ShellSpec, Shell, Shell]


def _case(foot: Foot, spec: ShellSpec) -> Case:
    shell = build(foot, spec)
    return foot, spec, shell, unsmoothed(foot, spec, shell)


def _myfeet(request: pytest.FixtureRequest) -> Case:
    _, foot = request.getfixturevalue("real_scan")(MYFEET_LEFT)
    return _case(foot, calibrate(foot, load_profile(profile_path("standard")), order_id="T1"))


def _narrow(fwhm_mm: float, rise_mm: float) -> Case:
    foot = narrow_crest_foot(fwhm_mm, rise_mm)
    spec = dataclasses.replace(make_spec("sulcus"), arch_height_mm=foot.arch.height_mm)
    return _case(foot, spec)


def _synth_normal(request: pytest.FixtureRequest) -> Case:
    _, _, foot = request.getfixturevalue("synthetic")("foot", "right", "mm", 3, model=FootModel())
    return _case(foot, calibrate(foot, load_profile(profile_path("standard")), order_id="T1"))


#: Every case: the real scan with a fin, two synthetic narrow crests, a normal synthetic arch.
MAKERS: dict[str, Callable[[pytest.FixtureRequest], Case]] = {
    "myfeet": _myfeet,
    "narrow20": lambda _: _narrow(20.0, 20.0),
    "narrow30": lambda _: _narrow(30.0, 24.0),
    "synth_normal": _synth_normal,
}
FINS = ["myfeet", "narrow20", "narrow30"]


@pytest.fixture(scope="module")
def cases() -> dict[str, Case]:
    return {}


def _made(name: str, request: pytest.FixtureRequest, cases: dict[str, Case]) -> Case:
    if name not in cases:
        cases[name] = MAKERS[name](request)
    return cases[name]


@pytest.fixture(params=list(MAKERS))
def case(request: pytest.FixtureRequest, cases: dict[str, Case]) -> Case:
    return _made(request.param, request, cases)


@pytest.fixture(params=FINS)
def fin(request: pytest.FixtureRequest, cases: dict[str, Case]) -> Case:
    return _made(request.param, request, cases)


# --- the opening, against analytic shapes -------------------------------------------------


def test_crest_radius_makes_a_parabola_the_crest_length_wide_at_half_the_arch() -> None:
    radius = crest_radius(45.0, 18.0)
    assert 22.5**2 / (2.0 * radius) == pytest.approx(9.0)  # half of 18 mm, 22.5 mm either side
    assert crest_radius(0.0, 18.0) == 0.0


def test_opening_keeps_a_broader_parabola_and_cuts_a_pulse_to_the_parabola_over_it() -> None:
    x = np.arange(-150.0, 150.25, 0.25)
    radius, reach = 30.0, 45.0
    broad = 20.0 - x**2 / (2.0 * 40.0)  # flatter than the structuring parabola
    # kept where its slope (x / 40) is under the parabola's at its reach (45 / 30), to the
    # grid's resolution: a touching parabola's apex falls between nodes (h**2 / R)
    kept = np.abs(x) <= 55.0
    opened_broad = crest_opening(broad, 0.25, radius, reach)
    np.testing.assert_allclose(opened_broad[kept], broad[kept], atol=0.25**2 / radius)
    # a 20 mm wide, 15 mm high pulse on flat ground: only the parabola through its two
    # corners fits, apex w**2 / (8 R) = 1.67 mm
    pulse = np.where(np.abs(x) < 10.0, 15.0, 0.0)  # 0 from x = +-10 mm
    opened = crest_opening(pulse, 0.25, radius, reach)
    assert opened.max() == pytest.approx(20.0**2 / (8.0 * radius))
    assert np.all(opened <= pulse)
    np.testing.assert_allclose(crest_opening(opened, 0.25, radius, reach), opened, atol=1e-9)


def test_opening_runs_along_x_only() -> None:
    x = np.arange(0.0, 100.0, 1.0)
    rows = np.stack([np.where(np.abs(x - 50.0) <= 5.0, 10.0, 0.0), np.full_like(x, 3.0)])
    opened = crest_opening(rows, 1.0, 20.0, 40.0)
    assert np.array_equal(opened[1], rows[1])  # a flat row next to a fin keeps its height
    assert opened[0].max() < 1.0


# --- shells --------------------------------------------------------------------------------


def test_no_supported_arch_has_a_crest_narrower_than_the_stated_length(case: Case) -> None:
    foot, spec, shell, _ = case
    stated_mm = ARCH_CREST_FRACTION * foot.foot_length_mm
    assert crest_of(foot, spec, shell) >= stated_mm


@pytest.mark.parametrize("profile_name", ["standard", "pronated_runner"])  # pronated: highest arch
@pytest.mark.parametrize("name", REAL)
def test_every_real_scan_has_a_crest_at_least_the_stated_length(
    real_scan: Callable[[str], tuple[object, Foot]], name: str, profile_name: str
) -> None:
    _, foot = real_scan(name)
    spec = calibrate(foot, load_profile(profile_path(profile_name)), order_id="T1")
    shell = build(foot, spec)
    assert crest_of(foot, spec, shell) >= ARCH_CREST_FRACTION * foot.foot_length_mm


def test_the_crest_was_a_fin_before_smoothing(fin: Case) -> None:
    foot, spec, _, raw = fin
    assert crest_of(foot, spec, raw) < ARCH_CREST_FRACTION * foot.foot_length_mm


def test_the_smoothing_only_lowers_the_top_by_at_most_the_reported_gap(case: Case) -> None:
    _, _, shell, raw = case
    lowered = _top(raw) - _top(shell)
    assert shell.arch_gap_mm is not None
    assert lowered.min() >= -ABOVE_SOLE_MM  # never above the arch-scaled sole's top
    assert lowered.max() == pytest.approx(shell.arch_gap_mm, abs=1e-9)  # the gap, measured


def test_heel_seat_and_forefoot_keep_total_contact(case: Case) -> None:
    foot, spec, shell, raw = case
    assert shell.plan is not None
    points = shell.plan.mesh.points
    _, mth_x = arch_window(foot, spec, shell)
    seat = shapely.contains_xy(shell.plan.seat, points[:, 0], points[:, 1])
    forefoot = points[:, 0] >= mth_x
    moved = np.abs(_top(raw) - _top(shell))
    assert seat.sum() > 50 and forefoot.sum() > 50
    assert moved[seat].max() <= CONTACT_MM
    assert moved[forefoot].max() <= CONTACT_MM


def test_a_narrow_crest_is_cut_and_the_gap_reported(fin: Case) -> None:
    _, _, shell, _ = fin
    assert shell.arch_gap_mm is not None and shell.arch_gap_mm > 1.0


def test_a_normal_arch_keeps_its_contact_under_the_sole(
    request: pytest.FixtureRequest, cases: dict[str, Case]
) -> None:
    """Only the plantar edge's jags lose contact; 5 mm in from it, only the scan's noise."""
    foot, _, shell, raw = _made("synth_normal", request, cases)
    assert shell.plan is not None
    points = shell.plan.mesh.points
    inner = shapely.contains_xy(foot.plantar_region.buffer(-5.0), points[:, 0], points[:, 1])
    assert inner.sum() > 1000
    assert np.abs(_top(raw) - _top(shell))[inner].max() <= SCAN_NOISE_MM
