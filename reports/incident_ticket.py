"""Hand-off: an incident as a ticket JSON (schema below, docs/incident-ticket.schema.json) or an RFC 5322 e-mail
(text and HTML parts, every post text escaped) that a ticketing system or a LAPOR! operator can take.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlmodel import Session

from pantau.core.config import Settings
from pantau.reports.digest_format import safe_url
from pantau.reports.incident_view import hourly_counts, view_incident
from pantau.reports.sla import clock_text
from pantau.storage.incidents import linked_alerts
from pantau.storage.models import Incident, Post
from pantau.storage.service_events import events_between

SCHEMA_ID = "pantau.incident-ticket/1"
SAMPLE_POSTS = 10
TEMPLATES = Path(__file__).resolve().parent / "templates"
_TIME = {"type": "string", "format": "date-time"}
_TIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_CLOCK = {
    "type": "object",
    "required": ["stage", "due_at", "done_at", "state", "remaining_minutes"],
    "properties": {
        "stage": {"enum": ["acknowledge", "resolve"]},
        "due_at": _TIME_OR_NULL,
        "done_at": _TIME_OR_NULL,
        "state": {"enum": ["none", "running", "overdue", "met", "breached"]},
        "remaining_minutes": {"type": ["integer", "null"]},
    },
}
REQUIRED = [
    "schema",
    "id",
    "title",
    "issue_type",
    "status",
    "timezone",
    "first_seen",
    "last_seen",
    "post_count",
    "trend",
    "sla",
    "counts_per_hour",
    "sample_posts",
    "alerts",
    "events",
    "generated_at",
]
TICKET_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://pantau.local/schemas/incident-ticket-1.json",
    "title": "Pantau incident ticket",
    "type": "object",
    "required": REQUIRED,
    "properties": {
        "schema": {"const": SCHEMA_ID},
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "issue_type": {
            "type": "object",
            "required": ["key", "display_name"],
            "properties": {"key": {"type": "string"}, "display_name": {"type": "string"}},
        },
        "status": {"enum": ["open", "acknowledged", "resolved", "merged"]},
        "merged_into": {"type": ["integer", "null"]},
        "timezone": {"type": "string"},
        "first_seen": _TIME,
        "last_seen": _TIME,
        "post_count": {"type": "integer", "minimum": 0},
        "trend": {
            "type": "object",
            "required": ["recent_per_hour", "earlier_per_hour", "direction", "window_hours"],
            "properties": {"direction": {"enum": ["new", "rising", "steady", "falling", "quiet"]}},
        },
        "sla": {
            "type": "object",
            "required": ["acknowledge", "resolve", "escalated_at"],
            "properties": {"acknowledge": _CLOCK, "resolve": _CLOCK, "escalated_at": _TIME_OR_NULL},
        },
        "counts_per_hour": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["hour", "posts"],
                "properties": {"hour": _TIME, "posts": {"type": "integer", "minimum": 0}},
            },
        },
        "sample_posts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "source", "created_at", "text", "url"],
                "properties": {
                    "id": {"type": "integer"},
                    "source": {"type": "string"},
                    "created_at": _TIME,
                    "author": {"type": ["string", "null"]},
                    "text": {"type": "string", "description": "redacted text (NIK, phone, e-mail masked)"},
                    "url": {"type": ["string", "null"], "description": "http(s) link to the original, or null"},
                },
            },
        },
        "alerts": {"type": "array", "items": {"type": "object", "required": ["id", "label", "status"]}},
        "events": {"type": "array", "items": {"type": "object", "required": ["id", "kind", "at", "title"]}},
        "generated_at": _TIME,
    },
}


def _iso(moment: datetime | None, settings: Settings) -> str | None:
    return moment.astimezone(settings.tz).isoformat() if moment is not None else None


def incident_ticket(session: Session, settings: Settings, incident: Incident, now: datetime) -> dict[str, Any]:
    """The ticket document; times in the configured zone with their offset, texts redacted."""
    view = view_incident(session, settings, incident, now)
    samples = session.execute(
        select(Post).where(Post.incident_id == incident.id).order_by(Post.created_at, Post.id).limit(SAMPLE_POSTS)
    ).scalars()
    margin = timedelta(hours=24)
    return {
        "schema": SCHEMA_ID,
        "id": incident.id,
        "title": incident.title,
        "issue_type": {"key": incident.label, "display_name": view.display},
        "status": incident.status,
        "merged_into": incident.merged_into_id,
        "timezone": settings.timezone,
        "first_seen": _iso(incident.first_seen, settings),
        "last_seen": _iso(incident.last_seen, settings),
        "post_count": incident.post_count,
        "trend": view.trend.as_dict(),
        "sla": {
            "acknowledge": view.acknowledge.as_dict(now),
            "resolve": view.resolve.as_dict(now),
            "escalated_at": _iso(incident.escalated_at, settings),
        },
        "counts_per_hour": [
            {"hour": hour.isoformat(), "posts": count} for hour, count in hourly_counts(view.times, settings.tz)
        ],
        "sample_posts": [
            {
                "id": post.id,
                "source": post.source,
                "created_at": _iso(post.created_at, settings),
                "author": post.author,
                "text": post.text_redacted,
                "url": safe_url(post.url),
            }
            for post in samples
        ],
        "alerts": [
            {
                "id": alert.id,
                "label": alert.label,
                "status": alert.status,
                "window_start": _iso(alert.window_start, settings),
                "resolved_at": _iso(alert.resolved_at, settings),
                "peak_observed": alert.peak_observed,
                "expected": alert.expected,
            }
            for alert in linked_alerts(session, incident.id)  # type: ignore[arg-type]
        ],
        "events": [
            {
                "id": event.id,
                "kind": event.kind,
                "at": _iso(event.at, settings),
                "ends_at": _iso(event.ends_at, settings),
                "title": event.title,
                "description": event.description,
            }
            for event in events_between(session, incident.first_seen - margin, incident.last_seen + margin)
        ],
        "generated_at": _iso(now, settings),
    }


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def ticket_text(ticket: dict[str, Any], settings: Settings, incident: Incident, now: datetime) -> str:
    """The plain-text part: no markup, so nothing needs escaping; one fact per line."""
    view_sla = ticket["sla"]
    lines = [
        f"Insiden #{ticket['id']} — {ticket['issue_type']['display_name']} ({ticket['issue_type']['key']})",
        f"Judul: {ticket['title']}",
        f"Status: {ticket['status']}",
        f"Pertama: {ticket['first_seen']}  Terakhir: {ticket['last_seen']}  ({ticket['timezone']})",
        f"Unggahan: {ticket['post_count']}  Tren: {ticket['trend']['direction']} "
        f"({ticket['trend']['recent_per_hour']}/jam dalam {ticket['trend']['window_hours']} jam terakhir, "
        f"sebelumnya {ticket['trend']['earlier_per_hour']}/jam)",
        f"SLA diakui: {view_sla['acknowledge']['state']}; selesai: {view_sla['resolve']['state']}",
        "",
        "Unggahan per jam:",
        *(f"  {row['hour']}  {row['posts']}" for row in ticket["counts_per_hour"]),
        "",
        "Contoh unggahan (disamarkan):",
    ]
    for post in ticket["sample_posts"]:
        lines.append(f"- [{post['created_at']}] {' '.join(post['text'].split())}")
        if post["url"]:
            lines.append(f"  {post['url']}")
    for event in ticket["events"]:
        lines.append(f"Peristiwa: {event['kind']} {event['title']} ({event['at']})")
    return "\n".join(lines) + "\n"


def ticket_email(settings: Settings, session: Session, incident: Incident, now: datetime) -> EmailMessage:
    """multipart/alternative: the text part and an HTML part rendered with autoescaping."""
    ticket = incident_ticket(session, settings, incident, now)
    view = view_incident(session, settings, incident, now)
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = f"[Pantau] Insiden #{incident.id} {ticket['issue_type']['display_name']}: {incident.title}"
    message["From"] = settings.email.from_address
    recipients = settings.sla.escalation.recipients or settings.alerts.recipients
    message["To"] = ", ".join(recipients) or "undisclosed-recipients:;"
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(idstring=f"incident{incident.id}", domain="pantau")
    message["X-Pantau-Incident"] = str(incident.id)
    message.set_content(ticket_text(ticket, settings, incident, now))
    html = (
        _environment()
        .get_template("incident_ticket.html.j2")
        .render(
            ticket=ticket,
            ack=clock_text(view.acknowledge, now, settings.tz),
            resolve=clock_text(view.resolve, now, settings.tz),
        )
    )
    message.add_alternative(html, subtype="html")
    return message
