"""The analysis picture shows the foot as scanned: a left foot's arch on its own side."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from _scans import RealScan

from shellgen.plot import analysis_figure, plot_analysis


def _apex_label_y(fig: plt.Figure) -> float:
    ax = fig.axes[0]
    (label,) = [t for t in ax.texts if t.get_text() == "arch apex"]
    return float(label.xy[1])


@pytest.mark.parametrize(
    ("name", "arch_sign"),
    [("myfeet_right_foot_m.stl", 1.0), ("myfeet_left_foot_m.stl", -1.0)],
)
def test_the_arch_is_drawn_on_the_medial_side_of_the_scanned_foot(
    real_scan: RealScan, name: str, arch_sign: float
) -> None:
    _, foot = real_scan(name)
    fig = analysis_figure(foot)
    try:
        y = _apex_label_y(fig)
        assert arch_sign * y > 15.0  # the arch apex lies 30-ish mm medial of the axis
        lo, hi = fig.axes[0].get_ylim()
        assert lo < hi  # y increases upward in both pictures
    finally:
        plt.close(fig)


def test_plot_analysis_writes_a_png_atomically(real_scan: RealScan, tmp_path: Path) -> None:
    _, foot = real_scan("insoletilter_plantar_right_mm.obj")
    out = tmp_path / "a.png"
    plot_analysis(foot, out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]
