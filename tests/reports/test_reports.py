"""Report figures against values worked out by hand for the seeded cases (conftest.py).

Office hours: Mon-Fri 09:00-13:00 and 14:00-18:00, Sat 09:00-13:00; Saturday 26 September
2026 is a Hong Kong general holiday. Every case was opened on Thursday 24 September 10:00
and the report is read on Wednesday 30 September 11:00.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from estateflow.services._reports import Reports, nearest_rank, percent
from tests.reports.conftest import ESTATE, hk, who

pytestmark = pytest.mark.anyio

SEPTEMBER = {"since": hk(1, 0), "until": hk(1, 0, month=10)}


async def test_report_figures(seeded):
    """One seeded set per database; each check below reads the same report."""
    r = await Reports(seeded.services, page_size=3).report([ESTATE], **SEPTEMBER)
    await check_callback_deadline_skips_the_holiday(seeded)
    await check_callback_deadline_moves_by_the_paused_business_time(seeded)
    for check in (
        check_sla_compliance_per_step,
        check_volumes_by_procedure_and_month,
        check_complaint_severity_validity_and_reply_rate,
        check_repair_callback_rates_against_their_targets,
        check_satisfaction_is_the_mean_of_the_rounds,
        check_time_to_close_percentiles,
    ):
        check(r)
    await check_an_empty_month(seeded)
    await check_record_books_page_by_key(seeded)
    await check_another_estate_sees_none_of_these_cases(seeded)
    await check_a_cross_estate_report_covers_the_memberships(seeded)


async def check_callback_deadline_skips_the_holiday(seeded):
    """003 二.2: 24 working hours from Thu 10:00 are Thu 7h, Fri 8h, (Sat 26 is a holiday),
    Mon 8h and Tue 09:00-10:00: due Tuesday 29 September 10:00 (not Monday 13:00)."""
    view = await seeded.services.get_case(ESTATE, seeded.ids["rc1"], actor=who("lmyip"))
    assert view.state.tasks[0].due_at == hk(29, 10)


async def check_callback_deadline_moves_by_the_paused_business_time(seeded):
    """Paused Fri 14:00 to Mon 14:00 = Fri 14-18 and Mon 09-13 = 8 business hours:
    Tue 10:00 + 8bh = Tue 10-13, 14-18, Wed 09-10: due Wednesday 30 September 10:00."""
    view = await seeded.services.get_case(ESTATE, seeded.ids["rc2"], actor=who("lmyip"))
    assert view.state.tasks[0].due_at == hk(30, 10)
    # rc6 was closed during its pause: the stored deadline never moved (the report does).
    view = await seeded.services.get_case(ESTATE, seeded.ids["rc6"], actor=who("lmyip"))
    assert view.state.tasks[0].due_at == hk(29, 10)
    assert view.state.tasks[0].paused_at == hk(25, 14)


def check_sla_compliance_per_step(r):
    # rc1 called Mon 17:00 (due Tue 10:00) met only thanks to the holiday; rc2 Tue 15:00
    # (due Wed 10:00) met only thanks to the pause; rc3 Wed 11:00 (due Tue 10:00) breached.
    # All three were warned at 80% (19.2bh): rc1 and rc3 Mon 14:12, rc2 Tue 14:12.
    # Internal repairs have no deadline.
    # rc6 was called back Tue 15:00 while still paused since Fri 14:00: its stored due
    # (Tue 10:00) moves on by the 17 business hours paused (Fri 4, Mon 8, Tue 5) to
    # Fri 2 October 11:00 (Thu 1 October is a holiday): met, and never warned.
    row = r.sla_row("repair-callback", "callback")
    assert (row.deadlines, row.met, row.warned, row.breached, row.pending) == (
        4,
        3,
        3,
        1,
        0,
    )
    assert row.compliance == Decimal("75.0")
    # Forwarding: minor due 10:30 done 10:15 (met); general due 10:20, warned 10:10, done 10:25.
    row = r.sla_row("complaint", "forward")
    assert (row.deadlines, row.met, row.warned, row.breached) == (2, 1, 1, 1)
    # Per deadline: 30 minutes for the minor one, 20 for the general one.
    minor = r.sla_row("complaint", "forward", "severity: minor")
    general = r.sla_row("complaint", "forward", "severity: general")
    assert (minor.met, minor.breached, general.met, general.breached) == (1, 0, 0, 1)
    client = r.sla_row("repair-callback", "callback", "origin: client")
    assert (client.deadlines, client.met, client.breached) == (4, 3, 1)
    assert not [x for x in r.sla_by_deadline if x.deadline == "origin: internal"]
    # Investigation within 24bh: both done the same morning.
    row = r.sla_row("complaint", "investigate")
    assert (row.deadlines, row.met, row.breached) == (2, 2, 0)
    # Callback within 24h: c1 at 12:00 (due Fri 11:10) met; c2 still open, due Fri 11:40.
    row = r.sla_row("complaint", "callback")
    assert (row.deadlines, row.met, row.breached, row.pending) == (2, 1, 1, 0)
    assert row.compliance == Decimal("50.0")
    # Skipped branches (night intake, the major report) carry no deadline.
    assert not [s for s in r.sla if s.step in ("night_alert", "report_major")]


def check_volumes_by_procedure_and_month(r):
    assert r.cases == 11
    assert r.volumes == {
        ("complaint", "2026-09"): 2,
        ("repair-callback", "2026-09"): 6,
        ("satisfaction-survey", "2026-09"): 2,
        ("visitor", "2026-09"): 1,
    }


async def check_an_empty_month(seeded):
    empty = await Reports(seeded.services).report(
        [ESTATE], since=hk(1, 0, month=10), until=hk(1, 0, month=11)
    )
    assert empty.cases == 0 and empty.volumes == {}


def check_complaint_severity_validity_and_reply_rate(r):
    assert r.severity == {"general": 1, "minor": 1}
    assert r.validity == {"invalid": 1, "valid": 1}
    reply = r.kpi("complaint_reply")
    assert (reply.numerator, reply.denominator, reply.percent) == (
        1,
        2,
        Decimal("50.0"),
    )
    assert reply.target == Decimal("100") and reply.on_target is False
    assert reply.label["zh-Hant"] == "投訴回覆率"


def check_repair_callback_rates_against_their_targets(r):
    client = r.kpi("callback_client")  # rc1, rc2, rc6 in time by phone; rc3 late
    assert (client.numerator, client.denominator, client.percent) == (
        3,
        4,
        Decimal("75.0"),
    )
    assert client.target == Decimal("100")
    internal = r.kpi("callback_internal")  # rc4 face to face; rc5 not sampled
    assert (internal.numerator, internal.denominator, internal.percent) == (
        1,
        2,
        Decimal("50.0"),
    )
    assert internal.target == Decimal("70") and internal.on_target is False


def check_satisfaction_is_the_mean_of_the_rounds(r):
    # 193/200 = 96.5%, 186/200 = 93.0%: mean 94.75, shown 94.8 against >= 95.
    kpi = r.kpi("satisfaction")
    assert kpi.percent == Decimal("94.8") and kpi.target == Decimal("95")
    assert kpi.on_target is False


def check_time_to_close_percentiles(r):
    [complaint, callbacks] = r.close_times
    assert (complaint.procedure, complaint.closed, complaint.p50_hours) == (
        "complaint",
        1,
        Decimal("2.00"),
    )
    # Closed after 5, 5 (Thu 15:00), 103 (Mon 17:00), 125, 125 (Tue 15:00), 145 (Wed 11:00)
    # hours: nearest rank 50% is the 3rd of 6, 90% the 6th.
    assert callbacks.closed == 6
    # In office hours, pauses left out: rc4, rc5 4 (10-13, 14-15); rc6 11 (Thu 7, Fri 4,
    # then paused until closed); rc2 20 (Thu 7, Fri 8, Mon 8, Tue 5, less 8 paused);
    # rc1 22 (Thu 7, Fri 8, Mon 7); rc3 33 (Thu 7, Fri 8, Mon 8, Tue 8, Wed 2).
    assert (callbacks.p50_business_hours, callbacks.p90_business_hours) == (
        Decimal("11.00"),
        Decimal("33.00"),
    )
    assert complaint.p50_business_hours == Decimal("2.00")
    assert (callbacks.p50_hours, callbacks.p90_hours, callbacks.max_hours) == (
        Decimal("103.00"),
        Decimal("145.00"),
        Decimal("145.00"),
    )


async def check_another_estate_sees_none_of_these_cases(seeded):
    from tests.services.conftest import REPO

    await seeded.services.publish_estate(REPO / "examples" / "tower")
    r = await Reports(seeded.services).report(["tower"], **SEPTEMBER)
    assert r.cases == 0
    nowhere = await Reports(seeded.services).report(["nowhere"], **SEPTEMBER)
    assert nowhere.cases == 0 and nowhere.estates == ()
    both = await Reports(seeded.services).report([ESTATE, "tower"], **SEPTEMBER)
    assert both.cases == 11


async def check_a_cross_estate_report_covers_the_memberships(seeded):
    reports = Reports(seeded.services)
    assert await reports.visible_estates("kflee") == [ESTATE]
    await seeded.services.grant("kflee", "tower", ["cs_supervisor"])
    assert await reports.visible_estates("kflee") == [ESTATE, "tower"]


async def check_record_books_page_by_key(seeded):
    reports = Reports(seeded.services)
    first = await reports.book(ESTATE, "complaint", limit=1)
    assert first.book.title["zh-Hans"] == "投诉处理记录表"
    assert len(first.rows) == 1 and first.next_after
    assert first.columns[:4] == ("No.", "Opened", "Status", "Outcome")
    second = await reports.book(ESTATE, "complaint", limit=1, after=first.next_after)
    # Both were opened at 10:00: the case id breaks the tie, so no row is seen twice.
    assert {first.rows[0][0], second.rows[0][0]} == {"TS-2026-000001", "TS-2026-000002"}
    assert second.next_after is None
    closed = await reports.book(ESTATE, "complaint", status="closed")
    assert [(r[0], r[2], r[3]) for r in closed.rows] == [("TS-2026-000001", "closed", "resolved")]
    headings = closed.columns
    [c1] = closed.rows
    # The investigation's findings and the callback's time come from the step records.
    assert c1[headings.index("調查經過及結果")] == "燈管損壞"
    assert "2026-09-24 12:00" in c1
    by_unit = await reports.book(ESTATE, "complaint", unit="T2-3B")
    assert [r[0] for r in by_unit.rows] == ["TS-2026-000001"]
    visitors = await reports.book(ESTATE, "visitor", since=hk(24, 0), until=hk(25, 0))
    [row] = visitors.rows
    assert "李大文" in row and "2026-09-24 10:00" in row
    later = await reports.book(ESTATE, "visitor", since=hk(25, 0))
    assert later.rows == ()
    for key in ("inquiry", "keys", "daily-check"):
        assert (await reports.book(ESTATE, key)).rows == ()


def test_a_case_whose_state_was_erased_counts_in_the_volumes_only():
    from datetime import UTC, datetime

    from estateflow.definitions import load_bundle
    from estateflow.services._reports import compute_report
    from estateflow.store._reports import ReportCase
    from tests.services.conftest import SUNSHINE

    erased = ReportCase(
        id="x",
        estate_id=ESTATE,
        procedure="complaint",
        number="TS-2026-000009",
        status="closed",
        outcome=None,
        unit="",
        opened_at=datetime(2026, 9, 24, 2, tzinfo=UTC),
        closed_at=None,
        state={"erased": True},
    )
    r = compute_report([erased], {ESTATE: load_bundle(SUNSHINE)}, erased.opened_at)
    assert r.volumes == {("complaint", "2026-09"): 1}
    assert r.kpi("complaint_reply").denominator == 0 and r.sla == ()


def test_percent_and_nearest_rank():
    assert percent(2, 3) == Decimal("66.7")
    assert percent(1, 8) == Decimal("12.5")
    values = [Decimal(v) for v in (5, 5, 103, 125, 145)]
    assert nearest_rank(values, 50) == 103
    assert nearest_rank(values, 90) == 145
    assert nearest_rank(values, 20) == 5


async def test_monthly_summaries_give_what_reading_every_case_gives(seeded):
    """A whole month's closed cases come from a summary kept in the database; what is
    still open or closed since is read. The figures stay those of a full read (a period
    that is not whole months) as cases close, and after a closed case is erased."""
    from estateflow.services._privacy import erase_case
    from estateflow.store._reports import report_summaries
    from tests.reports.conftest import _act

    services, clock, ids = seeded.services, seeded.clock, seeded.ids
    reports = Reports(services, page_size=2)
    # The same cases, read one by one: the period starts a minute into the month.
    every_case = {"since": hk(1, 0, 1), "until": hk(1, 0, month=10)}

    async def kept() -> int:
        async with services.store.unit_of_work(writes=False) as uow:
            return await uow.tx.fetchval('SELECT count(*) FROM "report_summaries"')

    first = await reports.report([ESTATE], **SEPTEMBER)
    assert await kept() == 1
    assert first == await reports.report([ESTATE], **every_case)

    # The general complaint is called back and closed after the summary was made.
    clock.now = hk(30, 14, 0)
    await _act(
        services,
        ids["c2"],
        "callback",
        "record",
        {
            "called_at": "2026-09-30T14:00",
            "method": "phone",
            "satisfied": "on",
            "signature": {"typed": "陳國棟"},
        },
        "smcheung",
    )
    later = await reports.report([ESTATE], **SEPTEMBER)
    assert later == await reports.report([ESTATE], **every_case)
    assert later.kpi("complaint_reply").numerator == first.kpi("complaint_reply").numerator + 1
    # Two hours on, the summary takes in the cases closed more than an hour before.
    clock.now = hk(30, 16, 0)
    assert await reports.report([ESTATE], **SEPTEMBER) == later
    async with services.store.unit_of_work(writes=False) as uow:
        rolled = await report_summaries(uow, ESTATE, await uow.published(ESTATE), ["2026-09"])
        closed = await uow.tx.fetchval('SELECT count(*) FROM "cases" WHERE "status" = \'closed\'')
    assert rolled["2026-09"].closed_before == hk(30, 15, 0)
    assert rolled["2026-09"].data["cases"] == closed  # every closed case, the 14:00 one too
    assert await reports.report([ESTATE], **SEPTEMBER) == later

    # Erasing a closed case drops the estate's summaries: its severity no longer counts.
    await erase_case(services, ESTATE, ids["c1"], by="ymho", reason="the owner asked")
    assert await kept() == 0
    erased = await reports.report([ESTATE], **SEPTEMBER)
    assert erased == await reports.report([ESTATE], **every_case)
    assert erased.severity == {"general": 1, "unknown": 1}
