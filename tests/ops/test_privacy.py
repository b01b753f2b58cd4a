"""Personal data: masked id numbers, retention purges that keep the chain, exports, the
access log. On SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta

import pytest

from estateflow.errors import Invalid
from estateflow.services import _privacy as privacy
from estateflow.store import dumps, loads
from tests.ops.conftest import who
from tests.services.test_services import INTAKE

pytestmark = pytest.mark.anyio

HKID = {"kind": "hkid", "number": "A1234563"}


async def _case(services, **data):
    view = await services.start_case("sunshine", "complaint", INTAKE, actor=who("wychan"))
    if data:
        async with services.store.unit_of_work(writes=True) as uow:
            row = await uow.load_case("sunshine", view.id)
            state = {**row.state, "data": {**row.state["data"], **data}}
            uow.tx.defer('UPDATE "cases" SET "state" = $1 WHERE "id" = $2', dumps(state), view.id)
    return view


async def _close(services, case_id, at):
    async with services.store.unit_of_work(writes=True) as uow:
        uow.tx.defer(
            'UPDATE "cases" SET "status" = \'closed\', "closed_at" = $1 WHERE "id" = $2',
            at,
            case_id,
        )


def test_mask_ids_masks_every_id_document_however_nested():
    data = {"who": HKID, "people": [{"id": HKID}], "name": "陳國棟"}
    assert privacy.mask_ids(data) == {
        "who": {"kind": "hkid", "number": "A123***(3)"},
        "people": [{"id": {"kind": "hkid", "number": "A123***(3)"}}],
        "name": "陳國棟",
    }


async def test_full_id_numbers_only_for_configured_roles_and_logged(services):
    view = await _case(services, owner_id=HKID)
    masked = await privacy.private_case(services, "sunshine", view.id, actor=who("kflee"))
    assert masked.data["owner_id"]["number"] == "A123***(3)"
    await privacy.configure(services, "sunshine", full_id_roles=["cs_supervisor"])
    full = await privacy.private_case(services, "sunshine", view.id, actor=who("kflee"))
    assert full.data["owner_id"]["number"] == "A1234563"
    other = await privacy.private_case(services, "sunshine", view.id, actor=who("wychan"))
    assert other.data["owner_id"]["number"] == "A123***(3)"
    log = await privacy.access_log(services, "sunshine")
    assert [(e["actor"], e["action"], e["subject"]) for e in log] == [("kflee", "view-id", view.id)]


async def test_settings_name_real_roles_and_procedures(services):
    with pytest.raises(Invalid) as caught:
        await privacy.configure(
            services, "sunshine", full_id_roles=["boss"], retention={"nope": 30}
        )
    assert set(caught.value.errors) == {"full_id_roles", "retention"}


async def test_purge_erases_old_closed_cases_and_the_chain_still_verifies(services, clock):
    old = await _case(services)
    recent = await _case(services)
    still_open = await _case(services)
    await _close(services, old.id, clock() - timedelta(days=40))
    await _close(services, recent.id, clock() - timedelta(days=5))
    await privacy.configure(services, "sunshine", retention={"complaint": 30})
    async with services.store.unit_of_work(writes=True) as uow:
        uow.tx.defer(
            'INSERT INTO "drafts" ("key", "estate_id", "data", "saved_at") VALUES ($1, $2, $3, $4)',
            f"kflee/{old.id}/callback-1",
            "sunshine",
            dumps({"satisfied": "陳國棟 said yes"}),
            clock(),
        )
        uow.queue(
            key=f"sent-{old.id}",
            estate_id="sunshine",
            case_id=old.id,
            kind="email",
            payload={"text": "陳國棟 +852 9123 4567"},
            at=clock(),
        )
        uow.mark_sent(f"sent-{old.id}", clock())

    dry = await privacy.purge_expired(services, "sunshine", by="admin", dry_run=True)
    assert dry.cases == (old.id,)
    report = await privacy.purge_expired(services, "sunshine", by="admin")
    assert report.cases == (old.id,) and report.events == dry.events > 0

    assert await services.audit_verify("sunshine") == []
    async with services.store.unit_of_work(writes=False) as uow:
        erased = {e.erased for e in await uow.events(old.id)}
        kept = {e.erased for e in await uow.events(recent.id)}
        state = (await uow.load_case("sunshine", old.id)).state
    assert erased == {True} and kept == {False}
    assert state["data"] == {}
    async with services.store.unit_of_work(writes=False) as uow:
        assert await uow.tx.fetchval('SELECT count(*) FROM "drafts"') == 0
        sent = await uow.tx.fetchval(
            'SELECT "payload" FROM "outbox" WHERE "key" = $1', f"sent-{old.id}"
        )
    assert loads(sent) == {}
    assert all(set(r) <= {"at", "by", "action"} for r in state["steps"].values())
    again = await privacy.purge_expired(services, "sunshine", by="admin")
    assert again.cases == ()
    log = await privacy.access_log(services, "sunshine")
    assert [(e["action"], e["subject"]) for e in log] == [("purge", old.id)]
    assert still_open.id not in report.cases


async def test_export_finds_a_person_in_cases_and_registers(services):
    view = await _case(services)
    await services.add_register_rows(
        "sunshine", "members", [{"unit": "T1-12A", "name": "陳國棟", "relationship": "業主"}]
    )
    await _case(services, complainant="李大文", phone="+852 6000 0000")
    found = await privacy.export_person(services, "sunshine", "9123 4567", by="dpo")
    assert [c["id"] for c in found["cases"]] == [view.id]
    assert found["cases"][0]["data"]["complainant"] == "陳國棟"
    by_name = await privacy.export_person(services, "sunshine", "陳國棟", by="dpo")
    assert [r["register"] for r in by_name["registers"]] == ["members"]
    log = await privacy.access_log(services, "sunshine")
    assert [(e["actor"], e["action"], e["subject"]) for e in log] == [
        ("dpo", "export", "9123 4567"),
        ("dpo", "export", "陳國棟"),
    ]
    with pytest.raises(ValueError):
        await privacy.export_person(services, "sunshine", " ", by="dpo")
    assert loads(dumps(found["cases"][0]["data"]))  # the export is storable data
