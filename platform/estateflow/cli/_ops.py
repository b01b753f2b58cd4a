"""Running an installation: backup, restore, upgrade, doctor, import and privacy.

Also what ``estateflow serve`` reads from the environment to sit behind a reverse proxy
(``ESTATEFLOW_TRUSTED_PROXIES``) and to log JSON lines (``ESTATEFLOW_LOG_FORMAT=json``).
docs/deploy.md describes each command in context.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from estateflow.cli._admin import _db_option, default_database_url
from estateflow.errors import EstateFlowError, Invalid
from estateflow.services import Services, hash_password
from estateflow.services import _ops as service_ops
from estateflow.services import _privacy as privacy
from estateflow.store import Store, create_schema, ddl, migrations, open_store, verify_chain
from estateflow.store import _ops as store_ops
from estateflow.store._db import open_database

#: Comma-separated addresses (or ``*``) whose X-Forwarded-For / -Proto are believed.
PROXIES_VARIABLE = "ESTATEFLOW_TRUSTED_PROXIES"
#: ``json`` for one JSON object per log line; anything else is uvicorn's text.
LOG_FORMAT_VARIABLE = "ESTATEFLOW_LOG_FORMAT"
#: Where attachments are kept (the web app's ``Settings.files`` reads the same).
FILES_VARIABLE = "ESTATEFLOW_FILES"

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


# -- serve: proxies and logs ----------------------------------------------------------------
def trusted_proxies() -> str | None:
    raw = os.environ.get(PROXIES_VARIABLE, "").strip()
    return ",".join(p.strip() for p in raw.split(",") if p.strip()) or None


def uvicorn_options() -> dict[str, Any]:
    """Forwarded headers only from the configured proxies; JSON logs when asked."""
    proxies = trusted_proxies()
    options: dict[str, Any] = {"proxy_headers": proxies is not None}
    if proxies:
        options["forwarded_allow_ips"] = proxies
    if os.environ.get(LOG_FORMAT_VARIABLE) == "json":
        options["log_config"] = json_log_config()
    return options


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any ``extra`` fields."""

    _PLAIN = frozenset(vars(logging.makeLogRecord({})))

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in self._PLAIN and key not in ("message", "color_message"):
                entry[key] = value if isinstance(value, int | float | str | bool) else str(value)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def json_log_config() -> dict[str, Any]:
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.access": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "estateflow": {"handlers": ["default"], "level": "INFO", "propagate": False},
        },
    }


def json_logs_if_asked(level: str = "INFO") -> None:
    """Switch this process's logging to JSON lines when ``ESTATEFLOW_LOG_FORMAT=json``."""
    if os.environ.get(LOG_FORMAT_VARIABLE) == "json":
        import logging.config

        config = json_log_config()
        config["root"] = {"handlers": ["default"], "level": level}
        config["loggers"]["estateflow"]["level"] = level
        logging.config.dictConfig(config)


# -- commands -------------------------------------------------------------------------------
def register(sub: Any) -> None:
    backup = sub.add_parser("backup", help="copy the database and attachments to an archive")
    backup.add_argument("archive", metavar="FILE", help="the .tar to write (SQLite) or dump")
    _files_option(backup)
    _db_option(backup)
    backup.set_defaults(run=_backup)

    restore = sub.add_parser("restore", help="put a backup in place, then verify the audit log")
    restore.add_argument("archive", metavar="FILE")
    restore.add_argument("--force", action="store_true", help="replace an existing database")
    _files_option(restore)
    _db_option(restore)
    restore.set_defaults(run=_restore)

    upgrade = sub.add_parser("upgrade", help="back up, migrate the schema, verify")
    upgrade.add_argument(
        "--backup-to", default=None, metavar="FILE", help="where the backup goes (SQLite)"
    )
    upgrade.add_argument("--no-backup", action="store_true", help="you made one yourself")
    _files_option(upgrade)
    _db_option(upgrade)
    upgrade.set_defaults(run=_upgrade)

    doctor = sub.add_parser("doctor", help="check the installation; exit 1 on problems")
    _files_option(doctor)
    _db_option(doctor)
    doctor.set_defaults(run=lambda a: _with_services(a, _doctor))

    imp = sub.add_parser("import", help="import units, households or staff from CSV or XLSX")
    imp.add_argument("kind", choices=service_ops.IMPORT_KINDS)
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--estate", required=True)
    imp.add_argument("--dry-run", action="store_true", help="check every row, import nothing")
    _db_option(imp)
    imp.set_defaults(run=lambda a: _with_services(a, _import))

    priv = sub.add_parser("privacy", help="personal data: purge, export, access log")
    verbs = priv.add_subparsers(metavar="VERB")
    setp = verbs.add_parser("set", help="who sees full id numbers; retention per procedure")
    setp.add_argument("--estate", required=True)
    setp.add_argument("--full-id-roles", default=None, metavar="ROLES", help="comma-separated")
    setp.add_argument("--retention", action="append", default=[], metavar="PROCEDURE=DAYS")
    _db_option(setp)
    setp.set_defaults(run=lambda a: _with_services(a, _privacy_set))
    purge = verbs.add_parser(
        "purge", help="erase personal data of closed cases past their retention"
    )
    purge.add_argument("--estate", required=True)
    purge.add_argument(
        "--retention",
        action="append",
        default=[],
        metavar="PROCEDURE=DAYS",
        help="override or add a procedure's retention (repeatable)",
    )
    purge.add_argument("--dry-run", action="store_true")
    purge.add_argument("--by", default=os.environ.get("USER", "admin"))
    _db_option(purge)
    purge.set_defaults(run=lambda a: _with_services(a, _purge))
    erase = verbs.add_parser("erase", help="erase one case's personal data now")
    erase.add_argument("case", metavar="CASE", help="case number (TS-2026-000123) or id")
    erase.add_argument("--estate", required=True)
    erase.add_argument("--reason", required=True, help="why; kept in the access log")
    erase.add_argument("--by", default=os.environ.get("USER", "admin"))
    _db_option(erase)
    erase.set_defaults(run=lambda a: _with_services(a, _erase))
    export = verbs.add_parser("export", help="everything held about a person, as JSON")
    export.add_argument("query", metavar="NAME_PHONE_OR_ID")
    export.add_argument("--estate", required=True)
    export.add_argument("--by", default=os.environ.get("USER", "admin"))
    _db_option(export)
    export.set_defaults(run=lambda a: _with_services(a, _export))
    log = verbs.add_parser("log", help="who accessed personal data")
    log.add_argument("--estate", required=True)
    _db_option(log)
    log.set_defaults(run=lambda a: _with_services(a, _access_log))


def _files_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--files",
        default=None,
        metavar="DIR",
        help=f"attachments folder (default: ${FILES_VARIABLE} or ~/.local/share/estateflow/files)",
    )


def _files(args: argparse.Namespace) -> Path:
    if args.files:
        return Path(args.files)
    if os.environ.get(FILES_VARIABLE):
        return Path(os.environ[FILES_VARIABLE])
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "estateflow" / "files"


def _url(args: argparse.Namespace) -> str:
    return args.db or default_database_url()


def _fail(message: str) -> int:
    print(f"estateflow: {message}", file=sys.stderr)
    return EXIT_PROBLEMS


def _with_services(
    args: argparse.Namespace, job: Callable[[Services, argparse.Namespace], Awaitable[int]]
) -> int:
    async def main() -> int:
        store = await open_store(_url(args))
        try:
            return await job(Services(store), args)
        finally:
            await store.close()

    try:
        return asyncio.run(main())
    except (EstateFlowError, ValueError, OSError) as exc:
        return _fail(str(exc))


# -- backup and restore -----------------------------------------------------------------------
def _backup(args: argparse.Namespace) -> int:
    url, archive = _url(args), Path(args.archive)
    try:
        if url.startswith("sqlite:///"):
            manifest = store_ops.backup_sqlite(url, archive, _files(args), at=datetime.now(UTC))
            files = "with attachments" if manifest["files"] else "no attachments folder"
            print(f"backed up {url} to {archive} (schema {manifest['schema_version']}, {files})")
            return EXIT_OK
        return _pg_run(store_ops.pg_commands(url, archive)[0], archive, "backed up")
    except (EstateFlowError, OSError) as exc:
        return _fail(str(exc))


def _restore(args: argparse.Namespace) -> int:
    url, archive = _url(args), Path(args.archive)
    try:
        if url.startswith("sqlite:///"):
            store_ops.restore_sqlite(archive, url, _files(args), force=args.force)
        elif (status := _pg_run(store_ops.pg_commands(url, archive)[1], archive, "restored")) != 0:
            return status
        problems = asyncio.run(_verify(url))
    except (EstateFlowError, OSError, KeyError) as exc:
        return _fail(str(exc))
    for problem in problems:
        print(problem)
    if problems:
        return _fail(f"restored, but the event log does not verify: {len(problems)} problems")
    print(f"restored {archive} to {url}; the event log verifies")
    return EXIT_OK


def _pg_run(command: list[str], archive: Path, done: str) -> int:
    if shutil.which(command[0]) is None:
        return _fail(f"{command[0]} is not installed; see docs/deploy.md")
    result = subprocess.run(command, check=False, capture_output=True, text=True)
    if result.returncode != 0:
        return _fail(f"{command[0]} failed: {result.stderr.strip()}")
    print(f"{done} {archive}")
    return EXIT_OK


async def _verify(url: str) -> list[str]:
    store = Store(await open_database(url))
    try:
        problems: list[str] = []
        async with store.unit_of_work(writes=False) as uow:
            for case_id, version, head in await uow.case_ids():
                problems += verify_chain(case_id, version, head, await uow.raw_events(case_id))
        return problems
    finally:
        await store.close()


# -- upgrade ----------------------------------------------------------------------------------
def _upgrade(args: argparse.Namespace) -> int:
    url = _url(args)
    try:
        return asyncio.run(_upgrade_async(args, url))
    except (EstateFlowError, OSError) as exc:
        return _fail(str(exc))


async def _upgrade_async(args: argparse.Namespace, url: str, steps: Any = None) -> int:
    steps = migrations.MIGRATIONS if steps is None else steps
    db = await open_database(url)
    try:
        found = await migrations.schema_version(db)
        todo = migrations.pending(found, steps)  # refuses a newer database
        if not todo:
            await create_schema(db)
            print(f"schema version {found or len(steps) + 1}: nothing to migrate")
        else:
            if not args.no_backup:
                await _backup_before(args, url, found)
            reached = await migrations.upgrade(db, steps)
            await db.execute_script(ddl(db.kind))  # tables new in this version
            print(f"migrated schema {found} to {reached[-1]}")
    finally:
        await db.close()
    problems = await _verify(url)
    for problem in problems:
        print(problem)
    if problems:
        return _fail(f"{len(problems)} problems in the event log after the upgrade")
    print("the event log verifies")
    return EXIT_OK


async def _backup_before(args: argparse.Namespace, url: str, found: int | None) -> None:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if url.startswith("sqlite:///"):
        target = Path(args.backup_to or f"{store_ops.sqlite_path(url)}.v{found}-{stamp}.tar")
        store_ops.backup_sqlite(url, target, _files(args), at=datetime.now(UTC))
        print(f"backed up to {target}")
        return
    target = Path(args.backup_to or f"estateflow.v{found}-{stamp}.dump")
    if _pg_run(store_ops.pg_commands(url, target)[0], target, "backed up to") != 0:
        raise OSError("no backup: pass --no-backup if you made one yourself")


# -- doctor -----------------------------------------------------------------------------------
async def _doctor(services: Services, args: argparse.Namespace) -> int:
    paths = [_files(args)]
    url = _url(args)
    if url.startswith("sqlite:///"):
        paths.insert(0, store_ops.sqlite_path(url).parent)
    checks = await service_ops.doctor(services, paths=paths)
    for check in checks:
        mark = "ok  " if check.ok and not check.warning else ("warn" if check.ok else "FAIL")
        print(f"{mark}  {check.name}: {check.detail}")
    failed = [c for c in checks if not c.ok]
    print("all checks pass" if not failed else f"{len(failed)} problems")
    return EXIT_PROBLEMS if failed else EXIT_OK


# -- import -----------------------------------------------------------------------------------
async def _import(services: Services, args: argparse.Namespace) -> int:
    rows = service_ops.read_table(Path(args.file))
    password_hash = ""
    if args.kind == "staff" and not args.dry_run:
        # Accounts start without a password: nobody can sign in until one is set.
        password_hash = hash_password(os.urandom(24).hex())
    report = await service_ops.import_rows(
        services, args.estate, args.kind, rows, dry_run=args.dry_run, password_hash=password_hash
    )
    for line, message in report.errors:
        print(f"{args.file}:{line}: {message}")
    if report.errors:
        print(f"{len(report.errors)} errors in {report.rows} rows: nothing imported")
        return EXIT_PROBLEMS
    if report.dry_run:
        print(f"{report.rows} rows check out (dry run: nothing imported)")
    else:
        print(f"imported {report.imported} {args.kind} into {args.estate}")
    return EXIT_OK


# -- privacy ----------------------------------------------------------------------------------
def _retention(items: list[str]) -> dict[str, int]:
    out = {}
    for item in items:
        procedure, _, days = item.partition("=")
        if not days.isdigit():
            raise ValueError(f"--retention takes PROCEDURE=DAYS, not '{item}'")
        out[procedure] = int(days)
    return out


async def _privacy_set(services: Services, args: argparse.Namespace) -> int:
    roles = None
    if args.full_id_roles is not None:
        roles = [r.strip() for r in args.full_id_roles.split(",") if r.strip()]
    try:
        now = await privacy.configure(
            services, args.estate, full_id_roles=roles, retention=_retention(args.retention)
        )
    except Invalid as exc:
        for key, messages in exc.errors.items():
            for message in messages:
                print(f"estateflow: {key}: {message}", file=sys.stderr)
        return EXIT_USAGE
    print(f"full id numbers: {', '.join(sorted(now.full_id_roles)) or 'nobody'}")
    for procedure, days in sorted(now.retention.items()):
        print(f"retention {procedure}: {days} days")
    return EXIT_OK


async def _purge(services: Services, args: argparse.Namespace) -> int:
    overrides = _retention(args.retention)
    report = await privacy.purge_expired(
        services, args.estate, by=args.by, dry_run=args.dry_run, overrides=overrides
    )
    verb = "would erase" if args.dry_run else "erased"
    print(f"{verb} personal data of {len(report.cases)} cases ({report.events} events)")
    return EXIT_OK


async def _erase(services: Services, args: argparse.Namespace) -> int:
    async with services.store.unit_of_work(writes=False) as uow:
        row = await uow.find_case(args.estate, args.case)
    case_id = row.id if row else args.case
    count = await privacy.erase_case(services, args.estate, case_id, by=args.by, reason=args.reason)
    print(f"erased personal data of {args.case} ({count} events); the event log still verifies")
    return EXIT_OK


async def _export(services: Services, args: argparse.Namespace) -> int:
    found = await privacy.export_person(services, args.estate, args.query, by=args.by)
    print(json.dumps(found, ensure_ascii=False, indent=2, default=_plain))
    return EXIT_OK


def _plain(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


async def _access_log(services: Services, args: argparse.Namespace) -> int:
    for entry in await privacy.access_log(services, args.estate):
        at = entry["at"].isoformat(timespec="seconds")
        print(
            f"{at}  {entry['actor']:<12} {entry['action']:<8} {entry['subject']}  {entry['detail']}"
        )
    return EXIT_OK
