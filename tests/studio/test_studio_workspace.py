"""The studio's workspace: whatever a request names, nothing is read or written outside it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shellgen.errors import ProfileError, ScanError, ShellgenError
from shellgen.profile import Patient, Profile, load_profile
from shellgen.studio import Workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    (root / "scans" / "clinic").mkdir(parents=True)
    (root / "profiles").mkdir()
    (root / "scans" / "a.stl").write_bytes(b"solid a\nendsolid a\n")
    (root / "scans" / "clinic" / "b.PLY").write_bytes(b"ply\n")
    (root / "scans" / "notes.txt").write_text("not a scan")
    (root / "scans" / ".hidden.stl").write_bytes(b"")
    (root / "top.obj").write_text("v 0 0 0\n")
    return Workspace.open(root)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "../secret.stl",
        "scans/../../secret.stl",
        "/etc/passwd",
        "C:/Windows/win.ini",
        "scans\\..\\..\\secret.stl",
        "scans/a.stl\x00.txt",
    ],
)
def test_a_name_that_is_not_a_plain_relative_path_inside_is_refused(
    workspace: Workspace, name: str
) -> None:
    with pytest.raises(ScanError):
        workspace.inside(name, error=ScanError)


def test_a_symlink_that_leads_out_is_refused(workspace: Workspace, tmp_path: Path) -> None:
    outside = tmp_path / "outside.stl"
    outside.write_bytes(b"solid x\nendsolid x\n")
    os.symlink(outside, workspace.root / "scans" / "link.stl")
    os.symlink(tmp_path, workspace.root / "scans" / "up")
    with pytest.raises(ScanError, match="outside the workspace"):
        workspace.scan_path("scans/link.stl")
    with pytest.raises(ScanError, match="outside the workspace"):
        workspace.scan_path("scans/up/outside.stl")
    assert "scans/link.stl" not in workspace.scans()


def test_a_symlink_that_stays_inside_is_followed(workspace: Workspace) -> None:
    os.symlink(workspace.root / "scans" / "a.stl", workspace.root / "scans" / "same.stl")
    assert workspace.scan_path("scans/same.stl") == workspace.root / "scans" / "a.stl"


def test_scans_are_listed_from_the_root_and_under_scans(workspace: Workspace) -> None:
    assert workspace.scans() == ["scans/a.stl", "scans/clinic/b.PLY", "top.obj"]


def test_a_scan_must_be_an_existing_scan_file(workspace: Workspace) -> None:
    assert workspace.scan_path("scans/a.stl") == workspace.root / "scans" / "a.stl"
    with pytest.raises(ScanError, match="not a scan file"):
        workspace.scan_path("scans/notes.txt")
    with pytest.raises(ScanError, match="not a file"):
        workspace.scan_path("scans/missing.stl")


@pytest.mark.parametrize("name", ["", "../x", "a/b", ".hidden", "x" * 65, "a b", "a\\b"])
def test_a_profile_name_is_a_plain_file_name(workspace: Workspace, name: str) -> None:
    with pytest.raises(ProfileError, match="not allowed"):
        workspace.profile_path(name)


def test_a_saved_profile_loads_back_equal_and_is_listed(workspace: Workspace) -> None:
    profile = Profile(schema_version=1, name="mine", patient=Patient(bodyweight_kg=82.5))
    path = workspace.save_profile(profile, "mine")
    assert path == workspace.root / "profiles" / "mine.toml"
    assert load_profile(path) == profile
    assert workspace.load_profile("mine") == profile
    assert workspace.profiles() == ["mine"]


def test_saving_creates_profiles_but_not_through_a_symlink_out(
    tmp_path: Path, workspace: Workspace
) -> None:
    (workspace.root / "profiles").rmdir()
    profile = Profile(schema_version=1, name="p", patient=Patient(bodyweight_kg=70.0))
    workspace.save_profile(profile, "p")
    assert (workspace.root / "profiles" / "p.toml").is_file()
    (workspace.root / "profiles" / "p.toml").unlink()
    (workspace.root / "profiles").rmdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, workspace.root / "profiles")
    with pytest.raises(ProfileError, match="outside the workspace"):
        workspace.save_profile(profile, "p")
    assert list(elsewhere.iterdir()) == []


def test_output_is_created_inside_and_refused_through_a_symlink_out(
    tmp_path: Path, workspace: Workspace
) -> None:
    assert workspace.output_dir() == workspace.root / "output"
    assert (workspace.root / "output").is_dir()
    (workspace.root / "output").rmdir()
    os.symlink(tmp_path, workspace.root / "output")
    with pytest.raises(ShellgenError, match="outside the workspace"):
        workspace.output_dir()


def test_a_workspace_must_be_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ShellgenError, match="not a folder"):
        Workspace.open(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ShellgenError, match="not a folder"):
        Workspace.open(tmp_path / "file")
