"""Time parsing and conversion at the edges: the store is UTC, people read the configured zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

_RELATIVE = re.compile(r"^(\d+)\s*([hdwm])$")
_EPOCH = re.compile(r"\d{9,13}(\.\d+)?")


def parse_timestamp(value: object, default_tz: tzinfo) -> datetime:
    """ISO 8601 (with Z or offset), 'YYYY-MM-DD HH:MM[:SS]', a date, or epoch seconds/milliseconds.

    Naive values are read in `default_tz`. Raises ValueError with a short reason.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 10**11 else value
        return datetime.fromtimestamp(seconds, UTC)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("empty timestamp")
        if _EPOCH.fullmatch(text):
            return parse_timestamp(float(text), default_tz)
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"unrecognised timestamp {value!r}") from None
    else:
        raise ValueError(f"unrecognised timestamp {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz)
    return parsed.astimezone(UTC)


def to_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def local_day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """UTC start (inclusive) and end (exclusive) of a calendar day in `tz`."""
    start = datetime.combine(day, time(0), tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def parse_date_or_relative(value: str, tz: tzinfo, now: datetime | None = None) -> datetime:
    """'2026-11-01', an ISO timestamp, or a span back from now such as '7d', '12h', '4w', '3m'."""
    text = value.strip().lower()
    match = _RELATIVE.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        span = {"h": timedelta(hours=amount), "d": timedelta(days=amount), "w": timedelta(weeks=amount)}
        delta = span.get(unit, timedelta(days=30 * amount))
        return (now or datetime.now(UTC)).astimezone(UTC) - delta
    return parse_timestamp(text, tz)
