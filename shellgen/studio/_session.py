"""A studio session: one analysed foot, cached, and the shell built for the current profile.

Analysing a scan takes a second or two; calibrating and building from the analysed
:class:`~shellgen.analysis.Foot` takes tens of milliseconds. A :class:`Session` keeps the
foot, so every profile change is :func:`revise`: calibrate and build again, never reload.
Validation (a few hundred milliseconds) is separate (:func:`check`), so that a view can show
the new shell first and its report when it is ready; so is the shell's mechanics
(:func:`mechanics`, a finite-element solve on a coarser mesh, about half a second).
"""

from __future__ import annotations

import hashlib
import logging
import signal
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Final

import numpy as np
import tomli_w
from shapely.geometry import Polygon

from shellgen._typing import FloatArray, IntArray
from shellgen.analysis import Foot, Point2
from shellgen.calibration import ACTIVITY_LOAD, calibrate, deflection_target_mm
from shellgen.materials import Material
from shellgen.mechanics import Patient, Response, respond, solid_of_mesh
from shellgen.pipeline import BuildResult, build_foot
from shellgen.profile import Profile
from shellgen.shell import Shell, build
from shellgen.spec import ShellSpec
from shellgen.studio._workspace import Workspace
from shellgen.validation import Report, validate

__all__ = [
    "MECHANICS_SPACING_MM",
    "Mechanics",
    "MechanicsJob",
    "Session",
    "check",
    "export",
    "leave_interrupts",
    "mechanics",
    "mechanics_job",
    "profile_toml",
    "ready",
    "revise",
    "shell_volume_mm3",
    "solve",
    "start",
]

logger = logging.getLogger(__name__)

#: Plan spacing of the studio's mechanics mesh, mm. Twice the 3 mm that calibration and the
#: build report use: about four times faster (0.4 s against 1.5-3 s on a standard shell) and
#: within about 15 % of it, so that the numbers follow a change within a second.
MECHANICS_SPACING_MM: Final = 6.0


@dataclass(frozen=True, eq=False)
class Session:
    """The analysed foot, the profile, and the shell built from them.

    Attributes
    ----------
    foot : Foot
        The analysed scan (foot frame of a right foot, mm), cached for every change.
    scan_name : str
        The scan's name in the workspace; its stem names exported files.
    profile : Profile
        The profile the shell was built from.
    spec : ShellSpec
        ``calibrate(foot, profile)``.
    shell : Shell
        ``build(foot, spec)``.
    build_ms : float
        Wall-clock time of calibrate and build, ms.
    """

    foot: Foot
    scan_name: str
    profile: Profile
    spec: ShellSpec
    shell: Shell
    build_ms: float

    @property
    def stem(self) -> str:
        """File stem of exported files: the scan's, as ``shellgen build`` names them."""
        return Path(self.scan_name).stem

    @cached_property
    def volume_cm3(self) -> float:
        """Volume of the shell, cm^3 (divergence theorem over its closed surface)."""
        return shell_volume_mm3(self.shell) / 1000.0

    @property
    def mass_g(self) -> float:
        """Mass of the printed shell, g: volume times the material's density."""
        return self.volume_cm3 * self.spec.material.density_g_cm3


def shell_volume_mm3(shell: Shell) -> float:
    """Signed volume enclosed by the shell's triangles, mm^3 (positive when wound outward)."""
    tri = shell.vertices[shell.faces]
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    return float(np.einsum("ij,ij->", tri[:, 0], cross) / 6.0)


def start(foot: Foot, profile: Profile, scan_name: str, *, reuse: Shell | None = None) -> Session:
    """Calibrate and build the first shell for an analysed foot.

    Parameters
    ----------
    foot : Foot
        The analysed scan.
    profile : Profile
        The profile to build with.
    scan_name : str
        The scan's name in the workspace.
    reuse : Shell, optional
        An earlier shell of this foot, whose plan the build starts from when it fits.

    Raises
    ------
    ProfileError
        If an override breaks a hard limit.
    GeometryError, ScanError
        If no shell can be built for this foot and profile.
    """
    t0 = time.perf_counter()
    spec = calibrate(foot, profile)
    shell = build(foot, spec, reuse=reuse.plan if reuse is not None else None)
    build_ms = 1000.0 * (time.perf_counter() - t0)
    logger.debug("built %s with %r in %.0f ms", scan_name, profile.name, build_ms)
    return Session(foot, scan_name, profile, spec, shell, build_ms)


def revise(session: Session, profile: Profile) -> Session:
    """The session with a changed profile: calibrate and build again from the cached foot.

    The build starts from the session shell's plan (outline, triangulation) when the change
    leaves it as it is (thickness, arch, post, flex ratio, patient values).

    Raises
    ------
    ProfileError, GeometryError
        As :func:`start`; ``session`` itself is unchanged.
    """
    return start(session.foot, profile, session.scan_name, reuse=session.shell)


@dataclass(frozen=True, eq=False)
class Mechanics:
    """A session shell's mechanics, as the studio shows them.

    Attributes
    ----------
    response : Response
        The shell's bench test and its response to the patient's walking and activity
        loads, with the deflection map at the activity load (foot frame of a right foot).
    target_deflection_mm : float
        The arch deflection calibration by mechanics aims at under the walking load, mm.
    spacing_mm : float
        Plan spacing of the mechanics mesh, mm.
    solve_ms : float
        Wall-clock time of meshing and solving, ms.
    """

    response: Response
    target_deflection_mm: float
    spacing_mm: float
    solve_ms: float


@dataclass(frozen=True, eq=False)
class MechanicsJob:
    """What a mechanics solve needs: small, and picklable, for a worker process.

    Attributes
    ----------
    vertices : (n, 3) float
        The shell's vertices, foot frame of a right foot, mm.
    faces : (m, 3) int
        Its triangles.
    outline : Polygon
        Its outline seen from above, mm.
    material : Material
        Its material.
    apex_mm : (2,) float
        The foot's arch apex (x, y), mm, where the loads are centred.
    patient : Patient
        Body weight and the activity's load relative to walking.
    target_deflection_mm : float
        The arch deflection calibration by mechanics aims at, mm.
    spacing_mm : float
        Plan spacing of the mechanics mesh, mm.
    """

    vertices: FloatArray
    faces: IntArray
    outline: Polygon
    material: Material
    apex_mm: Point2
    patient: Patient
    target_deflection_mm: float
    spacing_mm: float


def mechanics_job(session: Session, spacing_mm: float = MECHANICS_SPACING_MM) -> MechanicsJob:
    """The mechanics solve of the session's shell for its patient, on a ``spacing_mm`` mesh.

    The patient is the profile's: body weight, and the activity's load relative to walking
    (:data:`shellgen.calibration.ACTIVITY_LOAD`); the loads are centred on the foot's arch
    apex, and the target is calibration's (:func:`~shellgen.calibration.deflection_target_mm`).
    """
    patient = session.profile.patient
    shell = session.shell
    return MechanicsJob(
        vertices=shell.vertices,
        faces=shell.faces,
        outline=shell.outline,
        material=session.spec.material,
        apex_mm=session.foot.landmarks.arch_apex,
        patient=Patient(patient.bodyweight_kg, ACTIVITY_LOAD[patient.activity]),
        target_deflection_mm=deflection_target_mm(
            patient.bodyweight_kg, session.foot.arch.type, patient.arch_flexibility
        ),
        spacing_mm=spacing_mm,
    )


def solve(job: MechanicsJob) -> Mechanics:
    """Mesh and solve a mechanics job (:func:`shellgen.mechanics.respond`).

    Raises
    ------
    GeometryError
        If the shell cannot be loaded so (the apex off the shell, a cantilever).
    """
    t0 = time.perf_counter()
    solid = solid_of_mesh(job.vertices, job.faces, job.spacing_mm, outline=job.outline)
    response = respond(solid, job.material, job.apex_mm, job.patient)
    solve_ms = 1000.0 * (time.perf_counter() - t0)
    logger.debug("mechanics solved in %.0f ms", solve_ms)
    return Mechanics(response, job.target_deflection_mm, job.spacing_mm, solve_ms)


def leave_interrupts() -> None:
    """Ignore Ctrl-C (SIGINT) in a worker process: the studio that started it handles it,
    and the worker ends when the studio does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def ready() -> bool:
    """True. Called once in a new worker process, it imports this module, and so all that
    :func:`solve` needs (about a second), before the first shell's mechanics are wanted."""
    return True


def mechanics(session: Session, spacing_mm: float = MECHANICS_SPACING_MM) -> Mechanics:
    """The session shell's linear-elastic response to its patient: :func:`solve` of its
    :func:`mechanics_job`.

    Raises
    ------
    GeometryError
        If the shell cannot be loaded so (the apex off the shell, a cantilever).
    """
    return solve(mechanics_job(session, spacing_mm))


def check(session: Session) -> Report:
    """Validate the session's shell as ``shellgen build`` does (material, foot outline)."""
    return validate(
        session.shell, material=session.spec.material, foot_outline=session.foot.footprint
    )


def profile_toml(profile: Profile) -> str:
    """The TOML text :func:`shellgen.profile.save_profile` writes for ``profile``."""
    return tomli_w.dumps(profile.model_dump(exclude_unset=True, exclude_none=True))


def export(session: Session, workspace: Workspace) -> BuildResult:
    """Write the session's shell into ``output/`` exactly as ``shellgen build`` would.

    ``<stem>.stl``, ``.3mf`` (when the shell passes validation), ``.json`` and ``.png``, where
    ``<stem>`` is the scan's stem; the report's ``profile_sha256`` is that of the profile as
    :func:`profile_toml` (and so ``save_profile``) writes it.

    Raises
    ------
    GeometryError
        If the shell failed validation (the JSON report and the preview are written).
    """
    profile_sha256 = hashlib.sha256(profile_toml(session.profile).encode("utf-8")).hexdigest()
    return build_foot(
        session.foot,
        workspace.output_dir(),
        session.stem,
        profile=session.profile,
        profile_sha256=profile_sha256,
    )
