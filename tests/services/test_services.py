"""Use cases through the store, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from estateflow import engine
from estateflow.errors import Conflict, DefinitionError, Invalid, NotFound
from estateflow.services import Services
from estateflow.store import loads
from tests.services.conftest import SUNSHINE, who

pytestmark = pytest.mark.anyio

INTAKE = {
    "unit": "T1-12A",
    "complainant": "陳國棟",
    "relation": "owner",
    "phone": "+852 9123 4567",
    "channel": "phone",
    "received_at": "2026-09-24T10:00",
    "severity": "major",
    "summary": "走廊燈壞了三天",
}


async def complaint(services: Services) -> str:
    view = await services.start_case("sunshine", "complaint", INTAKE, actor=who("wychan"))
    return view.id


async def test_start_numbers_and_stores_the_case(services):
    view = await services.start_case("sunshine", "complaint", INTAKE, actor=who("wychan"))
    assert view.number == "TS-2026-000001"
    assert [t.step for t in view.tasks] == ["forward"]
    again = await services.get_case("sunshine", view.id, actor=who("kflee"))
    assert again.state == view.state
    assert {a.action for a in again.actions} == {"dispatch"}


async def test_case_numbers_are_gap_free_under_concurrency(services):
    views = await asyncio.gather(
        *[
            services.start_case("sunshine", "complaint", INTAKE, actor=who("wychan"))
            for _ in range(12)
        ]
    )
    numbers = sorted(int(v.number.rsplit("-", 1)[1]) for v in views)
    assert numbers == list(range(1, 13))


async def test_acting_writes_events_that_rebuild_the_case(services, clock):
    case_id = await complaint(services)
    clock.advance(minutes=5)
    view = await services.get_case("sunshine", case_id, actor=who("kflee"))
    [task] = view.tasks
    after = await services.take_action(
        "sunshine",
        case_id,
        task.task_id,
        "dispatch",
        {"department": "engineering"},
        actor=who("kflee"),
        expected_version=view.version,
    )
    assert sorted(t.step for t in after.tasks) == ["investigate", "report_major"]
    events = await services.case_events("sunshine", case_id)
    assert len(events) == after.version
    assert engine.replay(events) == after.state
    assert await services.audit_verify() == []


async def test_a_stale_form_is_a_conflict_and_writes_nothing(services):
    case_id = await complaint(services)
    view = await services.get_case("sunshine", case_id, actor=who("kflee"))
    [task] = view.tasks
    await services.take_action(
        "sunshine",
        case_id,
        task.task_id,
        "dispatch",
        {"department": "engineering"},
        actor=who("kflee"),
        expected_version=view.version,
    )
    with pytest.raises(Conflict):
        await services.take_action(
            "sunshine",
            case_id,
            task.task_id,
            "dispatch",
            {"department": "security"},
            actor=who("kflee"),
            expected_version=view.version,
        )
    events = await services.case_events("sunshine", case_id)
    assert [e.type for e in events].count("ActionTaken") == 1


async def test_two_acts_on_one_task_at_once_one_wins(services):
    case_id = await complaint(services)
    view = await services.get_case("sunshine", case_id, actor=who("kflee"))
    [task] = view.tasks

    async def act(department):
        return await services.take_action(
            "sunshine",
            case_id,
            task.task_id,
            "dispatch",
            {"department": department},
            actor=who("kflee"),
        )

    results = await asyncio.gather(act("engineering"), act("security"), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["CaseView", "Conflict"]
    events = await services.case_events("sunshine", case_id)
    assert [e.type for e in events].count("ActionTaken") == 1
    assert await services.audit_verify() == []


async def test_invalid_form_writes_nothing(services):
    case_id = await complaint(services)
    view = await services.get_case("sunshine", case_id, actor=who("kflee"))
    with pytest.raises(Invalid) as caught:
        await services.take_action(
            "sunshine",
            case_id,
            view.tasks[0].task_id,
            "dispatch",
            {"department": "nowhere"},
            actor=who("kflee"),
        )
    assert "department" in caught.value.errors
    assert (
        await services.get_case("sunshine", case_id, actor=who("kflee"))
    ).version == view.version


async def test_another_estates_case_is_not_found(services):
    case_id = await complaint(services)
    with pytest.raises(NotFound):
        await services.get_case("other-estate", case_id, actor=who("kflee"))
    with pytest.raises(NotFound):
        await services.take_action(
            "other-estate", case_id, "forward-1", "dispatch", {}, actor=who("kflee")
        )


async def test_deadlines_fire_once_through_the_outbox(services, clock):
    case_id = await complaint(services)
    clock.advance(minutes=11)
    first = await services.fire_due()
    second = await services.fire_due()
    assert (first, second) == (2, 0)  # the 5-minute warning and the 10-minute deadline
    events = await services.case_events("sunshine", case_id)
    assert [e.type for e in events].count("DeadlineMissed") == 1
    async with services.store.unit_of_work(writes=False) as uow:
        pending = await uow.pending_notifications(clock())
    roles = sorted(row["payload"]["role"] for row in pending)
    assert roles == ["cs_supervisor", "front_desk"]


async def test_spawned_child_is_started_in_the_same_unit_of_work(services):
    case_id = await complaint(services)
    view = await services.get_case("sunshine", case_id, actor=who("kflee"))
    view = await services.take_action(
        "sunshine",
        case_id,
        view.tasks[0].task_id,
        "dispatch",
        {"department": "engineering"},
        actor=who("kflee"),
    )
    report = next(t for t in view.tasks if t.step == "report_major")
    await services.take_action(
        "sunshine", case_id, report.task_id, "reported", None, actor=who("ymho")
    )
    view = await services.get_case("sunshine", case_id, actor=who("hwong"))
    investigate = next(t for t in view.tasks if t.step == "investigate")
    view = await services.take_action(
        "sunshine",
        case_id,
        investigate.task_id,
        "done",
        {
            "findings": "燈管損壞",
            "valid": "on",
            "verified_by": "hwong",
            "scope": "ours",
            "measures": "更換燈管",
            "needs_repair": "on",
        },
        actor=who("hwong"),
    )
    inform = next(t for t in view.tasks if t.step == "inform")
    view = await services.take_action(
        "sunshine",
        case_id,
        inform.task_id,
        "informed",
        {
            "informed_at": "2026-09-24T10:40",
            "method": "phone",
            "content": "今日內維修",
        },
        actor=who("wychan"),
    )
    assert [t.step for t in view.tasks] == ["fix"]
    child_id = view.tasks[0] and view.state.tasks[-1].child
    child = await services.get_case("sunshine", child_id, actor=who("kflee"))
    assert child.procedure == "repair"
    assert child.number == "WX-2026-000001"
    assert child.parent == f"{case_id}/{view.tasks[0].task_id}"
    assert await services.audit_verify() == []


async def test_register_rows_feed_the_fee_and_receive_issued_cards(services):
    await services.add_register_rows(
        "sunshine",
        "members",
        [
            {"unit": "T1-3A", "name": "甲"},
            {"unit": "T1-3A", "name": "乙"},
        ],
    )
    view = await services.start_case(
        "sunshine",
        "owner-card",
        {"unit": "T1-3A", "occasion": "additional", "cards": "8"},
        actor=who("lmyip"),
    )
    assert view.data["fee"] == Decimal("100")
    prepare = view.tasks[0]
    view = await services.take_action(
        "sunshine",
        view.id,
        prepare.task_id,
        "prepared",
        {"card_numbers": "1-8"},
        actor=who("lmyip"),
    )
    await services.take_action(
        "sunshine",
        view.id,
        view.tasks[0].task_id,
        "handed_over",
        {
            "handed_at": "2026-09-24T11:00",
            "members_reported": "2",
            "receipt_no": "R-1",
            "owner_signature": {"typed": "甲"},
        },
        actor=who("lmyip"),
    )
    async with services.store.unit_of_work(writes=False) as uow:
        rows = await uow.register_rows("sunshine", ["cards"])
    assert len([r for r in rows["cards"] if r["unit"] == "T1-3A"]) == 8


async def test_stored_bundle_compiles_again_to_the_same_bundle(services, clock):
    case_id = await complaint(services)
    fresh = Services(services.store, clock=clock)  # an empty cache: another process
    view = await fresh.get_case("sunshine", case_id, actor=who("kflee"))
    assert view.number == "TS-2026-000001"
    assert {a.action for a in view.actions} == {"dispatch"}


async def test_a_broken_definition_never_replaces_the_published_bundle(services, tmp_path):
    import shutil

    from tests.conftest import REPO

    for part in ("procedures", "forms", "examples"):
        shutil.copytree(REPO / part, tmp_path / part)
    broken = tmp_path / "procedures" / "complaint.yaml"
    broken.write_text(
        broken.read_text(encoding="utf-8").replace("to: callback", "to: calback"), encoding="utf-8"
    )
    async with services.store.unit_of_work(writes=False) as uow:
        before = await uow.published("sunshine")
    with pytest.raises(DefinitionError):
        await services.publish_estate(tmp_path / "examples" / "sunshine")
    async with services.store.unit_of_work(writes=False) as uow:
        assert await uow.published("sunshine") == before


async def test_audit_detects_edits_deletions_and_reordering(services, clock):
    case_id = await complaint(services)
    clock.advance(minutes=11)
    await services.fire_due()
    assert await services.audit_verify() == []
    store = services.store
    async with store.unit_of_work(writes=True) as uow:
        row = await uow.tx.fetchrow(
            'SELECT "payload" FROM "events" WHERE "case_id" = $1 AND "seq" = 1', case_id
        )
        payload = loads(row["payload"])
        payload["number"] = "TS-2026-999999"
        from estateflow.store import dumps

        await uow.tx.execute(
            'UPDATE "events" SET "payload" = $1 WHERE "case_id" = $2 AND "seq" = 1',
            dumps(payload),
            case_id,
        )
    problems = await services.audit_verify()
    assert any("event 1 was changed" in p for p in problems)


async def test_audit_detects_a_deleted_last_event(services, clock):
    case_id = await complaint(services)
    async with services.store.unit_of_work(writes=True) as uow:
        last = await uow.tx.fetchval(
            'SELECT max("seq") FROM "events" WHERE "case_id" = $1', case_id
        )
        await uow.tx.execute(
            'DELETE FROM "events" WHERE "case_id" = $1 AND "seq" = $2', case_id, last
        )
    problems = await services.audit_verify()
    assert any("the log holds" in p for p in problems)


async def test_erasing_payloads_keeps_the_chain_verifiable(services):
    case_id = await complaint(services)
    erased = await services.erase_payloads("sunshine", case_id)
    assert erased > 0
    events = await services.case_events("sunshine", case_id)
    assert all(e.payload == {"erased": True} for e in events)
    assert await services.audit_verify() == []


async def test_unknown_estate_cannot_start_cases(services):
    with pytest.raises(NotFound):
        await services.start_case("nowhere", "complaint", INTAKE, actor=who("wychan"))
    assert SUNSHINE.exists()


async def test_audit_detects_reordered_events(services):
    case_id = await complaint(services)
    async with services.store.unit_of_work(writes=True) as uow:
        # Swap events 2 and 3 (through a free number, since (case, seq) is unique).
        for old, new in ((2, 999), (3, 2), (999, 3)):
            await uow.tx.execute('UPDATE "events" SET "seq" = $1 WHERE "case_id" = $2 '
                                 'AND "seq" = $3', new, case_id, old)
    problems = await services.audit_verify()
    assert any("does not follow" in p or "was changed" in p for p in problems)
