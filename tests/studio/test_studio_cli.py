"""``shellgen studio`` on the command line: options, and refusals before anything is served."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from shellgen.cli import main
from shellgen.errors import ShellgenError
from shellgen.profile import Patient, Profile
from shellgen.studio import Workspace
from shellgen.studio._app import check_port, initial_profile, scan_in_workspace


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["studio", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--profile", "--workspace", "--host", "--port", "SCAN"):
        assert option in out
    assert "127.0.0.1" in out  # only this machine unless told otherwise


def test_a_missing_workspace_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["studio", "--workspace", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("shellgen: workspace ") and "is not a folder" in err
    assert "\n" not in err


def test_a_port_in_use_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["studio", "--workspace", str(tmp_path), "--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_a_free_port_passes_the_check() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    check_port("127.0.0.1", port)


def test_a_scan_given_on_the_command_line_must_be_inside_the_workspace(tmp_path: Path) -> None:
    (tmp_path / "ws" / "scans").mkdir(parents=True)
    workspace = Workspace.open(tmp_path / "ws")
    inside = workspace.root / "scans" / "a.stl"
    inside.write_text("solid a\nendsolid a\n")
    assert scan_in_workspace(workspace, inside) == "scans/a.stl"
    assert scan_in_workspace(workspace, "scans/a.stl") == "scans/a.stl"  # from the workspace
    with pytest.raises(ShellgenError, match="outside the workspace"):
        scan_in_workspace(workspace, tmp_path / "a.stl")


def test_the_first_profile_comes_from_the_workspace_then_a_path_then_a_shipped_name(
    tmp_path: Path,
) -> None:
    workspace = Workspace.open(tmp_path)
    mine = Profile(schema_version=1, name="standard", patient=Patient(bodyweight_kg=99.0))
    workspace.save_profile(mine, "standard")
    profile, name, notice = initial_profile(workspace, "standard")
    assert (profile, name, notice) == (mine, "standard", None)
    shipped, name, notice = initial_profile(workspace, "runner")
    assert shipped.name == "runner" and name is None and notice is None


def test_a_bad_first_profile_starts_untitled_with_the_message(tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "bad.toml").write_text("schema_version = 1\nname = [\n")
    profile, name, notice = initial_profile(Workspace.open(tmp_path), "bad")
    assert profile.name == "untitled" and profile.patient.bodyweight_kg == 75.0
    assert name is None
    assert notice is not None and "bad TOML" in notice
