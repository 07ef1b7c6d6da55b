"""``shellgen.batch``: many orders built in parallel, reported row by row, redone only when stale.

The batch under test has the mix a lab sees: one patient's left and right plantar scans
sharing an order id, an impression in centimetres used by two orders (two profiles), a
plantar scan in inches (units given in the order), a truncated PLY and an empty STL. Scans
are synthetic at 2 mm spacing, so that the whole batch builds in seconds.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import trimesh

from shellgen import batch as batch_module
from shellgen._orders import SCAN_SUFFIXES
from shellgen.batch import BatchResult, profile_sha256, read_orders, run_batch
from shellgen.errors import ProfileError, ScanError
from shellgen.profile import load_profile, profile_path
from shellgen.synth import synth_scan, write_ply

ORDERS_CSV = """order_id,scan,profile,units,bodyweight_kg,activity
P1,p1_left.ply,standard,,82.5,
P1,p1_right.ply,standard,,82.5,
P2,impression_cm.ply,runner,,,
P3,plantar_in.ply,,in,,running
P4,impression_cm.ply,standard,,,
B1,truncated.ply,,,,
B2,empty.stl,,,,
"""
GOOD = {"P1-L": "left", "P1-R": "right", "P2-R": "right", "P3-L": "left", "P4-R": "right"}
BROKEN = {"B1": "truncated.ply", "B2": "empty.stl"}


def make_batch(folder: Path) -> Path:
    """Write the scans and ``orders.csv`` of the batch into ``folder``; return the CSV."""
    folder.mkdir(parents=True, exist_ok=True)
    scans = {
        "p1_left.ply": ("plantar", "left", "mm", 1),
        "p1_right.ply": ("plantar", "right", "mm", 2),
        "impression_cm.ply": ("impression", "right", "cm", 3),
        "plantar_in.ply": ("plantar", "left", "in", 4),
    }
    for name, (kind, side, units, seed) in scans.items():
        write_ply(
            folder / name,
            synth_scan(kind, side=side, units=units, seed=seed, spacing_mm=2.0).points,
        )
    whole = (folder / "p1_left.ply").read_bytes()
    (folder / "truncated.ply").write_bytes(whole[: len(whole) // 2])
    (folder / "empty.stl").write_bytes(b"")
    (folder / "orders.csv").write_text(ORDERS_CSV, encoding="utf-8")
    return folder / "orders.csv"


def tree(folder: Path) -> dict[str, bytes]:
    """Every visible file of an output folder, JSON reports without their wall-clock timings.

    Reports name the files they wrote by absolute path; those are made relative to ``folder``
    so that two output folders can be compared.
    """
    files: dict[str, bytes] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        data = path.read_bytes()
        if path.suffix == ".json" and path.name != "summary.json":
            report = json.loads(data)
            report.pop("timings_s")
            data = json.dumps(report, sort_keys=True).replace(str(folder), "<out>").encode()
        files[path.name] = data
    return files


@pytest.fixture(scope="module")
def first_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, BatchResult, list[str]]]:
    """The batch run once on one worker (in this process), counting the scans analysed."""
    root = tmp_path_factory.mktemp("batch")
    orders_csv = make_batch(root / "scans")
    analysed: list[str] = []
    real = batch_module.analyze_file

    def counting(path: str, **options: object) -> object:
        analysed.append(Path(path).name)
        return real(path, **options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch_module, "analyze_file", counting)
        result = run_batch(read_orders(orders_csv), root / "out", workers=1)
    yield root, result, analysed


def test_every_good_order_is_built_valid_and_only_the_broken_scans_fail(
    first_run: tuple[Path, BatchResult, list[str]],
) -> None:
    root, result, _ = first_run
    out = root / "out"
    assert result.exit_code == 4
    failed = {r.order_id: r for r in result.results if r.status == "failed"}
    assert set(failed) == set(BROKEN)
    for order_id, scan in BROKEN.items():
        assert scan in failed[order_id].error and "\n" not in failed[order_id].error
    built = {r.stem: r for r in result.results if r.status == "built"}
    assert {stem: r.side for stem, r in built.items()} == GOOD
    for stem in GOOD:
        report = json.loads((out / f"{stem}.json").read_text())
        assert report["validation"]["ok"] is True
        mesh = trimesh.load(out / f"{stem}.stl")
        assert mesh.is_watertight and mesh.volume > 0
        assert mesh.volume / 1000.0 == pytest.approx(
            {c["name"]: c["value"] for c in report["validation"]["checks"]}["volume_cm3"], rel=1e-4
        )
        assert report["spec"]["label"]["value"].endswith(stem)  # engraved: order id and side
    pages = {
        p.stem: len(re.findall(rb"/Type\s*/Page\b(?!s)", p.read_bytes())) for p in out.glob("*.pdf")
    }
    assert pages == {"P1": 2, "P2": 1, "P3": 1, "P4": 1}
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_each_scan_is_analysed_once_even_when_two_orders_share_it(
    first_run: tuple[Path, BatchResult, list[str]],
) -> None:
    _, _, analysed = first_run
    assert sorted(analysed) == sorted(
        [
            "p1_left.ply",
            "p1_right.ply",
            "impression_cm.ply",
            "plantar_in.ply",
            "truncated.ply",
            "empty.stl",
        ]
    )


def test_order_columns_override_the_profile_and_its_hash(
    first_run: tuple[Path, BatchResult, list[str]],
) -> None:
    root, _, _ = first_run
    out = root / "out"
    p1 = json.loads((out / "P1-L.json").read_text())
    assert "82.5 kg" in p1["spec"]["thickness_mm"]["rule"]
    p3 = json.loads((out / "P3-L.json").read_text())
    assert "running" in p3["spec"]["thickness_mm"]["rule"]
    assert p3["analysis"]["units"] == "in" and p3["analysis"]["foot_length_mm"] > 200
    # P4 and P2 build on the same scan with different profiles: different shells and hashes
    p2, p4 = (json.loads((out / f"{s}.json").read_text()) for s in ("P2-R", "P4-R"))
    assert p2["inputs"]["scan_sha256"] == p4["inputs"]["scan_sha256"]
    assert p2["inputs"]["profile_sha256"] != p4["inputs"]["profile_sha256"]
    assert p2["spec"]["thickness_mm"]["value"] != p4["spec"]["thickness_mm"]["value"]
    # the hash is of the merged profile: the same row without its override hashes otherwise
    order = next(o for o in read_orders(root / "scans" / "orders.csv") if o.order_id == "P1")
    plain = profile_sha256(load_profile(profile_path("standard")), order)
    assert p1["inputs"]["profile_sha256"] != plain


def test_summary_csv_and_json_hold_one_row_per_order_sorted_by_row(
    first_run: tuple[Path, BatchResult, list[str]],
) -> None:
    root, result, _ = first_run
    out = root / "out"
    summary = json.loads((out / "summary.json").read_text())
    lines = (out / "summary.csv").read_text().splitlines()
    assert lines[0].split(",")[:4] == ["row", "order_id", "scan", "status"]
    assert [row["row"] for row in summary["orders"]] == list(range(2, 9))
    assert [line.split(",")[3] for line in lines[1:]] == [r.status for r in result.results]
    assert summary["counts"]["built"] == 5 and summary["counts"]["failed"] == 2
    assert summary["exit_code"] == 4


def test_rerunning_does_no_work_and_a_changed_order_is_redone_alone(
    first_run: tuple[Path, BatchResult, list[str]], tmp_path: Path
) -> None:
    root, _, _ = first_run
    out = tmp_path / "out"
    shutil.copytree(root / "out", out)  # keeps modification times
    orders_csv = root / "scans" / "orders.csv"
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}

    again = run_batch(read_orders(orders_csv), out, workers=1)
    statuses = {r.order_id: r.status for r in again.results}
    assert statuses == {"P1": "up_to_date", "P2": "up_to_date", "P3": "up_to_date"} | {
        "P4": "up_to_date",
        "B1": "failed",
        "B2": "failed",
    }
    after = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    assert {n for n in before if before[n] != after[n]} == {"summary.csv", "summary.json"}

    changed = root / "scans" / f"orders_{tmp_path.name}.csv"  # beside the scans it names
    changed.write_text(ORDERS_CSV.replace("in,,running", "in,,walking"))
    third = run_batch(read_orders(changed), out, workers=1)
    statuses = {r.stem: r.status for r in third.results if r.ok}
    assert statuses == {"P1-L": "up_to_date", "P1-R": "up_to_date", "P2-R": "up_to_date"} | {
        "P3-L": "built",
        "P4-R": "up_to_date",
    }
    assert "walking" in json.loads((out / "P3-L.json").read_text())["spec"]["thickness_mm"]["rule"]


def test_one_worker_two_workers_and_a_dask_cluster_write_the_same_bytes(
    first_run: tuple[Path, BatchResult, list[str]], tmp_path: Path
) -> None:
    from distributed import LocalCluster

    root, _, _ = first_run
    orders = read_orders(root / "scans" / "orders.csv")
    two = run_batch(orders, tmp_path / "two", workers=2)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        on_dask = run_batch(orders, tmp_path / "dask", dask_address=cluster.scheduler_address)
    expected = tree(root / "out")
    assert two.results == on_dask.results
    assert set(tree(tmp_path / "two")) == set(expected)
    for folder in (tmp_path / "two", tmp_path / "dask"):
        got = tree(folder)
        assert [name for name in expected if got[name] != expected[name]] == []


def _wait_for(predicate: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        time.sleep(0.05)


def _built_count(out: Path) -> int:
    try:
        summary = json.loads((out / "summary.json").read_text())
    except (OSError, ValueError):
        return 0
    return int(summary["counts"]["built"])


def test_a_killed_batch_leaves_only_complete_files_and_a_rerun_completes_it(
    first_run: tuple[Path, BatchResult, list[str]], tmp_path: Path
) -> None:
    root, _, _ = first_run
    out = tmp_path / "out"
    cli = "import sys; from shellgen.cli import main; sys.exit(main(sys.argv[1:]))"
    command = [sys.executable, "-c", cli, "batch", str(root / "scans" / "orders.csv")]
    process = subprocess.Popen(
        [*command, "-o", str(out), "--workers", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_for(lambda: _built_count(out) >= 1 or process.poll() is not None, timeout_s=120.0)
        assert process.poll() is None, "the batch ended before it could be killed"
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["pending"] > 0  # killed midway, not after the end

    for path in out.iterdir():  # every file under its final name is whole
        if path.name.startswith("."):
            continue
        if path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".stl":
            assert trimesh.load(path).is_watertight
        elif path.suffix == ".pdf":
            assert path.read_bytes().rstrip().endswith(b"%%EOF")

    rerun = run_batch(read_orders(root / "scans" / "orders.csv"), out, workers=1)
    assert {r.order_id for r in rerun.results if not r.ok} == set(BROKEN)
    assert {r.status for r in rerun.results if r.ok} <= {"built", "up_to_date"}
    assert any(r.status == "up_to_date" for r in rerun.results)  # nothing written was redone
    expected = tree(root / "out")
    got = tree(out)
    assert set(got) == set(expected)
    assert [
        name
        for name in expected
        if name != "summary.csv" and name != "summary.json" and got[name] != expected[name]
    ] == []


# --- reading orders -------------------------------------------------------------------------


def test_a_folder_gives_one_order_per_scan_named_by_its_stem(tmp_path: Path) -> None:
    for name in ("b.ply", "a.stl", "notes.txt", ".hidden.ply"):
        (tmp_path / name).write_bytes(b"x")
    orders = read_orders(tmp_path, profile="runner")
    assert [(o.row, o.order_id, o.scan, o.profile) for o in orders] == [
        (1, "a", "a.stl", "runner"),
        (2, "b", "b.ply", "runner"),
    ]
    assert orders[0].scan_path == str((tmp_path / "a.stl").resolve())


def test_scan_paths_and_profile_paths_are_relative_to_the_orders_file(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(
        "order_id,scan,profile,side,length_mm,label\n"
        "A1,scans/x.ply,mine/p.toml,L,251,{order}\n"
        "A2,/abs/y.ply,runner,,,\n"
    )
    first, second = read_orders(tmp_path / "orders.csv")
    assert first.scan_path == str(tmp_path / "scans" / "x.ply")
    assert first.profile_path == str(tmp_path / "mine" / "p.toml")
    assert (first.side, first.length_mm, first.fields) == ("left", 251.0, (("label", "{order}"),))
    assert (second.scan_path, second.profile_path, second.side) == ("/abs/y.ply", "runner", "auto")
    assert first.row == 2 and second.row == 3 and not first.problem and not second.problem


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("order_id,scan,shoe_size\nA,a.ply,44\n", "unknown column 'shoe_size'"),
        ("order_id,profile\nA,standard\n", "no 'scan' column"),
        ("order_id,scan,scan\nA,a.ply,b.ply\n", "appears twice"),
        ("order_id,scan\n", "no order"),
        ("", "empty"),
    ],
)
def test_an_unusable_orders_file_is_an_error_naming_the_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "orders.csv").write_text(text)
    with pytest.raises(ProfileError, match=message):
        read_orders(tmp_path / "orders.csv")


def test_a_missing_input_or_a_folder_without_scans_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ScanError, match="does not exist"):
        read_orders(tmp_path / "nothing")
    (tmp_path / "readme.txt").write_text("no scans here")
    with pytest.raises(ScanError, match="no scan file"):
        read_orders(tmp_path)


def test_a_bad_row_is_kept_with_its_problem_and_the_others_stay_good(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(
        "order_id,scan,side,length_mm\n"
        "ok1,a.ply,,\n"
        "bad/id,b.ply,,\n"
        "T,t1.ply,,\n"
        "T,t2.ply,,\n"
        "T,t3.ply,,\n"
        "D,d.ply,,\n"
        "D,d.ply,,\n"
        "S,s1.ply,R,\n"
        "S,s2.ply,right,\n"
        "X,x.ply,up,\n"
        "Y,y.ply,,long\n"
        "Z,z.ply,,,extra\n"
    )
    problems = {o.row: o.problem for o in read_orders(tmp_path / "orders.csv")}
    assert problems[2] == ""
    assert "not usable in file names" in problems[3]
    assert all("has 3 scans" in problems[row] for row in (4, 5, 6))
    assert all("twice" in problems[row] for row in (7, 8))
    assert all("two right scans" in problems[row] for row in (9, 10))
    assert "side 'up'" in problems[11]
    assert "length_mm 'long'" in problems[12]
    assert "has 5 cells but the header has 4" in problems[13]


def test_folder_scan_suffixes_are_what_the_loader_reads() -> None:
    from shellgen.scan._load import _READERS

    assert sorted(SCAN_SUFFIXES) == sorted(f".{ext}" for ext in _READERS)


def test_a_shell_stem_carries_the_side_letter() -> None:
    assert batch_module.shell_stem("A7", "left") == "A7-L"
    assert batch_module.shell_stem("A7", "right") == "A7-R"


def test_orders_sharing_a_scan_or_an_order_id_run_in_one_job(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(
        "order_id,scan\nA,a.ply\nA,b.ply\nB,b.ply\nC,c.ply\nD,d.ply\nE,c.ply\n"
    )
    profile = load_profile(profile_path("standard"))
    tasks = [batch_module._Task(o, profile, "p", "s") for o in read_orders(tmp_path / "orders.csv")]
    jobs = batch_module._jobs(tasks, tmp_path)
    assert [[t.order.order_id for t in job.tasks] for job in jobs] == [
        ["A", "A", "B"],
        ["C", "E"],
        ["D"],
    ]
    assert all(job.out_dir == str(tmp_path) for job in jobs)


# --- the acceptance batch -----------------------------------------------------------

REAL_SCANS = Path(__file__).resolve().parents[1] / "scans"


def make_acceptance_batch(folder: Path) -> tuple[Path, set[str]]:
    """40 orders: 33 synthetic plantar and impression scans of both sides in mm, cm, m and
    inches (with per-order weight, activity and material), the three real sample scans (a
    patient's two full-foot scans in metres, one plantar mesh) and four broken files.

    Returns the orders file and the order ids of the broken files.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["order_id,scan,units,bodyweight_kg,activity,material"]
    activities, materials, units = (
        ("walking", "running", "sedentary"),
        ("PA12-MJF", "PA11-SLS", "PP"),
        ("mm", "cm", "m", "in"),
    )
    for i in range(33):
        kind, side, unit = (
            ("plantar", "impression")[i % 2],
            ("right", "left")[(i // 2) % 2],
            units[(i // 4) % 4],
        )
        name = f"s{i:02d}_{kind}_{side}_{unit}.ply"
        write_ply(
            folder / name,
            synth_scan(kind, side=side, units=unit, seed=100 + i, spacing_mm=2.0).points,
        )
        given_units = "in" if unit == "in" else ""  # inches cannot be told from centimetres
        rows.append(
            f"S{i:02d},{name},{given_units},{60 + i},{activities[i % 3]},{materials[i % 3]}"
        )
    rows += [
        f"MF1,{REAL_SCANS / 'myfeet_left_foot_m.stl'},,,,",
        f"MF1,{REAL_SCANS / 'myfeet_right_foot_m.stl'},,,,",
        f"IT1,{REAL_SCANS / 'insoletilter_plantar_right_mm.obj'},,,,",
    ]
    whole = (folder / "s00_plantar_right_mm.ply").read_bytes()
    (folder / "bad_truncated.ply").write_bytes(whole[: len(whole) // 2])
    (folder / "bad_empty.stl").write_bytes(b"")
    (folder / "bad_text.xyz").write_text("this is not a scan\n1 2\n")
    write_ply(folder / "bad_few.ply", np.random.default_rng(0).random((50, 3)))
    broken = {
        "X1": "bad_truncated.ply",
        "X2": "bad_empty.stl",
        "X3": "bad_text.xyz",
        "X4": "bad_few.ply",
    }
    rows += [f"{order_id},{name},,,," for order_id, name in broken.items()]
    (folder / "orders.csv").write_text("\n".join(rows) + "\n")
    return folder / "orders.csv", set(broken)


@pytest.mark.slow
def test_acceptance_forty_mixed_scans_reruns_and_plates(tmp_path: Path) -> None:
    from shellgen.plate import footprint, plate_paths, plate_shells, read_parts, shell_files
    from shellgen.slicer import slice_check

    orders_csv, broken = make_acceptance_batch(tmp_path / "scans")
    orders = read_orders(orders_csv)
    assert len(orders) == 40
    out = tmp_path / "out"
    result = run_batch(orders, out, workers=2)
    assert {r.order_id for r in result.results if not r.ok} == broken
    good = [r for r in result.results if r.ok]
    assert len(good) == 36 and {r.side for r in good} == {"left", "right"}
    for r in good:
        assert json.loads((out / f"{r.stem}.json").read_text())["validation"]["ok"] is True
        assert trimesh.load(out / f"{r.stem}.stl").is_watertight
    assert {r.stem for r in good if r.order_id == "MF1"} == {"MF1-L", "MF1-R"}

    written = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    again = run_batch(orders, out, workers=2)
    assert {r.status for r in again.results if r.ok} == {"up_to_date"}
    rewritten = {p.name for p in out.iterdir() if p.stat().st_mtime_ns != written.get(p.name)}
    assert rewritten == {"summary.csv", "summary.json"}

    bed, gap = (250.0, 210.0), 5.0
    parts = read_parts(shell_files([out]))
    placements = plate_shells(parts, tmp_path / "plate.3mf", bed_mm=bed, gap_mm=gap)
    assert sorted(p.name for p in placements) == sorted(r.stem for r in good)
    n_plates = max(p.plate for p in placements)
    for k, path in enumerate(plate_paths(tmp_path / "plate.3mf", n_plates), start=1):
        scene = trimesh.load(path)
        assert sorted(scene.geometry) == sorted(p.name for p in placements if p.plate == k)
        hulls = [footprint(m.vertices) for m in scene.geometry.values()]
        for hull in hulls:
            lo_x, lo_y, hi_x, hi_y = hull.bounds
            assert min(lo_x, lo_y) >= 0 and hi_x <= bed[0] and hi_y <= bed[1]
        for a, b in itertools.combinations(hulls, 2):
            assert a.distance(b) >= gap - 1e-3
    for path in {plate_paths(tmp_path / "plate.3mf", n_plates)[i] for i in (0, -1)}:
        assert slice_check(path).ok


def test_a_batch_by_mechanics_reports_it_and_a_shell_calibrated_the_other_way_is_redone(
    tmp_path: Path,
) -> None:
    write_ply(tmp_path / "a.ply", synth_scan("plantar", seed=5, spacing_mm=2.0).points)
    (tmp_path / "orders.csv").write_text("order_id,scan,profile\nM1,a.ply,standard\n")
    orders = read_orders(tmp_path / "orders.csv", profile="standard")
    out = tmp_path / "out"

    def run(mechanics: bool) -> tuple[str, object]:
        (result,) = run_batch(orders, out, workers=1, mechanics=mechanics).results
        report = json.loads((out / f"{result.stem}.json").read_text())
        return result.status, report["mechanics"]

    status, section = run(True)
    assert status == "built"
    assert isinstance(section, dict) and section["provenance"].startswith("FE: target")
    assert run(True)[0] == "up_to_date"
    assert run(False) == ("built", None)  # calibrated by rule: redone, and says so
    assert run(False)[0] == "up_to_date"


def test_a_job_run_beside_others_holds_blas_to_one_thread_and_lifts_the_limit_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Jobs run one per core: a job's mechanics factorisation must not start a BLAS thread
    per core in each of them."""
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads() -> set[int]:
        return {int(p["num_threads"]) for p in threadpool_info() if p["user_api"] == "blas"}

    seen: list[set[int]] = []
    monkeypatch.setattr(batch_module, "run_job", lambda job: seen.append(blas_threads()) or ())
    with threadpool_limits(limits=2, user_api="blas"):
        assert batch_module._run_job_on_one_thread(None) == ()  # type: ignore[arg-type]
        assert blas_threads() == {2}
    assert seen == [{1}]
