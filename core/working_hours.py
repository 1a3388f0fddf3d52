"""Clock arithmetic in working time: "30 minutes from 21:00" with hours 08–17 is 08:30 on the next working day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from pantau.core.incident_config import WEEKDAY_KEYS, WorkingHours

MAX_DAYS = 3700
"""A clock that finds no working time within ten years is a configuration mistake, not a deadline."""


def is_working_day(day: date, hours: WorkingHours) -> bool:
    return WEEKDAY_KEYS[day.weekday()] in hours.days and day not in hours.holidays


def _local_moment(day: date, clock: time, tz: tzinfo) -> datetime:
    return datetime.combine(day, clock, tz).astimezone(UTC)


def add_working_time(start: datetime, span: timedelta, tz: tzinfo, hours: WorkingHours | None) -> datetime:
    """The UTC moment `span` of working time after `start`; around the clock when `hours` is None.

    Working hours are read in `tz` (so a daylight-saving change moves them with the wall clock); a span
    that ends exactly at closing time is due at closing time, not at the next opening.
    """
    start = start.astimezone(UTC)
    if hours is None:
        return start + span
    remaining = span
    cursor = start
    day = start.astimezone(tz).date()
    for _ in range(MAX_DAYS):
        if is_working_day(day, hours):
            opens, closes = _local_moment(day, hours.start, tz), _local_moment(day, hours.end, tz)
            cursor = max(cursor, opens)
            if cursor < closes:
                available = closes - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
        day += timedelta(days=1)
        cursor = max(cursor, _local_moment(day, time(0), tz))
    raise ValueError("no working time found within ten years; check sla.working_hours")


def working_time_between(start: datetime, end: datetime, tz: tzinfo, hours: WorkingHours | None) -> timedelta:
    """Working time from `start` to `end` (negative when `end` is earlier)."""
    if end < start:
        return -working_time_between(end, start, tz, hours)
    if hours is None:
        return end - start
    total = timedelta(0)
    day = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    while day <= last:
        if is_working_day(day, hours):
            opens = max(_local_moment(day, hours.start, tz), start.astimezone(UTC))
            closes = min(_local_moment(day, hours.end, tz), end.astimezone(UTC))
            if closes > opens:
                total += closes - opens
        day += timedelta(days=1)
    return total
