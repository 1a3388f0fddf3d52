"""kill -9 during `pantau classify --pending`: every chunk is all or nothing, and a rerun finishes the rest once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from faults.processes import kill9, run, start, wait_until
from faults.stored_posts import classification_problems, classified_count, store_synthetic_posts
from pantau.pipeline.classify import CLAIM_CHUNK
from pantau.storage.models import Classification
from support import write_config

POSTS = 12_000


@pytest.mark.slow
def test_kill9_mid_classification_leaves_only_whole_verdicts_and_a_rerun_classifies_each_post_once(
    tmp_path: Path, database_url: str, config_path: Path, engine: Engine, tiny_model_dir: Path
) -> None:
    config = write_config(tmp_path, database_url, classifier={"model_dir": str(tiny_model_dir), "threads": 1})
    chunk = CLAIM_CHUNK if engine.dialect.name == "postgresql" else 1000
    assert store_synthetic_posts(engine, POSTS) == POSTS
    process = start(config, "classify", "--pending")
    wait_until(lambda: classified_count(engine) >= 3 * chunk, process, timeout=600)
    kill9(process)

    first = classified_count(engine)
    assert 3 * chunk <= first < POSTS, "kill came too late to interrupt anything"
    assert first % chunk == 0, "a chunk was half-written"
    assert classification_problems(engine) == []

    rerun = run(config, "classify", "--pending")
    assert rerun.returncode == 0, rerun.stderr
    assert f"{POSTS - first} post(s) classified by model tiny-random-1" in rerun.stdout
    assert classified_count(engine) == POSTS
    assert classification_problems(engine) == []
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(Classification)).scalar_one() == POSTS
