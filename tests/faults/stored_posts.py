"""Synthetic posts stored directly (normalised, upserted) and checks that classifications are whole."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, and_, func, select
from sqlmodel import Session

from pantau.bench.datagen import records
from pantau.collector.base import RawPost
from pantau.collector.prepare import prepare_page
from pantau.storage.models import Classification, Post, PostLabel
from pantau.storage.posts import upsert_posts


def store_synthetic_posts(engine: Engine, count: int, *, source: str = "synthetic", days: int = 30) -> int:
    """`count` posts from bench/datagen, committed in pages of 5,000."""
    batch: list[RawPost] = []
    stored = 0
    for record in records(count, days=days):
        created = datetime.fromisoformat(str(record["created_at"]).replace("Z", "+00:00"))
        batch.append(RawPost(external_id=str(record["id"]), text=str(record["text"]), created_at=created))
        if len(batch) == 5000:
            stored += _store(engine, source, batch)
            batch = []
    return stored + (_store(engine, source, batch) if batch else 0)


def _store(engine: Engine, source: str, posts: list[RawPost]) -> int:
    with Session(engine) as session:
        inserted = upsert_posts(session, prepare_page(source, posts).rows).inserted
        session.commit()
    return inserted


def classification_problems(engine: Engine) -> list[str]:
    """Every way the post, classification and post_label tables could disagree; empty when consistent."""
    problems: list[str] = []
    with Session(engine) as session:
        current = (
            select(Classification.post_id, func.count().label("n"))
            .where(Classification.is_current.is_(True))
            .group_by(Classification.post_id)
            .subquery()
        )
        several = session.execute(select(func.count()).select_from(current).where(current.c.n > 1)).scalar_one()
        if several:
            problems.append(f"{several} post(s) with more than one current classification")
        mismatched = session.execute(
            select(func.count())
            .select_from(Post)
            .outerjoin(Classification, and_(Classification.post_id == Post.id, Classification.is_current.is_(True)))
            .where(
                (Post.model_version.is_(None) & Classification.id.is_not(None))
                | (Post.model_version.is_not(None) & Classification.id.is_(None))
                | (Post.model_version != Classification.model_version)
                | (Post.primary_label != Classification.primary_label)
            )
        ).scalar_one()
        if mismatched:
            problems.append(f"{mismatched} post(s) whose current verdict disagrees with their classification")
        orphan_labels = session.execute(
            select(func.count(func.distinct(PostLabel.post_id)))
            .join(Post, Post.id == PostLabel.post_id)
            .where(Post.model_version.is_(None), Post.corrected_labels.is_(None))
        ).scalar_one()
        if orphan_labels:
            problems.append(f"{orphan_labels} unclassified post(s) with effective labels")
        doubled = session.execute(
            select(func.count()).select_from(
                select(Classification.post_id)
                .group_by(Classification.post_id, Classification.model_version)
                .having(func.count() > 1)
                .subquery()
            )
        ).scalar_one()
        if doubled:
            problems.append(f"{doubled} post(s) classified twice by the same model version")
    return problems


def classified_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.execute(
            select(func.count()).select_from(Post).where(Post.model_version.is_not(None))
        ).scalar_one()
