"""``shellgen studio``: a local web app where every profile change rebuilds the shell.

The pure parts are importable without a browser: :class:`Workspace` (where the studio may
read and write), :class:`Session` (a cached analysed foot and the shell built from a
profile) with its :func:`mechanics`, and the controls made from the profile schema
(:data:`CONTROLS`, :func:`apply`).
:func:`serve` runs the trame app.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from shellgen.errors import ShellgenError
from shellgen.studio._controls import CONTROLS, Control, apply, source_of, value_of
from shellgen.studio._session import (
    MECHANICS_SPACING_MM,
    Mechanics,
    Session,
    check,
    export,
    mechanics,
    profile_toml,
    revise,
    start,
)
from shellgen.studio._workspace import Workspace

__all__ = [
    "CONTROLS",
    "MECHANICS_SPACING_MM",
    "Control",
    "Mechanics",
    "Session",
    "Workspace",
    "apply",
    "check",
    "export",
    "mechanics",
    "profile_toml",
    "revise",
    "serve",
    "source_of",
    "start",
    "value_of",
]

logger = logging.getLogger(__name__)

#: Hosts that only this machine can reach.
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve(
    workspace: str | Path,
    *,
    scan: str | Path | None = None,
    profile: str = "standard",
    host: str = "127.0.0.1",
    port: int = 8080,
) -> None:
    """Serve the studio on ``http://host:port/`` until interrupted.

    Parameters
    ----------
    workspace : path-like
        The folder the studio reads scans and profiles from and writes into.
    scan : path-like, optional
        A scan inside the workspace to open at once.
    profile : str
        A profile in the workspace's ``profiles/``, a ``.toml`` path, or a shipped name.
    host : str
        Interface to listen on; only this machine by default.
    port : int
        TCP port.

    Raises
    ------
    ShellgenError
        If the workspace is not a folder or the port cannot be listened on. A bad scan or
        profile does not stop the studio: it shows the message in the page.
    """
    from shellgen.studio._app import Studio, check_port, initial_profile, scan_in_workspace

    ws = Workspace.open(workspace)
    chosen, profile_file, notice = initial_profile(ws, profile)
    first_scan = None
    if scan is not None:
        try:
            first_scan = scan_in_workspace(ws, scan)
        except ShellgenError as exc:
            notice = str(exc)
    if host not in _LOOPBACK:
        logger.warning(
            "serving on %s: anyone who can reach this host can read and write %s", host, ws.root
        )
    check_port(host, port)
    # trame parses sys.argv for its own options unless TRAME_ARGS is set, and shellgen's are
    # not trame's. Its websocket compresses every message: a shell update is ~0.5 MB, whose
    # compression costs ~20 ms of the 100 ms a change may take, for nothing on this machine.
    os.environ.setdefault("TRAME_ARGS", "--no-ws-compress")
    studio = Studio(ws, chosen, profile_file=profile_file, scan=first_scan, notice=notice)
    studio.serve(host, port)
