"""The digest's reads, each "as of" the end of the digest's day so that a day's digest never changes later.

Triage moves on after the day ends; the backlog is rebuilt as of the day's end from the status
history in triage_event. Collection health looks only at runs up to the day's end.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, exists, func, or_, select
from sqlmodel import Session

from pantau.storage.models import OPEN_TRIAGE_STATUSES, Alert, CollectionRun, Post, PostLabel, TriageEvent

AGE_EDGES_DAYS = (1, 3, 7)
"""Backlog age buckets: under 1 day, 1-3 days, 3-7 days, over 7 days (as the triage dashboard)."""
AGE_BUCKETS = ("<1d", "1-3d", "3-7d", ">7d")
OK_RUN_STATUSES = ("ok", "rate_limited")


@dataclass(slots=True)
class Backlog:
    counts: dict[str, list[int]]
    """Open posts per status and age bucket, as of the reference time."""
    needs_review: int
    """Open posts the model flagged for review."""

    @property
    def total(self) -> int:
        return sum(sum(row) for row in self.counts.values())


@dataclass(slots=True)
class SourceHealth:
    name: str
    source_type: str
    enabled: bool
    posts: int = 0
    runs: int = 0
    failed_runs: int = 0
    last_success: datetime | None = None
    last_failure: datetime | None = None
    last_error: str | None = None
    collected_later: datetime | None = None
    """No run by the day's end (a backfill): when the first later run stored the day's posts."""


@dataclass(slots=True)
class CandidatePost:
    id: int
    text: str
    author: str | None
    url: str | None
    source: str
    created_at: datetime
    score: float | None
    content_hash: str
    similar_ids: list[int] = field(default_factory=list)


def _age_bucket(reference: datetime):  # type: ignore[no-untyped-def]
    whens = [(Post.created_at >= reference - timedelta(days=days), index) for index, days in enumerate(AGE_EDGES_DAYS)]
    return case(*whens, else_=len(AGE_EDGES_DAYS))


def _bucket_of(created_at: datetime, reference: datetime) -> int:
    return next((i for i, days in enumerate(AGE_EDGES_DAYS) if created_at >= reference - timedelta(days=days)), 3)


def backlog_as_of(session: Session, reference: datetime, complaint_labels: list[str]) -> Backlog:
    """Complaint posts created before `reference` that were still open then, by status and age."""
    bucket = _age_bucket(reference).label("bucket")
    # A post the triage did not correct carries its model verdict's labels, and its primary label is one
    # of them (the exclusive label never combines), so its primary label tells whether it is a complaint
    # without a lookup in post_label; corrected posts are looked up.
    is_complaint = or_(
        and_(Post.corrected_labels.is_(None), Post.primary_label.in_(complaint_labels)),
        and_(
            Post.corrected_labels.is_not(None),
            exists().where(PostLabel.post_id == Post.id, PostLabel.label.in_(complaint_labels)),
        ),
    )
    # Only posts open now are counted here (the index on status, created_at, needs_review covers it);
    # posts closed since the reference are added back from their status events below.
    rows = session.execute(
        select(Post.status, bucket, Post.needs_review, func.count())
        .where(Post.status.in_(OPEN_TRIAGE_STATUSES), Post.created_at < reference, is_complaint)
        .group_by(Post.status, bucket, Post.needs_review)
    ).all()
    tally: Counter[tuple[str, int, bool]] = Counter({(s, int(b), bool(r)): n for s, b, r, n in rows})
    changed = session.execute(
        select(TriageEvent.post_id, TriageEvent.old_value, Post.status, Post.created_at, Post.needs_review)
        .join(Post, Post.id == TriageEvent.post_id)
        .where(TriageEvent.field == "status", TriageEvent.at >= reference, Post.created_at < reference, is_complaint)
        .order_by(TriageEvent.post_id, TriageEvent.at, TriageEvent.id)
    ).all()
    for _, events in itertools.groupby(changed, key=lambda row: row[0]):
        first = next(events)
        then_status, now_status = str(first[1] or "new"), first[2]
        age = _bucket_of(first[3], reference)
        tally[(now_status, age, bool(first[4]))] -= 1
        tally[(then_status, age, bool(first[4]))] += 1
    counts = {status: [0] * len(AGE_BUCKETS) for status in OPEN_TRIAGE_STATUSES}
    review = 0
    for (status, age, flagged), count in tally.items():
        if status in counts:
            counts[status][age] += count
            review += count if flagged else 0
    return Backlog(counts=counts, needs_review=review)


def day_post_stats(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Posts stored for the day: all, awaiting a model, flagged for review, corrected by triage."""
    row = session.execute(
        select(
            func.count(),
            func.count(case((Post.model_version.is_(None), 1))),
            func.count(case((Post.needs_review.is_(True), 1))),
            func.count(case((Post.corrected_labels.is_not(None), 1))),
        ).where(Post.created_at >= start, Post.created_at < end)
    ).one()
    return {"posts": row[0], "unclassified": row[1], "needs_review": row[2], "corrected": row[3]}


def model_versions(session: Session, start: datetime, end: datetime) -> list[tuple[str, int]]:
    """Which model labelled the day's posts, most posts first."""
    rows = session.execute(
        select(Post.model_version, func.count())
        .where(Post.created_at >= start, Post.created_at < end, Post.model_version.is_not(None))
        .group_by(Post.model_version)
    ).all()
    return sorted(((str(version), count) for version, count in rows), key=lambda item: (-item[1], item[0]))


def label_candidates(session: Session, label: str, start: datetime, end: datetime, limit: int) -> list[CandidatePost]:
    """The day's posts with `label`, most confident first (ties: oldest first)."""
    rows = session.execute(
        select(
            Post.id,
            Post.text_redacted,
            Post.author,
            Post.url,
            Post.source,
            Post.created_at,
            PostLabel.score,
            Post.content_hash,
        )
        .join(Post, Post.id == PostLabel.post_id)
        .where(PostLabel.label == label, PostLabel.created_at >= start, PostLabel.created_at < end)
        .order_by(PostLabel.score.desc().nulls_last(), Post.id)
        .limit(limit)
    ).all()
    return [CandidatePost(*row) for row in rows]


def alerts_during(session: Session, start: datetime, end: datetime) -> list[Alert]:
    query = (
        select(Alert)
        .where(Alert.window_start < end, or_(Alert.resolved_at.is_(None), Alert.resolved_at > start))
        .order_by(Alert.window_start, Alert.id)
    )
    return list(session.execute(query).scalars())


def source_health(
    session: Session, sources: list[tuple[str, str, bool]], start: datetime, end: datetime
) -> list[SourceHealth]:
    """Per source (configured ones, plus any that stored posts that day): runs and posts up to `end`."""
    posts = dict(
        session.execute(
            select(Post.source, func.count())
            .where(Post.created_at >= start, Post.created_at < end)
            .group_by(Post.source)
        ).all()
    )
    known = {name for name, _, _ in sources}
    listed = list(sources) + [(name, "", False) for name in sorted(posts) if name not in known]
    health = []
    for name, source_type, enabled in listed:
        row = SourceHealth(name=name, source_type=source_type, enabled=enabled, posts=posts.get(name, 0))
        finished = CollectionRun.finished_at
        mine = (CollectionRun.source == name, finished.is_not(None), finished <= end)
        for status, count in session.execute(
            select(CollectionRun.status, func.count()).where(*mine, finished >= start).group_by(CollectionRun.status)
        ).all():
            row.runs += count
            row.failed_runs += 0 if status in OK_RUN_STATUSES else count
        row.last_success = session.execute(
            select(func.max(finished)).where(*mine, CollectionRun.status.in_(OK_RUN_STATUSES))
        ).scalar_one_or_none()
        failure = session.execute(
            select(finished, CollectionRun.error)
            .where(*mine, CollectionRun.status.not_in(OK_RUN_STATUSES))
            .order_by(finished.desc(), CollectionRun.id.desc())
            .limit(1)
        ).first()
        if failure is not None:
            row.last_failure, row.last_error = failure[0], failure[1]
        if row.last_success is None and failure is None and row.posts:
            row.collected_later = session.execute(
                select(func.min(finished)).where(
                    CollectionRun.source == name, CollectionRun.status.in_(OK_RUN_STATUSES), finished > end
                )
            ).scalar_one_or_none()
        health.append(row)
    return health
