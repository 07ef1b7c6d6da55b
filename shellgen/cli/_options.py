"""Options shared by the commands that read a scan or build from a profile."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["KindOpt", "LengthOpt", "OrderOpt", "ProfileOpt", "SideOpt", "UnitsOpt"]

UnitsOpt = Annotated[
    str | None,
    typer.Option("--units", help="Scanner units: mm, cm, m or in (default: detect from size)."),
]
SideOpt = Annotated[str, typer.Option("--side", help="auto, left or right (default: detect).")]
KindOpt = Annotated[
    str,
    typer.Option("--kind", help="auto, foot, plantar or impression (default: detect)."),
]
LengthOpt = Annotated[
    float | None,
    typer.Option(
        "--length-mm",
        help="Known foot length, mm: for scans with no true scale or without the toes.",
    ),
]
ProfileOpt = Annotated[
    str, typer.Option("--profile", "-p", help="Profile .toml, or a shipped name.")
]
OrderOpt = Annotated[
    str | None, typer.Option("--order", help="Order id for the label (default: scan stem).")
]
