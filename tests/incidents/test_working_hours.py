"""SLA clock arithmetic in working time, in the configured zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from pantau.core.incident_config import WorkingHours
from pantau.core.working_hours import add_working_time, working_time_between
from pantau.reports.sla import Clock, clock_text, due_times

JAKARTA = ZoneInfo("Asia/Jakarta")
OFFICE = WorkingHours(start=time(8), end=time(17), days=["mon", "tue", "wed", "thu", "fri"])


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=JAKARTA)


def due(start: datetime, minutes: int, hours: WorkingHours | None = OFFICE) -> datetime:
    return add_working_time(start, timedelta(minutes=minutes), JAKARTA, hours).astimezone(JAKARTA)


def test_a_30_minute_clock_started_at_21_00_is_due_08_30_the_next_working_day() -> None:
    assert due(at(12, 21), 30) == at(13, 8, 30)  # Thursday evening -> Friday morning


def test_a_clock_that_runs_past_friday_closing_continues_on_monday() -> None:
    assert due(at(13, 16, 50), 30) == at(16, 8, 20)
    assert due(at(14, 10), 30) == at(16, 8, 30), "Saturday is not a working day"


def test_a_clock_inside_working_hours_just_adds_and_may_end_exactly_at_closing() -> None:
    assert due(at(12, 9, 4), 30) == at(12, 9, 34)
    assert due(at(12, 16, 30), 30) == at(12, 17, 0)
    assert due(at(12, 6, 0), 60) == at(12, 9, 0), "before opening the clock starts at 08:00"


def test_long_clocks_span_several_working_days_and_skip_holidays() -> None:
    holiday = WorkingHours(
        start=time(8), end=time(17), days=["mon", "tue", "wed", "thu", "fri"], holidays=[date(2026, 11, 13)]
    )
    assert due(at(12, 9), 4 * 60, holiday) == at(12, 13)
    assert due(at(12, 9), 9 * 60, holiday) == at(16, 9), "Friday is a holiday, then the weekend"
    assert due(at(12, 9), (8 + 9 + 9) * 60) == at(16, 17), "Thursday from 09:00, Friday, Monday"


def test_without_working_hours_a_clock_runs_around_the_clock() -> None:
    assert due(at(12, 21), 30, None) == at(12, 21, 30)


def test_working_time_between_counts_only_open_hours() -> None:
    assert working_time_between(at(12, 21), at(13, 8, 30), JAKARTA, OFFICE) == timedelta(minutes=30)
    assert working_time_between(at(13, 16), at(16, 9), JAKARTA, OFFICE) == timedelta(hours=2)
    assert working_time_between(at(16, 9), at(13, 16), JAKARTA, OFFICE) == -timedelta(hours=2)


def test_working_hours_follow_the_wall_clock_across_a_daylight_saving_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 10, 23, 16, 30, tzinfo=berlin)  # Friday; clocks go back on Sunday 25 October
    result = add_working_time(start, timedelta(hours=1), berlin, OFFICE).astimezone(berlin)
    assert result == datetime(2026, 10, 26, 8, 30, tzinfo=berlin)


def test_invalid_working_hours_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"after working_hours\.start"):
        WorkingHours(start=time(17), end=time(8))


def test_clock_states_and_the_line_people_read(sla_settings) -> None:  # type: ignore[no-untyped-def]
    ack_due, resolve_due = due_times(sla_settings, "outage_performance", at(12, 21))
    assert ack_due is not None and ack_due.astimezone(JAKARTA) == at(13, 8, 30)
    assert resolve_due is not None and resolve_due.astimezone(JAKARTA) == at(13, 12, 0)
    assert due_times(sla_settings, "other_complaint", at(12, 21)) == (None, None)
    clock = Clock("acknowledge", ack_due, None)
    assert clock.state(at(13, 8)) == "running" and clock.remaining(at(13, 8)) == timedelta(minutes=30)
    assert clock_text(clock, at(13, 8), JAKARTA) == "batas 13 Nov 08:30 · sisa 30 m"
    assert clock.state(at(13, 10)) == "overdue"
    assert clock_text(clock, at(13, 10), JAKARTA) == "batas 13 Nov 08:30 · terlambat 1 j 30 m"
    assert Clock("acknowledge", ack_due, at(13, 8, 10)).state(at(13, 10)) == "met"
    assert Clock("acknowledge", ack_due, at(13, 9)).state(at(13, 10)) == "breached"
