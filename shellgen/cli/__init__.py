"""The ``shellgen`` command.

Each sub-command lives in its own module with a ``register(app)`` function. A
:class:`~shellgen.errors.ShellgenError` becomes one line on stderr and its exit code
(2 bad input, 3 a shell that failed validation); anything else is a bug and keeps its
traceback (exit code 1).
"""

from __future__ import annotations

import logging
import sys
from importlib import import_module

import typer

from shellgen.errors import ShellgenError

__all__ = ["app", "main"]

_COMMAND_MODULES = (
    "_analyze",
    "_profile",
    "_calibrate",
    "_build",
    "_validate",
    "_batch",
    "_plate",
    "_studio",
    "_mechanics",
)

app = typer.Typer(
    name="shellgen",
    help="Foot scan in, calibrated orthotic shell out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _name in _COMMAND_MODULES:
    import_module(f"shellgen.cli.{_name}").register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return its exit code.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; ``sys.argv[1:]`` when None.
    """
    logging.basicConfig(level=logging.WARNING, format="shellgen: %(message)s")
    try:
        # Without standalone mode click returns a command's exit code instead of raising.
        code = app(args=argv, prog_name="shellgen", standalone_mode=False)
    except ShellgenError as exc:
        print(f"shellgen: {exc}", file=sys.stderr)
        return exc.exit_code
    except typer.Exit as exc:
        return int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        print("shellgen: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        import click

        # Usage errors carry their own exit code. typer 0.29 raises those of the click it
        # bundles, which are TyperExceptions and not click.ClickExceptions.
        if isinstance(exc, (click.ClickException, typer.TyperException)):
            ctx = getattr(exc, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            print(f"shellgen: {exc.format_message()}{hint}", file=sys.stderr)
            return int(exc.exit_code)
        raise
    return code if isinstance(code, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
