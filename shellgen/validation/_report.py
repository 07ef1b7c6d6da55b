"""The findings of :func:`~shellgen.validation.validate`: a :class:`Check` per measured value,
collected in a :class:`Report`."""

from __future__ import annotations

import math
from dataclasses import dataclass

from shellgen._typing import FloatArray

__all__ = ["Check", "Report", "_fmt_xyz"]


@dataclass(frozen=True)
class Check:
    """One printability check.

    Attributes
    ----------
    name : str
        Check name, e.g. ``"min_wall_mm"``.
    ok : bool
        Whether ``value`` is within ``limit``.
    value : float
        What was measured (NaN when it could not be measured; ``detail`` says why).
    limit : float
        The limit ``value`` is held to; ``detail`` says in which direction.
    unit : str
        Unit of ``value`` and ``limit`` (``"mm"``, ``"edges"``, ...).
    detail : str
        One line for a person: where, how it was measured, what to do.
    """

    name: str
    ok: bool
    value: float
    limit: float
    unit: str
    detail: str

    def as_json(self) -> dict[str, object]:
        """``{name, ok, value, limit, unit, detail}``; NaN becomes None (valid JSON)."""
        return {
            "name": self.name,
            "ok": self.ok,
            "value": _json_number(self.value),
            "limit": _json_number(self.limit),
            "unit": self.unit,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Report:
    """The result of :func:`validate`: named checks in a fixed order.

    Attributes
    ----------
    checks : tuple of Check
        Every check that ran.
    """

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return all(c.ok for c in self.checks)

    @property
    def failed(self) -> tuple[str, ...]:
        """Names of the checks that failed, in report order."""
        return tuple(c.name for c in self.checks if not c.ok)

    def __getitem__(self, name: str) -> Check:
        """The check called ``name``.

        Raises
        ------
        KeyError
            If no check has that name.
        """
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def as_json(self) -> dict[str, object]:
        """``{"ok": bool, "checks": [{name, ok, value, limit, unit, detail}, ...]}``."""
        return {"ok": self.ok, "checks": [c.as_json() for c in self.checks]}


def _json_number(x: float) -> float | None:
    if isinstance(x, int):
        return x  # counts stay integers
    return float(x) if math.isfinite(x) else None


def _fmt_xyz(p: FloatArray) -> str:
    return f"({p[0]:.1f}, {p[1]:.1f}, {p[2]:.1f}) mm"
