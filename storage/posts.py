"""Post queries: the idempotent upsert every source goes through, and the reads built on it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
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


def upsert_posts(session: Session, rows: Sequence[dict[str, Any]]) -> UpsertResult:
    """Insert posts that are not stored yet; an existing (source, external_id) is left untouched.

    Rows are dictionaries of Post columns. The caller commits, together with whatever source state
    the batch covers. Texts that repeat an earlier post are linked to its first occurrence.
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
    result.linked_copies = _link_copies(session, inserted)
    return result


def _sqlite_time(value: datetime) -> str:
    """The text SQLAlchemy's SQLite DATETIME stores (naive UTC with microseconds), so comparisons line up."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


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
def _sqlite_columns() -> tuple[tuple[tuple[str, Any], ...], tuple[tuple[str, Any], ...]]:
    """Post columns (name, default) besides created_at, collected_at and raw: bound as they are, or converted."""
    defaults = _post_defaults()
    special = {"created_at", "collected_at", "raw"}
    converted = {
        column.name
        for column in Post.__table__.columns
        if isinstance(column.type, JSON) or isinstance(getattr(column.type, "impl", column.type), DateTime)
    }
    plain = tuple((name, value) for name, value in defaults.items() if name not in special | converted)
    other = tuple((name, value) for name, value in defaults.items() if name in converted - special)
    return plain, other


def _sqlite_insert(session: Session, rows: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Bulk insert through the driver's executemany, which is several times faster than row-wise binds.

    The batch shares one collected_at stamp, so the rows this call inserted are found again by their
    (source, external_id) and that stamp; rows stored earlier keep their older stamp.
    """
    plain, converted = _sqlite_columns()
    stamp_text = _sqlite_time(utcnow())
    dumps = json.dumps
    params = [
        (
            _sqlite_time(row["created_at"]),
            stamp_text,
            dumps(row["raw"], ensure_ascii=False) if row.get("raw") else "{}",
            *[row.get(name, default) for name, default in plain],
            *[_sqlite_value(row.get(name, default)) for name, default in converted],
        )
        for row in rows
    ]
    names = ["created_at", "collected_at", "raw", *(name for name, _ in plain), *(name for name, _ in converted)]
    sql = (
        f"INSERT INTO post ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
        "ON CONFLICT (source, external_id) DO NOTHING"
    )
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    with deferred_indexing(session.connection()):  # the text index in one statement, not row by row
        cursor.executemany(sql, params)
    if cursor.rowcount == 0:
        return []
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
