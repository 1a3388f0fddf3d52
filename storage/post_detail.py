"""What the post detail view reads besides the post: its current verdict and its copies."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlmodel import Session

from pantau.storage.models import Classification, Post, PostLabel


def current_classification(session: Session, post_id: int) -> Classification | None:
    query = (
        select(Classification)
        .where(Classification.post_id == post_id, Classification.is_current.is_(True))
        .order_by(Classification.id.desc())
        .limit(1)
    )
    return session.execute(query).scalars().first()


def effective_labels(session: Session, post_id: int) -> list[str]:
    query = select(PostLabel.label).where(PostLabel.post_id == post_id).order_by(PostLabel.label)
    return list(session.execute(query).scalars())


def similar_posts(session: Session, post: Post, limit: int = 10) -> list[Post]:
    """Posts with the same text fingerprint, or linked to the same first occurrence."""
    root = post.duplicate_of_id or post.id
    conditions = [Post.duplicate_of_id == root, Post.id == root]
    if post.content_hash:
        conditions.append(Post.content_hash == post.content_hash)
    query = select(Post).where(or_(*conditions), Post.id != post.id).order_by(Post.created_at.desc()).limit(limit)
    return list(session.execute(query).scalars())
