"""`pantau trends` counts effective labels per local bucket, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from pantau.collector.base import RawPost
from pantau.collector.prepare import prepare_post
from pantau.storage.classifications import pending_posts, record_verdicts, set_corrected_labels
from pantau.storage.models import Post
from pantau.storage.posts import upsert_posts
from support import Verdict, pantau


def _store(engine, items: list[tuple[str, datetime, list[str]]]) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        rows = [
            prepare_post("demo", RawPost(external_id=name, text=f"post {name}", created_at=moment))
            for name, moment, _ in items
        ]
        upsert_posts(session, rows)
        session.commit()
        pending = pending_posts(session)
        by_name = {name: labels for name, _, labels in items}
        external = dict(session.execute(select(Post.id, Post.external_id)).all())
        verdicts = [Verdict(by_name[external[post.id]], by_name[external[post.id]][0]) for post in pending]
        record_verdicts(session, pending, verdicts, "m-test")
        session.commit()


def test_days_follow_jakarta_time_and_triage_corrections_count(config_path: Path, engine) -> None:  # type: ignore[no-untyped-def]
    _store(
        engine,
        [
            # 2026-11-02 23:30 UTC is already 2026-11-03 06:30 in Jakarta.
            ("a", datetime(2026, 11, 2, 23, 30, tzinfo=UTC), ["account_access"]),
            ("b", datetime(2026, 11, 2, 10, 0, tzinfo=UTC), ["account_access", "app_error"]),
            ("c", datetime(2026, 11, 3, 5, 0, tzinfo=UTC), ["not_complaint"]),
            ("d", datetime(2026, 11, 3, 6, 0, tzinfo=UTC), ["app_error"]),
        ],
    )
    with Session(engine) as session:
        post_c = session.execute(select(Post).where(Post.external_id == "c")).scalar_one()
        set_corrected_labels(session, post_c, ["account_access"])
        session.commit()
    result = pantau("trends", "--since", "2026-11-02", "--until", "2026-11-04", "--by", "day", "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["buckets"] == ["2026-11-02T00:00:00+07:00", "2026-11-03T00:00:00+07:00"]
    assert document["series"]["account_access"] == [1, 2]
    assert document["series"]["app_error"] == [1, 1]
    assert "not_complaint" not in document["series"]
    assert document["model_versions"] == {"m-test": 4}


def test_csv_weekly_filter_and_plot(tmp_path: Path, config_path: Path, engine) -> None:  # type: ignore[no-untyped-def]
    _store(
        engine,
        [
            ("a", datetime(2026, 11, 3, 3, tzinfo=UTC), ["account_access"]),
            ("b", datetime(2026, 11, 10, 3, tzinfo=UTC), ["account_access"]),
            ("c", datetime(2026, 11, 11, 3, tzinfo=UTC), ["account_access"]),
        ],
    )
    chart = tmp_path / "login.png"
    result = pantau(
        "trends", "--since", "2026-11-02", "--until", "2026-11-16", "--by", "week",
        "--label", "account_access", "--format", "csv", "--plot", str(chart),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["bucket,account_access", "2026-11-02,1", "2026-11-09,2"]
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_label_is_a_usage_error(config_path: Path, engine) -> None:  # type: ignore[no-untyped-def]
    result = pantau("trends", "--label", "login")
    assert result.exit_code == 2
    assert "unknown label(s) login" in result.stderr
