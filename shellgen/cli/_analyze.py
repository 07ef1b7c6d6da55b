"""``shellgen analyze``: what was measured on a scan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from shellgen.cli._options import KindOpt, LengthOpt, SideOpt, UnitsOpt
from shellgen.errors import ShellgenError


def register(app: typer.Typer) -> None:
    """Add the ``analyze`` command to ``app``."""

    @app.command()
    def analyze(
        scan: Annotated[
            Path, typer.Argument(help="Scan file: PLY, PCD, XYZ, PTS, CSV, OBJ or STL.")
        ],
        units: UnitsOpt = None,
        side: SideOpt = "auto",
        kind: KindOpt = "auto",
        length_mm: LengthOpt = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
        plot: Annotated[
            Path | None, typer.Option("--plot", help="Write the analysis picture to this PNG.")
        ] = None,
    ) -> None:
        """Measure a foot scan: side, units, kind, lengths, landmarks and the arch."""
        from shellgen.pipeline import analysis_json, analyze_file

        if plot is not None and not plot.parent.is_dir():
            raise ShellgenError(f"{plot}: its folder does not exist; create it or choose another")
        foot = analyze_file(scan, units=units, side=side, kind=kind, length_mm=length_mm)
        if plot is not None:
            from shellgen.plot import plot_analysis

            plot_analysis(foot, plot)
        summary = analysis_json(foot)
        if as_json:
            typer.echo(json.dumps(summary, indent=2, sort_keys=True))
            return
        table = Table(title=str(scan), show_header=False)
        arch = foot.arch
        rows = [
            ("side", f"{foot.scan.side} ({'detected' if foot.scan.side_detected else 'given'})"),
            ("units", f"{foot.scan.units} ({foot.scan.units_source})"),
            ("kind", f"{foot.scan.kind} ({'detected' if foot.scan.kind_detected else 'given'})"),
            ("standing", "yes" if foot.standing else "no"),
            ("toes in view", "yes" if foot.scan.toes else "no"),
            (
                "foot length",
                f"{foot.foot_length_mm:.1f} mm "
                f"({'measured' if foot.scan.given_length_mm is None else 'given'})",
            ),
            ("ball width", f"{foot.ball_width_mm:.1f} mm"),
            ("heel width", f"{foot.heel_width_mm:.1f} mm"),
            ("arch length", f"{foot.arch_length_mm:.1f} mm"),
            ("arch height", f"{arch.height_mm:.1f} mm at x = {arch.apex_x_mm:.0f} mm"),
            ("arch index", f"{arch.index:.3f} ({arch.type})"),
        ]
        for k, v in rows:
            table.add_row(k, v)
        Console().print(table)
        if plot is not None:
            typer.echo(f"picture: {plot}")
