"""kill -9 during a bulk `pantau import` into SQLite (indexes dropped), then the same import again.

The next run must rebuild every index the migrations made, link the copies the killed run stored, and
store each line exactly once.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from faults.ledger import database_ledger, file_ledger
from faults.processes import children_of, kill9, run, start, wait_until
from pantau.bench.datagen import write_jsonl
from pantau.storage.bulk_load import STATE_TABLE

LINES = int(os.environ.get("PANTAU_FAULT_BULK_IMPORT_LINES", "200000"))
PAGE = 2000
KILL_AFTER = 5 * PAGE
SOURCE = "bulk"
MISLINKED = (
    "SELECT count(*) FROM post WHERE duplicate_of_id IS NOT (SELECT min(first.id) FROM post AS first "
    "WHERE first.content_hash = post.content_hash AND first.id < post.id AND post.content_hash != '')"
)
"""Posts not pointing at the first post with their text (or pointing somewhere without an earlier copy)."""


def post_indexes(engine: Engine) -> list[tuple[str, str | None]]:
    with engine.connect() as connection:
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'post' ORDER BY name"
        return [tuple(row) for row in connection.exec_driver_sql(query).all()]


def scalar(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar() or 0)


@pytest.mark.slow
def test_kill9_mid_bulk_import_then_rerun_restores_the_indexes_and_stores_every_line_once(
    tmp_path: Path, sqlite_config_path: Path, sqlite_engine: Engine
) -> None:
    engine = sqlite_engine
    path = write_jsonl(tmp_path / "posts.jsonl", LINES)
    indexes = post_indexes(engine)
    assert len(indexes) > 5

    process = start(sqlite_config_path, "import", str(path), "--source", SOURCE)
    running = f"SELECT inserted FROM collection_run WHERE source = '{SOURCE}' AND status = 'running'"
    wait_until(lambda: scalar(engine, running) >= KILL_AFTER, process, timeout=600)
    kill9(process)
    time.sleep(0.5)
    assert children_of(process.pid) == [], "import workers outlived the killed import"

    after_kill = scalar(engine, f"SELECT count(*) FROM post WHERE source = '{SOURCE}'")
    assert KILL_AFTER <= after_kill < LINES
    assert after_kill % PAGE == 0, "a page was half-written"
    assert post_indexes(engine) == [("sqlite_autoindex_post_1", None)], "the import did not load in bulk"
    assert scalar(engine, f"SELECT count(*) FROM {STATE_TABLE}") > 0
    assert _integrity(engine) == "ok"

    rerun = run(sqlite_config_path, "import", str(path), "--source", SOURCE)
    assert rerun.returncode == 0, rerun.stderr
    new = LINES - after_kill
    assert f"read {LINES} post(s): {new} new, {after_kill} already stored, 0 bad line(s)" in rerun.stdout

    assert post_indexes(engine) == indexes
    assert scalar(engine, f"SELECT count(*) FROM sqlite_master WHERE name = '{STATE_TABLE}'") == 0
    assert database_ledger(engine, SOURCE) == file_ledger(path, SOURCE)
    assert scalar(engine, "SELECT count(DISTINCT external_id) FROM post") == LINES
    assert scalar(engine, "SELECT count(*) FROM post WHERE duplicate_of_id IS NOT NULL") > 0
    assert scalar(engine, MISLINKED) == 0
    assert scalar(engine, "SELECT count(*) FROM post_fts WHERE post_fts MATCH '\"JMO\"'") == scalar(
        engine, "SELECT count(*) FROM post WHERE text_redacted LIKE '%JMO%'"
    )
    assert _integrity(engine) == "ok"
    with engine.connect() as connection:
        query = text("SELECT status FROM collection_run WHERE source = :source ORDER BY id")
        assert list(connection.execute(query, {"source": SOURCE}).scalars()) == ["failed", "ok"]


def _integrity(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text("PRAGMA integrity_check")).scalar())
