"""Passwords: argon2id hashes; verifying is slow on purpose, so it runs in a thread."""

from __future__ import annotations

import asyncio
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: Shorter than this is refused when a password is set.
MIN_PASSWORD_LENGTH = 10


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id with the library's current recommended costs


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher().hash(password)


def _verify(stored: str, password: str) -> bool:
    if not stored:
        return False
    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(stored: str, password: str) -> bool:
    """True when ``password`` matches; never raises for a wrong or malformed hash."""
    return await asyncio.to_thread(_verify, stored, password)
