"""Complaint counts per issue type over time, bucketed in the configured time zone."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

from sqlalchemy import func, literal_column, select
from sqlmodel import Session

from pantau.core.timeutil import local_day_bounds
from pantau.storage.label_counts import hour_start, hourly_label_counts, local_day_label_counts, model_versions_between
from pantau.storage.models import PostLabel

Granularity = Literal["hour", "day", "week", "month"]
GRANULARITIES: tuple[Granularity, ...] = ("hour", "day", "week", "month")


@dataclass(slots=True)
class TrendTable:
    """Counts per label per bucket; `buckets` are local bucket starts, `series[label][i]` their counts."""

    by: Granularity
    since: datetime
    until: datetime
    buckets: list[datetime]
    series: dict[str, list[int]]
    model_versions: dict[str, int] = field(default_factory=dict)
    """How many of the counted posts each model version labelled (None = triage-only or pending)."""

    def total(self, label: str) -> int:
        return sum(self.series.get(label, []))


def bucket_start(moment: datetime, by: Granularity, tz: tzinfo) -> datetime:
    """Start of the local bucket containing `moment` (weeks start on Monday)."""
    local = moment.astimezone(tz)
    if by == "hour":
        start = local.replace(minute=0, second=0, microsecond=0)
    elif by == "day":
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    elif by == "week":
        start = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return start


def bucket_range(since: datetime, until: datetime, by: Granularity, tz: tzinfo) -> list[datetime]:
    """Every local bucket start from the one containing `since` up to (excluding) `until`."""
    buckets: list[datetime] = []
    current = bucket_start(since, by, tz)
    while current.astimezone(UTC) < until.astimezone(UTC):
        buckets.append(current)
        naive = current.replace(tzinfo=None)
        if by == "hour":
            following = (current.astimezone(UTC) + timedelta(hours=1)).astimezone(tz)
        elif by == "day":
            following = (naive + timedelta(days=1)).replace(tzinfo=tz)
        elif by == "week":
            following = (naive + timedelta(weeks=1)).replace(tzinfo=tz)
        else:
            year, month = (naive.year + 1, 1) if naive.month == 12 else (naive.year, naive.month + 1)
            following = naive.replace(year=year, month=month).replace(tzinfo=tz)
        current = following
    return buckets


def _utc_slot(dialect: str, quarter_hours: bool):  # type: ignore[no-untyped-def]
    """SQL for the UTC quarter hour (or hour) a label row falls in, as text 'YYYY-MM-DD HH[:Q]'."""
    if dialect == "postgresql":
        base = "to_char(post_label.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')"
        if quarter_hours:
            base += " || ':' || (extract(minute from post_label.created_at)::int / 15)::text"
        return literal_column(base)
    base = "substr(post_label.created_at, 1, 13)"
    if quarter_hours:
        base += " || ':' || (CAST(substr(post_label.created_at, 15, 2) AS INTEGER) / 15)"
    return literal_column(base)


def _needs_quarter_hours(tz: tzinfo, since: datetime, until: datetime) -> bool:
    probe = since
    while probe <= until:
        offset = probe.astimezone(tz).utcoffset() or timedelta(0)
        if offset.total_seconds() % 3600:
            return True
        probe += timedelta(days=30)
    return bool(((until.astimezone(tz).utcoffset() or timedelta(0)).total_seconds()) % 3600)


def _parse_slot(slot: str | int | datetime) -> datetime:
    if isinstance(slot, int):
        return hour_start(slot)
    if isinstance(slot, datetime):
        return slot if slot.tzinfo else slot.replace(tzinfo=UTC)
    hour_part, _, quarter = slot.partition(":")
    moment = datetime.strptime(hour_part, "%Y-%m-%d %H").replace(tzinfo=UTC)
    return moment + timedelta(minutes=15 * int(quarter)) if quarter else moment


def trend_counts(
    session: Session,
    tz: tzinfo,
    *,
    since: datetime,
    until: datetime,
    by: Granularity,
    labels: list[str],
    sources: list[str] | None = None,
) -> TrendTable:
    """Count effective labels per local bucket; the database groups by UTC hour, Python maps to buckets."""
    buckets = bucket_range(since, until, by, tz)
    index = {bucket.astimezone(UTC): position for position, bucket in enumerate(buckets)}
    series: dict[str, list[int]] = {label: [0] * len(buckets) for label in labels}
    cache: dict[str | int | datetime, int | None] = {}
    for label, slot_text, count in _slot_counts(session, tz, since, until, by, labels, sources):
        if slot_text not in cache:
            start = bucket_start(_parse_slot(slot_text), by, tz).astimezone(UTC)
            cache[slot_text] = index.get(start)
        position = cache[slot_text]
        if position is not None:
            series[label][position] += count
    return TrendTable(
        by=by,
        since=since,
        until=until,
        buckets=buckets,
        series=series,
        model_versions=_model_versions(session, since, until, labels, sources),
    )


def _slot_counts(
    session: Session,
    tz: tzinfo,
    since: datetime,
    until: datetime,
    by: Granularity,
    labels: list[str],
    sources: list[str] | None,
) -> Iterable[tuple[str, str | int | datetime, int]]:
    """(label, slot, count): UTC hour indexes, local midnights (by day or coarser), or quarter-hour text.

    Zones a whole number of hours from UTC are counted from the hourly counts table; others need the
    label rows themselves, by quarter hour.
    """
    if not _needs_quarter_hours(tz, since, until):
        if by == "hour":
            counts = hourly_label_counts(session, since, until, labels, sources)
            return [(label, hour, count) for (label, hour), count in counts.items()]
        by_day = local_day_label_counts(session, since, until, labels, tz, sources)
        return [(label, local_day_bounds(day, tz)[0], count) for (label, day), count in by_day.items()]
    slot = _utc_slot(session.get_bind().dialect.name, True).label("slot")
    query = (
        select(PostLabel.label, slot, func.count())
        .where(PostLabel.created_at >= since, PostLabel.created_at < until, PostLabel.label.in_(labels))
        .group_by(PostLabel.label, slot)
    )
    if sources:
        query = query.where(PostLabel.source.in_(sources))
    return session.execute(query).tuples()


def _model_versions(
    session: Session, since: datetime, until: datetime, labels: list[str], sources: list[str] | None
) -> dict[str, int]:
    """Classified posts of the period per model version (whatever their labels), from the hourly counts."""
    return model_versions_between(session, since, until, sources)
