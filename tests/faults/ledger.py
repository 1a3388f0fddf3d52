"""Order-free checksums of posts: a file's records and a database's rows must add up to the same ledger."""

from __future__ import annotations

import json
from dataclasses import dataclass
from hashlib import blake2b
from pathlib import Path

from sqlalchemy import Engine, select
from sqlmodel import Session

from pantau.storage.models import Post

MASK = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class Ledger:
    """Count, sum and xor of a 64-bit hash of (source, external_id, text) per post.

    A lost post changes the count; a doubled post changes count and sum; a changed text changes both
    sums. Order does not matter, so a million rows are checked while streaming.
    """

    count: int = 0
    total: int = 0
    xor: int = 0

    def add(self, source: str, external_id: str, text: str) -> Ledger:
        value = int.from_bytes(blake2b(f"{source}\x1f{external_id}\x1f{text}".encode(), digest_size=8).digest(), "big")
        return Ledger(self.count + 1, (self.total + value) & MASK, self.xor ^ value)


def file_ledger(path: Path, source: str) -> Ledger:
    ledger = Ledger()
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                ledger = ledger.add(source, str(record["id"]), record["text"])
    return ledger


def database_ledger(engine: Engine, source: str) -> Ledger:
    ledger = Ledger()
    query = select(Post.source, Post.external_id, Post.text).where(Post.source == source)
    with Session(engine) as session:
        for row in session.execute(query.execution_options(yield_per=20_000)):
            ledger = ledger.add(row.source, row.external_id, row.text)
    return ledger
