"""Search that finds 投訴 when you type 投诉: both sides folded to simplified characters."""

from __future__ import annotations

from functools import cache


@cache
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


@cache
def fold(text: str) -> str:
    """Lower-case, traditional characters as simplified ones (OpenCC, t2s)."""
    return _converter().convert(text).casefold()
