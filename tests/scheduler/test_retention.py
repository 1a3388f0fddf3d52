"""Retention: old posts go with their labels and classifications; newer ones stay untouched."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from labelled_demo import import_labelled_demo
from pantau.core.config import Settings
from pantau.storage.models import Classification, Post, PostLabel
from pantau.storage.retention import delete_older_than

CUTOFF = datetime(2026, 11, 8, tzinfo=ZoneInfo("Asia/Jakarta"))


def count(session: Session, column) -> int:  # type: ignore[no-untyped-def]
    return session.execute(select(func.count(column))).scalar_one()


def test_posts_before_the_cutoff_are_deleted_with_their_rows(sqlite_engine: Engine, sqlite_settings: Settings) -> None:
    import_labelled_demo(sqlite_engine, sqlite_settings)
    with Session(sqlite_engine) as session:
        kept = session.execute(select(func.count()).where(Post.created_at >= CUTOFF)).scalar_one()
        outcome = delete_older_than(session, CUTOFF, batch_size=100)
        assert outcome.posts == 690 - kept
        assert count(session, Post.id) == kept
        assert count(session, Classification.id) == kept
        orphans = select(func.count()).select_from(PostLabel).where(PostLabel.created_at < CUTOFF)
        assert session.execute(orphans).scalar_one() == 0
