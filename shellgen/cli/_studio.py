"""``shellgen studio``: tune a profile in the browser and see the shell change at once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the ``studio`` command to ``app``."""

    @app.command()
    def studio(
        scan: Annotated[
            Path | None,
            typer.Argument(metavar="SCAN", help="A scan inside the workspace to open at once."),
        ] = None,
        profile: Annotated[
            str,
            typer.Option(
                "--profile", help="A profile of the workspace's profiles/, a .toml, or a name."
            ),
        ] = "standard",
        workspace: Annotated[
            Path,
            typer.Option(
                "--workspace", help="Folder with scans/ and profiles/; output/ is written here."
            ),
        ] = Path("."),
        host: Annotated[
            str,
            typer.Option(
                "--host", help="Interface to listen on; the default is this machine only."
            ),
        ] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8080,
    ) -> None:
        """Serve the studio: a web app where every profile change rebuilds the shell."""
        from shellgen.studio import serve

        shown = f"[{host}]" if ":" in host else host
        typer.echo(
            f"shellgen studio: http://{shown}:{port}/ (workspace {workspace.resolve()}); "
            "Ctrl-C to stop"
        )
        serve(workspace, scan=scan, profile=profile, host=host, port=port)
