"""The triage queue can list posts in active-learning order, refreshed by each cycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from pantau.collector.base import RawPost
from pantau.collector.prepare import prepare_post
from pantau.reports.active_learning import active_learning_order, refresh_label_priorities
from pantau.storage.classifications import pending_posts, record_verdicts
from pantau.storage.models import Post
from pantau.storage.posts import upsert_posts
from pantau.storage.queue import SORT_KEYS, QueueFilter, list_queue
from support import Verdict


def test_worth_labelling_order_puts_unsure_posts_first_and_skips_the_rest(settings, engine) -> None:  # type: ignore[no-untyped-def]
    start = datetime(2026, 11, 3, tzinfo=UTC)
    texts = [
        "JMO lancar hari ini, makasih min",
        "OTP gak masuk masuk udah sejam nunggu",
        "Pengumuman jadwal pemeliharaan sistem besok pagi",
        "klaim JHT saya nyangkut di verifikasi tiga minggu",
        "Mantap, pencairan cepat sekali bulan ini",
        "aplikasi force close tiap buka menu kartu digital",
    ]
    confidences = [0.99, 0.51, 0.97, 0.55, 0.98, 0.53]
    with Session(engine) as session:
        rows = [
            prepare_post("demo", RawPost(external_id=str(i), text=text, created_at=start + timedelta(hours=i)))
            for i, text in enumerate(texts)
        ]
        upsert_posts(session, rows)
        pending = pending_posts(session)
        verdicts = [
            Verdict(
                ["app_error"],
                "app_error",
                confidence,
                scores={"app_error": confidence, "not_complaint": 1 - confidence},
            )
            for confidence in confidences
        ]
        record_verdicts(session, pending, verdicts, "m1")
        session.commit()
        ranked = refresh_label_priorities(session, settings, limit=3)
        session.commit()
        page = list_queue(session, QueueFilter(), sort=SORT_KEYS["worth_labelling"], limit=10)
        order = active_learning_order(session, settings, 3)
        external = dict(session.execute(select(Post.id, Post.external_id)).all())
        expected = [external[post_id] for post_id in order]
    assert ranked == 3
    listed = [row.external_id for row in page.rows]
    assert set(listed) == {"1", "3", "5"}, "only the three unsure posts are queued"
    assert listed == expected, "the page keeps the active-learning order"
