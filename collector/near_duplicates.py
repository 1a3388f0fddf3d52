"""Link near-duplicates (quote-reposts, campaign variants) to their first occurrence; never drop them.

Exact copies are linked by content hash in storage/posts.py. Here, each newly stored post of at least
MIN_WORDS words is compared with the first occurrences stored within WINDOW of it: a SimHash distance
of at most MAX_DISTANCE bits picks candidates cheaply (vectorised), and a Jaccard similarity of word
bigrams of at least MIN_SIMILARITY confirms them. On the labelled corpus, genuine variants ("rt ...",
one word changed or added) sit at 5-8 bits while unrelated posts start at 9, so the text check keeps
the wider net honest.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from pantau.collector.normalize import dedup_key
from pantau.storage.models import Post

WINDOW = timedelta(hours=48)
MAX_DISTANCE = 12
MIN_SIMILARITY = 0.6
MIN_WORDS = 8
MAX_CANDIDATES = 50_000
_M1, _M2, _M4, _H01 = (
    np.uint64(value) for value in (0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x0101010101010101)
)


def _bigrams(text: str) -> set[str]:
    words = dedup_key(text).split()
    return {f"{a} {b}" for a, b in itertools.pairwise(words)}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the word bigrams of two texts after dedup normalisation."""
    first, second = _bigrams(a), _bigrams(b)
    return len(first & second) / len(first | second) if first and second else 0.0


def _distances(hashes: np.ndarray, value: int) -> np.ndarray:
    """Hamming distance from `value` to each of `hashes` (SWAR popcount, vectorised)."""
    bits = (hashes ^ np.int64(value)).view(np.uint64)
    bits = bits - ((bits >> np.uint64(1)) & _M1)
    bits = (bits & _M2) + ((bits >> np.uint64(2)) & _M2)
    bits = (bits + (bits >> np.uint64(4))) & _M4
    return (bits * _H01) >> np.uint64(56)


def _rows(session: Session, ids: list[int], *columns: Any) -> list[Any]:
    """`columns` (and id) of the posts with these ids, asked for in chunks the drivers accept."""
    table = Post.__table__
    rows: list[Any] = []
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        rows += session.execute(select(table.c.id, *columns).where(table.c.id.in_(chunk))).all()
    return rows


def link_near_duplicates(session: Session, inserted_ids: Sequence[int]) -> int:
    """Point duplicate_of_id of near-copies among `inserted_ids` at their first occurrence."""
    table = Post.__table__
    if not inserted_ids:
        return 0
    columns = (table.c.simhash, table.c.created_at, table.c.text_clean, table.c.duplicate_of_id)
    fresh = [
        row
        for row in _rows(session, list(inserted_ids), *columns)
        if row.duplicate_of_id is None and row.simhash and row.text_clean.count(" ") + 1 >= MIN_WORDS
    ]
    if not fresh:
        return 0
    first, last = min(row.created_at for row in fresh), max(row.created_at for row in fresh)
    candidates = session.execute(
        select(table.c.id, table.c.simhash)
        .where(
            table.c.created_at.between(first - WINDOW, last + WINDOW),
            table.c.duplicate_of_id.is_(None),
            table.c.simhash.is_not(None),
            table.c.id < max(row.id for row in fresh),
        )
        .order_by(table.c.id)
        .limit(MAX_CANDIDATES)
    ).all()
    if not candidates:
        return 0
    ids = np.array([row.id for row in candidates], dtype=np.int64)
    hashes = np.array([row.simhash for row in candidates], dtype=np.int64)
    close = {row.id: ids[(_distances(hashes, row.simhash) <= MAX_DISTANCE) & (ids < row.id)] for row in fresh}
    wanted = sorted({int(other) for others in close.values() for other in others})
    if not wanted:
        return 0
    details = {row.id: row for row in _rows(session, wanted, table.c.created_at, table.c.text_clean)}
    links = []
    linked: set[int] = set()
    for row in sorted(fresh, key=lambda item: item.id):
        for other in (details[int(other_id)] for other_id in close[row.id]):
            if (
                other.id not in linked
                and abs(other.created_at - row.created_at) <= WINDOW
                and similarity(row.text_clean, other.text_clean) >= MIN_SIMILARITY
            ):
                links.append({"post_id": row.id, "first": other.id})
                linked.add(row.id)
                break
    if links:
        statement = update(table).where(table.c.id == bindparam("post_id")).values(duplicate_of_id=bindparam("first"))
        session.connection().execute(statement, links)
    return len(links)
