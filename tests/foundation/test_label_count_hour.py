"""The hourly label counts stay equal to post_label through every change, and long-range counts use them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, func, select, update
from sqlmodel import Session

from pantau.collector.base import RawPost
from pantau.collector.prepare import prepare_post
from pantau.reports.trends import trend_counts
from pantau.storage.classifications import pending_posts, record_verdicts, set_corrected_labels
from pantau.storage.label_counts import daily_label_counts, hour_index, hourly_label_counts
from pantau.storage.models import LabelCountHour, ModelCountHour, Post, PostLabel
from pantau.storage.posts import upsert_posts
from pantau.storage.retention import delete_older_than
from support import Verdict

LABELS = ["account_access", "app_error", "outage_performance", "not_complaint"]
START = datetime(2026, 10, 1, 0, 7, tzinfo=UTC)
JAKARTA = ZoneInfo("Asia/Jakarta")


def _store_and_classify(engine: Engine, count: int) -> None:
    """`count` posts every 37 minutes over a few weeks, from two sources, with one or two labels each."""
    rows = [
        prepare_post(
            "x_jmo" if index % 3 else "play",
            RawPost(
                external_id=str(index), text=f"keluhan nomor {index}", created_at=START + timedelta(minutes=37 * index)
            ),
        )
        for index in range(count)
    ]
    with Session(engine) as session:
        upsert_posts(session, rows)
        session.commit()
        pending = pending_posts(session, limit=count)
        verdicts = [
            Verdict([LABELS[i % 4]] + ([LABELS[(i + 1) % 3]] if i % 5 == 0 and i % 4 != 3 else []), LABELS[i % 4])
            for i in range(len(pending))
        ]
        record_verdicts(session, pending, verdicts, "m1")
        session.commit()


def _rollup_matches_label_rows(engine: Engine) -> None:
    with Session(engine) as session:
        rollup = {
            (hour, label, source): posts
            for hour, label, source, posts in session.execute(
                select(LabelCountHour.hour, LabelCountHour.label, LabelCountHour.source, LabelCountHour.posts)
            )
            if posts
        }
        rows = session.execute(select(PostLabel.created_at, PostLabel.label, PostLabel.source)).all()
    expected: dict[tuple[int, str, str], int] = {}
    for created_at, label, source in rows:
        key = (hour_index(created_at.replace(tzinfo=created_at.tzinfo or UTC)), label, source)
        expected[key] = expected.get(key, 0) + 1
    assert rollup == expected

    with Session(engine) as session:
        models = {
            (hour, source, version): posts
            for hour, source, version, posts in session.execute(
                select(ModelCountHour.hour, ModelCountHour.source, ModelCountHour.model_version, ModelCountHour.posts)
            )
            if posts
        }
        posts = session.execute(
            select(Post.created_at, Post.source, Post.model_version).where(Post.model_version.is_not(None))
        ).all()
    recount: dict[tuple[int, str, str], int] = {}
    for created_at, source, version in posts:
        key = (hour_index(created_at.replace(tzinfo=created_at.tzinfo or UTC)), source, version)
        recount[key] = recount.get(key, 0) + 1
    assert models == recount


def _label_rows_between(engine: Engine, start: datetime, end: datetime) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.execute(
            select(PostLabel.label, func.count())
            .where(PostLabel.created_at >= start, PostLabel.created_at < end)
            .group_by(PostLabel.label)
        ).all()
    return dict(rows)


def test_the_hourly_counts_follow_classification_corrections_and_deletions(engine: Engine) -> None:
    _store_and_classify(engine, 1500)
    _rollup_matches_label_rows(engine)

    with Session(engine) as session:
        posts = session.execute(select(Post).order_by(Post.id).limit(40)).scalars().all()
        first_ids = [post.id for post in posts[:2]]
        for post in posts:
            set_corrected_labels(session, post, ["outage_performance", "app_error"])
        session.commit()
        again = pending_posts(session, not_version="m2", limit=2000)
        record_verdicts(session, again, [Verdict(["app_error"], "app_error") for _ in again], "m2")
        session.commit()
    _rollup_matches_label_rows(engine)

    with Session(engine) as session:
        session.execute(
            update(PostLabel)
            .where(PostLabel.post_id == first_ids[0])
            .values(created_at=datetime(2026, 12, 1, tzinfo=UTC))
        )
        session.execute(delete(PostLabel).where(PostLabel.post_id == first_ids[1]))
        session.commit()
        delete_older_than(session, START + timedelta(days=10), batch_size=100)
    _rollup_matches_label_rows(engine)


def test_counts_over_any_range_equal_counting_the_label_rows(engine: Engine) -> None:
    _store_and_classify(engine, 1200)
    ranges = [
        (START, START + timedelta(days=30)),
        (START + timedelta(minutes=13), START + timedelta(days=5, minutes=50)),
        (START + timedelta(hours=5, minutes=1), START + timedelta(hours=5, minutes=59)),
        (START + timedelta(hours=3), START + timedelta(hours=3)),
    ]
    with Session(engine) as session:
        for start, end in ranges:
            by_label: dict[str, int] = {}
            for (label, _hour), count in hourly_label_counts(session, start, end, LABELS).items():
                by_label[label] = by_label.get(label, 0) + count
            assert by_label == _label_rows_between(engine, start, end), (start, end)

        only_play = hourly_label_counts(session, START, START + timedelta(days=40), LABELS, ["play"])
        rows = session.execute(
            select(func.count()).select_from(PostLabel).where(PostLabel.source == "play")
        ).scalar_one()
        assert sum(only_play.values()) == rows

        days = [(START + timedelta(days=offset)).astimezone(JAKARTA).date() for offset in range(1, 20)]
        daily = daily_label_counts(session, days, JAKARTA, LABELS)
        for day in days[:3]:
            start = datetime(day.year, day.month, day.day, tzinfo=JAKARTA)
            raw = _label_rows_between(engine, start, start + timedelta(days=1))
            assert {label: daily[(label, day)] for label in raw} == raw

        berlin = ZoneInfo("Europe/Berlin")  # summer time ends on 2026-10-25, inside the posts' month
        around_the_change = [datetime(2026, 10, day, tzinfo=berlin).date() for day in range(22, 29)]
        daily_berlin = daily_label_counts(session, around_the_change, berlin, LABELS)
        for day in around_the_change:
            start = datetime(day.year, day.month, day.day, tzinfo=berlin)
            end = datetime(day.year, day.month, day.day + 1, tzinfo=berlin)
            raw = _label_rows_between(engine, start, end)
            assert {label: daily_berlin.get((label, day), 0) for label in raw} == raw, day

        weekly = trend_counts(session, JAKARTA, since=START, until=START + timedelta(days=30), by="week", labels=LABELS)
        assert sum(sum(values) for values in weekly.series.values()) == sum(
            _label_rows_between(engine, START, START + timedelta(days=30)).values()
        )
        classified_in_range = session.execute(
            select(func.count())
            .select_from(Post)
            .where(Post.created_at >= START, Post.created_at < START + timedelta(days=30))
        ).scalar_one()
        assert weekly.model_versions == {"m1": classified_in_range}
