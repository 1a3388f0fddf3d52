"""Store imported labels: rows naming a stored post become triage corrections, the rest label rows."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.retraining.dataset import dedup_key
from pantau.retraining.label_import import ImportedLabel
from pantau.storage.label_rows import NewLabelRow, upsert_label_rows
from pantau.storage.models import Post
from pantau.storage.triage import Taxonomy, TriageChange, apply_change


@dataclass(slots=True)
class StoreOutcome:
    corrections: int = 0
    """Stored posts whose triage labels changed."""
    inserted: int = 0
    updated: int = 0
    problems: list[str] = field(default_factory=list)


def missing_posts(session: Session, labels: Sequence[ImportedLabel]) -> list[str]:
    """`where: post_id N not found` for rows that name a post the database does not have."""
    wanted = sorted({item.post_id for item in labels if item.post_id is not None})
    found: set[int] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(session.execute(select(Post.id).where(Post.id.in_(chunk))).scalars())
    return [
        f"{item.where}: post_id {item.post_id} not found"
        for item in labels
        if item.post_id is not None and item.post_id not in found
    ]


def store_labels(session: Session, settings: Settings, labels: Sequence[ImportedLabel], *, actor: str) -> StoreOutcome:
    """Apply in the caller's transaction; triage corrections are recorded as TriageEvents by their labeller."""
    outcome = StoreOutcome()
    taxonomy = Taxonomy(tuple(settings.label_keys), settings.exclusive_label)
    by_post = [item for item in labels if item.post_id is not None]
    wanted = sorted({item.post_id for item in by_post if item.post_id is not None})
    posts: dict[int | None, Post] = {}
    for start in range(0, len(wanted), 500):
        query = select(Post).where(Post.id.in_(wanted[start : start + 500]))
        posts.update({post.id: post for post in session.execute(query).scalars()})
    for item in by_post:
        post = posts.get(item.post_id)
        if post is None:
            outcome.problems.append(f"{item.where}: post_id {item.post_id} not found")
            continue
        changed = apply_change(session, post, item.labelled_by or actor, TriageChange(labels=item.labels), taxonomy)
        outcome.corrections += bool(changed)
    rows = []
    for item in labels:
        if item.post_id is not None:
            continue
        key = dedup_key(item.text or "")
        if not key:
            outcome.problems.append(f"{item.where}: no words in the text")
            continue
        rows.append(
            NewLabelRow(
                text_key=hashlib.sha256(key.encode("utf-8")).hexdigest(),
                text=item.text or "",
                labels=item.labels,
                primary=item.primary,
                provenance=f"import:{item.where.replace(' ', '')}",
                labelled_by=item.labelled_by or actor,
                labelled_at=item.labelled_at,
            )
        )
    outcome.inserted, outcome.updated = upsert_label_rows(session, rows)
    return outcome
