"""Two classifier processes on one PostgreSQL database at once: every post classified exactly once."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlmodel import Session

from faults.processes import start
from faults.stored_posts import classification_problems, classified_count, store_synthetic_posts
from pantau.storage.models import Classification
from support import write_config

POSTS = 12_000


def waiting_on_locks(engine: Engine) -> int:
    with engine.connect() as connection:
        query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        return int(connection.execute(text(query)).scalar_one())


@pytest.mark.slow
@pytest.mark.postgres
def test_two_workers_share_the_pending_posts_without_classifying_any_twice(
    tmp_path: Path, postgres_url: str, tiny_model_dir: Path
) -> None:
    from pantau.storage.db import make_engine, upgrade

    config = write_config(tmp_path, postgres_url, classifier={"model_dir": str(tiny_model_dir), "threads": 1})
    engine = make_engine(postgres_url)
    upgrade(engine)
    assert store_synthetic_posts(engine, POSTS) == POSTS

    # A barrier: hold the post table until both workers are queued on it, so they really run side by side.
    with engine.connect() as holder:
        holder.execute(text("LOCK TABLE post IN ACCESS EXCLUSIVE MODE"))
        workers = [start(config, "classify", "--pending") for _ in range(2)]
        deadline = time.monotonic() + 300
        while waiting_on_locks(engine) < 2:
            assert time.monotonic() < deadline, "the workers never reached the database"
            assert all(worker.poll() is None for worker in workers)
            time.sleep(0.2)
        holder.rollback()
    results = [worker.communicate(timeout=600) for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], [stderr for _, stderr in results]
    shares = [int(re.search(r"(\d+) post\(s\) classified", stdout).group(1)) for stdout, _ in results]
    assert sum(shares) == POSTS and min(shares) > 0, shares
    assert classified_count(engine) == POSTS
    assert classification_problems(engine) == []
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(Classification)).scalar_one() == POSTS
    engine.dispose()
