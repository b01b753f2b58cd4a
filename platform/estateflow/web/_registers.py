"""Register pages: every register the estate declares, listed with search and history.

Nothing here names a register: a new one in ``estate.yaml`` gets its page from its
declared fields. Each row shows which case added it and when it was removed.
"""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.params import FromPath, FromQuery

from estateflow import fields as f
from estateflow.services import Registers
from estateflow.web._common import MEMBER, _base, _finish, _login_redirect, _member, _state, _visit
from estateflow.web._render import render
from estateflow.web._search import fold


@get("/e/{estate_id:str}/registers", opt=MEMBER)
async def register_list(request: Request, estate_id: FromPath[str]) -> Response:
    visit = await _visit(request)
    member = await _member(request, visit, estate_id)
    if member is None:
        return _finish(request, visit, _login_redirect(request))
    registers = list(member.bundle.estate.registers.values())
    context = _base(
        visit,
        estate=member.bundle.estate,
        user=member.user,
        nav="registers",
        registers=registers,
        register=None,
    )
    return _finish(request, visit, render(request, "registers.html", context))


@get("/e/{estate_id:str}/registers/{register:str}", opt=MEMBER)
async def register_page(
    request: Request,
    estate_id: FromPath[str],
    register: FromPath[str],
    q: FromQuery[str] = "",
    show: FromQuery[str] = "current",
) -> Response:
    visit = await _visit(request)
    member = await _member(request, visit, estate_id)
    if member is None:
        return _finish(request, visit, _login_redirect(request))
    registers: Registers = _state(request).registers
    page = await registers.read(member.bundle, register)
    estate = member.bundle.estate
    columns = list(page.spec.fields.values())
    needle = fold(q.strip())
    rows = []
    for entry in page.entries:
        if show == "current" and not entry.current:
            continue
        cells = [
            f.display_value(
                spec, entry.data.get(spec.id), locale=visit.lang, currency=estate.currency
            )
            if entry.data.get(spec.id) is not None
            else ""
            for spec in columns
        ]
        if needle and needle not in fold(" ".join([entry.unit, *cells, entry.case_number or ""])):
            continue
        rows.append({"entry": entry, "cells": cells})
    context = _base(
        visit,
        estate=estate,
        user=member.user,
        nav="registers",
        registers=list(estate.registers.values()),
        register=page.spec,
        columns=columns,
        rows=rows,
        q=q,
        show=show,
    )
    return _finish(request, visit, render(request, "registers.html", context))


ROUTES = [register_list, register_page]
