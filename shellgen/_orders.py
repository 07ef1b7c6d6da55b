"""Reading a batch's input: a folder of scans, or an orders file (CSV), into :class:`Order` rows.

An orders file has one row per scan: ``order_id``, ``scan`` (a path, relative to the file's
folder), optionally ``profile`` (a shipped name or a ``.toml`` path), the scan options
``side``, ``units``, ``kind`` and ``length_mm``, and any ``[patient]`` or ``[design]`` key of
a profile, overriding it for that order. An empty cell means "not given". A folder gives one
order per scan file, named after the file's stem.

Only a problem with the input as a whole (missing, unreadable, an unknown or missing column,
no rows) raises; a problem with one row is kept in :attr:`Order.problem`, so that the batch
reports it in that row and goes on with the others.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from shellgen.errors import ProfileError, ScanError
from shellgen.profile import Design, Patient

__all__ = ["ORDER_ID_PATTERN", "SCAN_COLUMNS", "SCAN_SUFFIXES", "Order", "read_orders"]

#: File name extensions of the scans a folder input is read for (those ``load`` reads).
SCAN_SUFFIXES: Final = (
    ".3mf",
    ".csv",
    ".glb",
    ".gltf",
    ".obj",
    ".pcd",
    ".ply",
    ".pts",
    ".stl",
    ".xyz",
)

#: Columns that say how to read the scan (``prepare``'s options), not what to build.
SCAN_COLUMNS: Final = ("side", "units", "kind", "length_mm")

#: An order id names files (``<order_id>-L.stl``) and is engraved: plain characters only.
ORDER_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

_REQUIRED: Final = ("order_id", "scan")
_SIDES: Final = {"": "auto", "auto": "auto", "l": "left", "left": "left", "r": "right"}


@dataclass(frozen=True)
class Order:
    """One row of a batch: a scan to build a shell for.

    Attributes
    ----------
    row : int
        Where the order came from: its line in the orders file, or its position (from 1) in
        the folder's sorted scan files.
    order_id : str
        The order's id; its shells are ``<order_id>-L`` and ``<order_id>-R``.
    scan : str
        The scan as given (a path relative to the orders file, or a file name in the folder).
    scan_path : str
        The scan's absolute path.
    profile : str
        The profile as given: a shipped name or a path to a ``.toml`` file.
    profile_path : str
        The profile's path resolved against the orders file's folder, or the name as given.
    fields : tuple of (str, str)
        Patient and design keys this row overrides, and their values as text, sorted.
    side : {"auto", "left", "right"}
        The scan's side, when the row gives it.
    units : str or None
        The scan's units, when the row gives them (``prepare`` checks them).
    kind : str
        The scan's kind, ``"auto"`` unless the row gives it.
    length_mm : float or None
        The foot's known length, mm, when the row gives it.
    problem : str
        Why this row cannot be built, in one line; empty for a good row.
    """

    row: int
    order_id: str
    scan: str
    scan_path: str
    profile: str
    profile_path: str
    fields: tuple[tuple[str, str], ...] = ()
    side: str = "auto"
    units: str | None = None
    kind: str = "auto"
    length_mm: float | None = None
    problem: str = ""


def read_orders(source: str | Path, *, profile: str = "standard") -> tuple[Order, ...]:
    """Read a folder of scans or an orders file into orders, sorted by row.

    Parameters
    ----------
    source : path-like
        A folder of scan files, or a ``.csv`` orders file.
    profile : str
        The profile for rows (and folders) that do not name one.

    Returns
    -------
    tuple of Order
        One order per scan file or per non-empty row; rows that cannot be built carry their
        :attr:`Order.problem`, including every row of an order that repeats a scan or has
        more than two scans.

    Raises
    ------
    ScanError
        If ``source`` does not exist, or a folder holds no scan file.
    ProfileError
        If the orders file cannot be read, lacks ``order_id`` or ``scan``, has an unknown
        column, or has no order in it.
    """
    path = Path(source)
    if path.is_dir():
        orders = _folder_orders(path, profile)
    elif path.is_file():
        orders = _file_orders(path, profile)
    else:
        raise ScanError(f"{path} does not exist; give a folder of scans or an orders .csv file")
    return _check_orders(orders)


def _folder_orders(folder: Path, profile: str) -> list[Order]:
    scans = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in SCAN_SUFFIXES
    )
    if not scans:
        raise ScanError(
            f"{folder} holds no scan file ({', '.join(SCAN_SUFFIXES)}); "
            "give the folder the scans are in"
        )
    return [
        _order(row, scan.stem, scan.name, scan.resolve(), profile, profile)
        for row, scan in enumerate(scans, start=1)
    ]


def _file_orders(path: Path, profile: str) -> list[Order]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(
            f"{path}: cannot read the orders file ({exc}); save it as UTF-8 CSV"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip() for cell in next(reader)]
    except StopIteration:
        raise ProfileError(f"{path}: the orders file is empty; give a header row") from None
    except csv.Error as exc:
        raise ProfileError(f"{path}: not a CSV file ({exc}); save it as CSV") from None
    _check_header(path, header)
    base = path.resolve().parent
    orders: list[Order] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            orders.append(_row_order(reader.line_num, header, cells, base, profile))
    except csv.Error as exc:
        raise ProfileError(f"{path}, line {reader.line_num}: {exc}; fix the CSV there") from None
    if not orders:
        raise ProfileError(f"{path}: the orders file has a header but no order; add rows")
    return orders


def _check_header(path: Path, header: list[str]) -> None:
    allowed = [*_REQUIRED, "profile", *SCAN_COLUMNS, *Patient.model_fields, *Design.model_fields]
    unknown = [name for name in header if name not in allowed]
    if unknown:
        raise ProfileError(f"{path}: unknown column {unknown[0]!r}; allowed: {', '.join(allowed)}")
    missing = [name for name in _REQUIRED if name not in header]
    if missing:
        raise ProfileError(f"{path}: no {missing[0]!r} column; the header needs order_id and scan")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ProfileError(f"{path}: column {repeated[0]!r} appears twice; keep one")


def _row_order(line: int, header: list[str], cells: list[str], base: Path, profile: str) -> Order:
    if len(cells) != len(header):
        given = {name: cell.strip() for name, cell in zip(header, cells, strict=False)}
        problem = f"line {line} has {len(cells)} cells but the header has {len(header)}; fix it"
        return Order(
            line,
            given.get("order_id", ""),
            given.get("scan", ""),
            "",
            profile,
            profile,
            problem=problem,
        )
    values = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
    given_profile = values.pop("profile", "") or profile
    resolved = given_profile
    if given_profile.endswith(".toml") or "/" in given_profile or "\\" in given_profile:
        resolved = str(base / given_profile)
    scan = values.pop("scan")
    order_id = values.pop("order_id")
    options = {name: values.pop(name, "") for name in SCAN_COLUMNS}
    fields = tuple(sorted((k, v) for k, v in values.items() if v))
    return _order(
        line,
        order_id,
        scan,
        (base / scan).resolve() if scan else Path(""),
        given_profile,
        resolved,
        fields,
        **options,
    )


def _order(
    row: int,
    order_id: str,
    scan: str,
    scan_path: Path,
    profile: str,
    profile_path: str,
    fields: tuple[tuple[str, str], ...] = (),
    side: str = "",
    units: str = "",
    kind: str = "",
    length_mm: str = "",
) -> Order:
    """An order from the text of its cells, with the first problem found in them."""
    problems = []
    if not ORDER_ID_PATTERN.match(order_id):
        problems.append(
            f"order_id {order_id!r} is not usable in file names; "
            "use letters, digits, '_', '-' and '.'"
        )
    if not scan:
        problems.append("no scan given; fill in the scan column")
    side_value = _SIDES.get(side.lower(), side.lower())
    if side_value not in ("auto", "left", "right"):
        problems.append(f"side {side!r} is not left, right, L, R or empty; fix the side column")
    length_value: float | None = None
    if length_mm:
        try:
            length_value = float(length_mm)
        except ValueError:
            problems.append(f"length_mm {length_mm!r} is not a number; give the foot length in mm")
    return Order(
        row=row,
        order_id=order_id,
        scan=scan,
        scan_path=str(scan_path) if scan else "",
        profile=profile,
        profile_path=profile_path,
        fields=fields,
        side=side_value,
        units=units.lower() or None,
        kind=kind.lower() or "auto",
        length_mm=length_value,
        problem=problems[0] if problems else "",
    )


def _check_orders(orders: list[Order]) -> tuple[Order, ...]:
    """Flag the orders whose shells would collide: more than two scans, or one scan twice."""
    by_id: dict[str, list[Order]] = {}
    for order in orders:
        by_id.setdefault(order.order_id, []).append(order)
    checked: list[Order] = []
    for order in orders:
        group = [o for o in by_id[order.order_id] if not o.problem]
        problem = order.problem
        if not problem and len(group) > 2:
            rows = ", ".join(str(o.row) for o in group)
            problem = (
                f"order {order.order_id} has {len(group)} scans (rows {rows}); an order has at "
                "most a left and a right scan: give the others their own order_id"
            )
        elif not problem and sum(o.scan_path == order.scan_path for o in group) > 1:
            problem = (
                f"order {order.order_id} lists the scan {order.scan} twice; remove the repeated row"
            )
        elif not problem and order.side != "auto":
            if sum(o.side == order.side for o in group) > 1:
                problem = (
                    f"order {order.order_id} has two {order.side} scans; "
                    "fix the side column, or give one its own order_id"
                )
        checked.append(order if problem == order.problem else replace(order, problem=problem))
    return tuple(sorted(checked, key=lambda o: o.row))
