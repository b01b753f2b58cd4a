"""The JSON API fuzzed by schemathesis from its own OpenAPI document.

A real server (``estateflow serve``) over a SQLite file seeded with the sunshine estate,
two members, their tokens and a few cases. schemathesis reads ``/api/schema/openapi.json``
and, for every operation, sends generated requests (valid and invalid bodies, odd path
segments, the seeded case and task ids mixed with generated ones) with a valid token;
every answer must be no 5xx, a documented status, the documented content type and a body
that fits its schema. The stateful test chains calls (start a case, read it, act on it)
with links schemathesis infers from the document.

CI runs a bounded, derandomized run (the same requests every time, well under a minute of
requests). ``ESTATEFLOW_FUZZ_EXAMPLES=500`` runs that many examples per operation with a
fresh seed (docs/reliability.md, "API fuzzing").
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode

from estateflow.engine import Actor
from estateflow.services import People, Services
from estateflow.store import open_store
from estateflow.web import create_app
from tests.services.conftest import SUNSHINE
from tests.services.test_services import INTAKE
from tests.web._server import running_server

#: Examples per operation: a fixed, small number in CI; more (and random) by hand.
EXAMPLES = int(os.environ.get("ESTATEFLOW_FUZZ_EXAMPLES", "0")) or None
CI_EXAMPLES = 25
CI_SEQUENCES = 15
PEOPLE = {"wychan": ["front_desk"], "kflee": ["cs_supervisor"]}


async def _seed(url: str) -> dict[str, list[str] | str]:
    store = await open_store(url)
    try:
        services = Services(store)
        await services.publish_estate(SUNSHINE)
        for username, roles in PEOPLE.items():
            await services.add_user(username, username)
            await services.grant(username, "sunshine", roles)
        desk = Actor(username="wychan", roles=frozenset(PEOPLE["wychan"]))
        cases = [
            await services.start_case("sunshine", "complaint", INTAKE, actor=desk) for _ in range(3)
        ]
        people = People(store, services.clock)
        token = await people.add_token("wychan", "sunshine", ["read", "act"])
        tasks = sorted({t.id for case in cases for t in case.state.tasks})
        return {"token": token, "cases": [c.id for c in cases], "tasks": tasks}
    finally:
        await store.close()


def _document() -> dict:
    """The document the app serves at /api/schema/openapi.json (the fixture checks that
    the server serves this very one). Read here, without a server, because schemathesis
    builds its tests when pytest collects them; its loader that waits for a fixture does
    not work with this pytest (it reads a node attribute pytest 9 removed)."""
    return create_app(Services(None)).openapi_schema.to_schema()


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=SchemathesisConfig.from_dict(
        {
            "parameters": {"path.estate_id": "sunshine"},
            "generation": {
                "max-examples": EXAMPLES or CI_EXAMPLES,
                "deterministic": EXAMPLES is None,
                # Our token, not generated ones: the requests get past the sign-in check.
                # (The ignored_auth check still sends none and a wrong one.)
                "with-security-parameters": False,
            },
            "checks": {
                "enabled": True,
                # A case's data is checked against its procedure's form, which an estate
                # defines and the static document cannot state: a schema-valid body may
                # still be invalid data (422), never a 400 or a 5xx.
                "positive_data_acceptance": {"expected-statuses": ["2XX", 401, 403, 404, 409, 422]},
            },
        }
    ),
)
#: Filled by the ``server`` fixture: the base URL, the token, the seeded ids.
SERVER: dict[str, object] = {}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Most ids are the seeded ones (the handlers then run deep); the rest as generated."""
    return st.fixed_dictionaries(
        {
            name: st.sampled_from(SERVER[name]) | st.just(value)
            if SERVER.get(name)
            else st.just(value)
            for name, value in path_parameters.items()
        }
    )


#: Bodies that pass validation, drawn now and then: with them the handlers run to the
#: end (201, 200, 409) instead of stopping at 404 or 422.
GOOD_BODIES = {
    "POST /api/v1/e/{estate_id}/cases": [
        {"procedure": "complaint", "data": INTAKE},
        {"procedure": "complaint", "data": {**INTAKE, "severity": "minor", "phone": "12"}},
    ],
    "POST /api/v1/e/{estate_id}/cases/{case_id}/tasks/{task_id}/act": [
        {"action": "dispatch", "data": {"department": "engineering"}},
        {"action": "dispatch", "data": {"department": "engineering"}, "version": 1},
    ],
}


@schema.hook
def flatmap_case(context, case):
    """Now and then a good body instead of a generated one, in positive cases only (a
    negative case must stay invalid: the API has to refuse it)."""
    good = GOOD_BODIES.get(context.operation.label)
    if not good or case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
        return st.just(case)
    return st.sampled_from(good).map(lambda body: _with_body(case, body)) | st.just(case)


def _with_body(case, body):
    return case.operation.Case(
        path_parameters=dict(case.path_parameters or {}),
        headers=dict(case.headers or {}),
        query=dict(case.query or {}),
        body=copy.deepcopy(body),
        media_type="application/json",
        _meta=case.meta,
    )


@pytest.fixture(scope="module", autouse=True)
def server(tmp_path_factory):
    folder = Path(tmp_path_factory.mktemp("fuzz"))
    url = f"sqlite:///{folder / 'fuzz.sqlite3'}"
    seeded = asyncio.run(_seed(url))
    with running_server(url, str(folder / "files")) as base:
        served = requests.get(f"{base}/api/schema/openapi.json", timeout=30).json()
        expected = json.loads(json.dumps(_document()))  # schemathesis changes DOCUMENT
        assert served == expected, "the server serves another document than the one fuzzed"
        SERVER.update(
            base=base,
            headers={"Authorization": f"Bearer {seeded['token']}"},
            case_id=seeded["cases"],
            task_id=seeded["tasks"],
            register=["members", "cards", "keys"],
        )
        yield SERVER
    log = next(folder.glob("server-*.log")).read_text(encoding="utf-8")
    # A crash the server logged fails the run, even one hidden behind a 4xx answer.
    assert "Traceback" not in log, log[-4000:]


FUZZ = settings(
    deadline=None,
    derandomize=EXAMPLES is None,
    suppress_health_check=list(HealthCheck),
    database=None,
)


@schema.parametrize()
@FUZZ
def test_every_operation_answers_as_documented(case):
    case.call_and_validate(base_url=SERVER["base"], headers=SERVER["headers"])


class Workflow(schema.as_state_machine()):
    """Calls chained by the links schemathesis infers from the document: a started case's
    id feeds the case, act and claim operations, a task list's ids feed act and claim."""

    def before_call(self, case):
        super().before_call(case)  # the config's parameters do not reach the machine
        if case.path_parameters and "estate_id" in case.path_parameters:
            case.path_parameters["estate_id"] = "sunshine"

    def get_call_kwargs(self, case):
        return {"base_url": SERVER["base"], "headers": SERVER["headers"]}


def test_chained_calls_answer_as_documented():
    Workflow.run(
        settings=settings(
            FUZZ,
            max_examples=EXAMPLES or CI_SEQUENCES,
            stateful_step_count=8,
        )
    )
