"""Retention: posts (with their labels, classifications and triage history) older than the cut-off go."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlmodel import Session

from pantau.storage.models import CollectionRun, Delivery, JobRun, Post


@dataclass(slots=True)
class RetentionOutcome:
    posts: int = 0
    job_runs: int = 0
    collection_runs: int = 0
    deliveries: int = 0


def delete_older_than(session: Session, cutoff: datetime, batch_size: int = 5000) -> RetentionOutcome:
    """Delete in id batches, committing each, so a long clean-up never holds one huge transaction.

    Child rows (post_label, classification, triage_event) go through ON DELETE CASCADE.
    """
    outcome = RetentionOutcome()
    while True:
        ids = list(
            session.execute(select(Post.id).where(Post.created_at < cutoff).order_by(Post.id).limit(batch_size))
            .scalars()
            .all()
        )
        if not ids:
            break
        session.execute(delete(Post).where(Post.id.in_(ids)))
        session.commit()
        outcome.posts += len(ids)
    outcome.job_runs = session.execute(delete(JobRun).where(JobRun.started_at < cutoff)).rowcount or 0
    outcome.collection_runs = (
        session.execute(delete(CollectionRun).where(CollectionRun.started_at < cutoff)).rowcount or 0
    )
    outcome.deliveries = (
        session.execute(delete(Delivery).where(Delivery.status == "sent", Delivery.created_at < cutoff)).rowcount or 0
    )
    session.commit()
    return outcome
