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
    claim: bool = False,
) -> list[PendingPost]:
    """Posts awaiting a classification (or, with `not_version`, posts classified by another model).

    `claim` on PostgreSQL locks the rows (FOR UPDATE SKIP LOCKED) until the caller's transaction ends:
    rows another worker holds are skipped, so concurrent classifiers never take the same post. SQLite
    has no row locks (one writer at a time); record_verdicts still refuses to record a post twice.
    """
    query = select(Post.id, Post.text_clean, Post.created_at, Post.source).where(Post.id > after_id)
    if not_version is None:
        query = query.where(Post.model_version.is_(None))
    else:
        query = query.where((Post.model_version.is_(None)) | (Post.model_version != not_version))
    if since is not None:
        query = query.where(Post.created_at >= since)
    if until is not None:
        query = query.where(Post.created_at < until)
    query = query.order_by(Post.id).limit(limit)
    if claim and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Post.__table__)
    rows = session.execute(query).all()
    return [PendingPost(id=row[0], text=row[1], created_at=row[2], source=row[3]) for row in rows]


def record_verdicts(
    session: Session, posts: Sequence[PendingPost], verdicts: Sequence[Verdict], model_version: str
) -> int:
    """Store one verdict per post in the caller's transaction; triage corrections keep winning.

    Posts that already carry a verdict of `model_version` (another worker stored it meanwhile) are
    left as they are, so a model never leaves two history rows on one post. Returns how many were stored.
    """
    if not posts:
        return 0
    done = set(
        session.execute(
            select(Post.id).where(Post.id.in_([post.id for post in posts]), Post.model_version == model_version)
        ).scalars()
    )
    if done:
        kept = [(post, verdict) for post, verdict in zip(posts, verdicts, strict=True) if post.id not in done]
        posts, verdicts = [post for post, _ in kept], [verdict for _, verdict in kept]
        if not posts:
            return 0
    ids = [post.id for post in posts]
    now = utcnow()
    session.execute(
        update(Classification)
        .where(Classification.post_id.in_(ids), Classification.is_current.is_(True))
        .values(is_current=False)
    )
    session.execute(
        insert(Classification.__table__),
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
            session.execute(insert(PostLabel.__table__), rows)
    return len(posts)


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
