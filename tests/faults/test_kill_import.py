"""kill -9 during `pantau import` of a 1,000,000-line file, then the same import again: nothing lost or doubled."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlmodel import Session

from faults.ledger import database_ledger, file_ledger
from faults.processes import children_of, kill9, run, start, wait_until
from pantau.bench.datagen import write_jsonl
from pantau.storage.models import CollectionRun, Post

PAGE = 2000
LINES = {
    "sqlite": int(os.environ.get("PANTAU_FAULT_IMPORT_LINES", "1000000")),
    "postgresql": int(os.environ.get("PANTAU_FAULT_IMPORT_LINES_PG", "200000")),
}
KILL_AFTER = 5 * PAGE
SOURCE = "bulk"


@pytest.fixture(scope="session")
def import_files(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    directory = tmp_path_factory.mktemp("import-files")
    return {lines: write_jsonl(directory / f"posts-{lines}.jsonl", lines) for lines in set(LINES.values())}


def runs(engine: Engine) -> list[CollectionRun]:
    with Session(engine) as session:
        query = select(CollectionRun).where(CollectionRun.source == SOURCE).order_by(CollectionRun.id)
        return list(session.execute(query).scalars())


def stored(engine: Engine) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(Post).where(Post.source == SOURCE)).scalar_one()


def committed_by_running_import(engine: Engine) -> int:
    with Session(engine) as session:
        query = select(CollectionRun.inserted).where(CollectionRun.source == SOURCE, CollectionRun.status == "running")
        return session.execute(query).scalar() or 0


@pytest.mark.slow
def test_kill9_mid_import_then_rerun_stores_every_line_exactly_once(
    config_path: Path, engine: Engine, import_files: dict[int, Path]
) -> None:
    lines = LINES[engine.dialect.name]
    path = import_files[lines]
    process = start(config_path, "import", str(path), "--source", SOURCE)
    wait_until(lambda: committed_by_running_import(engine) >= KILL_AFTER, process, timeout=600)
    kill9(process)
    time.sleep(0.5)
    assert children_of(process.pid) == [], "import workers outlived the killed import"

    after_kill = stored(engine)
    assert KILL_AFTER <= after_kill < lines
    assert after_kill % PAGE == 0, "a page was half-written"
    [killed] = runs(engine)
    assert killed.status == "running" and killed.inserted == after_kill
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"

    rerun = run(config_path, "import", str(path), "--source", SOURCE)
    assert rerun.returncode == 0, rerun.stderr
    new = lines - after_kill
    assert f"read {lines} post(s): {new} new, {after_kill} already stored, 0 bad line(s)" in rerun.stdout

    assert database_ledger(engine, SOURCE) == file_ledger(path, SOURCE)
    with Session(engine) as session:
        distinct = select(func.count()).select_from(select(Post.external_id).distinct().subquery())
        assert session.execute(distinct).scalar_one() == lines
    killed, finished = runs(engine)
    assert killed.status == "failed" and killed.error.startswith("interrupted:") and killed.finished_at is not None
    assert (finished.status, finished.inserted, finished.duplicates) == ("ok", new, after_kill)
