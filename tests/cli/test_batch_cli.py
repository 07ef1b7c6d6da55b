"""``shellgen batch`` and ``shellgen plate``: the print room's commands and their exit codes."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
import trimesh

from shellgen.cli import main
from shellgen.synth import synth_scan, write_ply


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with one good plantar scan (``A1.ply``) and one truncated scan (``B2.ply``)."""
    folder = tmp_path_factory.mktemp("scans")
    write_ply(folder / "A1.ply", synth_scan("plantar", side="right", seed=9, spacing_mm=2.0).points)
    whole = (folder / "A1.ply").read_bytes()
    (folder / "B2.ply").write_bytes(whole[: len(whole) // 3])
    (folder / "notes.txt").write_text("not a scan: left out")
    return folder


@pytest.fixture(scope="module")
def batch_out(scans: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    """The folder batched once on one worker: output folder, exit code, what it printed."""
    out = tmp_path_factory.mktemp("out")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["batch", str(scans), "-o", str(out), "--workers", "1"])
    return out, code, printed.getvalue()


def test_a_batch_with_a_broken_scan_exits_4_and_reports_it(
    batch_out: tuple[Path, int, str],
) -> None:
    out, code, printed = batch_out
    assert code == 4
    assert "A1-R" in printed and "built" in printed
    assert "B2" in printed and "failed" in printed
    assert "1 orders" not in printed and "2 orders: 1 built, 0 up to date, 1 failed" in printed
    summary = json.loads((out / "summary.json").read_text())
    rows = {row["order_id"]: row for row in summary["orders"]}
    assert rows["A1"]["status"] == "built" and rows["A1"]["stem"] == "A1-R"
    assert rows["B2"]["status"] == "failed" and "truncated" in rows["B2"]["error"]
    assert (out / "A1.pdf").is_file() and not (out / "B2.pdf").exists()


def test_rerunning_reports_the_built_order_up_to_date(
    scans: Path, batch_out: tuple[Path, int, str], capsys: pytest.CaptureFixture[str]
) -> None:
    out, _, _ = batch_out
    stl = (out / "A1-R.stl").stat().st_mtime_ns
    assert main(["batch", str(scans), "-o", str(out), "--workers", "1"]) == 4
    assert "2 orders: 0 built, 1 up to date, 1 failed" in capsys.readouterr().out
    assert (out / "A1-R.stl").stat().st_mtime_ns == stl


def test_a_batch_of_good_orders_exits_0(
    scans: Path, batch_out: tuple[Path, int, str], capsys: pytest.CaptureFixture[str]
) -> None:
    out, _, _ = batch_out
    orders = out.parent / "good.csv"
    orders.write_text(f"order_id,scan\nA1,{scans / 'A1.ply'}\n")
    assert main(["batch", str(orders), "-o", str(out)]) == 0
    assert "1 orders: 0 built, 1 up to date, 0 failed" in capsys.readouterr().out


def test_plate_puts_the_batch_s_valid_shells_on_a_plate(
    batch_out: tuple[Path, int, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _, _ = batch_out
    plate = tmp_path / "plates" / "plate.3mf"
    assert main(["plate", str(out), "-o", str(plate), "--bed", "250x210", "--gap-mm", "5"]) == 0
    assert "1 shells on 1 plate(s)" in capsys.readouterr().out
    scene = trimesh.load(plate)
    assert isinstance(scene, trimesh.Scene) and list(scene.geometry) == ["A1-R"]
    assert (tmp_path / "plates" / "plate.png").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["batch", "{tmp}/missing"], "does not exist"),
        (["batch", "{tmp}/orders.csv"], "unknown column 'size'"),
        (["batch", "{scans}", "--profile", "nonexistent"], "profile 'nonexistent' not found"),
        (["plate", "{tmp}/empty", "-o", "{tmp}/p.3mf"], "no validated shell"),
        (["plate", "{tmp}/empty", "--bed", "big"], "WIDTHxDEPTH"),
        (["plate", "{tmp}/empty", "-o", "{tmp}/p.stl"], "written as .3mf"),
        (["batch", "{scans}", "--workers", "0"], "'--workers'"),
        (["plate", "{tmp}/empty", "--gap-mm", "-1"], "'--gap-mm'"),
        (["batch", "{scans}", "--no-such-option"], "--no-such-option"),
    ],
)
def test_unusable_input_exits_2_with_one_line(
    scans: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    (tmp_path / "orders.csv").write_text("order_id,scan,size\nA,a.ply,44\n")
    (tmp_path / "empty").mkdir()
    argv = [a.format(tmp=tmp_path, scans=scans) for a in args]
    assert main([*argv, "-o", str(tmp_path / "out")] if argv[0] == "batch" else argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()  # nothing written for an unusable input
