"""Heartbeats, /health, the doctor's checks and bulk imports, over services."""

from __future__ import annotations

from datetime import timedelta

import pytest

from estateflow.services import _ops as ops
from estateflow.services import send_notifications
from estateflow.worker import run_worker
from tests.ops.conftest import who
from tests.services.test_services import INTAKE
from tests.worker._helpers import Recorder

pytestmark = pytest.mark.anyio


async def test_the_worker_beats_each_round_and_health_reports_its_age(services, clock):
    before = await ops.health(services)
    assert before == {
        "status": "ok",
        "database": f"{services.store.kind} reachable",
        "worker": "no worker has run yet",
    }
    await run_worker(services, once=True)
    assert (await ops.health(services))["worker"] == "last round 0s ago"
    clock.advance(minutes=10)
    late = await ops.health(services)
    assert late["status"] == "degraded" and "stalled" in late["worker"]


async def test_doctor_checks_everything_and_flags_a_stalled_worker(services, clock, tmp_path):
    await run_worker(services, once=True)
    checks = {c.name: c for c in await ops.doctor(services, paths=[tmp_path])}
    assert set(checks) == {
        "database",
        "migrations",
        "worker",
        "notifications",
        "holidays sunshine",
        f"disk {tmp_path}",
    }
    assert all(c.ok for c in checks.values()), checks
    clock.advance(hours=1)
    assert not {c.name: c for c in await ops.doctor(services)}["worker"].ok


async def test_doctor_flags_notifications_that_keep_failing(services, clock):
    await services.start_case("sunshine", "complaint", INTAKE, actor=who("wychan"))
    clock.advance(minutes=11)
    await services.fire_due()
    sender = Recorder(fail={n["key"] for n in await _queued(services)}, always=True)
    for _ in range(ops.FAILING_AFTER - 1):
        await send_notifications(services, sender)
        clock.advance(hours=1)
    assert {c.name: c for c in await ops.doctor(services)}["notifications"].ok
    await send_notifications(services, sender)
    check = {c.name: c for c in await ops.doctor(services)}["notifications"]
    assert not check.ok
    assert check.detail == (
        f"2 not sent after {ops.FAILING_AFTER} tries or more; "
        "last error: ConnectionError: mail server said no"
    )


async def _queued(services):
    async with services.store.unit_of_work(writes=False) as uow:
        return await uow.pending_notifications(services.clock())


async def test_doctor_reports_missing_holiday_data_for_the_coming_year(services, monkeypatch):
    # Hong Kong's holidays are computed for any year; pretend the data ends this year.
    monkeypatch.setattr(
        ops, "missing_holiday_years", lambda region, years: tuple(y for y in years if y > 2026)
    )
    check = {c.name: c for c in await ops.doctor(services)}["holidays sunshine"]
    assert not check.ok and "no HK holiday data for 2027" in check.detail


HOUSEHOLDS = [
    {"unit": "T1-1A", "name": "陳國棟", "sex": "m", "relationship": "業主", "age": ""},
    {"unit": "T1-1A", "name": "", "sex": "x", "relationship": "", "age": "40"},
    {"unit": "T1-1B", "name": "李小文", "sex": "f", "relationship": "女兒", "age": "9"},
]


async def test_import_reports_row_errors_and_imports_nothing(services):
    report = await ops.import_rows(services, "sunshine", "households", HOUSEHOLDS)
    lines = {line for line, _ in report.errors}
    assert lines == {3}  # the header is line 1
    assert {m.split(":")[0] for _, m in report.errors} >= {"name", "sex", "age"}
    assert report.imported == 0
    async with services.store.unit_of_work(writes=False) as uow:
        assert (await uow.register_rows("sunshine", ["members"]))["members"] == []


async def test_import_dry_run_then_for_real(services):
    good = [HOUSEHOLDS[0], HOUSEHOLDS[2]]
    dry = await ops.import_rows(services, "sunshine", "households", good, dry_run=True)
    assert dry.errors == [] and dry.imported == 0
    done = await ops.import_rows(services, "sunshine", "households", good)
    assert done.imported == 2
    async with services.store.unit_of_work(writes=False) as uow:
        rows = (await uow.register_rows("sunshine", ["members"]))["members"]
    assert [r["name"] for r in rows] == ["陳國棟", "李小文"]


async def test_import_staff_checks_roles(services):
    rows = [
        {"username": "tclau", "name": "劉子晴", "roles": "front_desk"},
        {"username": "nobody", "name": "", "roles": "astronaut"},
    ]
    report = await ops.import_rows(services, "sunshine", "staff", rows)
    assert report.errors == [(3, report.errors[0][1])]
    assert "unknown role 'astronaut'" in report.errors[0][1]
    done = await ops.import_rows(services, "sunshine", "staff", rows[:1])
    assert done.imported == 1
    assert (await services.actor("sunshine", "tclau")).roles == frozenset({"front_desk"})


async def test_units_need_a_units_register(services):
    report = await ops.import_rows(services, "sunshine", "units", [{"unit": "T1-1A"}])
    assert report.errors == [(2, "the estate has no register 'units'")]


def test_heartbeat_staleness_default_is_minutes():
    assert timedelta(minutes=1) <= ops.HEARTBEAT_STALE


def test_read_table_reads_xlsx_and_csv(tmp_path):
    from estateflow.services._report_files import xlsx_bytes

    book = tmp_path / "households.xlsx"
    book.write_bytes(
        xlsx_bytes(
            "members", ["unit", "name", "age"], [["T1-1A", "陳國棟", None], ["T1-1B", "李小文", 9]]
        )
    )
    assert ops.read_table(book) == [
        {"unit": "T1-1A", "name": "陳國棟", "age": ""},
        {"unit": "T1-1B", "name": "李小文", "age": "9"},
    ]
    sheet = tmp_path / "staff.csv"
    sheet.write_text("username,name\ntclau,劉子晴\n", encoding="utf-8-sig")
    assert ops.read_table(sheet) == [{"username": "tclau", "name": "劉子晴"}]
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"not a readable \.xlsx"):
        ops.read_table(broken)
