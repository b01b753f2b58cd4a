"""Operating an installation: worker heartbeats, health, the doctor's checks, bulk imports.

The checks report problems as data (:class:`Check`) so that ``/health``, ``estateflow
doctor`` and tests read the same answers.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import socket
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from estateflow.calendar import missing_holiday_years
from estateflow.errors import EstateFlowError, Invalid, NotFound
from estateflow.fields import clean_form
from estateflow.services._services import Services
from estateflow.store import _ops as ops
from estateflow.store.migrations import MIGRATIONS, pending, schema_version

#: A worker whose last round is older than this is reported as stalled.
HEARTBEAT_STALE = timedelta(minutes=2)
#: Free disk space below this is a problem.
MIN_FREE_BYTES = 1024**3
#: Register that each import kind fills ("staff" makes accounts instead).
IMPORT_REGISTERS = {"units": "units", "households": "members"}
IMPORT_KINDS = ("units", "households", "staff")
#: Bytes an .xlsx may unpack to (a zip bomb stops here, before any XML is parsed).
MAX_XLSX_UNPACKED = 64 * 1024**2


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def record_heartbeat(services: Services, worker: str, rounds: int) -> None:
    """Write the worker's heartbeat row (once per round)."""
    async with services.store.unit_of_work(writes=True) as uow:
        ops.beat(uow, worker, services.clock(), rounds)


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    name: str
    ok: bool
    detail: str
    warning: bool = False
    """A problem worth showing that does not fail the check (no worker has run yet)."""


async def health(services: Services, *, stale: timedelta = HEARTBEAT_STALE) -> dict[str, Any]:
    """What ``/health`` answers: the database, and the age of the worker's heartbeat."""
    database = await _database_check(services)
    out: dict[str, Any] = {"status": "ok" if database.ok else "down", "database": database.detail}
    if database.ok:
        worker = await _worker_check(services, stale)
        out["worker"] = worker.detail
        if not worker.ok:
            out["status"] = "degraded"
    return out


async def _database_check(services: Services) -> Check:
    try:
        async with services.store.unit_of_work(writes=False) as uow:
            await uow.estates()
    except EstateFlowError as exc:
        return Check(name="database", ok=False, detail=str(exc))
    return Check(name="database", ok=True, detail=f"{services.store.kind} reachable")


async def _worker_check(services: Services, stale: timedelta) -> Check:
    async with services.store.unit_of_work(writes=False) as uow:
        last = await ops.last_beat(uow)
    if last is None:
        return Check(name="worker", ok=True, warning=True, detail="no worker has run yet")
    age = services.clock() - last
    seconds = int(age.total_seconds())
    if age > stale:
        return Check(name="worker", ok=False, detail=f"last round {seconds}s ago (stalled)")
    return Check(name="worker", ok=True, detail=f"last round {seconds}s ago")


async def doctor(
    services: Services, *, paths: Iterable[Path] = (), stale: timedelta = HEARTBEAT_STALE
) -> list[Check]:
    """Every check: database, migrations, worker, notifications, holiday data, disk."""
    checks = [await _database_check(services)]
    if not checks[0].ok:
        return checks
    try:
        todo = pending(await schema_version(services.store.db), MIGRATIONS)
        checks.append(
            Check(
                name="migrations",
                ok=not todo,
                detail=f"{len(todo)} pending: run `estateflow upgrade`" if todo else "up to date",
            )
        )
    except EstateFlowError as exc:
        checks.append(Check(name="migrations", ok=False, detail=str(exc)))
    checks.append(await _worker_check(services, stale))
    checks.append(await _notifications_check(services))
    checks.extend(await _holiday_checks(services))
    for path in paths:
        checks.append(_disk_check(path))
    return checks


#: A notification that failed this many sends (about a quarter of an hour of retries)
#: makes the doctor say so: the mail server or an address needs a look.
FAILING_AFTER = 5


async def _notifications_check(services: Services) -> Check:
    async with services.store.unit_of_work(writes=False) as uow:
        failing, error = await uow.failing_notifications(FAILING_AFTER)
    if failing:
        return Check(
            name="notifications",
            ok=False,
            detail=f"{failing} not sent after {FAILING_AFTER} tries or more; last error: {error}",
        )
    return Check(name="notifications", ok=True, detail="none failing")


async def _holiday_checks(services: Services) -> list[Check]:
    out = []
    async with services.store.unit_of_work(writes=False) as uow:
        estates = [row["id"] for row in await uow.estates()]
    coming = services.clock().year + 1
    for estate_id in estates:
        try:
            bundle = await services.published_bundle(estate_id)
        except NotFound:
            continue
        years = (services.clock().year, coming)
        missing = missing_holiday_years(bundle.estate.region, years)
        # The estate's own list adds to the region's days; it rarely replaces a year.
        gaps = list(missing)
        out.append(
            Check(
                name=f"holidays {estate_id}",
                ok=not gaps,
                detail=(
                    f"no {bundle.estate.region} holiday data for {', '.join(map(str, gaps))}: "
                    "update EstateFlow or list the holidays in estate.yaml"
                    if gaps
                    else f"{bundle.estate.region} holidays known through {coming}"
                ),
            )
        )
    return out


def _disk_check(path: Path) -> Check:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    return Check(
        name=f"disk {path}",
        ok=free >= MIN_FREE_BYTES,
        detail=f"{free // 1024**2} MB free",
    )


# -- bulk import ------------------------------------------------------------------------------
@dataclass(slots=True, kw_only=True)
class ImportReport:
    kind: str
    rows: int = 0
    imported: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    """``(line number in the file, message)``; a header is line 1."""
    dry_run: bool = False


async def import_rows(
    services: Services,
    estate_id: str,
    kind: str,
    rows: list[Mapping[str, str]],
    *,
    dry_run: bool = False,
    password_hash: str = "",
) -> ImportReport:
    """Check every row, then import them all, or none when any row has an error."""
    if kind not in IMPORT_KINDS:
        raise ValueError(f"unknown kind '{kind}': expected one of {', '.join(IMPORT_KINDS)}")
    bundle = await services.published_bundle(estate_id)
    report = ImportReport(kind=kind, rows=len(rows), dry_run=dry_run)
    clean: list[Any] = []
    for line, row in enumerate(rows, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        if not any(row.values()):
            continue
        try:
            clean.append(_clean_row(bundle, kind, row))
        except Invalid as exc:
            for field_id, messages in exc.errors.items():
                for message in messages:
                    report.errors.append((line, f"{field_id}: {message}"))
        except ValueError as exc:
            report.errors.append((line, str(exc)))
    if report.errors or dry_run:
        return report
    if kind == "staff":
        for username, name, roles in clean:
            await services.add_user(username, name, password_hash)
            await services.grant(username, estate_id, roles)
    else:
        await services.add_register_rows(estate_id, IMPORT_REGISTERS[kind], clean)
    report.imported = len(clean)
    return report


def _clean_row(bundle: Any, kind: str, row: dict[str, str]) -> Any:
    estate = bundle.estate
    if kind == "staff":
        username = row.get("username", "")
        if not username:
            raise ValueError("username: required")
        roles = [r.strip() for r in row.get("roles", "").replace(";", ",").split(",") if r.strip()]
        if not roles:
            raise ValueError("roles: required")
        unknown = [r for r in roles if r not in estate.roles]
        if unknown:
            raise ValueError(
                f"roles: unknown role '{unknown[0]}' (expected one of "
                f"{', '.join(sorted(estate.roles))})"
            )
        return username, row.get("name") or username, roles
    register = estate.registers.get(IMPORT_REGISTERS[kind])
    if register is None:
        raise ValueError(f"the estate has no register '{IMPORT_REGISTERS[kind]}'")
    unknown = sorted(set(row) - set(register.fields))
    if unknown:
        raise ValueError(f"unknown column '{unknown[0]}': expected {', '.join(register.fields)}")
    return clean_form(
        register.fields,
        {k: v for k, v in row.items() if v != ""},
        env={},
        currency=estate.currency,
        region=estate.region,
        timezone=estate.timezone,
    )


def read_table(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV (UTF-8, with or without BOM) or XLSX file (its first sheet), by header."""
    if path.suffix.lower() == ".xlsx":
        values = _xlsx_rows(path)
        if not values:
            return []
        header = values[0]
        return [
            dict(zip(header, row + [""] * (len(header) - len(row)), strict=False))
            for row in values[1:]
        ]
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [dict(row) for row in csv.DictReader(handle)]


_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


def _xlsx_rows(path: Path) -> list[list[str]]:
    """The first sheet's cells as text, read with the standard library (no openpyxl)."""
    try:
        with zipfile.ZipFile(path) as book:
            names = set(book.namelist())
            if sum(info.file_size for info in book.infolist()) > MAX_XLSX_UNPACKED:
                raise ValueError(f"{path.name}: too large once unpacked; split it or use CSV")
            shared: list[str] = []
            if "xl/sharedStrings.xml" in names:
                root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
                shared = [
                    "".join(t.text or "" for t in si.iter(f"{{{_NS['m']}}}t"))
                    for si in root.findall("m:si", _NS)
                ]
            sheets = sorted(n for n in names if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
            if not sheets:
                raise ValueError(f"{path.name}: no worksheet in this file")
            root = ElementTree.fromstring(book.read(sheets[0]))
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError) as exc:
        raise ValueError(f"{path.name}: not a readable .xlsx file ({exc})") from exc
    rows: list[list[str]] = []
    for row in root.iter(f"{{{_NS['m']}}}row"):
        cells: list[str] = []
        for cell in row.findall("m:c", _NS):
            match = _CELL_REF.fullmatch(cell.get("r", ""))
            column = _column_index(match.group(1)) if match else len(cells)
            cells.extend([""] * (column - len(cells)))
            cells.append(_xlsx_value(cell, shared))
        rows.append(cells)
    return rows


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _xlsx_value(cell: ElementTree.Element, shared: list[str]) -> str:
    kind = cell.get("t")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in cell.iter(f"{{{_NS['m']}}}t"))
    value = cell.find("m:v", _NS)
    text = value.text if value is not None and value.text else ""
    if kind == "s" and text:
        return shared[int(text)]
    if kind is None and text.endswith(".0"):
        return text[:-2]  # whole numbers come back as floats: 9.0 is 9
    return text
