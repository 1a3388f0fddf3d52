"""Post queries: the idempotent upsert every source goes through, and the reads built on it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from pantau.storage.models import Post


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
    table = Post.__table__
    statement = _insert_statement(session).returning(table.c.id, table.c.content_hash)
    inserted = session.connection().execute(statement, list(unique.values())).all()
    result.inserted_ids = sorted(row.id for row in inserted)
    result.duplicates = len(rows) - len(inserted)
    result.linked_copies = _link_copies(session, [(row.id, row.content_hash) for row in inserted])
    return result


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
