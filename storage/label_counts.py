"""Counting effective labels (post_label) per hour and per local day, in one query each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo

from sqlalchemy import Integer, case, cast, distinct, func, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from pantau.core.timeutil import local_day_bounds
from pantau.storage.models import Classification, Post, PostLabel

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
    session: Session, start: datetime, end: datetime, labels: Sequence[str]
) -> dict[tuple[str, int], int]:
    """{(label, hour index): posts} for posts created in [start, end); hours without posts are absent."""
    bucket = _hour_bucket(session).label("hour")
    query = (
        select(PostLabel.label, bucket, func.count())
        .where(PostLabel.created_at >= start, PostLabel.created_at < end, PostLabel.label.in_(list(labels)))
        .group_by(PostLabel.label, bucket)
    )
    return {(label, int(hour)): count for label, hour, count in session.execute(query).all()}


def hourly_totals(session: Session, labels: Sequence[str]) -> dict[int, int]:
    """{hour index: labels counted} over all stored posts (e.g. to find the busiest day)."""
    bucket = _hour_bucket(session).label("hour")
    query = select(bucket, func.count()).where(PostLabel.label.in_(list(labels))).group_by(bucket)
    return {int(hour): count for hour, count in session.execute(query).all()}


def _day_case(days: Sequence[date], tz: tzinfo) -> tuple[ColumnElement[int], datetime, datetime]:
    """A CASE mapping created_at to the index of its local day; exact for any time zone."""
    bounds = [local_day_bounds(day, tz) for day in days]
    whens = [(PostLabel.created_at < end, index) for index, (_, end) in enumerate(bounds)]
    return case(*whens, else_=-1), bounds[0][0], bounds[-1][1]


def daily_label_counts(
    session: Session, days: Sequence[date], tz: tzinfo, labels: Sequence[str]
) -> dict[tuple[str, date], int]:
    """{(label, local day): posts} over consecutive `days`."""
    if not days:
        return {}
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
