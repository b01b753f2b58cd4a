"""Running the store for real: worker heartbeats, the access log, privacy purges, backups.

The repository functions take a :class:`UnitOfWork` and never open transactions; the
backup functions work on files (a SQLite database and the attachments folder) and are
only for administrative commands, never for the web app.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from estateflow.store._codec import dumps, loads
from estateflow.store._db import StoreError
from estateflow.store._store import UnitOfWork, _dt

#: Name of the database inside a backup archive.
BACKUP_DB = "estateflow.sqlite3"
#: Folder of the attachments inside a backup archive.
BACKUP_FILES = "files"
#: What a backup says about itself.
BACKUP_MANIFEST = "manifest.json"
#: Keys of a case's step record kept by a purge; the rest is what people typed.
_STEP_KEEP = frozenset({"at", "by", "action"})


# -- heartbeats -----------------------------------------------------------------------------
def beat(uow: UnitOfWork, worker: str, at: datetime, rounds: int) -> None:
    """Record that ``worker`` finished a round at ``at``."""
    uow.tx.defer(
        'INSERT INTO "worker_heartbeats" ("worker", "beat_at", "rounds") VALUES ($1, $2, $3) '
        'ON CONFLICT ("worker") DO UPDATE SET "beat_at" = $2, "rounds" = $3',
        worker,
        at,
        rounds,
    )


async def last_beat(uow: UnitOfWork) -> datetime | None:
    """When the freshest worker last finished a round; None if no worker ever ran."""
    value = await uow.tx.fetchval('SELECT max("beat_at") FROM "worker_heartbeats"')
    return _dt(value)


# -- access log -----------------------------------------------------------------------------
def log_access(
    uow: UnitOfWork,
    *,
    estate_id: str,
    actor: str,
    action: str,
    subject: str,
    at: datetime,
    detail: str = "",
) -> None:
    uow.tx.defer(
        'INSERT INTO "access_log" ("estate_id", "at", "actor", "action", "subject", "detail") '
        "VALUES ($1, $2, $3, $4, $5, $6)",
        estate_id,
        at,
        actor,
        action,
        subject,
        detail,
    )


async def access_entries(uow: UnitOfWork, estate_id: str) -> list[dict[str, Any]]:
    rows = await uow.tx.fetch(
        'SELECT "at", "actor", "action", "subject", "detail" FROM "access_log" '
        'WHERE "estate_id" = $1 ORDER BY "id"',
        estate_id,
    )
    return [{**row, "at": _dt(row["at"])} for row in rows]


# -- privacy settings -----------------------------------------------------------------------
async def privacy_settings(uow: UnitOfWork, estate_id: str) -> dict[str, Any]:
    """``{"full_id_roles": [...], "retention": {procedure: days}}``; empty when unset."""
    row = await uow.tx.fetchrow(
        'SELECT "full_id_roles", "retention" FROM "privacy_settings" WHERE "estate_id" = $1',
        estate_id,
    )
    if row is None:
        return {"full_id_roles": [], "retention": {}}
    return {"full_id_roles": loads(row["full_id_roles"]), "retention": loads(row["retention"])}


def set_privacy_settings(
    uow: UnitOfWork,
    estate_id: str,
    *,
    full_id_roles: list[str],
    retention: dict[str, int],
    at: datetime,
) -> None:
    uow.tx.defer(
        'INSERT INTO "privacy_settings" ("estate_id", "full_id_roles", "retention", '
        '"updated_at") VALUES ($1, $2, $3, $4) ON CONFLICT ("estate_id") DO UPDATE SET '
        '"full_id_roles" = $2, "retention" = $3, "updated_at" = $4',
        estate_id,
        dumps(sorted(set(full_id_roles))),
        dumps(dict(retention)),
        at,
    )


# -- personal data --------------------------------------------------------------------------
async def closed_cases(
    uow: UnitOfWork,
    estate_id: str,
    procedure: str,
    closed_before: datetime,
    closed_after: datetime | None = None,
) -> list[str]:
    """Ids of the procedure's cases closed before ``closed_before`` (and at or after
    ``closed_after``)."""
    sql = (
        'SELECT "id" FROM "cases" WHERE "estate_id" = $1 AND "procedure" = $2 '
        'AND "status" = \'closed\' AND "closed_at" < $3'
    )
    args: list[Any] = [estate_id, procedure, closed_before]
    if closed_after is not None:
        sql += ' AND "closed_at" >= $4'
        args.append(closed_after)
    rows = await uow.tx.fetch(sql + ' ORDER BY "id"', *args)
    return [row["id"] for row in rows]


async def case_states(uow: UnitOfWork, estate_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(case id, state)`` of every case of the estate, for searches in Python (JSON
    text differs between the databases, so a SQL ``LIKE`` would not find the same)."""
    rows = await uow.tx.fetch(
        'SELECT "id", "state" FROM "cases" WHERE "estate_id" = $1 ORDER BY "opened_at"',
        estate_id,
    )
    return iter([(row["id"], loads(row["state"])) for row in rows])


async def all_register_rows(uow: UnitOfWork, estate_id: str) -> list[dict[str, Any]]:
    rows = await uow.tx.fetch(
        'SELECT "id", "register", "data", "case_id", "removed_at" FROM "register_rows" '
        'WHERE "estate_id" = $1 ORDER BY "id"',
        estate_id,
    )
    return [{**row, "data": loads(row["data"])} for row in rows]


def forget_case_data(uow: UnitOfWork, case_id: str, state: dict[str, Any]) -> None:
    """Drop what people typed from a case's current state, its drafts and its sent
    notifications (its events are tombstoned separately); the steps keep when, by whom
    and which action."""
    kept = dict(state)
    kept["data"] = {}
    kept["steps"] = {
        step: {k: v for k, v in record.items() if k in _STEP_KEEP}
        for step, record in (state.get("steps") or {}).items()
    }
    uow.tx.defer('UPDATE "cases" SET "state" = $1 WHERE "id" = $2', dumps(kept), case_id)
    # The monthly report summaries counted what was typed (severity, ratings): made again.
    uow.tx.defer(
        'DELETE FROM "report_summaries" WHERE "estate_id" = '
        '(SELECT "estate_id" FROM "cases" WHERE "id" = $1)',
        case_id,
    )
    # Unsubmitted drafts and sent notifications hold what was typed too.
    uow.tx.defer('DELETE FROM "drafts" WHERE "key" LIKE $1', f"%/{case_id}/%")
    uow.tx.defer(
        'UPDATE "outbox" SET "payload" = $1 WHERE "case_id" = $2 AND "sent_at" IS NOT NULL',
        dumps({}),
        case_id,
    )


# -- backups (SQLite) -----------------------------------------------------------------------
def sqlite_path(url: str) -> Path:
    if not url.startswith("sqlite:///"):
        raise StoreError("only a SQLite database can be backed up this way: use pg_dump")
    return Path(url.removeprefix("sqlite:///"))


def backup_sqlite(url: str, archive: Path, files: Path | None, *, at: datetime) -> dict:
    """Write ``archive`` (a .tar): a consistent copy of the database made with SQLite's
    online backup API (writers may go on meanwhile) and the attachments folder."""
    source_path = sqlite_path(url)
    if not source_path.exists():
        raise StoreError(f"no database at {source_path}")
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / BACKUP_DB
        source = sqlite3.connect(source_path)
        target = sqlite3.connect(copy)
        try:
            source.backup(target)
            version = target.execute('SELECT max("version") FROM "schema_version"').fetchone()[0]
        finally:
            target.close()
            source.close()
        manifest = {
            "kind": "sqlite",
            "made_at": at.astimezone(UTC).isoformat(),
            "schema_version": version,
            "files": bool(files and files.exists()),
        }
        partial = archive.with_name(archive.name + ".part")
        with tarfile.open(partial, "w") as tar:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(BACKUP_MANIFEST)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            tar.add(copy, arcname=BACKUP_DB)
            if files and files.exists():
                tar.add(files, arcname=BACKUP_FILES)
        partial.replace(archive)  # a backup is whole or absent
    return manifest


def restore_sqlite(archive: Path, url: str, files: Path | None, *, force: bool = False) -> dict:
    """Put the database (and attachments) of ``archive`` in place.

    Refuses to overwrite an existing database unless ``force``; the old file is then kept
    beside it as ``.before-restore``.
    """
    target = sqlite_path(url)
    if target.exists() and not force:
        raise StoreError(f"{target} exists: pass --force to replace it")
    with tarfile.open(archive, "r") as tar, tempfile.TemporaryDirectory() as tmp:
        tar.extractall(tmp, filter="data")
        manifest = json.loads((Path(tmp) / BACKUP_MANIFEST).read_text())
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            shutil.copy2(target, target.with_name(target.name + ".before-restore"))
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copy2(Path(tmp) / BACKUP_DB, target)
        restored_files = Path(tmp) / BACKUP_FILES
        if files is not None and restored_files.exists():
            shutil.copytree(restored_files, files, dirs_exist_ok=True)
    return manifest


def pg_commands(dsn: str, archive: Path) -> tuple[list[str], list[str]]:
    """The pg_dump and pg_restore command lines for a PostgreSQL database."""
    dump = ["pg_dump", "--format=custom", "--no-owner", f"--file={archive}", dsn]
    restore = [
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        f"--dbname={dsn}",
        str(archive),
    ]
    return dump, restore
