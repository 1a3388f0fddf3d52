"""Incidents, their posts and service events turned into API shapes and page rows (redacted text only)."""

from __future__ import annotations

from datetime import datetime

from pantau.core.config import Settings
from pantau.reports.incident_view import IncidentView
from pantau.reports.sla import Clock, post_clocks
from pantau.storage.models import Post, ServiceEvent
from pantau.web.incident_schemas import ClockOut, EventOut, IncidentOut, IncidentPostOut, TrendOut


def clock_out(clock: Clock, now: datetime) -> ClockOut:
    return ClockOut.model_validate(clock.as_dict(now))


def incident_out(view: IncidentView, now: datetime) -> IncidentOut:
    incident = view.incident
    return IncidentOut(
        id=incident.id,  # type: ignore[arg-type]
        label=incident.label,
        display_name=view.display,
        title=incident.title,
        status=incident.status,  # type: ignore[arg-type]
        merged_into=incident.merged_into_id,
        first_seen=incident.first_seen,
        last_seen=incident.last_seen,
        post_count=incident.post_count,
        trend=TrendOut.model_validate(view.trend.as_dict()),
        sla_state=view.sla_state,
        acknowledge=clock_out(view.acknowledge, now),
        resolve=clock_out(view.resolve, now),
        escalated_at=incident.escalated_at,
    )


def post_label(settings: Settings, post: Post, fallback: str) -> str:
    """The post's own issue type for its clock: the triager's first complaint label, else the model's primary."""
    complaints = set(settings.complaint_labels)
    for key in post.corrected_labels or []:
        if key in complaints:
            return key
    return post.primary_label if post.primary_label in complaints else fallback


def incident_post_out(settings: Settings, post: Post, fallback: str, now: datetime) -> IncidentPostOut:
    acknowledge, resolve = post_clocks(settings, post, post_label(settings, post, fallback))
    return IncidentPostOut(
        id=post.id,  # type: ignore[arg-type]
        created_at=post.created_at,
        source=post.source,
        text=post.text_redacted,
        url=post.url,
        status=post.status,
        acknowledge=clock_out(acknowledge, now),
        resolve=clock_out(resolve, now),
    )


def event_out(event: ServiceEvent) -> EventOut:
    return EventOut(
        id=event.id,  # type: ignore[arg-type]
        kind=event.kind,
        at=event.at,
        ends_at=event.ends_at,
        title=event.title,
        description=event.description,
        created_by=event.created_by,
    )
