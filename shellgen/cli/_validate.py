"""``shellgen validate``: printability checks on any STL or 3MF."""

from __future__ import annotations

import json
import math
from typing import Annotated

import typer

from shellgen.errors import GeometryError
from shellgen.validation import Report

_DEFAULT_MATERIAL = "PA12-MJF"


def register(app: typer.Typer) -> None:
    """Add the ``validate`` command to ``app``."""

    @app.command()
    def validate(
        mesh: Annotated[str, typer.Argument(help="STL or 3MF file, millimetres.")],
        material: Annotated[
            str,
            typer.Option("--material", "-m", help="Material: sets the minimum wall and mass."),
        ] = _DEFAULT_MATERIAL,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print {ok, checks: [...]} as JSON.")
        ] = False,
    ) -> None:
        """Check that a mesh will print; exit 3 if a check fails."""
        # imported here: trimesh loads slowly, other commands need not wait
        from shellgen.export import read_mesh
        from shellgen.materials import material as find_material
        from shellgen.validation import validate as validate_mesh

        chosen = find_material(material)
        report = validate_mesh(read_mesh(mesh), material=chosen)
        if as_json:
            typer.echo(json.dumps(report.as_json(), indent=2))
        else:
            _print_table(report, mesh)
        if not report.ok:
            failed = ", ".join(report.failed)
            raise GeometryError(f"{mesh} failed validation ({failed}): it may not print")


def _print_table(report: Report, title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{title}: {'ok' if report.ok else 'FAILED'}", title_justify="left")
    for column in ("check", "ok", "value", "limit", "unit", "detail"):
        table.add_column(column, overflow="fold")
    for c in report.checks:
        table.add_row(
            c.name,
            "[green]ok[/]" if c.ok else "[red]FAIL[/]",
            _number(c.value),
            _number(c.limit),
            c.unit,
            c.detail,
        )
    Console(width=160).print(table)


def _number(x: float) -> str:
    if isinstance(x, int):
        return str(x)
    return "-" if not math.isfinite(x) else f"{x:.3f}"
