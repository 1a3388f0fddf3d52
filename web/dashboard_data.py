"""Everything the dashboard shows, gathered once for the page and the API alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from pantau.core.config import Settings
from pantau.reports.trends import TrendTable, bucket_start, trend_counts
from pantau.storage.models import Alert
from pantau.storage.overview import Backlog, SourceHealth, backlog, collection_health, model_versions, open_alerts


@dataclass(slots=True)
class WeekRow:
    label: str
    this_week: int
    last_week: int

    @property
    def change_pct(self) -> float | None:
        if self.last_week == 0:
            return None
        return round((self.this_week - self.last_week) / self.last_week * 100, 1)


@dataclass(slots=True)
class Dashboard:
    generated_at: datetime
    labels: list[str]
    trend: TrendTable
    week: list[WeekRow]
    alerts: list[Alert]
    backlog: Backlog
    health: list[SourceHealth]
    registered_model: str | None
    newest_model: str | None

    @property
    def week_totals(self) -> tuple[int, int]:
        return sum(row.this_week for row in self.week), sum(row.last_week for row in self.week)


def build_dashboard(
    session: Session, settings: Settings, *, now: datetime | None = None, days: int | None = None
) -> Dashboard:
    now = (now or datetime.now(UTC)).astimezone(UTC)
    days = max(14, days or settings.web.dashboard_days)
    first_day = bucket_start(now - timedelta(days=days - 1), "day", settings.tz)
    labels = settings.complaint_labels
    trend = trend_counts(session, settings.tz, since=first_day.astimezone(UTC), until=now, by="day", labels=labels)
    # Week against week from the same daily counts: the last 7 local days (today included) and the 7 before.
    this_week = {label: sum(trend.series[label][-7:]) for label in labels}
    last_week = {label: sum(trend.series[label][-14:-7]) for label in labels}
    registered, newest = model_versions(session)
    return Dashboard(
        generated_at=now,
        labels=labels,
        trend=trend,
        week=[WeekRow(label, this_week[label], last_week[label]) for label in labels],
        alerts=open_alerts(session),
        backlog=backlog(session, now),
        health=collection_health(session, [source.name for source in settings.sources]),
        registered_model=registered,
        newest_model=newest,
    )
