"""The studio app: a trame server whose state mirrors a :class:`Session`.

The browser renders with vtk.js (trame-vtk's ``VtkView``): the server sends meshes, never
pictures, so it needs no GPU and no display. Every control change goes through
:func:`~shellgen.studio._controls.apply` (refused values never reach the shell), then
calibrate and build run on a worker thread from the cached foot; while a build runs, newer
changes wait and only the latest is built. The new shell is pushed first; validation runs
after a short quiet spell, and its result replaces "checking" when it is still current.
The shell's mechanics (deflection map and numbers, on the coarser
:data:`~shellgen.studio._session.MECHANICS_SPACING_MM` mesh) are solved after every new shell
in a worker process, so that a solve never holds the interpreter the next build needs (on a
worker thread, builds during solves took up to 450-500 ms against 200-290 ms beside a worker
process, on the my-feet scan with 2 cores loaded 7 deep): while a solve runs, newer shells
wait and only the latest is solved; a result whose shell was replaced is dropped.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import multiprocessing
import socket
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Final

import numpy as np
from trame.app import asynchronous, get_server
from trame_server import Server

from shellgen.calibration import calibrate
from shellgen.errors import ProfileError, ShellgenError
from shellgen.pipeline import analyze_file
from shellgen.profile import Profile, _validate
from shellgen.studio._controls import CONTROLS, Control, apply, source_of, value_of
from shellgen.studio._session import (
    MECHANICS_SPACING_MM,
    Mechanics,
    Session,
    check,
    export,
    leave_interrupts,
    mechanics_job,
    ready,
    revise,
    solve,
    start,
)
from shellgen.studio._ui import build_ui, source_name, state_name
from shellgen.studio._view import (
    arch_chart_svg,
    camera,
    deflection_map_svg,
    key_numbers,
    mark_captions,
    mark_outlines,
    mechanics_numbers,
    plantar_mesh,
    report_rows,
    report_summary,
    scan_cloud,
    session_marks,
    shell_arrays,
)
from shellgen.studio._workspace import Workspace

__all__ = ["Studio", "check_port", "initial_profile", "scan_in_workspace"]

logger = logging.getLogger(__name__)

#: Quiet time after the last shell update before validation starts, s.
CHECK_DELAY_S: Final = 0.25
#: Time a newly connected page gets to mount its 3D view before the camera is fitted, s.
CAMERA_DELAY_S: Final = 0.5

_server_ids = itertools.count()


class Studio:
    """The studio's server side: the workspace, the current session and the browser state.

    Parameters
    ----------
    workspace : Workspace
        Where scans are read and profiles and outputs written.
    profile : Profile
        The profile to start with.
    profile_file : str or None
        Its name in the workspace's ``profiles/``, if it came from there.
    scan : str or None
        A scan (relative to the workspace) to open once the server runs.
    notice : str or None
        A message to show when the page opens (e.g. why the profile was not loaded).
    """

    def __init__(
        self,
        workspace: Workspace,
        profile: Profile,
        *,
        profile_file: str | None = None,
        scan: str | None = None,
        notice: str | None = None,
    ) -> None:
        self.workspace = workspace
        self.server: Server = get_server(f"shellgen-studio-{next(_server_ids)}", client_type="vue3")
        self.state = self.server.state
        self.session: Session | None = None
        #: The latest accepted profile; the session catches up with it.
        self.profile = profile
        self._pending: tuple[Profile, float] | None = None
        self._draining = False
        self._builder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="studio-build")
        self._checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="studio-check")
        # Spawned, not forked: the server runs threads, which a fork would copy mid-step.
        self._mechanic = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=leave_interrupts,
        )
        #: The latest shell whose mechanics are wanted: (session, requested at, build id).
        self._mechanics_pending: tuple[Session, float | None, int] | None = None
        self._solving = False
        self._refusals = itertools.count(1)
        self._cameras = itertools.count(1)
        self._first_scan = scan
        self._init_state(profile_file, notice)
        self._show_profile()
        self.server.controller.on_server_ready.add(self._on_ready)
        self.server.controller.on_client_connected.add(self._on_connect)
        build_ui(self)

    # ------------------------------------------------------------------ state

    def _init_state(self, profile_file: str | None, notice: str | None) -> None:
        s = self.state
        s.scans = self.workspace.scans()
        s.profiles = self.workspace.profiles()
        s.scan_name = None
        s.profile_file = profile_file
        s.save_name = profile_file or self.profile.name
        s.workspace = str(self.workspace.root)
        s.shell_points = None
        s.shell_polys = None
        s.shell_thickness = None
        s.shell_shown = False
        s.plantar_mesh = None
        s.scan_mesh = None
        s.mark_lines = None
        s.marks = []
        s.show_marks = True
        s.thickness_range = [0.0, 1.0]
        s.show_foot = True
        s.show_scan = False
        s.numbers = []
        s.arch_svg = ""
        s.check_status = "none"  # none | checking | pass | fail
        s.check_summary = "no shell yet"
        s.check_rows = []
        s.mech_status = "none"  # none | computing | current | failed
        s.mech_numbers = []
        s.mech_svg = ""
        s.mech_range = [0.0, 1.0]
        s.mech_message = ""
        s.mech_spacing_mm = MECHANICS_SPACING_MM
        s.mech_build_id = 0
        s.mech_update_ms = 0.0
        s.busy = ""
        s.exporting = False
        s.build_id = 0
        s.update_ms = 0.0
        s.pushed_at_ms = 0.0
        s.refused = {"id": "", "text": "", "n": 0}
        s.notice = {"text": notice or "", "type": "error" if notice else "info", "n": 0}
        s.confirm_replace = ""
        s.camera = None

    def _notify(self, text: str, kind: str = "info") -> None:
        """Show a message in the app (``kind``: info, success, error)."""
        self.state.notice = {"text": text, "type": kind, "n": self.state.notice["n"] + 1}
        log = logger.warning if kind == "error" else logger.info
        log("%s", text)

    def _show_profile(self) -> None:
        """Put every control's value of ``self.profile`` (and the spec's) into the state."""
        for c in CONTROLS:
            self.state[state_name(c)] = self._display_value(c)
            self.state[source_name(c)] = self._source(c)
        self.state.profile_title = self.profile.name
        self.state.profile_description = self.profile.description

    def _display_value(self, c: Control) -> object:
        value = value_of(self.profile, c)
        if value is None and self.session is not None:
            value = getattr(self.session.spec, c.key)  # an unpinned override: the spec's number
        if isinstance(value, float):
            return round(value, 2)
        return value

    def _source(self, c: Control) -> str:
        if self.session is None:
            if c.section == "override":
                return "override" if value_of(self.profile, c) is not None else "calibrated"
            table = getattr(self.profile, c.section)
            return "profile" if c.key in table.model_fields_set else "default"
        return source_of(self.profile, self.session.spec, c)

    def _show_session(self, session: Session, requested_at: float | None) -> None:
        """Push a new shell and its numbers; validation becomes "checking"."""
        previous, self.session = self.session, session
        s = self.state
        arrays = shell_arrays(session)
        s.shell_points = arrays["points"]
        s.shell_thickness = arrays["thickness"]
        faces = session.shell.faces
        if previous is None or not np.array_equal(previous.shell.faces, faces):
            s.shell_polys = arrays["polys"]  # a change that keeps the triangles resends none
        s.shell_shown = True
        t = session.shell.thickness_mm
        s.thickness_range = [round(float(t.min()), 2), round(float(t.max()), 2)]
        s.numbers = key_numbers(session)
        marks = session_marks(session)
        s.mark_lines = mark_outlines(session.shell, marks)
        s.marks = mark_captions(marks)
        s.arch_svg = arch_chart_svg(session.foot, session.spec)
        for c in CONTROLS:
            if c.section == "override" and value_of(self.profile, c) is None:
                s[state_name(c)] = self._display_value(c)
            s[source_name(c)] = self._source(c)
        s.check_status = "checking"
        s.check_summary = "checking…"
        s.build_id = s.build_id + 1
        if requested_at is not None:
            s.update_ms = round(1000.0 * (time.perf_counter() - requested_at), 1)
        s.pushed_at_ms = 1000.0 * time.time()  # for timing the trip to the page
        self._request_mechanics(session, requested_at, s.build_id)

    def _request_mechanics(self, session: Session, requested_at: float | None, build: int) -> None:
        """Solve ``session``'s mechanics after the solve under way, if any (latest wins)."""
        self._mechanics_pending = (session, requested_at, build)
        self.state.mech_status = "computing"
        if not self._solving:
            self._solving = True
            asynchronous.create_task(self._solve())

    async def _solve(self) -> None:
        """Solve the latest pending shell's mechanics until none is left; show the current."""
        loop = asyncio.get_running_loop()
        try:
            while self._mechanics_pending is not None:
                (session, requested_at, build), self._mechanics_pending = (
                    self._mechanics_pending,
                    None,
                )
                if session is not self.session:
                    continue  # replaced before its solve began
                try:
                    job = mechanics_job(session)
                    result = await loop.run_in_executor(self._mechanic, solve, job)
                except BrokenProcessPool:
                    with self.state:
                        self._notify("the mechanics worker stopped; restart the studio", "error")
                        self.state.mech_status = "failed"
                    return
                except ShellgenError as exc:
                    if session is self.session:
                        with self.state:
                            self.state.mech_status = "failed"
                            self.state.mech_message = str(exc)
                            self.state.mech_build_id = build
                    continue
                if session is self.session:
                    with self.state:
                        self._show_mechanics(session, result, requested_at, build)
        finally:
            self._solving = False

    def _show_mechanics(
        self, session: Session, result: Mechanics, requested_at: float | None, build: int
    ) -> None:
        """Push the mechanics numbers and deflection map of the shown shell."""
        s = self.state
        s.mech_numbers = mechanics_numbers(result)
        s.mech_svg, s.mech_range = deflection_map_svg(result.response, session.shell.side)
        s.mech_message = ""
        s.mech_status = "current"
        s.mech_build_id = build
        if requested_at is not None:
            s.mech_update_ms = round(1000.0 * (time.perf_counter() - requested_at), 1)

    def _show_foot(self, session: Session) -> None:
        s = self.state
        s.plantar_mesh = plantar_mesh(session.foot)
        s.scan_mesh = scan_cloud(session.foot)
        s.scan_name = session.scan_name

    # ------------------------------------------------------------------ actions

    def changed(self, control_id: str, value: Any) -> None:
        """A control's new value: refuse it with a message, or rebuild with it."""
        requested_at = time.perf_counter()
        try:
            profile = apply(self.profile, control_id, value)
            if self.session is not None:  # hard limits that need the foot (0.3 ms)
                calibrate(self.session.foot, profile)
        except ShellgenError as exc:
            self._refuse(control_id, str(exc))
            return
        if self.state.refused["id"] == control_id:
            self.state.refused = {"id": "", "text": "", "n": self.state.refused["n"]}
        if profile == self.profile:
            return
        self.profile = profile
        for c in CONTROLS:
            if c.id == control_id:
                from_slider = isinstance(value, int | float) and isinstance(
                    self.state[state_name(c)], int | float
                )
                if not from_slider:
                    # typed text, a choice, an unpin: show the accepted value. A slider's own
                    # value is not echoed, or quick key presses would pull it back.
                    self.state[state_name(c)] = self._display_value(c)
                self.state[source_name(c)] = self._source(c)
        self._request_build(profile, requested_at)

    def _refuse(self, control_id: str, message: str) -> None:
        """Show why a value was refused, and put the control back to the accepted value."""
        self.state.refused = {"id": control_id, "text": message, "n": next(self._refusals)}
        for c in CONTROLS:
            if c.id == control_id:
                self.state[state_name(c)] = self._display_value(c)
                self.state.dirty(state_name(c))
        logger.info("refused: %s", message)

    def _request_build(self, profile: Profile, requested_at: float) -> None:
        if self.session is None:
            return  # no scan yet: the profile is used when one opens
        self._pending = (profile, requested_at)
        if not self._draining:
            self._draining = True
            asynchronous.create_task(self._drain())

    async def _drain(self) -> None:
        """Build the latest pending profile until none is left (changes in between merge)."""
        loop = asyncio.get_running_loop()
        try:
            while self._pending is not None and self.session is not None:
                (profile, requested_at), self._pending = self._pending, None
                try:
                    session = await loop.run_in_executor(
                        self._builder, revise, self.session, profile
                    )
                except ShellgenError as exc:
                    with self.state:
                        self._notify(f"cannot build this shell: {exc}", "error")
                        if self._pending is None:  # back to the shell that is shown
                            self.profile = self.session.profile
                            self._show_profile()
                            asynchronous.create_task(self._check_later(self.session))
                    continue
                if session.foot is not self.session.foot:  # another scan opened meanwhile
                    self._pending = self._pending or (profile, requested_at)
                    continue
                with self.state:
                    self._show_session(session, requested_at)
                asynchronous.create_task(self._check_later(session))
        finally:
            self._draining = False

    async def _check_later(self, session: Session) -> None:
        """Validate ``session`` after a quiet spell, unless a newer shell replaced it."""
        await asyncio.sleep(CHECK_DELAY_S)
        if session is not self.session or self._pending is not None:
            return
        loop = asyncio.get_running_loop()
        report = await loop.run_in_executor(self._checker, check, session)
        if session is not self.session:
            return
        with self.state:
            self.state.check_status = "pass" if report.ok else "fail"
            self.state.check_summary = report_summary(report)
            self.state.check_rows = report_rows(report)

    def open_scan(self, name: str) -> None:
        """Open a scan of the workspace (analysed on a worker thread)."""
        asynchronous.create_task(self._open_scan(name))

    async def _open_scan(self, name: str) -> None:
        loop = asyncio.get_running_loop()
        with self.state:
            self.state.busy = f"analysing {name}…"
        try:
            path = self.workspace.scan_path(name)
            foot = await loop.run_in_executor(self._builder, analyze_file, path)
            session = await loop.run_in_executor(self._builder, start, foot, self.profile, name)
        except ShellgenError as exc:
            with self.state:
                self.state.busy = ""
                self.state.scan_name = self.session.scan_name if self.session else None
                self._notify(str(exc), "error")
            return
        with self.state:
            self.state.busy = ""
            self._show_foot(session)
            self._show_session(session, None)
            self._show_profile()
            self.fit_camera()
        asynchronous.create_task(self._check_later(session))
        if self.profile != session.profile:  # changed while the scan was being analysed
            self._request_build(self.profile, time.perf_counter())

    def open_profile(self, name: str) -> None:
        """Open ``profiles/NAME.toml`` of the workspace and rebuild with it."""
        try:
            profile = self.workspace.load_profile(name)
        except ProfileError as exc:
            self.state.profile_file = None
            self._notify(str(exc), "error")
            return
        self.profile = profile
        self.state.profile_file = name
        self.state.save_name = name
        self.state.refused = {"id": "", "text": "", "n": self.state.refused["n"]}
        self._show_profile()
        self._request_build(profile, time.perf_counter())
        self._notify(f"opened profiles/{name}.toml", "success")

    def save(self, name: str) -> None:
        """Save the current profile as ``profiles/NAME.toml`` (its name becomes NAME)."""
        name = (name or "").strip()
        try:
            path = self.workspace.profile_path(name)
            if path.exists() and self.state.confirm_replace != name:
                self.state.confirm_replace = name
                self._notify(f"profiles/{name}.toml exists: press Save again to replace it", "info")
                return
            data = self.profile.model_dump(exclude_unset=True)
            data["name"] = name
            renamed = _validate(data, where=f"profile {name!r}", strict=True)
            written = self.workspace.save_profile(renamed, name)
        except ShellgenError as exc:
            self._notify(str(exc), "error")
            return
        self.profile = renamed
        self.state.confirm_replace = ""
        self.state.profiles = self.workspace.profiles()
        self.state.profile_file = name
        self.state.profile_title = name
        self._notify(f"saved {self.workspace.relative(written)}", "success")

    def export(self) -> None:
        """Write STL, 3MF, report and preview into ``output/``, as ``shellgen build``."""
        asynchronous.create_task(self._export())

    async def _export(self) -> None:
        session = self.session
        with self.state:
            if session is None:
                self._notify("open a scan first: there is no shell to export", "error")
                return
            if session.profile != self.profile:
                self._notify("the shell is still being rebuilt; export again in a moment", "info")
                return
            self.state.exporting = True
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self._checker, export, session, self.workspace)
        except ShellgenError as exc:
            with self.state:
                self.state.exporting = False
                self._notify(str(exc), "error")
            return
        names = ", ".join(self.workspace.relative(p) for _, p in sorted(result.outputs.items()))
        with self.state:
            self.state.exporting = False
            self._notify(f"wrote {names}", "success")

    def refresh_lists(self) -> None:
        """List the workspace's scans and profiles again."""
        self.state.scans = self.workspace.scans()
        self.state.profiles = self.workspace.profiles()

    def fit_camera(self) -> None:
        """Look at the shell from the medial side and fit it in the view."""
        if self.session is not None:
            self.state.camera = {**camera(self.session), "n": next(self._cameras)}

    def _on_connect(self, **_: object) -> None:
        asynchronous.create_task(self._fit_camera_soon())

    async def _fit_camera_soon(self) -> None:
        """Fit the camera once a new page has had time to build its view."""
        await asyncio.sleep(CAMERA_DELAY_S)
        with self.state:
            self.fit_camera()

    def _on_ready(self, **_: object) -> None:
        self._mechanic.submit(ready)  # start the worker, and import what it solves with, now
        if self._first_scan is not None:
            self.open_scan(self._first_scan)

    # ------------------------------------------------------------------ serving

    def serve(self, host: str, port: int) -> None:
        """Serve until interrupted (blocking)."""
        try:
            self.server.start(
                host=host,
                port=port,
                open_browser=False,
                show_connection_info=False,
                disable_logging=True,
                timeout=0,
            )
        finally:
            self._builder.shutdown(wait=False, cancel_futures=True)
            self._checker.shutdown(wait=False, cancel_futures=True)
            self._mechanic.shutdown(wait=False, cancel_futures=True)


def initial_profile(workspace: Workspace, name: str) -> tuple[Profile, str | None, str | None]:
    """The profile to start with: a workspace profile, a path, or a shipped name.

    Returns
    -------
    profile : Profile
        The profile; on error, a 75 kg walking-adult profile named ``untitled``.
    profile_file : str or None
        Its name in the workspace's ``profiles/``, if it is one.
    notice : str or None
        Why the requested profile was not used.
    """
    from shellgen.profile import Patient, load_profile, profile_path

    try:
        if name in workspace.profiles():
            return workspace.load_profile(name), name, None
        path = profile_path(name)
        inside = path.resolve().is_relative_to(workspace.root / "profiles")
        return load_profile(path), (path.stem if inside else None), None
    except ProfileError as exc:
        fallback = Profile(schema_version=1, name="untitled", patient=Patient(bodyweight_kg=75.0))
        return fallback, None, f"{exc} (started with an untitled 75 kg profile)"


def scan_in_workspace(workspace: Workspace, scan: str | Path) -> str:
    """The workspace-relative name of a scan given on the command line.

    A relative path is taken from the current folder, or else from the workspace.

    Raises
    ------
    ShellgenError
        If the scan is not inside the workspace.
    """
    given = Path(scan).expanduser()
    if not given.is_absolute() and not given.exists() and (workspace.root / given).exists():
        given = workspace.root / given  # named relative to the workspace
    path = given.resolve()
    if not path.is_relative_to(workspace.root):
        raise ShellgenError(
            f"scan {str(scan)!r} is outside the workspace {workspace.root}; copy it into the "
            "workspace or pass --workspace"
        )
    return workspace.relative(path)


def check_port(host: str, port: int) -> None:
    """Make sure ``host:port`` can be listened on, before the page is built.

    Raises
    ------
    ShellgenError
        If it cannot (in use, or not an address of this machine).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ShellgenError(
                f"cannot listen on {host}:{port} ({exc.strerror}); pass another --port or --host"
            ) from None
