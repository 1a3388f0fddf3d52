"""Bulk insert of posts on PostgreSQL: COPY into a temporary table, then one INSERT ... SELECT.

Row-by-row INSERT ... RETURNING through SQLAlchemy costs about 250 µs of client CPU per post; COPY
streams the batch in PostgreSQL's text format and the server does the conflict check in one statement.
Ids are assigned in the batch's order, as with the row-wise path.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

from sqlmodel import Session

from pantau.storage.models import Post, utcnow


@lru_cache(maxsize=1)
def _columns() -> tuple[tuple[str, Any], ...]:
    """(name, default) of every post column but id, defaults as the model sets them."""
    template = Post(source="", external_id="", created_at=utcnow(), text_clean="", text_redacted="", content_hash="")
    return tuple(
        (column.name, getattr(template, column.name)) for column in Post.__table__.columns if column.name != "id"
    )


@lru_cache(maxsize=1)
def _staging_table() -> str:
    """A name per column list, so a pooled connection never reuses a staging table of an older schema."""
    names = ",".join(name for name, _ in _columns())
    return "post_incoming_" + hashlib.sha1(names.encode()).hexdigest()[:10]


def _value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def copy_insert(session: Session, rows: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Insert the rows that are not stored yet; returns (id, content_hash) of those inserted."""
    now = utcnow()
    columns = tuple((name, now if name == "collected_at" else default) for name, default in _columns())
    names = ", ".join(name for name, _ in columns)
    staging = _staging_table()
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS AS "
            f"SELECT {names}, 0::int AS incoming_order FROM post WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {staging}")
        with cursor.copy(f"COPY {staging} ({names}, incoming_order) FROM STDIN") as copy:
            for order, row in enumerate(rows):
                copy.write_row([*(_value(row.get(name, default)) for name, default in columns), order])
        cursor.execute(
            f"INSERT INTO post ({names}) SELECT {names} FROM {staging} ORDER BY incoming_order "
            "ON CONFLICT (source, external_id) DO NOTHING RETURNING id, content_hash"
        )
        return [(int(post_id), str(content_hash)) for post_id, content_hash in cursor.fetchall()]
    finally:
        cursor.close()
