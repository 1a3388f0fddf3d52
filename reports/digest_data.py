"""Everything a daily digest says, gathered for one calendar day in the configured time zone."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session

from pantau.core.config import Settings
from pantau.core.timeutil import local_day_bounds
from pantau.reports.digest_incidents import IncidentDigest, incident_digest
from pantau.reports.digest_queries import (
    Backlog,
    CandidatePost,
    SourceHealth,
    alerts_during,
    backlog_as_of,
    day_post_stats,
    label_candidates,
    model_versions,
    source_health,
)
from pantau.reports.drift import drift_summary
from pantau.reports.folding import fold_near_duplicates
from pantau.storage.label_counts import daily_label_counts, daily_post_counts
from pantau.storage.models import Alert

AVERAGE_DAYS = 7
CANDIDATES_PER_LABEL = 1000
"""Posts per label read for folding; a day with more shows counts of similar posts within these."""
SPIKE_RATIO = 2.0


@dataclass(slots=True)
class LabelSummary:
    key: str
    display: str
    trend: list[int]
    """Posts per day over the trend window, oldest first; the last value is the digest's day."""
    average: float
    """Mean of the previous seven days."""
    spike: bool = False
    top: list[CandidatePost] = field(default_factory=list)

    @property
    def count(self) -> int:
        return self.trend[-1]

    @property
    def previous(self) -> int:
        return self.trend[-2]


@dataclass(slots=True)
class Change:
    display: str
    previous: int
    count: int
    kind: str
    """new, rising, falling or gone."""


@dataclass(slots=True)
class DigestData:
    day: date
    timezone: str
    start: datetime
    end: datetime
    trend_days: list[date]
    labels: list[LabelSummary]
    complaints: list[int]
    """Distinct complaint posts per trend day (a post with two complaint types counts once)."""
    not_complaint: int
    stats: dict[str, int]
    backlog: Backlog
    sources: list[SourceHealth]
    models: list[tuple[str, int]]
    alerts: list[Alert]
    changes: list[Change]
    display_names: dict[str, str]
    incidents: IncidentDigest = field(default_factory=IncidentDigest)
    """Incidents with posts that day, SLA counts, service-timeline markers and event effects."""
    drift: list[str] = field(default_factory=list)
    """Drift-watch warnings for the week ending on this day (label mix, share below review threshold)."""

    @property
    def total_complaints(self) -> int:
        return self.complaints[-1]

    @property
    def complaints_previous(self) -> int:
        return self.complaints[-2]

    @property
    def complaints_average(self) -> float:
        return sum(self.complaints[-1 - AVERAGE_DAYS : -1]) / AVERAGE_DAYS

    @property
    def spikes(self) -> list[LabelSummary]:
        return [label for label in self.labels if label.spike]


def is_spike(count: int, average: float, settings: Settings) -> bool:
    """A day well above its week: at least min_count, twice the average and a Poisson z over the threshold."""
    z = (count - average) / math.sqrt(max(average, 1.0))
    return count >= settings.alerts.min_count and count >= SPIKE_RATIO * average and z >= settings.alerts.z_threshold


def changes_since_yesterday(labels: list[LabelSummary]) -> list[Change]:
    """Types that appeared, rose, fell or vanished against the previous day, biggest moves first."""
    changes = []
    for label in labels:
        before, now = label.previous, label.count
        if before == now:
            continue
        if before == 0:
            kind = "new"
        elif now == 0:
            kind = "gone"
        else:
            kind = "rising" if now > before else "falling"
        changes.append(Change(label.display, before, now, kind))
    return sorted(changes, key=lambda change: (-abs(change.count - change.previous), change.display))


def build_digest_data(session: Session, settings: Settings, day: date) -> DigestData:
    tz = settings.tz
    window = max(settings.digest.trend_days, AVERAGE_DAYS + 1)
    days = [day - timedelta(days=offset) for offset in range(window - 1, -1, -1)]
    start, end = local_day_bounds(day, tz)
    complaint_keys = settings.complaint_labels
    counts = daily_label_counts(session, days, tz, settings.label_keys)
    alerts = alerts_during(session, start, end)
    alerted = {alert.label for alert in alerts if start <= alert.window_start < end}
    labels = []
    for key in complaint_keys:
        trend = [counts.get((key, each), 0) for each in days]
        average = sum(trend[-1 - AVERAGE_DAYS : -1]) / AVERAGE_DAYS
        summary = LabelSummary(key=key, display=settings.display_name(key), trend=trend, average=average)
        summary.spike = key in alerted or is_spike(summary.count, average, settings)
        if summary.count and settings.digest.top_posts_per_label:
            candidates = label_candidates(session, key, start, end, CANDIDATES_PER_LABEL)
            summary.top = fold_near_duplicates(candidates)[: settings.digest.top_posts_per_label]
        labels.append(summary)
    labels.sort(key=lambda label: (-label.count, complaint_keys.index(label.key)))
    per_day = daily_post_counts(session, days, tz, complaint_keys)
    exclusive = settings.exclusive_label
    sources = [(source.name, source.type, source.enabled) for source in settings.sources]
    data = DigestData(
        day=day,
        timezone=settings.timezone,
        start=start,
        end=end,
        trend_days=days[-settings.digest.trend_days :],
        labels=labels,
        complaints=[per_day.get(each, 0) for each in days],
        not_complaint=counts.get((exclusive, day), 0) if exclusive else 0,
        stats=day_post_stats(session, start, end),
        backlog=backlog_as_of(session, end, complaint_keys),
        sources=source_health(session, sources, start, end),
        models=model_versions(session, start, end),
        alerts=alerts,
        changes=changes_since_yesterday(labels),
        display_names={key: settings.display_name(key) for key in settings.label_keys},
    )
    data.incidents = incident_digest(session, settings, day, data.trend_days)
    summary = drift_summary(session, settings, day)
    data.drift = list(summary.messages) if summary is not None else []
    return data
