"""``shellgen analyze``: print what was measured on a scan."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the ``analyze`` command to ``app``."""

    @app.command()
    def analyze(scan: str) -> None:
        """Measure a foot scan (not yet implemented)."""
        raise NotImplementedError
