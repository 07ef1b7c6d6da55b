"""The studio's workspace: the one folder it reads from and writes to.

Everything a browser request names (a scan, a profile, the output folder) is resolved here,
relative to the workspace root, and refused unless it stays inside: no absolute paths, no
``..``, no symlink that leads out. The layout is that of a project folder::

    <root>/scans/...        scans to open (and scan files directly in <root>)
    <root>/profiles/*.toml  profiles to open and to save
    <root>/output/          STL, 3MF, report JSON and preview PNG, as ``shellgen build`` writes
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Final

from shellgen.errors import ProfileError, ScanError, ShellgenError
from shellgen.profile import Profile, load_profile, save_profile

__all__ = [
    "OUTPUT_DIR",
    "PROFILES_DIR",
    "SCANS_DIR",
    "SCAN_SUFFIXES",
    "Workspace",
]

logger = logging.getLogger(__name__)

#: Sub-folders of the workspace.
SCANS_DIR: Final = "scans"
PROFILES_DIR: Final = "profiles"
OUTPUT_DIR: Final = "output"

#: Extensions of the scan files ``shellgen.scan.load`` reads.
SCAN_SUFFIXES: Final = (".ply", ".pcd", ".xyz", ".pts", ".csv", ".obj", ".stl")

#: A profile name: it is also the file name, so no separators and no leading dot.
_PROFILE_NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

#: Most scan files listed (a workspace pointed at a huge tree stays responsive).
_MAX_LISTED: Final = 500


@dataclass(frozen=True)
class Workspace:
    """A folder the studio works in; every path it hands out lies inside ``root``.

    Attributes
    ----------
    root : Path
        The workspace folder, absolute and with symlinks resolved.
    """

    root: Path

    @classmethod
    def open(cls, folder: str | Path) -> Workspace:
        """The workspace at ``folder`` (an existing directory).

        Raises
        ------
        ShellgenError
            If ``folder`` is not an existing directory.
        """
        root = Path(folder).expanduser().resolve()
        if not root.is_dir():
            raise ShellgenError(
                f"workspace {str(folder)!r} is not a folder; create it or pass --workspace DIR"
            )
        return cls(root)

    def inside(self, name: str, *, error: type[ShellgenError] = ShellgenError) -> Path:
        """Resolve ``name``, relative to the workspace, refusing anything that leads out.

        Parameters
        ----------
        name : str
            A relative path with ``/`` separators, as a request names it.
        error : type of ShellgenError
            The error to raise (``ScanError`` for scans, ``ProfileError`` for profiles).

        Returns
        -------
        Path
            The absolute path, symlinks resolved; it need not exist.

        Raises
        ------
        ShellgenError
            (of type ``error``) if ``name`` is empty, absolute, holds ``..``, a backslash or
            a NUL, or resolves (through a symlink) outside the workspace.
        """
        if not isinstance(name, str) or not name.strip() or "\x00" in name or "\\" in name:
            raise error(f"path {name!r} is not a plain relative path; pick a file in the list")
        posix, windows = PurePosixPath(name), PureWindowsPath(name)
        if posix.is_absolute() or windows.anchor:
            raise error(f"path {name!r} is absolute; name a file inside the workspace")
        if ".." in posix.parts:
            raise error(f"path {name!r} climbs out with '..'; name a file inside the workspace")
        resolved = (self.root / posix).resolve()
        if not resolved.is_relative_to(self.root):
            raise error(
                f"path {name!r} leads outside the workspace {self.root} (a symlink?); "
                "copy the file into the workspace"
            )
        return resolved

    def scans(self) -> list[str]:
        """Scan files in the workspace root and under ``scans/``, as relative names, sorted.

        Hidden files and folders, and symlinks that lead outside, are left out.
        """
        found: set[str] = set()
        candidates = [*self.root.glob("*"), *(self.root / SCANS_DIR).rglob("*")]
        for path in candidates:
            rel = path.relative_to(self.root)
            if path.suffix.lower() not in SCAN_SUFFIXES or any(
                part.startswith(".") for part in rel.parts
            ):
                continue
            try:
                target = self.inside(rel.as_posix())
            except ShellgenError:
                continue
            if target.is_file():
                found.add(rel.as_posix())
            if len(found) >= _MAX_LISTED:
                logger.warning("listing only the first %d scans of %s", _MAX_LISTED, self.root)
                break
        return sorted(found)

    def scan_path(self, name: str) -> Path:
        """The scan file ``name`` (relative to the workspace).

        Raises
        ------
        ScanError
            If ``name`` leads outside the workspace, is not a scan file, or does not exist.
        """
        path = self.inside(name, error=ScanError)
        if path.suffix.lower() not in SCAN_SUFFIXES:
            raise ScanError(f"{name!r} is not a scan file; pick one of {', '.join(SCAN_SUFFIXES)}")
        if not path.is_file():
            raise ScanError(f"{name!r} is not a file in the workspace; pick one from the list")
        return path

    def profiles(self) -> list[str]:
        """Names (file stems) of the profiles in ``profiles/``, sorted."""
        folder = self.root / PROFILES_DIR
        names = []
        for path in folder.glob("*.toml"):
            if not _PROFILE_NAME.match(path.stem):
                continue
            try:
                if self.profile_path(path.stem).is_file():
                    names.append(path.stem)
            except ProfileError:
                continue
        return sorted(names)

    def profile_path(self, name: str) -> Path:
        """``profiles/NAME.toml`` in the workspace (it need not exist).

        Raises
        ------
        ProfileError
            If ``name`` is not a profile name (letters, digits, ``_``, ``-``, ``.``, at most
            64 characters, not starting with a dot) or the file leads outside the workspace.
        """
        if not isinstance(name, str) or not _PROFILE_NAME.match(name):
            raise ProfileError(
                f"profile name {name!r} is not allowed; use up to 64 letters, digits, "
                "'_', '-' and '.', starting with a letter or digit"
            )
        return self.inside(f"{PROFILES_DIR}/{name}.toml", error=ProfileError)

    def load_profile(self, name: str) -> Profile:
        """Read and validate ``profiles/NAME.toml``.

        Raises
        ------
        ProfileError
            If the name is not allowed, the file is missing, or it is not a valid profile.
        """
        return load_profile(self.profile_path(name))

    def save_profile(self, profile: Profile, name: str) -> Path:
        """Write ``profile`` to ``profiles/NAME.toml`` (atomically), creating ``profiles/``.

        Returns
        -------
        Path
            The file written.

        Raises
        ------
        ProfileError
            If the name is not allowed or the path leads outside the workspace.
        """
        path = self.profile_path(name)
        self.inside(PROFILES_DIR, error=ProfileError).mkdir(exist_ok=True)
        save_profile(profile, path)
        logger.info("saved profile %r to %s", profile.name, path)
        return path

    def output_dir(self) -> Path:
        """``output/`` in the workspace, created if missing.

        Raises
        ------
        ShellgenError
            If ``output`` is a symlink that leads outside the workspace.
        """
        path = self.inside(OUTPUT_DIR)
        path.mkdir(exist_ok=True)
        return path

    def relative(self, path: Path) -> str:
        """``path`` (inside the workspace) as the relative name shown to a person."""
        return path.resolve().relative_to(self.root).as_posix()
