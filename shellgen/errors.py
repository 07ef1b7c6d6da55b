"""The one exception family of shellgen.

Every error a user can cause derives from :class:`ShellgenError`. Its message is one line
that says what was wrong, with what value, and what to do; the command line prints it and
exits with :attr:`ShellgenError.exit_code`. Anything else that escapes is a bug.
"""

from __future__ import annotations

__all__ = ["GeometryError", "ProfileError", "ScanError", "ShellgenError"]


class ShellgenError(Exception):
    """Base of every error a user of shellgen can cause (exit code 2)."""

    exit_code: int = 2


class ScanError(ShellgenError):
    """A scan file cannot be read, or what it holds is not one usable foot."""


class ProfileError(ShellgenError):
    """A calibration profile is malformed or holds a value out of range."""


class GeometryError(ShellgenError):
    """A shell cannot be built, or failed validation (exit code 3)."""

    exit_code = 3
