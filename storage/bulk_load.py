"""Bulk loading posts into SQLite: the post table's secondary indexes are dropped for the load, then rebuilt.

Keeping ten secondary indexes current costs more than the insert itself, and ever more as the table grows:
ix_post_content_hash takes its keys in random order, so every batch rewrites pages all over it. A big import
into a small table therefore drops them, inserts, and creates them again from the SQL SQLite kept for them
(the migrations' own definitions). The primary key and UNIQUE(source, external_id), which the upsert relies
on, stay. Copies among the loaded posts are linked at the end, once the content-hash index is back. The
text index is still written batch by batch, with FTS5's automatic merging paused (FTS_AUTOMERGE).

What the end must do is written to `post_bulk_load` in the transaction that drops the indexes, so a load
that dies half-way (kill -9, power loss) is finished by the next process that opens the database
(`ensure_schema`, `upgrade`, the next import). The loading process holds the lock LOCK while it works, so
nobody finishes a load that is still running. Meanwhile readers get the same posts, only slower, and the
copies among the loaded posts get their duplicate_of_id link when the load ends.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from pantau.storage.locks import exclusive

log = logging.getLogger(__name__)

MIN_LINES = 50_000
"""Smaller files gain less from a load than rebuilding the indexes costs."""
LOCK = "bulk-load"
STATE_TABLE = "post_bulk_load"
FTS_AUTOMERGE = 4
"""FTS5's default: after each write, merge levels holding this many segments or more, a little at a time.

During a load it is 0: batch after batch adds a segment, and levels are merged only when 16 pile up
(crisismerge), which writes each post's trigrams over again far fewer times."""

POST_INDEXES_SQL = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'post' AND sql IS NOT NULL"
"""The post table's own indexes: those of the primary key and UNIQUE constraint have no SQL and stay."""
POST_INDEXES = f"SELECT name FROM ({POST_INDEXES_SQL})"
_INDEX = "index "
_COPIES_AFTER = "copies after id"
_AUTOMERGE = "fts automerge"
LINK_COPIES = (
    "UPDATE post SET duplicate_of_id = "
    "(SELECT min(first.id) FROM post AS first WHERE first.content_hash = post.content_hash) "
    "WHERE id IN (SELECT later.id FROM "
    "(SELECT content_hash, min(id) AS first FROM post WHERE content_hash != '' GROUP BY content_hash "
    "HAVING count(*) > 1) AS copies "
    "CROSS JOIN post AS later ON later.content_hash = copies.content_hash "
    "WHERE later.id > copies.first AND later.id > ? AND later.duplicate_of_id IS NULL)"
)
"""Posts after the given id whose text repeats an earlier post point at the first of them, as upsert_posts links.

Texts stored more than once are found in one pass over ix_post_content_hash; CROSS JOIN keeps them the outer loop.
"""


@dataclass(slots=True)
class BulkLoad:
    copies_linked: int = 0
    """Set when the load ends: loaded posts linked to an earlier post with the same text."""


def _is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def worth_bulk_loading(engine: Engine, lines: int) -> bool:
    """SQLite, at least MIN_LINES lines, and more lines than posts stored: rebuilding costs less than upkeep."""
    if not _is_sqlite(engine) or lines < MIN_LINES:
        return False
    with engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT count(*) FROM post").scalar_one()
    return lines > stored


@contextmanager
def bulk_loading(engine: Engine) -> Iterator[BulkLoad | None]:
    """Drop the post indexes for the block and rebuild them after it, even when it fails.

    Yields None, and changes nothing, when the database is not SQLite or another process is bulk loading.
    """
    if not _is_sqlite(engine):
        yield None
        return
    with exclusive(engine, LOCK) as held:
        if not held:
            yield None
            return
        _finish(engine)
        _begin(engine)
        load = BulkLoad()
        try:
            yield load
        except BaseException:
            # If this fails too, the state is still recorded and the next process to open the database finishes.
            with suppress(Exception):
                _finish(engine)
            raise
        load.copies_linked = _finish(engine)


def finish_interrupted_load(engine: Engine) -> bool:
    """Finish a bulk load whose process died (rebuild the indexes, link copies); True when there was one.

    A load still running holds the lock and is left alone.
    """
    if not _is_sqlite(engine) or not _state_recorded(engine):
        return False
    with exclusive(engine, LOCK) as held:
        if not held:
            return False
        log.warning("a bulk import of posts was interrupted; rebuilding the post table's indexes")
        _finish(engine)
        return True


def _state_recorded(engine: Engine) -> bool:
    with engine.connect() as connection:
        exists = connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (STATE_TABLE,)
        ).scalar()
        return bool(exists) and connection.exec_driver_sql(f"SELECT count(*) FROM {STATE_TABLE}").scalar_one() > 0


def _begin(engine: Engine) -> None:
    """Record how to finish, then drop the indexes and pause FTS merging, in one transaction."""
    with engine.begin() as connection:
        # The driver opens the transaction before the first INSERT (not before CREATE TABLE): the drops share it.
        connection.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (name TEXT PRIMARY KEY, value TEXT)")
        connection.exec_driver_sql(
            f"INSERT INTO {STATE_TABLE} (name, value) SELECT ? || name, sql FROM ({POST_INDEXES_SQL})", (_INDEX,)
        )
        connection.exec_driver_sql(
            f"INSERT INTO {STATE_TABLE} (name, value) SELECT ?, coalesce(max(id), 0) FROM post", (_COPIES_AFTER,)
        )
        connection.exec_driver_sql(
            f"INSERT INTO {STATE_TABLE} (name, value) SELECT ?, coalesce("
            "(SELECT v FROM post_fts_config WHERE k = 'automerge'), ?)",
            (_AUTOMERGE, FTS_AUTOMERGE),
        )
        for name in connection.exec_driver_sql(POST_INDEXES).scalars().all():
            connection.exec_driver_sql(f'DROP INDEX "{name}"')
        _set_automerge(connection, 0)


def _finish(engine: Engine) -> int:
    """Do what the state table says is left, in one transaction, and drop it; the number of copies linked."""
    linked = 0
    with engine.begin() as connection:
        exists = connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (STATE_TABLE,)
        ).scalar()
        if not exists:
            return 0
        state = dict(connection.exec_driver_sql(f"SELECT name, value FROM {STATE_TABLE}").all())
        if state:
            # The first write opens the transaction that the index builds and the links share.
            _set_automerge(connection, int(state.get(_AUTOMERGE, FTS_AUTOMERGE)))
            present = set(
                connection.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'post'"
                ).scalars()
            )
            for key, sql in state.items():
                if key.startswith(_INDEX) and key.removeprefix(_INDEX) not in present:
                    connection.exec_driver_sql(sql)
            if _COPIES_AFTER in state:
                linked = connection.exec_driver_sql(LINK_COPIES, (int(state[_COPIES_AFTER]),)).rowcount
        connection.exec_driver_sql(f"DROP TABLE {STATE_TABLE}")
    return linked


def _set_automerge(connection: Connection, value: int) -> None:
    connection.exec_driver_sql("INSERT INTO post_fts (post_fts, rank) VALUES ('automerge', ?)", (value,))
