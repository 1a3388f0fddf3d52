"""Text search in the redacted post text: a case-insensitive substring, served by a trigram index.

Migrations 0007 and 0009 keep the index: on SQLite the FTS5 table `post_fts` (trigram tokenizer, rowid =
post.id) over each post's text_redacted followed by two U+001E pad characters, with the fts5vocab table
`post_fts_vocab` listing its trigrams; on PostgreSQL a pg_trgm GIN index that ILIKE uses. The search text
is always taken literally: FTS syntax (quotes, `*`, `-`, `NEAR`, parentheses) and LIKE wildcards (`%`, `_`)
match themselves.

On SQLite, a search of three characters or more is one phrase of the index. A shorter one is found through
the trigrams that start with it (thanks to the padding every occurrence starts one): they are a range of
the vocabulary, and the posts holding any of them are exactly the posts containing the search. Which
plan serves a search is decided by counting (SQLite keeps no statistics to choose a plan by): up to
`INDEX_THRESHOLD` matches are read from the index and sorted; more are found by walking the queue's sort
order and testing each post, which stops after one page. Searches with letters beyond ASCII always use the
index, which folds their case (SQLite's LIKE folds only A-Z). PostgreSQL's planner decides by itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace

from sqlalchemy import Connection, Integer, Text, column, func, select, table
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from pantau.storage.models import Post

TRIGRAM = 3
INDEX_THRESHOLD = 10_000
"""On SQLite, up to this many matches are read from the index and sorted; more are found in queue order."""
SHORT_PROBE_POSTS = 20_000
SHORT_PROBE_HITS = 50
"""A short search found this often among the newest SHORT_PROBE_POSTS posts is common: found in queue order."""
MAX_SHORT_TRIGRAMS = 300
"""A short search starting more trigrams than this is common text: found in queue order, not the index."""
LAST_CHARACTER = chr(0x10FFFF)

post_fts = table("post_fts", column("rowid", Integer), column("text_redacted", Text))
post_fts_vocab = table("post_fts_vocab", column("term", Text))


@dataclass(frozen=True, slots=True)
class TextSearch:
    text: str
    from_index: bool
    """Drive the query from the index's matches (few of them) rather than filter posts in queue order."""
    match: str | None = None
    """The FTS5 query that finds the posts containing `text` (SQLite); None where LIKE/ILIKE serves."""


def fts_phrase(text: str) -> str:
    """An FTS5 string literal: the whole text as one phrase, so no character of it is query syntax."""
    return '"' + text.replace('"', '""') + '"'


def like_pattern(text: str) -> str:
    r"""`%text%` for LIKE/ILIKE with the default escape character `\`."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def plan_search(session: Session, text: str) -> TextSearch:
    """How to search `text` on this session's database (see the module docstring)."""
    if session.get_bind().dialect.name != "sqlite" or not text.isprintable():
        return TextSearch(text, from_index=False)
    if len(text) < TRIGRAM and common_in_newest_posts(session, text):
        return TextSearch(text, from_index=False)
    match = fts_phrase(text) if len(text) >= TRIGRAM else short_search_match(session, text)
    if match is None:
        return TextSearch(text, from_index=False)
    if not text.isascii():
        # SQLite's LIKE folds only A-Z; the index folds every letter ("É" = "é"), so it always answers these.
        return TextSearch(text, from_index=True, match=match)
    search = TextSearch(text, from_index=False, match=match)
    return replace(search, from_index=count_matches(session, search, INDEX_THRESHOLD) <= INDEX_THRESHOLD)


def count_matches(session: Session, search: TextSearch, cap: int) -> int:
    """How many posts the index finds for `search` (SQLite, with a match), counting no further than cap + 1."""
    matches = select(post_fts.c.rowid).where(_fts_match(search.match or fts_phrase(search.text))).limit(cap + 1)
    return int(session.execute(select(func.count()).select_from(matches.subquery())).scalar_one())


def common_in_newest_posts(session: Session, text: str) -> bool:
    """Whether `text` occurs at least SHORT_PROBE_HITS times among the newest posts (a cheap bounded scan).

    The vocabulary range of a short search costs as much as reading every posting of its trigrams, which is
    only cheap when the search is rare; a common one is better found in queue order anyway.
    """
    newest = session.execute(select(func.max(Post.id))).scalar_one() or 0
    hits = (
        select(Post.id)
        .where(Post.id > newest - SHORT_PROBE_POSTS, Post.text_redacted.contains(text, autoescape=True))
        .limit(SHORT_PROBE_HITS)
        .subquery()
    )
    return session.execute(select(func.count()).select_from(hits)).scalar_one() >= SHORT_PROBE_HITS


def short_search_match(session: Session, text: str) -> str | None:
    """An FTS5 query for a one- or two-character search: any indexed trigram that starts with it.

    None when it starts too many trigrams to be worth the index (it is then common enough to find in
    queue order); an empty vocabulary range gives a query that matches nothing.
    """
    folded = text.lower()
    terms = session.execute(
        select(post_fts_vocab.c.term)
        .where(post_fts_vocab.c.term >= folded, post_fts_vocab.c.term < folded + LAST_CHARACTER)
        .limit(MAX_SHORT_TRIGRAMS + 1)
    ).scalars()
    trigrams = [term for term in terms if term.startswith(folded)]
    if len(trigrams) > MAX_SHORT_TRIGRAMS:
        return None
    # A trigram of three pad characters cannot occur, so an empty range matches nothing.
    return " OR ".join(fts_phrase(term) for term in trigrams) or fts_phrase("\x1e" * TRIGRAM)


def _fts_match(match: str) -> ColumnElement[bool]:
    return post_fts.c.text_redacted.op("MATCH")(match)


def matching_ids(search: TextSearch) -> ColumnElement[bool]:
    """`post.id IN (matches from the index)`: SQLite."""
    return Post.id.in_(select(post_fts.c.rowid).where(_fts_match(search.match or fts_phrase(search.text))))


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
    "INSERT INTO post_fts (rowid, text_redacted) SELECT source.id, source.text_redacted FROM post_fts_pending AS "
    "pending CROSS JOIN post_fts_source AS source ON source.id = pending.id WHERE pending.id > 0"
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
