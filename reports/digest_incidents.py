"""The digest's incidents, SLA counts and service timeline, each as of the end of the digest's day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.core.timeutil import local_day_bounds
from pantau.reports.sla import Clock, incident_clocks_as_of, worst_state
from pantau.reports.timeline import EventEffect, day_fraction, event_effect
from pantau.storage.models import Incident, Post
from pantau.storage.service_events import events_between

MAX_INCIDENTS = 10
SAMPLES = 2


@dataclass(slots=True)
class IncidentSample:
    text: str
    author: str | None
    url: str | None
    created_at: datetime


@dataclass(slots=True)
class DigestIncident:
    id: int
    label: str
    display: str
    title: str
    status: str
    """As of the day's end: open, acknowledged or resolved."""
    first_seen: datetime
    last_seen: datetime
    posts_total: int
    posts_day: int
    acknowledge: Clock
    resolve: Clock
    sla_state: str
    samples: list[IncidentSample] = field(default_factory=list)


@dataclass(slots=True)
class TimelineMarker:
    position: float
    """Days after the first trend day's start; the bar of day i spans [i, i + 1)."""
    kind: str
    title: str
    at: datetime


@dataclass(slots=True)
class IncidentDigest:
    incidents: list[DigestIncident] = field(default_factory=list)
    more: int = 0
    """Incidents active that day beyond the ones listed."""
    overdue: int = 0
    """Incidents with a clock past due and not stopped at the day's end."""
    breached: int = 0
    """Clocks stopped late during the day (acknowledged or resolved after their due time)."""
    markers: list[TimelineMarker] = field(default_factory=list)
    effects: list[EventEffect] = field(default_factory=list)


def _status_as_of(incident: Incident, end: datetime) -> str:
    if incident.resolved_at is not None and incident.resolved_at <= end:
        return "resolved"
    if incident.acknowledged_at is not None and incident.acknowledged_at <= end:
        return "acknowledged"
    return "open"


def _samples(session: Session, incident_id: int, start: datetime, end: datetime) -> list[IncidentSample]:
    rows = session.execute(
        select(Post.text_redacted, Post.author, Post.url, Post.created_at)
        .where(Post.incident_id == incident_id, Post.created_at >= start, Post.created_at < end)
        .order_by(Post.created_at, Post.id)
        .limit(SAMPLES)
    ).all()
    return [IncidentSample(*row) for row in rows]


def _day_incidents(
    session: Session, settings: Settings, start: datetime, end: datetime, digest: IncidentDigest
) -> None:
    per_day = dict(
        session.execute(
            select(Post.incident_id, func.count())
            .where(Post.incident_id.is_not(None), Post.created_at >= start, Post.created_at < end)
            .group_by(Post.incident_id)
        ).all()
    )
    if not per_day:
        return
    incidents = session.execute(
        select(Incident).where(Incident.id.in_(list(per_day)), Incident.status != "merged")
    ).scalars()
    ranked = sorted(incidents, key=lambda item: (-per_day[item.id], item.id))
    digest.more = max(0, len(ranked) - MAX_INCIDENTS)
    for incident in ranked[:MAX_INCIDENTS]:
        total = session.execute(
            select(func.count()).where(Post.incident_id == incident.id, Post.created_at < end)
        ).scalar_one()
        clocks = incident_clocks_as_of(incident, end)
        digest.incidents.append(
            DigestIncident(
                id=incident.id,  # type: ignore[arg-type]
                label=incident.label,
                display=settings.display_name(incident.label),
                title=incident.title,
                status=_status_as_of(incident, end),
                first_seen=incident.first_seen,
                last_seen=min(incident.last_seen, end),
                posts_total=int(total),
                posts_day=int(per_day[incident.id]),
                acknowledge=clocks[0],
                resolve=clocks[1],
                sla_state=worst_state(clocks, end),
                samples=_samples(session, incident.id, start, end),  # type: ignore[arg-type]
            )
        )


def _sla_counts(session: Session, start: datetime, end: datetime, digest: IncidentDigest) -> None:
    due = session.execute(
        select(Incident).where(
            Incident.status != "merged",
            Incident.first_seen < end,
            or_(Incident.ack_due_at < end, Incident.resolve_due_at < end),
        )
    ).scalars()
    for incident in due:
        clocks = incident_clocks_as_of(incident, end)
        digest.overdue += any(clock.state(end) == "overdue" for clock in clocks)
        digest.breached += sum(
            1
            for clock in clocks
            if clock.state(end) == "breached" and clock.done_at is not None and clock.done_at >= start
        )


def incident_digest(session: Session, settings: Settings, day: date, trend_days: list[date]) -> IncidentDigest:
    """Incidents with posts that day, SLA counts as of its end, chart markers and event effects."""
    start, end = local_day_bounds(day, settings.tz)
    digest = IncidentDigest()
    _day_incidents(session, settings, start, end, digest)
    _sla_counts(session, start, end, digest)
    chart_start = local_day_bounds(trend_days[0], settings.tz)[0] if trend_days else start
    for event in events_between(session, chart_start, end):
        if event.at >= chart_start:
            digest.markers.append(
                TimelineMarker(day_fraction(event.at, chart_start), event.kind, event.title, event.at)
            )
    for event in events_between(session, start - timedelta(hours=24), end):
        if event.at >= start - timedelta(hours=24):
            digest.effects.append(event_effect(session, settings, event, end))
    return digest
