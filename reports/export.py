"""Posts with their current labels and triage state, streamed for `pantau export` and the web app."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlmodel import Session

from pantau.storage.models import Post, PostLabel

EXPORT_FIELDS = (
    "id",
    "source",
    "external_id",
    "author",
    "url",
    "created_at",
    "text",
    "labels",
    "primary",
    "confidence",
    "status",
    "model_version",
)


@dataclass(slots=True)
class ExportFilter:
    since: datetime | None = None
    until: datetime | None = None
    sources: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)


def _query(filters: ExportFilter):  # type: ignore[no-untyped-def]
    query = select(Post)
    if filters.since is not None:
        query = query.where(Post.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(Post.created_at < filters.until)
    if filters.sources:
        query = query.where(Post.source.in_(filters.sources))
    if filters.statuses:
        query = query.where(Post.status.in_(filters.statuses))
    if filters.labels:
        query = query.where(exists().where(PostLabel.post_id == Post.id, PostLabel.label.in_(filters.labels)))
    return query


def iter_export_rows(
    session: Session, filters: ExportFilter, *, unredacted: bool = False, batch_size: int = 2000
) -> Iterator[dict[str, Any]]:
    """One dict per post in EXPORT_FIELDS order, redacted text unless `unredacted`, streamed by id."""
    last_id = 0
    while True:
        posts = list(
            session.execute(_query(filters).where(Post.id > last_id).order_by(Post.id).limit(batch_size)).scalars()
        )
        if not posts:
            return
        ids = [post.id for post in posts]
        labels: dict[int, list[str]] = {}
        for post_id, label in session.execute(
            select(PostLabel.post_id, PostLabel.label)
            .where(PostLabel.post_id.in_(ids))
            .order_by(PostLabel.score.desc())
        ):
            labels.setdefault(post_id, []).append(label)
        for post in posts:
            effective = post.corrected_labels or labels.get(post.id, [])  # type: ignore[arg-type]
            yield {
                "id": post.id,
                "source": post.source,
                "external_id": post.external_id,
                "author": post.author,
                "url": post.url,
                "created_at": post.created_at.isoformat(),
                "text": (post.text or post.text_redacted) if unredacted else post.text_redacted,
                "labels": effective,
                "primary": (post.corrected_labels or [post.primary_label])[0],
                "confidence": post.confidence,
                "status": post.status,
                "model_version": post.model_version,
            }
        last_id = ids[-1]  # type: ignore[assignment]
        session.expunge_all()
