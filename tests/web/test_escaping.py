"""Text that reaches a message is shown as text: `_()` and the `t` filter escape it."""

from __future__ import annotations

import re

import pytest

from estateflow.web._render import environment
from tests.web.conftest import INTAKE_FORM, csrf_of, sign_in

SCRIPT = "<script>alert(1)</script>"


def test_a_message_held_in_a_variable_is_escaped_whichever_way_it_is_shown():
    env = environment()
    for source in ("{{ _(x) }}", "{{ x | t }}"):
        out = env.from_string(source).render(x=f"no action '{SCRIPT}'")
        assert SCRIPT not in out and "&lt;script&gt;" in out, source


def test_the_t_filter_keeps_a_quoted_percent_sign():
    # `_()` treats its text as a format string: a typed '100%' would break it.
    out = environment().from_string("{{ x | t }}").render(x="100% & more")
    assert out == "100% &amp; more"


@pytest.mark.anyio
async def test_an_action_name_typed_into_the_request_comes_back_escaped(client):
    await sign_in(client, "wychan")
    form = await client.get("/e/sunshine/start/complaint")
    started = await client.post(
        "/e/sunshine/start/complaint",
        data={**INTAKE_FORM, "csrf": csrf_of(form.text)},
        follow_redirects=False,
    )
    page = await client.get(started.headers["location"])
    act = re.search(r'action="([^"]+/act)"', page.text)[1]
    version = re.search(r'name="version" value="(\d+)"', page.text)[1]
    response = await client.post(
        act, data={"csrf": csrf_of(page.text), "version": version, "action": SCRIPT}
    )
    assert response.status_code < 500
    assert SCRIPT not in response.text
