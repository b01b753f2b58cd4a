"""Use cases: each opens one unit of work, runs the engine, and saves what happened.

A decision can reach beyond its case: a spawn step starts a child case, and a child that
ends moves its parent on. All of it is settled in memory first and then written in the
same transaction, so either everything of an act lands or nothing does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from estateflow import engine
from estateflow.definitions import Bundle, load_bundle
from estateflow.engine import Actor, CaseState, Context, Event
from estateflow.errors import Conflict, NotFound
from estateflow.rules import RegisterView
from estateflow.services._bundles import bundle_hash, compile_sources
from estateflow.services._views import CaseView, TaskView, case_view, task_view
from estateflow.store import CaseRow, NewEvent, Store, UnitOfWork, verify_chain

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Touched:
    """A case changed in this unit of work, with the events not yet written."""

    bundle_hash: str
    bundle: Bundle
    case: CaseState
    row: CaseRow | None
    """None for a case started in this unit of work."""
    estate_id: str
    events: list[Event] = field(default_factory=list)
    settled: int = 0
    """How many of ``events`` have had their consequences worked out."""


class Services:
    """Everything the web app, the worker and the CLI may ask of EstateFlow."""

    def __init__(self, store: Store, *, clock: Clock = system_clock) -> None:
        self.store = store
        self.clock = clock
        self._bundles: dict[str, Bundle] = {}

    # -- bundles -----------------------------------------------------------------------
    async def publish_estate(self, estate_dir: str | Path, *, by: str = "system") -> str:
        """Compile an estate folder and make it what new cases of that estate use.

        Raises DefinitionError (with every diagnostic) and changes nothing when the
        definitions are wrong: a broken file never replaces the last good bundle.
        """
        bundle = load_bundle(estate_dir)
        sources = dict(bundle.sources)
        digest = bundle_hash(sources)
        estate = bundle.estate
        now = self.clock()
        async with self.store.unit_of_work(writes=True) as uow:
            uow.ensure_estate(estate.id, estate.name.get(estate.locale) or estate.id, now)
            uow.save_bundle(
                bundle_hash=digest,
                estate_id=estate.id,
                estate_path=estate.path,
                sources=sources,
                at=now,
            )
            uow.publish(estate.id, digest, by=by, at=now)
        self._bundles[digest] = bundle
        return digest

    async def _bundle(self, uow: UnitOfWork, digest: str) -> Bundle:
        bundle = self._bundles.get(digest)
        if bundle is None:
            estate_path, sources = await uow.bundle_sources(digest)
            bundle = compile_sources(estate_path, sources)
            self._bundles[digest] = bundle
        return bundle

    async def published_bundle(self, estate_id: str) -> Bundle:
        async with self.store.unit_of_work(writes=False) as uow:
            return await self._bundle(uow, await uow.published(estate_id, self.clock()))

    # -- people ------------------------------------------------------------------------
    async def actor(self, estate_id: str, username: str) -> Actor:
        """The user with their roles in this estate; NotFound when not a member."""
        async with self.store.unit_of_work(writes=False) as uow:
            user = await uow.user(username)
            member = await uow.membership(username, estate_id)
        if user is None or member is None or user["disabled"]:
            raise NotFound(f"'{username}' is not a member of estate '{estate_id}'")
        return Actor(username=username, name=user["name"], roles=frozenset(member["roles"]))

    async def add_user(self, username: str, name: str, password_hash: str = "") -> None:
        async with self.store.unit_of_work(writes=True) as uow:
            uow.upsert_user(username, name, password_hash, self.clock())

    async def grant(
        self,
        username: str,
        estate_id: str,
        roles: list[str],
        *,
        shifts: Mapping[str, str] | None = None,
        building: str = "",
    ) -> None:
        async with self.store.unit_of_work(writes=True) as uow:
            if await uow.user(username) is None:
                raise NotFound(f"no user '{username}'")
            uow.grant(username, estate_id, roles, shifts, building)

    async def add_register_rows(
        self, estate_id: str, register: str, rows: list[Mapping[str, Any]]
    ) -> None:
        now = self.clock()
        async with self.store.unit_of_work(writes=True) as uow:
            for row in rows:
                uow.add_register_row(estate_id, register, row, now)

    # -- context -----------------------------------------------------------------------
    async def _context(
        self, uow: UnitOfWork, bundle: Bundle, procedure: str, now: datetime
    ) -> Context:
        proc = bundle.procedures.get(procedure)
        if proc is None:
            raise NotFound(f"procedure '{procedure}' is not used in this estate")
        names = set(proc.registers)
        rows = await uow.register_rows(bundle.estate.id, names) if names else {}
        registers = {n: RegisterView(rows.get(n, []), name=n) for n in sorted(names)}
        roster: engine.Roster = engine.NoRoster()
        if _needs_roster(bundle):
            roster = await self._roster(uow, bundle)
        calendars = {k: c.calendar for k, c in bundle.estate.calendars.items() if c.calendar}
        return Context(now=now, calendars=calendars, roster=roster, registers=registers)

    async def _roster(self, uow: UnitOfWork, bundle: Bundle) -> engine.ShiftRoster:
        duty: dict[tuple[str, str], str] = {}
        teams: dict[tuple[str, str], str] = {}
        for member in await uow.staff(bundle.estate.id):
            for role, shift in member["shifts"].items():
                duty.setdefault((role, shift), member["user_id"])
            if member["building"]:
                for role in member["roles"]:
                    teams.setdefault((role, member["building"]), member["user_id"])
        return engine.ShiftRoster(estate=bundle.estate, duty=duty, teams=teams)

    # -- use cases ---------------------------------------------------------------------
    async def start_case(
        self, estate_id: str, procedure: str, form: Mapping[str, Any] | None, *, actor: Actor
    ) -> CaseView:
        now = self.clock()
        async with self.store.unit_of_work(writes=True) as uow:
            digest = await uow.published(estate_id, now)
            bundle = await self._bundle(uow, digest)
            ctx = await self._context(uow, bundle, procedure, now)
            work = _Work(self, uow, ctx)
            case_id = await work.start(digest, bundle, procedure, actor, form)
            await work.settle()
            await work.save()
            return case_view(bundle, work.touched[case_id].case, actor, ctx)

    async def take_action(
        self,
        estate_id: str,
        case_id: str,
        task_id: str,
        action: str,
        form: Mapping[str, Any] | None,
        *,
        actor: Actor,
        expected_version: int | None = None,
    ) -> CaseView:
        """Act on a task. ``expected_version`` is the version the user's page showed:
        if the case has moved on since, nothing happens and Conflict says so."""
        return await self._decide(
            estate_id,
            case_id,
            actor,
            expected_version,
            lambda b, c, ctx: engine.act(b, c, task_id, action, actor, form, ctx),
        )

    async def claim_task(
        self, estate_id: str, case_id: str, task_id: str, *, actor: Actor
    ) -> CaseView:
        return await self._decide(
            estate_id,
            case_id,
            actor,
            None,
            lambda b, c, ctx: engine.claim(b, c, task_id, actor, ctx),
        )

    async def reassign_task(
        self,
        estate_id: str,
        case_id: str,
        task_id: str,
        *,
        actor: Actor,
        assignee: str | None = None,
        role: str | None = None,
    ) -> CaseView:
        return await self._decide(
            estate_id,
            case_id,
            actor,
            None,
            lambda b, c, ctx: engine.reassign(
                b, c, task_id, actor, ctx, assignee=assignee, role=role
            ),
        )

    async def pause_case(self, estate_id: str, case_id: str, *, actor: Actor) -> CaseView:
        return await self._decide(
            estate_id, case_id, actor, None, lambda b, c, ctx: engine.pause(b, c, actor, ctx)
        )

    async def resume_case(self, estate_id: str, case_id: str, *, actor: Actor) -> CaseView:
        return await self._decide(
            estate_id, case_id, actor, None, lambda b, c, ctx: engine.resume(b, c, actor, ctx)
        )

    async def _decide(
        self,
        estate_id: str,
        case_id: str,
        actor: Actor,
        expected_version: int | None,
        decide: Callable[..., engine.Decision],
    ) -> CaseView:
        now = self.clock()
        async with self.store.unit_of_work(writes=True) as uow:
            work = _Work(self, uow, None)
            touched = await work.load(estate_id, case_id)
            if expected_version is not None and touched.case.version != expected_version:
                raise Conflict(f"case {touched.case.number} changed since you opened it")
            ctx = await self._context(uow, touched.bundle, touched.case.procedure, now)
            work.ctx = ctx
            work.apply(case_id, decide(touched.bundle, touched.case, ctx))
            await work.settle()
            await work.save()
            return case_view(touched.bundle, work.touched[case_id].case, actor, ctx)

    async def fire_due(self, *, now: datetime | None = None, limit: int = 100) -> int:
        """Fire what is due (warnings, deadlines, timers, handovers); returns how many
        things fired. Each case fires in its own unit of work, so a crash loses nothing
        and fires nothing twice: a firing and its effects are written together."""
        now = now or self.clock()
        async with self.store.unit_of_work(writes=False) as uow:
            due = await uow.due_cases(now, limit)
        fired = 0
        for estate_id, case_id in due:
            try:
                fired += await self._fire_case(estate_id, case_id, now) or 0
            except Conflict:
                continue  # another worker got there first: its firing stands
        return fired

    async def _fire_case(self, estate_id: str, case_id: str, now: datetime) -> int | None:
        """Fire what is due on one case; None when another worker holds it (PostgreSQL
        SKIP LOCKED), and cheap when another worker fired it since the due list was read."""
        async with self.store.unit_of_work(writes=True) as uow:
            row = await uow.lock_case(estate_id, case_id)
            if row is None:
                return None
            moment = engine.next_due_at(engine.case_from_dict(row.state))
            if moment is None or moment > now:
                return 0
            work = _Work(self, uow, None)
            touched = await work.load(estate_id, case_id)
            work.ctx = await self._context(uow, touched.bundle, touched.case.procedure, now)
            count = 0
            for item in engine.due(touched.bundle, touched.case, work.ctx):
                current = work.touched[case_id]
                work.apply(case_id, engine.fire(current.bundle, current.case, item, work.ctx))
                count += 1
            await work.settle()
            await work.save()
            return count

    # -- reading -----------------------------------------------------------------------
    async def get_case(self, estate_id: str, case_id: str, *, actor: Actor) -> CaseView:
        now = self.clock()
        async with self.store.unit_of_work(writes=False) as uow:
            row = await uow.load_case(estate_id, case_id)
            bundle = await self._bundle(uow, row.bundle_hash)
            case = engine.case_from_dict(row.state)
            ctx = await self._context(uow, bundle, case.procedure, now)
            return case_view(bundle, case, actor, ctx)

    async def form_env(
        self, estate_id: str, procedure: str | None, *, actor: Actor, case_id: str | None = None
    ) -> tuple[Bundle, str, dict[str, Any]]:
        """The bundle, procedure and expression names of a form being filled, for the
        live re-evaluation of ``show_if``, ``required_if`` and ``compute``."""
        now = self.clock()
        async with self.store.unit_of_work(writes=False) as uow:
            case = None
            if case_id:
                row = await uow.load_case(estate_id, case_id)
                bundle = await self._bundle(uow, row.bundle_hash)
                case = engine.case_from_dict(row.state)
                procedure = case.procedure
            else:
                bundle = await self._bundle(uow, await uow.published(estate_id, now))
            if procedure is None:
                raise NotFound("no procedure given")
            ctx = await self._context(uow, bundle, procedure, now)
        return bundle, procedure, engine.form_env(bundle, case, procedure, actor, ctx)

    async def case_events(self, estate_id: str, case_id: str) -> list[engine.Event]:
        async with self.store.unit_of_work(writes=False) as uow:
            await uow.load_case(estate_id, case_id)  # NotFound for another estate's case
            return [
                engine.Event(type=e.type, at=e.at, actor=e.actor, payload=e.payload)
                for e in await uow.events(case_id)
            ]

    async def inbox(self, estate_id: str, *, actor: Actor) -> list[TaskView]:
        async with self.store.unit_of_work(writes=False) as uow:
            rows = await uow.open_tasks(estate_id, roles=actor.roles, username=actor.username)
            bundle = await self._bundle(uow, await uow.published(estate_id, self.clock()))
        return [task_view(bundle, row) for row in rows]

    async def audit_verify(self, estate_id: str | None = None) -> list[str]:
        """Every problem in the event logs; an empty list means they all verify."""
        problems: list[str] = []
        async with self.store.unit_of_work(writes=False) as uow:
            for case_id, version, head in await uow.case_ids(estate_id):
                problems += verify_chain(case_id, version, head, await uow.raw_events(case_id))
        return problems

    async def erase_payloads(self, estate_id: str, case_id: str) -> int:
        """Replace every event payload of a case by a tombstone (privacy erasure)."""
        async with self.store.unit_of_work(writes=True) as uow:
            await uow.load_case(estate_id, case_id)
            events = await uow.events(case_id)
            for event in events:
                uow.erase_payload(case_id, event.seq)
        return len(events)


class _Work:
    """The cases one unit of work touches, settled and saved together."""

    def __init__(self, services: Services, uow: UnitOfWork, ctx: Context | None) -> None:
        self.services = services
        self.uow = uow
        self.ctx = ctx
        self.touched: dict[str, _Touched] = {}

    async def load(self, estate_id: str, case_id: str) -> _Touched:
        if case_id not in self.touched:
            row = await self.uow.load_case(estate_id, case_id)
            bundle = await self.services._bundle(self.uow, row.bundle_hash)
            self.touched[case_id] = _Touched(
                bundle_hash=row.bundle_hash,
                bundle=bundle,
                row=row,
                estate_id=estate_id,
                case=engine.case_from_dict(row.state),
            )
        return self.touched[case_id]

    def apply(self, case_id: str, decision: engine.Decision) -> None:
        touched = self.touched[case_id]
        touched.case = decision[0]
        touched.events.extend(decision[1])

    async def start(
        self,
        digest: str,
        bundle: Bundle,
        procedure: str,
        actor: Actor,
        form: Mapping[str, Any] | None,
        *,
        parent: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> str:
        assert self.ctx is not None
        proc = bundle.procedures.get(procedure)
        if proc is None:
            raise NotFound(f"procedure '{procedure}' is not used in this estate")
        estate = bundle.estate
        year = self.ctx.now.astimezone(ZoneInfo(estate.timezone)).year
        serial = await self.uow.next_number(estate.id, proc.number_prefix, year)
        number = f"{proc.number_prefix}-{year}-{serial:06d}"
        case_id = uuid.uuid4().hex
        decision = engine.start(
            bundle,
            procedure,
            actor,
            form,
            self.ctx,
            case_id=case_id,
            number=number,
            parent=parent,
            data=data,
        )
        self.touched[case_id] = _Touched(
            bundle_hash=digest,
            bundle=bundle,
            case=decision[0],
            row=None,
            estate_id=estate.id,
            events=list(decision[1]),
        )
        return case_id

    async def settle(self) -> None:
        """Start requested children and move waiting parents on, until nothing is left."""
        assert self.ctx is not None
        progress = True
        while progress:
            progress = False
            for case_id, touched in list(self.touched.items()):
                while touched.settled < len(touched.events):
                    event = touched.events[touched.settled]
                    touched.settled += 1
                    progress = True
                    await self._consequence(case_id, touched, event)

    async def _consequence(self, case_id: str, touched: _Touched, event: Event) -> None:
        assert self.ctx is not None
        if event.type == "ChildRequested":
            child = await self.start(
                touched.bundle_hash,
                touched.bundle,
                event.payload["procedure"],
                engine.SYSTEM,
                None,
                parent=f"{case_id}/{event.payload['task_id']}",
                data=event.payload["data"],
            )
            self.apply(
                case_id,
                engine.child_started(
                    touched.bundle, touched.case, event.payload["task_id"], child, self.ctx
                ),
            )
        elif event.type == "CaseClosed" and event.payload.get("parent"):
            parent_id, task_id = event.payload["parent"].split("/", 1)
            parent = await self.load(touched.estate_id, parent_id)
            self.apply(
                parent_id,
                engine.child_finished(
                    parent.bundle, parent.case, task_id, event.payload["outcome"], self.ctx
                ),
            )

    async def save(self) -> None:
        assert self.ctx is not None
        for case_id, touched in self.touched.items():
            if not touched.events:
                continue
            case = touched.case
            if touched.row is None:
                self.uow.insert_case(
                    case_id=case_id,
                    estate_id=touched.estate_id,
                    bundle_hash=touched.bundle_hash,
                    procedure=case.procedure,
                    number=case.number,
                    opened_at=case.opened_at,
                    parent_id=(case.parent or "").split("/")[0] or None,
                    unit=str(case.data.get("unit") or ""),
                )
            version = touched.row.version if touched.row else 0
            head = touched.row.chain_head if touched.row else "0" * 64
            state = engine.case_to_dict(case)
            steps = touched.bundle.procedures[case.procedure].steps
            tasks = [
                {**task, "roles": _acting_roles(steps[task["step"]])}
                for task in state["tasks"]
                if task["status"] in ("open", "waiting")
            ]
            new = [
                NewEvent(
                    at=e.at, actor=e.actor, type=e.type, payload=engine.event_to_dict(e)["payload"]
                )
                for e in touched.events
            ]
            self.uow.save_case(
                case_id=case_id,
                expected_version=version,
                state=state,
                events=new,
                chain_head=head,
                tasks=tasks,
                estate_id=touched.estate_id,
                next_due_at=engine.next_due_at(case),
            )
            for seq, event in enumerate(touched.events, start=version + 1):
                await self._effect(touched.estate_id, case, seq, event)

    async def _effect(self, estate_id: str, case: CaseState, seq: int, event: Event) -> None:
        if event.type == "RegisterChanged":
            await self.uow.change_register(estate_id, event.payload, case_id=case.id, at=event.at)
        elif event.type == "Notified":
            task_id = event.payload.get("task_id")
            task = case.task(task_id) if task_id else None
            for role in event.payload.get("roles", ()):
                self.uow.queue(
                    key=f"{case.id}:{seq}:{role}",
                    estate_id=estate_id,
                    case_id=case.id,
                    kind="notify",
                    at=event.at,
                    payload={
                        "role": role,
                        "reason": event.payload.get("reason"),
                        "task_id": task_id,
                        "step": task.step if task else None,
                        "number": case.number,
                        "procedure": case.procedure,
                    },
                )


def _acting_roles(step: Any) -> list[str]:
    """Every role that may act on a task of ``step``: its own and its actions'."""
    roles = {step.role} if step.role else set()
    for action in step.actions.values():
        roles.update(action.roles)
    return sorted(roles)


_ROSTER_NEEDED: dict[int, bool] = {}


def _needs_roster(bundle: Bundle) -> bool:
    """Whether any step of the bundle assigns by shift or building (cached per bundle)."""
    known = _ROSTER_NEEDED.get(id(bundle))
    if known is None:
        known = _ROSTER_NEEDED[id(bundle)] = _scan_roster(bundle)
    return known


def _scan_roster(bundle: Bundle) -> bool:
    for proc in bundle.procedures.values():
        for step in proc.steps.values():
            if step.assignee is not None and step.assignee.kind in ("shift", "building"):
                return True
            if step.due and step.due.escalate and step.due.escalate.reassign:
                return True
    return False
