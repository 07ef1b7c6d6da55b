"""``shellgen build``: scan in, validated shell files out."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import typer

from shellgen.cli._options import (
    KindOpt,
    LengthOpt,
    OrderOpt,
    ProfileOpt,
    SideOpt,
    UnitsOpt,
)
from shellgen.errors import ProfileError


def register(app: typer.Typer) -> None:
    """Add the ``build`` command to ``app``."""

    @app.command()
    def build(
        scan: Annotated[Path, typer.Argument(help="Foot scan file.")],
        profile: ProfileOpt = "standard",
        out_dir: Annotated[Path, typer.Option("-o", "--out", help="Output folder.")] = Path(
            "output"
        ),
        formats: Annotated[
            str,
            typer.Option(
                "--format", help="Comma-separated: stl, 3mf, step (step needs shellgen[cad])."
            ),
        ] = "stl,3mf",
        order: OrderOpt = None,
        force: Annotated[
            bool, typer.Option("--force", help="Write STL/3MF even if validation fails.")
        ] = False,
        units: UnitsOpt = None,
        side: SideOpt = "auto",
        kind: KindOpt = "auto",
        length_mm: LengthOpt = None,
        mechanics: Annotated[
            bool,
            typer.Option(
                "--mechanics",
                help="Solve the thickness for the target arch deflection by finite elements; "
                "the report gets a mechanics section and the preview a deflection map.",
            ),
        ] = False,
    ) -> None:
        """Build, validate and export a calibrated shell for a scanned foot."""
        from shellgen.export import EXPORT_FORMATS, OPTIONAL_FORMATS
        from shellgen.pipeline import build_file
        from shellgen.profile import load_profile, profile_path

        chosen = profile_path(profile)
        wanted = tuple(f.strip().lower() for f in formats.split(",") if f.strip())
        choices = EXPORT_FORMATS + OPTIONAL_FORMATS
        if not wanted or set(wanted) - set(choices):
            raise ProfileError(
                f"--format {formats!r}: choose from {', '.join(choices)} (comma-separated)"
            )
        result = build_file(
            scan,
            out_dir,
            profile=load_profile(chosen),
            profile_sha256=hashlib.sha256(chosen.read_bytes()).hexdigest(),
            formats=wanted,
            force=force,
            order_id=order,
            units=units,
            side=side,
            kind=kind,
            length_mm=length_mm,
            mechanics=mechanics,
        )
        for kind_, path in sorted(result.outputs.items()):
            typer.echo(f"{kind_:>4}: {path}")
        if not result.report.ok:
            typer.echo(
                f"shellgen: validation failed ({', '.join(result.report.failed)}); "
                "files written because of --force",
                err=True,
            )
            raise typer.Exit(3)
