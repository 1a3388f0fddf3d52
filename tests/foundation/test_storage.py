"""Storage behaviour on SQLite and PostgreSQL: idempotent upserts, copies linked, history kept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from pantau.collector.base import RawPost
from pantau.collector.prepare import prepare_post
from pantau.storage.classifications import pending_posts, record_verdicts, set_corrected_labels
from pantau.storage.models import Classification, Post, PostLabel
from pantau.storage.posts import upsert_posts
from support import Verdict


def _row(external_id: str, text: str, hour: int = 9) -> dict:  # type: ignore[type-arg]
    post = RawPost(external_id=external_id, text=text, created_at=datetime(2026, 11, 3, hour, tzinfo=UTC))
    return prepare_post("x_jmo", post)


def test_same_post_twice_is_stored_once(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        first = upsert_posts(session, [_row("1", "JMO error"), _row("2", "klaim JHT lama")])
        session.commit()
    with Session(engine) as session:
        second = upsert_posts(
            session, [_row("2", "klaim JHT lama"), _row("3", "server down"), _row("3", "server down")]
        )
        session.commit()
        assert (first.inserted, first.duplicates) == (2, 0)
        assert (second.inserted, second.duplicates) == (1, 2)
        assert session.execute(select(func.count()).select_from(Post)).scalar_one() == 3


def test_unique_constraint_lives_in_the_schema(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        session.add(Post(**_row("9", "satu")))
        session.add(Post(**_row("9", "dua")))
        with pytest.raises(IntegrityError):
            session.commit()


def test_copy_paste_posts_link_to_their_first_occurrence(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        upsert_posts(session, [_row("1", "@BPJSTKinfo JMO down lagi?? dari pagi ga bisa buka #JMOerror", 8)])
        session.commit()
        upsert_posts(
            session,
            [
                _row("2", "JMO DOWN lagi ??? dari pagi ga bisa buka 😡 #JMOerror @BPJSTKinfo https://t.co/abc", 9),
                _row("3", "JMO lancar jaya hari ini, makasih min", 10),
            ],
        )
        session.commit()
        posts = {post.external_id: post for post in session.execute(select(Post)).scalars()}
    assert posts["2"].duplicate_of_id == posts["1"].id
    assert posts["1"].duplicate_of_id is None
    assert posts["3"].duplicate_of_id is None


def test_reclassification_keeps_history_and_triage_labels_win(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        upsert_posts(session, [_row("1", "gak bisa login, OTP gak masuk")])
        session.commit()
        pending = pending_posts(session)
        record_verdicts(session, pending, [Verdict(["app_error"], "app_error", 0.55, True)], "m1")
        session.commit()
        assert pending_posts(session) == []
        post = session.execute(select(Post)).scalar_one()
        set_corrected_labels(session, post, ["account_access"])
        session.commit()
        again = pending_posts(session, not_version="m2")
        record_verdicts(session, again, [Verdict(["app_error", "outage_performance"], "app_error", 0.7)], "m2")
        session.commit()
        history = session.execute(select(Classification).order_by(Classification.id)).scalars().all()
        labels = session.execute(select(PostLabel.label, PostLabel.origin)).all()
        post = session.execute(select(Post)).scalar_one()
    assert [(c.model_version, c.is_current) for c in history] == [("m1", False), ("m2", True)]
    assert labels == [("account_access", "triage")]
    assert post.model_version == "m2"
    assert post.primary_label == "app_error"


def test_withdrawn_correction_hands_the_labels_back_to_the_model(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        upsert_posts(session, [_row("1", "server down dari pagi")])
        session.commit()
        pending = pending_posts(session)
        record_verdicts(session, pending, [Verdict(["app_error"], "app_error", 0.6)], "m1")
        post = session.execute(select(Post)).scalar_one()
        set_corrected_labels(session, post, ["outage_performance"])
        session.commit()
        set_corrected_labels(session, post, None)
        session.commit()
        again = pending_posts(session, not_version="m2")
        record_verdicts(session, again, [Verdict(["outage_performance"], "outage_performance", 0.9)], "m2")
        session.commit()
        assert session.execute(select(Post.corrected_labels)).scalar_one() is None
        assert session.execute(select(PostLabel.label, PostLabel.origin)).all() == [("outage_performance", "model")]
