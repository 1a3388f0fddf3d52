"""Text search in the redacted post text: a case-insensitive substring, served by a trigram index.

Migration 0007 keeps the index: on SQLite the FTS5 table `post_fts` (trigram tokenizer, external content
post.text_redacted, rowid = post.id), on PostgreSQL a pg_trgm GIN index that ILIKE uses. The search text is
always taken literally: FTS syntax (quotes, `*`, `-`, `NEAR`, parentheses) and LIKE wildcards (`%`, `_`)
match themselves. Trigrams need three characters, so shorter searches fall back to scanning the posts in
queue order (fast when they match often, up to a full scan when they match nothing).

On SQLite, which keeps no statistics to choose a plan by, `plan_search` counts the matches first (up to
`INDEX_THRESHOLD`): few matches are read from the index and sorted; many are found by walking the queue's
sort order and testing each post, which stops after one page. Searches with letters beyond ASCII always use
the index, which folds their case (SQLite's LIKE folds only A-Z).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from sqlalchemy import Connection, Integer, Text, column, func, select, table
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from pantau.storage.models import Post

MIN_INDEXED_CHARS = 3
"""Trigram indexes cannot serve a shorter search."""
INDEX_THRESHOLD = 10_000
"""On SQLite, up to this many matches are read from the index and sorted; more are found in queue order."""

post_fts = table("post_fts", column("rowid", Integer), column("text_redacted", Text))


@dataclass(frozen=True, slots=True)
class TextSearch:
    text: str
    from_index: bool
    """Drive the query from the index's matches (few of them) rather than filter posts in queue order."""


def fts_phrase(text: str) -> str:
    """An FTS5 string literal: the whole text as one phrase, so no character of it is query syntax."""
    return '"' + text.replace('"', '""') + '"'


def like_pattern(text: str) -> str:
    r"""`%text%` for LIKE/ILIKE with the default escape character `\`."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def plan_search(session: Session, text: str) -> TextSearch:
    """How to search `text` on this session's database (see the module docstring)."""
    if session.get_bind().dialect.name != "sqlite" or len(text) < MIN_INDEXED_CHARS:
        return TextSearch(text, from_index=False)
    if not text.isascii():
        # SQLite's LIKE folds only A-Z; the index folds every letter ("É" = "é"), so it always answers these.
        return TextSearch(text, from_index=True)
    matches = select(post_fts.c.rowid).where(_fts_match(text)).limit(INDEX_THRESHOLD + 1).subquery()
    found = session.execute(select(func.count()).select_from(matches)).scalar_one()
    return TextSearch(text, from_index=found <= INDEX_THRESHOLD)


def _fts_match(text: str) -> ColumnElement[bool]:
    return post_fts.c.text_redacted.op("MATCH")(fts_phrase(text))


def matching_ids(search: TextSearch) -> ColumnElement[bool]:
    """`post.id IN (matches from the index)`: SQLite with three characters or more."""
    return Post.id.in_(select(post_fts.c.rowid).where(_fts_match(search.text)))


def text_condition(search: TextSearch, dialect: str) -> ColumnElement[bool]:
    """The search as a condition on the post row."""
    if dialect == "sqlite":
        if search.from_index:
            return matching_ids(search)
        # SQLite's LIKE ignores ASCII case; the FTS table is not consulted, so nothing is materialised.
        return Post.text_redacted.contains(search.text, autoescape=True)
    # ILIKE (not lower() LIKE) so the pg_trgm index on text_redacted applies; short patterns scan.
    return Post.text_redacted.ilike(like_pattern(search.text))


# CROSS JOIN keeps post_fts_pending the outer loop: with a plain JOIN, SQLite moves `id > 0` onto post and walks
# the whole post table for every batch.
INDEX_PENDING = (
    "INSERT INTO post_fts (rowid, text_redacted) "
    "SELECT post.id, post.text_redacted FROM post_fts_pending AS pending CROSS JOIN post ON post.id = pending.id "
    "WHERE pending.id > 0"
)


@contextmanager
def deferred_indexing(connection: Connection) -> Iterator[None]:
    """SQLite: index the posts a bulk insert adds with one statement at the end instead of row by row.

    The insert trigger writing each post into the FTS5 table costs ~120 µs a post, five times one
    INSERT ... SELECT: each statement opens a savepoint and FTS5 flushes to disk at every one. Inside this
    block (the marker row 0 in post_fts_pending) the trigger only notes the new ids; on the way out they are
    indexed and the notes removed, in the caller's transaction. Without the block the triggers still index
    every post, only slower. Elsewhere (PostgreSQL) it does nothing.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql("INSERT OR IGNORE INTO post_fts_pending (id) VALUES (0)")
    try:
        yield
    except BaseException:
        # A caller that handles the error and commits must not leave the marker behind; if the
        # transaction is broken, its rollback removes the marker and the notes, and the first error matters.
        with suppress(Exception):
            _index_pending(connection)
        raise
    _index_pending(connection)


def _index_pending(connection: Connection) -> None:
    connection.exec_driver_sql(INDEX_PENDING)
    connection.exec_driver_sql("DELETE FROM post_fts_pending")
