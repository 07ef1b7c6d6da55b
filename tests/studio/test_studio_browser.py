"""Acceptance: a designer drives ``shellgen studio`` in real headless Chromium.

The studio is served from a subprocess on a free port of 127.0.0.1, over a workspace holding a
real plantar scan, a broken scan, the standard profile and a broken one; Playwright drives Debian's
``/usr/bin/chromium`` (``make test`` installs both). Every wait is bounded.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, sync_playwright

from shellgen.cli import main
from shellgen.profile import load_profile

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
SCAN = "insoletilter_plantar_right_mm.obj"
#: A scan whose shell stands on the plate at heel and forefoot, so that its mechanics solve
#: (the plantar scan's three-quarter shell may be refused as a cantilever).
MECHANICS_SCAN = "myfeet_left_foot_m.stl"
#: Longest wait for anything the page shows, ms (a loaded 2-core machine analyses slowly).
WAIT_MS = 60_000

pytestmark = pytest.mark.skipif(not CHROMIUM.is_file(), reason="Debian's chromium is missing")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``shellgen studio scans/<plantar scan>`` on a free port: (url, workspace)."""
    workspace = tmp_path_factory.mktemp("workspace")
    (workspace / "scans").mkdir()
    (workspace / "profiles").mkdir()
    shutil.copy(ROOT / "scans" / SCAN, workspace / "scans" / SCAN)
    shutil.copy(ROOT / "scans" / MECHANICS_SCAN, workspace / "scans" / MECHANICS_SCAN)
    (workspace / "scans" / "broken.stl").write_bytes(b"solid broken\nthis is not a mesh\n")
    shutil.copy(ROOT / "profiles" / "standard.toml", workspace / "profiles" / "standard.toml")
    (workspace / "profiles" / "broken.toml").write_text("schema_version = 1\nname = [\n")
    port = _free_port()
    log = (workspace / "studio.log").open("w")
    shellgen = str(Path(sys.executable).with_name("shellgen"))
    server = subprocess.Popen(
        [shellgen, "studio", f"scans/{SCAN}", "--port", str(port)],
        cwd=workspace,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30.0
        while True:
            try:
                with urllib.request.urlopen(url, timeout=1.0):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the studio did not start: {(workspace / 'studio.log').read_text()}"
                    ) from None
                time.sleep(0.2)
        yield url, workspace
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, studio: tuple[str, Path], tmp_path: Path) -> Iterator[Page]:
    """A fresh page on the studio, once it shows a shell."""
    url, _ = studio
    context = browser.new_context(viewport={"width": 1500, "height": 900})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    page.wait_for_selector('#numbers td.value[data-label="Volume"]')
    yield page
    page.screenshot(path=tmp_path / "studio.png")
    context.close()


def _number(page: Page, label: str) -> float:
    return float(page.locator(f'#numbers td.value[data-label="{label}"]').inner_text())


def _until_number_changes(page: Page, label: str, before: float) -> float:
    page.wait_for_function(
        "([label, before]) => parseFloat(document.querySelector("
        '`#numbers td.value[data-label="${label}"]`).innerText) !== before',
        arg=[label, before],
    )
    return _number(page, label)


def _still_picture(page: Page, canvas: Locator) -> bytes:
    """The view once it stops changing (the camera is fitted just after the page opens)."""
    picture = canvas.screenshot()
    for _ in range(20):
        page.wait_for_timeout(300)
        again = canvas.screenshot()
        if again == picture:
            return picture
        picture = again
    raise AssertionError("the 3D view kept changing for 6 s")


def _open_overrides(page: Page) -> Locator:
    page.get_by_text("Overrides", exact=True).click()
    control = page.locator("#control-override-thickness_mm")
    control.scroll_into_view_if_needed()
    return control


def test_the_page_shows_the_shell_its_numbers_and_its_validation(page: Page) -> None:
    assert page.title() == "shellgen studio"
    assert page.locator("canvas").first.is_visible()
    assert _number(page, "Volume") > 10.0
    page.wait_for_function("document.querySelector('#check-chip').innerText.includes('valid')")
    assert "checks pass" in page.locator("#check-summary").inner_text()
    assert page.locator("#arch-chart svg").count() == 1
    chips = page.locator("#control-patient-bodyweight_kg .source").inner_text()
    assert chips.strip() == "profile"


def test_moving_the_thickness_control_changes_the_shown_shell_and_its_volume(
    page: Page,
) -> None:
    control = _open_overrides(page)
    before_volume, before_thickness = _number(page, "Volume"), _number(page, "Thickness")
    canvas = page.locator("canvas").first
    before_picture = _still_picture(page, canvas)
    thumb = control.locator(".v-slider-thumb").first
    thumb.focus()
    for _ in range(5):  # five steps of 0.1 mm
        thumb.press("ArrowRight")
    # the slider snaps to its 0.1 mm grid, then moves five steps; the shell follows
    pinned = float(control.locator("input").last.input_value())
    assert before_thickness + 0.4 < pinned < before_thickness + 0.6
    page.wait_for_function(
        "(t) => parseFloat(document.querySelector("
        "'#numbers td.value[data-label=\"Thickness\"]').innerText) === t",
        arg=pinned,
    )
    after_volume = _number(page, "Volume")
    assert after_volume > before_volume * 1.05
    assert control.locator(".source").inner_text().strip() == "override"
    assert _still_picture(page, canvas) != before_picture


def test_an_invalid_value_is_refused_with_a_message(page: Page) -> None:
    control = _open_overrides(page)
    volume = _number(page, "Volume")
    field = control.locator("input").last
    shown = field.input_value()
    field.fill("1.5")
    field.press("Enter")
    refusal = control.locator(".refusal")
    refusal.wait_for()
    assert "below the loaded minimum wall of PA12-MJF" in refusal.inner_text()
    assert "allowed: at least 2.0 mm" in refusal.inner_text()
    assert control.locator("input").last.input_value() == shown  # back to the accepted value
    weight = page.locator("#control-patient-bodyweight_kg")
    weight.locator("input").last.fill("heavy")
    weight.locator("input").last.press("Enter")
    weight.locator(".refusal").wait_for()
    assert (
        "patient.bodyweight_kg = 'heavy': not a number" in weight.locator(".refusal").inner_text()
    )
    page.wait_for_timeout(500)
    assert _number(page, "Volume") == volume  # nothing was rebuilt


def test_a_bad_scan_or_profile_shows_its_message_and_the_app_keeps_running(page: Page) -> None:
    page.locator(".v-field:has(#scan-select)").click()
    page.locator(".v-overlay .v-list-item", has_text="scans/broken.stl").click()
    notice = page.locator(".v-snackbar")
    notice.wait_for()
    assert "broken.stl" in notice.inner_text()
    assert page.locator("#scan-select").input_value() == f"scans/{SCAN}"
    page.locator(".v-field:has(#profile-select)").click()
    page.locator(".v-overlay .v-list-item", has_text="broken").click()
    page.locator(".v-snackbar", has_text="broken.toml: bad TOML").wait_for()
    # still working: a change rebuilds the shell of the scan that stayed open
    volume, thickness = _number(page, "Volume"), _number(page, "Thickness")
    field = _open_overrides(page).locator("input").last
    field.fill(f"{thickness + 0.3:.2f}")
    field.press("Enter")
    assert _until_number_changes(page, "Volume", volume) > volume


def test_saving_writes_a_profile_that_profile_check_accepts(
    page: Page, studio: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, workspace = studio
    thickness = _number(page, "Thickness")
    page.locator("#save-name").fill("designer_test")
    page.locator("#save-button").click()
    page.locator(".v-snackbar", has_text="saved profiles/designer_test.toml").wait_for()
    saved = workspace / "profiles" / "designer_test.toml"
    assert main(["profile", "check", str(saved)]) == 0
    assert capsys.readouterr().out.strip() == f"{saved}: ok (designer_test)"
    profile = load_profile(saved)
    assert profile.name == "designer_test"
    if profile.override.thickness_mm is not None:
        assert profile.override.thickness_mm == pytest.approx(thickness, abs=0.005)


#: The first modification's outline colour (``_view.MARK_COLOURS[0]``), RGB.
MARK_RGB = np.array([0xD8, 0x1B, 0x60])


def _mark_pixels(png: bytes) -> int:
    """Pixels of the view drawn in the first modification's colour (anti-aliasing aside)."""
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int64)
    return int((np.abs(rgb - MARK_RGB).max(axis=2) < 40).sum())


def test_an_ordered_met_pad_is_outlined_on_the_shell_and_listed(page: Page) -> None:
    canvas = page.locator("canvas").first
    assert page.locator("#marks-none").inner_text() == "none ordered"
    assert _mark_pixels(_still_picture(page, canvas)) == 0
    volume = _number(page, "Volume")
    control = page.locator("#control-design-met_pad_height_mm")
    control.scroll_into_view_if_needed()
    field = control.locator("input").last
    field.fill("5")
    field.press("Enter")
    assert _until_number_changes(page, "Volume", volume) > volume
    page.locator("#marks", has_text="met pad 5 mm").wait_for()
    assert page.locator("#marks .studio-mark").inner_text() == "1"
    outlined = _mark_pixels(_still_picture(page, canvas))
    assert outlined > 200  # a ring of 3 px lines around the pad
    page.locator("#toggle-marks").click()
    assert _mark_pixels(_still_picture(page, canvas)) < outlined / 20


def _mechanics_of_the_shown_shell(page: Page) -> float:
    """The arch deflection, once the mechanics shown are those of the shell shown, mm."""
    page.wait_for_function(
        "document.querySelector('#mechanics').dataset.build === "
        "document.querySelector('#update-ms').dataset.build"
    )
    return float(page.locator('#mechanics td.value[data-label="Arch deflection"]').inner_text())


def test_the_mechanics_follow_every_change_of_the_shell(page: Page) -> None:
    page.locator(".v-field:has(#scan-select)").click()
    page.locator(".v-overlay .v-list-item", has_text=MECHANICS_SCAN).click()
    page.wait_for_function(
        "(name) => document.querySelector('#scan-select').value === name",
        arg=f"scans/{MECHANICS_SCAN}",
    )
    before = _mechanics_of_the_shown_shell(page)
    assert page.locator("#deflection-map svg path[data-level]").count() > 5  # colour bands
    assert "6 mm mesh" in page.locator("#mechanics").inner_text()
    volume, thickness = _number(page, "Volume"), _number(page, "Thickness")
    field = _open_overrides(page).locator("input").last
    field.fill(f"{thickness + 1.0:.2f}")
    field.press("Enter")
    assert _until_number_changes(page, "Volume", volume) > volume
    after = _mechanics_of_the_shown_shell(page)
    assert after < 0.95 * before  # a thicker shell sinks less under the same patient
    assert page.locator("#mechanics-status").inner_text().strip() == "current"
