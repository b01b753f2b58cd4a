"""Use cases: start a case, act, claim, reassign, pause, fire what is due, publish.

Layer: above ``store`` and ``engine``, below ``web``, ``worker`` and ``cli``. Each use
case is one unit of work from the store; services never open transactions of their own
and never import Piccolo, Litestar or asyncio's loop machinery beyond ``async def``.
"""

from estateflow.services._accounts import MIN_PASSWORD_LENGTH, hash_password, verify_password
from estateflow.services._bundles import bundle_hash, compile_sources
from estateflow.services._services import Clock, Services, system_clock
from estateflow.services._views import CaseView, TaskView

__all__ = (
    "MIN_PASSWORD_LENGTH",
    "CaseView",
    "Clock",
    "Services",
    "TaskView",
    "bundle_hash",
    "compile_sources",
    "hash_password",
    "system_clock",
    "verify_password",
)
