"""What the worker and ``estateflow migrate`` ask of services.

Firing: :func:`fire_due_round` fires each due case in its own unit of work, like
:meth:`Services.fire_due`, and also says how the round went (fired, skipped because
another worker holds the case, failed), so a worker knows when it is idle and a test can
stop it right after a given firing is committed.

Notifications leave through the outbox at least once: :func:`send_notifications` claims
a batch, hands each row to a :class:`Sender` with its idempotency key, and marks what
was sent. A crash between sending and marking sends again; the key lets the receiving
side drop the copy.

Migration: :func:`migrate_cases` moves the running cases of a procedure to another
bundle, one unit of work per case, after checking every case first.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from estateflow import engine
from estateflow.definitions import Bundle
from estateflow.engine import SYSTEM, Actor, Context
from estateflow.errors import Conflict, EstateFlowError, NotAllowed, NotFound
from estateflow.services._services import Services, _Work
from estateflow.store import StoreError, UnitOfWork

log = logging.getLogger("estateflow.worker")

#: Later than anything a case can be due at: asks the store for the earliest due case.
_END_OF_TIME = datetime(9999, 12, 31, tzinfo=UTC)


# -- firing -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class FireRound:
    """How one round of firing went."""

    due: int
    """Cases the store listed as due."""
    fired: int
    """Things fired (warnings, deadlines, timers, handovers), all committed."""
    cases: int
    """Cases that had something fired."""
    skipped: int
    """Cases another worker held (or changed) while this one came to them."""
    failed: int
    """Cases whose firing raised an error of their own (logged; retried next round)."""


async def fire_due_round(
    services: Services,
    *,
    now: datetime | None = None,
    limit: int = 100,
    on_fired: Callable[[int], None] | None = None,
) -> FireRound:
    """Fire what is due in up to ``limit`` cases, each in its own unit of work.

    ``on_fired(count)`` runs right after each case's firings are committed. A database
    failure (StoreError, a lost connection) ends the round by raising; an error that
    belongs to one case (a rule failing, a bundle that no longer compiles) is logged and
    the round goes on with the next case.
    """
    now = now or services.clock()
    async with services.store.unit_of_work(writes=False) as uow:
        due = await uow.due_cases(now, limit)
    # Several workers read the same list: in a different order each, they seldom queue
    # behind one another's locks.
    random.shuffle(due)
    fired = cases = skipped = failed = 0
    for estate_id, case_id in due:
        try:
            count = await services._fire_case(estate_id, case_id, now)
        except Conflict:
            skipped += 1
            continue
        except StoreError:
            raise
        except (EstateFlowError, LookupError, ValueError, TypeError):
            log.exception("firing case %s of estate %s failed", case_id, estate_id)
            failed += 1
            continue
        if count is None:
            skipped += 1
        elif count:
            fired += count
            cases += 1
            if on_fired is not None:
                on_fired(count)
    return FireRound(due=len(due), fired=fired, cases=cases, skipped=skipped, failed=failed)


async def next_due_moment(services: Services) -> datetime | None:
    """The earliest moment any open case falls due, for the worker's sleep."""
    async with services.store.unit_of_work(writes=False) as uow:
        first = await uow.due_cases(_END_OF_TIME, 1)
        if not first:
            return None
        row = await uow.load_case(*first[0])
    return engine.next_due_at(engine.case_from_dict(row.state))


# -- notifications ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Notification:
    """One outbox row: tell the holders of ``role`` about a case."""

    key: str
    """The idempotency key: the same notification always carries the same key."""
    estate_id: str
    case_id: str | None
    kind: str
    payload: Mapping[str, Any]
    """``role``, ``reason``, ``task_id``, ``number`` and ``procedure``."""
    attempts: int = 0

    @property
    def role(self) -> str | None:
        return self.payload.get("role")


class Sender(Protocol):
    """Delivers notifications. Raising leaves the notification queued for the next round;
    returning means it is delivered (or there is nobody to deliver it to)."""

    async def send(self, notification: Notification) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class SendRound:
    sent: int
    failed: int


#: The wait after a notification's first failed send; it doubles with each failure
#: up to :data:`RETRY_LONGEST`, so a mail server that is down for a day is tried hourly
#: and a notification that keeps failing never holds up the rest of the queue.
RETRY_FIRST = timedelta(minutes=1)
RETRY_LONGEST = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed send (1 for the first)."""
    return min(RETRY_FIRST * 2 ** min(max(attempts - 1, 0), 16), RETRY_LONGEST)


async def send_notifications(services: Services, sender: Sender, *, limit: int = 100) -> SendRound:
    """Send up to ``limit`` queued notifications that are due for a try, at least once
    each; a failed one waits :func:`retry_delay` before its next try.

    PostgreSQL: claim, send and mark in one unit of work, the rows locked with ``SKIP
    LOCKED`` so that several workers share the queue. SQLite: read, send, then mark in a
    short write, so a slow mail server never holds the one writer that every act needs.
    """
    now = services.clock()
    if services.store.kind == "postgres":
        async with services.store.unit_of_work(writes=True) as uow:
            rows = await uow.pending_notifications(now, limit, lock=True)
            sent, failed = await _deliver(sender, rows)
            _mark(uow, sent, failed, now)
    else:
        async with services.store.unit_of_work(writes=False) as uow:
            rows = await uow.pending_notifications(now, limit)
        sent, failed = await _deliver(sender, rows)
        if sent or failed:
            async with services.store.unit_of_work(writes=True) as uow:
                _mark(uow, sent, failed, now)
    return SendRound(sent=len(sent), failed=len(failed))


def _mark(
    uow: UnitOfWork, sent: list[str], failed: list[tuple[Notification, str]], now: datetime
) -> None:
    for key in sent:
        uow.mark_sent(key, now)
    for note, error in failed:
        uow.mark_failed(note.key, retry_at=now + retry_delay(note.attempts + 1), error=error)


async def _deliver(
    sender: Sender, rows: list[Mapping[str, Any]]
) -> tuple[list[str], list[tuple[Notification, str]]]:
    sent: list[str] = []
    failed: list[tuple[Notification, str]] = []
    for row in rows:
        note = Notification(
            key=row["key"],
            estate_id=row["estate_id"],
            case_id=row["case_id"],
            kind=row["kind"],
            payload=row["payload"],
            attempts=int(row["attempts"] or 0),
        )
        try:
            await sender.send(note)
        except Exception as exc:  # a sender's failure is one notification's, not the batch's
            log.warning(
                "sending notification %s failed (try %d); it stays queued",
                note.key,
                note.attempts + 1,
                exc_info=True,
            )
            failed.append((note, f"{type(exc).__name__}: {exc}"))
            continue
        sent.append(note.key)
    return sent, failed


# -- moving running cases to another bundle ---------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class CaseMigration:
    case_id: str
    number: str
    from_bundle: str
    plan: engine.MigrationPlan
    moved: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class MigrationReport:
    estate_id: str
    procedure: str
    to_bundle: str
    cases: tuple[CaseMigration, ...]
    problems: tuple[str, ...]
    """Problems of the mapping itself, whatever the cases."""
    dry_run: bool

    @property
    def ok(self) -> bool:
        return not self.problems and all(c.plan.ok for c in self.cases)

    @property
    def moved(self) -> int:
        return sum(1 for c in self.cases if c.moved)


async def migrate_cases(
    services: Services,
    estate_id: str,
    procedure: str,
    to: str,
    mapping: Mapping[str, str] | None = None,
    *,
    dry_run: bool = False,
    actor: Actor = SYSTEM,
) -> MigrationReport:
    """Move the running cases of ``procedure`` in an estate to bundle ``to`` (a hash, a
    unique prefix of one, or ``published``), renaming task steps by ``mapping``.

    Every case is checked first; if any would leave a task on a step the new bundle does
    not have, nothing is written and the report says why. Otherwise each case moves in
    its own unit of work, with a ``CaseMigrated`` event on its chain.
    """
    mapping = dict(mapping or {})
    async with services.store.unit_of_work(writes=False) as uow:
        target = await _resolve_bundle(uow, estate_id, to)
        new_bundle = await services._bundle(uow, target)
        if new_bundle.estate.id != estate_id:
            raise NotFound(f"bundle {target[:12]} is not a bundle of estate '{estate_id}'")
        running = await uow.running_cases(estate_id, procedure, not_on=target)
        old_bundles = {d: await services._bundle(uow, d) for d in {r.bundle_hash for r in running}}
    problems = _mapping_problems(procedure, mapping, new_bundle, list(old_bundles.values()))
    plans = tuple(
        CaseMigration(
            case_id=row.id,
            number=row.number,
            from_bundle=row.bundle_hash,
            plan=engine.plan_migration(
                old_bundles[row.bundle_hash], new_bundle, engine.case_from_dict(row.state), mapping
            ),
        )
        for row in running
    )
    report = MigrationReport(
        estate_id=estate_id,
        procedure=procedure,
        to_bundle=target,
        cases=plans,
        problems=tuple(problems),
        dry_run=dry_run,
    )
    if dry_run or not report.ok:
        return report
    moved = []
    for item in plans:
        done = await _move_case(services, estate_id, item, target, new_bundle, mapping, actor)
        moved.append(replace(item, moved=done))
    return replace(report, cases=tuple(moved))


async def _move_case(
    services: Services,
    estate_id: str,
    item: CaseMigration,
    target: str,
    new_bundle: Bundle,
    mapping: Mapping[str, str],
    actor: Actor,
) -> bool:
    """One case in one unit of work; False when it closed or moved since it was checked."""
    async with services.store.unit_of_work(writes=True) as uow:
        row = await uow.lock_case(estate_id, item.case_id)
        if row is None or row.status != "open" or row.bundle_hash != item.from_bundle:
            return False
        work = _Work(services, uow, Context(now=services.clock()))
        touched = await work.load(estate_id, item.case_id)
        decision = engine.migrate(
            touched.bundle,
            new_bundle,
            touched.case,
            mapping,
            work.ctx,
            from_bundle=item.from_bundle,
            to_bundle=target,
            actor=actor,
        )
        work.apply(item.case_id, decision)
        # From here on the case is the new bundle's: its tasks are saved against it.
        touched.bundle, touched.bundle_hash = new_bundle, target
        await work.save()
        uow.move_case_bundle(item.case_id, item.from_bundle, target)
    return True


async def _resolve_bundle(uow: UnitOfWork, estate_id: str, wanted: str) -> str:
    """A full hash, ``published``, or a unique prefix of the published bundle or of one
    that running cases of the estate use."""
    published = await uow.published(estate_id)
    if wanted == "published":
        return published
    if len(wanted) == 64 and await uow.has_bundle(wanted):
        return wanted
    known = {published}
    for case_id, _, _ in await uow.case_ids(estate_id):
        known.add((await uow.load_case(estate_id, case_id)).bundle_hash)
    matches = sorted(h for h in known if h.startswith(wanted.lower()))
    if not matches:
        raise NotFound(
            f"no bundle '{wanted}' in estate '{estate_id}': give 'published', a full hash, "
            "or a prefix of the published bundle or of one that cases use"
        )
    if len(matches) > 1:
        raise NotAllowed(
            f"'{wanted}' is the start of {len(matches)} bundles: "
            + ", ".join(h[:12] for h in matches)
        )
    return matches[0]


def _mapping_problems(
    procedure: str, mapping: Mapping[str, str], new: Bundle, olds: list[Bundle]
) -> list[str]:
    new_proc = new.procedures.get(procedure)
    if new_proc is None:
        return [f"procedure '{procedure}' is not in the new bundle"]
    problems = []
    old_steps = {
        s for b in olds if procedure in b.procedures for s in b.procedures[procedure].steps
    }
    for old, target in sorted(mapping.items()):
        if olds and old not in old_steps:
            problems.append(f"--map {old}={target}: '{old}' is not a step of '{procedure}'")
        if target not in new_proc.steps:
            problems.append(
                f"--map {old}={target}: '{target}' is not a step of '{procedure}' in the new bundle"
            )
    return problems
