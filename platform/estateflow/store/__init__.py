"""The store: cases, tasks, events, bundles, people, registers and the outbox.

Layer: beside ``engine`` (neither imports the other), below ``services``. Piccolo owns
the schema (``tables.py``); the hot path speaks SQL over a dedicated SQLite writer or an
asyncpg pool (``_db.py`` says why). Each use case runs in one :meth:`Store.unit_of_work`.
"""

from estateflow.store import _authoring as authoring
from estateflow.store import _people as people
from estateflow.store import _web as web
from estateflow.store._codec import dumps, loads
from estateflow.store._db import StoreError
from estateflow.store._schema import SCHEMA_VERSION, create_schema, ddl
from estateflow.store._store import (
    GENESIS,
    NO_DEADLINE,
    TOMBSTONE,
    CaseRow,
    EventRow,
    NewEvent,
    Store,
    UnitOfWork,
    open_store,
    verify_chain,
)

__all__ = (
    "GENESIS",
    "NO_DEADLINE",
    "SCHEMA_VERSION",
    "TOMBSTONE",
    "CaseRow",
    "EventRow",
    "NewEvent",
    "Store",
    "StoreError",
    "UnitOfWork",
    "authoring",
    "create_schema",
    "ddl",
    "dumps",
    "loads",
    "open_store",
    "people",
    "verify_chain",
    "web",
)
