"""Retention: posts (with their labels, classifications and triage history) older than the cut-off go, and so do
the incidents left without posts (with their escalation deliveries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlmodel import Session

from pantau.storage.models import CollectionRun, Delivery, Incident, JobRun, Post

ESCALATION_KIND = "escalation"
"""Delivery kind of SLA escalations; ref '<incident id>:<stage>' (reports/escalation.py)."""


@dataclass(slots=True)
class RetentionOutcome:
    posts: int = 0
    job_runs: int = 0
    collection_runs: int = 0
    deliveries: int = 0
    incidents: int = 0
    escalations: int = 0
    """Escalation deliveries (any status) of the incidents deleted."""


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
    outcome.incidents, outcome.escalations = delete_empty_incidents(session, cutoff, batch_size)
    outcome.job_runs = session.execute(delete(JobRun).where(JobRun.started_at < cutoff)).rowcount or 0
    outcome.collection_runs = (
        session.execute(delete(CollectionRun).where(CollectionRun.started_at < cutoff)).rowcount or 0
    )
    outcome.deliveries = (
        session.execute(delete(Delivery).where(Delivery.status == "sent", Delivery.created_at < cutoff)).rowcount or 0
    )
    session.commit()
    return outcome


def _incident_of(ref: str) -> int | None:
    head = ref.partition(":")[0]
    return int(head) if head.isdigit() else None


def _root(incident_id: int, merged_into: dict[int, int | None]) -> int:
    """The incident a merged one ended up in (following merges; a broken or cyclic chain stops where it is)."""
    seen = {incident_id}
    current = incident_id
    while (target := merged_into.get(current)) is not None and target in merged_into and target not in seen:
        seen.add(target)
        current = target
    return current


def empty_incident_ids(session: Session, cutoff: datetime) -> list[int]:
    """Incidents without posts whose last post came before `cutoff`. A merged incident (a pointer without posts
    of its own) goes only with the incident it was merged into, so links to it resolve while that one stays; an
    incident that still has a post is never chosen, nor one seen since the cut-off (one just opened by an alert)."""
    has_posts = exists().where(Post.incident_id == Incident.id)
    rows = session.execute(select(Incident.id, Incident.merged_into_id, Incident.last_seen, has_posts)).all()
    merged_into = {row[0]: row[1] for row in rows}
    gone = {row[0] for row in rows if not row[3] and row[2] < cutoff}
    return sorted(incident_id for incident_id in gone if _root(incident_id, merged_into) in gone)


def delete_empty_incidents(session: Session, cutoff: datetime, batch_size: int = 5000) -> tuple[int, int]:
    """Delete the incidents of `empty_incident_ids` and their escalation deliveries; returns (incidents,
    deliveries). Alerts that pointed at them stay, unlinked (ON DELETE SET NULL)."""
    doomed = empty_incident_ids(session, cutoff)
    if not doomed:
        return 0, 0
    wanted = set(doomed)
    refs = session.execute(select(Delivery.id, Delivery.ref).where(Delivery.kind == ESCALATION_KIND)).all()
    escalations = [delivery_id for delivery_id, ref in refs if _incident_of(ref) in wanted]
    for start in range(0, len(escalations), batch_size):
        session.execute(delete(Delivery).where(Delivery.id.in_(escalations[start : start + batch_size])))
    for start in range(0, len(doomed), batch_size):
        session.execute(delete(Incident).where(Incident.id.in_(doomed[start : start + batch_size])))
    session.commit()
    return len(doomed), len(escalations)
