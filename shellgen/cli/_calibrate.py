"""``shellgen calibrate``: print every number of the shell and where it came from."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from shellgen.calibration import calibrate as calibrate_foot
from shellgen.cli._options import (
    KindOpt,
    LengthOpt,
    OrderOpt,
    ProfileOpt,
    SideOpt,
    UnitsOpt,
)
from shellgen.profile import load_profile, profile_path


def register(app: typer.Typer) -> None:
    """Add the ``calibrate`` command to ``app``."""

    @app.command()
    def calibrate(
        scan: Annotated[str, typer.Argument(help="Foot scan file.")],
        profile: ProfileOpt,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print {name: {value, unit, source, rule}}.")
        ] = False,
        order: OrderOpt = None,
        units: UnitsOpt = None,
        side: SideOpt = "auto",
        kind: KindOpt = "auto",
        length_mm: LengthOpt = None,
        mechanics: Annotated[
            bool,
            typer.Option(
                "--mechanics",
                help="Solve the thickness for the target arch deflection by finite elements "
                "(about 10 s) and add the shell's deflections, stiffness and stress.",
            ),
        ] = False,
    ) -> None:
        """Calibrate a shell for a scanned foot with a profile."""
        # imported here: the scan stages load heavy libraries that `profile` commands skip
        from shellgen.pipeline import analyze_file

        chosen = load_profile(profile_path(profile))
        foot = analyze_file(scan, units=units, side=side, kind=kind, length_mm=length_mm)
        spec = calibrate_foot(foot, chosen, order_id=order)
        table = spec.as_json()
        if mechanics:
            from shellgen.calibration import thickness_by_mechanics

            fit = thickness_by_mechanics(foot, spec, chosen)
            table = {**fit.spec.as_json(), **fit.as_json()}
        if as_json:
            typer.echo(json.dumps(table, indent=2))
            return
        width = max(len(name) for name in table)
        for name, row in table.items():
            value = f"{row['value']} {row['unit']}".strip()
            typer.echo(f"{name:<{width}}  {value:<16} {row['source']:<10}  {row['rule']}")
