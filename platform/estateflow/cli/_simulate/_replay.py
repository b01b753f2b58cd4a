"""``estateflow simulate PROCEDURE --replay``: closed cases from the database, played again
on a new bundle (an estate folder, a draft saved in the browser, or the published one),
reporting the deadlines each would have met and breached, or where it would diverge."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from estateflow.cli._admin import default_database_url
from estateflow.definitions import Bundle
from estateflow.engine import Deadline, Rerun
from estateflow.errors import EstateFlowError
from estateflow.services import Authoring, ReplayReport, Services, replay_closed_cases
from estateflow.store import open_store

EXIT_OK, EXIT_BREACHED, EXIT_USAGE = 0, 1, 2
#: Without a terminal, a progress line on stderr after this many cases.
PROGRESS_EVERY = 100


class _Usage(Exception):
    """A mistake on the command line or in the definitions, already worded."""


def run_replay(args: argparse.Namespace, load_estate: Any, known_procedure: Any) -> int:
    url = args.db or default_database_url()
    folder = None
    if Path(args.estate).is_dir():
        # A folder is checked before the database is opened: its mistakes come first.
        if args.draft:
            print(
                "estateflow simulate: --draft takes the estate's id (as in the database), "
                "not a folder",
                file=sys.stderr,
            )
            return EXIT_USAGE
        folder = load_estate(args.estate)
        if folder is None or not known_procedure(folder, args.procedure):
            return EXIT_USAGE
    try:
        _check_database(url)
        report, bundle = asyncio.run(_replay(args, url, folder, known_procedure))
    except _Usage as exc:
        if str(exc):
            print(f"estateflow simulate: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except EstateFlowError as exc:
        print(f"estateflow simulate: {exc}", file=sys.stderr)
        return EXIT_USAGE
    zone = ZoneInfo(bundle.estate.timezone)
    if args.format == "json":
        print(json.dumps(_json(report, zone), ensure_ascii=False, indent=2))
    else:
        print(_text(report, zone), end="")
    return EXIT_BREACHED if report.breaching or report.diverging else EXIT_OK


def _check_database(url: str) -> None:
    """A SQLite file must be there already: replaying never creates a database."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
        if path is None or not path.is_file():
            raise _Usage(f"no database at '{url}'")


async def _replay(
    args: argparse.Namespace, url: str, folder: Bundle | None, known_procedure: Any
) -> tuple[ReplayReport, Bundle]:
    store = await open_store(url)
    try:
        services = Services(store)
        bundle = folder or await _bundle(args, services)
        if not known_procedure(bundle, args.procedure):
            raise _Usage("")
        zone = ZoneInfo(bundle.estate.timezone)
        since = _moment(args.since, zone, "--since")
        until = _moment(args.until, zone, "--until")
        print(
            f"replaying closed '{args.procedure}' cases of estate '{bundle.estate.id}' "
            f"on {_source(args)}",
            file=sys.stderr,
        )
        report = await replay_closed_cases(
            services,
            bundle.estate.id,
            args.procedure,
            bundle,
            since=since,
            until=until,
            progress=_progress,
        )
    finally:
        await store.close()
    return report, bundle


async def _bundle(args: argparse.Namespace, services: Services) -> Bundle:
    """Given an estate id, the published bundle of that estate with the draft applied
    (or as it is, without ``--draft``)."""
    async with services.store.unit_of_work(writes=False) as uow:
        known = sorted(row["id"] for row in await uow.estates())
    if args.estate not in known:
        raise _Usage(
            f"'{args.estate}' is neither an estate folder nor an estate in this database"
            + (f" (it has {', '.join(known)})" if known else " (it has none)")
        )
    if args.draft is None:
        return await services.published_bundle(args.estate)
    authoring = Authoring(services)
    draft = await authoring.draft(args.estate, args.draft)
    checked = await authoring.check(args.estate, draft["path"], draft["text"])
    if checked.bundle is None:
        print(checked.rendered, file=sys.stderr, end="")
        raise _Usage(f"draft {args.draft} has errors: fix them in the editor first")
    return checked.bundle


def _source(args: argparse.Namespace) -> str:
    if Path(args.estate).is_dir():
        return f"the bundle of {args.estate}"
    if args.draft:
        return f"draft {args.draft}"
    return "the published bundle"


def _moment(value: str | None, zone: ZoneInfo, option: str) -> datetime | None:
    """A date (midnight, the estate's time) or a date and time."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _Usage(f"{option} expects a date (2026-09-24) or a date and time") from None
    if len(value) == 10:
        moment = datetime.combine(moment.date(), time(0))
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        print(f"\rreplayed {done}/{total}", end="\n" if done == total else "", file=sys.stderr)
    elif done % PROGRESS_EVERY == 0 or (done == total and total >= PROGRESS_EVERY):
        print(f"replayed {done}/{total}", file=sys.stderr)


# -- showing the report -------------------------------------------------------------------
def _stamp(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %d %b %H:%M")


def _late(deadline: Deadline) -> str:
    assert deadline.done_at is not None
    minutes = round((deadline.done_at - deadline.due_at).total_seconds() / 60)
    hours, rest = divmod(minutes, 60)
    return f"{hours}h{rest:02d} late" if hours else f"{minutes} min late"


def _name(deadline: Deadline, case: Rerun) -> str:
    what = deadline.step or "the case deadline"
    return what if deadline.case == case.number else f"{what} of {deadline.case}"


def _text(report: ReplayReport, zone: ZoneInfo) -> str:
    out: list[str] = []
    for case in report.cases:
        new = set(case.newly_breached)
        if case.divergence is not None:
            d = case.divergence
            where = "" if d.case == case.number else f" (in {d.case})"
            out.append(
                f"{case.number}  diverges {_stamp(d.at, zone)}{where} at '{d.act}': {d.reason}"
            )
        elif case.breached:
            out.append(f"{case.number}  would breach {len(case.breached)} deadline(s)")
        else:
            out.append(f"{case.number}  meets every deadline ({len(case.met)} met), {case.outcome}")
        for deadline in case.breached:
            then = "newly" if deadline in new else "breached then too"
            done = (
                f"done {_stamp(deadline.done_at, zone)} ({_late(deadline)}; {then})"
                if deadline.done_at is not None
                else f"not done ({then})"
            )
            out.append(
                f"    breach: {_name(deadline, case)}, due {_stamp(deadline.due_at, zone)}, {done}"
            )
        if case.breached or case.divergence is not None:
            met = ", ".join(_name(d, case) for d in case.met)
            out.append(f"    met: {met or 'none'}")
    for number, why in report.skipped:
        out.append(f"{number}  skipped: {why}")
    total = len(report.cases)
    clean = total - len({c.number for c in (*report.breaching, *report.diverging)})
    newly = sum(1 for c in report.cases if c.newly_breached)
    out.append(
        f"{total} closed case{'s' if total != 1 else ''} of {report.procedure} replayed: "
        f"{clean} meet every deadline, {len(report.breaching)} would breach "
        f"({newly} newly), {len(report.diverging)} diverge"
        + (f"; {len(report.skipped)} skipped" if report.skipped else "")
    )
    return "\n".join(out) + "\n"


def _iso(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return moment.astimezone(zone).isoformat() if moment else None


def _deadline_json(deadline: Deadline, new: set[Deadline], zone: ZoneInfo) -> dict[str, Any]:
    return {
        "case": deadline.case,
        "step": deadline.step or None,
        "due_at": _iso(deadline.due_at, zone),
        "done_at": _iso(deadline.done_at, zone),
        "missed": deadline.missed,
        "new": deadline in new if deadline.missed else None,
    }


def _json(report: ReplayReport, zone: ZoneInfo) -> dict[str, Any]:
    """The report with times in the estate's time zone."""
    cases = []
    for case in report.cases:
        new = set(case.newly_breached)
        d = case.divergence
        cases.append(
            {
                "number": case.number,
                "case_id": case.case_id,
                "outcome": case.outcome,
                "acts": case.acts,
                "breached": [_deadline_json(x, new, zone) for x in case.breached],
                "met": [_deadline_json(x, new, zone) for x in case.met],
                "divergence": None
                if d is None
                else {"at": _iso(d.at, zone), "case": d.case, "act": d.act, "reason": d.reason},
            }
        )
    return {
        "estate": report.estate_id,
        "procedure": report.procedure,
        "cases": cases,
        "skipped": [{"number": n, "reason": why} for n, why in report.skipped],
        "summary": {
            "replayed": len(report.cases),
            "breaching": len(report.breaching),
            "diverging": len(report.diverging),
            "skipped": len(report.skipped),
        },
    }
