"""Reports and KPIs computed from cases: volumes, SLA compliance, the handbook's rates.

Everything here is worked out from each case's state, which is the replay of its events:
a task's ``due_at`` is its deadline after every pause (``CaseResumed`` moves it by the
paused business time), so comparing it with the task's ``closed_at`` counts business
hours, holidays and pauses exactly as the engine did. A task still open past its
deadline, or one whose ``DeadlineMissed`` fired, is breached.

The figures are plain data (:class:`Report`); pages, CSV, XLSX and SVG are made from it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from estateflow import engine
from estateflow.calendar import Calendar, Pause
from estateflow.definitions import Bundle
from estateflow.engine import CaseState, TaskState
from estateflow.errors import NotFound
from estateflow.store._reports import (
    ReportCase,
    ReportSummary,
    report_cases,
    report_durations,
    report_summaries,
    save_report_summary,
)

#: A month's summary counts the cases closed this long before it was made; those closed
#: later are read from the cases, so an act still committing then is never left out.
SUMMARY_LAG = timedelta(hours=1)
#: A summary older than this is made again from the month's cases. Between, each report
#: rolls it on with the cases closed since, so the cases read beside it stay few; the
#: rebuild bounds what a privacy erasure racing a report's first summary could leave
#: counted (never data, only its counts).
SUMMARY_REBUILD = timedelta(days=7)

#: Default targets (percent) when a procedure states none in its params.
COMPLAINT_REPLY_TARGET = 100
"""000 1.1.3: 回复率要达到100%."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Kpi:
    key: str
    label: Mapping[str, str]
    """In zh-Hans, zh-Hant and en."""
    source: str
    numerator: int
    denominator: int
    target: Decimal | None
    """Percent, from the procedure's params where it states one."""
    at_least: bool = True
    value: Decimal | None = None
    """Percent; None when nothing was counted. Set explicitly for averages."""

    @property
    def percent(self) -> Decimal | None:
        if self.value is not None:
            return self.value
        if not self.denominator:
            return None
        return percent(self.numerator, self.denominator)

    @property
    def on_target(self) -> bool | None:
        if self.percent is None or self.target is None:
            return None
        return self.percent >= self.target


@dataclass(frozen=True, slots=True, kw_only=True)
class SlaRow:
    procedure: str
    step: str
    """A step id, or ``(case)`` for a deadline on the whole case."""
    deadline: str = ""
    """Which of the step's deadlines, where they differ by the case (``severity: minor``,
    ``origin: client``); empty in the per-step totals."""
    deadlines: int = 0
    met: int = 0
    warned: int = 0
    breached: int = 0
    pending: int = 0

    @property
    def compliance(self) -> Decimal | None:
        done = self.met + self.breached
        return percent(self.met, done) if done else None


@dataclass(frozen=True, slots=True, kw_only=True)
class CloseTimes:
    procedure: str
    closed: int
    p50_hours: Decimal
    p90_hours: Decimal
    max_hours: Decimal
    p50_business_hours: Decimal | None = None
    """In the procedure's calendar's open hours, paused time left out."""
    p90_business_hours: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    estates: tuple[str, ...]
    cases: int
    volumes: Mapping[tuple[str, str], int]
    """``(procedure, "YYYY-MM")`` to the number of cases opened (estate time)."""
    sla: tuple[SlaRow, ...]
    sla_by_deadline: tuple[SlaRow, ...]
    severity: Mapping[str, int]
    validity: Mapping[str, int]
    """``valid``, ``invalid`` and ``undetermined`` complaints."""
    kpis: tuple[Kpi, ...]
    close_times: tuple[CloseTimes, ...]
    months: tuple[str, ...] = ()
    procedures: tuple[str, ...] = ()

    def kpi(self, key: str) -> Kpi:
        return next(k for k in self.kpis if k.key == key)

    def sla_row(self, procedure: str, step: str, deadline: str = "") -> SlaRow:
        rows = self.sla_by_deadline if deadline else self.sla
        return next(
            r for r in rows if (r.procedure, r.step, r.deadline) == (procedure, step, deadline)
        )


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal:
    """``part / whole`` in percent, to one decimal place (half up, as on paper)."""
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def nearest_rank(values: Sequence[Decimal], p: int) -> Decimal:
    """The ``p``-th percentile by the nearest-rank method (a value that occurred)."""
    ordered = sorted(values)
    rank = max(1, -(-p * len(ordered) // 100))
    return ordered[rank - 1]


# -- computing ----------------------------------------------------------------------------
def compute_report(
    rows: Iterable[ReportCase], bundles: Mapping[str, Bundle], now: datetime
) -> Report:
    """The report over ``rows`` (cases of the estates in ``bundles``) as of ``now``."""
    tally = Tally()
    for row in rows:
        tally.add(row, bundles[row.estate_id], now)
    return tally.report(bundles)


_COUNTS = ("complaints", "replied", "client", "client_ok", "internal", "internal_ok")


@dataclass
class Tally:
    """What the report counts, case by case; two tallies add up to the tally of both
    sets of cases, so a month's closed cases can be counted once and kept
    (``Reports.report``). Everything in it is independent of ``now`` for a closed case:
    closing cancels its open tasks."""

    cases: int = 0
    volumes: Counter[tuple[str, str]] = field(default_factory=Counter)
    sla: dict[tuple[str, str, str], dict[str, int]] = field(default_factory=dict)
    by_deadline: dict[tuple[str, str, str], dict[str, int]] = field(default_factory=dict)
    severity: Counter[str] = field(default_factory=Counter)
    validity: Counter[str] = field(default_factory=Counter)
    hours: dict[str, list[Decimal]] = field(default_factory=lambda: defaultdict(list))
    business: dict[str, list[Decimal]] = field(default_factory=lambda: defaultdict(list))
    counts: Counter[str] = field(default_factory=Counter)
    """``complaints``, ``replied``, ``client``, ``client_ok``, ``internal``, ``internal_ok``."""
    rates: list[Decimal] = field(default_factory=list)
    fixed: dict[str, CloseTimes] = field(default_factory=dict)
    """Close times taken whole from a summary read without its durations: right only
    while no other closed case of the procedure is counted (``Reports.report``)."""

    def add(self, row: ReportCase, bundle: Bundle, now: datetime) -> None:
        self.cases += 1
        zone = ZoneInfo(bundle.estate.timezone)
        self.volumes[(row.procedure, row.opened_at.astimezone(zone).strftime("%Y-%m"))] += 1
        try:
            case = engine.case_from_dict(row.state)
        except (KeyError, TypeError, ValueError):
            return  # a state erased for privacy counts in the volumes only
        _count_sla(case, now, self.sla, self.by_deadline, _calendars(bundle, row.procedure))
        if case.closed_at is not None:
            if row.procedure in self.fixed:
                raise ValueError("close times taken whole cannot be added to")
            spent = Decimal((case.closed_at - case.opened_at).total_seconds()) / 3600
            self.hours[row.procedure].append(spent.quantize(Decimal("0.01"), ROUND_HALF_UP))
            calendar = _calendars(bundle, row.procedure)("")
            if calendar is not None:
                self.business[row.procedure].append(_business_hours(case, calendar))
        data = case.data
        counts = self.counts
        if row.procedure == "complaint":
            counts["complaints"] += 1
            self.severity[str(data.get("severity") or "unknown")] += 1
            valid = data.get("valid")
            self.validity["undetermined" if valid is None else "valid" if valid else "invalid"] += 1
            counts["replied"] += "callback" in case.steps
        elif row.procedure == "repair-callback":
            origin = data.get("origin")
            done = _callback(case, _calendars(bundle, row.procedure))
            if origin == "client":
                counts["client"] += 1
                counts["client_ok"] += bool(done and done[0] == "phone" and done[1])
            elif origin == "internal":
                counts["internal"] += 1
                counts["internal_ok"] += bool(done and done[0] == "face_to_face")
        elif row.procedure == "satisfaction-survey" and data.get("rate") is not None:
            self.rates.append(Decimal(str(data["rate"])))

    def merge(self, other: Tally) -> None:
        if (self.fixed or other.fixed) and self._timed() & other._timed():
            raise ValueError("close times taken whole cannot be added to")
        self.fixed.update(other.fixed)
        self.cases += other.cases
        self.volumes.update(other.volumes)
        for mine, theirs in ((self.sla, other.sla), (self.by_deadline, other.by_deadline)):
            for key, counts in theirs.items():
                into = mine.setdefault(key, dict.fromkeys(counts, 0))
                for name, value in counts.items():
                    into[name] += value
        self.severity.update(other.severity)
        self.validity.update(other.validity)
        for mine_lists, theirs_lists in (
            (self.hours, other.hours),
            (self.business, other.business),
        ):
            for proc, values in theirs_lists.items():
                mine_lists[proc].extend(values)
        self.counts.update(other.counts)
        self.rates.extend(other.rates)

    def _timed(self) -> set[str]:
        return set(self.fixed) | {p for p, values in self.hours.items() if values}

    def to_json(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Plain JSON: the figures, with the close times worked out; and apart, the
        durations they come from (read only when more closed cases are to be added),
        sorted, as strings, which read back faster than tagged Decimals."""
        assert not self.fixed, "a tally without its durations is not kept"
        close = {
            c.procedure: [
                c.closed,
                *(
                    None if v is None else str(v)
                    for v in (
                        c.p50_hours,
                        c.p90_hours,
                        c.max_hours,
                        c.p50_business_hours,
                        c.p90_business_hours,
                    )
                ),
            ]
            for c in self._close_times()
        }
        figures = {
            "cases": self.cases,
            "volumes": [[p, m, n] for (p, m), n in self.volumes.items()],
            "sla": [[*k, v] for k, v in self.sla.items()],
            "by_deadline": [[*k, v] for k, v in self.by_deadline.items()],
            "severity": dict(self.severity),
            "validity": dict(self.validity),
            "counts": dict(self.counts),
            "rates": [str(v) for v in self.rates],
            "close": close,
        }
        durations = {
            name: {p: [str(v) for v in sorted(vs)] for p, vs in values.items() if vs}
            for name, values in (("hours", self.hours), ("business", self.business))
        }
        return figures, durations

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], durations: Mapping[str, Any] | None = None) -> Tally:
        """Without ``durations``, the close times are taken whole (``fixed``)."""
        tally = cls(
            cases=raw["cases"],
            volumes=Counter({(p, m): n for p, m, n in raw["volumes"]}),
            sla={(p, s, d): dict(v) for p, s, d, v in raw["sla"]},
            by_deadline={(p, s, d): dict(v) for p, s, d, v in raw["by_deadline"]},
            severity=Counter(raw["severity"]),
            validity=Counter(raw["validity"]),
            counts=Counter(raw["counts"]),
            rates=[Decimal(v) for v in raw["rates"]],
        )
        if durations is None:
            for proc, (closed, *values) in raw["close"].items():
                p50, p90, top, b50, b90 = (None if v is None else Decimal(v) for v in values)
                tally.fixed[proc] = CloseTimes(
                    procedure=proc,
                    closed=closed,
                    p50_hours=p50,
                    p90_hours=p90,
                    max_hours=top,
                    p50_business_hours=b50,
                    p90_business_hours=b90,
                )
            return tally
        for name in ("hours", "business"):
            into = getattr(tally, name)
            for proc, values in durations[name].items():
                into[proc] = [Decimal(v) for v in values]
        return tally

    def _close_times(self) -> tuple[CloseTimes, ...]:
        found = dict(self.fixed)
        business = self.business
        for proc, values in self.hours.items():
            if not values:
                continue
            ordered = sorted(values)
            spent = sorted(business[proc]) if business.get(proc) else None
            found[proc] = CloseTimes(
                procedure=proc,
                closed=len(ordered),
                p50_hours=nearest_rank(ordered, 50),
                p90_hours=nearest_rank(ordered, 90),
                max_hours=ordered[-1],
                p50_business_hours=nearest_rank(spent, 50) if spent else None,
                p90_business_hours=nearest_rank(spent, 90) if spent else None,
            )
        return tuple(found[p] for p in sorted(found))

    def report(self, bundles: Mapping[str, Bundle]) -> Report:
        counts, rates = self.counts, self.rates
        params = _params(bundles.values())
        kpis = (
            Kpi(
                key="complaint_reply",
                label={
                    "zh-Hans": "投诉回复率",
                    "zh-Hant": "投訴回覆率",
                    "en": "Complaint reply rate",
                },
                source="000 1.1.3",
                numerator=counts["replied"],
                denominator=counts["complaints"],
                target=_target(params, "owner-visit", "reply_rate_target", COMPLAINT_REPLY_TARGET),
            ),
            Kpi(
                key="callback_client",
                label={
                    "zh-Hans": "客户报修24个工作小时内电话回访率",
                    "zh-Hant": "客戶報修24個工作小時內電話回訪率",
                    "en": "Client repairs called back by phone within 24 working hours",
                },
                source="003 二.2",
                numerator=counts["client_ok"],
                denominator=counts["client"],
                target=_target(params, "repair-callback", "callback_target_client", 100),
            ),
            Kpi(
                key="callback_internal",
                label={
                    "zh-Hans": "内部报修面对面回访率",
                    "zh-Hant": "內部報修面對面回訪率",
                    "en": "Internal repairs called back face to face",
                },
                source="003 二.2",
                numerator=counts["internal_ok"],
                denominator=counts["internal"],
                target=_target(params, "repair-callback", "callback_target_internal", 70),
            ),
            Kpi(
                key="satisfaction",
                label={
                    "zh-Hans": "满意率（各轮调查平均）",
                    "zh-Hant": "滿意率（各輪調查平均）",
                    "en": "Satisfaction (mean of survey rounds)",
                },
                source="003 三.1",
                numerator=len(rates),
                denominator=len(rates),
                target=_target(params, "satisfaction-survey", "satisfaction_target", 95),
                value=(
                    (sum(rates, Decimal(0)) / len(rates)).quantize(Decimal("0.1"), ROUND_HALF_UP)
                    if rates
                    else None
                ),
            ),
        )
        close_times = self._close_times()
        volumes = self.volumes
        return Report(
            estates=tuple(sorted(bundles)),
            cases=self.cases,
            volumes=dict(sorted(volumes.items())),
            sla=_sla_rows(self.sla),
            sla_by_deadline=_sla_rows(self.by_deadline),
            severity=dict(sorted(self.severity.items())),
            validity=dict(sorted(self.validity.items())),
            kpis=kpis,
            close_times=close_times,
            months=tuple(sorted({m for _, m in volumes})),
            procedures=tuple(sorted({p for p, _ in volumes})),
        )


def whole_months(
    since: datetime, until: datetime, zone: ZoneInfo
) -> list[tuple[str, datetime, datetime]] | None:
    """``(YYYY-MM, first moment, first moment of the next)`` of each month in
    ``[since, until)`` when both ends are midnight on the 1st in ``zone``; else None."""
    start, end = since.astimezone(zone), until.astimezone(zone)
    for moment in (start, end):
        if (moment.day, moment.hour, moment.minute, moment.second, moment.microsecond) != (
            1,
            0,
            0,
            0,
            0,
        ):
            return None
    months = []
    while start < end:
        index = start.year * 12 + start.month
        following = datetime(index // 12, index % 12 + 1, 1, tzinfo=zone)
        months.append((start.strftime("%Y-%m"), start, following))
        start = following
    return months


def _sla_rows(
    counts: Mapping[tuple[str, str, str], Mapping[str, int]],
) -> tuple[SlaRow, ...]:
    return tuple(
        SlaRow(procedure=p, step=s, deadline=d, **c) for (p, s, d), c in sorted(counts.items())
    )


#: Case fields that pick one of a step's deadlines (``forward_within[case.severity]``).
_DEADLINE_KEYS = ("severity", "origin")


def _count_sla(
    case: CaseState,
    now: datetime,
    into: dict[tuple[str, str, str], dict[str, int]],
    by_deadline: dict[tuple[str, str, str], dict[str, int]],
    calendars: Callable[[str], Calendar | None] = lambda step: None,
) -> None:
    """Count each deadline of ``case``: met (closed by its due time, which already
    excludes paused time), breached (closed later, or open past it or after its
    ``DeadlineMissed``), pending (open, not yet due); warned when its warning fired."""
    kind = next((f"{k}: {case.data[k]}" for k in _DEADLINE_KEYS if case.data.get(k)), "all")
    deadlines: list[tuple[str, datetime, datetime | None, bool, bool, bool]] = [
        (
            t.step,
            _due(t, calendars(t.step)),
            t.closed_at,
            t.is_open,
            t.warned,
            t.escalated,
        )
        for t in case.tasks
        if t.due_at is not None and t.status not in ("skipped", "cancelled")
    ]
    if case.due_at is not None:
        deadlines.append(
            (
                "(case)",
                case.due_at,
                case.closed_at,
                case.status == "open",
                case.warned,
                case.escalated,
            )
        )
    for step, due_at, closed_at, is_open, warned, missed in deadlines:
        if is_open:
            outcome = "breached" if missed or now > due_at else "pending"
        elif closed_at is not None and closed_at <= due_at:
            outcome = "met"
        else:
            outcome = "breached"
        for key, target in (
            ((case.procedure, step, ""), into),
            ((case.procedure, step, kind), by_deadline),
        ):
            counts = target.setdefault(
                key,
                {"deadlines": 0, "met": 0, "warned": 0, "breached": 0, "pending": 0},
            )
            counts["deadlines"] += 1
            counts["warned"] += warned
            counts[outcome] += 1


def _business_hours(case: CaseState, calendar: Calendar) -> Decimal:
    """Open hours from opening to closing, less every pause (one still running at the
    close included)."""
    assert case.closed_at is not None
    pauses = list(case.pauses)
    if case.paused_at is not None:
        pauses.append(Pause(start=case.paused_at, end=case.closed_at))
    spent = calendar.between(case.opened_at, case.closed_at, pauses)
    return (Decimal(spent.total_seconds()) / 3600).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _due(task: TaskState, calendar: Calendar | None) -> datetime:
    """The task's deadline; for a task closed while its case was paused (so never
    resumed), moved on by the business time it was paused, as resuming would have (a
    wall-clock deadline is moved by business time too: the open part of the pause)."""
    assert task.due_at is not None
    if task.paused_at is None or task.closed_at is None or calendar is None:
        return task.due_at
    moved = calendar.add_span(task.due_at, calendar.between(task.paused_at, task.closed_at))
    return moved or task.due_at


def _calendars(bundle: Bundle, procedure: str) -> Callable[[str], Calendar | None]:
    """The calendar each step's deadline counts in: its own, else the procedure's."""
    proc = bundle.procedures.get(procedure)
    known = bundle.estate.calendars

    def pick(step_id: str) -> Calendar | None:
        step = proc.steps.get(step_id) if proc else None
        name = getattr(step.due, "calendar", None) if step and step.due else None
        name = name or (proc.calendar if proc else None)
        spec = known.get(name) if name else None
        return spec.calendar if spec else None

    return pick


def _callback(
    case: CaseState, calendars: Callable[[str], Calendar | None]
) -> tuple[str, bool] | None:
    """How the first recorded callback was made, and whether it was in time."""
    for task in case.tasks:
        if task.step == "callback" and task.status == "done" and task.action == "record":
            record = case.steps.get("callback", {})
            in_time = task.due_at is None or (
                task.closed_at is not None and task.closed_at <= _due(task, calendars(task.step))
            )
            return str(record.get("method") or ""), in_time
    return None


def _params(bundles: Iterable[Bundle]) -> dict[str, Mapping[str, Any]]:
    """Each procedure's params, from the first estate that uses it."""
    found: dict[str, Mapping[str, Any]] = {}
    for bundle in bundles:
        for proc_id, proc in bundle.procedures.items():
            found.setdefault(proc_id, proc.params)
    return found


def _target(
    params: Mapping[str, Mapping[str, Any]], procedure: str, name: str, default: int
) -> Decimal:
    value = params.get(procedure, {}).get(name)
    return Decimal(str(value if value is not None else default))


# -- record books -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class BookSpec:
    key: str
    procedure: str
    title: Mapping[str, str]
    steps: tuple[str, ...] = ()
    """Steps whose latest record fills columns after the case's own fields."""


#: The paper record books the handbooks keep, each made from one procedure's cases.
BOOKS: Mapping[str, BookSpec] = {
    b.key: b
    for b in (
        BookSpec(
            key="visitor",
            procedure="visitor",
            steps=("contact_host",),
            title={
                "zh-Hans": "访客登记表",
                "zh-Hant": "訪客登記表",
                "en": "Visitor register",
            },
        ),
        BookSpec(
            key="inquiry",
            procedure="inquiry",
            steps=("answer",),
            title={
                "zh-Hans": "来电来访处理记录表",
                "zh-Hant": "來電來訪處理記錄表",
                "en": "Calls and visits record",
            },
        ),
        BookSpec(
            key="complaint",
            procedure="complaint",
            steps=("investigate", "callback"),
            title={
                "zh-Hans": "投诉处理记录表",
                "zh-Hant": "投訴處理記錄表",
                "en": "Complaint record",
            },
        ),
        BookSpec(
            key="keys",
            procedure="key-custody",
            steps=("seal", "lend"),
            title={
                "zh-Hans": "钥匙登记表",
                "zh-Hant": "鑰匙登記表",
                "en": "Key register",
            },
        ),
        BookSpec(
            key="daily-check",
            procedure="daily-check",
            steps=("inspect",),
            title={
                "zh-Hans": "日检考评表",
                "zh-Hant": "日檢考評表",
                "en": "Daily check appraisal",
            },
        ),
    )
}

_SKIPPED_KINDS = frozenset({"file", "photo", "signature", "table"})


@dataclass(frozen=True, slots=True, kw_only=True)
class BookPage:
    book: BookSpec
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    case_ids: tuple[str, ...]
    next_after: str | None
    """The key of the next page (``opened_at|id``), None on the last page."""


def book_columns(bundle: Bundle, book: BookSpec) -> list[tuple[str | None, str, str, Any]]:
    """``(step or None, field id, heading, field spec)`` of each column of a book: the
    start form and case data, then the fields of the book's steps' forms."""
    proc = bundle.procedures[book.procedure]
    locale = bundle.estate.locale
    out: list[tuple[str | None, str, str, Any]] = []
    headings: set[str] = set()
    sources: list[tuple[str | None, Any]] = []
    if proc.start.form and proc.start.form in bundle.forms:
        sources += [(None, f) for f in bundle.forms[proc.start.form].fields.values()]
    sources += [(None, f) for f in getattr(proc, "data", {}).values()]
    for step_id in book.steps:
        step = proc.steps.get(step_id)
        if step is not None and step.form and step.form in bundle.forms:
            sources += [(step_id, f) for f in bundle.forms[step.form].fields.values()]
    seen: set[tuple[str | None, str]] = set()
    for step_id, spec in sources:
        if (step_id, spec.id) in seen or spec.type in _SKIPPED_KINDS:
            continue
        if step_id is not None and (None, spec.id) in seen:
            continue  # copied into the case data by ``set``: shown once
        seen.add((step_id, spec.id))
        label = spec.label or {}
        heading = label.get(locale) or label.get("en") or spec.id
        if heading in headings and step_id is not None:
            title = proc.steps[step_id].title or {}
            heading = f"{title.get(locale) or step_id}: {heading}"
        headings.add(heading)
        out.append((step_id, spec.id, heading, spec))
    return out


def book_rows(
    bundle: Bundle, book: BookSpec, cases: Iterable[ReportCase]
) -> tuple[list[str], list[tuple[str, ...]], list[str]]:
    from estateflow.fields import display_value

    zone = ZoneInfo(bundle.estate.timezone)
    locale = bundle.estate.locale
    columns = book_columns(bundle, book)
    headings = ["No.", "Opened", "Status", "Outcome", *(h for _, _, h, _ in columns)]
    rows: list[tuple[str, ...]] = []
    ids: list[str] = []
    for row in cases:
        data = row.state.get("data", {})
        records = row.state.get("steps", {})
        cells = [
            row.number,
            row.opened_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            row.status,
            row.outcome or "",
        ]
        for step_id, field_id, _, spec in columns:
            value = (data if step_id is None else records.get(step_id, {})).get(field_id)
            try:
                text = display_value(spec, value, locale=locale, currency=bundle.estate.currency)
            except (TypeError, ValueError, KeyError, AttributeError):
                text = "" if value is None else str(value)
            cells.append(text)
        rows.append(tuple(cells))
        ids.append(row.id)
    return headings, rows, ids


def encode_key(case: ReportCase) -> str:
    return f"{case.opened_at.isoformat()}|{case.id}"


def decode_key(key: str | None) -> tuple[datetime, str] | None:
    if not key or "|" not in key:
        return None
    at, _, case_id = key.partition("|")
    try:
        return datetime.fromisoformat(at), case_id
    except ValueError:
        return None


# -- the use cases --------------------------------------------------------------------------
@dataclass
class Reports:
    """Reading reports and record books through the store, for one or many estates."""

    services: Any
    page_size: int = 500
    _cache: dict[str, Bundle] = field(default_factory=dict)

    async def visible_estates(self, username: str) -> list[str]:
        """The estates ``username`` is a member of: what a cross-estate report covers."""
        async with self.services.store.unit_of_work(writes=False) as uow:
            return [
                row["id"]
                for row in await uow.estates()
                if await uow.membership(username, row["id"]) is not None
            ]

    async def report(
        self, estate_ids: Sequence[str], *, since: datetime, until: datetime
    ) -> Report:
        """The report over the cases of ``estate_ids`` opened in ``[since, until)``.

        The caller decides which estates the user may see (their memberships). When the
        period is whole months of an estate's time zone, each month's closed cases come
        from its summary (made on first use, rolled on by each report with the cases
        closed since, made again weekly), and only the cases open or closed since are
        read; otherwise every case of the period is read.
        """
        now = self.services.clock()
        bundles: dict[str, Bundle] = {}
        digests: dict[str, str] = {}
        for estate_id in estate_ids:
            try:
                async with self.services.store.unit_of_work(writes=False) as uow:
                    digests[estate_id] = await uow.published(estate_id, now)
                    bundles[estate_id] = await self.services._bundle(uow, digests[estate_id])
            except NotFound:
                continue  # nothing published there yet: no cases either
        tally = Tally()
        for estate_id, bundle in bundles.items():
            months = whole_months(since, until, ZoneInfo(bundle.estate.timezone))
            if months is None:
                await self._read(tally, estate_id, bundle, now, since=since, until=until)
                continue
            async with self.services.store.unit_of_work(writes=False) as uow:
                kept = await report_summaries(
                    uow, estate_id, digests[estate_id], [m for m, _, _ in months]
                )
            # One month of one estate needs no durations while nothing closed is read
            # beside its summary: its close times are taken whole.
            alone = len(months) == 1 and len(bundles) == 1
            for month, start, end in months:
                await self._month(
                    tally,
                    bundle,
                    digests[estate_id],
                    now,
                    month,
                    start,
                    end,
                    kept.get(month),
                    alone,
                )
        return tally.report(bundles)

    async def _month(
        self,
        tally: Tally,
        bundle: Bundle,
        digest: str,
        now: datetime,
        month: str,
        start: datetime,
        end: datetime,
        summary: ReportSummary | None,
        alone: bool,
    ) -> None:
        """Count one month of one estate into ``tally``: its summary (made, rolled on or
        read) and the cases still open or closed since the summary's cutoff."""
        estate_id = bundle.estate.id
        settle = now - SUMMARY_LAG
        if summary is not None and summary.closed_before < now - SUMMARY_REBUILD:
            summary = None
        part = Tally()
        if summary is None:
            cutoff = settle
            await self._read(
                part, estate_id, bundle, now, since=start, until=end, closed_before=cutoff
            )
        else:
            cutoff = summary.closed_before
        # The rest of the month: still open, or closed since the summary was made. A case
        # that closes between the two reads is in both: the later wins.
        rest: dict[str, ReportCase] = {}
        for where in ({"status": "open"}, {"closed_since": cutoff}):
            async for row in self._cases(estate_id, since=start, until=end, **where):
                rest[row.id] = row
        closed = [r for r in rest.values() if r.status == "closed"]
        keep: Tally | None = part if summary is None else None
        if summary is not None:
            durations = None
            if closed or not alone:
                async with self.services.store.unit_of_work(writes=False) as uow:
                    durations = await report_durations(uow, estate_id, digest, month)
                if durations is None:  # dropped since (an erasure): made again
                    return await self._month(
                        tally, bundle, digest, now, month, start, end, None, alone
                    )
            part = Tally.from_json(summary.data, durations)
            settled = [r for r in closed if r.closed_at and r.closed_at < settle]
            if settled:
                # Roll the summary on: the cases closed since it was made are settled.
                keep = Tally.from_json(summary.data, durations)
                for row in settled:
                    keep.add(row, bundle, now)
        if keep is not None:
            figures, durations_json = keep.to_json()
            async with self.services.store.unit_of_work(writes=True) as uow:
                save_report_summary(
                    uow,
                    estate_id=estate_id,
                    bundle_hash=digest,
                    month=month,
                    closed_before=settle,
                    data=figures,
                    durations=durations_json,
                    at=now,
                )
        tally.merge(part)
        for row in rest.values():
            tally.add(row, bundle, now)
        return None

    async def _read(
        self, tally: Tally, estate_id: str, bundle: Bundle, now: datetime, **where: Any
    ) -> None:
        async for row in self._cases(estate_id, **where):
            tally.add(row, bundle, now)

    async def _cases(self, estate_id: str, **where: Any) -> AsyncIterator[ReportCase]:
        """Every case of one estate that ``report_cases`` finds with ``where``, page by
        page in the order of its index (estate, opened_at, id), with no sort."""
        async with self.services.store.unit_of_work(writes=False) as uow:
            after: tuple[datetime, str] | None = None
            while True:
                page = await report_cases(
                    uow, [estate_id], after=after, limit=self.page_size, **where
                )
                for row in page:
                    yield row
                if len(page) < self.page_size:
                    break
                last = page[-1]
                after = (last.closed_at if "closed_since" in where else last.opened_at, last.id)

    async def book(
        self,
        estate_id: str,
        key: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        status: str | None = None,
        unit: str | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> BookPage:
        """One page of a record book; ``after`` is the previous page's ``next_after``."""
        book = BOOKS.get(key)
        if book is None:
            raise NotFound(f"no record book '{key}'")
        bundle = await self.services.published_bundle(estate_id)
        if book.procedure not in bundle.procedures:
            raise NotFound(f"this estate does not use '{book.procedure}'")
        async with self.services.store.unit_of_work(writes=False) as uow:
            page = await report_cases(
                uow,
                [estate_id],
                procedures=[book.procedure],
                since=since,
                until=until,
                status=status or None,
                unit=unit or None,
                after=decode_key(after),
                limit=limit + 1,
            )
        more = len(page) > limit
        page = page[:limit]
        headings, rows, ids = book_rows(bundle, book, page)
        return BookPage(
            book=book,
            columns=tuple(headings),
            rows=tuple(rows),
            case_ids=tuple(ids),
            next_after=encode_key(page[-1]) if more and page else None,
        )
