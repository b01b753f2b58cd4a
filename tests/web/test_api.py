"""The JSON API: a complaint from intake to closed with tokens; 401, 403, 404, 409, 422."""

from __future__ import annotations

import pytest

from estateflow.services import People
from tests.services.conftest import REPO
from tests.web.conftest import PEOPLE

TOWER = REPO / "examples" / "tower"

pytestmark = pytest.mark.anyio

INTAKE = {
    "unit": "T1-12A",
    "complainant": "陳國棟",
    "relation": "owner",
    "phone": "9123 4567",
    "channel": "phone",
    "received_at": "2026-09-24T10:00",
    "severity": "general",
    "summary": "走廊燈壞了三天",
    "repeated_back": True,
}
API = "/api/v1/e/sunshine"


@pytest.fixture
async def tokens(services):
    people = People(services.store, services.clock)
    return {
        username: await people.add_token(username, "sunshine", ["read", "act"])
        for username in PEOPLE
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _act(client, token, case, step, action, data):
    task = next(t for t in case["tasks"] if t["step"] == step)
    response = await client.post(
        f"{API}/cases/{case['id']}/tasks/{task['task_id']}/act",
        json={"action": action, "data": data, "version": case["version"]},
        headers=bearer(token),
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_complaint_from_intake_to_closed_through_the_api(client, tokens):
    procedures = await client.get(f"{API}/procedures", headers=bearer(tokens["wychan"]))
    assert procedures.status_code == 200
    complaint = next(p for p in procedures.json() if p["id"] == "complaint")
    assert {f["id"] for f in complaint["fields"]} >= set(INTAKE)

    started = await client.post(
        f"{API}/cases",
        json={"procedure": "complaint", "data": INTAKE},
        headers=bearer(tokens["wychan"]),
    )
    assert started.status_code == 201, started.text
    case = started.json()
    assert case["number"] == "TS-2026-000001"

    inbox = await client.get(f"{API}/tasks", headers=bearer(tokens["kflee"]))
    assert [t["case_number"] for t in inbox.json()] == ["TS-2026-000001"]

    case = await _act(
        client, tokens["kflee"], case, "forward", "dispatch", {"department": "engineering"}
    )
    case = await _act(
        client,
        tokens["hwong"],
        case,
        "investigate",
        "done",
        {
            "findings": "燈管損壞，已更換",
            "valid": True,
            "verified_by": "hwong",
            "scope": "ours",
            "measures": "更換燈管",
        },
    )
    case = await _act(
        client,
        tokens["wychan"],
        case,
        "inform",
        "informed",
        {"informed_at": "2026-09-24T10:30", "method": "phone", "content": "已更換燈管"},
    )
    case = await _act(
        client,
        tokens["smcheung"],
        case,
        "callback",
        "record",
        {
            "called_at": "2026-09-24T15:00",
            "method": "phone",
            "satisfied": True,
            "signature": {"typed": "陳國棟"},
        },
    )
    assert case["status"] == "closed"
    assert case["outcome"] == "resolved"

    full = await client.get(f"{API}/cases/{case['id']}", headers=bearer(tokens["wychan"]))
    types = [e["type"] for e in full.json()["events"]]
    assert types[0] == "CaseStarted" and types[-1] == "CaseClosed"


async def test_without_a_token_or_with_another_estates_token_nothing_is_given(
    client, services, tokens
):
    started = await client.post(
        f"{API}/cases",
        json={"procedure": "complaint", "data": INTAKE},
        headers=bearer(tokens["wychan"]),
    )
    case_id = started.json()["id"]

    bare = await client.get(f"{API}/cases/{case_id}")
    assert bare.status_code == 401
    assert bare.headers["content-type"].startswith("application/problem+json")
    assert bare.json()["status"] == 401
    unknown = await client.get(f"{API}/cases/{case_id}", headers=bearer("eft_nonsense"))
    assert unknown.status_code == 401
    no_start = await client.post(f"{API}/cases", json={"procedure": "complaint", "data": INTAKE})
    assert no_start.status_code == 401

    await services.publish_estate(TOWER)
    await services.grant("wychan", "tower", ["front_desk"])
    other = await People(services.store, services.clock).add_token("wychan", "tower", ["read"])
    for path in (f"/cases/{case_id}", "/tasks", "/procedures"):
        response = await client.get(f"{API}{path}", headers=bearer(other))
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_scopes_conflicts_and_invalid_data_are_problem_details(client, services, tokens):
    reader = await People(services.store, services.clock).add_token("wychan", "sunshine", ["read"])
    refused = await client.post(
        f"{API}/cases", json={"procedure": "complaint", "data": INTAKE}, headers=bearer(reader)
    )
    assert refused.status_code == 403

    invalid = await client.post(
        f"{API}/cases",
        json={"procedure": "complaint", "data": {**INTAKE, "severity": ""}},
        headers=bearer(tokens["wychan"]),
    )
    assert invalid.status_code == 422
    assert "severity" in invalid.json()["errors"]
    malformed = await client.post(
        f"{API}/cases", json={"nope": 1}, headers=bearer(tokens["wychan"])
    )
    assert malformed.status_code == 422

    case = (
        await client.post(
            f"{API}/cases",
            json={"procedure": "complaint", "data": INTAKE},
            headers=bearer(tokens["wychan"]),
        )
    ).json()
    task = case["tasks"][0]
    stale = await client.post(
        f"{API}/cases/{case['id']}/tasks/{task['task_id']}/act",
        json={"action": "dispatch", "data": {"department": "engineering"}, "version": 0},
        headers=bearer(tokens["kflee"]),
    )
    assert stale.status_code == 409, stale.text


async def test_a_body_that_is_not_json_and_a_wrong_method_are_problems_too(client, tokens):
    broken = await client.post(
        f"{API}/cases",
        content=b'{"procedure": "complaint", ',
        headers={**bearer(tokens["wychan"]), "Content-Type": "application/json"},
    )
    assert broken.status_code == 400
    assert broken.headers["content-type"].startswith("application/problem+json")
    assert broken.json()["status"] == 400
    wrong = await client.patch(f"{API}/cases", headers=bearer(tokens["wychan"]))
    assert wrong.status_code == 405
    assert wrong.headers["content-type"].startswith("application/problem+json")
    assert "POST" in wrong.headers["allow"]
    page = await client.put("/login")
    assert page.status_code == 405 and page.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_an_unknown_api_path_is_a_problem_not_a_page(client):
    response = await client.get("/api/v1/nothing/here")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_the_openapi_document_lists_the_api(client):
    response = await client.get("/api/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    paths = document["paths"]
    assert "/api/v1/e/{estate_id}/cases" in paths
    assert "/api/v1/e/{estate_id}/cases/{case_id}/tasks/{task_id}/act" in paths
    # The API only: pages are for browsers, not operations to generate a client for.
    assert all(path.startswith("/api/v1/") for path in paths), sorted(paths)
    act = paths["/api/v1/e/{estate_id}/cases/{case_id}/tasks/{task_id}/act"]["post"]
    assert act["security"] == [{"bearer": []}]
    assert act["responses"]["409"]["content"]["application/problem+json"]
    case = document["components"]["schemas"]["CaseOut"]
    assert {"id", "number", "version", "tasks", "actions"} <= set(case["required"])
    # JSON only: the HTML viewers load scripts from a CDN, which the CSP forbids.
    assert (await client.get("/api/schema/swagger")).status_code == 404


def test_the_cli_makes_a_token_that_is_shown_once(tmp_path, capsys):
    import asyncio

    from estateflow.cli import main
    from estateflow.services import Services
    from estateflow.store import open_store
    from tests.services.conftest import SUNSHINE

    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"

    async def prepare() -> None:
        store = await open_store(url)
        services = Services(store)
        await services.publish_estate(SUNSHINE)
        await services.add_user("wychan", "陳穎欣")
        await services.grant("wychan", "sunshine", ["front_desk"])
        await store.close()

    asyncio.run(prepare())
    argv = ["token", "add", "wychan", "--estate", "sunshine", "--scopes", "read,act", "--db", url]
    assert main(argv) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("eft_")

    async def check() -> object:
        store = await open_store(url)
        try:
            return await People(store, Services(store).clock).check_token(token)
        finally:
            await store.close()

    seen = asyncio.run(check())
    assert seen.scopes == {"read", "act"}
    assert main([*argv[:-4], "--scopes", "write", "--db", url]) == 2
