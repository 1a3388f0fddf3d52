"""What an hour's count should look like, from the same hour in the past: a robust, Poisson-floored z-score.

Samples, in order of preference (the first with at least MIN_SAMPLES hours of known history wins):
1. the same hour of the week in each of the previous `weeks` weeks (Tuesday 10:00 against Tuesdays 10:00);
2. the same hour of the day on each of the previous `weeks` × 7 days (young installations);
3. every hour of the previous week (a day or two of history).
Hours before the first stored post are unknown, not zero, and are never sampled.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass

MIN_SAMPLES = 3
MIN_RECENT_HOURS = 12
HOURS_PER_WEEK = 7 * 24


@dataclass(frozen=True, slots=True)
class Expectation:
    expected: float
    """max(median, 20%-trimmed mean) of the samples: robust to a past incident, not fooled by sparse zeros."""
    spread: float
    """max(1.4826 × MAD, √max(expected, 1)): the Poisson floor keeps quiet series from alarming on noise."""
    method: str
    samples: int

    def z(self, observed: int) -> float:
        return (observed - self.expected) / self.spread


def _summarise(samples: list[int], method: str) -> Expectation:
    ordered = sorted(samples)
    trim = len(ordered) // 5
    kept = ordered[trim : len(ordered) - trim] or ordered
    median = statistics.median(ordered)
    expected = max(float(median), sum(kept) / len(kept))
    mad = statistics.median(abs(value - median) for value in ordered)
    spread = max(1.4826 * mad, math.sqrt(max(expected, 1.0)))
    return Expectation(expected=expected, spread=spread, method=method, samples=len(samples))


def expectation(count: Callable[[int], int], hour: int, *, weeks: int, history_start: int) -> Expectation | None:
    """The baseline for UTC hour number `hour`; None when there is too little history to judge."""
    weekly = [
        count(hour - HOURS_PER_WEEK * k) for k in range(1, weeks + 1) if hour - HOURS_PER_WEEK * k >= history_start
    ]
    if len(weekly) >= MIN_SAMPLES:
        return _summarise(weekly, "same hour of the week")
    daily = [count(hour - 24 * d) for d in range(1, weeks * 7 + 1) if hour - 24 * d >= history_start]
    if len(daily) >= MIN_SAMPLES:
        return _summarise(daily, "same hour of the day")
    recent = [count(h) for h in range(max(history_start, hour - HOURS_PER_WEEK), hour)]
    if len(recent) >= MIN_RECENT_HOURS:
        return _summarise(recent, "all recent hours")
    return None


def history_hours(weeks: int) -> int:
    """How many hours before the first evaluated hour the counts must cover."""
    return max(weeks * HOURS_PER_WEEK, HOURS_PER_WEEK)
