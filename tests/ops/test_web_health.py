"""/health reports the database and the worker's heartbeat."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from estateflow.web import Settings, create_app
from estateflow.worker import run_worker

pytestmark = pytest.mark.anyio


# The test client runs the app on its own event loop: an asyncpg pool cannot follow it.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_health_reports_database_and_worker(services, clock, tmp_path):
    app = create_app(services, settings=Settings(files=tmp_path / "files"))
    async with AsyncTestClient(app=app) as client:
        first = await client.get("/health")
        assert first.status_code == 200
        assert first.json()["worker"] == "no worker has run yet"
        await run_worker(services, once=True)
        assert (await client.get("/health")).json()["status"] == "ok"
        clock.advance(minutes=30)
        late = await client.get("/health")
        assert late.status_code == 200 and late.json()["status"] == "degraded"
