"""Post queries: the idempotent upsert every source goes through, and the reads built on it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, DateTime, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from pantau.storage.models import Post, utcnow
from pantau.storage.post_copy import copy_insert
from pantau.storage.text_search import deferred_indexing


@dataclass(slots=True)
class UpsertResult:
    inserted_ids: list[int] = field(default_factory=list)
    duplicates: int = 0
    """Rows already stored under the same (source, external_id)."""
    linked_copies: int = 0
    """New rows whose text repeats an earlier post (linked through duplicate_of_id)."""

    @property
    def inserted(self) -> int:
        return len(self.inserted_ids)


def _insert_statement(session: Session):  # type: ignore[no-untyped-def]
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(Post.__table__).on_conflict_do_nothing(index_elements=["source", "external_id"])


def upsert_posts(session: Session, rows: Sequence[dict[str, Any]], *, link_copies: bool = True) -> UpsertResult:
    """Insert posts that are not stored yet; an existing (source, external_id) is left untouched.

    Rows are dictionaries of Post columns. The caller commits, together with whatever source state
    the batch covers. Texts that repeat an earlier post are linked to its first occurrence, unless
    `link_copies` is off (a bulk load links them all at its end: storage/bulk_load.py).
    """
    result = UpsertResult()
    if not rows:
        return result
    unique: dict[tuple[str, str], dict[str, Any]] = {}
    for row in sorted(rows, key=lambda item: item["created_at"]):
        unique.setdefault((row["source"], row["external_id"]), row)
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        inserted = _sqlite_insert(session, list(unique.values()))
    elif dialect == "postgresql":
        inserted = copy_insert(session, list(unique.values()))
    else:
        table = Post.__table__
        statement = _insert_statement(session).returning(table.c.id, table.c.content_hash)
        inserted = [
            (row.id, row.content_hash) for row in session.connection().execute(statement, list(unique.values()))
        ]
    result.inserted_ids = sorted(post_id for post_id, _ in inserted)
    result.duplicates = len(rows) - len(inserted)
    result.linked_copies = _link_copies(session, inserted) if link_copies else 0
    return result


def _sqlite_time(value: datetime) -> str:
    """The text SQLAlchemy's SQLite DATETIME stores (naive UTC with microseconds), so comparisons line up."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return _sqlite_time(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


@lru_cache(maxsize=1)
def _post_defaults() -> dict[str, Any]:
    template = Post(
        source="", external_id="", created_at=datetime.now(UTC), text_clean="", text_redacted="", content_hash=""
    )
    return {column.name: getattr(template, column.name) for column in Post.__table__.columns if column.name != "id"}


@lru_cache(maxsize=1)
def _converted_columns() -> frozenset[str]:
    """JSON and DateTime columns: SQLite is given their text."""
    return frozenset(
        column.name
        for column in Post.__table__.columns
        if isinstance(column.type, JSON) or isinstance(getattr(column.type, "impl", column.type), DateTime)
    )


@dataclass(frozen=True, slots=True)
class _InsertPlan:
    """The INSERT for rows with one set of keys, and how to turn such a row into its parameters."""

    sql: str
    plain: Callable[[dict[str, Any]], tuple[Any, ...]]
    converted: tuple[str, ...]
    constants: tuple[Any, ...]


@lru_cache(maxsize=16)
def _insert_plan(keys: frozenset[str]) -> _InsertPlan:
    """Columns the rows carry are bound from them; the others get the model's default (NULL ones are left out)."""
    defaults = _post_defaults()
    special = ("created_at", "collected_at", "raw")
    converted_columns = _converted_columns()
    present = [name for name in defaults if name in keys and name not in special]
    plain = [name for name in present if name not in converted_columns]
    converted = tuple(name for name in present if name in converted_columns)
    absent = [
        name for name, value in defaults.items() if name not in keys and name not in special and value is not None
    ]
    names = [*special, *plain, *converted, *absent]
    getter = itemgetter(*plain) if len(plain) > 1 else (lambda row: tuple(row[name] for name in plain))
    sql = (
        f"INSERT INTO post ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
        "ON CONFLICT (source, external_id) DO NOTHING"
    )
    return _InsertPlan(sql, getter, converted, tuple(_sqlite_value(defaults[name]) for name in absent))


def _sqlite_params(rows: list[dict[str, Any]], stamp_text: str) -> tuple[str, list[tuple[Any, ...]]]:
    keys: set[str] = set().union(*rows)
    plan = _insert_plan(frozenset(keys))
    defaults = _post_defaults()
    dumps, plain, converted, constants = json.dumps, plan.plain, plan.converted, plan.constants
    params = []
    for row in rows:
        if len(row) != len(keys):
            row = {**defaults, **row}
        raw = row["raw"]
        params.append(
            (
                _sqlite_time(row["created_at"]),
                stamp_text,
                dumps(raw, ensure_ascii=False) if raw else "{}",
                *plain(row),
                *[_sqlite_value(row[name]) for name in converted],
                *constants,
            )
        )
    return plan.sql, params


def _sqlite_insert(session: Session, rows: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Bulk insert through the driver's executemany, which is several times faster than row-wise binds.

    The insert holds SQLite's write lock from its first statement, so when every row is new they took the
    ids after the largest one before, in order. Otherwise the rows this call inserted are found again by
    their (source, external_id) and the batch's collected_at stamp; rows stored earlier keep their older stamp.
    """
    stamp_text = _sqlite_time(utcnow())
    sql, params = _sqlite_params(rows, stamp_text)
    connection = session.connection()
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with deferred_indexing(connection):  # the text index in one statement, not row by row
        last_id = cursor.execute("SELECT max(id) FROM post").fetchone()[0] or 0
        cursor.executemany(sql, params)
        added = cursor.rowcount
    if added == 0:
        return []
    if added == len(rows) and cursor.execute("SELECT max(id) FROM post").fetchone()[0] == last_id + added:
        return [(last_id + offset, row.get("content_hash") or "") for offset, row in enumerate(rows, start=1)]
    found: list[tuple[int, str]] = []
    by_source: dict[str, list[str]] = {}
    for row in rows:
        by_source.setdefault(row["source"], []).append(row["external_id"])
    for source, external_ids in by_source.items():
        for start in range(0, len(external_ids), 900):
            chunk = external_ids[start : start + 900]
            cursor.execute(
                f"SELECT id, content_hash FROM post WHERE source = ? AND external_id IN ({', '.join('?' * len(chunk))})"
                " AND collected_at = ?",
                [source, *chunk, stamp_text],
            )
            found.extend(cursor.fetchall())
    return found


def _link_copies(session: Session, inserted: list[tuple[int, str]]) -> int:
    hashes = {content_hash for _, content_hash in inserted if content_hash}
    if not hashes:
        return 0
    first_ids: dict[str, int] = {}
    hash_list = sorted(hashes)
    for start in range(0, len(hash_list), 500):
        chunk = hash_list[start : start + 500]
        query = select(Post.content_hash, func.min(Post.id)).where(Post.content_hash.in_(chunk))
        first_ids.update(dict(session.execute(query.group_by(Post.content_hash)).all()))
    links = [
        {"post_id": post_id, "first": first_ids[content_hash]}
        for post_id, content_hash in inserted
        if content_hash and first_ids.get(content_hash, post_id) != post_id
    ]
    if links:
        from sqlalchemy import bindparam

        statement = (
            update(Post.__table__)
            .where(Post.__table__.c.id == bindparam("post_id"))
            .values(duplicate_of_id=bindparam("first"))
        )
        session.connection().execute(statement, links)
    return len(links)


def count_posts(session: Session, source: str | None = None) -> int:
    query = select(func.count()).select_from(Post)
    if source:
        query = query.where(Post.source == source)
    return session.execute(query).scalar_one()


def newest_external_ids(session: Session, source: str, limit: int = 50) -> list[str]:
    query = select(Post.external_id).where(Post.source == source).order_by(Post.created_at.desc()).limit(limit)
    return list(session.execute(query).scalars())


def iter_posts(session: Session, batch_size: int = 1000, **filters: Any) -> Iterable[Post]:
    """Stream posts in id order without loading them all (keyset pagination)."""
    last_id = 0
    while True:
        query = select(Post).where(Post.id > last_id)
        for column, value in filters.items():
            query = query.where(getattr(Post, column) == value)
        batch = list(session.execute(query.order_by(Post.id).limit(batch_size)).scalars())
        if not batch:
            return
        yield from batch
        last_id = batch[-1].id  # type: ignore[assignment]
        session.expunge_all()
