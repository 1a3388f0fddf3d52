"""`pantau collect` as a user runs it: one bad source fails alone; a kill between pages loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from collectors.fake_x import SEARCH_URL, FakeX, LoopbackX, make_tweet, unauthorized
from pantau.storage.models import CollectionRun, Post, SourceState
from support import DEMO_STREAM, pantau, write_config

TOKEN = "AAAAAAAAAAAAAAAAAAAAAFAKEtokenFORtests%2Bnot-a-secret"
PANTAU = Path(sys.executable).with_name("pantau")


def x_source(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "x_test",
        "type": "x",
        "enabled": True,
        "query": "(JMO OR BPJSTKU) lang:id -is:retweet",
        "max_results": 10,
        "max_pages": 10,
        "max_retries": 0,
        **overrides,
    }


def demo_source() -> dict[str, Any]:
    return {"name": "demo", "type": "demo", "enabled": True, "path": str(DEMO_STREAM), "max_posts_per_run": 40}


def snapshot(engine: Engine) -> list[tuple[Any, ...]]:
    with Session(engine) as session:
        rows = session.execute(
            select(Post.external_id, Post.author, Post.url, Post.text, Post.created_at).where(Post.source == "x_test")
        ).all()
    return sorted(
        (external_id, author, url, text, created.isoformat()) for external_id, author, url, text, created in rows
    )


def count_x_posts(engine: Engine) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(Post).where(Post.source == "x_test")).scalar_one()


@pytest.fixture
def x_token(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    yield TOKEN


def test_a_rejected_token_fails_that_source_in_one_line_while_the_demo_source_succeeds(
    tmp_path: Path, database_url: str, config_path: Path, engine: Engine, x_token: str
) -> None:
    write_config(tmp_path, database_url, sources=[x_source(), demo_source()])
    fake = FakeX(scripted={0: unauthorized()})
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.GET, SEARCH_URL, callback=fake.callback)
        result = pantau("collect")

    assert result.exit_code == 1
    assert result.stderr.strip() == "collect x_test: failed: X rejected the bearer token (401 Unauthorized) " + (
        "(fetched 0, new 0, already stored 0)"
    )
    assert "collect demo: fetched 40, new 40" in result.stdout
    assert x_token not in result.stdout + result.stderr
    with Session(engine) as session:
        outcomes = {run.source: run.status for run in session.execute(select(CollectionRun)).scalars()}
        assert outcomes == {"x_test": "failed", "demo": "ok"}
        assert session.execute(select(func.count()).select_from(Post)).scalar_one() == 40


@pytest.mark.slow
def test_killing_collect_between_pages_then_rerunning_equals_an_uninterrupted_run(
    tmp_path: Path,
    database_url: str,
    config_path: Path,
    engine: Engine,
    x_token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeX(block_at_request=1)
    fake.add(*(make_tweet(index) for index in range(25)))
    with LoopbackX(fake) as server:
        write_config(tmp_path, database_url, sources=[x_source(api_base_url=server.base_url)])
        process = subprocess.Popen(
            [str(PANTAU), "collect", "--source", "x_test"],
            env=dict(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            assert fake.blocked.wait(timeout=90), "pantau collect never asked for page 2"
            # Page 2 is asked for only after page 1 and its cursor are committed.
            assert count_x_posts(engine) == 10
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
        assert process.returncode == -signal.SIGKILL
        fake.release.set()
        with Session(engine) as session:
            state = session.get(SourceState, "x_test")
            assert state is not None and state.watermark is None
            assert state.cursor["newest_id"] == make_tweet(24)["id"]

        fake.add(make_tweet(25), make_tweet(26))
        resumed = pantau("collect", "--source", "x_test")
        assert resumed.exit_code == 0, resumed.stderr
        assert "new 17, already stored 0" in resumed.stdout

        clean = tmp_path / "uninterrupted"
        clean.mkdir()
        clean_config = write_config(
            clean, f"sqlite:///{clean / 'pantau.db'}", sources=[x_source(api_base_url=server.base_url)]
        )
        monkeypatch.setenv("PANTAU_CONFIG", str(clean_config))
        assert pantau("db", "upgrade").exit_code == 0
        assert pantau("collect", "--source", "x_test").exit_code == 0

    from pantau.storage.db import make_engine

    clean_engine = make_engine(f"sqlite:///{clean / 'pantau.db'}")
    try:
        assert snapshot(engine) == snapshot(clean_engine)
    finally:
        clean_engine.dispose()
    assert count_x_posts(engine) == 27
    assert sorted(row[0] for row in snapshot(engine)) == fake.ids()
