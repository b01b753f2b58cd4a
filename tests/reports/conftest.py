"""A seeded set of cases for the report tests, made through services on both databases.

The clock starts on Thursday 24 September 2026, 10:00 in Hong Kong. Saturday 26
September is a general holiday (the day after Mid-Autumn), so the office calendar
(Mon-Fri 09:00-13:00 and 14:00-18:00, Sat 09:00-13:00) is closed from Friday 18:00 to
Monday 09:00. Every figure the tests check is worked out by hand in ``test_reports.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pytest

from estateflow.services import Services
from tests.scenarios.conftest import HK
from tests.services import conftest as _services
from tests.services.conftest import FakeClock, who

# The services suite's fixtures: a fresh SQLite file and PostgreSQL database per test.
anyio_backend = _services.anyio_backend
clock = _services.clock
db_url = _services.db_url
services = _services.services

ESTATE = "sunshine"


def hk(day: int, hour: int, minute: int = 0, month: int = 9) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=HK)


@dataclass
class Seeded:
    services: Services
    clock: FakeClock
    ids: dict[str, str] = field(default_factory=dict)


async def _task(services: Services, case_id: str, step: str, username: str) -> str:
    view = await services.get_case(ESTATE, case_id, actor=who(username))
    return next(t.task_id for t in view.tasks if t.step == step)


async def _act(services, case_id, step, action, form, username) -> None:
    task_id = await _task(services, case_id, step, username)
    await services.take_action(ESTATE, case_id, task_id, action, form, actor=who(username))


def _callback_request(origin: str, n: int) -> dict[str, str]:
    return {
        "origin": origin,
        "repair_no": f"WX-{n}",
        "unit": "T1-12A",
        "requester": "陳國棟",
        "detail": "水龍頭漏水",
    }


def _complaint(severity: str) -> dict[str, str]:
    return {
        "unit": "T2-3B" if severity == "minor" else "T1-12A",
        "complainant": "陳國棟",
        "relation": "owner",
        "phone": "+852 9123 4567",
        "channel": "phone",
        "received_at": "2026-09-24T10:00",
        "severity": severity,
        "summary": "走廊燈壞了三天",
    }


async def seed(services: Services, clock: FakeClock) -> Seeded:
    s = Seeded(services=services, clock=clock)
    ids = s.ids
    start = services.start_case
    # Thursday 24 September, 10:00.
    for n, (name, origin) in enumerate(
        [
            ("rc1", "client"),
            ("rc2", "client"),
            ("rc3", "client"),
            ("rc4", "internal"),
            ("rc5", "internal"),
            ("rc6", "client"),
        ],
        start=1,
    ):
        view = await start(
            ESTATE, "repair-callback", _callback_request(origin, n), actor=who("lmyip")
        )
        ids[name] = view.id
    ids["c1"] = (await start(ESTATE, "complaint", _complaint("minor"), actor=who("wychan"))).id
    ids["c2"] = (await start(ESTATE, "complaint", _complaint("general"), actor=who("wychan"))).id
    for name, satisfied in (("s1", "193"), ("s2", "186")):
        view = await start(ESTATE, "satisfaction-survey", {"period": "2026 Q3"}, actor=who("ymho"))
        ids[name] = view.id
        await _act(
            services,
            view.id,
            "collect",
            "collected",
            {"responses": "200", "satisfied": satisfied},
            "lmyip",
        )
    view = await start(
        ESTATE,
        "visitor",
        {
            "entry_point": "front_desk",
            "visitor_name": "李大文",
            "headcount": "2",
            "unit": "T1-12A",
            "visit_at": "2026-09-24T10:00",
            "leave_at": "2026-09-24T12:00",
        },
        actor=who("wychan"),
    )
    ids["v1"] = view.id
    # 10:15 the minor complaint is forwarded (due 10:30): met.
    clock.now = hk(24, 10, 15)
    await _act(services, ids["c1"], "forward", "dispatch", {"department": "engineering"}, "kflee")
    # 10:24 the general one's warning (10:10) and deadline (10:20) fire; forwarded at 10:25.
    clock.now = hk(24, 10, 24)
    await services.fire_due()
    clock.now = hk(24, 10, 25)
    await _act(services, ids["c2"], "forward", "dispatch", {"department": "engineering"}, "kflee")
    clock.now = hk(24, 11, 0)
    await _act(
        services,
        ids["c1"],
        "investigate",
        "done",
        {
            "findings": "燈管損壞",
            "valid": "on",
            "verified_by": "hwong",
            "scope": "ours",
            "measures": "更換燈管",
        },
        "hwong",
    )
    clock.now = hk(24, 11, 10)
    await _act(
        services,
        ids["c1"],
        "inform",
        "informed",
        {"informed_at": "2026-09-24T11:10", "method": "phone", "content": "已更換"},
        "wychan",
    )
    clock.now = hk(24, 11, 30)
    await _act(
        services,
        ids["c2"],
        "investigate",
        "done",
        {"findings": "非管理問題", "scope": "ours", "assistance_plan": "協助聯絡"},
        "hwong",
    )
    clock.now = hk(24, 11, 40)
    await _act(
        services,
        ids["c2"],
        "inform",
        "informed",
        {"informed_at": "2026-09-24T11:40", "method": "phone", "content": "協助中"},
        "wychan",
    )
    # 12:00 the minor complaint is called back and closed (2 hours after it was opened).
    clock.now = hk(24, 12, 0)
    await _act(
        services,
        ids["c1"],
        "callback",
        "record",
        {
            "called_at": "2026-09-24T12:00",
            "method": "phone",
            "satisfied": "on",
            "signature": {"typed": "陳國棟"},
        },
        "smcheung",
    )
    # 15:00 the internal repairs: one called back face to face, one left out of the sample.
    clock.now = hk(24, 15, 0)
    await _act(
        services,
        ids["rc4"],
        "callback",
        "record",
        {"method": "face_to_face", "called_at": "2026-09-24T15:00", "satisfied": "on"},
        "lmyip",
    )
    await _act(services, ids["rc5"], "callback", "not_sampled", None, "kflee")
    # rc2 waits for the owner from Friday 14:00 to Monday 14:00 (8 business hours);
    # rc6 waits from Friday 14:00 and is never resumed.
    clock.now = hk(25, 14, 0)
    await services.pause_case(ESTATE, ids["rc2"], actor=who("kflee"))
    await services.pause_case(ESTATE, ids["rc6"], actor=who("kflee"))  # never resumed
    clock.now = hk(28, 14, 0)
    await services.resume_case(ESTATE, ids["rc2"], actor=who("kflee"))
    # Monday 16:59: rc1 and rc3 were warned at 14:12 (80% of 24bh).
    clock.now = hk(28, 16, 59)
    await services.fire_due()
    clock.now = hk(28, 17, 0)
    await _act(
        services,
        ids["rc1"],
        "callback",
        "record",
        {"method": "phone", "called_at": "2026-09-28T17:00", "satisfied": "on"},
        "lmyip",
    )
    # Tuesday 14:59: rc2 warned (14:12 after its pause), rc3 missed (due 10:00).
    clock.now = hk(29, 14, 59)
    await services.fire_due()
    clock.now = hk(29, 15, 0)
    await _act(
        services,
        ids["rc2"],
        "callback",
        "record",
        {"method": "phone", "called_at": "2026-09-29T15:00", "satisfied": "on"},
        "lmyip",
    )
    # rc6 is called back while still paused: its deadline was never moved on.
    await _act(
        services,
        ids["rc6"],
        "callback",
        "record",
        {"method": "phone", "called_at": "2026-09-29T15:00", "satisfied": "on"},
        "lmyip",
    )
    clock.now = hk(30, 11, 0)
    await services.fire_due()
    await _act(
        services,
        ids["rc3"],
        "callback",
        "record",
        {"method": "phone", "called_at": "2026-09-30T11:00", "satisfied": "on"},
        "lmyip",
    )
    return s


@pytest.fixture
async def seeded(services, clock) -> Seeded:
    return await seed(services, clock)
