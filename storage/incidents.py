"""Incident rows and their member posts: lookups, listing and moving posts between incidents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlmodel import Session

from pantau.storage.models import Alert, Incident, Post

INCIDENT_STATUSES = ("open", "acknowledged", "resolved", "merged")
ACTIVE_STATUSES = ("open", "acknowledged")
CHUNK = 900


def get_incident(session: Session, incident_id: int, *, follow_merged: bool = False) -> Incident | None:
    """The incident, or with `follow_merged` the one it was (transitively) merged into."""
    incident = session.get(Incident, incident_id)
    seen: set[int] = set()
    while follow_merged and incident is not None and incident.merged_into_id and incident.id not in seen:
        seen.add(incident.id)  # type: ignore[arg-type]
        incident = session.get(Incident, incident.merged_into_id)
    return incident


def list_incidents(
    session: Session,
    *,
    statuses: Sequence[str] = ACTIVE_STATUSES,
    labels: Sequence[str] = (),
    seen_from: datetime | None = None,
    seen_until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Incident]:
    """Incidents in `statuses` whose [first_seen, last_seen] overlaps the span, most recent activity first."""
    query = select(Incident).where(Incident.status.in_(list(statuses)))
    if labels:
        query = query.where(Incident.label.in_(list(labels)))
    if seen_from is not None:
        query = query.where(Incident.last_seen >= seen_from)
    if seen_until is not None:
        query = query.where(Incident.first_seen < seen_until)
    query = query.order_by(Incident.last_seen.desc(), Incident.id.desc()).offset(offset).limit(limit)
    return list(session.execute(query).scalars())


def overdue_incidents(session: Session, now: datetime) -> list[Incident]:
    """Active incidents with a clock past due: not acknowledged in time, or not resolved in time."""
    query = (
        select(Incident)
        .where(Incident.status.in_(ACTIVE_STATUSES))
        .where(
            or_(
                (Incident.status == "open") & (Incident.ack_due_at <= now),
                Incident.resolve_due_at <= now,
            )
        )
        .order_by(Incident.id)
    )
    return list(session.execute(query).scalars())


def member_ids(session: Session, incident_id: int) -> list[int]:
    query = select(Post.id).where(Post.incident_id == incident_id).order_by(Post.created_at, Post.id)
    return list(session.execute(query).scalars())


def member_posts(session: Session, incident_id: int, *, limit: int | None = None, offset: int = 0) -> list[Post]:
    query = select(Post).where(Post.incident_id == incident_id).order_by(Post.created_at, Post.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query).scalars())


def member_times(session: Session, incident_id: int) -> list[datetime]:
    query = select(Post.created_at).where(Post.incident_id == incident_id).order_by(Post.created_at)
    return list(session.execute(query).scalars())


def member_stats(session: Session, incident_id: int) -> tuple[int, datetime | None, datetime | None]:
    """(posts, first created_at, last created_at) of an incident's members."""
    row = session.execute(
        select(func.count(), func.min(Post.created_at), func.max(Post.created_at)).where(
            Post.incident_id == incident_id
        )
    ).one()
    return int(row[0]), row[1], row[2]


def assign_posts(session: Session, post_ids: Sequence[int], incident_id: int | None) -> None:
    """Point posts at an incident (or none), in chunks the drivers accept."""
    table = Post.__table__
    ids = list(post_ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        session.execute(update(table).where(table.c.id.in_(chunk)).values(incident_id=incident_id))


def move_all_posts(session: Session, source_id: int, target_id: int) -> None:
    table = Post.__table__
    session.execute(update(table).where(table.c.incident_id == source_id).values(incident_id=target_id))


def linked_alerts(session: Session, incident_id: int) -> list[Alert]:
    query = select(Alert).where(Alert.incident_id == incident_id).order_by(Alert.window_start, Alert.id)
    return list(session.execute(query).scalars())


def relink_alerts(session: Session, source_id: int, target_id: int) -> None:
    table = Alert.__table__
    session.execute(update(table).where(table.c.incident_id == source_id).values(incident_id=target_id))
