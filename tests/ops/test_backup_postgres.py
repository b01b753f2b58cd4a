"""backup and restore on PostgreSQL through pg_dump and pg_restore, when they are here."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import create_pg_database, drop_pg_database, pg_admin_dsn
from tests.ops.conftest import FakeClock, cli, seed, who, with_services
from tests.scenarios.conftest import THU_0924_1000
from tests.services.test_services import INTAKE

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed"),
]


def test_a_pg_dump_restores_into_another_database_and_verifies(pg_dsn, tmp_path):
    async def job(svc):
        await seed(svc)
        return (await svc.start_case("sunshine", "complaint", INTAKE, actor=who("wychan"))).number

    number = with_services(pg_dsn, FakeClock(THU_0924_1000), job)
    dump = tmp_path / "ef.dump"
    status, out, err = cli("backup", str(dump), "--db", pg_dsn)
    assert status == 0, err
    assert dump.stat().st_size > 0

    name, other = create_pg_database(pg_admin_dsn())
    try:
        status, out, err = cli("restore", str(dump), "--db", other)
        assert status == 0, err
        assert "the event log verifies" in out

        async def find(svc):
            async with svc.store.unit_of_work(writes=False) as uow:
                return await uow.find_case("sunshine", number)

        assert with_services(other, FakeClock(THU_0924_1000), find) is not None
    finally:
        drop_pg_database(pg_admin_dsn(), name)
