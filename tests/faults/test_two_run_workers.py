"""Two `pantau run` workers on one PostgreSQL database: the work is shared, none of it is done twice."""

from __future__ import annotations

import re
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from faults.processes import run, start
from faults.stored_posts import classification_problems, classified_count, store_synthetic_posts
from pantau.storage.models import Alert, Classification, CollectionRun, Incident, JobRun, Post
from support import write_config

DEMO_POSTS = 690
WAITING_POSTS = 6_000


def overlapping(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    ordered = sorted(intervals)
    return [pair for pair, following in pairwise(ordered) if following[0] < pair[1]]


@pytest.mark.slow
@pytest.mark.postgres
def test_two_run_workers_share_one_database_without_double_work(
    tmp_path: Path, postgres_url: str, tiny_model_dir: Path
) -> None:
    from pantau.storage.db import make_engine, upgrade

    config = write_config(tmp_path, postgres_url, classifier={"model_dir": str(tiny_model_dir), "threads": 1})
    engine = make_engine(postgres_url)
    upgrade(engine)
    assert store_synthetic_posts(engine, WAITING_POSTS) == WAITING_POSTS

    workers = [start(config, "run", "--once") for _ in range(2)]
    outputs = [worker.communicate(timeout=600) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], [stderr[-2000:] for _, stderr in outputs]
    catch_up = run(config, "run", "--once")
    assert catch_up.returncode == 0, catch_up.stderr[-2000:]
    shares = [int(re.search(r"(\d+) post\(s\) classified", stdout).group(1)) for stdout, _ in outputs]
    assert min(shares) > 0, f"both workers should have classified a share: {shares}"
    assert sum(shares) + int(re.search(r"(\d+) post\(s\) classified", catch_up.stdout).group(1)) == (
        WAITING_POSTS + DEMO_POSTS
    )

    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(Post)).scalar_one() == WAITING_POSTS + DEMO_POSTS
        inserted = session.execute(select(func.sum(CollectionRun.inserted))).scalar_one()
        assert inserted == DEMO_POSTS, "the demo posts were collected once between the workers"
        history_rows = session.execute(select(func.count()).select_from(Classification)).scalar_one()
        assert history_rows == WAITING_POSTS + DEMO_POSTS, "one classification per post, none twice"

        for job_id in ("alerts", "incidents"):
            runs = session.execute(select(JobRun.started_at, JobRun.finished_at).where(JobRun.job_id == job_id)).all()
            assert len(runs) >= 2, f"{job_id} never ran after the workers"
            assert overlapping([(started, finished) for started, finished in runs]) == [], (
                f"two {job_id} runs overlapped in time"
            )
        duplicate_alerts = session.execute(
            select(Alert.label, Alert.window_start).group_by(Alert.label, Alert.window_start).having(func.count() > 1)
        ).all()
        assert duplicate_alerts == []
        duplicate_incidents = session.execute(
            select(Incident.label, Incident.first_seen)
            .where(Incident.status != "merged")
            .group_by(Incident.label, Incident.first_seen)
            .having(func.count() > 1)
        ).all()
        assert duplicate_incidents == []
    assert classified_count(engine) == WAITING_POSTS + DEMO_POSTS
    assert classification_problems(engine) == []
    engine.dispose()
