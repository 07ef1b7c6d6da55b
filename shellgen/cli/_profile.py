"""``shellgen profile``: check a profile file, or write a commented template."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shellgen.profile import load_profile, profile_path, write_profile_template


def register(app: typer.Typer) -> None:
    """Add the ``profile check`` and ``profile new`` commands to ``app``."""
    group = typer.Typer(help="Check or create calibration profiles.", no_args_is_help=True)

    @group.command()
    def check(
        file: Annotated[str, typer.Argument(help="A profile .toml, or a shipped name.")],
    ) -> None:
        """Validate a profile: print "FILE: ok (name)" or the error (exit code 2)."""
        profile = load_profile(profile_path(file))
        typer.echo(f"{file}: ok ({profile.name})")

    @group.command()
    def new(
        name: Annotated[str, typer.Argument(help="Profile name; the file is NAME.toml.")],
        out_dir: Annotated[
            Path, typer.Option("--out-dir", "-o", help="Directory to write into.")
        ] = Path("profiles"),
        force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    ) -> None:
        """Write a commented profile template with every key, to edit."""
        path = write_profile_template(name, out_dir, force=force)
        typer.echo(f"wrote {path}")

    app.add_typer(group, name="profile")
