"""``shellgen.sheet``: one A4 page per shell, saying what its report says, the same bytes twice."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

from shellgen.calibration import ACTIVITY_LOAD, calibrate, deflection_target_mm
from shellgen.mechanics import Patient, respond, solid_of_shell
from shellgen.pipeline import analyze_file, build_foot
from shellgen.profile import load_profile, profile_path, with_fields
from shellgen.render import render_preview
from shellgen.sheet import SheetPage, _format, _squeeze_white, write_design_sheet
from shellgen.shell import build
from shellgen.synth import synth_scan, write_ply

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="poppler-utils (pdftotext, pdftoppm) is not installed",
)


def pdf_text(path: Path, *options: str) -> str:
    """The text pdftotext reads off a PDF, decoded as UTF-8 (the sheet has non-ASCII text,
    and a C locale would decode it as ASCII)."""
    run = subprocess.run(
        ["pdftotext", *options, str(path), "-"], capture_output=True, encoding="utf-8", check=True
    )
    return run.stdout


#: Colours of the status badge (``sheet._OK`` and ``sheet._FAIL``), 0-1 RGB.
GREEN = np.array([0x1A, 0x7F, 0x37]) / 255.0
RED = np.array([0xC6, 0x28, 0x28]) / 255.0


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> SheetPage:
    """A built left shell of a synthetic plantar scan, for an 82.5 kg runner."""
    folder = tmp_path_factory.mktemp("sheet")
    write_ply(
        folder / "scan.ply", synth_scan("plantar", side="left", seed=5, spacing_mm=2.0).points
    )
    foot = analyze_file(folder / "scan.ply")
    profile = with_fields(load_profile(profile_path("standard")), bodyweight_kg="82.5")
    built = build_foot(
        foot, folder, "A7-L", profile=profile, profile_sha256="f" * 64, order_id="A7"
    )
    return SheetPage(
        "A7",
        "A7-L",
        foot,
        built.summary,
        built.outputs["png"],
        profile,
        (("bodyweight_kg", "82.5"),),
    )


@pytest.fixture(scope="module")
def failed_page(page: SheetPage) -> SheetPage:
    """The same shell, its report saying that the minimum wall check failed."""
    report = copy.deepcopy(dict(page.report))
    report["validation"]["ok"] = False
    wall = next(c for c in report["validation"]["checks"] if c["name"] == "min_wall_mm")
    wall.update(ok=False, value=0.7)
    return SheetPage(page.order_id, "A7-R", page.foot, report, page.preview_png, page.profile)


@pytest.fixture(scope="module")
def sheet(
    page: SheetPage, failed_page: SheetPage, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return write_design_sheet(tmp_path_factory.mktemp("pdf") / "A7.pdf", [page, failed_page])


def test_one_a4_page_per_shell(sheet: Path) -> None:
    data = sheet.read_bytes()
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    boxes = re.findall(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", data)) == 2
    for width, height in boxes:
        assert (float(width), float(height)) == pytest.approx((595.44, 841.68))  # 210 x 297 mm


def test_the_same_pages_give_the_same_bytes_without_a_time_stamp(
    page: SheetPage, sheet: Path, failed_page: SheetPage, tmp_path: Path
) -> None:
    again = write_design_sheet(tmp_path / "again.pdf", [page, failed_page])
    assert again.read_bytes() == sheet.read_bytes()
    assert b"/CreationDate" not in sheet.read_bytes()


@needs_poppler
def test_a_page_says_what_the_report_says(page: SheetPage, sheet: Path) -> None:
    text = pdf_text(sheet, "-layout", "-f", "1", "-l", "1")
    spec = page.report["spec"]
    assert isinstance(spec, dict)
    thickness = spec["thickness_mm"]["value"]
    assert "Orthotic shell A7-L" in text and "✓ VALID" in text
    assert "left foot" in text and "scan.ply" in text
    assert "82.5 kg" in text and "bodyweight_kg = 82.5" in text  # prescription and override
    assert re.search(rf"thickness\s+{thickness:.2f} mm\s+calibrated\s+thickness_by_weight", text)
    for name in ("watertight", "min wall mm", "self intersections", "inside outline"):
        assert name in text
    assert "Thickness: thickness_by_weight(McCormick 2013): 82.5 kg" in text  # the full rule


@needs_poppler
def test_the_status_badge_is_green_for_a_valid_shell_and_red_for_a_failed_one(
    sheet: Path, tmp_path: Path
) -> None:
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(sheet), str(tmp_path / "p")], check=True)
    for png, colour, other in (("p-1.png", GREEN, RED), ("p-2.png", RED, GREEN)):
        image = mpimg.imread(tmp_path / png)[..., :3]
        corner = image[: image.shape[0] // 12, image.shape[1] * 2 // 3 :]  # top right
        assert _pixels_near(corner, colour) > 200 and _pixels_near(corner, other) == 0


def _pixels_near(image: np.ndarray, colour: np.ndarray) -> int:
    return int((np.abs(image - colour).max(axis=2) < 0.08).sum())


@needs_poppler
def test_a_failed_page_names_the_failed_check(failed_page: SheetPage, tmp_path: Path) -> None:
    path = write_design_sheet(tmp_path / "f.pdf", [failed_page])
    text = pdf_text(path)
    assert "✗ FAILED: min_wall_mm" in text


def test_blank_bands_are_cut_to_the_kept_width() -> None:
    image = np.ones((100, 60, 3))
    image[10:20, 5:15] = 0.0  # ink
    image[70:75, 40:50] = 0.0  # ink, 50 blank rows below the first and 25 columns right
    out = _squeeze_white(image, keep_px=8)
    # rows: 4 blank above + 10 ink + 8 blank between + 5 ink + 4 blank below
    # columns: 4 + 10 ink + 8 blank between + 10 ink + 4
    assert out.shape == (31, 36, 3)
    assert (out < 0.5).any(axis=2).sum() == 10 * 10 + 5 * 10


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (3.732, "mm", "3.73 mm"),
        (12.4574, "mm", "12.5 mm"),
        (-191.2, "mm", "-191 mm"),
        (2.0, "mm", "2 mm"),
        (1.6, "deg", "1.60°"),
        (4, "1", "4"),
        (None, "mm", "—"),
        ("PA12-MJF", "", "PA12-MJF"),
        (58.85, "cm3", "58.9 cm³"),
    ],
)
def test_numbers_are_shown_to_three_figures_with_their_unit(
    value: object, unit: str, text: str
) -> None:
    assert _format(value, unit) == text


@needs_poppler
def test_the_ordered_modifications_are_listed_under_the_plantar_map(
    page: SheetPage, tmp_path: Path
) -> None:
    report = copy.deepcopy(dict(page.report))
    spec = report["spec"]
    spec["post_angle_deg"]["value"] = -3.0
    spec["skive_depth_mm"]["value"] = 3.0
    spec["met_pad_height_mm"]["value"] = 5.0
    spec["extension"]["value"] = "mortons"
    ordered = SheetPage(page.order_id, "A7-L", page.foot, report, page.preview_png, page.profile)
    path = write_design_sheet(tmp_path / "rx.pdf", [ordered])
    text = pdf_text(path, "-layout")
    assert (
        "Modifications: 1 3° valgus rearfoot post · 2 medial skive 3 mm at 20° · "
        "3 met pad 5 mm · 4 Morton's extension"
    ) in re.sub(r"\s+", " ", text)
    plain = pdf_text(write_design_sheet(tmp_path / "p.pdf", [page]), "-layout")
    assert "Modifications: none" in plain


@needs_poppler
def test_what_the_shoe_trimmed_is_shown_under_the_modifications(
    page: SheetPage, tmp_path: Path
) -> None:
    profile = with_fields(page.profile, shoe_heel_width_mm="58", shoe_ball_width_mm="90")
    built = build_foot(
        page.foot, tmp_path, "A7-L", profile=profile, profile_sha256="f" * 64, order_id="A7"
    )
    fit = built.summary["shoe_fit"]
    assert fit["trimmed_area_mm2"] > 100.0
    shod = SheetPage("A7", "A7-L", page.foot, built.summary, built.outputs["png"], profile)
    text = pdf_text(write_design_sheet(tmp_path / "shoe.pdf", [shod]), "-layout")
    lo, hi = fit["x_range_mm"]
    assert (
        f"Shoe fit: trimmed {fit['trimmed_area_mm2']:.0f} mm², up to "
        f"{fit['deepest_trim_mm']:.1f} mm deep, at x {lo:.0f}–{hi:.0f} mm"
    ) in re.sub(r"\s+", " ", text)
    plain = pdf_text(write_design_sheet(tmp_path / "p.pdf", [page]), "-layout")
    assert "Shoe fit: no shoe given" in plain


@pytest.fixture(scope="module")
def mechanics_page(page: SheetPage, tmp_path_factory: pytest.TempPathFactory) -> SheetPage:
    """The page's shell with a ``mechanics`` section in its report, as a build calibrated by
    mechanics writes it: the shell's response on the 6 mm mechanics mesh, and its preview
    with the deflection map."""
    spec = calibrate(page.foot, page.profile)
    shell = build(page.foot, spec)
    patient = page.profile.patient
    response = respond(
        solid_of_shell(shell, 6.0),
        spec.material,
        page.foot.landmarks.arch_apex,
        Patient(patient.bodyweight_kg, ACTIVITY_LOAD[patient.activity]),
    )
    target = deflection_target_mm(
        patient.bodyweight_kg, page.foot.arch.type, patient.arch_flexibility
    )
    report = copy.deepcopy(dict(page.report))
    report["mechanics"] = {
        "target_deflection_mm": target,
        **{
            key: getattr(response, key)
            for key in (
                "deflection_mm",
                "activity_deflection_mm",
                "bench_deflection_mm",
                "bench_stiffness_n_per_mm",
                "peak_stress_mpa",
                "safety_factor",
                "clearance_mm",
                "load_n",
                "activity_load_n",
            )
        },
        "thickness_mm": spec.thickness_mm,
        "provenance": f"FE: target {target:.2f} mm at {response.load_n:.0f} N, "
        f"{response.deflection_mm:.2f} mm with {spec.thickness_mm:.2f} mm {spec.material.name}",
    }
    preview = render_preview(shell, tmp_path_factory.mktemp("mech") / "A7-L.png", response=response)
    return SheetPage(page.order_id, "A7-L", page.foot, report, preview, page.profile)


@needs_poppler
def test_the_mechanics_numbers_are_tabled_when_the_report_has_them(
    mechanics_page: SheetPage, tmp_path: Path
) -> None:
    text = pdf_text(write_design_sheet(tmp_path / "m.pdf", [mechanics_page]), "-layout")
    m = mechanics_page.report["mechanics"]
    assert isinstance(m, dict)
    assert "Mechanics (finite elements)" in text
    assert "thickness map (seen from above) · deflection map" in text
    bench_n = m["bench_stiffness_n_per_mm"] * m["bench_deflection_mm"]
    assert round(bench_n) == 200  # the bench test's force, read back from the report
    walking, activity = f"{m['load_n']:.0f} N", f"{m['activity_load_n']:.0f} N"
    for name, key, unit in (
        ("target arch deflection, walking", "target_deflection_mm", "mm"),
        (f"arch deflection, walking ({walking})", "deflection_mm", "mm"),
        (f"arch deflection, activity ({activity})", "activity_deflection_mm", "mm"),
        (f"clearance under the arch, activity ({activity})", "clearance_mm", "mm"),
        ("bench stiffness (200 N)", "bench_stiffness_n_per_mm", "N/mm"),
        ("bench deflection (200 N)", "bench_deflection_mm", "mm"),
        (f"peak stress, activity ({activity})", "peak_stress_mpa", "MPa"),
        ("safety factor (fatigue)", "safety_factor", "1"),
    ):
        assert re.search(rf"{re.escape(name)}\s+{re.escape(_format(m[key], unit))}", text), name
    assert f"Thickness {_format(m['thickness_mm'], 'mm')}: {m['provenance']}" in text


@needs_poppler
def test_a_report_without_mechanics_or_with_null_mechanics_has_no_table(
    page: SheetPage, tmp_path: Path
) -> None:
    report = {**page.report, "mechanics": None}  # calibrated by rule
    ruled = SheetPage(page.order_id, "A7-L", page.foot, report, page.preview_png, page.profile)
    absent = {k: v for k, v in page.report.items() if k != "mechanics"}
    older = SheetPage(page.order_id, "A7-L", page.foot, absent, page.preview_png, page.profile)
    ruled_pdf = write_design_sheet(tmp_path / "ruled.pdf", [ruled])
    assert ruled_pdf.read_bytes() == write_design_sheet(tmp_path / "old.pdf", [older]).read_bytes()
    text = pdf_text(ruled_pdf, "-layout")
    assert "Mechanics (finite elements)" not in text and "arch deflection, walking" not in text
    assert "Shell specification" in text and "Validation" in text
