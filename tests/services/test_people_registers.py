"""People's language and API tokens, and registers with their history, on both databases."""

from __future__ import annotations

import pytest

from estateflow.errors import NotFound
from estateflow.services import People, Registers

pytestmark = pytest.mark.anyio


async def test_language_preference_is_kept_and_checked(services):
    people = People(services.store, services.clock)
    assert await people.locale("lmyip") == ""
    await people.set_locale("lmyip", "zh-Hans")
    assert await people.locale("lmyip") == "zh-Hans"
    await people.set_locale("lmyip", "")
    assert await people.locale("lmyip") == ""
    with pytest.raises(ValueError):
        await people.set_locale("lmyip", "fr")
    with pytest.raises(NotFound):
        await people.set_locale("nobody", "en")


async def test_a_token_acts_for_one_user_in_one_estate_and_only_its_hash_is_kept(services):
    people = People(services.store, services.clock)
    token = await people.add_token("lmyip", "sunshine", ["read", "act"])
    seen = await people.check_token(token)
    assert seen is not None
    assert (seen.username, seen.estate_id, seen.scopes) == ("lmyip", "sunshine", {"read", "act"})
    assert await people.check_token(token + "x") is None
    assert await people.check_token("not-a-token") is None
    async with services.store.unit_of_work(writes=False) as uow:
        stored = await uow.tx.fetch('SELECT "token_hash", "last_used_at" FROM "api_tokens"')
    assert token not in str(stored)
    assert stored[0]["last_used_at"] is not None
    with pytest.raises(ValueError):
        await people.add_token("lmyip", "sunshine", ["admin"])
    with pytest.raises(NotFound):
        await people.add_token("lmyip", "tower", ["read"])


async def test_register_rows_come_with_their_history(services):
    await services.add_register_rows(
        "sunshine", "keys", [{"tag_no": "K-1", "unit": "T1-1A"}, {"tag_no": "K-2", "unit": "T1-2B"}]
    )
    async with services.store.unit_of_work(writes=True) as uow:
        await uow.change_register(
            "sunshine",
            {"register": "keys", "op": "remove", "where": {"tag_no": "K-1"}},
            case_id=None,
            at=services.clock(),
        )
    bundle = await services.published_bundle("sunshine")
    page = await Registers(services.store).read(bundle, "keys")
    assert page.spec.id == "keys"
    assert [(e.data["tag_no"], e.current) for e in page.entries] == [("K-2", True), ("K-1", False)]
    assert all(e.case_id is None for e in page.entries)
    with pytest.raises(NotFound):
        await Registers(services.store).read(bundle, "no-such-register")
