"""``shellgen plate``: finished shells arranged on build plates, one 3MF per plate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the ``plate`` command to ``app``."""

    @app.command()
    def plate(
        inputs: Annotated[
            list[Path],
            typer.Argument(
                metavar="DIR_OR_FILES...",
                help="A batch's output folder (its validated shells), or shell .3mf/.stl files.",
            ),
        ],
        out: Annotated[
            Path, typer.Option("-o", "--out", help="The first plate's .3mf; plate k beside it.")
        ] = Path("plate.3mf"),
        bed: Annotated[
            str, typer.Option("--bed", help="Build plate size WIDTHxDEPTH, mm.")
        ] = "250x210",
        gap_mm: Annotated[
            float, typer.Option("--gap-mm", min=0.0, help="Least gap between shells, mm.")
        ] = 5.0,
    ) -> None:
        """Arrange shells flat on build plates without overlap; write a 3MF per plate."""
        from rich.console import Console
        from rich.table import Table

        from shellgen.errors import ProfileError
        from shellgen.plate import parse_bed, plate_paths, plate_shells, read_parts, shell_files

        if out.suffix.lower() != ".3mf":
            raise ProfileError(f"-o {str(out)!r}: a plate is written as .3mf; end the name so")
        bed_mm = parse_bed(bed)
        parts = read_parts(shell_files(inputs))
        out.parent.mkdir(parents=True, exist_ok=True)
        placements = plate_shells(parts, out, bed_mm=bed_mm, gap_mm=gap_mm)
        n_plates = max(p.plate for p in placements)
        table = Table(title=f"{len(parts)} shells on {n_plates} plate(s)", title_justify="left")
        table.add_column("plate", justify="right")
        table.add_column("file")
        table.add_column("shells")
        for k, path in enumerate(plate_paths(out, n_plates), start=1):
            names = ", ".join(p.name for p in placements if p.plate == k)
            table.add_row(str(k), str(path), names)
        Console().print(table)
