"""``shellgen mechanics``: the bench test on any shell file, ours or made elsewhere."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from shellgen.errors import GeometryError, ScanError

_DEFAULT_MATERIAL = "PA12-MJF"


def _parse_apex(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise ScanError(
            f"--apex {text!r} is not X,Y in mm: give two numbers, e.g. 110,30"
        ) from None
    return x, y


def register(app: typer.Typer) -> None:
    """Add the ``mechanics`` command to ``app``."""

    @app.command()
    def mechanics(
        mesh: Annotated[
            str, typer.Argument(help="STL or 3MF shell, mm, z up, its underside on the plate.")
        ],
        material: Annotated[
            str, typer.Option("--material", "-m", help="Shell material (modulus, fatigue).")
        ] = _DEFAULT_MATERIAL,
        force_n: Annotated[
            float, typer.Option("--force-n", help="Bench test force, N (above 0).")
        ] = 200.0,
        apex: Annotated[
            str | None,
            typer.Option(
                "--apex",
                help="Arch apex X,Y (mm) to load; found from the shell's underside if not given.",
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    ) -> None:
        """Bench test: the shell on a rigid frictionless plate, FORCE over the top within 20 mm
        (in plan) of the arch apex; print the mean deflection and stiffness."""
        # imported here: trimesh and scikit-fem load slowly, other commands need not wait
        import numpy as np

        from shellgen.export import read_mesh
        from shellgen.materials import material as find_material
        from shellgen.mechanics import SPACING_MM, arch_apex_mm, respond, solid_of_mesh

        if not force_n > 0:
            raise ScanError(f"--force-n {force_n:g} is not a force: give newtons above 0, e.g. 200")
        chosen = find_material(material)
        given = _parse_apex(apex)
        tri = read_mesh(mesh)
        vertices = np.asarray(tri.vertices, dtype=np.float64)
        vertices[:, 2] -= vertices[:, 2].min()  # stand it on the plate
        try:
            solid = solid_of_mesh(vertices, np.asarray(tri.faces, dtype=np.int64), SPACING_MM)
            found = given is None
            where = arch_apex_mm(solid) if given is None else given
            response = respond(solid, chosen, where, bench_force_n=force_n)
        except GeometryError as exc:
            raise ScanError(f"{mesh}: {exc}") from None
        result = {
            "mesh": mesh,
            "material": chosen.name,
            "apex_mm": [round(v, 3) for v in where],
            "apex_source": "found: highest underside 10 mm or more inside the rim"
            if found
            else "given",
            "force_n": force_n,
            "deflection_mm": response.bench_deflection_mm,
            "stiffness_n_per_mm": response.bench_stiffness_n_per_mm,
            "peak_stress_mpa": response.bench_peak_stress_mpa,
            "dofs": response.dofs,
        }
        if as_json:
            typer.echo(json.dumps(result, indent=2))
            return
        from rich.console import Console

        console = Console(width=120)
        console.print(
            f"{mesh}: {chosen.name}, {force_n:g} N within 20 mm of the arch apex "
            f"({where[0]:.1f}, {where[1]:.1f}) mm ({result['apex_source']})"
        )
        console.print(
            f"  deflection {response.bench_deflection_mm:.3f} mm, "
            f"stiffness {response.bench_stiffness_n_per_mm:.1f} N/mm, "
            f"peak von Mises {response.bench_peak_stress_mpa:.1f} MPa "
            f"({response.dofs} degrees of freedom)"
        )
