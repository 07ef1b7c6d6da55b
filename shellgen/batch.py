"""Batch runs: many scans, each with its prescription, built in parallel into one folder.

A batch reads its orders (:func:`read_orders`: a folder of scans or an orders CSV), resolves
each order's effective profile (the named profile with the row's overrides), and skips the
orders whose outputs are up to date. The rest are grouped into jobs: orders that share a
scan or an ``order_id`` go into one job, so that each scan is analysed once and the two
shells of one patient (``<order_id>-L``, ``<order_id>-R``) and their design sheet
(``<order_id>.pdf``) are made together. A job is a plain function of plain data
(:func:`run_job`), run in this process, in local worker processes, or on a Dask
distributed cluster; every file it writes is written atomically, so an interrupted batch
loses nothing already written and leaves no partial file. On a cluster the scans and the
output folder must be on a file system every worker sees.

``DIR/summary.csv`` and ``DIR/summary.json`` hold one row per order, rewritten atomically
as each job finishes; nothing in them, nor in the shells, depends on the number of workers
or on the order in which jobs finish.

An order is up to date when, for each of its scans, a shell report ``<stem>.json`` records
the same scan sha256, the same effective profile hash (the merged profile and the row's scan
options, serialised) and the same shellgen version, passed validation, and its STL, 3MF and
preview exist beside ``<order_id>.pdf``. A failed order is always redone.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import logging
import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from queue import SimpleQueue
from typing import Final, Literal

from threadpoolctl import threadpool_limits

from shellgen import __version__
from shellgen._orders import Order, read_orders
from shellgen.analysis import Foot
from shellgen.errors import ShellgenError
from shellgen.export import EXPORT_FORMATS, atomic_open, write_json
from shellgen.pipeline import analyze_file, build_foot
from shellgen.profile import Profile, load_profile, profile_path, with_fields
from shellgen.sheet import SheetPage, write_design_sheet

__all__ = [
    "BatchResult",
    "Job",
    "Order",
    "OrderResult",
    "Status",
    "profile_sha256",
    "read_orders",
    "run_batch",
    "run_job",
    "shell_stem",
    "write_summary",
]

logger = logging.getLogger(__name__)

Status = Literal["built", "up_to_date", "failed", "pending", "interrupted"]

#: Exit codes of a batch: every order built or up to date, or some failed.
EXIT_OK: Final = 0
EXIT_SOME_FAILED: Final = 4


@dataclass(frozen=True)
class OrderResult:
    """What became of one order: one row of ``summary.csv``.

    Attributes
    ----------
    row : int
        The order's row in the input (see :attr:`Order.row`).
    order_id : str
        The order's id.
    scan : str
        The scan as the input gave it.
    status : {"built", "up_to_date", "failed", "pending", "interrupted"}
        Built now, skipped as up to date, failed (``error`` says why), not run yet, or not run
        because the batch was interrupted.
    side : str
        ``"left"`` or ``"right"`` once known, else empty.
    stem : str
        File name stem of the shell (``<order_id>-L`` or ``-R``), once known.
    profile : str
        The profile's name.
    material : str
        Shell material, once calibrated.
    thickness_mm, arch_height_mm : float or None
        Calibrated shell thickness and supported arch height, mm.
    label : str
        Text engraved under the heel.
    scan_sha256, profile_sha256 : str
        Hashes of the scan file and of the effective profile (what "up to date" compares).
    error : str
        For a failed order, the one-line reason; empty otherwise.
    """

    row: int
    order_id: str
    scan: str
    status: Status
    side: str = ""
    stem: str = ""
    profile: str = ""
    material: str = ""
    thickness_mm: float | None = None
    arch_height_mm: float | None = None
    label: str = ""
    scan_sha256: str = ""
    profile_sha256: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        """True when the order's shell is built (now or before) and valid."""
        return self.status in ("built", "up_to_date")

    def as_row(self) -> dict[str, object]:
        """The result as a flat mapping (column -> value), in :data:`SUMMARY_COLUMNS` order."""
        return asdict(self)


#: Columns of ``summary.csv``, in order.
SUMMARY_COLUMNS: Final = tuple(f.name for f in fields(OrderResult))


@dataclass(frozen=True)
class BatchResult:
    """Every order's result, sorted by row.

    Attributes
    ----------
    results : tuple of OrderResult
        One per order.
    """

    results: tuple[OrderResult, ...]

    @property
    def counts(self) -> dict[str, int]:
        """Orders per status, every status listed."""
        return {s: sum(r.status == s for r in self.results) for s in _STATUSES}

    @property
    def exit_code(self) -> int:
        """0 when every order succeeded, 4 when some failed (see :mod:`shellgen.cli`)."""
        return EXIT_OK if all(r.ok for r in self.results) else EXIT_SOME_FAILED


_STATUSES: Final = ("built", "up_to_date", "failed", "pending", "interrupted")


@dataclass(frozen=True)
class _Task:
    """One order ready to build: its effective profile and the hashes that identify it."""

    order: Order
    profile: Profile
    profile_sha256: str
    scan_sha256: str
    mechanics: bool = False


@dataclass(frozen=True)
class Job:
    """The unit of work sent to a worker: orders that share scans or order ids.

    Attributes
    ----------
    out_dir : str
        Absolute path of the output folder.
    tasks : tuple
        The orders, with their effective profiles and hashes.
    """

    out_dir: str
    tasks: tuple[_Task, ...]


def shell_stem(order_id: str, side: str) -> str:
    """File name stem of an order's shell: ``<order_id>-L`` or ``<order_id>-R``.

    Examples
    --------
    >>> shell_stem("A7", "left"), shell_stem("A7", "right")
    ('A7-L', 'A7-R')
    """
    return f"{order_id}-{'L' if side == 'left' else 'R'}"


def profile_sha256(profile: Profile, order: Order) -> str:
    """sha256 of the effective profile and the order's scan options, serialised canonically.

    Two orders with the same hash get the same shell from the same scan; the row's CSV
    overrides are in the merged profile, so changing one changes the hash.
    """
    document = {
        "profile": profile.model_dump(mode="json"),
        "scan": {
            "side": order.side,
            "units": order.units,
            "kind": order.kind,
            "length_mm": order.length_mm,
        },
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_batch(
    orders: Sequence[Order],
    out_dir: str | os.PathLike[str],
    *,
    workers: int | None = None,
    dask_address: str | None = None,
    on_result: Callable[[OrderResult], None] | None = None,
    mechanics: bool = False,
) -> BatchResult:
    """Build every order that is not up to date; write the shells, sheets and the summary.

    Parameters
    ----------
    orders : sequence of Order
        What :func:`read_orders` read.
    out_dir : path-like
        Output folder, created if missing.
    workers : int, optional
        Local worker processes; default all cores. With 1, jobs run in this process.
    dask_address : str, optional
        Address of a Dask distributed scheduler (``tcp://host:8786``); jobs run there
        instead of on local processes.
    on_result : callable, optional
        Called in this process with each order's result as soon as it is known.
    mechanics : bool
        Solve each shell's thickness by mechanics (``build --mechanics``); a shell built the
        other way is not up to date.

    Returns
    -------
    BatchResult
        Every order's result; :attr:`BatchResult.exit_code` is 0 or 4.

    Raises
    ------
    KeyboardInterrupt
        After writing the summary, with the orders not run marked ``interrupted``.
    """
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    _remove_temporaries(out)
    results: dict[int, OrderResult] = {}

    def record(result: OrderResult) -> None:
        results[result.row] = result
        if on_result is not None:
            on_result(result)

    tasks: list[_Task] = []
    profiles: dict[str, Profile | ShellgenError] = {}
    for order in orders:
        task = _task(order, profiles)
        if isinstance(task, OrderResult):
            record(task)
        else:
            tasks.append(replace(task, mechanics=mechanics))
    todo: list[_Task] = []
    for _, group in itertools.groupby(sorted(tasks, key=_order_key), key=_order_id):
        group_tasks = list(group)
        done = _up_to_date(out, group_tasks)
        if done is None:
            todo.extend(group_tasks)
        else:
            for result in done:
                record(result)
    for task in todo:
        results[task.order.row] = _result(task, "pending")
    write_summary(out, results.values())

    jobs = _jobs(todo, out)
    try:
        for job_results in _execute(jobs, workers=workers, dask_address=dask_address):
            for result in job_results:
                record(result)
            write_summary(out, results.values())
    except BaseException:
        for row, result in results.items():
            if result.status == "pending":
                results[row] = replace(result, status="interrupted")
        write_summary(out, results.values())
        _remove_temporaries(out)  # of workers stopped while writing
        raise
    return BatchResult(tuple(results[row] for row in sorted(results)))


def write_summary(out_dir: str | os.PathLike[str], results: Iterable[OrderResult]) -> None:
    """Write ``summary.csv`` and ``summary.json`` in ``out_dir``, atomically, sorted by row."""
    ordered = sorted(results, key=lambda r: r.row)
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=SUMMARY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for result in ordered:
        writer.writerow({k: "" if v is None else v for k, v in result.as_row().items()})
    out = Path(out_dir)
    with atomic_open(out / "summary.csv") as fh:
        fh.write(buffer.getvalue().encode("utf-8"))
    summary = BatchResult(tuple(ordered))
    write_json(
        out / "summary.json",
        {
            "version": __version__,
            "counts": summary.counts,
            "exit_code": summary.exit_code,
            "orders": [r.as_row() for r in ordered],
        },
    )


def run_job(job: Job) -> tuple[OrderResult, ...]:
    """Analyse each scan of a job once and build all its orders; never raises for an order.

    This is the function workers run: its argument and result are plain picklable data, and
    it writes only into ``job.out_dir``, atomically. A scan that cannot be read or a shell
    that cannot be built becomes a failed result with the one-line reason.
    """
    out = Path(job.out_dir)
    feet: dict[tuple[object, ...], Foot | str] = {}
    results: list[OrderResult] = []
    for order_id, group in itertools.groupby(sorted(job.tasks, key=_order_key), key=_order_id):
        results.extend(_build_order(order_id, list(group), feet, out))
    return tuple(results)


def _run_job_on_one_thread(job: Job) -> tuple[OrderResult, ...]:
    """:func:`run_job` with BLAS on one thread: for jobs run side by side, one per core (the
    mechanics' factorisation would otherwise start a thread per core in every job)."""
    with threadpool_limits(limits=1, user_api="blas"):
        return run_job(job)


def _task(order: Order, profiles: dict[str, Profile | ShellgenError]) -> _Task | OrderResult:
    """The order with its effective profile and hashes, or its failed result."""
    if order.problem:
        return OrderResult(order.row, order.order_id, order.scan, "failed", error=order.problem)
    if order.profile_path not in profiles:
        try:
            profiles[order.profile_path] = load_profile(profile_path(order.profile_path))
        except ShellgenError as exc:
            profiles[order.profile_path] = exc
    profile = profiles[order.profile_path]
    if order.fields and not isinstance(profile, ShellgenError):
        try:
            profile = with_fields(profile, **dict(order.fields))
        except ShellgenError as exc:
            profile = exc
    if isinstance(profile, ShellgenError):
        return OrderResult(
            order.row,
            order.order_id,
            order.scan,
            "failed",
            profile=order.profile,
            error=str(profile),
        )
    return _Task(order, profile, profile_sha256(profile, order), _file_sha256(order.scan_path))


def _file_sha256(path: str) -> str:
    """sha256 of a file's bytes; empty when it cannot be read (``load`` will say why)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def _order_id(task: _Task) -> str:
    return task.order.order_id


def _order_key(task: _Task) -> tuple[str, int]:
    return task.order.order_id, task.order.row


def _result(
    task: _Task, status: Status, *, side: str = "", stem: str = "", error: str = ""
) -> OrderResult:
    order = task.order
    return OrderResult(
        row=order.row,
        order_id=order.order_id,
        scan=order.scan,
        status=status,
        side=side,
        stem=stem,
        profile=task.profile.name,
        scan_sha256=task.scan_sha256,
        profile_sha256=task.profile_sha256,
        error=error,
    )


def _report_result(
    task: _Task, status: Status, stem: str, report: Mapping[str, object]
) -> OrderResult:
    """An order's result with the numbers of its shell report."""
    spec = report["spec"]
    analysis = report["analysis"]
    assert isinstance(spec, dict) and isinstance(analysis, dict)
    return replace(
        _result(task, status, side=analysis["side"], stem=stem),
        material=spec["material"]["value"],
        thickness_mm=spec["thickness_mm"]["value"],
        arch_height_mm=spec["arch_height_mm"]["value"],
        label=spec["label"]["value"],
    )


def _read_report(path: Path, task: _Task) -> dict[str, object] | None:
    """The shell report at ``path`` if it was made from ``task``'s inputs by this version."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    inputs = {"scan_sha256": task.scan_sha256, "profile_sha256": task.profile_sha256}
    if not isinstance(report, dict) or report.get("inputs") != inputs:
        return None
    return report if report.get("version") == __version__ else None


def _up_to_date(out: Path, tasks: list[_Task]) -> list[OrderResult] | None:
    """Results for an order (all its tasks) whose outputs are all current, else None."""
    if not (out / f"{tasks[0].order.order_id}.pdf").is_file():
        return None
    results: list[OrderResult] = []
    for task in tasks:
        sides = ("left", "right") if task.order.side == "auto" else (task.order.side,)
        stems = [shell_stem(task.order.order_id, side) for side in sides]
        taken = {r.stem for r in results}
        found = [(s, r) for s in stems if s not in taken and (r := _current(out, s, task))]
        if not found:
            return None
        results.append(_report_result(task, "up_to_date", *found[0]))
    return results


def _current(out: Path, stem: str, task: _Task) -> dict[str, object] | None:
    """The shell's report if it is from ``task``'s inputs, passed, and all its files exist."""
    report = _read_report(out / f"{stem}.json", task) if task.scan_sha256 else None
    if report is not None and (report.get("mechanics") is not None) != task.mechanics:
        return None  # calibrated the other way
    validation = report.get("validation") if report else None
    if not isinstance(validation, dict) or validation.get("ok") is not True:
        return None
    files = [out / f"{stem}.{ext}" for ext in (*EXPORT_FORMATS, "png")]
    return report if all(f.is_file() for f in files) else None


def _jobs(tasks: list[_Task], out: Path) -> list[Job]:
    """Group tasks that share a scan or an order id (connected components), sorted."""
    parent = list(range(len(tasks)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple[str, str], int] = {}
    for i, task in enumerate(tasks):
        for key in (("scan", task.order.scan_path), ("order", task.order.order_id)):
            j = first.setdefault(key, i)
            parent[root(i)] = root(j)
    groups: dict[int, list[_Task]] = {}
    for i, task in enumerate(tasks):
        groups.setdefault(root(i), []).append(task)
    jobs = [Job(str(out), tuple(sorted(g, key=_order_key))) for g in groups.values()]
    return sorted(jobs, key=lambda job: _order_key(job.tasks[0]))


def _build_order(
    order_id: str, tasks: list[_Task], feet: dict[tuple[object, ...], Foot | str], out: Path
) -> list[OrderResult]:
    """Build the shells of one order and its design sheet (one page per shell)."""
    sheet = out / f"{order_id}.pdf"
    sheet.unlink(missing_ok=True)  # rewritten below; never left stale beside new shells
    results: list[OrderResult] = []
    pages: list[SheetPage] = []
    taken: dict[str, int] = {}
    for task in tasks:
        result, page = _build_task(task, feet, out, taken)
        results.append(result)
        if page is not None:
            pages.append(page)
    if pages:
        try:
            write_design_sheet(sheet, sorted(pages, key=lambda p: p.stem))
        except Exception as exc:
            logger.exception("design sheet %s", sheet)
            reason = f"design sheet not written: {_unexpected(exc)}"
            results = [replace(r, status="failed", error=r.error or reason) for r in results]
    return results


def _build_task(
    task: _Task, feet: dict[tuple[object, ...], Foot | str], out: Path, taken: dict[str, int]
) -> tuple[OrderResult, SheetPage | None]:
    order = task.order
    key = (order.scan_path, order.side, order.units, order.kind, order.length_mm)
    if key not in feet:
        feet[key] = _analyze(order)
    foot = feet[key]
    if isinstance(foot, str):
        return _result(task, "failed", error=foot), None
    side = foot.scan.side
    stem = shell_stem(order.order_id, side)
    if stem in taken:
        error = (
            f"order {order.order_id}: rows {taken[stem]} and {order.row} are both {side} feet; "
            "give the side column, or give one its own order_id"
        )
        return _result(task, "failed", side=side, error=error), None
    taken[stem] = order.row
    try:
        built = build_foot(
            foot,
            out,
            stem,
            profile=task.profile,
            profile_sha256=task.profile_sha256,
            order_id=order.order_id,
            mechanics=task.mechanics,
        )
    except Exception as exc:
        if not isinstance(exc, ShellgenError):
            logger.exception("order %s (%s)", order.order_id, order.scan)
        report = _remove_stale(out, stem, task)
        error = str(exc) if isinstance(exc, ShellgenError) else _unexpected(exc)
        result = _result(task, "failed", side=side, stem=stem, error=error)
        if report is None:
            return result, None
        page = SheetPage(
            order.order_id, stem, foot, report, out / f"{stem}.png", task.profile, order.fields
        )
        return result, page
    page = SheetPage(
        order.order_id, stem, foot, built.summary, built.outputs["png"], task.profile, order.fields
    )
    return _report_result(task, "built", stem, built.summary), page


def _analyze(order: Order) -> Foot | str:
    """The analysed foot of an order's scan, or why it could not be analysed."""
    try:
        return analyze_file(
            order.scan_path,
            units=order.units,
            side=order.side,
            kind=order.kind,
            length_mm=order.length_mm,
        )
    except ShellgenError as exc:
        return str(exc)
    except Exception as exc:
        logger.exception("analysing %s", order.scan_path)
        return _unexpected(exc)


def _remove_stale(out: Path, stem: str, task: _Task) -> dict[str, object] | None:
    """After a failed build: remove the shell's geometry, and a report not from this build.

    Returns the report this build wrote (validation failed), if any, for the design sheet.
    """
    for ext in EXPORT_FORMATS:
        (out / f"{stem}.{ext}").unlink(missing_ok=True)
    report = _read_report(out / f"{stem}.json", task)
    if report is None:
        for ext in ("json", "png"):
            (out / f"{stem}.{ext}").unlink(missing_ok=True)
    return report


def _unexpected(exc: BaseException) -> str:
    return f"unexpected {type(exc).__name__}: {exc}; this is a shellgen bug, please report it"


def _remove_temporaries(out: Path) -> None:
    """Remove temporary files a killed run left (``.<name>.<random>.tmp``, never renamed)."""
    for tmp in sorted(out.glob(".*.tmp")):
        logger.info("removing %s, left by an interrupted run", tmp.name)
        tmp.unlink(missing_ok=True)


def _execute(
    jobs: list[Job], *, workers: int | None, dask_address: str | None
) -> Iterator[tuple[OrderResult, ...]]:
    """Run jobs here, on local processes or on a Dask cluster; yield results as they finish."""
    if not jobs:
        return
    if dask_address is not None:
        yield from _execute_dask(jobs, dask_address)
        return
    n = min(workers or _cpu_count(), len(jobs))
    if n <= 1:
        for job in jobs:
            yield run_job(job)
        return
    yield from _execute_local(jobs, n)


def _execute_local(jobs: list[Job], n: int) -> Iterator[tuple[OrderResult, ...]]:
    """Run jobs on ``n`` workers: this process and ``n - 1`` spawned ones, sharing one queue.

    A spawned worker spends about a second and a half importing shellgen before its first
    job, while this process has everything imported: so it builds from the start instead of
    waiting, and the others join when ready. Each worker is handed its next job only when it
    finishes one, so no worker waits behind this process's job nor runs two at the end.
    """
    queue = deque(jobs)
    finished: SimpleQueue[tuple[Future[tuple[OrderResult, ...]], Job]] = SimpleQueue()
    lock = threading.Lock()
    in_flight = 0
    stopping = False
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=n - 1, mp_context=context, initializer=_worker_init)

    def hand_out() -> None:
        """Give a spawned worker the next job, if any (also each finished job's callback)."""
        nonlocal in_flight, stopping
        with lock:
            if stopping or not queue:
                return
            job = queue.popleft()
            try:
                future = pool.submit(_run_job_on_one_thread, job)
            except RuntimeError:  # the pool broke (a worker died): this process goes on
                queue.appendleft(job)
                stopping = True
                return
            in_flight += 1

        def done(f: Future[tuple[OrderResult, ...]]) -> None:
            nonlocal in_flight
            finished.put((f, job))
            with lock:
                in_flight -= 1
            hand_out()

        future.add_done_callback(done)

    def collected() -> Iterator[tuple[OrderResult, ...]]:
        while not finished.empty():
            future, job = finished.get()
            yield _outcome(future.result, job)

    try:
        for _ in range(n - 1):
            hand_out()
        while True:
            with lock:
                job = queue.popleft() if queue else None
            if job is None:
                break
            yield _run_job_on_one_thread(job)
            yield from collected()
        while True:
            with lock:
                busy = in_flight
            if not busy and finished.empty():
                break
            future, job = finished.get()
            yield _outcome(future.result, job)
    finally:
        with lock:
            stopping = True
        pool.shutdown(wait=True, cancel_futures=True)


def _worker_init() -> None:
    """Let a worker process stop at once on Ctrl-C, not run the jobs already queued to it.

    What it was writing is left as a temporary file (removed by the main process); the main
    process writes the summary.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _execute_dask(jobs: list[Job], address: str) -> Iterator[tuple[OrderResult, ...]]:
    from distributed import Client
    from distributed import as_completed as dask_completed

    with Client(address, set_as_default=False) as client:
        futures = {
            client.submit(_run_job_on_one_thread, job, pure=False, key=f"shellgen-job-{i}"): job
            for i, job in enumerate(jobs)
        }
        for future in dask_completed(list(futures), loop=client.loop):
            yield _outcome(future.result, futures[future])


def _outcome(result: Callable[[], tuple[OrderResult, ...]], job: Job) -> tuple[OrderResult, ...]:
    """A finished job's results; if its worker died, every order of it failed."""
    try:
        return result()
    except Exception as exc:
        error = (
            f"the worker building this order stopped ({type(exc).__name__}: {exc}); "
            "re-run the batch to redo it"
        )
        return tuple(_result(task, "failed", error=error) for task in job.tasks)


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
