"""Web sessions, login throttling and drafts: the use cases the web app's security needs.

Sessions live in the database so that every process shares them; a session id is a
random secret, replaced at login (keeping it would let a planted id become signed in).
The CSRF token belongs to the session: a token from another browser's session is refused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from estateflow.services._accounts import verify_password
from estateflow.store import Store
from estateflow.store import web as rows
from estateflow.store import web as rows_

#: A session unused for this long is signed out (shared desk PCs).
IDLE_TIMEOUT = timedelta(minutes=30)
#: A session is written back at most this often, not on every request.
TOUCH_EVERY = timedelta(minutes=1)
#: Failed logins allowed per username and per address in one window.
LOGIN_FAILURES = 5
LOGIN_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionView:
    id: str
    user: str | None
    csrf: str
    data: dict[str, Any]


class LoginRefused(Exception):
    """Too many failed logins: ``retry_at`` says when trying again is allowed."""

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(retry_at)
        self.retry_at = retry_at


class Sessions:
    def __init__(self, store: Store, clock) -> None:
        self.store = store
        self.clock = clock

    async def open(self, sid: str | None) -> SessionView:
        """The session for ``sid``, or a new anonymous one when it is unknown or idle."""
        now = self.clock()
        if sid:
            async with self.store.unit_of_work(writes=False) as uow:
                row = await rows.load_session(uow, sid)
            if row is not None and now - row["seen_at"] <= IDLE_TIMEOUT:
                if now - row["seen_at"] >= TOUCH_EVERY:
                    async with self.store.unit_of_work(writes=True) as uow:
                        rows.touch_session(uow, sid, now)
                return SessionView(id=sid, user=row["user_id"], csrf=row["csrf"], data=row["data"])
            if row is not None:
                async with self.store.unit_of_work(writes=True) as uow:
                    rows.delete_session(uow, sid)
        return await self._new(None, {})

    async def _new(self, user: str | None, data: dict[str, Any]) -> SessionView:
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        async with self.store.unit_of_work(writes=True) as uow:
            rows.create_session(uow, sid, csrf, user, self.clock(), data)
        return SessionView(id=sid, user=user, csrf=csrf, data=data)

    async def login(
        self, old: SessionView, username: str, password: str, address: str
    ) -> SessionView | None:
        """A NEW signed-in session, or None for a wrong name or password.

        Raises LoginRefused while the username or the address is locked out.
        """
        now = self.clock()
        keys = (f"user:{username.lower()}", f"addr:{address}")
        async with self.store.unit_of_work(writes=False) as uow:
            for key in keys:
                start, failures = await rows.throttle(uow, key)
                if start is not None and now - start < LOGIN_WINDOW and failures >= LOGIN_FAILURES:
                    raise LoginRefused(start + LOGIN_WINDOW)
            user = await uow.user(username)
        ok = (
            user is not None
            and not user["disabled"]
            and await verify_password(user["password_hash"], password)
        )
        async with self.store.unit_of_work(writes=True) as uow:
            for key in keys:
                if ok:
                    rows.clear_throttle(uow, key)
                    continue
                start, failures = await rows.throttle(uow, key)
                if start is None or now - start >= LOGIN_WINDOW:
                    start, failures = now, 0
                rows.set_throttle(uow, key, start, failures + 1)
            if ok:
                rows.delete_session(uow, old.id)
        if not ok:
            return None
        return await self._new(username, {})

    async def logout(self, session: SessionView) -> SessionView:
        async with self.store.unit_of_work(writes=True) as uow:
            rows.delete_session(uow, session.id)
        return await self._new(None, {})

    async def estates_of(self, username: str) -> list[dict[str, Any]]:
        async with self.store.unit_of_work(writes=False) as uow:
            return await rows.memberships_of(uow, username)

    async def load_draft(self, key: str) -> dict[str, Any] | None:
        async with self.store.unit_of_work(writes=False) as uow:
            return await rows.load_draft(uow, key)

    async def save_draft(self, key: str, estate_id: str, data: dict[str, Any]) -> None:
        async with self.store.unit_of_work(writes=True) as uow:
            rows.save_draft(uow, key, estate_id, data, self.clock())

    async def delete_draft(self, key: str) -> None:
        async with self.store.unit_of_work(writes=True) as uow:
            rows.delete_draft(uow, key)

    async def notifications(
        self, estate_id: str, roles: frozenset[str], limit: int = 50
    ) -> list[dict[str, Any]]:
        """The latest notifications meant for any of ``roles`` in this estate."""
        async with self.store.unit_of_work(writes=False) as uow:
            rows = await rows_.recent_notifications(uow, estate_id, limit * 4)
        return [r for r in rows if r["payload"].get("role") in roles][:limit]

    async def pickers(self, estate_id: str) -> dict[str, list[Any]]:
        async with self.store.unit_of_work(writes=False) as uow:
            return await rows_.pickers(uow, estate_id)
