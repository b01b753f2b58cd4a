"""The tables, as Piccolo declares them: the single source of the schema on both databases.

Every table carries ``estate_id`` so that one estate's rows can be found, isolated and,
at scale, distributed together. JSON travels as text (``store/_codec.py`` keeps Decimals
and datetimes exact); times are ``timestamptz`` on PostgreSQL and ISO-8601 UTC text on
SQLite, which sorts the same way.
"""

from __future__ import annotations

from piccolo.columns import JSONB, Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

# Only to satisfy Piccolo when it builds DDL; no query runs through this engine.
_SCHEMA_ENGINE = SQLiteEngine(path=":memory:")


class SchemaVersion(Table, tablename="schema_version", db=_SCHEMA_ENGINE):
    version = Integer()
    applied_at = Timestamptz()


class Estate(Table, tablename="estates", db=_SCHEMA_ENGINE):
    id = Varchar(length=64, primary_key=True)
    name = Text()
    created_at = Timestamptz()


class User(Table, tablename="users", db=_SCHEMA_ENGINE):
    id = Varchar(length=64, primary_key=True)
    """The username."""
    name = Text()
    password_hash = Text(default="")
    locale = Varchar(length=16, default="")
    disabled = Boolean(default=False)
    created_at = Timestamptz()


class Membership(Table, tablename="memberships", db=_SCHEMA_ENGINE):
    estate_id = Varchar(length=64, index=True)
    user_id = Varchar(length=64, index=True)
    roles = JSONB()
    shifts = JSONB()
    """``{role: shift}``: the shift this person works in each role that has shifts."""
    building = Varchar(length=64, default="")


class Bundle(Table, tablename="bundles", db=_SCHEMA_ENGINE):
    hash = Varchar(length=64, primary_key=True)
    estate_id = Varchar(length=64, index=True)
    estate_path = Text()
    """Where ``estate.yaml`` stands among the sources."""
    sources = JSONB()
    """Every file the bundle was compiled from: ``{path: text}``."""
    created_at = Timestamptz()


class Published(Table, tablename="published", db=_SCHEMA_ENGINE):
    estate_id = Varchar(length=64, primary_key=True)
    bundle_hash = Varchar(length=64)
    published_at = Timestamptz()
    published_by = Varchar(length=64, default="")


class Counter(Table, tablename="counters", db=_SCHEMA_ENGINE):
    """The last case number given per estate, prefix and year: gap-free numbering."""

    estate_id = Varchar(length=64)
    prefix = Varchar(length=16)
    year = Integer()
    value = Integer()


class Case(Table, tablename="cases", db=_SCHEMA_ENGINE):
    id = Varchar(length=40, primary_key=True)
    estate_id = Varchar(length=64)
    bundle_hash = Varchar(length=64)
    procedure = Varchar(length=64)
    number = Varchar(length=32)
    status = Varchar(length=16)
    outcome = Varchar(length=32, null=True)
    unit = Varchar(length=64, default="")
    parent_id = Varchar(length=40, null=True)
    state = JSONB()
    state_version = Integer()
    version = Integer()
    """How many events the case has had: the optimistic lock, and a deleted last event
    shows as a count that no longer matches the log."""
    chain_head = Varchar(length=64, default="")
    opened_at = Timestamptz()
    closed_at = Timestamptz(null=True, default=None)
    next_due_at = Timestamptz(null=True, default=None)


class Task(Table, tablename="tasks", db=_SCHEMA_ENGINE):
    """Open tasks of every case, for inboxes and queues (rewritten with each act)."""

    estate_id = Varchar(length=64)
    case_id = Varchar(length=40, index=True)
    task_id = Varchar(length=80)
    step = Varchar(length=64)
    role = Varchar(length=64, null=True)
    roles = Varchar(length=1000, default="")
    """Every role that may act on the task, as ``,a,b,`` (the step's and its actions')."""
    assignee = Varchar(length=64, null=True)
    status = Varchar(length=16)
    opened_at = Timestamptz()
    due_at = Timestamptz(null=True, default=None)
    warn_at = Timestamptz(null=True, default=None)


class TaskHolder(Table, tablename="task_holders", db=_SCHEMA_ENGINE):
    """Who may pick up each open task, for inboxes: its assignee (``user:NAME``) or, while
    it is unassigned, each role that may act on it (``role:NAME``). Rewritten with the
    case's tasks. An inbox reads the first rows of each of its holders by the index
    ``task_holders_inbox`` instead of testing the roles of every open task of the estate."""

    estate_id = Varchar(length=64)
    case_id = Varchar(length=40)
    task_id = Varchar(length=80)
    holder = Varchar(length=200)
    due_order = Timestamptz()
    """The task's deadline, or ``store.NO_DEADLINE`` when it has none, so that tasks
    without one sort last on both databases (SQLite puts NULL first, PostgreSQL last)."""
    opened_at = Timestamptz()


class Event(Table, tablename="events", db=_SCHEMA_ENGINE):
    """Append-only log. ``digest`` covers the payload; ``hash`` chains the digests, so an
    erased payload (a tombstone) leaves the chain verifiable."""

    estate_id = Varchar(length=64)
    case_id = Varchar(length=40)
    seq = Integer()
    at = Timestamptz()
    actor = Varchar(length=64, null=True)
    type = Varchar(length=40)
    payload = JSONB()
    digest = Varchar(length=64)
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64)
    erased = Boolean(default=False)


class RegisterRow(Table, tablename="register_rows", db=_SCHEMA_ENGINE):
    estate_id = Varchar(length=64)
    register = Varchar(length=64)
    unit = Varchar(length=64, default="")
    data = JSONB()
    case_id = Varchar(length=40, null=True)
    created_at = Timestamptz()
    removed_at = Timestamptz(null=True, default=None)


class Outbox(Table, tablename="outbox", db=_SCHEMA_ENGINE):
    """Notifications to send, at least once; ``key`` makes sending idempotent. A failed
    send counts in ``attempts`` and waits until ``next_attempt_at``, so notifications
    that keep failing do not hold up the others."""

    key = Varchar(length=200, primary_key=True)
    estate_id = Varchar(length=64)
    case_id = Varchar(length=40, null=True)
    kind = Varchar(length=32)
    payload = JSONB()
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=None)
    """After a failed send: not tried again before this (null: at once)."""
    last_error = Text(null=True, default=None)


class ReportSummary(Table, tablename="report_summaries", db=_SCHEMA_ENGINE):
    """What one month's closed cases of an estate count up to in the reports, as of
    ``closed_before``, with one bundle's calendars: a cache. A missing row is made
    again from the cases; a closed case that changes (privacy erasure) drops its
    estate's rows."""

    estate_id = Varchar(length=64)
    bundle_hash = Varchar(length=64)
    month = Varchar(length=7)
    """``YYYY-MM`` of the cases' opening, in the estate's time zone."""
    closed_before = Timestamptz()
    data = JSONB()
    """The figures, with the close times worked out."""
    durations = JSONB()
    """The durations behind the close times: read only when more cases are added."""
    computed_at = Timestamptz()


class Session(Table, tablename="sessions", db=_SCHEMA_ENGINE):
    """Server-side web sessions, shared by every process; the id is a random secret."""

    id = Varchar(length=64, primary_key=True)
    user_id = Varchar(length=64, null=True, default=None)
    csrf = Varchar(length=64)
    created_at = Timestamptz()
    seen_at = Timestamptz()
    data = JSONB()


class LoginThrottle(Table, tablename="login_throttle", db=_SCHEMA_ENGINE):
    """Failed logins per key (username, address) in the current window, for every process."""

    key = Varchar(length=200, primary_key=True)
    window_start = Timestamptz()
    failures = Integer(default=0)


class Draft(Table, tablename="drafts", db=_SCHEMA_ENGINE):
    """What someone typed into a task's form and has not submitted yet."""

    key = Varchar(length=200, primary_key=True)
    """``user/case/task``."""
    estate_id = Varchar(length=64)
    data = JSONB()
    saved_at = Timestamptz()


class WorkerHeartbeat(Table, tablename="worker_heartbeats", db=_SCHEMA_ENGINE):
    """One row per worker process, rewritten each round: ``/health`` and ``doctor`` read
    how long ago the freshest one beat."""

    worker = Varchar(length=200, primary_key=True)
    """``host:pid``."""
    beat_at = Timestamptz()
    rounds = Integer(default=0)


class AccessLog(Table, tablename="access_log", db=_SCHEMA_ENGINE):
    """Who looked at or exported personal data, when and why (PIPL / PDPO)."""

    estate_id = Varchar(length=64)
    at = Timestamptz()
    actor = Varchar(length=64)
    action = Varchar(length=32)
    """``view-id``, ``export``, ``purge``, ``erase``."""
    subject = Text(default="")
    """The case id or the search that was made."""
    detail = Text(default="")


class PrivacySetting(Table, tablename="privacy_settings", db=_SCHEMA_ENGINE):
    """An estate's personal-data rules, set by an administrator (``estateflow privacy set``)."""

    estate_id = Varchar(length=64, primary_key=True)
    full_id_roles = JSONB()
    """Roles that see full id numbers; everyone else sees them masked."""
    retention = JSONB()
    """``{procedure: days}``: how long a closed case keeps its personal data."""
    updated_at = Timestamptz()


class OverlayDraft(Table, tablename="overlay_drafts", db=_SCHEMA_ENGINE):
    """An estate admin's edit of one overlay file (append only: each save is a new row)."""

    id = Varchar(length=40, primary_key=True)
    estate_id = Varchar(length=64, index=True)
    path = Text()
    """The overlay's path among the bundle's sources (under the estate's folder)."""
    text = Text()
    base_hash = Varchar(length=64)
    """The bundle published when the draft was saved."""
    saved_by = Varchar(length=64, default="")
    saved_at = Timestamptz()


class ScheduledPublish(Table, tablename="scheduled_publish", db=_SCHEMA_ENGINE):
    """A bundle that becomes the published one at ``effective_at`` (the latest of these
    that has arrived and the ``published`` row wins, by time)."""

    id = Varchar(length=40, primary_key=True)
    estate_id = Varchar(length=64, index=True)
    bundle_hash = Varchar(length=64)
    effective_at = Timestamptz()
    scheduled_at = Timestamptz()
    scheduled_by = Varchar(length=64, default="")
    cancelled_at = Timestamptz(null=True, default=None)


class ApiToken(Table, tablename="api_tokens", db=_SCHEMA_ENGINE):
    """A token for the JSON API: only its SHA-256 is kept; one user, one estate, scopes."""

    token_hash = Varchar(length=64, primary_key=True)
    user_id = Varchar(length=64, index=True)
    estate_id = Varchar(length=64)
    scopes = JSONB()
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)


TABLES: tuple[type[Table], ...] = (
    SchemaVersion,
    Estate,
    User,
    Membership,
    Bundle,
    Published,
    Counter,
    Case,
    Task,
    TaskHolder,
    Event,
    RegisterRow,
    Outbox,
    ReportSummary,
    Session,
    LoginThrottle,
    Draft,
    WorkerHeartbeat,
    AccessLog,
    PrivacySetting,
    OverlayDraft,
    ScheduledPublish,
    ApiToken,
)
