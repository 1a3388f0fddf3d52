"""Counting effective labels (post_label) per hour and per local day, in one query each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo

from sqlalchemy import Integer, case, cast, distinct, func, literal, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from pantau.core.timeutil import local_day_bounds
from pantau.storage.models import Classification, LabelCountHour, ModelCountHour, Post, PostLabel

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def hour_start(index: int) -> datetime:
    """The UTC start of hour number `index` since the Unix epoch."""
    return EPOCH + timedelta(hours=index)


def hour_index(moment: datetime) -> int:
    """The number of the UTC hour that contains `moment` (floor)."""
    return int((moment.astimezone(UTC) - EPOCH).total_seconds() // 3600)


def _hour_bucket(session: Session) -> ColumnElement[int]:
    column = PostLabel.created_at
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", column) / 3600), Integer)
    return cast(func.strftime("%s", column), Integer) // 3600


def hourly_label_counts(
    session: Session,
    start: datetime,
    end: datetime,
    labels: Sequence[str],
    sources: Sequence[str] | None = None,
) -> dict[tuple[str, int], int]:
    """{(label, hour index): posts} for posts created in [start, end); hours without posts are absent.

    Whole hours are read from label_count_hour (kept exact by triggers), the partial hours at either
    end from post_label itself, so a year costs about as much as a day.
    """
    first_whole = -(-int((start.astimezone(UTC) - EPOCH).total_seconds()) // 3600)
    end_whole = hour_index(end)
    if first_whole >= end_whole:
        return _label_rows_per_hour(session, start, end, labels, sources)
    counts = _label_rows_per_hour(session, start, hour_start(first_whole), labels, sources)
    counts.update(_label_rows_per_hour(session, hour_start(end_whole), end, labels, sources))
    query = (
        select(LabelCountHour.label, LabelCountHour.hour, func.sum(LabelCountHour.posts))
        .where(
            LabelCountHour.hour >= first_whole,
            LabelCountHour.hour < end_whole,
            LabelCountHour.label.in_(list(labels)),
        )
        .group_by(LabelCountHour.label, LabelCountHour.hour)
    )
    if sources:
        query = query.where(LabelCountHour.source.in_(list(sources)))
    for label, hour, count in session.execute(query):
        if count:
            counts[(label, int(hour))] = int(count)
    return counts


def _label_rows_per_hour(
    session: Session, start: datetime, end: datetime, labels: Sequence[str], sources: Sequence[str] | None
) -> dict[tuple[str, int], int]:
    if start >= end:
        return {}
    bucket = _hour_bucket(session).label("hour")
    query = (
        select(PostLabel.label, bucket, func.count())
        .where(PostLabel.created_at >= start, PostLabel.created_at < end, PostLabel.label.in_(list(labels)))
        .group_by(PostLabel.label, bucket)
    )
    if sources:
        query = query.where(PostLabel.source.in_(list(sources)))
    return {(label, int(hour)): count for label, hour, count in session.execute(query).all()}


def local_day_label_counts(
    session: Session,
    start: datetime,
    end: datetime,
    labels: Sequence[str],
    tz: tzinfo,
    sources: Sequence[str] | None = None,
) -> dict[tuple[str, date], int]:
    """{(label, local day in `tz`): labels counted in [start, end)}, grouped by the database.

    For zones a whole number of hours from UTC (check whole_hour_offsets first); daylight-saving
    changes are followed hour by hour.
    """
    first_whole = -(-int((start.astimezone(UTC) - EPOCH).total_seconds()) // 3600)
    end_whole = hour_index(end)
    counts: dict[tuple[str, date], int] = {}

    def add(label: str, day: date, count: int) -> None:
        counts[(label, day)] = counts.get((label, day), 0) + count

    ragged = (
        [(start, end)] if first_whole >= end_whole else [(start, hour_start(first_whole)), (hour_start(end_whole), end)]
    )
    for edge_start, edge_end in ragged:
        for (label, hour), count in _label_rows_per_hour(session, edge_start, edge_end, labels, sources).items():
            add(label, hour_start(hour).astimezone(tz).date(), count)
    if first_whole >= end_whole:
        return counts
    segments = _offset_segments(tz, first_whole, end_whole)
    shift = (
        literal(segments[0][1])
        if len(segments) == 1
        else case(*[(LabelCountHour.hour < until, offset) for until, offset in segments[:-1]], else_=segments[-1][1])
    )
    day_number = ((LabelCountHour.hour + shift) // 24).label("day")
    query = (
        select(LabelCountHour.label, day_number, func.sum(LabelCountHour.posts))
        .where(
            LabelCountHour.hour >= first_whole,
            LabelCountHour.hour < end_whole,
            LabelCountHour.label.in_(list(labels)),
        )
        .group_by(LabelCountHour.label, day_number)
    )
    if sources:
        query = query.where(LabelCountHour.source.in_(list(sources)))
    for label, day, count in session.execute(query):
        if count:
            add(label, EPOCH.date() + timedelta(days=int(day)), int(count))
    return counts


def _offset_segments(tz: tzinfo, first_hour: int, end_hour: int) -> list[tuple[int, int]]:
    """[(end hour, UTC offset in hours)] of the stretches of constant offset covering [first_hour, end_hour)."""

    def offset(hour: int) -> int:
        return int((hour_start(hour).astimezone(tz).utcoffset() or timedelta(0)).total_seconds() // 3600)

    segments: list[tuple[int, int]] = []
    current, hour = offset(first_hour), first_hour
    while hour < end_hour:
        step = min(24, end_hour - hour)
        if offset(hour + step - 1) != current:
            for probe in range(hour, hour + step):
                if offset(probe) != current:
                    segments.append((probe, current))
                    current = offset(probe)
        hour += step
    segments.append((end_hour, current))
    return segments


def model_versions_between(
    session: Session, start: datetime, end: datetime, sources: Sequence[str] | None = None
) -> dict[str, int]:
    """{model version: classified posts created in [start, end)}, whole hours from model_count_hour."""
    first_whole = -(-int((start.astimezone(UTC) - EPOCH).total_seconds()) // 3600)
    end_whole = hour_index(end)
    edges = (
        [(start, end)] if first_whole >= end_whole else [(start, hour_start(first_whole)), (hour_start(end_whole), end)]
    )
    versions: dict[str, int] = {}
    for edge_start, edge_end in edges:
        if edge_start >= edge_end:
            continue
        query = (
            select(Post.model_version, func.count())
            .where(Post.created_at >= edge_start, Post.created_at < edge_end, Post.model_version.is_not(None))
            .group_by(Post.model_version)
        )
        if sources:
            query = query.where(Post.source.in_(list(sources)))
        for version, count in session.execute(query):
            versions[version] = versions.get(version, 0) + count
    if first_whole < end_whole:
        query = (
            select(ModelCountHour.model_version, func.sum(ModelCountHour.posts))
            .where(ModelCountHour.hour >= first_whole, ModelCountHour.hour < end_whole)
            .group_by(ModelCountHour.model_version)
        )
        if sources:
            query = query.where(ModelCountHour.source.in_(list(sources)))
        for version, count in session.execute(query):
            versions[version] = versions.get(version, 0) + int(count or 0)
    return {version: count for version, count in versions.items() if count}


def hourly_totals(session: Session, labels: Sequence[str]) -> dict[int, int]:
    """{hour index: labels counted} over all stored posts (e.g. to find the busiest day)."""
    query = (
        select(LabelCountHour.hour, func.sum(LabelCountHour.posts))
        .where(LabelCountHour.label.in_(list(labels)))
        .group_by(LabelCountHour.hour)
    )
    return {int(hour): int(count) for hour, count in session.execute(query).all() if count}


def whole_hour_offsets(tz: tzinfo, start: datetime, end: datetime) -> bool:
    """Whether local time in `tz` is a whole number of hours from UTC everywhere in [start, end]."""
    probe = start
    while probe <= end:
        if (probe.astimezone(tz).utcoffset() or timedelta(0)).total_seconds() % 3600:
            return False
        probe += timedelta(days=30)
    return not (end.astimezone(tz).utcoffset() or timedelta(0)).total_seconds() % 3600


def _day_case(days: Sequence[date], tz: tzinfo) -> tuple[ColumnElement[int], datetime, datetime]:
    """A CASE mapping created_at to the index of its local day; exact for any time zone."""
    bounds = [local_day_bounds(day, tz) for day in days]
    whens = [(PostLabel.created_at < end, index) for index, (_, end) in enumerate(bounds)]
    return case(*whens, else_=-1), bounds[0][0], bounds[-1][1]


def daily_label_counts(
    session: Session, days: Sequence[date], tz: tzinfo, labels: Sequence[str]
) -> dict[tuple[str, date], int]:
    """{(label, local day): posts} over `days` (in any order)."""
    if not days:
        return {}
    days = sorted(set(days))
    bounds = [local_day_bounds(day, tz) for day in days]
    if whole_hour_offsets(tz, bounds[0][0], bounds[-1][1]):
        wanted = set(days)
        counted = local_day_label_counts(session, bounds[0][0], bounds[-1][1], labels, tz)
        return {key: count for key, count in counted.items() if key[1] in wanted}
    day_index, start, end = _day_case(days, tz)
    bucket = day_index.label("day")
    query = (
        select(PostLabel.label, bucket, func.count())
        .where(PostLabel.created_at >= start, PostLabel.created_at < end, PostLabel.label.in_(list(labels)))
        .group_by(PostLabel.label, bucket)
    )
    return {(label, days[index]): count for label, index, count in session.execute(query).all() if index >= 0}


def daily_post_counts(session: Session, days: Sequence[date], tz: tzinfo, labels: Sequence[str]) -> dict[date, int]:
    """{local day: distinct posts carrying any of `labels`} (a post with two complaints counts once)."""
    if not days:
        return {}
    days = sorted(set(days))
    day_index, start, end = _day_case(days, tz)
    bucket = day_index.label("day")
    query = (
        select(bucket, func.count(distinct(PostLabel.post_id)))
        .where(PostLabel.created_at >= start, PostLabel.created_at < end, PostLabel.label.in_(list(labels)))
        .group_by(bucket)
    )
    return {days[index]: count for index, count in session.execute(query).all() if index >= 0}


def first_post_time(session: Session) -> datetime | None:
    """When the oldest stored post was created: hours before it are unknown, not quiet."""
    return session.execute(select(func.min(Post.created_at))).scalar_one_or_none()


def newest_post_time(session: Session) -> datetime | None:
    return session.execute(select(func.max(Post.created_at))).scalar_one_or_none()


def newest_classification_id(session: Session) -> int:
    return int(session.execute(select(func.max(Classification.id))).scalar_one_or_none() or 0)


def oldest_classified_after(session: Session, classification_id: int) -> datetime | None:
    """The oldest post created_at among verdicts stored after `classification_id` (late or re-labelled posts)."""
    query = (
        select(func.min(Post.created_at))
        .join(Classification, Classification.post_id == Post.id)
        .where(Classification.id > classification_id)
    )
    return session.execute(query).scalar_one_or_none()
