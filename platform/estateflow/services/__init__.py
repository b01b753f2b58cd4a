"""Use cases: start a case, act, claim, reassign, pause, fire what is due, publish.

Layer: above ``store`` and ``engine``, below ``web``, ``worker`` and ``cli``. Each use
case is one unit of work from the store; services never open transactions of their own
and never import Piccolo, Litestar or asyncio's loop machinery beyond ``async def``.
"""

from estateflow.services._accounts import MIN_PASSWORD_LENGTH, hash_password, verify_password
from estateflow.services._authoring import ESTATE_ADMIN, Authoring, DraftCheck
from estateflow.services._bundles import bundle_hash, compile_sources
from estateflow.services._files import MAX_PHOTO_SIDE, Attachments, UploadRefused, sniff
from estateflow.services._people import LOCALES, SCOPES, People, TokenView
from estateflow.services._registers import RegisterEntry, RegisterPage, Registers
from estateflow.services._replay import ReplayReport, replay_closed_cases
from estateflow.services._services import Clock, Services, system_clock
from estateflow.services._sessions import (
    IDLE_TIMEOUT,
    LOGIN_FAILURES,
    LOGIN_WINDOW,
    LoginRefused,
    Sessions,
    SessionView,
)
from estateflow.services._views import CaseView, TaskView
from estateflow.services._worker_support import (
    CaseMigration,
    FireRound,
    MigrationReport,
    Notification,
    Sender,
    SendRound,
    StoreError,
    fire_due_round,
    migrate_cases,
    next_due_moment,
    send_notifications,
)

__all__ = (
    "ESTATE_ADMIN",
    "IDLE_TIMEOUT",
    "LOCALES",
    "LOGIN_FAILURES",
    "LOGIN_WINDOW",
    "MAX_PHOTO_SIDE",
    "MIN_PASSWORD_LENGTH",
    "SCOPES",
    "Attachments",
    "Authoring",
    "CaseMigration",
    "CaseView",
    "Clock",
    "DraftCheck",
    "FireRound",
    "LoginRefused",
    "MigrationReport",
    "Notification",
    "People",
    "RegisterEntry",
    "RegisterPage",
    "Registers",
    "ReplayReport",
    "SendRound",
    "Sender",
    "Services",
    "SessionView",
    "Sessions",
    "StoreError",
    "TaskView",
    "TokenView",
    "UploadRefused",
    "bundle_hash",
    "compile_sources",
    "fire_due_round",
    "hash_password",
    "migrate_cases",
    "next_due_moment",
    "replay_closed_cases",
    "send_notifications",
    "sniff",
    "system_clock",
    "verify_password",
)
