from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from importlib import resources
from typing import overload
from zoneinfo import ZoneInfo, available_timezones

from estateflow.calendar._duration import Duration
from estateflow.calendar._errors import CalendarError
from estateflow.calendar._holidays import check_region, region_days
from estateflow.calendar._hours import TimeRange, WeeklyHours, parse_hours
from estateflow.calendar._pause import Pause, aware, merge_pauses

#: Consecutive days without open time after which a search gives up with
#: ``no-working-time`` (about twenty years), so that no loop can run away.
MAX_CLOSED_DAYS = 20 * 366

_ZERO = timedelta(0)
# A span of counted time in UTC; an end of None runs on for ever.
_Span = tuple[datetime, datetime | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Calendar:
    """When one part of an estate is open, and business-time arithmetic over it.

    Build it with :func:`build_calendar`. A day is worked with its weekday's hours unless:
    it is in ``closed`` (shut); it is in ``open`` or is a make-up working day of the
    region (调休, 補行上班), in which case it is worked as a full working day with
    :attr:`WeeklyHours.workday` hours; or it is a public holiday of the region (shut).
    The estate's lists come first, so ``open`` reopens a public holiday. A ``24/7``
    calendar ignores all of this and never closes.

    Every method takes timezone-aware datetimes (a naive one is a TypeError) and returns
    them in :attr:`timezone`. Hours are local wall-clock times; open time is measured as
    real elapsed time, so a range across a daylight-saving change is an hour shorter or
    longer, and a range starting in the skipped hour starts when the clocks jump. Compare
    or subtract results in UTC near such a change: Python compares two datetimes of one
    zone by their wall-clock fields, so 01:30 before and after a fall-back look equal.
    """

    name: str
    timezone: str
    """IANA name, e.g. ``Asia/Hong_Kong``."""
    hours: WeeklyHours
    region: str | None = None
    """``CN``, ``HK``, ``MO`` or ``TW``; None for no public holidays."""
    closed: frozenset[date] = frozenset()
    open: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        check_timezone(self.timezone)
        if self.region is not None:
            check_region(self.region)
        if self.hours.is_empty:
            raise CalendarError(
                "no-working-time",
                f"calendar '{self.name}' has no open hours on any day",
                None,
                ("hours",),
            )
        both = self.closed & self.open
        if both:
            raise _closed_and_open(min(both), ("open",))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    # Days -------------------------------------------------------------------------------

    def ranges_on(self, day: date) -> tuple[TimeRange, ...]:
        """The local open ranges of ``day`` once holidays are applied."""
        _plain_date(day)
        hours = self.hours
        if hours.always:
            return hours.on(day.weekday())
        if day in self.closed:
            return ()
        if day in self.open:
            return hours.workday
        if self.region is not None:
            public_closed, public_working = region_days(self.region, day.year)
            if day in public_working:
                return hours.workday
            if day in public_closed:
                return ()
        return hours.on(day.weekday())

    def is_working_day(self, day: date) -> bool:
        """Whether the calendar is open at some time of the local date ``day``."""
        return bool(self.ranges_on(day))

    def open_intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The open time of ``day`` as ``(start, end)`` pairs in :attr:`timezone`."""
        zone = self.zone
        return tuple((s.astimezone(zone), e.astimezone(zone)) for s, e in self._day_spans(day))

    def is_open(self, moment: datetime) -> bool:
        """Whether ``moment`` lies in open time (ranges include their start, not their end)."""
        moment = aware(moment, "moment").astimezone(UTC)
        if self.hours.always:
            return True
        day = moment.astimezone(self.zone).date()
        return any(s <= moment < e for s, e in self._day_spans(day))

    # Arithmetic -------------------------------------------------------------------------

    @overload
    def add(self, start: datetime, duration: Duration) -> datetime: ...

    @overload
    def add(
        self, start: datetime, duration: Duration, pauses: Sequence[Pause]
    ) -> datetime | None: ...

    def add(
        self, start: datetime, duration: Duration, pauses: Sequence[Pause] = ()
    ) -> datetime | None:
        """The moment ``duration`` has run from ``start``: a deadline.

        Wall-clock units add real elapsed time. ``bh`` counts open time only: the result is
        the earliest moment at which that much open time has passed, so it is never in a
        closed period (it may be the very end of an open range, 18:00 rather than 09:00 on
        the next working day). Paused time does not count for either.

        ``Nbd``: the same local time on the N-th working day after the start's day, as a
        position in the day's open time (how much of the day's open time has passed),
        capped at the end of a shorter day. A start outside open time (before opening,
        after closing, on a closed day) counts as the end of the previous working day's
        open time, so it gives the close of business of the N-th working day after that.
        With pauses, the open time that span holds is counted from the start like ``bh``.

        Returns:
            None when a pause without an end stops the clock before the duration is used
            up: there is no deadline while it lasts. Never None without pauses.

        Raises:
            CalendarError: ``no-working-time`` when twenty years pass without open time.
        """
        start = aware(start, "start")
        begin = start.astimezone(UTC)
        merged = merge_pauses(pauses)
        if duration.amount == 0:
            result: datetime | None = begin
        elif duration.unit == "bd":
            target = self._business_days(begin, duration.amount)
            if merged:
                open_time = self._measure(begin, target, (), business=True)
                result = self._advance(begin, open_time, merged, business=True)
            else:
                result = target
        else:
            assert duration.span is not None
            result = self._advance(begin, duration.span, merged, business=duration.business)
        return None if result is None else result.astimezone(self.zone)

    def add_span(
        self,
        start: datetime,
        span: timedelta,
        pauses: Sequence[Pause] = (),
        *,
        business: bool = True,
    ) -> datetime | None:
        """The moment ``span`` of counted time has run from ``start``.

        The inverse of :meth:`between`: ``between(start, add_span(start, s)) == s``. Used
        for a warning at a fraction of a deadline's span (80% of 24 business hours).
        """
        begin = aware(start, "start").astimezone(UTC)
        result = self._advance(begin, span, merge_pauses(pauses), business)
        return None if result is None else result.astimezone(self.zone)

    def between(
        self,
        start: datetime,
        end: datetime,
        pauses: Sequence[Pause] = (),
        *,
        business: bool = True,
    ) -> timedelta:
        """Time elapsed from ``start`` to ``end`` that counts, minus paused time.

        Args:
            business: count open time only (for a ``24/7`` calendar that is all time);
                False counts wall-clock time.

        Returns:
            Negative when ``end`` is before ``start``.
        """
        begin = aware(start, "start").astimezone(UTC)
        finish = aware(end, "end").astimezone(UTC)
        return self._measure(begin, finish, merge_pauses(pauses), business=business)

    def remaining(
        self,
        start: datetime,
        duration: Duration,
        now: datetime,
        pauses: Sequence[Pause] = (),
    ) -> timedelta:
        """How much of ``duration``, started at ``start``, is left at ``now``.

        Measured the way the duration counts: open time for ``bh`` and ``bd``, wall-clock
        time otherwise, paused time not counted. Negative when overdue (by as much open
        time as has passed since the deadline). While a pause without an end lasts, it
        stays at what was left when the pause began.
        """
        begin = aware(start, "start").astimezone(UTC)
        at = aware(now, "now").astimezone(UTC)
        if duration.unit == "bd" and duration.amount:
            target = self._business_days(begin, duration.amount)
            amount = self._measure(begin, target, (), business=True)
        else:
            amount = duration.span or _ZERO
        used = self._measure(begin, at, merge_pauses(pauses), business=duration.business)
        return amount - used

    # Internals (all moments in UTC) -----------------------------------------------------

    def _day_spans(self, day: date) -> list[tuple[datetime, datetime]]:
        midnight = datetime.combine(day, time())
        zone = self.zone
        spans = []
        for time_range in self.ranges_on(day):
            start = _to_utc(midnight + timedelta(minutes=time_range.start), zone)
            end = _to_utc(midnight + timedelta(minutes=time_range.end), zone)
            if start < end:
                spans.append((start, end))
        return spans

    def _open_spans(
        self, since: datetime, until: datetime | None
    ) -> Iterator[tuple[datetime, datetime]]:
        zone = self.zone
        # The day before too: its ranges may reach past local midnight in UTC terms when a
        # zone changes its clocks at midnight.
        day = since.astimezone(zone).date() - timedelta(days=1)
        last_day = None if until is None else until.astimezone(zone).date()
        closed_run = 0
        while last_day is None or day <= last_day:
            spans = self._day_spans(day)
            closed_run = 0 if spans else closed_run + 1
            if closed_run > MAX_CLOSED_DAYS:
                raise _no_working_time(self.name, day)
            for start, end in spans:
                if end <= since:
                    continue
                if until is not None and start >= until:
                    return
                yield max(start, since), end if until is None else min(end, until)
            day += timedelta(days=1)

    def _counted(
        self,
        since: datetime,
        until: datetime | None,
        pauses: Sequence[Pause],
        business: bool,
    ) -> Iterator[_Span]:
        # Restarting the open-time walk after each pause skips a long pause in one step.
        moment = since
        for pause in pauses:
            if pause.end is not None and pause.end <= moment:
                continue
            if until is not None and pause.start >= until:
                break
            if pause.start > moment:
                yield from self._free(moment, pause.start, business)
            if pause.end is None:
                return
            moment = max(moment, pause.end)
            if until is not None and moment >= until:
                return
        yield from self._free(moment, until, business)

    def _free(self, since: datetime, until: datetime | None, business: bool) -> Iterator[_Span]:
        if business and not self.hours.always:
            yield from self._open_spans(since, until)
        elif until is None or until > since:
            yield since, until

    def _advance(
        self, start: datetime, amount: timedelta, pauses: Sequence[Pause], business: bool
    ) -> datetime | None:
        if amount <= _ZERO:
            return start
        left = amount
        for span_start, span_end in self._counted(start, None, pauses, business):
            if span_end is None or span_end - span_start >= left:
                return span_start + left
            left -= span_end - span_start
        return None

    def _measure(
        self, start: datetime, end: datetime, pauses: Sequence[Pause], business: bool
    ) -> timedelta:
        if end < start:
            return -self._measure(end, start, pauses, business)
        total = _ZERO
        for span_start, span_end in self._counted(start, end, pauses, business):
            assert span_end is not None
            total += span_end - span_start
        return total

    def _business_days(self, start: datetime, count: int) -> datetime:
        naive = start.astimezone(self.zone).replace(tzinfo=None)
        day = naive.date()
        into = naive - datetime.combine(day, time())
        done = sum(
            (
                min(max(into - _minutes(r.start), _ZERO), _minutes(r.end - r.start))
                for r in self.ranges_on(day)
            ),
            _ZERO,
        )
        if not done:
            day = self._working_day(day, -1)
            done = _open_length(self.ranges_on(day))
        for _ in range(count):
            day = self._working_day(day, 1)
        ranges = self.ranges_on(day)
        left = min(done, _open_length(ranges))
        midnight = datetime.combine(day, time())
        for time_range in ranges:
            length = _minutes(time_range.end - time_range.start)
            if left <= length:
                return _to_utc(midnight + _minutes(time_range.start) + left, self.zone)
            left -= length
        raise AssertionError("unreachable: left never exceeds the day's open time")

    def _working_day(self, day: date, step: int) -> date:
        for _ in range(MAX_CLOSED_DAYS):
            day += timedelta(days=step)
            if self.ranges_on(day):
                return day
        raise _no_working_time(self.name, day)


def build_calendar(
    *,
    name: str,
    timezone: str,
    hours: str | Mapping[str, object] | WeeklyHours,
    region: str | None,
    closed: Iterable[date] = (),
    open: Iterable[date] = (),
) -> Calendar:
    """Check and build a :class:`Calendar` from the parts of an estate file.

    Args:
        hours: ``"24/7"``, a mapping read by :func:`parse_hours`, or its result.
        region: None for no public holidays.
        closed: the estate's own closed days, on top of the region's holidays.
        open: days worked although a holiday or a day without hours.

    Raises:
        CalendarError: ``unknown-timezone``, ``unknown-region``, ``bad-hours``,
            ``overlapping-hours``, ``no-working-time`` or ``closed-and-open``; its
            ``where`` starts with the name of the argument at fault (``("open", 2)`` is the
            third date of ``open``).
    """
    check_timezone(timezone)
    if region is not None:
        check_region(region)
    weekly = hours if isinstance(hours, WeeklyHours) else parse_hours(hours)
    closed_days = tuple(_plain_date(d) for d in closed)
    open_days = tuple(_plain_date(d) for d in open)
    shut = set(closed_days)
    for index, day in enumerate(open_days):
        if day in shut:
            raise _closed_and_open(day, ("open", index))
    return Calendar(
        name=name,
        timezone=timezone,
        hours=weekly,
        region=region,
        closed=frozenset(closed_days),
        open=frozenset(open_days),
    )


def check_timezone(name: str) -> None:
    """Raise ``unknown-timezone`` unless ``name`` is in the IANA database."""
    if isinstance(name, str) and name in _known_zones():
        return
    zones = _known_zones()
    folded = {zone.lower(): zone for zone in zones}
    close = [folded[name.lower()]] if isinstance(name, str) and name.lower() in folded else []
    close = close or difflib.get_close_matches(str(name), zones, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise CalendarError(
        "unknown-timezone",
        f"'{name}' is not a timezone",
        f"{hint}use an IANA name such as 'Asia/Shanghai' or 'Asia/Hong_Kong'",
        ("timezone",),
    )


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    # The pinned tzdata package's list, so that a name is valid on every machine alike; the
    # host's own database adds names such as 'localtime' that mean something else on each.
    try:
        return frozenset(resources.files("tzdata").joinpath("zones").read_text().split())
    except (ModuleNotFoundError, FileNotFoundError):
        return frozenset(available_timezones())


def _to_utc(naive: datetime, zone: ZoneInfo) -> datetime:
    guess = naive.replace(tzinfo=zone).astimezone(UTC)
    if guess.astimezone(zone).replace(tzinfo=None) == naive:
        return guess
    # The clocks jumped over ``naive``; the first moment that exists after it is the jump.
    # It lies between the two readings of ``naive``, found to the second by bisection.
    low, high = sorted((naive.replace(tzinfo=zone, fold=1).astimezone(UTC), guess))
    after = high.astimezone(zone).utcoffset()
    below, above = 0, int((high - low).total_seconds())
    while above - below > 1:
        middle = (below + above) // 2
        if (low + timedelta(seconds=middle)).astimezone(zone).utcoffset() == after:
            above = middle
        else:
            below = middle
    return low + timedelta(seconds=above)


def _minutes(count: int) -> timedelta:
    return timedelta(minutes=count)


def _open_length(ranges: Iterable[TimeRange]) -> timedelta:
    return _minutes(sum(r.end - r.start for r in ranges))


def _plain_date(day: object) -> date:
    if not isinstance(day, date) or isinstance(day, datetime):
        raise TypeError(f"expected a date, not {type(day).__name__}: {day!r}")
    return day


def _closed_and_open(day: date, where: tuple[str | int, ...]) -> CalendarError:
    return CalendarError(
        "closed-and-open", f"{day.isoformat()} is listed both as closed and as open", None, where
    )


def _no_working_time(name: str, day: date) -> CalendarError:
    return CalendarError(
        "no-working-time",
        f"calendar '{name}' has no open time for {MAX_CLOSED_DAYS} days up to {day.isoformat()}",
        None,
        ("hours",),
    )
