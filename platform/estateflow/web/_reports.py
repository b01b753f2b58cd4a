"""Reports, KPIs and record books: pages, print layouts, CSV and XLSX downloads.

Every figure comes from ``services`` (``Reports``); this module only picks the period
and the estates, lays the figures out and chooses the format. Charts are SVG written on
the server (no script: the strict CSP stays as it is).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Request, Response, get
from litestar.params import FromPath
from markupsafe import Markup

from estateflow.errors import NotFound
from estateflow.services._report_files import bar_chart_svg, csv_bytes, xlsx_bytes
from estateflow.services._reports import BOOKS, Report, Reports
from estateflow.web._common import (
    MEMBER,
    _base,
    _finish,
    _login_redirect,
    _member,
    _state,
    _visit,
)
from estateflow.web._i18n import N_, using
from estateflow.web._i18n import gettext as _
from estateflow.web._render import render

#: Rows a record book download holds at most (pages of the book, read by key).
MAX_EXPORT_ROWS = 20_000
_TABLES = ("kpis", "volumes", "sla", "sla-deadlines", "severity", "close-times")
_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _reports(request: Request) -> Reports:
    return Reports(_state(request).services)


def _month(text: str | None, zone: ZoneInfo, default: datetime) -> datetime:
    try:
        year, month = (int(p) for p in (text or "").split("-", 1))
        return datetime(year, month, 1, tzinfo=zone)
    except ValueError:
        return default


def _period(request: Request, timezone: str, now: datetime) -> tuple[datetime, datetime, str, str]:
    """``[since, until)`` from ``from`` and ``to`` months (YYYY-MM, both included)."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    this_month = datetime(local.year, local.month, 1, tzinfo=zone)
    since = _month(request.query_params.get("from"), zone, _add_months(this_month, -5))
    last = _month(request.query_params.get("to"), zone, this_month)
    if last < since:
        last = since
    until = _add_months(last, 1)
    return since, until, since.strftime("%Y-%m"), last.strftime("%Y-%m")


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1)


def _title(bundle: Any, procedure: str, lang: str) -> str:
    proc = bundle.procedures.get(procedure)
    if proc is None:
        return procedure
    return proc.title.get(lang) or proc.title.get("en") or procedure


def _step_title(bundle: Any, procedure: str, step: str, lang: str) -> str:
    proc = bundle.procedures.get(procedure)
    spec = proc.steps.get(step) if proc else None
    if spec is None or not getattr(spec, "title", None):
        return _("Whole case") if step == "(case)" else step
    return spec.title.get(lang) or spec.title.get("en") or step


def _label(label: Any, lang: str) -> str:
    return label.get(lang) or label.get("en") or ""


#: Complaint severities and validity as the reports count them, for translation.
_SEVERITIES = {
    "major": N_("major"),
    "general": N_("general"),
    "minor": N_("minor"),
    "unknown": N_("unknown"),
}
#: The fixed first columns of every record book (``services.book_rows``).
_BOOK_HEADINGS = (N_("No."), N_("Opened"), N_("Status"), N_("Outcome"))
_VALIDITY = {"valid": N_("valid"), "invalid": N_("invalid"), "undetermined": N_("undetermined")}


def _severity(value: str) -> str:
    return _(_SEVERITIES[value]) if value in _SEVERITIES else value


def _validity(value: str) -> str:
    return _(_VALIDITY[value]) if value in _VALIDITY else value


#: What a step's deadline depends on (``services._reports._DEADLINE_KEYS``) and its values.
_DEADLINE_KEYS = {"severity": N_("severity"), "origin": N_("origin")}
_ORIGINS = {"client": N_("client"), "internal": N_("internal")}


def _deadline(text: str) -> str:
    """``severity: minor`` in the reader's language; ``all`` for the step's totals."""
    if not text:
        return _("all")
    key, _sep, value = text.partition(": ")
    if key not in _DEADLINE_KEYS:
        return text
    shown = _(_ORIGINS[value]) if value in _ORIGINS else _severity(value)
    return _("%(key)s: %(value)s") % {"key": _(_DEADLINE_KEYS[key]), "value": shown}


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}%"


def tables(report: Report, bundle: Any, lang: str) -> dict[str, tuple[list[str], list[list]]]:
    """Every table of the report as ``(headings, rows)``: for the page and the files,
    headings in the language of the current request (``using``)."""
    months = list(report.months)
    volumes = [
        [
            _title(bundle, p, lang),
            *(report.volumes.get((p, m), 0) for m in months),
            sum(report.volumes.get((p, m), 0) for m in months),
        ]
        for p in report.procedures
    ]
    return {
        "kpis": (
            [_("KPI"), _("Figure"), _("Counted"), _("Target"), _("Handbook"), _("On target")],
            [
                [
                    _label(k.label, lang),
                    _pct(k.percent),
                    f"{k.numerator}/{k.denominator}" if k.value is None else k.numerator,
                    f"≥ {k.target}%" if k.target is not None else "",
                    k.source,
                    {True: _("yes"), False: _("no"), None: ""}[k.on_target],
                ]
                for k in report.kpis
            ],
        ),
        "volumes": ([_("Procedure"), *months, _("Total")], volumes),
        "sla": _sla_table(report.sla, bundle, lang),
        "sla-deadlines": _sla_table(report.sla_by_deadline, bundle, lang),
        "severity": (
            [_("Complaints"), _("Count")],
            [[_severity(k), v] for k, v in report.severity.items()]
            + [
                [_("validity: %(value)s") % {"value": _validity(k)}, v]
                for k, v in report.validity.items()
            ],
        ),
        "close-times": (
            [
                _("Procedure"),
                _("Cases closed"),
                _("Median (h)"),
                _("90th percentile (h)"),
                _("Longest (h)"),
                _("Median (working h, pauses out)"),
                _("90th percentile (working h)"),
            ],
            [
                [
                    _title(bundle, c.procedure, lang),
                    c.closed,
                    c.p50_hours,
                    c.p90_hours,
                    c.max_hours,
                    c.p50_business_hours,
                    c.p90_business_hours,
                ]
                for c in report.close_times
            ],
        ),
    }


def _sla_table(rows: Any, bundle: Any, lang: str) -> tuple[list[str], list[list]]:
    headings = [_("Procedure"), _("Step"), _("Deadline"), _("Deadlines"), _("Met"), _("Warned")]
    return (
        [*headings, _("Breached"), _("Pending"), _("Compliance")],
        [
            [
                _title(bundle, r.procedure, lang),
                _step_title(bundle, r.procedure, r.step, lang),
                _deadline(r.deadline),
                r.deadlines,
                r.met,
                r.warned,
                r.breached,
                r.pending,
                _pct(r.compliance),
            ]
            for r in rows
        ],
    )


def charts(report: Report, bundle: Any, lang: str) -> list[Markup]:
    totals = [
        (_title(bundle, p, lang), sum(v for (q, _), v in report.volumes.items() if q == p))
        for p in report.procedures
    ]
    out = [bar_chart_svg(_("Cases opened by procedure"), totals)]
    for kpi in report.kpis:
        label = _label(kpi.label, lang)
        bars = [(label, kpi.percent)] if kpi.percent is not None else []
        out.append(bar_chart_svg(label, bars, target=kpi.target, unit="%"))
    sla = [
        (f"{_step_title(bundle, r.procedure, r.step, lang)}", r.compliance)
        for r in report.sla
        if r.compliance is not None
    ]
    out.append(bar_chart_svg(_("SLA compliance per step"), sla, unit="%"))
    # Our own writer escapes every text it places: the markup is safe to inline.
    return [Markup(svg) for svg in out]


async def _estates(request: Request, username: str, estate_id: str, scope: str) -> list[str]:
    if scope != "all":
        return [estate_id]
    return await _reports(request).visible_estates(username)


@get("/e/{estate_id:str}/reports", opt=MEMBER)
async def reports_page(request: Request, estate_id: FromPath[str]) -> Response:
    visit = await _visit(request)
    member = await _member(request, visit, estate_id)
    if member is None:
        return _finish(request, visit, _login_redirect(request))
    bundle = member.bundle
    services = _state(request).services
    since, until, first, last = _period(request, bundle.estate.timezone, services.clock())
    scope = "all" if request.query_params.get("scope") == "all" else "estate"
    estates = await _estates(request, member.actor.username, estate_id, scope)
    report = await _reports(request).report(estates, since=since, until=until)
    lang = visit.lang
    with using(lang):
        laid_out = tables(report, bundle, lang)
        drawn = charts(report, bundle, lang)
    fmt = request.query_params.get("format")
    if fmt in _MEDIA:
        table = request.query_params.get("table", "kpis")
        if table not in _TABLES:
            raise NotFound(f"no table '{table}'")
        headings, rows = laid_out[table]
        name = f"{estate_id}-{table}-{first}-{last}.{fmt}"
        data = csv_bytes(headings, rows) if fmt == "csv" else xlsx_bytes(table, headings, rows)
        return _finish(request, visit, _download(data, fmt, name))
    context = _base(
        visit,
        estate=bundle.estate,
        user=member.user,
        nav="reports",
        report=report,
        tables=laid_out,
        charts=drawn,
        first=first,
        last=last,
        scope=scope,
        estates=estates,
        printing=request.query_params.get("print") == "1",
        table_names=_TABLES,
    )
    return _finish(request, visit, render(request, "reports/index.html", context))


def _download(data: bytes, fmt: str, name: str) -> Response:
    return Response(
        content=data,
        media_type=_MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@get("/e/{estate_id:str}/books", opt=MEMBER)
async def books_page(request: Request, estate_id: FromPath[str]) -> Response:
    visit = await _visit(request)
    member = await _member(request, visit, estate_id)
    if member is None:
        return _finish(request, visit, _login_redirect(request))
    books = [b for b in BOOKS.values() if b.procedure in member.bundle.procedures]
    context = _base(
        visit, estate=member.bundle.estate, user=member.user, nav="reports", books=books
    )
    return _finish(request, visit, render(request, "reports/books.html", context))


@get("/e/{estate_id:str}/books/{book:str}", opt=MEMBER)
async def book_page(request: Request, estate_id: FromPath[str], book: FromPath[str]) -> Response:
    visit = await _visit(request)
    member = await _member(request, visit, estate_id)
    if member is None:
        return _finish(request, visit, _login_redirect(request))
    bundle = member.bundle
    zone = ZoneInfo(bundle.estate.timezone)
    q = request.query_params
    since = _day(q.get("since"), zone)
    until_day = _day(q.get("until"), zone)
    until = until_day.replace(hour=23, minute=59, second=59) if until_day else None
    filters = {
        "since": since,
        "until": until,
        "status": q.get("status") if q.get("status") in ("open", "closed") else None,
        "unit": (q.get("unit") or "").strip()[:64] or None,
    }
    reports = _reports(request)
    fmt = q.get("format")
    if fmt in _MEDIA:
        rows: list[tuple[str, ...]] = []
        after = None
        while True:
            page = await reports.book(estate_id, book, after=after, limit=500, **filters)
            rows += page.rows
            after = page.next_after
            if after is None or len(rows) >= MAX_EXPORT_ROWS:
                break
        title = page.book.title.get(visit.lang) or page.book.key
        columns = _book_columns(page.columns, visit.lang)
        data = csv_bytes(columns, rows) if fmt == "csv" else xlsx_bytes(title, columns, rows)
        return _finish(request, visit, _download(data, fmt, f"{estate_id}-{book}.{fmt}"))
    printing = q.get("print") == "1"
    page = await reports.book(
        estate_id, book, after=q.get("after"), limit=500 if printing else 50, **filters
    )
    query = {
        "since": q.get("since") or "",
        "until": q.get("until") or "",
        "status": filters["status"] or "",
        "unit": filters["unit"] or "",
    }
    context = _base(
        visit,
        estate=bundle.estate,
        user=member.user,
        nav="reports",
        page=page,
        columns=_book_columns(page.columns, visit.lang),
        query=query,
        qs=urlencode(query),
        printing=printing,
    )
    return _finish(request, visit, render(request, "reports/book.html", context))


def _book_columns(columns: tuple[str, ...], lang: str) -> list[str]:
    """A book's headings with its fixed first columns in ``lang``."""
    with using(lang):
        fixed = [_(h) for h in _BOOK_HEADINGS]
    return fixed + list(columns[len(fixed) :])


def _day(text: str | None, zone: ZoneInfo) -> datetime | None:
    try:
        return datetime.strptime(text or "", "%Y-%m-%d").replace(tzinfo=zone)
    except ValueError:
        return None


ROUTES = [reports_page, books_page, book_page]
