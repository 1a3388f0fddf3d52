"""Human labels for training: imported label rows (one per normalised text) and triage corrections."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from pantau.storage.models import LabelRow, Post, utcnow

CHUNK = 500


@dataclass(slots=True)
class NewLabelRow:
    text_key: str
    text: str
    labels: list[str]
    primary: str
    provenance: str
    labelled_by: str | None = None
    labelled_at: datetime | None = None


@dataclass(slots=True)
class CorrectedPost:
    id: int
    text: str
    labels: list[str]
    triaged_by: str | None
    triaged_at: datetime | None


def upsert_label_rows(session: Session, rows: Sequence[NewLabelRow]) -> tuple[int, int]:
    """Insert new texts and overwrite the labels of texts seen before; returns (inserted, updated)."""
    latest = {row.text_key: row for row in rows}
    existing: dict[str, LabelRow] = {}
    keys = list(latest)
    for start in range(0, len(keys), CHUNK):
        query = select(LabelRow).where(LabelRow.text_key.in_(keys[start : start + CHUNK]))
        existing.update({found.text_key: found for found in session.execute(query).scalars()})
    now = utcnow()
    for key, row in latest.items():
        stored = existing.get(key) or LabelRow(text_key=key, text=row.text, primary_label=row.primary, provenance="")
        stored.text, stored.labels, stored.primary_label = row.text, list(row.labels), row.primary
        stored.provenance, stored.labelled_by = row.provenance, row.labelled_by
        stored.labelled_at, stored.imported_at = row.labelled_at or now, now
        session.add(stored)
    return len(latest) - len(existing), len(existing)


def list_label_rows(session: Session) -> list[LabelRow]:
    return list(session.execute(select(LabelRow).order_by(LabelRow.id)).scalars())


def corrected_posts(session: Session) -> list[CorrectedPost]:
    """Posts whose labels a person set in triage, oldest correction first."""
    query = (
        select(Post.id, Post.text_clean, Post.corrected_labels, Post.triaged_by, Post.triaged_at)
        .where(Post.corrected_labels.is_not(None))
        .order_by(Post.id)
    )
    return [
        CorrectedPost(id=row[0], text=row[1], labels=list(row[2] or []), triaged_by=row[3], triaged_at=row[4])
        for row in session.execute(query)
        if row[2]
    ]
