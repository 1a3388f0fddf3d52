"""The hourly baseline: same hour of the week when there is history, graceful fallbacks when there is not."""

from __future__ import annotations

from pantau.reports.baseline import expectation

WEEK = 7 * 24


def constant(value: int):  # type: ignore[no-untyped-def]
    return lambda hour: value


def test_four_weeks_of_history_compare_the_same_hour_of_the_week() -> None:
    counts = {1000 - WEEK * k: 10 for k in range(1, 5)}
    baseline = expectation(lambda h: counts.get(h, 0), 1000, weeks=4, history_start=0)
    assert baseline is not None
    assert (baseline.method, baseline.samples, baseline.expected) == ("same hour of the week", 4, 10.0)


def test_two_weeks_of_history_fall_back_to_the_same_hour_of_the_day() -> None:
    baseline = expectation(constant(2), 1000, weeks=4, history_start=1000 - 14 * 24)
    assert baseline is not None
    assert (baseline.method, baseline.samples) == ("same hour of the day", 14)


def test_a_day_of_history_uses_all_recent_hours_and_less_says_nothing() -> None:
    recent = expectation(constant(1), 1000, weeks=4, history_start=1000 - 20)
    assert recent is not None and recent.method == "all recent hours" and recent.samples == 20
    assert expectation(constant(1), 1000, weeks=4, history_start=1000 - 5) is None


def test_one_past_incident_does_not_raise_the_baseline() -> None:
    history = {1000 - 24 * d: (40 if d == 3 else 1) for d in range(1, 15)}
    baseline = expectation(lambda h: history.get(h, 0), 1000, weeks=2, history_start=0)
    assert baseline is not None
    assert baseline.expected == 1.0
    assert baseline.z(9) >= 3


def test_quiet_hours_need_a_real_jump_poisson_floor() -> None:
    baseline = expectation(constant(0), 1000, weeks=4, history_start=0)
    assert baseline is not None
    assert baseline.spread == 1.0
    assert baseline.z(2) == 2.0
