"""``shellgen batch``: a folder of scans or an orders file in, a folder of shells out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from shellgen.batch import OrderResult


def register(app: typer.Typer) -> None:
    """Add the ``batch`` command to ``app``."""

    @app.command()
    def batch(
        source: Annotated[
            Path,
            typer.Argument(
                metavar="INPUT",
                help="A folder of scans, or an orders .csv (order_id, scan, profile, ...).",
            ),
        ],
        out_dir: Annotated[Path, typer.Option("-o", "--out", help="Output folder.")] = Path(
            "output"
        ),
        profile: Annotated[
            str,
            typer.Option(
                "--profile", "-p", help="Profile for orders that name none (.toml or name)."
            ),
        ] = "standard",
        workers: Annotated[
            int | None,
            typer.Option("--workers", min=1, help="Local worker processes (default: all cores)."),
        ] = None,
        dask: Annotated[
            str | None,
            typer.Option(
                "--dask", metavar="ADDRESS", help="Run on this Dask scheduler (tcp://host:8786)."
            ),
        ] = None,
        mechanics: Annotated[
            bool,
            typer.Option(
                "--mechanics",
                help="Solve each shell's thickness by finite elements, as build --mechanics.",
            ),
        ] = False,
    ) -> None:
        """Build a shell and a design sheet for every order; skip those already up to date.

        Exit code 0 when every order succeeded, 4 when some failed (see DIR/summary.csv),
        2 when the input itself is unusable.
        """
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        from shellgen.batch import read_orders, run_batch
        from shellgen.profile import load_profile, profile_path

        orders = read_orders(source, profile=profile)
        if any(order.profile == profile for order in orders):
            load_profile(profile_path(profile))  # a bad default profile is a bad input
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[green]{task.fields[ok]} ok[/]  [red]{task.fields[failed]} failed[/]"),
            TextColumn("time left"),
            TimeRemainingColumn(),
        )
        counts = {"ok": 0, "failed": 0}
        with Progress(*columns, console=Console(stderr=True)) as progress:
            bar = progress.add_task("orders", total=len(orders), ok=0, failed=0)

            def on_result(result: OrderResult) -> None:
                counts["ok" if result.ok else "failed"] += 1
                progress.update(bar, advance=1, ok=counts["ok"], failed=counts["failed"])

            outcome = run_batch(
                orders,
                out_dir,
                workers=workers,
                dask_address=dask,
                on_result=on_result,
                mechanics=mechanics,
            )
        _print_summary(outcome.results, out_dir)
        if outcome.exit_code:
            raise typer.Exit(outcome.exit_code)


def _print_summary(results: tuple[OrderResult, ...], out_dir: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    from shellgen.batch import BatchResult

    table = Table(title=f"shellgen batch: {out_dir}", title_justify="left")
    for name, justify in (
        ("row", "right"),
        ("order", "left"),
        ("shell", "left"),
        ("status", "left"),
        ("thickness", "right"),
        ("material", "left"),
        ("error", "left"),
    ):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    styles = {"built": "green", "up_to_date": "cyan", "failed": "bold red"}
    for r in results:
        table.add_row(
            str(r.row),
            r.order_id,
            r.stem,
            f"[{styles.get(r.status, '')}]{r.status.replace('_', ' ')}[/]",
            "" if r.thickness_mm is None else f"{r.thickness_mm:.2f} mm",
            r.material,
            r.error,
        )
    console = Console()
    console.print(table)
    counts = BatchResult(results).counts
    console.print(
        f"{len(results)} orders: {counts['built']} built, {counts['up_to_date']} up to date, "
        f"{counts['failed']} failed; see {out_dir / 'summary.csv'}",
        highlight=False,
    )
