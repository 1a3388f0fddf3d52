"""The service's own timeline: releases, known outages and maintenance windows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlmodel import Session

from pantau.storage.models import ServiceEvent

EVENT_KINDS = ("release", "incident", "maintenance")
MAX_TITLE = 200
MAX_DESCRIPTION = 4000


class EventError(ValueError):
    """An event that cannot be recorded; the message says why."""


def add_event(
    session: Session,
    *,
    kind: str,
    at: datetime,
    title: str,
    ends_at: datetime | None = None,
    description: str | None = None,
    created_by: str | None = None,
) -> ServiceEvent:
    """Validate and add an event in the caller's transaction."""
    title = " ".join(title.split())
    if kind not in EVENT_KINDS:
        raise EventError(f"kind must be one of {', '.join(EVENT_KINDS)}")
    if not title:
        raise EventError("title must not be empty")
    if len(title) > MAX_TITLE:
        raise EventError(f"title is longer than {MAX_TITLE} characters")
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise EventError(f"description is longer than {MAX_DESCRIPTION} characters")
    if ends_at is not None and ends_at < at:
        raise EventError("the end must not be before the start")
    event = ServiceEvent(
        kind=kind,
        at=at,
        ends_at=ends_at,
        title=title,
        description=(description or "").strip() or None,
        created_by=created_by,
    )
    session.add(event)
    session.flush()
    return event


def events_between(session: Session, start: datetime | None = None, end: datetime | None = None) -> list[ServiceEvent]:
    """Events that start before `end` and have not ended before `start`, oldest first."""
    query = select(ServiceEvent).order_by(ServiceEvent.at, ServiceEvent.id)
    if end is not None:
        query = query.where(ServiceEvent.at < end)
    if start is not None:
        query = query.where(or_(ServiceEvent.at >= start, ServiceEvent.ends_at >= start))
    return list(session.execute(query).scalars())


def remove_event(session: Session, event_id: int) -> bool:
    event = session.get(ServiceEvent, event_id)
    if event is None:
        return False
    session.delete(event)
    return True
