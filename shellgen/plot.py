"""The analysis picture a lab checks at a glance."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from shapely.geometry import MultiPolygon, Polygon

from shellgen.analysis import Foot
from shellgen.export import atomic_open
from shellgen.limits import ARCH_WINDOW

__all__ = ["analysis_figure", "plot_analysis"]


def _rings(geom: Polygon | MultiPolygon) -> list[np.ndarray]:
    polys = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
    out = []
    for p in polys:
        if p.is_empty:
            continue
        out.append(np.asarray(p.exterior.coords))
        out.extend(np.asarray(r.coords) for r in p.interiors)
    return out


def analysis_figure(foot: Foot) -> Figure:
    """Plantar height map with outlines, landmarks and axis; and the medial arch profile.

    The map is drawn as seen from above through the foot (foot frame: x heel to toe, +y
    medial for the right foot that every scan is turned into); a left foot is drawn
    mirrored back so that the picture shows the foot as scanned.
    """
    mirror = -1.0 if foot.scan.side == "left" else 1.0
    f = foot.plantar
    fig, (ax, ax2) = plt.subplots(
        1, 2, figsize=(13, 5.2), gridspec_kw={"width_ratios": [1.55, 1.0]}, layout="constrained"
    )
    # Mirroring a left foot back flips the rows, so y still increases upward.
    z_rows = f.z_mm if mirror > 0 else f.z_mm[::-1]
    ys = np.sort(f.ys_mm * mirror)
    extent = (f.xs_mm[0], f.xs_mm[-1], ys[0], ys[-1])
    vmax = max(15.0, float(np.nanpercentile(f.z_mm, 98)))
    im = ax.imshow(
        z_rows,
        origin="lower",
        extent=extent,
        cmap="viridis",
        vmin=0,
        vmax=vmax,
        interpolation="nearest",
    )
    fig.colorbar(im, ax=ax, label="plantar height above support (mm)", shrink=0.85)
    for ring in _rings(foot.footprint):
        ax.plot(ring[:, 0], mirror * ring[:, 1], color="black", lw=1.2)
    for ring in _rings(foot.plantar_region):
        ax.plot(ring[:, 0], mirror * ring[:, 1], color="white", lw=1.0, ls="--")
    for ring in _rings(foot.contact_region):
        ax.plot(ring[:, 0], mirror * ring[:, 1], color="tab:red", lw=1.0)
    lm = foot.landmarks
    ax.plot([0, foot.foot_length_mm], [0, 0], color="0.3", lw=0.8, ls=":")
    ax.plot(
        [lm.mth1[0], lm.mth5[0]],
        [mirror * lm.mth1[1], mirror * lm.mth5[1]],
        color="tab:orange",
        lw=1.5,
    )
    for name, (x, y) in lm.as_dict().items():
        ax.plot(x, mirror * y, "o", ms=5, mfc="white", mec="black")
        ax.annotate(
            name.replace("_", " "),
            (x, mirror * y),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=8,
        )
    ax.set_aspect("equal")
    ax.set_xlabel("x along the foot axis (mm)")
    # Read bottom to top: a right foot's medial side is up (+y), a left foot's down.
    ax.set_ylabel(
        ("lateral" if mirror > 0 else "medial")
        + "  ←  y (mm)  →  "
        + ("medial" if mirror > 0 else "lateral")
    )
    src = os.path.basename(foot.scan.source.path)
    ax.set_title(
        f"{src}: {foot.scan.side} {foot.scan.kind}, {foot.foot_length_mm:.0f} × "
        f"{foot.ball_width_mm:.0f} mm" + ("" if foot.standing else " (not standing)"),
        fontsize=10,
    )
    ax.legend(
        handles=[
            plt.Line2D([], [], color="black", label="footprint"),
            plt.Line2D([], [], color="white", ls="--", label="plantar region (≤45°)"),
            plt.Line2D([], [], color="tab:red", label="contact"),
            plt.Line2D([], [], color="tab:orange", label="ball line"),
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.14),
        ncol=4,
        fontsize=8,
        facecolor="0.85",
    )

    a = foot.arch
    ax2.plot(a.profile_x_mm, a.profile_z_mm, color="tab:blue", lw=1.5)
    lo, hi = (w * foot.foot_length_mm for w in ARCH_WINDOW)
    ax2.axvspan(lo, hi, color="0.9", label="30–70 % of length")
    ax2.plot(
        a.apex_x_mm,
        a.height_mm,
        "v",
        color="tab:red",
        ms=9,
        label=f"apex {a.height_mm:.1f} mm at x = {a.apex_x_mm:.0f} mm",
    )
    ax2.set_xlim(0, foot.foot_length_mm)
    ax2.set_ylim(bottom=0)
    ax2.set_xlabel("x from the rearmost heel point (mm)")
    ax2.set_ylabel("height at the medial edge (mm)")
    ax2.set_title(f"medial arch profile — index {a.index:.3f} ({a.type} arch)", fontsize=10)
    ax2.legend(fontsize=8, loc="upper right")
    ax2.grid(alpha=0.3)
    return fig


def plot_analysis(foot: Foot, path: str | os.PathLike[str]) -> None:
    """Write :func:`analysis_figure` as a PNG, atomically and without a timestamp."""
    fig = analysis_figure(foot)
    try:
        with atomic_open(path) as fh:
            fig.savefig(fh, format="png", dpi=110, metadata={"Software": None})
    finally:
        plt.close(fig)
