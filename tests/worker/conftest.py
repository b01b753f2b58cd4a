"""The worker over a real database: the services fixtures, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.services.conftest import (  # noqa: F401 (fixtures)
    anyio_backend,
    clock,
    db_url,
    services,
)
