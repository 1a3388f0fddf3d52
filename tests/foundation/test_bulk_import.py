"""Bulk import on SQLite: the same rows, copy links, text index and indexes as a row-wise import.

A bulk load drops the post table's secondary indexes while it inserts; whatever stops it, the indexes
come back, either when it ends or when the next process opens the database.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from pantau.collector.base import RawPost
from pantau.collector.prepare import prepare_page
from pantau.core.config import Settings
from pantau.pipeline.importer import import_file
from pantau.storage.bulk_load import (
    MIN_LINES,
    STATE_TABLE,
    bulk_loading,
    finish_interrupted_load,
    worth_bulk_loading,
)
from pantau.storage.db import ensure_schema, make_engine, upgrade
from pantau.storage.models import CollectionRun
from pantau.storage.posts import upsert_posts
from support import pantau

COLUMNS = (
    "id, source, external_id, author, author_name, url, created_at, text, text_clean, text_redacted, lang, raw, "
    "content_hash, simhash, duplicate_of_id, incident_id, model_version, primary_label, confidence, needs_review, "
    "status, assignee, note, corrected_labels, triaged_at, triaged_by, label_priority"
)
"""Every post column but collected_at, the time of the import."""
SEARCHES = ("JMO", "saldo JHT", "[NIK]", "[TELEPON]", "mantap")
PHRASES = (
    "JMO gak bisa login, OTP gak pernah masuk",
    "saldo JHT tidak update sejak agustus",
    "klaim JHT sudah 2 minggu masih diproses",
    "alhamdulillah klaim cair cepat, mantap",
)


def _record(index: int) -> dict[str, Any]:
    if index % 7 == 3:  # copies of an earlier post, some of them stored by the first import
        return {**_record(index // 3), "id": f"p{index}"}
    extra = (" NIK 3174 0512 3456 7890", " hubungi 0812-3456-7890", "", "")[index % 4]
    return {
        "id": f"p{index}",
        "text": f"{PHRASES[index % len(PHRASES)]} nomor {index}{extra}",
        "created_at": f"2026-11-{1 + index % 28:02d}T{index % 24:02d}:{index % 60:02d}:00+07:00",
        "author": f"user{index % 31}",
        "likes": index % 5,
    }


def _write(path: Path, count: int, *, bad_lines: bool = False) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for index in range(count):
            handle.write(json.dumps(_record(index)) + "\n")
            if bad_lines and index % 500 == 7:
                handle.write('{"id": "broken", "text": \n')
    return path


def _engine(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def _snapshot(engine: Engine) -> dict[str, Any]:
    """What an import leaves behind, ids included; the schema as sqlite_master holds it."""
    with engine.connect() as connection:
        sql = connection.exec_driver_sql
        connection.exec_driver_sql("INSERT INTO post_fts (post_fts, rank) VALUES ('integrity-check', 1)")
        return {
            "posts": sql(f"SELECT {COLUMNS} FROM post ORDER BY id").all(),
            "schema": sql("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name").all(),
            "searches": {
                text: sql("SELECT rowid FROM post_fts WHERE post_fts MATCH ? ORDER BY rowid", (f'"{text}"',)).all()
                for text in SEARCHES
            },
            "runs": sql("SELECT status, fetched, inserted, duplicates, skipped FROM collection_run ORDER BY id").all(),
        }


def _copies_linked(engine: Engine) -> list[int]:
    with Session(engine) as session:
        runs = session.execute(select(CollectionRun).order_by(CollectionRun.id)).scalars().all()
        return [int((run.details or {}).get("copies_linked", 0)) for run in runs]


def _post_indexes(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'post' ORDER BY name"
        return list(connection.exec_driver_sql(query).scalars())


def test_bulk_import_stores_exactly_what_a_row_wise_import_stores(tmp_path: Path, sqlite_settings: Settings) -> None:
    first = _write(tmp_path / "first.jsonl", 1_200)
    second = _write(tmp_path / "second.jsonl", 4_000, bad_lines=True)
    results = {}
    for bulk in (True, False):
        engine = _engine(tmp_path / f"bulk-{bulk}.db")
        for path in (first, second):  # the second file repeats the first's posts and copies their texts
            outcome = import_file(engine, sqlite_settings, path, "archive", page_size=500, workers=0, bulk=bulk)
            assert outcome.status == ("partial" if path == second else "ok")
        results[bulk] = (_snapshot(engine), _copies_linked(engine))
        engine.dispose()
    (bulk_state, bulk_copies), (row_state, row_copies) = results[True], results[False]
    assert len(bulk_state["posts"]) == 4_000
    assert bulk_state["posts"] == row_state["posts"]
    assert bulk_state["schema"] == row_state["schema"]
    assert bulk_state["searches"] == row_state["searches"]
    assert all(bulk_state["searches"].values())
    assert bulk_state["runs"] == row_state["runs"] == [("ok", 1_200, 1_200, 0, 0), ("partial", 4_000, 2_800, 1_200, 8)]
    assert bulk_copies == row_copies and sum(bulk_copies) > 0


def test_readers_get_every_post_while_a_load_runs_and_nobody_else_finishes_it(
    tmp_path: Path, sqlite_settings: Settings, sqlite_engine: Engine
) -> None:
    indexes = _post_indexes(sqlite_engine)
    posts = [RawPost(external_id=f"p{index}", **_raw(index)) for index in range(300)]
    with bulk_loading(sqlite_engine) as load:
        assert load is not None
        assert _post_indexes(sqlite_engine) == ["sqlite_autoindex_post_1"]
        with Session(sqlite_engine) as session:
            upsert_posts(session, prepare_page("archive", posts).rows, link_copies=False)
            session.commit()
        assert finish_interrupted_load(sqlite_engine) is False, "a running load was finished by someone else"
        with sqlite_engine.connect() as connection:
            sql = connection.exec_driver_sql
            assert sql("SELECT count(*) FROM post WHERE created_at >= '2026-11-08'").scalar_one() == 160
            assert sql("SELECT count(*) FROM post_fts WHERE post_fts MATCH '\"saldo JHT\"'").scalar_one() == 75
    assert _post_indexes(sqlite_engine) == indexes
    assert load.copies_linked == 296  # the posts after the first four repeat their texts
    with sqlite_engine.connect() as connection:
        assert (
            connection.exec_driver_sql(f"SELECT count(*) FROM sqlite_master WHERE name = '{STATE_TABLE}'").scalar() == 0
        )


def _raw(index: int) -> dict[str, Any]:
    """Four texts in turn: posts after the fourth are copies."""
    return {"text": PHRASES[index % len(PHRASES)], "created_at": datetime(2026, 11, 1 + index // 20, tzinfo=UTC)}


def _die_while_loading(url: str) -> None:
    """A process that stops dead half-way through a bulk load: no finally block, no cleanup."""
    engine = make_engine(url)
    posts = [RawPost(external_id=f"p{index}", **_raw(index)) for index in range(300)]
    with bulk_loading(engine):
        for start in range(0, 300, 100):
            with Session(engine) as session:
                upsert_posts(session, prepare_page("archive", posts[start : start + 100]).rows, link_copies=False)
                session.commit()
        os._exit(9)


@pytest.mark.parametrize("opener", ["ensure_schema", "upgrade", "import"])
def test_a_load_whose_process_died_is_finished_by_the_next_process(
    tmp_path: Path, sqlite_settings: Settings, sqlite_engine: Engine, opener: str
) -> None:
    indexes = _post_indexes(sqlite_engine)
    child = multiprocessing.get_context("fork").Process(target=_die_while_loading, args=(sqlite_settings.database_url,))
    child.start()
    child.join(60)
    assert child.exitcode == 9
    assert _post_indexes(sqlite_engine) == ["sqlite_autoindex_post_1"]
    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM post WHERE duplicate_of_id IS NOT NULL").scalar() == 0

    if opener == "ensure_schema":
        ensure_schema(sqlite_engine)
    elif opener == "upgrade":
        upgrade(sqlite_engine)
    else:
        path = _write(tmp_path / "more.jsonl", 10)
        assert pantau("import", str(path), "--source", "other").exit_code == 0

    assert _post_indexes(sqlite_engine) == indexes
    with sqlite_engine.connect() as connection:
        sql = connection.exec_driver_sql
        assert sql(f"SELECT count(*) FROM sqlite_master WHERE name = '{STATE_TABLE}'").scalar() == 0
        assert sql("SELECT count(*) FROM post WHERE source = 'archive'").scalar() == 300
        links = sql("SELECT id, duplicate_of_id FROM post WHERE source = 'archive' ORDER BY id").all()
        assert [first for _, first in links] == [None] * 4 + [links[index % 4][0] for index in range(4, 300)]
        assert finish_interrupted_load(sqlite_engine) is False


def test_bulk_loading_pays_for_big_files_into_small_tables(sqlite_engine: Engine) -> None:
    assert not worth_bulk_loading(sqlite_engine, MIN_LINES - 1)
    assert worth_bulk_loading(sqlite_engine, MIN_LINES)
    with sqlite_engine.begin() as connection:
        connection.exec_driver_sql(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO post (source, external_id, created_at, collected_at, text_clean, text_redacted, raw, "
            "content_hash, needs_review, status) "
            "SELECT 's', 'p' || i, '2026-11-01', '2026-11-01', 't', 't', '{}', '', 0, 'new' FROM n",
            (MIN_LINES,),
        )
    assert not worth_bulk_loading(sqlite_engine, MIN_LINES)
    assert worth_bulk_loading(sqlite_engine, MIN_LINES + 1)


def test_the_bulk_flag_changes_nothing_on_postgresql(tmp_path: Path, config_path: Path, engine: Engine) -> None:
    path = _write(tmp_path / "posts.jsonl", 700)
    result = pantau("import", str(path), "--source", "archive", "--bulk")
    assert result.exit_code == 0, result.stderr
    assert "read 700 post(s): 700 new, 0 already stored, 0 bad line(s)" in result.stdout
    with Session(engine) as session:
        [run] = session.execute(select(CollectionRun)).scalars().all()
    assert (run.details or {}).get("bulk_load", False) is (engine.dialect.name == "sqlite")
    assert _copies_linked(engine) == [100]
