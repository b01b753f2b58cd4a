"""People's preferences and their API tokens.

A token is shown once when it is made; only its SHA-256 is stored. A token belongs to
one user and one estate and carries scopes (``read``, ``act``): the API acts as that
user with that user's roles in that estate, never more.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from estateflow.errors import NotFound
from estateflow.store import Store
from estateflow.store import people as rows

LOCALES = ("zh-Hans", "zh-Hant", "en")
SCOPES = ("read", "act")
TOKEN_PREFIX = "eft_"


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenView:
    username: str
    estate_id: str
    scopes: frozenset[str]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class People:
    def __init__(self, store: Store, clock) -> None:
        self.store = store
        self.clock = clock

    async def locale(self, username: str) -> str:
        """The language ``username`` chose, or "" for the estate's."""
        async with self.store.unit_of_work(writes=False) as uow:
            return await rows.user_locale(uow, username)

    async def set_locale(self, username: str, locale: str) -> None:
        if locale and locale not in LOCALES:
            raise ValueError(f"unknown language '{locale}': one of {', '.join(LOCALES)}")
        async with self.store.unit_of_work(writes=True) as uow:
            if await uow.user(username) is None:
                raise NotFound(f"no user '{username}'")
            rows.set_user_locale(uow, username, locale)

    async def add_token(self, username: str, estate_id: str, scopes: list[str]) -> str:
        """A new token for ``username`` in ``estate_id``; the only time it is seen."""
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown or not scopes:
            raise ValueError(f"scopes must be among {', '.join(SCOPES)}: got {scopes}")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        async with self.store.unit_of_work(writes=True) as uow:
            if await uow.membership(username, estate_id) is None:
                raise NotFound(f"'{username}' is not a member of estate '{estate_id}'")
            rows.add_token(uow, _hash(token), username, estate_id, list(scopes), self.clock())
        return token

    async def check_token(self, token: str) -> TokenView | None:
        """Who ``token`` acts for, or None when it is unknown; notes when it was used."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        digest = _hash(token)
        async with self.store.unit_of_work(writes=False) as uow:
            row = await rows.token(uow, digest)
        if row is None:
            return None
        now = self.clock()
        last = row["last_used_at"]
        if last is None or (now - last).total_seconds() > 60:
            async with self.store.unit_of_work(writes=True) as uow:
                rows.touch_token(uow, digest, now)
        return TokenView(
            username=row["user_id"], estate_id=row["estate_id"], scopes=frozenset(row["scopes"])
        )
