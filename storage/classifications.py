"""Writing classifications: history kept, the post's current verdict and effective labels updated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, delete, insert, select, update
from sqlmodel import Session

from pantau.storage.models import Classification, Post, PostLabel, utcnow


class Verdict(Protocol):
    labels: list[str]
    primary: str
    scores: dict[str, float]
    confidence: float
    needs_review: bool


@dataclass(slots=True)
class PendingPost:
    id: int
    text: str
    created_at: datetime
    source: str


def pending_posts(
    session: Session,
    *,
    after_id: int = 0,
    limit: int = 1000,
    since: datetime | None = None,
    until: datetime | None = None,
    not_version: str | None = None,
) -> list[PendingPost]:
    """Posts awaiting a classification (or, with `not_version`, posts classified by another model)."""
    query = select(Post.id, Post.text_clean, Post.created_at, Post.source).where(Post.id > after_id)
    if not_version is None:
        query = query.where(Post.model_version.is_(None))
    else:
        query = query.where((Post.model_version.is_(None)) | (Post.model_version != not_version))
    if since is not None:
        query = query.where(Post.created_at >= since)
    if until is not None:
        query = query.where(Post.created_at < until)
    rows = session.execute(query.order_by(Post.id).limit(limit)).all()
    return [PendingPost(id=row[0], text=row[1], created_at=row[2], source=row[3]) for row in rows]


def record_verdicts(
    session: Session, posts: Sequence[PendingPost], verdicts: Sequence[Verdict], model_version: str
) -> None:
    """Store one verdict per post in the caller's transaction; triage corrections keep winning."""
    if not posts:
        return
    ids = [post.id for post in posts]
    now = utcnow()
    session.execute(
        update(Classification)
        .where(Classification.post_id.in_(ids), Classification.is_current.is_(True))
        .values(is_current=False)
    )
    session.execute(
        insert(Classification),
        [
            {
                "post_id": post.id,
                "model_version": model_version,
                "labels": list(verdict.labels),
                "scores": {key: round(float(value), 6) for key, value in verdict.scores.items()},
                "primary_label": verdict.primary,
                "confidence": float(verdict.confidence),
                "needs_review": bool(verdict.needs_review),
                "is_current": True,
                "created_at": now,
            }
            for post, verdict in zip(posts, verdicts, strict=True)
        ],
    )
    table = Post.__table__
    session.connection().execute(
        update(table)
        .where(table.c.id == bindparam("post_id"))
        .values(
            model_version=bindparam("version"),
            primary_label=bindparam("primary"),
            confidence=bindparam("confidence"),
            needs_review=bindparam("review"),
        ),
        [
            {
                "post_id": post.id,
                "version": model_version,
                "primary": verdict.primary,
                "confidence": float(verdict.confidence),
                "review": bool(verdict.needs_review),
            }
            for post, verdict in zip(posts, verdicts, strict=True)
        ],
    )
    corrected = set(
        session.execute(select(Post.id).where(Post.id.in_(ids), Post.corrected_labels.is_not(None))).scalars()
    )
    model_owned = [post.id for post in posts if post.id not in corrected]
    if model_owned:
        session.execute(delete(PostLabel).where(PostLabel.post_id.in_(model_owned)))
        rows: list[dict[str, Any]] = [
            {
                "post_id": post.id,
                "label": label,
                "created_at": post.created_at,
                "source": post.source,
                "origin": "model",
                "score": float(verdict.scores.get(label, 0.0)),
            }
            for post, verdict in zip(posts, verdicts, strict=True)
            if post.id not in corrected
            for label in dict.fromkeys(verdict.labels)
        ]
        if rows:
            session.execute(insert(PostLabel), rows)


def set_corrected_labels(session: Session, post: Post, labels: list[str] | None) -> None:
    """Apply (or with None, withdraw) a triager's labels to the post's effective labels."""
    post.corrected_labels = list(dict.fromkeys(labels)) if labels else None
    session.add(post)
    session.execute(delete(PostLabel).where(PostLabel.post_id == post.id))
    if post.corrected_labels:
        effective = [(label, "triage", None) for label in post.corrected_labels]
    else:
        current = session.execute(
            select(Classification).where(Classification.post_id == post.id, Classification.is_current.is_(True))
        ).scalar_one_or_none()
        effective = (
            [(label, "model", current.scores.get(label)) for label in current.labels] if current is not None else []
        )
    for label, origin, score in effective:
        session.add(
            PostLabel(
                post_id=post.id,  # type: ignore[arg-type]
                label=label,
                created_at=post.created_at,
                source=post.source,
                origin=origin,
                score=score,
            )
        )
