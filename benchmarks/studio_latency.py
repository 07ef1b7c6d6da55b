"""Change-to-updated-view latency of ``shellgen studio``, measured in a real browser.

Serves the studio on a sample scan, opens it in headless Chromium (Playwright, Debian's
``/usr/bin/chromium``), and nudges the thickness override slider with the keyboard, one step
at a time. For each change it measures, in the page's own clock, from the key event to the
first animation frame after the new shell reached the page (that frame draws it), and
splits it: the server's part (change received to shell pushed, of which calibrate and
build), the trip to the page (serialise, send, decode) and the drawing. Validation is let
finish between changes, as during a designer's pause.

It also times the shell's mechanics (numbers and deflection map, solved on a worker thread
after each new shell): from the key event to the frame after they reached the page. And, to
show that a solve never holds up the shell, a second series of changes is made in quick
succession, each as soon as the previous shell is drawn, while that shell's solve runs.

Run with ``python -m benchmarks.studio_latency [--changes N] [--scan FILE] [--json OUT]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
SCANS = HERE.parent / "scans"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: In the page: press a key on the thickness slider, and time it until the frame after the
#: update (the one that draws the new shell; vtk.js renders on the tick after new data).
_MEASURE_JS = """
async (key) => {
  const marker = document.querySelector('#update-ms');
  const thumb = document.querySelector('#control-override-thickness_mm .v-slider-thumb');
  const before = marker.dataset.build;
  const shown = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (marker.dataset.build !== before) {
        observer.disconnect();
        const arrived = performance.now();
        const sent = window.trame.state.get('pushed_at_ms');
        const trip = performance.timeOrigin + arrived - sent;
        requestAnimationFrame(() => requestAnimationFrame(() =>
          resolve({ arrived, trip, drawn: performance.now() })));
      }
    });
    observer.observe(marker, { attributes: true });
  });
  const pressed = performance.now();
  thumb.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
  const { arrived, trip, drawn } = await shown;
  return { arrived_ms: arrived - pressed, drawn_ms: drawn - pressed, trip_ms: trip,
           pressed_at: performance.timeOrigin + pressed, build: marker.dataset.build };
}
"""

#: In the page: wait until the mechanics of shell ``build`` are shown, and time them from
#: ``pressed_at`` (epoch ms) to the frame after they arrived.
_MECHANICS_JS = """
async ([build, pressedAt]) => {
  const panel = document.querySelector('#mechanics');
  const ready = () => panel.dataset.build === build;
  if (!ready()) {
    await new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        if (ready()) { observer.disconnect(); resolve(); }
      });
      observer.observe(panel, { attributes: true });
    });
  }
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  return performance.timeOrigin + performance.now() - pressedAt;
}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1.0):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the studio did not answer at {url} within {timeout_s:.0f} s")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(page: Page, changes: int) -> dict[str, list[float]]:
    """Nudge the thickness override ``changes`` times with a pause after each, then
    ``changes`` times in quick succession; latencies in ms per change."""
    page.get_by_text("Overrides").click()
    control = page.locator("#control-override-thickness_mm")
    control.scroll_into_view_if_needed()
    names = ("drawn_ms", "arrived_ms", "server_ms", "build_ms", "trip_ms", "mechanics_ms")
    out: dict[str, list[float]] = {name: [] for name in names}
    out["solve_ms"] = []
    for i in range(changes):
        key = "ArrowRight" if (i // 5) % 2 == 0 else "ArrowLeft"
        result = page.evaluate(_MEASURE_JS, key)
        server = page.locator("#update-ms").inner_text().split()[2]
        out["drawn_ms"].append(float(result["drawn_ms"]))
        out["arrived_ms"].append(float(result["arrived_ms"]))
        out["server_ms"].append(float(server))
        out["trip_ms"].append(float(result["trip_ms"]))
        built = page.locator('#numbers td.value[data-label="Built in"]').inner_text()
        out["build_ms"].append(float(built))
        mechanics = page.evaluate(_MECHANICS_JS, [result["build"], result["pressed_at"]])
        out["mechanics_ms"].append(float(mechanics))
        solved = page.locator('#mechanics td.value[data-label="Solved in"]').inner_text()
        out["solve_ms"].append(float(solved))
        # A designer pauses between changes: validation finishes before the next one.
        page.wait_for_function(
            "!document.querySelector('#check-chip').innerText.includes('checking')",
            timeout=30_000,
        )
        page.wait_for_timeout(100)
    out["render_ms"] = [d - a for d, a in zip(out["drawn_ms"], out["arrived_ms"], strict=True)]
    # Quick succession: each change as soon as the previous shell is drawn, while its
    # mechanics are being solved; then the last one's mechanics.
    out["busy_drawn_ms"] = []
    for i in range(changes):
        key = "ArrowRight" if (i // 5) % 2 == 0 else "ArrowLeft"
        result = page.evaluate(_MEASURE_JS, key)
        out["busy_drawn_ms"].append(float(result["drawn_ms"]))
    last = page.evaluate(_MECHANICS_JS, [result["build"], result["pressed_at"]])
    out["busy_last_mechanics_ms"] = [float(last)]
    return out


def main(argv: list[str] | None = None) -> None:
    """Serve, measure, print a table, and optionally save JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=30)
    parser.add_argument("--scan", type=Path, default=SCANS / "myfeet_left_foot_m.stl")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument("--screenshot", type=Path, default=None, help="the page at the end")
    args = parser.parse_args(argv)

    port = _free_port()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        (workspace / "scans").mkdir()
        shutil.copy(args.scan, workspace / "scans" / args.scan.name)
        shellgen = Path(sys.executable).with_name("shellgen")
        server = subprocess.Popen(
            [str(shellgen), "studio", f"scans/{args.scan.name}", "--port", str(port)],
            cwd=workspace,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            _wait_http(f"http://127.0.0.1:{port}/", 30.0)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1500, "height": 900})
                page.goto(f"http://127.0.0.1:{port}/")
                page.wait_for_selector("#update-ms", state="attached", timeout=60_000)
                results = measure(page, args.changes)
                if args.screenshot is not None:
                    page.screenshot(path=args.screenshot)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)

    print(
        f"studio latency on {args.scan.name}, {args.changes} single-step changes with a pause"
        f" and {args.changes} in quick succession"
    )
    print(f"{'':34s} {'median':>8s} {'p90':>8s} {'max':>8s}")
    for name, label in (
        ("drawn_ms", "change -> new shell drawn"),
        ("arrived_ms", "change -> new shell in the page"),
        ("server_ms", "  server: change -> shell pushed"),
        ("build_ms", "    of which calibrate + build"),
        ("trip_ms", "  push -> shell in the page"),
        ("render_ms", "  in the page -> drawn"),
        ("mechanics_ms", "change -> mechanics drawn"),
        ("solve_ms", "  of which the solve (6 mm mesh)"),
        ("busy_drawn_ms", "quick changes: new shell drawn"),
        ("busy_last_mechanics_ms", "  last change -> its mechanics"),
    ):
        v = results[name]
        print(f"{label:34s} {statistics.median(v):8.1f} {_percentile(v, 0.9):8.1f} {max(v):8.1f}")
    print(f"(ms; load average before: {load_before:.2f}, after: {os.getloadavg()[0]:.2f})")
    if args.json is not None:
        summary = {
            "machine": platform.platform(),
            "cpus": os.cpu_count(),
            "scan": args.scan.name,
            "load_average": [load_before, os.getloadavg()[0]],
            "results_ms": results,
        }
        args.json.write_text(json.dumps(summary, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
